"""Degradations: what happens to an image between the scene and the file.

Each is a pure function on ``float32`` ``N×C×H×W`` tensors in ``[0, 1]``;
the random ones take a ``torch.Generator`` so that a seed gives the same
result twice.

* :func:`bicubic_downscale` / :func:`bicubic_resize` - **MATLAB-like** bicubic.
* :func:`gaussian_blur`      - the optical blur of a lens.
* :func:`add_gaussian_noise` - read noise, signal-independent.
* :func:`add_poisson_noise`  - shot noise, counts of photons.
* :func:`jpeg_compress`      - the compression artefacts of a JPEG file.
* :func:`shift_right`, :func:`change_brightness` - changes the eye forgives and
  pixel metrics do not (lesson 04).
* :func:`degrade`            - any of the above in one call, in a fixed order (the
  widgets of lessons 00 and 04 use it).

Which bicubic, and why. Super-resolution papers (SRCNN, SRResNet/SRGAN, EDSR,
SwinIR) make their low-resolution inputs with MATLAB's ``imresize``: the cubic
convolution kernel of Keys (1981) with ``a = -0.5``, widened by the scale factor
when shrinking (antialiasing), and symmetric padding at the borders. PIL's
bicubic uses the same kernel but handles borders by renormalising the weights,
so the two differ near the edges and a model evaluated on PIL-made inputs
reports different numbers from the paper. We implement the MATLAB rule (from
its formula, as two small matrices), so the bicubic baseline and the
low-resolution inputs here are the ones the papers' tables were computed on.

Lesson: ``00_tour.ipynb`` (the degradation widget), ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_images, check_non_negative, check_positive_int


# ----------------------------------------------------------------------------
# Bicubic resizing, MATLAB ``imresize`` rule
# ----------------------------------------------------------------------------
def cubic_kernel(x: torch.Tensor, a: float = -0.5) -> torch.Tensor:
    """Keys' cubic convolution kernel (Keys 1981, eq. 15 with ``a = -0.5``).

    .. math::
        k(x) = \\begin{cases}
        (a+2)|x|^3 - (a+3)|x|^2 + 1 & |x| \\le 1 \\\\
        a|x|^3 - 5a|x|^2 + 8a|x| - 4a & 1 < |x| < 2 \\\\
        0 & \\text{otherwise}
        \\end{cases}
    """
    ax = x.abs()
    near = ((a + 2) * ax**3 - (a + 3) * ax**2 + 1) * (ax <= 1)
    far = (a * ax**3 - 5 * a * ax**2 + 8 * a * ax - 4 * a) * ((ax > 1) & (ax < 2))
    return near + far


def _resize_matrix(in_size: int, out_size: int) -> torch.Tensor:
    """The ``out_size × in_size`` matrix ``M`` with ``resized = M @ signal`` (float64).

    Output pixel ``i`` sits at input coordinate ``(i + 0.5) / s - 0.5`` for
    the scale ``s = out_size / in_size``. When shrinking (``s < 1``) the kernel
    is stretched by ``1/s`` (antialiasing); taps outside the signal are
    mirrored back inside ("symmetric" padding), as MATLAB does.
    """
    scale = out_size / in_size
    stretch = min(scale, 1.0)  # 1 when enlarging, s when shrinking
    support = 2.0 / stretch  # half-width of the (stretched) kernel
    centers = (torch.arange(out_size, dtype=torch.float64) + 0.5) / scale - 0.5  # (out,)
    first = torch.floor(centers - support).long()  # (out,)
    taps = int(math.ceil(2 * support)) + 2
    indices = first[:, None] + torch.arange(taps)[None, :]  # (out, taps)
    weights = stretch * cubic_kernel((centers[:, None] - indices) * stretch)  # (out, taps)
    weights = weights / weights.sum(dim=1, keepdim=True)
    # Symmetric padding: ... 1 0 | 0 1 2 ... n-1 | n-1 n-2 ...
    period = 2 * in_size
    wrapped = indices % period
    indices = torch.where(wrapped < in_size, wrapped, period - 1 - wrapped)
    matrix = torch.zeros(out_size, in_size, dtype=torch.float64)
    matrix.scatter_add_(1, indices, weights)
    return matrix


def bicubic_resize(images: torch.Tensor, size: tuple[int, int], *, clip: bool = True) -> torch.Tensor:
    """Resize ``images`` (``N×C×H×W`` in ``[0, 1]``) to ``size = (H', W')``, MATLAB-like bicubic.

    The cubic kernel has negative lobes, so at sharp edges the result
    overshoots ``[0, 1]`` by a few percent. Like MATLAB on an 8-bit image, the
    result is clamped to ``[0, 1]`` (``clip=True``, the default); pass
    ``clip=False`` to see the raw values.
    """
    check_images(images, "images")
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(s, int) and s >= 1 for s in size)
    ):
        raise ValueError(f"size must be a pair of positive ints (height, width), got {size!r}")
    height, width = images.shape[-2:]
    rows = _resize_matrix(height, size[0]).to(images.device)  # (H', H)
    cols = _resize_matrix(width, size[1]).to(images.device)  # (W', W)
    resized = rows @ images.double() @ cols.T  # (N, C, H', W')
    resized = resized.to(images.dtype)
    return resized.clamp(0.0, 1.0) if clip else resized


def bicubic_downscale(images: torch.Tensor, scale: int, *, clip: bool = True) -> torch.Tensor:
    """Shrink ``images`` by the integer ``scale`` (2, 3, 4, ...), MATLAB-like bicubic.

    Both sides must be divisible by ``scale`` (crop first, e.g. with
    :func:`crop_to_multiple`), so that high- and low-resolution pixels line up
    exactly, as the SR evaluation protocol assumes.
    """
    check_images(images, "images")
    check_positive_int(scale, "scale")
    height, width = images.shape[-2:]
    if height % scale or width % scale:
        raise ValueError(
            f"scale={scale} must divide the image size, got {height}×{width}; "
            "crop with crop_to_multiple(images, scale) first"
        )
    return bicubic_resize(images, (height // scale, width // scale), clip=clip)


def bicubic_upscale(images: torch.Tensor, scale: int, *, clip: bool = True) -> torch.Tensor:
    """Enlarge ``images`` by the integer ``scale``: the classic SR baseline."""
    check_images(images, "images")
    check_positive_int(scale, "scale")
    height, width = images.shape[-2:]
    return bicubic_resize(images, (height * scale, width * scale), clip=clip)


def crop_to_multiple(images: torch.Tensor, multiple: int) -> torch.Tensor:
    """Crop the bottom/right edge so that height and width are multiples of ``multiple``."""
    check_positive_int(multiple, "multiple")
    if images.ndim < 2:
        raise ValueError(f"images must have at least 2 dims, got shape {tuple(images.shape)}")
    height, width = images.shape[-2:]
    new_h, new_w = height - height % multiple, width - width % multiple
    if new_h == 0 or new_w == 0:
        raise ValueError(f"images ({height}×{width}) are smaller than multiple={multiple}")
    return images[..., :new_h, :new_w]


# ----------------------------------------------------------------------------
# Blur, noise, JPEG
# ----------------------------------------------------------------------------
def gaussian_kernel1d(sigma: float, kernel_size: int | None = None) -> torch.Tensor:
    """Normalised 1-D Gaussian ``g[i] ∝ exp(-i² / 2σ²)``; size ``2·ceil(3σ)+1`` by default."""
    sigma = check_non_negative(sigma, "sigma")
    if sigma == 0:
        return torch.ones(1)
    if kernel_size is None:
        kernel_size = 2 * math.ceil(3 * sigma) + 1
    if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd int, got {kernel_size!r}")
    offsets = torch.arange(kernel_size, dtype=torch.float64) - kernel_size // 2
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    return (kernel / kernel.sum()).float()


def gaussian_blur(images: torch.Tensor, sigma: float, kernel_size: int | None = None) -> torch.Tensor:
    """Blur with a Gaussian of standard deviation ``sigma`` pixels (reflect padding).

    ``sigma = 0`` returns the images unchanged. The kernel sums to one, so the
    result stays in ``[0, 1]``.
    """
    check_images(images, "images")
    kernel = gaussian_kernel1d(sigma, kernel_size).to(images)
    if kernel.numel() == 1:
        return images.clone()
    radius = kernel.numel() // 2
    height, width = images.shape[-2:]
    if radius >= min(height, width):
        raise ValueError(
            f"sigma={sigma} needs a {kernel.numel()}-pixel kernel, too large for {height}×{width} images"
        )
    channels = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    horizontal = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    vertical = kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    blurred = F.conv2d(padded, horizontal, groups=channels)  # separable: rows, then columns
    blurred = F.conv2d(blurred, vertical, groups=channels)
    return blurred.clamp(0.0, 1.0)  # only removes float rounding (|Δ| < 1e-6): a convex combination


def add_gaussian_noise(
    images: torch.Tensor, sigma: float, *, generator: torch.Generator | None = None, clip: bool = True
) -> torch.Tensor:
    """``y = x + n`` with ``n ~ N(0, sigma²)`` per pixel (``sigma`` on the ``[0, 1]`` scale).

    A sensor saturates, so by default the result is clamped to ``[0, 1]``
    (``clip=True``); pass ``clip=False`` to keep the raw noisy values.
    """
    check_images(images, "images")
    sigma = check_non_negative(sigma, "sigma")
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype, device="cpu").to(images.device)
    noisy = images + sigma * noise
    return noisy.clamp(0.0, 1.0) if clip else noisy


def add_poisson_noise(
    images: torch.Tensor, peak: float, *, generator: torch.Generator | None = None, clip: bool = True
) -> torch.Tensor:
    """Shot noise: ``y = Poisson(peak · x) / peak``; ``peak`` photons make a white pixel.

    Fewer photons, more noise: the signal-to-noise ratio of a pixel is
    ``sqrt(peak · x)``. ``clip=True`` clamps at 1 (a full well).
    """
    check_images(images, "images")
    peak = check_non_negative(peak, "peak")
    if peak == 0:
        raise ValueError("peak must be > 0 (photons for a white pixel), got 0")
    counts = torch.poisson((images * peak).cpu(), generator=generator).to(images.device)
    noisy = counts / peak
    return noisy.clamp(0.0, 1.0) if clip else noisy


def jpeg_compress(images: torch.Tensor, quality: int) -> torch.Tensor:
    """Encode each image as a JPEG of ``quality`` (1-100) with Pillow and decode it again.

    The images are first rounded to 8 bits, as any JPEG file is. Works for 1
    (greyscale) and 3 (RGB) channels.
    """
    check_images(images, "images", channels=(1, 3))
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an int from 1 to 100, got {quality!r}")
    from PIL import Image

    results = []
    for image in images:
        array = (image.detach().cpu().permute(1, 2, 0).numpy() * 255.0).round().astype(np.uint8)
        pil = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
        buffer = io.BytesIO()
        pil.save(buffer, format="JPEG", quality=quality)
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert(pil.mode))
        if decoded.ndim == 2:
            decoded = decoded[:, :, None]
        results.append(torch.from_numpy(decoded.copy()).permute(2, 0, 1).float() / 255.0)
    return torch.stack(results).to(images.device)


# ----------------------------------------------------------------------------
# Changes the eye forgives, and all of them in one call
# ----------------------------------------------------------------------------
def shift_right(images: torch.Tensor, pixels: int) -> torch.Tensor:
    """Move ``images`` (``N×C×H×W``) ``pixels`` to the right, repeating the first column (edge padding).

    Lesson: ``04_measuring_quality.ipynb`` (a shift the eye cannot see costs PSNR and SSIM a lot).
    """
    if isinstance(pixels, bool) or not isinstance(pixels, int) or pixels < 0:
        raise ValueError(f"pixels must be an int >= 0, got {pixels!r}")
    if pixels == 0:
        return images.clone()
    padded = torch.cat([images[..., :1].expand(-1, -1, -1, pixels), images], dim=-1)  # (N, C, H, W+s)
    return padded[..., : images.shape[-1]]  # (N, C, H, W)


def change_brightness(images: torch.Tensor, amount: float) -> torch.Tensor:
    """Move each pixel the fraction ``amount`` toward white (> 0) or black (< 0); stays in ``[0, 1]``.

    ``x + b(1 - x)`` for ``b >= 0`` and ``x(1 + b)`` for ``b < 0``: no clipping is needed.

    Lesson: ``04_measuring_quality.ipynb`` (SSIM forgives a change of mean, PSNR does not).
    """
    if not -1.0 <= amount <= 1.0:
        raise ValueError(f"amount must lie in [-1, 1], got {amount!r}")
    return images + amount * (1 - images) if amount >= 0 else images * (1 + amount)


def degrade(images: torch.Tensor, *, blur: float = 0.0, scale: int = 1, noise: float = 0.0, photons: float = 0.0,
            jpeg: int = 0, shift: int = 0, brightness: float = 0.0, seed: int = 0) -> torch.Tensor:
    """Apply several degradations in one call, in the order light meets them on the way to a file.

    Each keyword left at its default (neutral) value is skipped:

    1. ``blur``: Gaussian blur of ``sigma = blur`` pixels (:func:`gaussian_blur`);
    2. ``scale``: shrink by ``scale`` and enlarge back, MATLAB-like bicubic both
       ways (:func:`bicubic_downscale`, :func:`bicubic_upscale`): the detail a
       super-resolver must restore, at the input's size (1: off);
    3. ``noise``: Gaussian read noise of standard deviation ``noise`` (:func:`add_gaussian_noise`);
    4. ``photons``: shot noise with ``photons`` photons for a white pixel (:func:`add_poisson_noise`; 0: off);
    5. ``jpeg``: JPEG compression at quality ``jpeg`` (:func:`jpeg_compress`; 0: off);
    6. ``shift``: ``shift`` pixels to the right (:func:`shift_right`);
    7. ``brightness``: toward white or black (:func:`change_brightness`).

    ``seed`` seeds the two noises. Returns a new ``N×C×H×W`` tensor in ``[0, 1]``.

    Lessons: ``00_tour.ipynb`` (one degradation at a time), ``04_measuring_quality.ipynb``.
    """
    check_images(images, "images")
    blur = check_non_negative(blur, "blur")
    noise = check_non_negative(noise, "noise")
    photons = check_non_negative(photons, "photons")
    check_positive_int(scale, "scale")
    if isinstance(jpeg, bool) or not isinstance(jpeg, int) or not 0 <= jpeg <= 100:
        raise ValueError(f"jpeg must be an int from 1 to 100 (the quality), or 0 for no JPEG, got {jpeg!r}")
    generator = torch.Generator().manual_seed(int(seed))
    result = gaussian_blur(images, blur) if blur > 0 else images.clone()
    if scale > 1:
        result = bicubic_upscale(bicubic_downscale(result, scale), scale)  # (N, C, H/s, W/s) -> (N, C, H, W)
    if noise > 0:
        result = add_gaussian_noise(result, noise, generator=generator)
    if photons > 0:
        result = add_poisson_noise(result, photons, generator=generator)
    if jpeg > 0:
        result = jpeg_compress(result, jpeg)
    result = shift_right(result, shift)
    return change_brightness(result, float(brightness))
