"""GAN widgets: a live training monitor and a latent-space explorer.

* :class:`TrainingMonitor` is a training callback *and* a widget: display it,
  then call ``trainer.fit()`` in the same (or a later) cell; every ``every``
  steps it redraws the loss curves, ``D(x)`` / ``D(G(z))``, and the samples
  from the fixed preview noise (for the 2-D toy: the points over the
  discriminator's decision surface). Its ``snapshot`` slider replays the
  previews seen so far; its ``train more`` button runs more steps.
* :class:`LatentExplorer` decodes a walk between two latent vectors (seeds
  ``A`` and ``B``) with linear or spherical interpolation, plus a few random
  orthonormal latent directions; ``new seed`` draws a new ``B``.

Both keep working without a front end: :meth:`render` computes the pictures,
``static_figure()`` draws the matplotlib figure the book shows.

Lessons: ``01_gan_from_scratch.ipynb`` (monitor on the toy), ``02_dcgan.ipynb`` (both).
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from .._checks import check_choice, check_positive_int
from ..models.gan import latent_directions, lerp, slerp
from ..training.common import Callback
from ..viz import figure_to_png, image_to_png, make_grid, plot_toy
from .common import enlarge, show, two_rows

INTERPOLATIONS = {"slerp": slerp, "lerp": lerp}


# ----------------------------------------------------------------------------
# Live training monitor
# ----------------------------------------------------------------------------


class TrainingMonitor(Callback):
    """Loss curves and samples that update while a :class:`~imgsynth_edu.training.gan.GANTrainer` trains.

    Usage::

        monitor = TrainingMonitor(trainer, every=100)
        display(monitor.widget)
        trainer.fit()              # the pictures update during training

    Args:
        trainer: the ``GANTrainer`` (the monitor adds itself to its callbacks).
        every: redraw every ``every`` steps.
        toy: a :class:`~imgsynth_edu.data.toy2d.ToyDistribution` for 2-D GANs
            (samples are drawn as points over D's decision surface).
        train_steps: how many steps the ``train more`` button runs.

    ``monitor.controls``: ``"snapshot"`` (slider over the snapshots taken so
    far) and ``"train_more"`` (button). ``monitor.samples_image`` and
    ``monitor.curves_image`` are the ``Image`` widgets, ``monitor.caption`` the status line.
    """

    def __init__(self, trainer, every: int = 100, toy=None, train_steps: int = 200, zoom: int = 2):
        self.trainer = trainer
        self.every = check_positive_int(every, "every")
        self.train_steps = check_positive_int(train_steps, "train_steps")
        self.toy = toy
        self.zoom = check_positive_int(zoom, "zoom")
        self.snapshots: list[tuple[int, bytes]] = []  # (step, PNG of the samples)
        self.samples_image = widgets.Image(format="png")
        self.curves_image = widgets.Image(format="png")
        self.caption = widgets.HTML("not trained yet")
        snapshot = widgets.IntSlider(value=0, min=0, max=0, description="snapshot", continuous_update=False)
        train_more = widgets.Button(description=f"train {train_steps} more")
        snapshot.observe(self._on_snapshot, names="value")
        train_more.on_click(self._on_train_more)
        self.controls = {"snapshot": snapshot, "train_more": train_more}
        self.widget = widgets.VBox([
            widgets.HBox([snapshot, train_more]),
            self.caption,
            widgets.HBox([self.samples_image, self.curves_image]),
        ])
        if self not in trainer.callbacks:
            trainer.callbacks.append(self)
        self.update()

    # -- what is drawn -------------------------------------------------------------

    def samples_png(self) -> bytes:
        """The current samples from the fixed preview noise, as PNG bytes."""
        trainer = self.trainer
        samples = trainer.preview()
        if self.toy is not None:
            fig, ax = plt.subplots(figsize=(3.6, 3.4))
            plot_toy(self.toy, samples, discriminator=trainer.discriminator, ax=ax, n_real=500,
                     title=f"step {trainer.step}")
            fig.tight_layout()
            return figure_to_png(fig)
        return image_to_png(make_grid(samples.detach().cpu()), zoom=self.zoom)

    def curves_png(self) -> bytes:
        """Loss curves and ``D(x)``, ``D(G(z))`` so far, as PNG bytes."""
        history = self.trainer.history
        fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.8))
        steps = history.steps
        for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
            if key in history.values:
                left.plot(steps, history.values[key], label=label)
        for key, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
            if key in history.values:
                right.plot(steps, history.values[key], label=label)
        left.set_title("losses", fontsize=9)
        right.set_title("discriminator outputs", fontsize=9)
        for ax in (left, right):
            ax.set_xlabel("step", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=7)
        fig.tight_layout()
        return figure_to_png(fig)

    def _status(self) -> str:
        values, step = self.trainer.history.values, self.trainer.step
        if not values:
            return f"step {step}: not trained yet"
        last = ", ".join(f"{k} {v[-1]:.3f}" for k, v in values.items())
        return f"step {step} ({self.trainer.config.loss} loss): {html.escape(last)}"

    def update(self) -> None:
        """Redraw everything and record a snapshot of the samples."""
        png = self.samples_png()
        if not self.snapshots or self.snapshots[-1][0] != self.trainer.step:
            self.snapshots.append((self.trainer.step, png))
        slider = self.controls["snapshot"]
        slider.max = len(self.snapshots) - 1
        slider.value = len(self.snapshots) - 1  # (its observer shows that snapshot; the lines below finish the redraw)
        self.samples_image.value = png
        self.curves_image.value = self.curves_png()
        self.caption.value = self._status()

    # -- callback hooks --------------------------------------------------------------

    def on_step_end(self, loop, step: int, logs: dict) -> None:
        if step % self.every == 0:
            self.update()

    def on_train_end(self, loop) -> None:
        self.update()

    # -- controls --------------------------------------------------------------------

    def _on_snapshot(self, change) -> None:
        index = change["new"]
        if 0 <= index < len(self.snapshots):
            step, png = self.snapshots[index]
            self.samples_image.value = png
            self.caption.value = f"snapshot {index}: samples at step {step} (latest: step {self.trainer.step})"

    def _on_train_more(self, _button=None) -> None:
        self.trainer.fit(self.trainer.step + self.train_steps)

    def static_figure(self):
        """The last samples beside the curves (matplotlib), for the book."""
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 1.8]})
        for ax, png in zip(axes, (self.samples_png(), self.curves_png())):
            ax.imshow(plt.imread(io.BytesIO(png)))
            ax.set_axis_off()
        axes[0].set_title(f"samples at step {self.trainer.step}", fontsize=10)
        fig.tight_layout()
        return fig


# ----------------------------------------------------------------------------
# Latent explorer
# ----------------------------------------------------------------------------


class LatentExplorer:
    """Walk the latent space of a generator: A → B interpolation, random directions, new seeds.

    The shown latent is ``interp(z_A, z_B; t) + Σ_k a_k·u_k`` where ``interp``
    is :func:`~imgsynth_edu.models.gan.slerp` or :func:`~imgsynth_edu.models.gan.lerp`,
    ``u_k`` are random orthonormal (unit) directions and ``a_k`` the direction
    sliders (the typical latent norm is ``√Z``, so ``a_k = 3`` is a large step).

    ``explorer.controls``: ``"t"``, ``"interpolation"`` (``slerp``/``lerp``),
    ``"direction 1"`` ... ``"direction n"``, ``"new_seed"`` (button).
    ``explorer.image`` shows A | current | B and the path strip below;
    ``explorer.caption`` the seeds, ``t`` and ``‖z‖``.

    Args:
        generator: anything with ``latent_dim`` and ``decode(z) -> [0, 1] images``
            (the generators of :mod:`imgsynth_edu.models.gan`).
        seed_a, seed_b: seeds of the two end latents; n_directions: direction sliders (0-5).
        path_steps: images in the interpolation strip; zoom: enlargement of the pictures.
    """

    def __init__(self, generator, seed_a: int = 0, seed_b: int = 1, n_directions: int = 3, path_steps: int = 8,
                 zoom: int = 3, direction_seed: int = 0):
        if not hasattr(generator, "latent_dim") or not hasattr(generator, "decode"):
            raise TypeError("generator must have latent_dim and decode(z) (see imgsynth_edu.models.gan)")
        if not 0 <= n_directions <= min(5, generator.latent_dim):
            raise ValueError(f"n_directions must be in [0, {min(5, generator.latent_dim)}], got {n_directions}")
        self.generator = generator
        self.path_steps = check_positive_int(path_steps, "path_steps")
        self.zoom = check_positive_int(zoom, "zoom")
        self.seeds = [int(seed_a), int(seed_b)]
        self.directions = latent_directions(generator.latent_dim, n_directions, direction_seed) if n_directions else None
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        t = widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="t (A→B)", continuous_update=False)
        interpolation = widgets.ToggleButtons(options=["slerp", "lerp"], value="slerp", description="interpolation")
        new_seed = widgets.Button(description="new seed B")
        self.controls = {"t": t, "interpolation": interpolation}
        for k in range(n_directions):
            self.controls[f"direction {k + 1}"] = widgets.FloatSlider(
                value=0.0, min=-3.0, max=3.0, step=0.25, description=f"direction {k + 1}", continuous_update=False)
        self.controls["new_seed"] = new_seed
        for name, control in self.controls.items():
            if name == "new_seed":
                control.on_click(self._on_new_seed)
            else:
                control.observe(self._on_change, names="value")
        sliders = [c for n, c in self.controls.items() if n.startswith("direction")]
        self.widget = widgets.VBox([widgets.HBox([t, interpolation, new_seed]), *sliders, self.caption, self.image])
        self.update()

    def _latent(self, seed: int) -> torch.Tensor:
        return torch.randn(1, self.generator.latent_dim, generator=torch.Generator().manual_seed(seed))  # (1, Z)

    def latent(self, t: float, interpolation: str, offsets=()) -> torch.Tensor:
        """The latent ``(1, Z)`` shown for ``t``, ``interpolation`` and direction ``offsets`` ``a_k``."""
        check_choice(interpolation, "interpolation", set(INTERPOLATIONS))
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t must be in [0, 1], got {t}")
        z = INTERPOLATIONS[interpolation](self._latent(self.seeds[0]), self._latent(self.seeds[1]), t)  # (1, Z)
        if self.directions is not None and len(offsets):
            coefficients = torch.tensor(list(offsets), dtype=z.dtype)[: len(self.directions)]  # (n,)
            z = z + coefficients @ self.directions[: len(coefficients)]  # (1, Z) + (Z,)
        return z

    def render(self, t: float | None = None, interpolation: str | None = None, offsets=None) -> dict:
        """Compute the pictures for the given (default: the controls') settings: ``{"png", "caption", "norm"}``."""
        t = self.controls["t"].value if t is None else t
        interpolation = self.controls["interpolation"].value if interpolation is None else interpolation
        if offsets is None:
            offsets = [c.value for n, c in self.controls.items() if n.startswith("direction")]
        z_now = self.latent(t, interpolation, offsets)
        path = torch.cat([self.latent(float(s), interpolation, offsets) for s in np.linspace(0, 1, self.path_steps)])
        ends = torch.cat([self.latent(0.0, interpolation, offsets), z_now, self.latent(1.0, interpolation, offsets)])
        top = self.generator.decode(ends).cpu()  # (3, C, H, W)
        strip = self.generator.decode(path).cpu()  # (path_steps, C, H, W)
        top_grid = enlarge(make_grid(top, nrow=3), 2 * self.zoom)  # (C, H1, W1): A, now, B, twice as large
        strip_grid = enlarge(make_grid(strip, nrow=self.path_steps), self.zoom)  # (C, H2, W2): the path
        canvas = two_rows(top_grid, strip_grid)  # (C, H1 + 6 + H2, max(W1, W2)): white, 6 px between the rows
        norm = float(z_now.norm())
        typical = float(np.sqrt(self.generator.latent_dim))
        offsets_text = ", ".join(f"{a:+.2f}" for a in offsets) if len(offsets) else "none"
        caption = " | ".join([f"seeds A={self.seeds[0]}, B={self.seeds[1]}", f"t={t:.2f} ({interpolation})",
                              f"directions: {offsets_text}", f"‖z‖ = {norm:.2f} (typical √Z = {typical:.2f})"])
        return {"png": image_to_png(canvas), "caption": caption, "norm": norm}

    def update(self) -> None:
        """Redraw the two rows and the caption from the controls."""
        show(self.render(), self.image, self.caption)

    def _on_change(self, change) -> None:
        self.update()

    def _on_new_seed(self, _button=None) -> None:
        self.seeds[1] = max(self.seeds) + 1
        self.update()

    def static_figure(self, steps: int = 8):
        """Rows: lerp and slerp from A to B, with ‖z‖ under each image (matplotlib), for the book."""
        fig, axes = plt.subplots(2, steps, figsize=(1.3 * steps, 3.2), squeeze=False)
        for row, name in enumerate(("lerp", "slerp")):
            latents = torch.cat([self.latent(float(t), name) for t in np.linspace(0, 1, steps)])  # (steps, Z)
            images = self.generator.decode(latents).cpu()  # (steps, C, H, W)
            for col in range(steps):
                ax = axes[row, col]
                picture = images[col].permute(1, 2, 0).numpy()
                ax.imshow(picture[:, :, 0] if picture.shape[2] == 1 else picture, cmap="gray", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_xlabel(f"‖z‖={latents[col].norm():.1f}", fontsize=7)
            axes[row, 0].set_ylabel(name, fontsize=10)
        fig.suptitle(f"seed {self.seeds[0]} → seed {self.seeds[1]}: lerp dips below the typical norm √Z = "
                     f"{np.sqrt(self.generator.latent_dim):.1f}, slerp does not", fontsize=9)
        fig.tight_layout()
        return fig


__all__ = ["LatentExplorer", "TrainingMonitor"]
