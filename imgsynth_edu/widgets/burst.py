"""The burst explorer: make a burst, register it, merge it, and see what each method recovers.

:class:`BurstExplorer` cuts a square from a held-out photograph, makes a
synthetic burst of it (:func:`imgsynth_edu.data.bursts.synthetic_burst`) and
shows, for the chosen number of frames, noise level and seed:

* the first frames of the burst (nearest-neighbour enlarged: the pixels as they are);
* the true shifts ``d_f`` against those estimated by phase correlation
  (:func:`imgsynth_edu.classical.estimate_shifts`), in low-resolution pixels;
* the learned model's fusion weight of every sample, on each frame's own grid (when a model is given);
* the merged results - bicubic of frame 0, shift-and-add, robust merge, the
  burst model - each with its Y-PSNR against the truth (SR protocol:
  :func:`imgsynth_edu.metrics.image.sr_metrics`).

The noise level multiplies both variances of the default shot + read noise
(:data:`imgsynth_edu.data.bursts.DEFAULT_NOISE`): 1 is the default, 0 a
noise-free burst. :meth:`BurstExplorer.render` computes everything without a
front end, :meth:`BurstExplorer.static_figure` draws it as a matplotlib
figure (the book shows it).

Lesson: ``06_multi_frame_restoration.ipynb``.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from .._checks import check_choice, check_non_negative, check_positive_int
from ..classical import estimate_shifts, robust_merge, shift_and_add
from ..data.bursts import DEFAULT_NOISE, synthetic_burst
from ..data.degradations import bicubic_upscale
from ..data.photos import load_photo, photo_names
from ..metrics.image import sr_metrics
from ..viz import figure_to_png

MAX_FRAMES = 8


def _y_psnr(restored: torch.Tensor, target: torch.Tensor, scale: int) -> float:
    return float(sr_metrics(restored, target, scale)["psnr_y"])


class BurstExplorer:
    """Frames, noise level and seed in; frames, shifts, fusion weights and merged results out.

    ``explorer.widget`` is the container to ``display``; ``explorer.controls``
    maps ``"frames"``, ``"noise"`` and ``"seed"`` to their sliders;
    ``explorer.image`` is the ``ipywidgets.Image`` that shows the figure,
    ``explorer.caption`` the ``HTML`` line with every method's Y-PSNR, and
    ``explorer.crop`` the high-resolution ``C×size×size`` truth.

    Args:
        model: a trained :class:`~imgsynth_edu.models.burst.BurstSR` (optional;
            without one the learned method and its fusion weights are left out).
        photo: a bundled photograph (default ``"chelsea"``, held out from training).
        size: side of the high-resolution square cut from the photo's centre (a multiple of ``scale``).
        scale: 2 or 4 (must match the model's).
        frames, noise, seed: the initial slider values.
    """

    def __init__(
        self,
        model=None,
        *,
        photo: str = "chelsea",
        size: int = 160,
        scale: int = 4,
        frames: int = 8,
        noise: float = 1.0,
        seed: int = 0,
    ):
        check_choice(photo, "photo", set(photo_names("all")))
        check_positive_int(size, "size")
        if size % scale or size // scale < 16:
            raise ValueError(f"size must be a multiple of scale={scale} and at least {16 * scale}, got {size}")
        if model is not None:
            model.check_scale(scale)
            model.eval()
        self.model, self.scale = model, scale
        image = load_photo(photo)
        top, left = (image.shape[1] - size) // 2, (image.shape[2] - size) // 2
        if top < 0 or left < 0:
            raise ValueError(f"photo {photo!r} ({tuple(image.shape[1:])}) is smaller than size={size}")
        self.crop = image[:, top : top + size, left : left + size].contiguous()  # C×size×size
        self.controls = {
            "frames": widgets.IntSlider(value=frames, min=1, max=MAX_FRAMES, step=1, description="frames"),
            "noise": widgets.FloatSlider(
                value=noise, min=0.0, max=4.0, step=0.25, description="noise ×", readout_format=".2f"
            ),
            "seed": widgets.IntSlider(value=seed, min=0, max=20, step=1, description="seed"),
        }
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.widget = widgets.VBox(
            [widgets.HBox(list(self.controls.values())), self.caption, self.image]
        )
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.result: dict = {}
        self._on_change()

    # -- computation -------------------------------------------------------
    def render(self, frames: int, noise: float, seed: int) -> dict:
        """Everything the explorer shows, for these settings, without a front end.

        Returns ``{"burst", "estimated_shifts", "results" {method: image},
        "psnr" {method: dB}, "weights" (F×h×w or None), "caption"}``.
        """
        check_positive_int(frames, "frames")
        noise = check_non_negative(noise, "noise")
        burst = synthetic_burst(
            self.crop, frames, self.scale, seed=int(seed),
            shot_noise=DEFAULT_NOISE["shot_noise"] * noise, read_noise=DEFAULT_NOISE["read_noise"] * noise,
        )
        stack = burst.frames[None]  # 1×F×C×h×w
        estimated = estimate_shifts(stack)  # 1×F×2
        results = {
            "bicubic (frame 0)": bicubic_upscale(burst.frames[:1], self.scale),
            "shift-and-add": shift_and_add(stack, estimated, self.scale),
            "robust merge": robust_merge(stack, estimated, self.scale),
        }
        weights = None
        if self.model is not None:
            with torch.no_grad():
                restored, details = self.model(stack, estimated, return_details=True)
            results["burst model"] = restored.clamp(0.0, 1.0)  # shown as a picture
            weights = details["weights"][0]  # F×h×w
        target = burst.target[None]
        scores = {name: _y_psnr(image, target, self.scale) for name, image in results.items()}
        caption = f"{frames} frame(s), noise ×{noise:.2f}, seed {int(seed)} | Y-PSNR: " + ", ".join(
            f"{name} {value:.2f} dB" for name, value in scores.items()
        )
        return {
            "burst": burst, "estimated_shifts": estimated[0], "results": results,
            "psnr": scores, "weights": weights, "caption": caption,
        }

    def _on_change(self, change=None) -> None:
        values = {name: control.value for name, control in self.controls.items()}
        self.result = self.render(values["frames"], values["noise"], values["seed"])
        self.caption.value = f"<p>{self.result['caption']}</p>"
        self.image.value = figure_to_png(self.figure(self.result), dpi=72)

    # -- pictures ----------------------------------------------------------
    def figure(self, result: dict | None = None):
        """The explorer's picture for ``result`` (default: the current settings) as a matplotlib figure."""
        result = result or self.result
        burst = result["burst"]
        methods = list(result["results"])
        shown_frames = min(4, burst.frames.shape[0])
        columns = max(len(methods) + 1, shown_frames + 2)
        fig, axes = plt.subplots(2, columns, figsize=(2.2 * columns, 4.8), squeeze=False)
        for ax in axes.flat:
            ax.set_axis_off()
        for index in range(shown_frames):
            ax = axes[0, index]
            ax.imshow(burst.frames[index].permute(1, 2, 0).numpy(), interpolation="nearest")
            ax.set_title(f"frame {index}" + (" (ref.)" if index == 0 else ""), fontsize=9)
        ax = axes[0, shown_frames]
        ax.set_axis_on()
        true, estimated = burst.shifts.numpy(), result["estimated_shifts"].numpy()
        ax.scatter(true[:, 1], true[:, 0], marker="o", facecolors="none", edgecolors="C0", label="true")
        ax.scatter(estimated[:, 1], estimated[:, 0], marker="x", color="C3", label="estimated")
        ax.set_xlim(-2.5, 2.5)
        ax.set_ylim(2.5, -2.5)
        ax.set_aspect("equal")
        ax.set_title("shifts (LR px)", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
        ax.tick_params(labelsize=7)
        if result["weights"] is not None:
            weights = result["weights"].numpy()  # F×h×w
            padded = [weights[i] if i < len(weights) else np.zeros_like(weights[0]) for i in range(4)]
            tiles = np.concatenate(
                [np.concatenate(padded[:2], axis=1), np.concatenate(padded[2:], axis=1)], axis=0
            )  # (2h)×(2w): frames 0 1 / 2 3
            ax = axes[0, shown_frames + 1]
            top = float(weights.max())
            ax.imshow(tiles, cmap="magma", vmin=0, vmax=top, interpolation="nearest")
            ax.set_title(f"fusion weights, frames 0-3\n(black 0, white {top:.2f})", fontsize=9)
        for index, name in enumerate(methods):
            ax = axes[1, index]
            ax.imshow(result["results"][name][0].permute(1, 2, 0).numpy(), interpolation="nearest")
            ax.set_title(f"{name}\n{result['psnr'][name]:.2f} dB", fontsize=9)
        ax = axes[1, len(methods)]
        ax.imshow(burst.target.permute(1, 2, 0).numpy(), interpolation="nearest")
        ax.set_title("truth", fontsize=9)
        fig.tight_layout()
        return fig

    def static_figure(self, frames: int = 8, noise: float = 1.0, seed: int = 0):
        """The figure for fixed settings (the default: 8 frames, default noise): the book's picture."""
        return self.figure(self.render(frames, noise, seed))


__all__ = ["BurstExplorer"]
