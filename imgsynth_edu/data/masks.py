"""Masks for inpainting: which pixels are missing, and a dataset that hides them.

A mask is a ``float32`` tensor of zeros and ones, ``N×1×H×W`` (one plane,
shared by all channels), with **1 in the hole** (the pixels to fill in) and 0
where the image is known - the convention of
``skimage.restoration.inpaint_biharmonic`` (checked by
:func:`imgsynth_edu._checks.check_masks`; the biharmonic baseline itself is
:func:`imgsynth_edu.classical.inpaint_biharmonic`).

Three kinds, from easy to hard:

* :func:`centre_box_masks`  - one square in the middle (Pathak et al. 2016,
  "Context Encoders").
* :func:`random_box_masks`  - a few rectangles at random places.
* :func:`free_form_masks`   - brush strokes: random walks drawn with a thick
  brush (Yu et al. 2019, "Free-Form Image Inpainting with Gated Convolution",
  Algorithm 1), the kind of hole a person paints over an object.

The random ones take a ``torch.Generator``: the same seed gives the same masks.
:class:`InpaintingDataset` turns any ``(image, label)`` dataset into
``(masked image, mask, target)`` triples, each item's mask fixed by its index.

Lesson: ``03_conditional_gan.ipynb``.
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

from .._checks import check_choice, check_images, check_masks, check_positive_int

MASK_KINDS = ("centre", "boxes", "strokes")


def _check_size(size) -> tuple[int, int]:
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if not (isinstance(size, tuple | list) and len(size) == 2):
        raise ValueError(f"size must be an int or a (height, width) pair, got {size!r}")
    return check_positive_int(size[0], "size[0]"), check_positive_int(size[1], "size[1]")


def _check_fraction(value, name: str) -> float:
    if not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a fraction in (0, 1], got {value!r}")
    return float(value)


def centre_box_masks(n: int, size, box_fraction: float = 0.4, offset: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """``n`` identical masks with one square hole, ``box_fraction`` of the side, in the centre.

    ``offset = (dy, dx)`` moves the box from the centre (the painter widget
    uses it); the box must stay inside the image.
    """
    check_positive_int(n, "n")
    height, width = _check_size(size)
    box_h = max(1, round(_check_fraction(box_fraction, "box_fraction") * height))
    box_w = max(1, round(box_fraction * width))
    top, left = (height - box_h) // 2 + int(offset[0]), (width - box_w) // 2 + int(offset[1])
    if top < 0 or left < 0 or top + box_h > height or left + box_w > width:
        raise ValueError(f"offset={offset} moves the {box_h}×{box_w} box outside the {height}×{width} image")
    masks = torch.zeros(n, 1, height, width)
    masks[:, :, top : top + box_h, left : left + box_w] = 1
    return masks


def random_box_masks(n: int, size, max_boxes: int = 3, min_fraction: float = 0.15, max_fraction: float = 0.4,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` masks, each with 1 to ``max_boxes`` rectangles at random places.

    Each rectangle's height and width are drawn uniformly between
    ``min_fraction`` and ``max_fraction`` of the image's side.
    """
    check_positive_int(n, "n")
    height, width = _check_size(size)
    check_positive_int(max_boxes, "max_boxes")
    low, high = _check_fraction(min_fraction, "min_fraction"), _check_fraction(max_fraction, "max_fraction")
    if low > high:
        raise ValueError(f"min_fraction ({low}) must not exceed max_fraction ({high})")
    masks = torch.zeros(n, 1, height, width)
    counts = torch.randint(1, max_boxes + 1, (n,), generator=generator)
    for index in range(n):
        for _ in range(int(counts[index])):
            fractions = low + (high - low) * torch.rand(2, generator=generator)
            box_h, box_w = max(1, round(float(fractions[0]) * height)), max(1, round(float(fractions[1]) * width))
            top = int(torch.randint(0, height - box_h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - box_w + 1, (1,), generator=generator))
            masks[index, :, top : top + box_h, left : left + box_w] = 1
    return masks


def free_form_masks(n: int, size, max_strokes: int = 3, max_vertices: int = 6, brush_fraction: float = 0.12,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` masks of brush strokes (Yu et al. 2019, Algorithm 1, simplified).

    Each stroke starts at a random point and makes 2 to ``max_vertices``
    straight moves, each of random angle and of length up to a quarter of the
    image; a round brush of radius ``brush_fraction × side / 2`` (give or take
    half) paints along the way.
    """
    check_positive_int(n, "n")
    height, width = _check_size(size)
    check_positive_int(max_strokes, "max_strokes")
    if check_positive_int(max_vertices, "max_vertices") < 2:
        raise ValueError(f"max_vertices must be at least 2, got {max_vertices}")
    side = min(height, width)
    base_radius = _check_fraction(brush_fraction, "brush_fraction") * side / 2
    yy = torch.arange(height).view(height, 1).float()  # (H, 1)
    xx = torch.arange(width).view(1, width).float()  # (1, W)
    masks = torch.zeros(n, 1, height, width)
    for index in range(n):
        hole = torch.zeros(height, width, dtype=torch.bool)
        for _ in range(int(torch.randint(1, max_strokes + 1, (1,), generator=generator))):
            y, x = (torch.rand(2, generator=generator) * torch.tensor([height, width])).tolist()
            radius = max(1.0, base_radius * (0.5 + float(torch.rand(1, generator=generator))))
            for _ in range(int(torch.randint(2, max_vertices + 1, (1,), generator=generator))):
                angle = float(torch.rand(1, generator=generator)) * 2 * math.pi
                length = float(torch.rand(1, generator=generator)) * side / 4
                new_y = min(max(y + length * math.sin(angle), 0.0), height - 1.0)
                new_x = min(max(x + length * math.cos(angle), 0.0), width - 1.0)
                # paint the segment: pixels within `radius` of the segment (y, x) -> (new_y, new_x)
                dy, dx = new_y - y, new_x - x
                span = max(dy * dy + dx * dx, 1e-9)
                t = (((yy - y) * dy + (xx - x) * dx) / span).clamp(0, 1)  # (H, W): nearest point on segment
                distance2 = (yy - (y + t * dy)) ** 2 + (xx - (x + t * dx)) ** 2
                hole |= distance2 <= radius * radius
                y, x = new_y, new_x
        masks[index, 0] = hole.float()
    return masks


def make_masks(kind: str, n: int, size, generator: torch.Generator | None = None, **options) -> torch.Tensor:
    """Masks of ``kind`` (``"centre"``, ``"boxes"`` or ``"strokes"``); ``options`` go to its function."""
    check_choice(kind, "kind", set(MASK_KINDS))
    if kind == "centre":
        return centre_box_masks(n, size, **options)
    if kind == "boxes":
        return random_box_masks(n, size, generator=generator, **options)
    return free_form_masks(n, size, generator=generator, **options)


def apply_masks(images: torch.Tensor, masks: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """``images`` with the hole set to ``fill``: ``x ⊙ (1 - m) + fill · m``."""
    check_images(images, "images")
    check_masks(masks, images, "masks")
    if not 0.0 <= fill <= 1.0:
        raise ValueError(f"fill must be in [0, 1], got {fill!r}")
    return images * (1 - masks) + fill * masks  # (N, C, H, W); the mask broadcasts over channels


class InpaintingDataset(Dataset):
    """A view over any ``(image, label)`` dataset that returns ``(masked image, mask, target)``.

    ``target`` is the original image (``C×H×W``), ``mask`` its ``1×H×W`` hole
    (1 = missing) and ``masked image`` the target with the hole set to
    ``fill``. Item ``i``'s mask is drawn from a generator seeded by
    ``(seed, i)``, so the dataset is deterministic: the held-out set is the same
    every time a model is measured.

    Args:
        dataset: any dataset of ``(C×H×W image in [0, 1], label)`` pairs.
        kind: ``"centre"``, ``"boxes"``, ``"strokes"`` or ``"mixed"`` (the
            three in turn, item by item).
        seed: the seed of the masks.
        fill: the value the hole is set to in the masked image.
        copies: how many times each image appears, each time with another
            mask (item ``i`` shows image ``i % len(dataset)``): more masks to
            learn from, for training.
        options: passed to the mask function (e.g. ``box_fraction=0.5``).

    Lesson: ``03_conditional_gan.ipynb``.
    """

    def __init__(self, dataset: Dataset, kind: str = "centre", seed: int = 0, fill: float = 0.0,
                 copies: int = 1, **options):
        check_choice(kind, "kind", set(MASK_KINDS) | {"mixed"})
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        if not 0.0 <= fill <= 1.0:
            raise ValueError(f"fill must be in [0, 1], got {fill!r}")
        if kind == "mixed" and options:
            raise ValueError("options cannot be combined with kind='mixed' (each kind has its own)")
        self.dataset, self.kind, self.seed, self.fill, self.options = dataset, kind, seed, fill, options
        self.copies = check_positive_int(copies, "copies")
        if kind != "mixed":
            make_masks(kind, 1, 64, torch.Generator().manual_seed(0), **options)  # bad options fail here, not later

    def __len__(self) -> int:
        return len(self.dataset) * self.copies

    def kind_of(self, index: int) -> str:
        """The mask kind of item ``index``."""
        if self.kind != "mixed":
            return self.kind
        return MASK_KINDS[index % len(MASK_KINDS)]

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        image = self.dataset[index % len(self.dataset)][0]
        if not isinstance(image, torch.Tensor) or image.ndim != 3:
            raise ValueError(f"the wrapped dataset must return C×H×W image tensors, got {type(image).__name__}")
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        mask = make_masks(self.kind_of(index), 1, tuple(image.shape[-2:]), generator, **self.options)[0]  # (1, H, W)
        masked = apply_masks(image[None], mask[None], self.fill)[0]  # (C, H, W)
        return masked, mask, image

    def stacked(self, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The first ``limit`` items as three ``N×…`` tensors ``(masked, masks, targets)``."""
        count = len(self) if limit is None else min(check_positive_int(limit, "limit"), len(self))
        items = [self[i] for i in range(count)]
        return tuple(torch.stack([item[k] for item in items]) for k in range(3))
