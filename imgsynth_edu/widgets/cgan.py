"""Lesson 03's widgets: steer a conditional generator by its label, and paint holes for it to fill.

* :class:`ClassPicker` - a class-conditional generator ``G(z, y)``. Mode
  ``"digit"``: pick a digit and a seed, see eight samples of that digit (the
  label fixes *what* is drawn, the noise varies *how*). Mode ``"noise row"``:
  the same noise vectors ``z`` (rows, from the seed) drawn as every class
  (columns): style stays along a row, content changes along it.
* :class:`InpaintingPainter` - pick an image, a mask kind, its size and
  position; see the masked input, the GAN's fill, the biharmonic baseline's
  fill (:func:`imgsynth_edu.classical.inpaint_biharmonic`) and the truth, with the
  PSNR inside the hole for both methods.

Both work without a front end: :meth:`render` returns what the widget shows,
:meth:`static_figure` draws the lesson's figure with matplotlib.

Lesson: ``03_conditional_gan.ipynb``.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from .._checks import check_images
from ..classical import inpaint_biharmonic
from ..data.masks import apply_masks, centre_box_masks, free_form_masks, random_box_masks
from ..metrics.conditional import hole_psnr
from ..viz import image_to_png, make_grid


class ClassPicker:
    """Choose a digit and a seed (or see one noise row across all classes) of a class-conditional generator.

    ``picker.widget`` is the container to ``display``; ``picker.controls``
    maps ``"mode"``, ``"digit"`` and ``"seed"`` to their widgets;
    ``picker.image`` is the ``ipywidgets.Image`` and ``picker.caption`` the
    ``HTML`` caption. The generator needs ``sample(n, labels, generator)`` and
    ``num_classes`` (e.g. ``pretrained.load("cgan-mnist")``).

    Args:
        generator: the class-conditional generator.
        class_names: names of the classes for captions (default ``"0"``, ``"1"``, ...).
        n_samples: samples shown in ``"digit"`` mode; rows of noise in ``"noise row"`` mode: 3.
    """

    MODES = ("digit", "noise row")

    def __init__(self, generator, class_names=None, *, n_samples: int = 8, zoom: int = 3):
        if not hasattr(generator, "sample") or not hasattr(generator, "num_classes"):
            raise TypeError("generator must be class-conditional: it needs sample(...) and num_classes")
        self.generator = generator
        self.num_classes = generator.num_classes
        self.class_names = tuple(class_names) if class_names is not None else tuple(map(str, range(self.num_classes)))
        if len(self.class_names) != self.num_classes:
            raise ValueError(f"class_names must name {self.num_classes} classes, got {len(self.class_names)}")
        self.n_samples, self.zoom = n_samples, zoom
        self.controls = {
            "mode": widgets.ToggleButtons(options=list(self.MODES), value="digit", description="show"),
            "digit": widgets.IntSlider(value=7 % self.num_classes, min=0, max=self.num_classes - 1,
                                       description="digit", continuous_update=False),
            "seed": widgets.IntSlider(value=0, min=0, max=99, description="seed", continuous_update=False),
        }
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.widget = widgets.VBox([self.controls["mode"],
                                    widgets.HBox([self.controls["digit"], self.controls["seed"]]),
                                    self.image, self.caption])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def render(self, mode: str, digit: int, seed: int) -> dict:
        """The image grid (``C×H×W``) and caption for one choice."""
        noise = torch.Generator().manual_seed(int(seed))
        if mode == "digit":
            images = self.generator.sample(self.n_samples, labels=int(digit), generator=noise)
            grid = make_grid(images.cpu(), nrow=self.n_samples)
            caption = (f"{self.n_samples} samples of class <b>{self.class_names[digit]}</b> "
                       f"(noise from seed {seed}): the label fixes the content, the noise the style")
        elif mode == "noise row":
            rows = 3
            z_rows = torch.randn(rows, self.generator.latent_dim, generator=noise)  # (rows, Z)
            z = z_rows.repeat_interleave(self.num_classes, dim=0)  # (rows·K, Z): one z per row, K times
            labels = torch.arange(self.num_classes).repeat(rows)  # (rows·K,)
            images = self._decode(z, labels)
            grid = make_grid(images, nrow=self.num_classes)
            caption = (f"{rows} noise vectors (seed {seed}), one per row, each drawn as every class: "
                       "along a row the style stays, the content follows the label")
        else:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        return {"grid": grid, "caption": caption}

    @torch.no_grad()
    def _decode(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        device = next(self.generator.parameters()).device
        was_training = self.generator.training
        self.generator.eval()
        try:
            images = self.generator(z.to(device), labels.to(device))
        finally:
            self.generator.train(was_training)
        return ((images + 1) / 2).cpu()

    def update(self) -> None:
        """Redraw from the controls."""
        mode = self.controls["mode"].value
        self.controls["digit"].disabled = mode != "digit"
        result = self.render(mode, self.controls["digit"].value, self.controls["seed"].value)
        self.image.value = image_to_png(result["grid"], self.zoom)
        self.caption.value = f"<p>{result['caption']}</p>"
        self.last = result

    def _on_change(self, change) -> None:
        self.update()

    def static_figure(self, seeds=(0, 1, 2, 3)):
        """Rows: noise from each seed; columns: every class. The lesson's "style vs content" figure."""
        z = torch.cat([torch.randn(1, self.generator.latent_dim, generator=torch.Generator().manual_seed(s))
                       for s in seeds])  # (S, Z)
        images = self._decode(z.repeat_interleave(self.num_classes, dim=0),
                              torch.arange(self.num_classes).repeat(len(seeds)))
        grid = make_grid(images, nrow=self.num_classes)
        fig, ax = plt.subplots(figsize=(1.0 * self.num_classes, 1.0 * len(seeds) + 0.6))
        ax.imshow(grid.permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        step = images.shape[-1] + 2
        ax.set_xticks([2 + step * k + images.shape[-1] / 2 for k in range(self.num_classes)], self.class_names)
        ax.set_yticks([2 + step * r + images.shape[-2] / 2 for r in range(len(seeds))], [f"z{s}" for s in seeds])
        ax.set_xlabel("label y (content)")
        ax.set_ylabel("noise z (style)")
        ax.set_title("G(z, y): one noise vector per row, every class per column")
        fig.tight_layout()
        return fig


class InpaintingPainter:
    """Paint a hole over an image; compare the GAN's fill with the biharmonic baseline inside the hole.

    ``painter.widget`` is the container to ``display``; ``painter.controls``
    maps ``"image"``, ``"mask"``, ``"size"``, ``"row"``, ``"column"`` and
    ``"seed"`` to their widgets; ``painter.image`` shows ``[masked | GAN |
    biharmonic | truth]`` and ``painter.caption`` the hole PSNRs.

    Args:
        model: an inpainting model, ``model(masked, masks) -> completed``
            (e.g. ``pretrained.load("inpaint-digits")``).
        images: ``N×C×H×W`` held-out images in ``[0, 1]`` to paint on.
    """

    MASKS = ("centre box", "random boxes", "strokes")

    def __init__(self, model, images: torch.Tensor, *, zoom: int = 5):
        check_images(images, "images")
        self.model, self.images, self.zoom = model, images, zoom
        side = images.shape[-1]
        self.controls = {
            "image": widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image",
                                       continuous_update=False),
            "mask": widgets.Dropdown(options=list(self.MASKS), value="centre box", description="mask"),
            "size": widgets.FloatSlider(value=0.4, min=0.15, max=0.6, step=0.05, description="box size",
                                        continuous_update=False),
            "row": widgets.IntSlider(value=0, min=-side // 4, max=side // 4, description="move down",
                                     continuous_update=False),
            "column": widgets.IntSlider(value=0, min=-side // 4, max=side // 4, description="move right",
                                        continuous_update=False),
            "seed": widgets.IntSlider(value=0, min=0, max=50, description="mask seed", continuous_update=False),
        }
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["image"], self.controls["mask"]]),
            widgets.HBox([self.controls["size"], self.controls["seed"]]),
            widgets.HBox([self.controls["row"], self.controls["column"]]),
            widgets.HTML("<b>masked input | GAN fill | biharmonic fill | truth</b>"),
            self.image, self.caption,
        ])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def box_offset(self, size: float, row: int, column: int) -> tuple[int, int]:
        """The box's offset from the centre, limited so that the box stays inside the image."""
        side = self.images.shape[-1]
        limit = (side - max(1, round(size * side))) // 2
        return max(-limit, min(limit, int(row))), max(-limit, min(limit, int(column)))

    def make_mask(self, mask: str, size: float, row: int, column: int, seed: int) -> torch.Tensor:
        """The ``1×1×H×W`` mask for one choice of the controls."""
        shape = tuple(self.images.shape[-2:])
        if mask == "centre box":
            offset = self.box_offset(size, row, column)
            return centre_box_masks(1, shape, box_fraction=size, offset=offset)
        generator = torch.Generator().manual_seed(int(seed))
        if mask == "random boxes":
            return random_box_masks(1, shape, max_fraction=max(size, 0.15), min_fraction=0.15, generator=generator)
        if mask == "strokes":
            return free_form_masks(1, shape, brush_fraction=size / 2, generator=generator)
        raise ValueError(f"mask must be one of {self.MASKS}, got {mask!r}")

    @torch.no_grad()
    def render(self, index: int, mask: str, size: float, row: int = 0, column: int = 0, seed: int = 0) -> dict:
        """Masked input, both fills, the truth and their hole PSNRs for one choice."""
        truth = self.images[index : index + 1]  # (1, C, H, W)
        masks = self.make_mask(mask, size, row, column, seed)  # (1, 1, H, W)
        masked = apply_masks(truth, masks)
        device = next(self.model.parameters()).device
        self.model.eval()
        gan = self.model(masked.to(device), masks.to(device)).cpu()
        baseline = inpaint_biharmonic(masked, masks)
        scores = {"gan": float(hole_psnr(gan, truth, masks)), "biharmonic": float(hole_psnr(baseline, truth, masks))}
        caption = (f"image {index}, {mask} ({int(masks.sum())} missing pixels) | hole PSNR: "
                   f"GAN {_db(scores['gan'])}, biharmonic {_db(scores['biharmonic'])}")
        if mask == "centre box" and self.box_offset(size, row, column) != (int(row), int(column)):
            caption += " | position limited to keep the box inside the image"
        return {"masked": masked[0], "gan": gan[0], "biharmonic": baseline[0], "truth": truth[0],
                "masks": masks, "psnr": scores, "caption": caption}

    def update(self) -> None:
        """Redraw from the controls."""
        c = {name: control.value for name, control in self.controls.items()}
        box = c["mask"] == "centre box"
        self.controls["row"].disabled = self.controls["column"].disabled = not box
        self.controls["seed"].disabled = box
        result = self.render(c["image"], c["mask"], c["size"], c["row"], c["column"], c["seed"])
        strip = make_grid(torch.stack([result["masked"], result["gan"], result["biharmonic"], result["truth"]]), nrow=4)
        self.image.value = image_to_png(strip, self.zoom)
        self.caption.value = f"<p>{result['caption']}</p>"
        self.last = result

    def _on_change(self, change) -> None:
        self.update()

    def static_figure(self, indices=(0, 1, 2), mask: str = "centre box", size: float = 0.4, seed: int = 0):
        """Rows of ``[masked | GAN | biharmonic | truth]`` with hole PSNRs (the lesson's figure)."""
        columns = ("masked", "gan", "biharmonic", "truth")
        titles = {"masked": "masked input", "gan": "GAN fill", "biharmonic": "biharmonic", "truth": "truth"}
        fig, axes = plt.subplots(len(indices), 4, figsize=(8, 2.1 * len(indices)), squeeze=False)
        for r, index in enumerate(indices):
            result = self.render(index, mask, size, seed=seed + r)
            for c, name in enumerate(columns):
                ax = axes[r, c]
                ax.imshow(result[name].permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=1,
                          interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
                if r == 0:
                    ax.set_title(titles[name])
                if name in ("gan", "biharmonic"):
                    ax.set_xlabel(f"hole PSNR {_db(result['psnr'][name])}")
        fig.tight_layout()
        return fig


def _db(value: float) -> str:
    return "∞ (exact)" if value == float("inf") else f"{value:.1f} dB"
