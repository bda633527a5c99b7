"""Paired training patches for super-resolution: ``(low_res, high_res)`` made on the fly.

A super-resolution model learns the inverse of a *degradation model*. The
classic one (SRCNN, SRResNet, EDSR) is

.. math::  y = (x \\otimes k)\\downarrow_s + n

a high-resolution image ``x``, optionally blurred by a kernel ``k``, shrunk
by the factor ``s`` with MATLAB-like bicubic (which itself low-pass filters),
plus optional noise ``n``. :class:`PairedPatchDataset` cuts a random
``patch_size × patch_size`` crop from one of the training images, applies a
random flip / 90° rotation (the eight symmetries of a square: the data is 8×
larger for free), and degrades it.

Every item is a pure function of ``(seed, index)``: item ``i`` is always the
same pair, on any machine, with or without worker processes. A training loop
that draws random *indices* from its own seeded generator (as
:func:`imgsynth_edu.training.sr.train_restorer` does) therefore sees fresh
random crops at every step and still resumes exactly.

**Streaming a large set.** Given a folder (an
:class:`~imgsynth_edu.data.image_io.ImageFolder`, from
:func:`~imgsynth_edu.data.image_io.read_image_folder`, e.g. DIV2K's 800
training images, ~27 GB as float tensors), the dataset keeps only the file
paths and reads one file per item, in ``__getitem__``: memory does not grow
with the number of images, and a ``DataLoader`` with worker processes reads
and crops items in parallel (each worker opens its own files).

Lesson: ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch.utils.data import Dataset

from .._checks import check_images, check_non_negative, check_positive_int
from .degradations import add_gaussian_noise, bicubic_downscale, gaussian_blur
from .image_io import ImageFolder, load_image_file

__all__ = ["PairedPatchDataset", "augment_dihedral"]


def augment_dihedral(image: torch.Tensor, which: int) -> torch.Tensor:
    """One of the 8 symmetries of a square: ``which // 2`` quarter turns, then a flip if odd.

    Works on any tensor whose last two dims are ``H×W``; ``which = 0`` is the identity.
    """
    if isinstance(which, bool) or not isinstance(which, int) or not 0 <= which < 8:
        raise ValueError(f"which must be an int in 0..7, got {which!r}")
    turned = torch.rot90(image, which // 2, dims=(-2, -1))  # H×W -> W×H for odd turns
    return turned.flip(-1) if which % 2 else turned


class PairedPatchDataset(Dataset):
    """Random ``(low_res, high_res)`` patch pairs from a set of images.

    Args:
        images: the high-resolution images, a ``{name: C×H×W}`` dict (as
            :func:`~imgsynth_edu.data.photo_set` returns), a sequence of
            ``C×H×W`` tensors, or an ``N×C×H×W`` tensor; all in ``[0, 1]``,
            each at least ``patch_size`` on both sides. An
            :class:`~imgsynth_edu.data.image_io.ImageFolder` is streamed: only
            its paths are kept, and each item reads its image file.
        scale: the super-resolution factor ``s``.
        patch_size: side of the high-resolution patch (a multiple of ``scale``;
            the low-resolution patch is ``patch_size / scale``).
        length: how many distinct items the dataset indexes (default 100,000:
            far more than a run draws, so crops are effectively fresh).
        blur_sigma: std of a Gaussian blur applied before downscaling (0: none).
        noise_sigma: std of Gaussian noise added to the low-resolution patch
            (0: none; clamped to ``[0, 1]`` like a sensor).
        augment: random flips and 90° rotations.
        seed: item ``i`` depends only on ``(seed, i)``.

    Item ``i``: ``(low_res C×(p/s)×(p/s), high_res C×p×p)``, float32 in ``[0, 1]``.
    """

    def __init__(
        self,
        images: Mapping[str, torch.Tensor] | Sequence[torch.Tensor] | torch.Tensor,
        scale: int = 4,
        patch_size: int = 96,
        *,
        length: int = 100_000,
        blur_sigma: float = 0.0,
        noise_sigma: float = 0.0,
        augment: bool = True,
        seed: int = 0,
    ):
        self.paths: list | None = None  # the files of a streamed folder (None: images held in memory)
        if isinstance(images, ImageFolder):
            self.paths, self.rgb = [images.path(name) for name in images], images.rgb
            images = []
        elif isinstance(images, Mapping):
            images = list(images.values())
        elif isinstance(images, torch.Tensor):
            check_images(images, "images")
            images = list(images)
        if self.paths is None and (not isinstance(images, Sequence) or len(images) == 0):
            raise ValueError("images must be a non-empty dict, sequence or N×C×H×W tensor of images")
        check_positive_int(scale, "scale")
        check_positive_int(patch_size, "patch_size")
        check_positive_int(length, "length")
        if patch_size % scale:
            raise ValueError(f"patch_size={patch_size} must be a multiple of scale={scale}")
        self.blur_sigma = check_non_negative(blur_sigma, "blur_sigma")
        self.noise_sigma = check_non_negative(noise_sigma, "noise_sigma")
        checked = []
        for index, image in enumerate(images):
            if not isinstance(image, torch.Tensor) or image.ndim != 3:
                raise ValueError(f"images[{index}] must be a C×H×W tensor, got {getattr(image, 'shape', type(image))}")
            check_images(image[None], f"images[{index}]", min_size=patch_size)
            checked.append(image.float())
        if len({img.shape[0] for img in checked}) > 1:
            raise ValueError(f"images must all have the same number of channels, got {[img.shape[0] for img in checked]}")
        self.images = checked
        self.scale, self.patch_size, self.length = scale, patch_size, length
        self.augment, self.seed = augment, int(seed)
        # Every image is equally likely (a large image does not crowd out the others).
        count = len(self.paths) if self.paths is not None else len(checked)
        self._image_weights = torch.full((count,), 1.0 / count, dtype=torch.float64)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for a dataset of length {self.length}")
        rng = torch.Generator().manual_seed(self.seed * 1_000_003 + int(index))
        which_image = int(torch.multinomial(self._image_weights, 1, generator=rng))
        image = self._image(which_image)  # C×H×W
        _, height, width = image.shape
        top = int(torch.randint(height - self.patch_size + 1, (1,), generator=rng))
        left = int(torch.randint(width - self.patch_size + 1, (1,), generator=rng))
        high_res = image[:, top : top + self.patch_size, left : left + self.patch_size]  # C×p×p
        if self.augment:
            high_res = augment_dihedral(high_res, int(torch.randint(8, (1,), generator=rng)))
        degraded = high_res[None]  # 1×C×p×p
        if self.blur_sigma > 0:
            degraded = gaussian_blur(degraded, self.blur_sigma)
        low_res = bicubic_downscale(degraded, self.scale)  # -> 1×C×(p/s)×(p/s)
        if self.noise_sigma > 0:
            low_res = add_gaussian_noise(low_res, self.noise_sigma, generator=rng)
        return low_res[0].contiguous(), high_res.contiguous()

    def _image(self, which: int) -> torch.Tensor:
        """Image ``which``: from memory, or read from its file now (a streamed folder)."""
        if self.paths is None:
            return self.images[which]
        image = load_image_file(self.paths[which], rgb=self.rgb)  # C×H×W, read for this item only
        if min(image.shape[-2:]) < self.patch_size:
            raise ValueError(f"image {str(self.paths[which])!r} is {image.shape[-1]}×{image.shape[-2]}, smaller than "
                             f"patch_size={self.patch_size}")
        return image
