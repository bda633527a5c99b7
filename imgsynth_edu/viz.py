"""Pictures: image grids, side-by-side comparisons, zoom insets, training curves, the 2-D toy, PNG bytes.

All functions take images as ``float32`` tensors in ``[0, 1]`` (``C×H×W`` or
``N×C×H×W``) and return a matplotlib ``Figure`` (so a notebook shows it and a
script can ``fig.savefig(...)``). Nothing here changes the pixels it shows:
images outside ``[0, 1]`` are refused, not clipped.

For widgets, which show pictures as PNG bytes: :func:`image_to_png` (a tensor)
and :func:`figure_to_png` (a matplotlib figure), the one place for each. To
write an image *file*, use :func:`imgsynth_edu.data.image_io.write_image`.

Lesson: every notebook; first in ``00_tour.ipynb``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from ._checks import check_images
from .data.toy2d import ToyDistribution


def to_numpy_image(image: torch.Tensor) -> np.ndarray:
    """``C×H×W`` (or ``1×C×H×W``) tensor in ``[0, 1]`` -> ``H×W×C`` / ``H×W`` array for ``imshow``."""
    if image.ndim == 3:
        image = image[None]
    check_images(image, "image")
    if image.shape[0] != 1:
        raise ValueError(f"image must hold one image, got a batch of {image.shape[0]}")
    array = image[0].detach().float().cpu().permute(1, 2, 0).numpy()
    return array[:, :, 0] if array.shape[2] == 1 else array


def identical_at_8_bits(first: torch.Tensor, second: torch.Tensor) -> bool:
    """True when two images in ``[0, 1]`` have the same pixels once rounded to 8 bits.

    That is what a PNG file or the screen shows. A blur of σ = 0.1 px, say,
    changes the floats by about 1e-22 and no 8-bit pixel at all; its PSNR is
    then several hundred dB, a number made by float rounding alone, and a
    caption should say "identical" instead (:func:`psnr_text`).

    Lesson: ``04_measuring_quality.ipynb`` (the quality playground).
    """
    check_images(first if first.ndim == 4 else first[None], "first")
    check_images(second if second.ndim == 4 else second[None], "second")
    if first.shape != second.shape:
        raise ValueError(f"first and second must have the same shape, got {tuple(first.shape)} and {tuple(second.shape)}")
    return bool(torch.equal((first.detach().cpu() * 255).round(), (second.detach().cpu() * 255).round()))


def psnr_text(value_db: float, identical: bool, decimals: int = 2) -> str:
    """A PSNR for a caption: ``"27.31 dB"``, or ``"∞ (identical)"`` when no 8-bit pixel changed.

    ``identical`` comes from :func:`identical_at_8_bits`; an infinite PSNR
    (bit-identical floats) reads "identical" too.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    if identical or math.isinf(value_db):
        return "∞ (identical)"
    return f"{value_db:.{decimals}f} dB"


def make_grid(images: torch.Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """Tile ``N×C×H×W`` images into one ``C×H'×W'`` image, ``nrow`` images per row."""
    check_images(images, "images")
    count, channels, height, width = images.shape
    nrow = nrow or math.ceil(math.sqrt(count))
    rows = math.ceil(count / nrow)
    grid = torch.full(
        (channels, rows * (height + padding) + padding, nrow * (width + padding) + padding),
        float(pad_value),
        dtype=images.dtype,
    )
    for index, image in enumerate(images.detach().cpu()):
        row, col = divmod(index, nrow)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[:, top : top + height, left : left + width] = image
    return grid


def show_grid(images: torch.Tensor, nrow: int | None = None, title: str | None = None, size: float = 5.0):
    """Show ``N×C×H×W`` images as one grid; returns the figure."""
    grid = make_grid(images, nrow)
    fig, ax = plt.subplots(figsize=(size, size * grid.shape[1] / grid.shape[2]))
    ax.imshow(to_numpy_image(grid), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def compare(
    images: Mapping[str, torch.Tensor],
    captions: Mapping[str, str] | None = None,
    zoom: tuple[int, int, int, int] | None = None,
    size: float = 3.2,
    suptitle: str | None = None,
):
    """Show images side by side, titled by their keys, with optional captions and a zoom inset.

    Args:
        images: ``{title: C×H×W tensor}``; images of different sizes are shown
            at the same display size (nearest-neighbour), so a low-resolution
            input sits beside its high-resolution result.
        captions: ``{title: text}`` shown under each image (e.g. ``"PSNR 27.1 dB"``).
        zoom: ``(top, left, height, width)`` in the coordinates of the *largest*
            image: that region is outlined and shown enlarged in a second row.
    """
    if not images:
        raise ValueError("images must hold at least one image")
    captions = captions or {}
    titles = list(images)
    reference_height = max(img.shape[-2] for img in images.values())
    rows = 2 if zoom is not None else 1
    fig, axes = plt.subplots(rows, len(titles), figsize=(size * len(titles), size * rows), squeeze=False)
    for col, title in enumerate(titles):
        image = images[title]
        array = to_numpy_image(image)
        ax = axes[0, col]
        ax.imshow(array, cmap="gray", vmin=0, vmax=1, interpolation="nearest",
                  extent=(0, image.shape[-1] * reference_height / image.shape[-2], reference_height, 0))
        ax.set_title(title, fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
        if title in captions:
            ax.set_xlabel(captions[title], fontsize=10)
        if zoom is not None:
            top, left, height, width = zoom
            ax.add_patch(plt.Rectangle((left, top), width, height, fill=False, edgecolor="yellow", linewidth=1.5))
            factor = image.shape[-2] / reference_height
            crop = image[..., int(top * factor) : int((top + height) * factor), int(left * factor) : int((left + width) * factor)]
            if crop.shape[-1] == 0 or crop.shape[-2] == 0:
                raise ValueError(f"zoom={zoom} lies outside the {title!r} image")
            axes[1, col].imshow(to_numpy_image(crop), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axes[1, col].set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_curves(
    history: Mapping[str, Sequence[float]],
    xlabel: str = "step",
    ylabel: str = "",
    title: str | None = None,
    ax=None,
    logy: bool = False,
):
    """Plot named curves (e.g. ``{"D loss": [...], "G loss": [...]}``) on one axis."""
    if not history:
        raise ValueError("history must hold at least one curve")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in history.items():
        ax.plot(np.asarray(values, dtype=float), label=name)
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def plot_toy(distribution: ToyDistribution, samples: torch.Tensor | None = None, discriminator=None,
             ax=None, title: str | None = None, n_real: int = 1000, extent: float | None = None):
    """Real points (grey), generated points (orange) and D's decision surface ``sigmoid(D(x))`` (shaded).

    ``distribution`` is a 2-D toy of :mod:`imgsynth_edu.data.toy2d`;
    ``discriminator`` is any callable ``(M, 2) -> (M,)`` logits. Returns the figure.

    Lesson: ``01_gan_from_scratch.ipynb``.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(4, 4))
    else:
        fig = ax.figure
    if extent is None:
        extent = float(distribution.centers.abs().max()) + 1.0
    if discriminator is not None:
        axis = torch.linspace(-extent, extent, 80)
        yy, xx = torch.meshgrid(axis, axis, indexing="ij")
        grid = torch.stack([xx.flatten(), yy.flatten()], dim=1)  # (80², 2)
        with torch.no_grad():
            device = next(discriminator.parameters()).device if isinstance(discriminator, torch.nn.Module) else "cpu"
            surface = torch.sigmoid(discriminator(grid.to(device))).cpu().view(80, 80)  # (80, 80)
        shading = ax.contourf(xx.numpy(), yy.numpy(), surface.numpy(), levels=20, cmap="RdBu_r", alpha=0.6, vmin=0, vmax=1)
        fig.colorbar(shading, ax=ax, fraction=0.046, pad=0.04, label="D(x)")
    real = distribution.sample(n_real, torch.Generator().manual_seed(0))
    ax.scatter(real[:, 0], real[:, 1], s=3, c="0.4", label="real")
    if samples is not None:
        samples = samples.detach().cpu()
        ax.scatter(samples[:, 0], samples[:, 1], s=3, c="tab:orange", label="generated")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=3)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def image_to_png(image: torch.Tensor, zoom: int = 1) -> bytes:
    """PNG bytes of one image (``C×H×W`` or ``1×C×H×W`` in ``[0, 1]``), rounded to 8 bits as any picture file.

    ``zoom`` repeats every pixel ``zoom × zoom`` times (nearest neighbour), so that a
    browser showing the picture enlarged does not smooth away noise, JPEG blocks
    or the pixels of a 28×28 digit. For a batch, tile it first: ``image_to_png(make_grid(images))``.

    Lesson: every widget; first in ``00_tour.ipynb``.
    """
    if image.ndim == 3:
        image = image[None]
    check_images(image, "image")
    if image.shape[0] != 1:
        raise ValueError(f"image must hold one image, got a batch of {image.shape[0]} (tile it with make_grid)")
    if isinstance(zoom, bool) or not isinstance(zoom, int) or zoom < 1:
        raise ValueError(f"zoom must be a positive int, got {zoom!r}")
    array = (image[0].detach().cpu().permute(1, 2, 0).numpy() * 255.0).round().astype(np.uint8)  # (H, W, C)
    if zoom > 1:
        array = array.repeat(zoom, axis=0).repeat(zoom, axis=1)  # (H·zoom, W·zoom, C)
    picture = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def figure_to_png(fig, dpi: int = 80) -> bytes:
    """PNG bytes of a matplotlib figure at ``dpi``; the figure is closed (a widget redraws it often).

    Lesson: every widget with a plot; first in ``01_gan_from_scratch.ipynb``.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()
