"""Interpretability widgets: a latent-direction explorer and an attribution explorer.

* :class:`LatentDirectionExplorer` walks one GANSpace direction of a generator
  (:func:`imgsynth_edu.interpret.ganspace_directions`): pick a component, slide
  along it, see the samples change;
* :class:`AttributionExplorer` shows which input pixels one output number
  depends on: choose a model, an image and a method; for a model that outputs
  images (SRResNet) two sliders choose the output pixel being explained.

Both use core widgets whose API is the same in ipywidgets 7 and 8, and keep
working without a front end: :meth:`render` computes the picture and caption,
``static_figure()`` draws the matplotlib figure the book shows.

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn

from .. import interpret
from .._checks import check_images, check_positive_int
from ..viz import figure_to_png, image_to_png, make_grid, to_numpy_image
from .common import enlarge, show, two_rows

#: The methods the attribution explorer offers, by label; each is ``method(model, inputs, target)``.
#: The baselines are grey (0.5): on black-background digits a black baseline hides the model (section 3 of the lesson).
ATTRIBUTION_METHODS = {
    "gradient": interpret.saliency,
    "gradient × input": interpret.gradient_x_input,
    "integrated gradients (grey baseline)": functools.partial(interpret.integrated_gradients, baseline=0.5, steps=16),
    "occlusion (grey, 4×4 window)": functools.partial(interpret.occlusion, baseline=0.5, window=4, stride=2),
    "edge detector (ignores the model)": interpret.edge_detector,
}


# ----------------------------------------------------------------------------
# Latent directions
# ----------------------------------------------------------------------------


class LatentDirectionExplorer:
    """Slide along one principal latent direction (GANSpace) of a generator.

    The shown latents are ``z_r + t·u_k`` for ``n_rows`` seeded samples ``z_r``,
    the chosen component ``k`` and the slider value ``t`` (in standard
    deviations of ``z``). The picture shows the ``n_rows`` samples at ``t``
    (large) above the whole walk from ``-extent`` to ``+extent`` (small).

    ``explorer.controls``: ``"component"`` (1 = most variance), ``"t"``, ``"seed"``.
    ``explorer.image`` is the picture, ``explorer.caption`` says the component,
    its share of the layer's variance, ``t`` and the seed.

    Args:
        generator: a course generator (``latent_dim`` and ``decode``).
        directions: :class:`~imgsynth_edu.interpret.LatentDirections` of that generator.
        n_rows: samples walked at once; extent: the sliders' range; steps: images in the walk.

    Lesson: ``08_what_networks_see.ipynb``.
    """

    def __init__(self, generator, directions: interpret.LatentDirections, n_rows: int = 4, extent: float = 3.0,
                 steps: int = 7, zoom: int = 2, seed: int = 0):
        if not hasattr(generator, "latent_dim") or not hasattr(generator, "decode"):
            raise TypeError("generator must have latent_dim and decode(z) (see imgsynth_edu.models.gan)")
        if not isinstance(directions, interpret.LatentDirections):
            raise TypeError(f"directions must be LatentDirections (from ganspace_directions), got {type(directions).__name__}")
        if directions.directions.shape[1] != generator.latent_dim:
            raise ValueError(f"directions live in a {directions.directions.shape[1]}-d latent space, "
                             f"the generator's is {generator.latent_dim}-d")
        if not isinstance(extent, (int, float)) or extent <= 0:
            raise ValueError(f"extent must be a positive number, got {extent!r}")
        self.generator, self.directions = generator, directions
        self.n_rows = check_positive_int(n_rows, "n_rows")
        self.steps = check_positive_int(steps, "steps")
        self.zoom = check_positive_int(zoom, "zoom")
        self.extent = float(extent)
        count = len(directions.directions)
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.controls = {
            "component": widgets.IntSlider(value=1, min=1, max=count, description="component",
                                           continuous_update=False),
            "t": widgets.FloatSlider(value=0.0, min=-self.extent, max=self.extent, step=0.25,
                                     description="t (std of z)", continuous_update=False),
            "seed": widgets.IntSlider(value=seed, min=0, max=99, description="seed", continuous_update=False),
        }
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), self.caption, self.image])
        self.update()

    def _latents(self, seed: int) -> torch.Tensor:
        return torch.randn(self.n_rows, self.generator.latent_dim, generator=torch.Generator().manual_seed(seed))  # (R, Z)

    def render(self, component: int | None = None, t: float | None = None, seed: int | None = None) -> dict:
        """The picture and caption for these settings (default: the controls'): ``{"png", "caption", "images"}``."""
        component = self.controls["component"].value if component is None else component
        t = self.controls["t"].value if t is None else float(t)
        seed = self.controls["seed"].value if seed is None else seed
        if not 1 <= component <= len(self.directions.directions):
            raise ValueError(f"component must be in [1, {len(self.directions.directions)}], got {component}")
        if not -self.extent <= t <= self.extent:
            raise ValueError(f"t must be in [{-self.extent}, {self.extent}], got {t}")
        direction = self.directions.directions[component - 1]  # (Z,)
        latents = self._latents(seed)  # (R, Z)
        now = self.generator.decode(latents + t * direction / direction.norm()).cpu()  # (R, C, H, W)
        walk = interpret.walk_latent_direction(self.generator, direction, latents=latents, steps=self.steps,
                                               extent=self.extent).cpu()  # (R·S, C, H, W)
        top = enlarge(make_grid(now, nrow=self.n_rows), 2 * self.zoom)  # (C, H1, W1)
        bottom = enlarge(make_grid(walk, nrow=self.steps), self.zoom)  # (C, H2, W2)
        canvas = two_rows(top, bottom)  # (C, H1 + 6 + H2, max(W1, W2)): white, 6 px between
        share = float(self.directions.explained_variance_ratio[component - 1])
        caption = (f"component {component} ({share:.1%} of the variance of {self.directions.layer}) | "
                   f"t = {t:+.2f} | seed {seed} | below: t from {-self.extent:+.1f} to {self.extent:+.1f}")
        return {"png": image_to_png(canvas), "caption": caption, "images": now}

    def update(self) -> None:
        show(self.render(), self.image, self.caption)

    def _on_change(self, change) -> None:
        self.update()

    def static_figure(self, components: int = 4, seed: int | None = None):
        """One row per component (the first ``components``): one sample walked from ``-extent`` to ``+extent``."""
        seed = self.controls["seed"].value if seed is None else seed
        count = min(components, len(self.directions.directions))
        fig, axes = plt.subplots(count, 1, figsize=(1.1 * self.steps, 1.25 * count), squeeze=False)
        latents = self._latents(seed)[:1]  # (1, Z)
        for row in range(count):
            walk = interpret.walk_latent_direction(self.generator, self.directions.directions[row], latents=latents,
                                                   steps=self.steps, extent=self.extent).cpu()  # (S, C, H, W)
            ax = axes[row, 0]
            ax.imshow(to_numpy_image(make_grid(walk, nrow=self.steps)), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            share = float(self.directions.explained_variance_ratio[row])
            ax.set_ylabel(f"{row + 1}\n{share:.1%}", rotation=0, labelpad=22, fontsize=8, va="center")
        axes[0, 0].set_title(f"GANSpace components of {self.directions.layer} (rows), "
                             f"t from {-self.extent:+.0f} to {self.extent:+.0f} (columns), seed {seed}", fontsize=9)
        fig.tight_layout()
        return fig


# ----------------------------------------------------------------------------
# Attribution explorer
# ----------------------------------------------------------------------------


def _kind_of_output(model: nn.Module, image: torch.Tensor) -> tuple[str, tuple[int, ...]]:
    """``("score", ...)`` for one number per image, ``("classes", (K,))``, or ``("image", (C, H, W))``."""
    with torch.no_grad():
        output = model(image)
    shape = tuple(output.shape[1:])
    if len(shape) == 0 or shape == (1,):
        return "score", shape
    if len(shape) == 1:
        return "classes", shape
    if len(shape) == 3:
        return "image", shape
    raise ValueError(f"a model must output one number, class scores or images per image; got shape {tuple(output.shape)}")


class AttributionExplorer:
    """Which input pixels does one output number depend on? Model, image, method — and, for a restorer, the pixel.

    ``subjects`` maps a model's label to ``(model, {image label: (1, C, H, W) image in [0, 1]})``.
    What is explained depends on the model's output:

    * one number per image (a discriminator's logit): that number;
    * class scores (the digit classifier): the score of the predicted class;
    * images (SRResNet): one output pixel, its channels summed, chosen with the
      ``"pixel row"`` / ``"pixel col"`` sliders (inactive for the other models).

    ``explorer.controls``: ``"model"``, ``"image"``, ``"method"`` (dropdowns),
    ``"row"``, ``"col"`` (sliders). ``explorer.image`` shows the input beside the
    normalised map (:func:`~imgsynth_edu.interpret.normalised_abs_map`); the
    caption names what is explained and how much of the map's mass lies in its top 10 % of pixels.

    Lesson: ``08_what_networks_see.ipynb``.
    """

    def __init__(self, subjects: Mapping[str, tuple[nn.Module, Mapping[str, torch.Tensor]]],
                 methods: Mapping[str, object] | None = None):
        if not isinstance(subjects, Mapping) or not subjects:
            raise ValueError("subjects must be a non-empty dict {model label: (model, {image label: image})}")
        self.subjects, self.kinds = {}, {}
        for label, entry in subjects.items():
            if not isinstance(entry, tuple) or len(entry) != 2 or not isinstance(entry[0], nn.Module) \
                    or not isinstance(entry[1], Mapping) or not entry[1]:
                raise ValueError(f"subjects[{label!r}] must be (model, {{image label: image}}), got {type(entry).__name__}")
            model, images = entry
            for name, image in images.items():
                check_images(image, f"subjects[{label!r}] image {name!r}")
                if image.shape[0] != 1:
                    raise ValueError(f"subjects[{label!r}] image {name!r} must be one image (1, C, H, W), "
                                     f"got {tuple(image.shape)}")
            self.subjects[label] = (model, dict(images))
            self.kinds[label] = _kind_of_output(model, next(iter(images.values())))
        self.methods = dict(ATTRIBUTION_METHODS if methods is None else methods)
        if not self.methods or not all(callable(m) for m in self.methods.values()):
            raise ValueError("methods must be a non-empty dict {label: method(model, inputs, target)}")
        first = next(iter(self.subjects))
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.controls = {
            "model": widgets.Dropdown(options=list(self.subjects), value=first, description="model"),
            "image": widgets.Dropdown(options=list(self.subjects[first][1]), description="image"),
            "method": widgets.Dropdown(options=list(self.methods), value=next(iter(self.methods)), description="method"),
            "row": widgets.IntSlider(value=0, min=0, max=1, description="pixel row", continuous_update=False),
            "col": widgets.IntSlider(value=0, min=0, max=1, description="pixel col", continuous_update=False),
        }
        self._updating = False
        self._configure_pixel_sliders()
        self.controls["model"].observe(self._on_model, names="value")
        for name in ("image", "method", "row", "col"):
            self.controls[name].observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["model"], self.controls["image"], self.controls["method"]]),
            widgets.HBox([self.controls["row"], self.controls["col"]]),
            self.caption,
            self.image,
        ])
        self.update()

    # -- what is explained ---------------------------------------------------------

    def _configure_pixel_sliders(self) -> None:
        """Pixel sliders span the chosen model's output (centre first), or are disabled for a non-image output."""
        kind, shape = self.kinds[self.controls["model"].value]
        for name, size in (("row", shape[1] if kind == "image" else 1), ("col", shape[2] if kind == "image" else 1)):
            slider = self.controls[name]
            slider.max = max(size - 1, 1)
            slider.value = size // 2 if kind == "image" else 0
            slider.disabled = kind != "image"

    def target(self, model_label: str, image: torch.Tensor, row: int = 0, col: int = 0):
        """What the map explains, and its description: ``(target, text)``."""
        model, _ = self.subjects[model_label]
        kind, shape = self.kinds[model_label]
        if kind == "score":
            with torch.no_grad():
                score = float(model(image).reshape(-1)[0])
            return None, f"its output {score:+.2f}"
        if kind == "classes":
            with torch.no_grad():
                probabilities = model(image).softmax(1)[0]  # (K,)
            predicted = int(probabilities.argmax())
            return predicted, f"the score of class {predicted} (p = {float(probabilities[predicted]):.2f})"
        if not (0 <= row < shape[1] and 0 <= col < shape[2]):
            raise ValueError(f"pixel ({row}, {col}) is outside the {shape[1]}×{shape[2]} output")

        def one_pixel(outputs: torch.Tensor) -> torch.Tensor:
            return outputs[:, :, row, col].sum(1)  # (N,): the output pixel, its channels summed

        return one_pixel, f"output pixel (row {row}, col {col}), channels summed"

    def render(self, model: str | None = None, image: str | None = None, method: str | None = None,
               row: int | None = None, col: int | None = None) -> dict:
        """The picture and caption for these settings (default: the controls'): ``{"png", "caption", "map"}``."""
        model = self.controls["model"].value if model is None else model
        image = self.controls["image"].value if image is None else image
        method = self.controls["method"].value if method is None else method
        if model not in self.subjects:
            raise ValueError(f"model must be one of {sorted(self.subjects)}, got {model!r}")
        if model == self.controls["model"].value:  # the sliders belong to the shown model
            row = self.controls["row"].value if row is None else row
            col = self.controls["col"].value if col is None else col
        row, col = self._pixel(model, row, col)
        network, images = self.subjects[model]
        if image not in images:
            raise ValueError(f"image must be one of {sorted(images)} for {model!r}, got {image!r}")
        if method not in self.methods:
            raise ValueError(f"method must be one of {sorted(self.methods)}, got {method!r}")
        picture = images[image]  # (1, C, H, W)
        target, explained = self.target(model, picture, row, col)
        attribution = interpret.normalised_abs_map(self.methods[method](network, picture, target))  # (1, 1, H, W)
        values = attribution.flatten()  # (H·W,)
        top = values.sort(descending=True).values[: max(1, len(values) // 10)]
        concentration = float(top.sum() / values.sum().clamp_min(1e-12))
        kind, shape = self.kinds[model]
        fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
        axes[0].imshow(to_numpy_image(picture[0]), cmap="gray", vmin=0, vmax=1)
        axes[0].set_title(f"{image}", fontsize=9)
        axes[1].imshow(attribution[0, 0].numpy(), cmap="inferno", vmin=0, vmax=1)
        axes[1].set_title(method, fontsize=9)
        if kind == "image":  # where the explained output pixel sits, in input coordinates
            scale_y, scale_x = picture.shape[-2] / shape[1], picture.shape[-1] / shape[2]
            for ax in axes:
                ax.plot((col + 0.5) * scale_x - 0.5, (row + 0.5) * scale_y - 0.5, "c+", markersize=12, mew=2)
        for ax in axes:
            ax.set_axis_off()
        fig.tight_layout()
        png = figure_to_png(fig)
        plt.close(fig)
        caption = (f"{model} on {image}: {method} map of {explained} | "
                   f"top 10 % of pixels hold {concentration:.0%} of the map")
        return {"png": png, "caption": caption, "map": attribution}

    def update(self) -> None:
        if self._updating:
            return
        show(self.render(), self.image, self.caption)

    def _on_model(self, change) -> None:
        self._updating = True  # change the image list and the sliders, then draw once
        try:
            self.controls["image"].options = list(self.subjects[change["new"]][1])
            self.controls["image"].value = self.controls["image"].options[0]
            self._configure_pixel_sliders()
        finally:
            self._updating = False
        self.update()

    def _on_change(self, change) -> None:
        self.update()

    def static_figure(self, model: str | None = None, image: str | None = None, row: int | None = None,
                      col: int | None = None):
        """Every method's map for one model and image (matplotlib), for the book."""
        model = self.controls["model"].value if model is None else model
        image = self.controls["image"].value if image is None else image
        picture = self.subjects[model][1][image]
        row, col = self._pixel(model, row, col)
        fig, axes = plt.subplots(1, len(self.methods) + 1, figsize=(2.1 * (len(self.methods) + 1), 2.5))
        axes[0].imshow(to_numpy_image(picture[0]), cmap="gray", vmin=0, vmax=1)
        axes[0].set_title(image, fontsize=8)
        for ax, method in zip(axes[1:], self.methods):
            attribution = self.render(model, image, method, row, col)["map"]
            ax.imshow(attribution[0, 0].numpy(), cmap="inferno", vmin=0, vmax=1)
            ax.set_title(method, fontsize=7)
        for ax in axes:
            ax.set_axis_off()
        fig.suptitle(f"{model}: {self.target(model, picture, row, col)[1]}", fontsize=9)
        fig.tight_layout()
        return fig

    def _pixel(self, model: str, row: int | None, col: int | None) -> tuple[int, int]:
        kind, shape = self.kinds[model]
        if kind != "image":
            return 0, 0
        return (shape[1] // 2 if row is None else row), (shape[2] // 2 if col is None else col)


__all__ = ["ATTRIBUTION_METHODS", "AttributionExplorer", "LatentDirectionExplorer"]
