"""The quality playground of lesson 04: degrade a photograph, watch PSNR, SSIM and MS-SSIM react.

:class:`QualityPlayground` applies up to five degradations to a bundled
photograph, in this order (with :func:`imgsynth_edu.data.degrade`), and shows the original, the result and the three
full-reference scores (:mod:`imgsynth_edu.metrics.image`) of the result
against the original:

====================  ==========================  ==============================================
control               parameter                   what to look for
====================  ==========================  ==============================================
``blur σ (px)``       Gaussian blur sigma         soft edges: SSIM falls with the lost detail
``noise σ``           Gaussian noise sigma        grain: SSIM falls fast (local structure is lost)
``JPEG quality``      1-100, ``0`` means off      8×8 blocks and ringing at low quality
``shift (px)``        horizontal shift            invisible to the eye; PSNR and SSIM both fall
``brightness``        -0.3 to 0.3                 the eye barely minds; PSNR falls, SSIM far less
====================  ==========================  ==============================================

Brightness ``b > 0`` moves every pixel the fraction ``b`` of the way to
white (``x + b(1 - x)``), ``b < 0`` the fraction ``|b|`` to black
(``x(1 + b)``): the result stays in ``[0, 1]`` without clipping
(:func:`imgsynth_edu.data.change_brightness`). The shift moves the image ``s``
pixels right, repeating the first column (:func:`imgsynth_edu.data.shift_right`).

:meth:`QualityPlayground.render` computes what the widget shows without a
front end; :meth:`QualityPlayground.static_figure` draws each degradation
alone with its three scores (the book shows it).

Lesson: ``04_measuring_quality.ipynb``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from .._checks import check_choice
from ..data import degrade, load_photo, photo_names
from ..metrics import ms_ssim, psnr, ssim
from ..viz import identical_at_8_bits, image_to_png, psnr_text, to_numpy_image
from .common import working_copy

#: The controls' (label, minimum, maximum, step, neutral value), in the order they are applied.
SETTINGS = {
    "blur": ("blur σ (px)", 0.0, 4.0, 0.1, 0.0),
    "noise": ("noise σ", 0.0, 0.2, 0.005, 0.0),
    "jpeg": ("JPEG quality", 0, 100, 1, 0),
    "shift": ("shift (px)", 0, 4, 1, 0),
    "brightness": ("brightness", -0.3, 0.3, 0.01, 0.0),
}


def check_settings(settings: dict) -> dict:
    """Raise unless every setting is a control of :data:`SETTINGS` with a value inside the slider's range.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    for name, value in settings.items():
        check_choice(name, "setting", set(SETTINGS))
        _, low, high, _, _ = SETTINGS[name]
        if not low <= value <= high:
            raise ValueError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return settings


def scores(degraded: torch.Tensor, original: torch.Tensor) -> dict[str, float]:
    """PSNR (dB), SSIM and MS-SSIM of ``degraded`` against ``original`` (MS-SSIM needs ≥ 161 px).

    ``"identical"`` says whether no 8-bit pixel changed (:func:`~imgsynth_edu.viz.identical_at_8_bits`).
    """
    return {
        "psnr": float(psnr(degraded, original)),
        "ssim": float(ssim(degraded, original)),
        "ms_ssim": float(ms_ssim(degraded, original)),
        "identical": identical_at_8_bits(degraded, original),
    }


def format_scores(values: dict[str, float]) -> str:
    """``PSNR 27.31 dB | SSIM 0.8123 | MS-SSIM 0.9512``; ``PSNR ∞ (identical)`` when no 8-bit pixel changed."""
    text = psnr_text(values["psnr"], values.get("identical", False))
    return f"PSNR {text} | SSIM {values['ssim']:.4f} | MS-SSIM {values['ms_ssim']:.4f}"


class QualityPlayground:
    """Sliders for blur, noise, JPEG quality, a pixel shift and brightness, with live PSNR/SSIM/MS-SSIM.

    ``playground.widget`` is the container to ``display``; ``playground.controls``
    maps ``"photo"``, ``"blur"``, ``"noise"``, ``"jpeg"``, ``"shift"`` and
    ``"brightness"`` to their widgets; ``playground.images`` holds the two
    ``ipywidgets.Image`` and ``playground.caption`` the ``HTML`` caption with
    the scores. ``size`` (a multiple of 12, at least 168 so that MS-SSIM's five
    scales fit) is the side of the square working copy of the photograph.
    """

    def __init__(self, photos: Sequence[str] | None = None, *, size: int = 192, photo: str | None = None,
                 seed: int = 0):
        self.photos = tuple(photos) if photos is not None else photo_names("all")
        if not self.photos:
            raise ValueError("photos must name at least one photograph")
        for name in self.photos:
            check_choice(name, "photos", set(photo_names("all")))
        if size % 12 or size < 168:
            raise ValueError(f"size must be a multiple of 12 and at least 168 (MS-SSIM needs 161 px), got {size!r}")
        photo = photo if photo is not None else ("astronaut" if "astronaut" in self.photos else self.photos[0])
        check_choice(photo, "photo", set(self.photos))
        self.size, self.seed = size, seed
        self._cache: dict[str, torch.Tensor] = {}
        self.controls = {"photo": widgets.Dropdown(options=list(self.photos), value=photo, description="photo")}
        for name, (label, low, high, step, neutral) in SETTINGS.items():
            slider = widgets.IntSlider if isinstance(step, int) else widgets.FloatSlider
            self.controls[name] = slider(value=neutral, min=low, max=high, step=step, description=label,
                                         continuous_update=False, style={"description_width": "initial"})
        self.images = {
            "original": widgets.Image(format="png", layout=widgets.Layout(width=f"{2 * size}px")),
            "degraded": widgets.Image(format="png", layout=widgets.Layout(width=f"{2 * size}px")),
        }
        self.caption = widgets.HTML()
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["photo"], self.controls["blur"], self.controls["noise"]]),
            widgets.HBox([self.controls["jpeg"], self.controls["shift"], self.controls["brightness"]]),
            widgets.HBox([
                widgets.VBox([widgets.HTML("<b>original</b>"), self.images["original"]]),
                widgets.VBox([widgets.HTML("<b>degraded</b>"), self.images["degraded"]]),
            ]),
            self.caption,
        ])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def photo(self, name: str) -> torch.Tensor:
        """The ``1×3×size×size`` working copy of photograph ``name`` (cached)."""
        if name not in self._cache:
            self._cache[name] = working_copy(load_photo(name), self.size)
        return self._cache[name]

    def settings(self) -> dict:
        """The current degradation settings, read from the controls."""
        return {name: self.controls[name].value for name in SETTINGS}

    def render(self, photo: str, **settings) -> dict:
        """Original, degraded, scores and caption text for one choice (what the widget shows)."""
        original = self.photo(photo)
        degraded = degrade(original, seed=self.seed, **check_settings(settings))
        values = scores(degraded, original)
        return {"original": original, "degraded": degraded, "scores": values,
                "caption": f"{photo}: {format_scores(values)}"}

    def update(self) -> None:
        """Recompute the degraded picture and the scores from the controls."""
        result = self.render(self.controls["photo"].value, **self.settings())
        self.images["original"].value = image_to_png(result["original"])
        self.images["degraded"].value = image_to_png(result["degraded"])
        self.caption.value = f"<p style='font-size:110%'>{result['caption']}</p>"
        self.last = result

    def _on_change(self, change) -> None:
        self.update()

    def static_figure(self, photo: str | None = None, examples: Sequence[tuple[str, dict]] | None = None):
        """Each degradation alone, with its PSNR / SSIM / MS-SSIM in the title (a matplotlib figure)."""
        photo = photo if photo is not None else self.controls["photo"].value
        check_choice(photo, "photo", set(self.photos))
        examples = list(examples) if examples is not None else [
            ("original", {}),
            ("blur σ = 1.5", {"blur": 1.5}),
            ("noise σ = 0.05", {"noise": 0.05}),
            ("JPEG quality 10", {"jpeg": 10}),
            ("shift 1 px", {"shift": 1}),
            ("brightness +0.1", {"brightness": 0.1}),
        ]
        columns = 3
        rows = math.ceil(len(examples) / columns)
        fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 4.0 * rows), squeeze=False)
        for ax, (title, settings) in zip(axes.flat, examples):
            result = self.render(photo, **settings)
            values = result["scores"]
            score_text = psnr_text(values["psnr"], values["identical"], decimals=1)
            ax.imshow(to_numpy_image(result["degraded"]), interpolation="nearest")
            ax.set_title(f"{title}\nPSNR {score_text}  SSIM {values['ssim']:.3f}\nMS-SSIM {values['ms_ssim']:.3f}",
                         fontsize=9)
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
            if not ax.images:
                ax.axis("off")
        fig.suptitle(f"One degradation at a time ('{photo}')", fontsize=12)
        fig.tight_layout()
        return fig
