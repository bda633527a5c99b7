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
import torch

from .._checks import check_images
from ..data.degradations import bicubic_downscale, bicubic_upscale, crop_to_multiple
from ..metrics import psnr, ssim
from ..models.srresnet import upscale_tiled
from ..viz import compare, image_to_png

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
