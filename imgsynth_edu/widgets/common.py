"""What several explorers share (one module, instead of importing from one lesson's widget).

* :func:`working_copy` - a bundled photograph as a small square crop, the picture
  the degradation explorer (lesson 00) and the quality playground (lesson 04) work on;
* :func:`enlarge` and :func:`two_rows` - a large row of images over a smaller strip,
  the picture of the latent explorers (lessons 02 and 08);
* :func:`show` - a ``render()`` result (PNG and caption) put into an explorer's image and caption.

Pictures become PNG bytes with :func:`imgsynth_edu.viz.image_to_png` and
:func:`imgsynth_edu.viz.figure_to_png`.
"""

from __future__ import annotations

import html

import torch

from .._checks import check_images
from ..data import bicubic_resize

__all__ = ["enlarge", "show", "two_rows", "working_copy"]


def working_copy(photo: torch.Tensor, size: int = 192) -> torch.Tensor:
    """A ``1×C×size×size`` centre crop of ``photo`` (``C×H×W``), shrunk first if it is large.

    The photograph is shrunk (MATLAB-like bicubic, antialiased) until its short
    side is ``size``, then centre-cropped to a square, so every photo shows its
    whole subject at the same small size. ``size`` must be a multiple of 12 so
    that bicubic scales 2, 3 and 4 divide it; a photo whose short side is
    smaller than ``size`` is cropped to the largest multiple of 12 it holds.

    Lessons: ``00_tour.ipynb``, ``04_measuring_quality.ipynb`` (the explorers' photographs).
    """
    if size % 12:
        raise ValueError(f"size must be a multiple of 12 (so scales 2, 3, 4 divide it), got {size}")
    image = photo[None] if photo.ndim == 3 else photo  # (1, C, H, W)
    check_images(image, "photo")
    height, width = image.shape[-2:]
    short = min(height, width)
    if short > size:
        factor = size / short
        image = bicubic_resize(image, (max(size, round(height * factor)), max(size, round(width * factor))))
    side = min(size, (min(image.shape[-2:]) // 12) * 12)
    if side < 12:
        raise ValueError(f"photo is too small ({height}×{width}) for the explorer")
    top = (image.shape[-2] - side) // 2
    left = (image.shape[-1] - side) // 2
    return image[..., top : top + side, left : left + side].contiguous()  # (1, C, side, side)


def enlarge(image: torch.Tensor, factor: int) -> torch.Tensor:
    """``C×H×W`` -> ``C×(factor·H)×(factor·W)`` by repeating pixels (nearest neighbour: pixels stay square).

    Lessons: ``02_dcgan.ipynb``, ``08_what_networks_see.ipynb`` (the latent explorers).
    """
    return image.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)  # (C, factor·H, factor·W)


def two_rows(top: torch.Tensor, bottom: torch.Tensor, gap: int = 6) -> torch.Tensor:
    """``top`` (``C×H1×W1``) over ``bottom`` (``C×H2×W2``) on a white canvas, ``gap`` pixels between, both left-aligned.

    Lessons: ``02_dcgan.ipynb``, ``08_what_networks_see.ipynb`` (the latent explorers).
    """
    (channels, top_h, top_w), (_, bottom_h, bottom_w) = top.shape, bottom.shape
    canvas = torch.ones(channels, top_h + gap + bottom_h, max(top_w, bottom_w))  # (C, H1 + gap + H2, max(W1, W2))
    canvas[:, :top_h, :top_w] = top
    canvas[:, top_h + gap :, :bottom_w] = bottom
    return canvas


def show(result: dict, image, caption) -> None:
    """Put ``result["png"]`` into the ``image`` widget and ``result["caption"]`` (as text) into the ``caption`` widget.

    ``result`` is what an explorer's ``render()`` returns; the caption is
    HTML-escaped, so ``<`` or ``&`` in it show as they are.

    Lessons: ``02_dcgan.ipynb``, ``08_what_networks_see.ipynb`` (the latent explorers).
    """
    image.value = result["png"]
    caption.value = html.escape(result["caption"])
