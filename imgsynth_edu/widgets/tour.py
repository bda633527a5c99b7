"""The tour's widget: pick a photograph and a degradation, move a slider, see what it does.

:class:`DegradationExplorer` shows a bundled photograph (see
:mod:`imgsynth_edu.data.photos`) beside a degraded copy and a caption that
states the degradation, its parameter and the PSNR between the two:

.. math::
    \\mathrm{PSNR}(x, y) = 10 \\log_{10} \\frac{1}{\\mathrm{MSE}(x, y)}
    \\quad\\text{(images in } [0, 1]\\text{, so the peak is 1)}

The degradations are those of :mod:`imgsynth_edu.data.degradations`, applied
one at a time by :func:`imgsynth_edu.data.degrade`:

===================  =============================  ====================================
name                 parameter (slider)             what it models
===================  =============================  ====================================
gaussian blur        ``sigma`` in pixels            an out-of-focus or shaken lens
gaussian noise       ``sigma`` on the [0, 1] scale  read noise of the sensor electronics
poisson noise        ``peak`` photons for white     shot noise: light arrives in photons
JPEG                 ``quality`` 1-100              compression artefacts (8×8 blocks)
bicubic down+up      ``scale`` 2, 3 or 4            what super-resolution must undo
===================  =============================  ====================================

One slider (``strength``) drives whichever degradation is selected: its
description, range and readout change with the degradation. ``seed`` only
matters for the two noises. Everything the widget shows is also available
without a front end: :meth:`DegradationExplorer.render` returns the pictures
and the caption, :meth:`DegradationExplorer.static_figure` draws every
degradation at two strengths as a matplotlib figure (the book shows it).

Lesson: ``00_tour.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from .._checks import check_choice
from ..data import degrade, load_photo, photo_names
from ..metrics import psnr
from ..viz import identical_at_8_bits, image_to_png, psnr_text, to_numpy_image
from .common import working_copy


def _psnr(reference: torch.Tensor, degraded: torch.Tensor) -> float:
    """PSNR in dB of ``degraded`` against ``reference`` (:func:`imgsynth_edu.metrics.psnr`)."""
    return float(psnr(degraded, reference))


@dataclass(frozen=True)
class DegradationSpec:
    """One degradation: the keyword of :func:`imgsynth_edu.data.degrade` it sets, its slider
    (label, range, default), whether it is random, and two strengths (mild, strong) for the
    static figure."""

    keyword: str
    integer: bool
    parameter: str
    label: str
    minimum: float
    maximum: float
    step: float
    default: float
    readout_format: str
    random: bool
    figure_strengths: tuple[float, float]
    unit: str = ""


#: The degradations of the explorer, in menu order.
DEGRADATIONS: dict[str, DegradationSpec] = {
    "gaussian blur": DegradationSpec("blur", False, "sigma", "blur σ (px)", 0.0, 5.0, 0.1, 1.5, ".1f", False,
                                     (1.0, 3.0), " px"),
    "gaussian noise": DegradationSpec("noise", False, "sigma", "noise σ", 0.0, 0.3, 0.01, 0.05, ".2f", True,
                                      (0.03, 0.15)),
    "poisson noise": DegradationSpec("photons", False, "peak", "photons (peak)", 1.0, 1000.0, 1.0, 50.0, ".0f", True,
                                     (500.0, 10.0)),
    "JPEG": DegradationSpec("jpeg", True, "quality", "JPEG quality", 1.0, 95.0, 1.0, 20.0, ".0f", False, (30.0, 5.0)),
    "bicubic down+up": DegradationSpec("scale", True, "scale", "scale ×", 2.0, 4.0, 1.0, 2.0, ".0f", False,
                                       (2.0, 4.0)),
}


def apply_degradation(image: torch.Tensor, degradation: str, strength: float, seed: int = 0) -> torch.Tensor:
    """Apply one named degradation of :data:`DEGRADATIONS` at ``strength`` to ``image`` (``N×C×H×W`` in ``[0, 1]``).

    ``strength`` is that degradation's parameter (blur ``sigma`` in pixels, noise
    ``sigma``, Poisson ``peak``, JPEG ``quality``, bicubic ``scale``) and must lie
    in the slider's range; the work is done by :func:`imgsynth_edu.data.degrade`
    with that one keyword (``seed`` seeds the random ones). "bicubic down+up"
    shrinks by ``scale`` and enlarges back with the same MATLAB-like bicubic, so
    the result has the input's size and shows exactly the detail that is lost.

    Lesson: ``00_tour.ipynb``.
    """
    check_choice(degradation, "degradation", set(DEGRADATIONS))
    spec = DEGRADATIONS[degradation]
    if not spec.minimum <= strength <= spec.maximum:
        raise ValueError(
            f"strength for {degradation!r} ({spec.parameter}) must lie in "
            f"[{spec.minimum:g}, {spec.maximum:g}], got {strength!r}"
        )
    value = int(round(strength)) if spec.integer else float(strength)
    return degrade(image, **{spec.keyword: value}, seed=seed)


def describe(degradation: str, strength: float, seed: int | None = None) -> str:
    """A short human-readable statement of the degradation and its parameter."""
    spec = DEGRADATIONS[degradation]
    value = format(strength, spec.readout_format)
    text = f"{degradation}, {spec.parameter} = {value}{spec.unit}"
    if spec.random and seed is not None:
        text += f", seed {seed}"
    return text


class DegradationExplorer:
    """Pick a bundled photograph and a degradation; see the original, the degraded copy and the PSNR.

    ``explorer.widget`` is the container to ``display``; ``explorer.controls``
    maps ``"photo"``, ``"degradation"``, ``"strength"`` and ``"seed"`` to their
    widgets (tests and browser tests drive them); ``explorer.images`` holds
    the two ``ipywidgets.Image`` (``"original"``, ``"degraded"``) and
    ``explorer.caption`` the ``HTML`` caption.

    Args:
        photos: photograph names to offer (default: all bundled photographs,
            :func:`imgsynth_edu.data.photo_names`).
        size: side of the square working copy in pixels (a multiple of 12).
        zoom: each pixel is shown as ``zoom × zoom`` screen pixels (nearest neighbour,
            so noise and JPEG blocks stay sharp).
        photo, degradation, strength, seed: the initial choices (strength
            defaults to the degradation's default).
    """

    def __init__(
        self,
        photos: Sequence[str] | None = None,
        *,
        size: int = 192,
        zoom: int = 2,
        photo: str | None = None,
        degradation: str = "gaussian blur",
        strength: float | None = None,
        seed: int = 0,
    ):
        self.photos = tuple(photos) if photos is not None else photo_names("all")
        if not self.photos:
            raise ValueError("photos must name at least one photograph")
        for name in self.photos:
            check_choice(name, "photos", set(photo_names("all")))
        check_choice(degradation, "degradation", set(DEGRADATIONS))
        if size % 12 or size < 12:
            raise ValueError(f"size must be a positive multiple of 12, got {size!r}")
        photo = photo if photo is not None else ("astronaut" if "astronaut" in self.photos else self.photos[0])
        check_choice(photo, "photo", set(self.photos))
        if isinstance(zoom, bool) or not isinstance(zoom, int) or zoom < 1:
            raise ValueError(f"zoom must be a positive int, got {zoom!r}")
        self.size = size
        self.zoom = zoom
        self._cache: dict[str, torch.Tensor] = {}
        spec = DEGRADATIONS[degradation]

        self.controls = {
            "photo": widgets.Dropdown(options=list(self.photos), value=photo, description="photo"),
            "degradation": widgets.Dropdown(options=list(DEGRADATIONS), value=degradation, description="degradation"),
            "strength": widgets.FloatSlider(
                value=spec.default, min=spec.minimum, max=spec.maximum, step=spec.step,
                description=spec.label, readout_format=spec.readout_format, continuous_update=False,
                style={"description_width": "initial"},
            ),
            "seed": widgets.IntSlider(value=seed, min=0, max=20, description="seed", continuous_update=False),
        }
        self.images = {
            "original": widgets.Image(format="png", layout=widgets.Layout(width=f"{zoom * size}px")),
            "degraded": widgets.Image(format="png", layout=widgets.Layout(width=f"{zoom * size}px")),
        }
        self.titles = {"original": widgets.HTML("<b>original</b>"), "degraded": widgets.HTML("<b>degraded</b>")}
        self.caption = widgets.HTML()
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["photo"], self.controls["degradation"]]),
            widgets.HBox([self.controls["strength"], self.controls["seed"]]),
            widgets.HBox([
                widgets.VBox([self.titles["original"], self.images["original"]]),
                widgets.VBox([self.titles["degraded"], self.images["degraded"]]),
            ]),
            self.caption,
        ])
        self._updating = False
        self.controls["degradation"].observe(self._on_degradation, names="value")
        for name in ("photo", "strength", "seed"):
            self.controls[name].observe(self._on_change, names="value")
        if strength is not None:
            self.controls["strength"].value = strength
        self._sync_seed()
        self.update()

    # -- the computation (no front end needed) ---------------------------------------------
    def photo(self, name: str) -> torch.Tensor:
        """The ``1×3×size×size`` working copy of photograph ``name`` (cached)."""
        if name not in self._cache:
            self._cache[name] = working_copy(load_photo(name), self.size)
        return self._cache[name]

    def render(self, photo: str, degradation: str, strength: float, seed: int = 0) -> dict:
        """Original, degraded, PSNR and caption text for one choice (what the widget shows)."""
        original = self.photo(photo)
        degraded = apply_degradation(original, degradation, strength, seed)
        score = _psnr(original, degraded)
        score_text = psnr_text(score, identical_at_8_bits(degraded, original))
        spec = DEGRADATIONS[degradation]
        caption = f"{photo}: {describe(degradation, strength, seed if spec.random else None)} | PSNR {score_text}"
        return {"original": original, "degraded": degraded, "psnr": score, "caption": caption}

    # -- the widget --------------------------------------------------------------------------
    def update(self) -> None:
        """Recompute the degraded picture and the caption from the controls."""
        result = self.render(
            self.controls["photo"].value, self.controls["degradation"].value,
            self.controls["strength"].value, self.controls["seed"].value,
        )
        self.images["original"].value = image_to_png(result["original"], self.zoom)
        self.images["degraded"].value = image_to_png(result["degraded"], self.zoom)
        self.caption.value = f"<p style='font-size:110%'>{result['caption']}</p>"
        self.last = result

    def _on_change(self, change) -> None:
        if not self._updating:
            self.update()

    def _on_degradation(self, change) -> None:
        """Re-label and re-range the strength slider for the new degradation, then redraw once."""
        spec = DEGRADATIONS[change["new"]]
        slider = self.controls["strength"]
        self._updating = True
        try:  # widen, set, narrow: min never exceeds max on the way
            slider.max = max(slider.max, spec.maximum)
            slider.min = min(slider.min, spec.minimum)
            slider.value = spec.default
            slider.min, slider.max = spec.minimum, spec.maximum
            slider.step = spec.step
            slider.readout_format = spec.readout_format
            slider.description = spec.label
            self._sync_seed()
        finally:
            self._updating = False
        self.update()

    def _sync_seed(self) -> None:
        self.controls["seed"].disabled = not DEGRADATIONS[self.controls["degradation"].value].random

    # -- the static figure -------------------------------------------------------------------
    def static_figure(self, photo: str | None = None, degradations: Sequence[str] | None = None, seed: int = 0):
        """Every degradation at a mild and a strong setting, with PSNR captions (a matplotlib figure).

        Rows are degradations, columns are: the original, the mild and the strong
        setting (:attr:`DegradationSpec.figure_strengths`). This is what the
        widget shows, for a reader without a live kernel.
        """
        photo = photo if photo is not None else self.controls["photo"].value
        check_choice(photo, "photo", set(self.photos))
        degradations = list(degradations) if degradations is not None else list(DEGRADATIONS)
        for name in degradations:
            check_choice(name, "degradations", set(DEGRADATIONS))
        original = self.photo(photo)
        fig, axes = plt.subplots(len(degradations), 3, figsize=(5.2, 1.8 * len(degradations)), squeeze=False)
        for row, name in enumerate(degradations):
            axes[row, 0].imshow(to_numpy_image(original), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axes[row, 0].set_ylabel(name, fontsize=11)
            axes[row, 0].set_title("original" if row == 0 else "", fontsize=10)
            for col, strength in enumerate(DEGRADATIONS[name].figure_strengths, start=1):
                result = self.render(photo, name, strength, seed)
                axes[row, col].imshow(to_numpy_image(result["degraded"]), cmap="gray", vmin=0, vmax=1,
                                      interpolation="nearest")
                spec = DEGRADATIONS[name]
                score_text = psnr_text(result["psnr"], identical_at_8_bits(result["degraded"], result["original"]), 1)
                axes[row, col].set_title(
                    f"{spec.parameter} = {format(strength, spec.readout_format)}{spec.unit}\nPSNR {score_text}",
                    fontsize=8,
                )
            for ax in axes[row]:
                ax.set_xticks([])
                ax.set_yticks([])
        fig.suptitle(f"Degradations of '{photo}' (mild, strong)", fontsize=12)
        fig.tight_layout()
        return fig
