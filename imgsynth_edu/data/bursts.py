"""Synthetic bursts: several shifted, noisy, low-resolution shots of one scene.

A phone takes a *burst*: ``F`` frames in a fraction of a second while the
hand shakes a little. Every frame sees the same scene through a slightly
different sub-pixel offset, is sampled on the same coarse sensor grid, and
gets its own noise. We make such bursts from one high-resolution image, as
Bhat et al. (2021, "Deep Burst Super-Resolution", Sec. 4) do for their
synthetic training set:

1. **motion** - frame ``f`` is the image translated by a random sub-pixel
   shift ``d_f`` (and, optionally, rotated by up to ~1°); frame 0 is the
   *reference*, with ``d_0 = 0``;
2. **sampling** - each moved image is shrunk by the ``scale`` (2, 3, 4 or 8;
   the course uses 4):
   MATLAB-like bicubic (the SR protocol, default) or a box average (a sensor
   pixel integrating the light that falls on it);
3. **noise** - Gaussian read noise, or the shot + read model of Brooks et al.
   (2019, the heteroscedastic Gaussian model), used by Bhat et al.: ``y ~ N(x, λ_read + λ_shot·x)``.

**Shift convention** (used everywhere in the course): ``shifts[f] = (dy, dx)``
in *low-resolution* pixels, meaning that frame ``f`` shows the reference's
content moved by ``+d_f``: ``frame_f(p) ≈ frame_0(p - d_f)``. (scikit-image's
``phase_cross_correlation(frame_0, frame_f)`` returns the *opposite*, ``-d_f``:
the shift that moves frame ``f`` back onto the reference.)

Everything is seeded: the same ``seed`` gives the same burst, bit for bit.

Lesson: ``06_multi_frame_restoration.ipynb``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from .._checks import (
    check_choice,
    check_images,
    check_non_negative,
    check_positive_int,
    check_scale,
)
from .degradations import bicubic_downscale, crop_to_multiple
from .image_io import ImageFolder, load_image_file

__all__ = [
    "DEFAULT_NOISE",
    "AUGMENT_FLIP_PROBABILITY",
    "AUGMENT_GAIN_RANGE",
    "AUGMENT_NOISE_FACTOR_RANGE",
    "Burst",
    "BurstAugmentation",
    "BurstDataset",
    "add_shot_read_noise",
    "draw_burst_augmentation",
    "synthetic_burst",
    "warp_image",
]

#: The default noise of the course's bursts: shot + read (Brooks et al. 2019), moderate light.
#: At mid-grey (x = 0.5) the standard deviation is sqrt(1e-4 + 1e-3·0.5) ≈ 0.0245 (≈ 6/255).
DEFAULT_NOISE = {"noise": "shot-read", "shot_noise": 1e-3, "read_noise": 1e-4}
DOWNSAMPLING = ("bicubic", "box")
NOISE_MODELS = ("shot-read", "gaussian", "none")


@dataclass
class Burst:
    """One synthetic burst (or a batch of them).

    Attributes:
        frames: ``F×C×h×w`` (one burst) low-resolution frames in ``[0, 1]``; frame 0 is the reference.
        target: ``C×H×W`` the high-resolution truth, aligned with frame 0 (``H = scale·h``).
        shifts: ``F×2`` the true ``(dy, dx)`` of every frame in low-resolution pixels (``shifts[0] = 0``).
        angles: ``F`` the true rotation of every frame in degrees (``angles[0] = 0``).
        scale: the downsampling factor.
    """

    frames: torch.Tensor
    target: torch.Tensor
    shifts: torch.Tensor
    angles: torch.Tensor
    scale: int


def warp_image(image: torch.Tensor, shift_hr: tuple[float, float], angle_deg: float = 0.0) -> torch.Tensor:
    """Move ``image`` (``C×H×W``) by ``shift_hr = (dy, dx)`` pixels and rotate it by ``angle_deg``.

    The output at pixel ``p`` is the input at ``R(-θ)·(p - c - d) + c`` (``c``
    the image centre), read by bicubic interpolation (reflection at the
    borders): the content moves by ``+d`` and turns by ``θ`` about the centre.
    Bicubic interpolation overshoots a little at sharp edges; the result is
    clamped to ``[0, 1]`` as a camera would saturate.
    """
    channels, height, width = image.shape
    rows = torch.arange(height, dtype=torch.float64)
    cols = torch.arange(width, dtype=torch.float64)
    grid_y, grid_x = torch.meshgrid(rows, cols, indexing="ij")  # H×W each
    center_y, center_x = (height - 1) / 2, (width - 1) / 2
    rel_y = grid_y - center_y - shift_hr[0]
    rel_x = grid_x - center_x - shift_hr[1]
    theta = math.radians(angle_deg)
    cos, sin = math.cos(theta), math.sin(theta)
    # Rotate by -θ (the inverse map): where does output pixel p come from?
    src_x = cos * rel_x + sin * rel_y + center_x
    src_y = -sin * rel_x + cos * rel_y + center_y
    # Pixel index -> grid_sample's normalised coordinate (align_corners=False).
    grid = torch.stack([(2 * src_x + 1) / width - 1, (2 * src_y + 1) / height - 1], dim=-1)  # H×W×2
    warped = F.grid_sample(
        image[None].double(), grid[None], mode="bicubic", padding_mode="reflection", align_corners=False
    )  # 1×C×H×W
    return warped[0].to(image.dtype).clamp(0.0, 1.0)


def add_shot_read_noise(
    images: torch.Tensor, shot_noise: float, read_noise: float, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shot + read noise (Brooks et al. 2019, heteroscedastic Gaussian model; Bhat et al. 2021, Sec. 4).

    .. math::
        y \\sim \\mathcal{N}\\big(x,\\; \\lambda_{read} + \\lambda_{shot}\\,x\\big)

    a Gaussian approximation of photon (Poisson) noise, whose variance grows
    with the signal, plus signal-independent read noise. ``shot_noise`` and
    ``read_noise`` are the variances ``λ_shot``, ``λ_read`` on the ``[0, 1]``
    scale. The result is clamped to ``[0, 1]`` (a sensor saturates and cannot
    count fewer than zero photons).
    """
    check_images(images, "images")
    shot_noise = check_non_negative(shot_noise, "shot_noise")
    read_noise = check_non_negative(read_noise, "read_noise")
    variance = read_noise + shot_noise * images  # same shape as images
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    return (images + variance.sqrt() * noise.to(images.device)).clamp(0.0, 1.0)


def _check_noise_arguments(noise: str, sigma: float, shot_noise: float, read_noise: float) -> None:
    check_choice(noise, "noise", set(NOISE_MODELS))
    check_non_negative(sigma, "sigma")
    check_non_negative(shot_noise, "shot_noise")
    check_non_negative(read_noise, "read_noise")


def synthetic_burst(
    image: torch.Tensor,
    frames: int = 8,
    scale: int = 4,
    *,
    max_shift: float = 2.0,
    max_rotation: float = 0.0,
    downsampling: str = "bicubic",
    noise: str = DEFAULT_NOISE["noise"],
    sigma: float = 0.02,
    shot_noise: float = DEFAULT_NOISE["shot_noise"],
    read_noise: float = DEFAULT_NOISE["read_noise"],
    border: int = 0,
    seed: int = 0,
) -> Burst:
    """A burst of ``frames`` shifted, downsampled, noisy views of ``image`` (Bhat et al. 2021, Sec. 4).

    Frame ``f`` is

    .. math::
        y_f = \\mathrm{noise}\\Big(\\mathrm{down}_s\\big(\\mathrm{warp}_{d_f,\\theta_f}(x)\\big)\\Big),
        \\qquad d_0 = 0,\\ \\theta_0 = 0

    Args:
        image: ``C×H×W`` high-resolution image in ``[0, 1]``; cropped at the
            bottom/right to a multiple of ``scale``.
        frames: ``F >= 1``, the number of frames.
        scale: the downsampling factor, one of :data:`~imgsynth_edu._checks.SUPPORTED_SCALES`.
        max_shift: shifts ``d_f`` are uniform in ``[-max_shift, max_shift]²``
            low-resolution pixels.
        max_rotation: rotations uniform in ``[-max_rotation, max_rotation]``
            degrees (Bhat et al. use up to 1°); 0 by default (pure translation).
        downsampling: ``"bicubic"`` (MATLAB-like, the SR protocol) or ``"box"``
            (average of each ``scale × scale`` block: a sensor pixel).
        noise: ``"shot-read"`` (default, :func:`add_shot_read_noise`),
            ``"gaussian"`` (standard deviation ``sigma``) or ``"none"``.
        border: low-resolution pixels cut from every side of the frames (and
            ``scale·border`` from the target), so that no frame shows the
            reflected padding that the warp invents beyond the image edge.
        seed: the burst is a deterministic function of its arguments and ``seed``.

    Returns a :class:`Burst` with ``frames`` ``F×C×h×w``, ``target``
    ``C×(scale·h)×(scale·w)``, ``shifts`` ``F×2`` (low-resolution pixels, see the
    module's shift convention) and ``angles`` ``F``.

    Lesson: ``06_multi_frame_restoration.ipynb`` (generating bursts).
    """
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        raise ValueError(
            f"image must be one C×H×W tensor, got {type(image).__name__} "
            f"with shape {tuple(getattr(image, 'shape', ()))}"
        )
    check_images(image[None], "image")
    check_positive_int(frames, "frames")
    check_scale(scale)
    max_shift = check_non_negative(max_shift, "max_shift")
    max_rotation = check_non_negative(max_rotation, "max_rotation")
    check_choice(downsampling, "downsampling", set(DOWNSAMPLING))
    _check_noise_arguments(noise, sigma, shot_noise, read_noise)
    if isinstance(border, bool) or not isinstance(border, int) or border < 0:
        raise ValueError(f"border must be an int >= 0, got {border!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    image = crop_to_multiple(image, scale)
    low_h, low_w = image.shape[1] // scale, image.shape[2] // scale
    if min(low_h, low_w) - 2 * border < 4:
        raise ValueError(
            f"image ({tuple(image.shape[1:])}) is too small for scale={scale} and border={border}: "
            "the frames would be smaller than 4×4"
        )

    generator = torch.Generator().manual_seed(seed)
    shifts = (torch.rand(frames, 2, generator=generator, dtype=torch.float64) * 2 - 1) * max_shift  # F×2
    angles = (torch.rand(frames, generator=generator, dtype=torch.float64) * 2 - 1) * max_rotation  # F
    shifts[0] = 0.0
    angles[0] = 0.0

    moved = []
    for index in range(frames):
        if index == 0 or (shifts[index].abs().sum() == 0 and angles[index] == 0):
            moved.append(image)
        else:
            shift_hr = (float(shifts[index, 0]) * scale, float(shifts[index, 1]) * scale)
            moved.append(warp_image(image, shift_hr, float(angles[index])))
    moved_stack = torch.stack(moved)  # F×C×H×W
    if downsampling == "bicubic":
        low_res = bicubic_downscale(moved_stack, scale)  # F×C×h×w
    else:
        low_res = F.avg_pool2d(moved_stack, scale)  # F×C×h×w
    if noise == "shot-read":
        low_res = add_shot_read_noise(low_res, shot_noise, read_noise, generator=generator)
    elif noise == "gaussian":
        noise_sample = torch.randn(low_res.shape, generator=generator, dtype=low_res.dtype)
        low_res = (low_res + sigma * noise_sample).clamp(0.0, 1.0)  # a sensor saturates
    target = image
    if border:
        low_res = low_res[:, :, border:-border, border:-border]  # F×C×(h-2b)×(w-2b)
        target = target[:, border * scale : -border * scale, border * scale : -border * scale]
    return Burst(
        frames=low_res.contiguous(),
        target=target.contiguous(),
        shifts=shifts.float(),
        angles=angles.float(),
        scale=scale,
    )


#: The training augmentation of :class:`BurstDataset` (``augment=True``), stated once:
#: each flip happens with probability 1/2, the quarter turns are uniform in {0, 1, 2, 3},
#: the channel order is uniform over all orders, each channel's gain is uniform in
#: ``AUGMENT_GAIN_RANGE`` (at most 1, so values stay in ``[0, 1]`` without clipping), and the
#: noise variances are multiplied by one factor log-uniform in ``AUGMENT_NOISE_FACTOR_RANGE``.
AUGMENT_FLIP_PROBABILITY = 0.5
AUGMENT_GAIN_RANGE = (0.8, 1.0)
AUGMENT_NOISE_FACTOR_RANGE = (0.5, 2.0)


@dataclass
class BurstAugmentation:
    """The random choices that :class:`BurstDataset` made for one item (``augment=True``).

    Attributes:
        flip_horizontal: mirror left-right (probability 1/2).
        flip_vertical: mirror top-bottom (probability 1/2).
        quarter_turns: ``k`` in 0..3, a rotation by ``k·90°`` (``torch.rot90``), each ``k`` with probability 1/4.
        channel_order: a permutation of the channels (uniform over all ``C!`` orders; identity for ``C = 1``).
        channel_gains: ``C`` gains, each uniform in :data:`AUGMENT_GAIN_RANGE`.
        noise_factor: multiplies the shot and read variances (or ``sigma²`` of Gaussian noise),
            log-uniform in :data:`AUGMENT_NOISE_FACTOR_RANGE` (1 = the default light level).
    """

    flip_horizontal: bool
    flip_vertical: bool
    quarter_turns: int
    channel_order: tuple[int, ...]
    channel_gains: tuple[float, ...]
    noise_factor: float

    def apply(self, patch: torch.Tensor) -> torch.Tensor:
        """The geometric and colour part on one ``C×H×W`` high-resolution patch (before the burst is made).

        Because the burst's frames are made from the transformed patch, frames and target are
        transformed together by construction.
        """
        if self.flip_horizontal:
            patch = patch.flip(-1)
        if self.flip_vertical:
            patch = patch.flip(-2)
        patch = torch.rot90(patch, self.quarter_turns, dims=(-2, -1))  # C×W×H for odd turns (square here)
        patch = patch[list(self.channel_order)]  # channels reordered
        gains = torch.tensor(self.channel_gains, dtype=patch.dtype)[:, None, None]  # C×1×1
        return patch * gains  # gains <= 1: stays in [0, 1]


def draw_burst_augmentation(channels: int, generator: torch.Generator) -> BurstAugmentation:
    """Draw one :class:`BurstAugmentation` for a ``channels``-channel patch from ``generator``.

    Lesson: ``06_multi_frame_restoration.ipynb`` (training).
    """
    check_positive_int(channels, "channels")
    flip_horizontal = bool(torch.rand(1, generator=generator) < AUGMENT_FLIP_PROBABILITY)
    flip_vertical = bool(torch.rand(1, generator=generator) < AUGMENT_FLIP_PROBABILITY)
    quarter_turns = int(torch.randint(4, (1,), generator=generator))
    channel_order = tuple(int(c) for c in torch.randperm(channels, generator=generator))
    low_gain, high_gain = AUGMENT_GAIN_RANGE
    gains = low_gain + (high_gain - low_gain) * torch.rand(channels, generator=generator, dtype=torch.float64)  # C
    low_log, high_log = math.log(AUGMENT_NOISE_FACTOR_RANGE[0]), math.log(AUGMENT_NOISE_FACTOR_RANGE[1])
    noise_factor = math.exp(low_log + (high_log - low_log) * float(torch.rand(1, generator=generator, dtype=torch.float64)))
    return BurstAugmentation(
        flip_horizontal=flip_horizontal,
        flip_vertical=flip_vertical,
        quarter_turns=quarter_turns,
        channel_order=channel_order,
        channel_gains=tuple(float(g) for g in gains),
        noise_factor=noise_factor,
    )


class BurstDataset(Dataset):
    """Random burst patches cut from a set of photographs, for training a burst restorer.

    Item ``i`` is a deterministic function of ``(seed, i)``: a random photo, a
    random ``patch_size × patch_size`` high-resolution crop (plus a margin for
    the motion), a burst made from it by :func:`synthetic_burst` and its
    border cut away. Returns ``(frames, target)``: ``F×C×h×w`` and
    ``C×patch_size×patch_size``; a ``DataLoader`` batches them into
    ``N×F×C×h×w`` and ``N×C×H×W``.

    **Augmentation** (``augment=True``, what ``imgsynth-edu train burst`` uses by
    default), drawn from the item's own generator (seeded by ``(seed, i)``, so the
    same seed still gives the same item) and applied to the high-resolution crop
    *before* the burst is made, so frames and target always agree:

    - a horizontal flip with probability 1/2 and a vertical flip with probability 1/2;
    - a rotation by ``k·90°``, ``k`` uniform in {0, 1, 2, 3};
    - colour: the channels in a random order (uniform over all orders), then each
      channel multiplied by a gain uniform in ``[0.8, 1]`` (:data:`AUGMENT_GAIN_RANGE`):
      gains of at most 1 keep values in ``[0, 1]`` with no clipping;
    - the noise level: the shot and read variances (``sigma²`` for Gaussian noise) are
      multiplied by one factor log-uniform in ``[1/2, 2]`` (:data:`AUGMENT_NOISE_FACTOR_RANGE`),
      i.e. each burst is taken in somewhat more or less light than the default.

    Flips and 90° turns are the usual super-resolution augmentation (Lim et al. 2017,
    EDSR, Sec. 4.1); drawing each image's noise level at random, log-uniformly, follows
    Brooks et al. (2019), who train their denoiser on a range of shot / read levels.
    :meth:`augmentation` returns the choices made for an item. With ``augment=False``
    the only augmentation is a horizontal flip with probability 1/2 (the data
    ``burst-x4`` was first trained on).

    Args:
        images: ``{name: C×H×W}`` or a list of ``C×H×W`` photos in ``[0, 1]``
            (e.g. ``photo_set("train")``: never train on the held-out split), or an
            :class:`~imgsynth_edu.data.image_io.ImageFolder` (e.g. DIV2K's training
            images), streamed: each item reads its one photo from its file.
        frames, scale: as in :func:`synthetic_burst`.
        patch_size: high-resolution side of the target; a multiple of ``scale``.
        length: how many items an epoch has.
        seed: makes the whole dataset reproducible.
        augment: the augmentation above (``False`` by default here, so that the
            lesson's small runs stay as they were; the CLI turns it on).
        burst_options: other keyword arguments of :func:`synthetic_burst`
            (noise, ``max_shift``, ``downsampling``, ...).

    Lesson: ``06_multi_frame_restoration.ipynb`` (training).
    """

    def __init__(self, images, frames: int = 8, scale: int = 4, patch_size: int = 96, length: int = 1000,
                 seed: int = 0, augment: bool = False, **burst_options):
        self.paths: list | None = None  # the files of a streamed folder (None: photos held in memory)
        if isinstance(images, ImageFolder):  # e.g. DIV2K's 800 photos (~27 GB as tensors): read one per item
            if len(images) == 0:
                raise ValueError("images must hold at least one photo")
            self.paths, self.rgb = [images.path(name) for name in images], images.rgb
            photos = [load_image_file(self.paths[0], rgb=self.rgb)]  # the first one, for the checks below
        else:
            photos = list(images.values()) if isinstance(images, Mapping) else list(images)
        if not photos:
            raise ValueError("images must hold at least one photo")
        for index, photo in enumerate(photos):
            if not isinstance(photo, torch.Tensor) or photo.ndim != 3:
                raise ValueError(f"images[{index}] must be a C×H×W tensor")
            check_images(photo[None], f"images[{index}]")
        if len({photo.shape[0] for photo in photos}) != 1:
            raise ValueError("images must all have the same number of channels")
        check_positive_int(frames, "frames")
        check_scale(scale)
        check_positive_int(patch_size, "patch_size")
        if patch_size % scale:
            raise ValueError(f"patch_size={patch_size} must be a multiple of scale={scale}")
        check_positive_int(length, "length")
        if not isinstance(augment, bool):
            raise ValueError(f"augment must be True or False, got {augment!r}")
        for forbidden in ("border", "seed", "frames", "scale"):
            if forbidden in burst_options:
                raise ValueError(f"burst_options must not set {forbidden!r} (the dataset chooses it)")
        self.max_shift = float(burst_options.get("max_shift", 2.0))
        self.border = int(math.ceil(self.max_shift)) + 2  # low-res pixels of margin for the motion
        crop = patch_size + 2 * self.border * scale
        small = [tuple(p.shape[1:]) for p in photos if min(p.shape[1:]) < crop]
        if small:
            raise ValueError(f"every photo must be at least {crop}×{crop} for patch_size={patch_size}; got {small}")
        self.photos = photos if self.paths is None else []
        self.frames, self.scale, self.patch_size = frames, scale, patch_size
        self.length, self.seed, self.augment = length, seed, augment
        self.channels = photos[0].shape[0]
        self.burst_options = burst_options
        synthetic_burst(photos[0][:, :crop, :crop], 1, scale, border=self.border, **burst_options)  # checks options

    def __len__(self) -> int:
        return self.length

    def _draw(self, index: int):
        """Item ``index``'s random choices, in a fixed order from its own generator."""
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for a dataset of {self.length}")
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        count = len(self.paths) if self.paths is not None else len(self.photos)
        photo = self._photo(int(torch.randint(count, (1,), generator=generator)))
        crop = self.patch_size + 2 * self.border * self.scale
        top = int(torch.randint(photo.shape[1] - crop + 1, (1,), generator=generator))
        left = int(torch.randint(photo.shape[2] - crop + 1, (1,), generator=generator))
        patch = photo[:, top : top + crop, left : left + crop]  # C×crop×crop
        if self.augment:
            augmentation = draw_burst_augmentation(patch.shape[0], generator)
        else:
            flip = bool(torch.rand(1, generator=generator) < 0.5)  # the old, flip-only data
            augmentation = BurstAugmentation(flip, False, 0, tuple(range(patch.shape[0])),
                                             (1.0,) * patch.shape[0], 1.0)
        burst_seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
        return patch, augmentation, burst_seed

    def _photo(self, which: int) -> torch.Tensor:
        """Photo ``which``: from memory, or read from its file now (a streamed folder)."""
        if self.paths is None:
            return self.photos[which]
        photo = load_image_file(self.paths[which], rgb=self.rgb)  # C×H×W, read for this item only
        crop = self.patch_size + 2 * self.border * self.scale
        if min(photo.shape[1:]) < crop:
            raise ValueError(f"image {str(self.paths[which])!r} is {photo.shape[2]}×{photo.shape[1]}, smaller than "
                             f"{crop}×{crop} (patch_size={self.patch_size} and the motion's margin)")
        if photo.shape[0] != self.channels:
            raise ValueError(f"image {str(self.paths[which])!r} has {photo.shape[0]} channels, but the folder's "
                             f"first image has {self.channels}: images must all have the same number of channels")
        return photo

    def augmentation(self, index: int) -> BurstAugmentation:
        """The augmentation choices item ``index`` is made with (for inspection and tests)."""
        return self._draw(index)[1]

    def __getitem__(self, index: int):
        patch, augmentation, burst_seed = self._draw(index)
        patch = augmentation.apply(patch)  # C×crop×crop
        options = dict(self.burst_options)
        if augmentation.noise_factor != 1.0:
            factor = augmentation.noise_factor
            options["shot_noise"] = options.get("shot_noise", DEFAULT_NOISE["shot_noise"]) * factor
            options["read_noise"] = options.get("read_noise", DEFAULT_NOISE["read_noise"]) * factor
            options["sigma"] = options.get("sigma", 0.02) * math.sqrt(factor)  # variance × factor
        burst = synthetic_burst(patch, self.frames, self.scale, border=self.border, seed=burst_seed, **options)
        return burst.frames, burst.target  # F×C×h×w, C×P×P
