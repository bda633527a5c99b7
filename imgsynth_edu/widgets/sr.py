"""Lesson 05's widget: wipe between super-resolution results and zoom in, with live PSNR/SSIM.

:class:`SRComparison` shows one image whose left part comes from one method
(say bicubic) and whose right part from another (say SRGAN); a slider moves
the wipe line between them. A movable square marks a zoom region, shown
enlarged for both methods, with the PSNR and SSIM of *that region* against
the ground truth (on the BT.601 luma Y, as SR papers measure):

.. math::
    \\mathrm{PSNR} = 10 \\log_{10} \\frac{1}{\\mathrm{MSE}_Y(\\text{region})}

This is the perception-distortion trade-off (Blau & Michaeli 2018) made
visible: in a textured region SRGAN *looks* closer to the truth than SRResNet
and still scores a lower PSNR, because it invents plausible detail that is
not exactly the true detail.

``comparison.widget`` is the container to ``display``; ``comparison.controls``
maps ``"left"``, ``"right"`` (methods), ``"wipe"``, ``"zoom_x"``, ``"zoom_y"``
and ``"zoom_size"`` to their widgets; ``comparison.images`` holds the
``ipywidgets.Image`` s ``"view"``, ``"zoom_left"``, ``"zoom_right"`` and
``comparison.caption`` the ``HTML`` caption. :meth:`SRComparison.static_figure`
draws every method with the zoom inset and its scores (the book shows it).

Lesson: ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from .._checks import check_images
from ..data.degradations import bicubic_downscale, bicubic_upscale, crop_to_multiple
from ..metrics import psnr, ssim
from ..models.srresnet import interpolate_networks, upscale_tiled
from ..viz import compare, figure_to_png, image_to_png, to_numpy_image

GROUND_TRUTH = "ground truth"
_MIN_ZOOM = 16  # SSIM's 11-pixel window must fit


def _as_batch(image: torch.Tensor, name: str) -> torch.Tensor:
    image = image[None] if image.ndim == 3 else image
    check_images(image, name, channels=(1, 3))
    if image.shape[0] != 1:
        raise ValueError(f"{name} must hold one image, got a batch of {image.shape[0]}")
    return image.detach().cpu().float()


def region_scores(result: torch.Tensor, truth: torch.Tensor, top: int, left: int, size: int) -> dict[str, float]:
    """PSNR (dB) and SSIM of the ``size × size`` region at ``(top, left)``, on Y for RGB images."""
    crop_result = result[..., top : top + size, left : left + size]  # 1×C×size×size
    crop_truth = truth[..., top : top + size, left : left + size]
    y_channel = result.shape[1] == 3
    return {
        "psnr": float(psnr(crop_result, crop_truth, y_channel=y_channel)),
        "ssim": float(ssim(crop_result, crop_truth, y_channel=y_channel)),
    }


class SRComparison:
    """A before/after wipe between SR results, with a movable zoom inset and live region scores.

    Args:
        ground_truth: the high-resolution image, ``C×H×W`` (or ``1×C×H×W``) in ``[0, 1]``.
        results: ``{method name: image of the same shape}``, e.g. bicubic,
            SRResNet and SRGAN outputs. The ground truth is offered as a
            method too (``"ground truth"``).
        left, right: the initial methods on each side of the wipe.
        zoom_size: side of the zoom square in pixels (>= 16).
        zoom_top, zoom_left: its initial position (default: the centre).
        zoom_display: side in pixels of the enlarged zoom views.
    """

    def __init__(
        self,
        ground_truth: torch.Tensor,
        results: Mapping[str, torch.Tensor],
        *,
        left: str | None = None,
        right: str | None = None,
        zoom_size: int = 48,
        zoom_top: int | None = None,
        zoom_left: int | None = None,
        zoom_display: int = 192,
    ):
        self.truth = _as_batch(ground_truth, "ground_truth")
        if not results:
            raise ValueError("results must hold at least one method's image")
        self.results = {}
        for name, image in results.items():
            image = _as_batch(image, f"results[{name!r}]")
            if image.shape != self.truth.shape:
                raise ValueError(
                    f"results[{name!r}] must have the ground truth's shape {tuple(self.truth.shape)}, "
                    f"got {tuple(image.shape)}"
                )
            self.results[name] = image
        self.results[GROUND_TRUTH] = self.truth
        methods = list(self.results)
        left = left or methods[0]
        right = right or methods[min(1, len(methods) - 1)]
        for value, label in ((left, "left"), (right, "right")):
            if value not in self.results:
                raise ValueError(f"{label} must be one of {methods}, got {value!r}")
        height, width = self.truth.shape[-2:]
        if min(height, width) < _MIN_ZOOM:
            raise ValueError(f"ground_truth must be at least {_MIN_ZOOM}×{_MIN_ZOOM} pixels, got {height}×{width}")
        zoom_size = max(_MIN_ZOOM, min(int(zoom_size), height, width))
        zoom_top = (height - zoom_size) // 2 if zoom_top is None else zoom_top
        zoom_left = (width - zoom_size) // 2 if zoom_left is None else zoom_left
        self.zoom_display = int(zoom_display)

        style = {"description_width": "initial"}
        self.controls = {
            "left": widgets.Dropdown(options=methods, value=left, description="left", style=style),
            "right": widgets.Dropdown(options=methods, value=right, description="right", style=style),
            "wipe": widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.01, description="wipe", style=style),
            "zoom_size": widgets.IntSlider(value=zoom_size, min=_MIN_ZOOM, max=min(height, width), step=4,
                                           description="zoom size", style=style),
            "zoom_x": widgets.IntSlider(value=zoom_left, min=0, max=width - _MIN_ZOOM, description="zoom x", style=style),
            "zoom_y": widgets.IntSlider(value=zoom_top, min=0, max=height - _MIN_ZOOM, description="zoom y", style=style),
        }
        self.images = {
            "view": widgets.Image(format="png"),
            "zoom_left": widgets.Image(format="png", width=self.zoom_display, height=self.zoom_display),
            "zoom_right": widgets.Image(format="png", width=self.zoom_display, height=self.zoom_display),
        }
        self.caption = widgets.HTML()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["left"], self.controls["right"], self.controls["wipe"]]),
            widgets.HBox([self.controls["zoom_x"], self.controls["zoom_y"], self.controls["zoom_size"]]),
            widgets.HBox([self.images["view"],
                          widgets.VBox([self.images["zoom_left"], self.images["zoom_right"]])]),
            self.caption,
        ])
        self.update()

    @classmethod
    def from_models(
        cls, ground_truth: torch.Tensor, scale: int, models: Mapping[str, torch.nn.Module], *, tile: int = 128, **kwargs
    ) -> SRComparison:
        """Downscale ``ground_truth`` (MATLAB-like bicubic), restore it with bicubic and each model, compare."""
        truth = crop_to_multiple(_as_batch(ground_truth, "ground_truth"), scale)  # 1×C×H×W
        low_res = bicubic_downscale(truth, scale)  # -> 1×C×(H/s)×(W/s)
        results = {"bicubic": bicubic_upscale(low_res, scale)}
        for name, model in models.items():
            model.eval()
            results[name] = upscale_tiled(model, low_res, scale, tile=tile)  # -> 1×C×H×W
        return cls(truth, results, **kwargs)

    # -- state ---------------------------------------------------------------
    def zoom_region(self) -> tuple[int, int, int]:
        """``(top, left, size)`` of the zoom square, kept inside the image."""
        height, width = self.truth.shape[-2:]
        size = self.controls["zoom_size"].value
        top = min(self.controls["zoom_y"].value, height - size)
        left = min(self.controls["zoom_x"].value, width - size)
        return top, left, size

    def composite(self) -> torch.Tensor:
        """The wiped view: ``left`` method left of the wipe line, ``right`` after it, zoom square outlined."""
        left_image = self.results[self.controls["left"].value]
        right_image = self.results[self.controls["right"].value]
        width = self.truth.shape[-1]
        cut = int(round(self.controls["wipe"].value * width))
        view = torch.cat([left_image[..., :cut], right_image[..., cut:]], dim=-1).clone()  # 1×C×H×W
        colour = torch.tensor([1.0, 0.85, 0.0])[: view.shape[1]].view(1, -1, 1)  # yellow (white for grey)
        if 0 < cut < width:
            view[..., :, cut - 1 : cut + 1] = 1.0  # the wipe line
        top, left, size = self.zoom_region()
        bottom, right = top + size - 1, left + size - 1
        view[..., top, left : right + 1] = colour
        view[..., bottom, left : right + 1] = colour
        view[..., top : bottom + 1, left] = colour
        view[..., top : bottom + 1, right] = colour
        return view

    def scores(self) -> dict[str, dict[str, float]]:
        """Region PSNR/SSIM (Y channel) of every method against the ground truth."""
        top, left, size = self.zoom_region()
        return {name: region_scores(image, self.truth, top, left, size)
                for name, image in self.results.items() if name != GROUND_TRUTH}

    def caption_text(self) -> str:
        top, left, size = self.zoom_region()
        parts = []
        for side in ("left", "right"):
            name = self.controls[side].value
            if name == GROUND_TRUTH:
                parts.append(f"{side}: {name}")
            else:
                score = region_scores(self.results[name], self.truth, top, left, size)
                parts.append(f"{side}: <b>{name}</b> PSNR {score['psnr']:.2f} dB, SSIM {score['ssim']:.3f}")
        return f"zoom {size}×{size} at (x={left}, y={top}), Y channel vs ground truth — " + " | ".join(parts)

    def _zoom(self, image: torch.Tensor) -> torch.Tensor:
        top, left, size = self.zoom_region()
        crop = image[..., top : top + size, left : left + size]  # 1×C×size×size
        factor = max(1, self.zoom_display // size)
        return crop.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)  # nearest enlargement

    def update(self) -> None:
        """Redraw the view, the two zooms and the caption from the controls."""
        self.images["view"].value = image_to_png(self.composite())
        self.images["zoom_left"].value = image_to_png(self._zoom(self.results[self.controls["left"].value]))
        self.images["zoom_right"].value = image_to_png(self._zoom(self.results[self.controls["right"].value]))
        self.caption.value = self.caption_text()

    def _on_change(self, change) -> None:
        height, width = self.truth.shape[-2:]
        if change["owner"] is self.controls["zoom_size"]:  # keep the square inside the image
            size = change["new"]
            self.controls["zoom_x"].max = width - size
            self.controls["zoom_y"].max = height - size
        self.update()

    # -- static ----------------------------------------------------------------
    def static_figure(self, size: float = 3.0):
        """Every method and the ground truth side by side, the zoom region enlarged, with its scores."""
        top, left, zoom = self.zoom_region()
        scores = self.scores()
        images = {name: image[0] for name, image in self.results.items()}
        captions = {name: f"zoom: {s['psnr']:.2f} dB / SSIM {s['ssim']:.3f}" for name, s in scores.items()}
        return compare(images, captions, zoom=(top, left, zoom, zoom), size=size,
                       suptitle="Region scores on Y vs ground truth (higher = closer in pixels, not = sharper)")


# ----------------------------------------------------------------------------
# Network interpolation: a slider between SRResNet and SRGAN
# ----------------------------------------------------------------------------
def plot_perception_distortion(curve, references=None, current=None, ax=None):
    """The perception-distortion plane (Blau & Michaeli 2018): Y-PSNR across, NIQE up, both measured.

    ``curve`` is a sequence of ``{"alpha", "psnr_y", "niqe"}`` (network
    interpolation from SRResNet, ``α = 0``, to SRGAN, ``α = 1``), drawn as a
    line with its ends labelled; ``references`` maps other methods (bicubic,
    say) to ``{"psnr_y", "niqe"}`` points; ``current`` is the ``α`` to mark.
    Distortion improves to the right (higher PSNR), perception improves
    downwards (lower NIQE): the best corner is bottom right, and the trade-off
    is that no method reaches it. Returns the axes.

    Lesson: ``05_super_resolution.ipynb``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 3.8))
    psnrs = [point["psnr_y"] for point in curve]
    niqes = [point["niqe"] for point in curve]
    ax.plot(psnrs, niqes, "-o", color="C0", ms=4, label="SRResNet → SRGAN (α)")
    ax.annotate("SRResNet (α = 0)", (psnrs[0], niqes[0]), textcoords="offset points", xytext=(-10, 8),
                fontsize=8, ha="right")
    ax.annotate("SRGAN (α = 1)", (psnrs[-1], niqes[-1]), textcoords="offset points", xytext=(6, -12), fontsize=8)
    for index, (name, point) in enumerate((references or {}).items()):
        ax.plot(point["psnr_y"], point["niqe"], "s", color=f"C{index + 2}", ms=7, label=name)
    if current is not None:
        point = min(curve, key=lambda p: abs(p["alpha"] - current))
        ax.plot(point["psnr_y"], point["niqe"], "*", color="C3", ms=16, label=f"α = {point['alpha']:.2f}", zorder=5)
    ax.set_xlabel("distortion: Y-PSNR (dB), better →")
    ax.set_ylabel("perception: NIQE, better ↓")
    ax.set_title("perception-distortion plane (held-out photos)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return ax


class NetworkInterpolation:
    """A slider ``α`` that blends SRResNet into SRGAN (ESRGAN's network interpolation), picture and plane.

    .. math::
        \\theta(\\alpha) = (1 - \\alpha)\\,\\theta_{\\mathrm{SRResNet}} + \\alpha\\,\\theta_{\\mathrm{SRGAN}}

    (Wang et al. 2018, ESRGAN, Sec. 3.4; :func:`~imgsynth_edu.models.srresnet.interpolate_networks`).
    Moving the slider restores ``ground_truth``'s bicubic downscale with the
    blended network and shows the result next to the truth, and moves the
    marked point along the *measured* curve in the perception-distortion plane.

    Args:
        psnr_model: the network trained for PSNR (``srresnet-x4``).
        gan_model: the same architecture fine-tuned adversarially from it (``srgan-x4``).
        ground_truth: the picture to show, ``C×H×W`` (or ``1×C×H×W``) in ``[0, 1]``.
        scale: the models' scale factor.
        curve: the measured points, ``[{"alpha", "psnr_y", "niqe"}, ...]`` at
            evenly spaced ``α`` from 0 to 1 (the slider steps between them), as
            :func:`imgsynth_edu.evaluation.perception_distortion_curve` returns.
        references: other methods' points ``{name: {"psnr_y", "niqe"}}`` (bicubic).
        alpha: the initial ``α`` (one of the curve's).
        zoom: each pixel of the pictures is shown ``zoom × zoom`` times.

    ``widget.widget`` is the container to ``display``; ``widget.controls["alpha"]``
    the slider; ``widget.images["picture"]`` and ``widget.images["plane"]`` the
    two ``ipywidgets.Image`` s; ``widget.caption`` the ``HTML`` line with the
    point's scores. :meth:`static_figure` draws the same for the book.

    Lesson: ``05_super_resolution.ipynb``.
    """

    def __init__(self, psnr_model: torch.nn.Module, gan_model: torch.nn.Module, ground_truth: torch.Tensor,
                 scale: int, curve, *, references: Mapping[str, Mapping[str, float]] | None = None,
                 alpha: float = 0.0, zoom: int = 2):

        self.truth = crop_to_multiple(_as_batch(ground_truth, "ground_truth"), scale)  # 1×C×H×W
        self.low_res = bicubic_downscale(self.truth, scale)  # 1×C×(H/s)×(W/s)
        self.scale = scale
        self.curve = self._check_curve(curve)
        self.alphas = [point["alpha"] for point in self.curve]
        self.references = dict(references or {})
        self.psnr_model, self.gan_model = psnr_model.eval(), gan_model.eval()
        if isinstance(zoom, bool) or not isinstance(zoom, int) or zoom < 1:
            raise ValueError(f"zoom must be a positive int, got {zoom!r}")
        self.zoom = zoom
        self._pictures: dict[float, torch.Tensor] = {}
        step = self.alphas[1] - self.alphas[0]
        self.controls = {"alpha": widgets.FloatSlider(
            value=self._nearest(alpha), min=0.0, max=1.0, step=round(step, 6), readout_format=".2f",
            description="α (SRResNet → SRGAN)", continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"))}
        self.images = {"picture": widgets.Image(format="png"), "plane": widgets.Image(format="png")}
        self.caption = widgets.HTML()
        self.controls["alpha"].observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            self.controls["alpha"],
            widgets.HBox([self.images["picture"], self.images["plane"]]),
            self.caption,
        ])
        self.update()

    @staticmethod
    def _check_curve(curve) -> list[dict]:
        points = sorted((dict(point) for point in curve), key=lambda point: point["alpha"])
        if len(points) < 2:
            raise ValueError("curve must hold at least two measured points (α = 0 and α = 1)")
        for point in points:
            missing = {"alpha", "psnr_y", "niqe"} - set(point)
            if missing:
                raise ValueError(f"every point of curve needs 'alpha', 'psnr_y' and 'niqe'; one lacks {sorted(missing)}")
        alphas = [point["alpha"] for point in points]
        if abs(alphas[0]) > 1e-9 or abs(alphas[-1] - 1) > 1e-9:
            raise ValueError(f"curve must run from α = 0 to α = 1, got {alphas[0]} to {alphas[-1]}")
        steps = [b - a for a, b in zip(alphas, alphas[1:])]
        if max(steps) - min(steps) > 1e-6:
            raise ValueError(f"curve's α must be evenly spaced (the slider steps between them), got {alphas}")
        return points

    def _nearest(self, alpha: float) -> float:
        return min(self.alphas, key=lambda value: abs(value - alpha))

    # -- what is shown -------------------------------------------------------------
    def point(self, alpha: float | None = None) -> dict:
        """The measured ``{"alpha", "psnr_y", "niqe"}`` nearest to ``alpha`` (default: the slider's)."""
        alpha = self.controls["alpha"].value if alpha is None else alpha
        nearest = self._nearest(alpha)
        return next(point for point in self.curve if point["alpha"] == nearest)

    def picture(self, alpha: float) -> torch.Tensor:
        """The blended network's restoration of the picture, ``1×C×H×W`` in ``[0, 1]`` (cached per α)."""

        alpha = self._nearest(alpha)
        if alpha not in self._pictures:
            blended = interpolate_networks(self.psnr_model, self.gan_model, alpha)
            self._pictures[alpha] = upscale_tiled(blended, self.low_res, self.scale, tile=128).cpu()
        return self._pictures[alpha]

    def caption_text(self, alpha: float | None = None) -> str:
        point = self.point(alpha)
        return (f"α = {point['alpha']:.2f}: Y-PSNR {point['psnr_y']:.2f} dB, NIQE {point['niqe']:.2f} "
                f"(measured on the held-out photos; lower NIQE = more natural statistics)")

    def _side_by_side(self, alpha: float) -> torch.Tensor:
        gap = torch.ones(*self.truth.shape[:3], 4)  # a white 4-pixel gap, 1×C×H×4
        both = torch.cat([self.picture(alpha), gap, self.truth], dim=-1)  # 1×C×H×(2W+4)
        return both.repeat_interleave(self.zoom, dim=-2).repeat_interleave(self.zoom, dim=-1)

    def update(self) -> None:
        """Redraw the picture, the plane and the caption for the slider's α."""
        alpha = self._nearest(self.controls["alpha"].value)
        self.images["picture"].value = image_to_png(self._side_by_side(alpha))
        figure, ax = plt.subplots(figsize=(4.6, 3.8))
        plot_perception_distortion(self.curve, self.references, current=alpha, ax=ax)
        figure.tight_layout()
        self.images["plane"].value = figure_to_png(figure)
        self.caption.value = f"restored (left) and ground truth (right) | {self.caption_text(alpha)}"

    def _on_change(self, change) -> None:
        self.update()

    def static_figure(self, alphas=(0.0, 0.5, 1.0), size: float = 2.6):
        """The picture at a few ``α`` next to bicubic and the truth, and the plane with every point (a figure)."""

        panels = {"bicubic": bicubic_upscale(self.low_res, self.scale)}
        for alpha in alphas:
            point = self.point(alpha)
            panels[f"α = {point['alpha']:.2f}\n{point['psnr_y']:.2f} dB, NIQE {point['niqe']:.2f}"] = \
                self.picture(point["alpha"])
        panels["ground truth"] = self.truth
        figure = plt.figure(figsize=(size * (len(panels) + 1.8), size * 1.25))
        grid = figure.add_gridspec(1, len(panels) + 2)
        for index, (title, image) in enumerate(panels.items()):
            ax = figure.add_subplot(grid[0, index])
            ax.imshow(to_numpy_image(image[0]), interpolation="nearest")
            ax.set_title(title, fontsize=8)
            ax.axis("off")
        plane = figure.add_subplot(grid[0, len(panels):])
        plot_perception_distortion(self.curve, self.references, ax=plane)
        for alpha in alphas:
            point = self.point(alpha)
            plane.annotate(f"{point['alpha']:.2f}", (point["psnr_y"], point["niqe"]), textcoords="offset points",
                           xytext=(4, 4), fontsize=7)
        figure.suptitle("Network interpolation θ = (1 − α)·θ_SRResNet + α·θ_SRGAN", fontsize=10)
        figure.tight_layout()
        return figure
