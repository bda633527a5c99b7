"""Pictures: image grids, side-by-side comparisons, zoom insets, training curves, the 2-D toy, PNG bytes;
the all-reduce of data-parallel training and a speed-quality plot.

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
from matplotlib.patches import FancyBboxPatch
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


def plot_all_reduce(world_size: int = 2, batch_size: int = 4):
    """Data-parallel training as a picture: the global batch, each rank's share, the all-reduce of the gradients.

    One row per rank: rank ``r`` gets items ``r, r + N, ...`` of the global
    batch, computes its gradient ``g_r`` of its own mean loss, and the
    all-reduce gives every rank the same average ``(g_0 + ... + g_{N-1}) / N``,
    with which each takes the same optimizer step (the arithmetic is
    :func:`imgsynth_edu.training.distributed.average_over_ranks`).

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    if not isinstance(world_size, int) or isinstance(world_size, bool) or not 1 <= world_size <= 8:
        raise ValueError(f"world_size must be an int from 1 to 8, got {world_size!r}")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1 or batch_size % world_size:
        raise ValueError(f"batch_size must be a positive multiple of world_size ({world_size}), got {batch_size!r}")
    colours = plt.get_cmap("tab10")
    height = 1.2 * world_size + 1.6
    fig, ax = plt.subplots(figsize=(11, height))
    ax.set_xlim(0, 11)
    ax.set_ylim(0, height)
    ax.set_axis_off()

    def box(x, y, width, text, colour, *, size=9):
        ax.add_patch(FancyBboxPatch((x, y), width, 0.7, boxstyle="round,pad=0.05", facecolor=colour,
                                    edgecolor="0.3", alpha=0.9))
        ax.text(x + width / 2, y + 0.35, text, ha="center", va="center", fontsize=size)

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "0.3"})

    top = height - 1.0
    item_width = min(0.6, 4.0 / batch_size)
    ax.text(0.1, top + 0.35, f"global batch\n(B = {batch_size}, drawn\nalike on every rank)", va="center", fontsize=9)
    for item in range(batch_size):
        box(2.2 + item * (item_width + 0.1), top, item_width, f"x{item}", colours(item % world_size), size=8)
    rows = [top - 1.2 * (r + 1) for r in range(world_size)]
    middle = (rows[0] + rows[-1]) / 2
    for r, y in enumerate(rows):
        share = ", ".join(f"x{i}" for i in range(r, batch_size, world_size))
        box(0.1, y, 1.9, f"rank {r}: {share}", colours(r))
        box(2.4, y, 2.4, f"forward, backward\n-> g{r}", "0.92", size=8)
        arrow(2.0, y + 0.35, 2.4, y + 0.35)
        arrow(4.8, y + 0.35, 5.6, middle + 0.35)  # to the all-reduce
        arrow(7.6, middle + 0.35, 8.2, y + 0.35)  # the average back to every rank
        box(8.2, y, 2.6, f"g = mean of g0..g{world_size - 1}\n-> same step, same θ'", "0.92", size=8)
    box(5.6, middle, 2.0, f"all-reduce\nsum ÷ {world_size}", "#f6d55c")
    ax.set_title(f"data-parallel training on {world_size} ranks: each computes the gradient of its share, "
                 "all receive the average", fontsize=10)
    fig.tight_layout()
    return fig


def plot_speed_quality(engines: Mapping[str, Mapping[str, float]], real_time_fps: float = 30.0,
                       title: str | None = None):
    """Frames per second (log scale) against quality for each engine, with the real-time line drawn.

    Args:
        engines: ``{name: {"frames_per_s": ..., "psnr_y_db": ...}}`` (as
            ``benchmarks/results/export.json`` stores them).
        real_time_fps: where the vertical "real time" line goes (30: video).

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    if not engines:
        raise ValueError("engines must name at least one engine")
    for name, numbers in engines.items():
        for key in ("frames_per_s", "psnr_y_db"):
            if key not in numbers or not math.isfinite(float(numbers[key])) or (key == "frames_per_s" and numbers[key] <= 0):
                raise ValueError(f"engines[{name!r}] must have a finite {key!r} (frames_per_s > 0), got {dict(numbers)}")
    if not real_time_fps > 0:
        raise ValueError(f"real_time_fps must be > 0, got {real_time_fps!r}")
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name, numbers in engines.items():
        ax.plot(numbers["frames_per_s"], numbers["psnr_y_db"], "o", markersize=8, label=name)
        ax.annotate(f"{numbers['frames_per_s']:.2f} fps", (numbers["frames_per_s"], numbers["psnr_y_db"]),
                    textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.axvline(real_time_fps, color="crimson", linestyle="--", label=f"real time ({real_time_fps:g} frames/s)")
    lowest = min(numbers["frames_per_s"] for numbers in engines.values())
    ax.set_xscale("log")
    ax.set_xlim(lowest / 2, real_time_fps * 2)
    ax.set_xlabel("frames per second (log scale)")
    ax.set_ylabel("Y-PSNR (dB)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
