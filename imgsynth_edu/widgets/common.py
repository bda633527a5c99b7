"""What several explorers share (one module, instead of importing from one lesson's widget).

* :func:`working_copy` - a bundled photograph as a small square crop, the picture
  the degradation explorer (lesson 00) and the quality playground (lesson 04) work on.

Pictures become PNG bytes with :func:`imgsynth_edu.viz.image_to_png` and
:func:`imgsynth_edu.viz.figure_to_png`.
"""

from __future__ import annotations

import torch

from .._checks import check_images
from ..data import bicubic_resize

__all__ = ["working_copy"]


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
