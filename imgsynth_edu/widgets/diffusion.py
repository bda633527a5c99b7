"""Lesson 07's widget: scrub through one DDIM sample of a diffusion model, from noise to digit.

:class:`DenoisingScrubber` samples one digit of a class-conditional
:class:`~imgsynth_edu.models.diffusion.GaussianDiffusion` (``ddpm-mnist``) with
DDIM and classifier-free guidance, records every step, and lets a slider move
along the diffusion time ``t``: it shows the noisy state ``x_t`` beside the
model's guess of the clean image ``x̂_0`` at that step. Changing the digit, the
seed, the number of DDIM steps or the guidance scale samples a new trajectory
(once: each setting's trajectory is cached, so moving ``t`` back and forth is
instant).

It uses core widgets whose API is the same in ipywidgets 7 and 8 and works
without a front end: :meth:`DenoisingScrubber.render` computes the picture and
caption, :meth:`DenoisingScrubber.static_figure` draws the matplotlib figure the
book shows.

Lesson: ``07_diffusion_vs_gan.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from .._checks import check_choice, check_non_negative, check_positive_int
from ..models.diffusion import GaussianDiffusion, ddim_timesteps
from ..viz import image_to_png, make_grid, to_numpy_image
from .common import enlarge, show, two_rows


@dataclass(frozen=True)
class Trajectory:
    """One DDIM sample, step by step, in the course's space (images in ``[0, 1]``).

    ``timesteps[i]`` is the diffusion time of entry ``i``: the kept timesteps
    ``τ`` from ``T`` down (:func:`~imgsynth_edu.models.diffusion.ddim_timesteps`),
    then ``0``. ``noisy[i]`` is ``x_t`` in model space (``[-1, 1]`` for the data,
    unbounded for the noise), ``(S+1, C, H, W)``; ``predicted[i]`` is ``x̂_0`` at
    that step, mapped to ``[0, 1]``, ``(S+1, C, H, W)``. The last entry (``t = 0``)
    is the finished sample: there ``x_t = x̂_0``.
    """

    timesteps: tuple[int, ...]
    noisy: torch.Tensor  # (S+1, C, H, W), model space
    predicted: torch.Tensor  # (S+1, C, H, W), [0, 1]
    sample: torch.Tensor  # (1, C, H, W), [0, 1]: what model.sample returned


def noisy_for_display(noisy: torch.Tensor) -> tuple[torch.Tensor, float]:
    """``x_t`` (model space) as a picture: ``(x_t + 1) / 2`` with values beyond ``[0, 1]`` drawn black or white.

    ``x_t`` is not an image: at large ``t`` it is mostly Gaussian noise with
    values far outside the data range ``[-1, 1]``. The picture uses the data's
    grey scale and saturates the rest; the share of pixels that were saturated is
    returned with it, so a caption can say so (nothing is clipped unannounced).

    Returns ``(picture, share)``: the picture has ``noisy``'s shape, in ``[0, 1]``.
    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    grey = (noisy + 1) / 2  # the data's range [-1, 1] -> [0, 1]
    share = float(((grey < 0) | (grey > 1)).float().mean())
    return grey.clamp(0, 1), share


class DenoisingScrubber:
    """Slide along the diffusion time ``t`` of one DDIM sample: the noisy ``x_t`` beside the predicted ``x̂_0``.

    At every sampling step the network predicts the noise ``ε̂`` in ``x_t``
    (with classifier-free guidance, ``ε̂ = (1 + w) ε_θ(x_t, y) - w ε_θ(x_t, ∅)``,
    Ho & Salimans 2022 eq. 6), and solving the forward process
    ``x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε`` (Ho et al. 2020 eq. 4) for ``x_0`` gives the
    model's current guess of the clean image:

    .. math::
        \\hat x_0 = \\frac{x_t - \\sqrt{1-\\bar\\alpha_t}\\,\\hat\\varepsilon_\\theta(x_t, t)}{\\sqrt{\\bar\\alpha_t}}

    (Ho et al. 2020, eq. 15, whose Sec. 4.3 and Fig. 6 show it along a sampling
    run as "progressive generation"; the "predicted x_0" of DDIM, Song et al. 2021
    eq. 12), clipped to the data range as the sampler does. DDIM then moves to
    the next kept timestep ``s``: ``x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s-σ²) ε̂ + σ z``.
    At ``t = T`` the guess is useless (``√ᾱ_T ≈ 0`` magnifies any error of ``ε̂``,
    and what is left is the clipping); a step or two later it is a blurry digit,
    which sharpens as ``t`` falls.
    At ``t = 0`` the trajectory ends: ``x_t`` *is* the sample that
    ``model.sample`` returns for the same seed and settings.

    The picture: ``x_t`` (left, drawn by :func:`noisy_for_display`) and ``x̂_0``
    (right), large; below, ``x̂_0`` at (up to) ``strip`` steps from ``t = T`` to
    ``0``. The caption says ``t``, the step, ``√ᾱ_t`` and the settings.

    ``scrubber.controls``: ``"digit"`` (dropdown), ``"seed"``, ``"steps"`` (DDIM
    steps), ``"guidance"`` (``w``), ``"t"`` (sliders). ``scrubber.widget`` is the
    container to ``display``; ``scrubber.image`` and ``scrubber.caption`` what
    it shows. The ``t`` slider snaps to the nearest kept timestep.

    Args:
        model: a class-conditional :class:`~imgsynth_edu.models.diffusion.GaussianDiffusion`
            of images (``pretrained.load("ddpm-mnist")``).
        digit, seed, steps, guidance_scale: the first setting (a class index, the seed of
            ``x_T`` and of DDIM's noise, the number of DDIM steps, ``w``).
        eta: DDIM's ``η`` (default: the model's own, as ``model.sample`` uses).
        max_steps, max_guidance: the ranges of the steps and guidance sliders (default: 100 steps or ``T``
            if smaller, ``w`` up to 6).
        zoom: each pixel of the large pictures is shown ``zoom × zoom`` times.
        strip: at most this many ``x̂_0`` in the strip below.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """

    def __init__(self, model: GaussianDiffusion, *, digit: int = 7, seed: int = 0, steps: int = 20,
                 guidance_scale: float = 1.0, eta: float | None = None, max_steps: int | None = None,
                 max_guidance: float = 6.0, zoom: int = 4, strip: int = 11):
        if not isinstance(model, GaussianDiffusion):
            raise TypeError(f"model must be a GaussianDiffusion (e.g. pretrained.load('ddpm-mnist')), "
                            f"got {type(model).__name__}")
        if len(model.data_shape()) != 3:
            raise ValueError(f"model must make images (C, H, W), it makes data of shape {model.data_shape()}")
        if model.num_classes is None:
            raise ValueError("model must be class-conditional (num_classes set): the scrubber samples a chosen digit")
        self.model = model
        self.T = model.schedule.T
        self.eta = model.eta if eta is None else check_non_negative(eta, "eta")
        self.max_steps = min(100, self.T) if max_steps is None else check_positive_int(max_steps, "max_steps")
        if self.max_steps > self.T:
            raise ValueError(f"max_steps must be at most T={self.T}, got {max_steps}")
        self.max_guidance = check_non_negative(max_guidance, "max_guidance")
        self.zoom = check_positive_int(zoom, "zoom")
        self.strip = check_positive_int(strip, "strip")
        self._check_setting(digit, seed, steps, guidance_scale)
        self._trajectories: dict[tuple, Trajectory] = {}
        self._updating = False
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.controls = {
            "digit": widgets.Dropdown(options=list(range(model.num_classes)), value=digit, description="digit"),
            "seed": widgets.IntSlider(value=seed, min=0, max=max(99, seed), description="seed",
                                      continuous_update=False),
            "steps": widgets.IntSlider(value=steps, min=1, max=self.max_steps, description="DDIM steps",
                                       continuous_update=False),
            "guidance": widgets.FloatSlider(value=float(guidance_scale), min=0.0, max=self.max_guidance, step=0.5,
                                            description="guidance w", continuous_update=False),
            "t": widgets.IntSlider(value=self.T, min=0, max=self.T, description="t", continuous_update=False),
        }
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["digit"], self.controls["seed"]]),
            widgets.HBox([self.controls["steps"], self.controls["guidance"]]),
            self.controls["t"],
            self.caption,
            self.image,
        ])
        self.update()

    # -- the trajectory ------------------------------------------------------------

    def _check_setting(self, digit, seed, steps, guidance_scale) -> None:
        check_choice(digit, "digit", set(range(self.model.num_classes)))
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        check_positive_int(steps, "steps")
        if steps > self.max_steps:
            raise ValueError(f"steps must be at most max_steps={self.max_steps}, got {steps}")
        check_non_negative(guidance_scale, "guidance_scale")
        if guidance_scale > self.max_guidance:
            raise ValueError(f"guidance_scale must be at most max_guidance={self.max_guidance}, got {guidance_scale}")

    def trajectory(self, digit: int, seed: int, steps: int, guidance_scale: float) -> Trajectory:
        """The DDIM trajectory of one sample of ``digit`` for this setting (computed once, then cached)."""
        self._check_setting(digit, seed, steps, guidance_scale)
        key = (digit, seed, steps, float(guidance_scale))
        if key not in self._trajectories:
            noisy, predicted = [], []

            def record(t, xt, x0):  # called by the sampler at every kept timestep, in model space
                noisy.append(xt.detach().cpu())  # (1, C, H, W)
                predicted.append(self.model.from_model_space(x0).detach().cpu())  # (1, C, H, W), [0, 1]

            sample = self.model.sample(1, digit, generator=torch.Generator().manual_seed(seed), steps=steps,
                                       sampler="ddim", guidance_scale=guidance_scale, eta=self.eta,
                                       callback=record).cpu()  # (1, C, H, W)
            noisy.append(self.model.to_model_space(sample))  # t = 0: x_0 is the sample
            predicted.append(sample)
            timesteps = (*ddim_timesteps(self.T, steps), 0)
            self._trajectories[key] = Trajectory(timesteps, torch.cat(noisy), torch.cat(predicted), sample)
        return self._trajectories[key]

    def nearest_timestep(self, t: int, steps: int) -> int:
        """The kept timestep (or 0) of a ``steps``-step DDIM trajectory nearest to ``t`` (ties: the later one)."""
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= self.T:
            raise ValueError(f"t must be an integer in [0, T={self.T}], got {t!r}")
        kept = (*ddim_timesteps(self.T, check_positive_int(steps, "steps")), 0)
        return min(kept, key=lambda value: (abs(value - t), value))

    # -- what is shown ----------------------------------------------------------------

    def _setting(self, digit, seed, steps, guidance_scale) -> tuple[int, int, int, float]:
        return (self.controls["digit"].value if digit is None else digit,
                self.controls["seed"].value if seed is None else seed,
                self.controls["steps"].value if steps is None else steps,
                self.controls["guidance"].value if guidance_scale is None else guidance_scale)

    def render(self, t: int | None = None, digit: int | None = None, seed: int | None = None,
               steps: int | None = None, guidance_scale: float | None = None) -> dict:
        """The picture and caption for these settings (default: the controls').

        Returns ``{"png", "caption", "t", "noisy", "predicted"}``: ``t`` is the
        kept timestep shown (the nearest to the asked ``t``), ``noisy`` is
        ``x_t`` ``(1, C, H, W)`` in model space, ``predicted`` is ``x̂_0``
        ``(1, C, H, W)`` in ``[0, 1]``.
        """
        digit, seed, steps, guidance_scale = self._setting(digit, seed, steps, guidance_scale)
        t = self.controls["t"].value if t is None else t
        path = self.trajectory(digit, seed, steps, guidance_scale)
        shown = self.nearest_timestep(t, steps)
        index = path.timesteps.index(shown)
        noisy, predicted = path.noisy[index : index + 1], path.predicted[index : index + 1]  # (1, C, H, W) each
        grey, saturated = noisy_for_display(noisy)
        top = enlarge(make_grid(torch.cat([grey, predicted]), nrow=2), self.zoom)  # (C, H1, W1): x_t | x̂_0
        picks = self._strip_indices(len(path.timesteps))
        bottom = enlarge(make_grid(path.predicted[picks], nrow=len(picks)), max(1, self.zoom // 2))  # (C, H2, W2)
        canvas = two_rows(top, bottom)  # (C, H1 + 6 + H2, max(W1, W2))
        root_alpha_bar = float(self.model.schedule.alpha_bars[shown].sqrt())
        caption = (f"digit {digit}, seed {seed}, {steps} DDIM steps, guidance w = {float(guidance_scale):.1f} | "
                   f"t = {shown} (step {index} of {steps}), √ᾱ_t = {root_alpha_bar:.3f} | "
                   f"left: x_t ({saturated:.0%} of pixels beyond the grey scale), right: predicted x̂_0 | "
                   f"below: x̂_0 from t = {self.T} to 0")
        return {"png": image_to_png(canvas), "caption": caption, "t": shown, "noisy": noisy,
                "predicted": predicted}

    def _strip_indices(self, count: int) -> list[int]:
        """At most ``strip`` indices of a trajectory of ``count`` entries, evenly spread, first and last included."""
        if count <= self.strip:
            return list(range(count))
        if self.strip == 1:
            return [count - 1]
        return sorted({round(i * (count - 1) / (self.strip - 1)) for i in range(self.strip)})

    def update(self) -> None:
        """Snap the ``t`` slider to a kept timestep, then redraw the picture and the caption."""
        if self._updating:
            return
        snapped = self.nearest_timestep(self.controls["t"].value, self.controls["steps"].value)
        if snapped != self.controls["t"].value:
            self._updating = True  # moving the slider to the kept timestep must not draw twice
            try:
                self.controls["t"].value = snapped
            finally:
                self._updating = False
        show(self.render(), self.image, self.caption)

    def _on_change(self, change) -> None:
        self.update()

    def static_figure(self, digit: int | None = None, seed: int | None = None, steps: int | None = None,
                      guidance_scale: float | None = None, columns: int = 8):
        """The scrubber's picture for the book: ``x_t`` (top row) and ``x̂_0`` (bottom row) at ``columns`` values of ``t``."""
        digit, seed, steps, guidance_scale = self._setting(digit, seed, steps, guidance_scale)
        path = self.trajectory(digit, seed, steps, guidance_scale)
        count = len(path.timesteps)
        picks = sorted({round(i * (count - 1) / max(1, columns - 1)) for i in range(min(columns, count))})
        fig, axes = plt.subplots(2, len(picks), figsize=(1.25 * len(picks), 3.0), squeeze=False)
        for column, index in enumerate(picks):
            grey, _ = noisy_for_display(path.noisy[index : index + 1])  # (1, C, H, W)
            for row, picture in enumerate((grey[0], path.predicted[index])):
                ax = axes[row, column]
                ax.imshow(to_numpy_image(picture), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
            axes[0, column].set_title(f"t = {path.timesteps[index]}", fontsize=8)
        axes[0, 0].set_ylabel("x_t", fontsize=9)
        axes[1, 0].set_ylabel("predicted x̂_0", fontsize=9)
        fig.suptitle(f"one DDIM sample of digit {digit} (seed {seed}, {steps} steps, guidance w = "
                     f"{float(guidance_scale):.1f}): noise to digit, and the model's guess of the end", fontsize=9)
        fig.tight_layout()
        return fig


__all__ = ["DenoisingScrubber", "Trajectory", "noisy_for_display"]
