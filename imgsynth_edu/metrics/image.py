"""Full-reference image metrics: PSNR, SSIM, MS-SSIM, and the super-resolution protocol.

A *full-reference* metric compares a restored image ``pred`` with the true
image ``target`` pixel by pixel:

* :func:`psnr`    - peak signal-to-noise ratio, ``10·log10(R² / MSE)`` in dB.
* :func:`ssim`    - structural similarity (Wang et al. 2004): local means,
  variances and covariance under an 11×11 Gaussian window (σ = 1.5),
  averaged over the *valid* region (windows that fit inside the image).
* :func:`ms_ssim` - multi-scale SSIM (Wang et al. 2003): contrast-structure at
  five scales, luminance at the coarsest, with the paper's five weights.
* :func:`rgb_to_y` and :func:`sr_metrics` - the evaluation protocol of
  super-resolution papers: the luma channel Y of ITU-R BT.601, with a border
  of ``scale`` pixels cropped away.

Conventions: images are ``float32`` ``N×C×H×W`` in ``[0, data_range]``;
``reduction="none"`` gives one value per image (shape ``N``), ``"mean"``
their mean. The numbers equal scikit-image's and pytorch-msssim's (with
``data_range=1``); the agreement tests in ``tests/test_metrics_agreement.py``
check it.

Lesson: ``04_measuring_quality.ipynb``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .._checks import check_choice, check_images, check_pair, check_positive_int

#: MS-SSIM's per-scale exponents (Wang, Simoncelli & Bovik 2003, Sec. 3.2), finest scale first.
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
#: SSIM's stabilising constants C1 = (K1·R)², C2 = (K2·R)² (Wang et al. 2004, eq. 7 and 9).
SSIM_K1, SSIM_K2 = 0.01, 0.03


# ----------------------------------------------------------------------------
# Input checks shared by the metrics
# ----------------------------------------------------------------------------
def _check_data_range(data_range) -> float:
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float)):
        raise TypeError(f"data_range must be a number (1.0 for images in [0, 1]), got {data_range!r}")
    if not math.isfinite(data_range) or data_range <= 0:
        raise ValueError(f"data_range must be a finite number > 0, got {data_range!r}")
    return float(data_range)


def _check_crop_border(crop_border, images: torch.Tensor) -> int:
    if isinstance(crop_border, bool) or not isinstance(crop_border, int) or crop_border < 0:
        raise ValueError(f"crop_border must be an int >= 0, got {crop_border!r}")
    height, width = images.shape[-2:]
    if 2 * crop_border >= min(height, width):
        raise ValueError(f"crop_border={crop_border} removes the whole {height}×{width} image")
    return crop_border


def _prepare(pred, target, data_range, crop_border, y_channel):
    """Validate, then optionally convert to Y (BT.601) and crop the border (the SR protocol)."""
    data_range = _check_data_range(data_range)
    check_pair(pred, target, data_range=data_range)
    crop_border = _check_crop_border(crop_border, pred)
    if not isinstance(y_channel, bool):
        raise TypeError(f"y_channel must be True or False, got {y_channel!r}")
    if y_channel:
        if pred.shape[1] != 3:
            raise ValueError(f"y_channel=True needs RGB images (3 channels), got {pred.shape[1]}")
        pred = rgb_to_y(pred / data_range) * data_range  # (N, 1, H, W)
        target = rgb_to_y(target / data_range) * data_range  # (N, 1, H, W)
    if crop_border:
        pred = pred[..., crop_border:-crop_border, crop_border:-crop_border]  # (N, C, H-2b, W-2b)
        target = target[..., crop_border:-crop_border, crop_border:-crop_border]
    return pred, target, data_range


def _reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    check_choice(reduction, "reduction", {"mean", "none"})
    return values.mean() if reduction == "mean" else values


# ----------------------------------------------------------------------------
# Colour: the Y channel of super-resolution papers
# ----------------------------------------------------------------------------
def rgb_to_y(img: torch.Tensor) -> torch.Tensor:
    """Luma Y of ITU-R BT.601 for RGB images in ``[0, 1]`` (``N×3×H×W`` -> ``N×1×H×W``).

    .. math::
        Y = \\frac{16 + 65.481\\,R + 128.553\\,G + 24.966\\,B}{255}

    the "studio swing" formula of MATLAB's ``rgb2ycbcr`` with which SRCNN,
    SRResNet, EDSR and their successors compute Y-PSNR. Y lies in
    ``[16/255, 235/255]``, not ``[0, 1]``. Lesson: ``04_measuring_quality``.
    """
    check_images(img, "img", channels=(3,))
    weights = img.new_tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1) / 255.0
    return (img * weights).sum(dim=1, keepdim=True) + 16.0 / 255.0  # (N, 1, H, W)


# ----------------------------------------------------------------------------
# PSNR
# ----------------------------------------------------------------------------
def psnr(
    pred: torch.Tensor,
    target: torch.Tensor,
    data_range: float = 1.0,
    reduction: str = "mean",
    *,
    crop_border: int = 0,
    y_channel: bool = False,
) -> torch.Tensor:
    """Peak signal-to-noise ratio in decibels, one value per image.

    .. math::
        \\mathrm{MSE} = \\frac{1}{CHW}\\sum_{c,i,j} (\\hat x_{cij} - x_{cij})^2,
        \\qquad \\mathrm{PSNR} = 10 \\log_{10} \\frac{R^2}{\\mathrm{MSE}}

    with ``R = data_range``. The MSE is taken per image (as scikit-image does),
    so ``reduction="mean"`` averages the per-image PSNRs, which is what SR
    papers report. Identical images give ``inf``. ``crop_border`` and
    ``y_channel`` implement the SR protocol (see :func:`sr_metrics`).

    Lesson: ``04_measuring_quality.ipynb``.
    """
    pred, target, data_range = _prepare(pred, target, data_range, crop_border, y_channel)
    squared_error = (pred.double() - target.double()) ** 2  # (N, C, H, W), float64 for exactness
    mse = squared_error.flatten(1).mean(dim=1)  # (N,)
    values = 10.0 * torch.log10(data_range**2 / mse)  # (N,); MSE 0 -> inf
    return _reduce(values.to(pred.dtype), reduction)


# ----------------------------------------------------------------------------
# SSIM
# ----------------------------------------------------------------------------
def _gaussian_window(window_size: int, sigma: float, like: torch.Tensor) -> torch.Tensor:
    """Normalised 1-D Gaussian of ``window_size`` taps: ``g[i] ∝ exp(-i²/2σ²)``."""
    offsets = torch.arange(window_size, dtype=torch.float64) - window_size // 2
    window = torch.exp(-(offsets**2) / (2.0 * sigma**2))
    return (window / window.sum()).to(device=like.device, dtype=like.dtype)  # (K,)


def _check_window(window_size, sigma) -> None:
    check_positive_int(window_size, "window_size")
    if window_size % 2 == 0:
        raise ValueError(f"window_size must be odd (a window has a centre), got {window_size}")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not (0 < sigma < math.inf):
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")


def _ssim_per_channel(
    pred: torch.Tensor, target: torch.Tensor, data_range: float, window: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean SSIM and mean contrast-structure term, per image and channel: two ``N×C`` tensors.

    The five local statistics ``μx, μy, E[x²], E[y²], E[xy]`` are filtered in
    one batched, separable (rows then columns) convolution with no padding,
    so only windows that lie wholly inside the image count: the "valid"
    region of scikit-image and pytorch-msssim.

    Speed: the two depthwise convolutions are most of the work. On the CPU they
    run on channels-last memory (``N×H×W×5C``: the 5C maps of a pixel side by
    side), where oneDNN's depthwise kernel is about 3× faster than on the default
    ``N×5C×H×W`` layout; the values are the same, only their order in memory changes.
    """
    n, c, height, width = pred.shape
    # Variances and covariance do not change when a constant is subtracted, but
    # float32's E[x²] - E[x]² loses digits when E[x] is large: centre first.
    pred_offset = pred.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
    target_offset = target.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
    x, y = pred - pred_offset, target - target_offset
    stack = torch.cat([x, y, x * x, y * y, x * y], dim=1)  # (N, 5C, H, W)
    if stack.device.type == "cpu":
        stack = stack.contiguous(memory_format=torch.channels_last)  # same shape, pixels' maps adjacent
    k = window.numel()
    rows = window.view(1, 1, 1, k).expand(5 * c, 1, 1, k)  # one depthwise filter per map
    columns = window.view(1, 1, k, 1).expand(5 * c, 1, k, 1)
    filtered = F.conv2d(stack, rows, groups=5 * c)  # (N, 5C, H, W-K+1)
    filtered = F.conv2d(filtered, columns, groups=5 * c)  # (N, 5C, H-K+1, W-K+1)
    filtered = filtered.unflatten(1, (5, c))  # (N, 5, C, H', W')
    mu_x, mu_y, xx, yy, xy = filtered.unbind(dim=1)  # each (N, C, H', W')
    sigma_x2 = xx - mu_x * mu_x  # local variance σx²
    sigma_y2 = yy - mu_y * mu_y
    sigma_xy = xy - mu_x * mu_y  # local covariance σxy
    mu_x = mu_x + pred_offset  # undo the centring for the luminance term
    mu_y = mu_y + target_offset
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    contrast_structure = (2 * sigma_xy + c2) / (sigma_x2 + sigma_y2 + c2)  # (N, C, H', W')
    luminance = (2 * mu_x * mu_y + c1) / (mu_x * mu_x + mu_y * mu_y + c1)  # (N, C, H', W')
    ssim_map = luminance * contrast_structure
    return ssim_map.mean(dim=(2, 3)), contrast_structure.mean(dim=(2, 3))  # (N, C), (N, C)


def ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    data_range: float = 1.0,
    window_size: int = 11,
    sigma: float = 1.5,
    reduction: str = "mean",
    *,
    crop_border: int = 0,
    y_channel: bool = False,
) -> torch.Tensor:
    """Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004, eq. 13), one value per image.

    .. math::
        \\mathrm{SSIM}(x, y) = \\frac{(2\\mu_x\\mu_y + C_1)(2\\sigma_{xy} + C_2)}
        {(\\mu_x^2 + \\mu_y^2 + C_1)(\\sigma_x^2 + \\sigma_y^2 + C_2)},
        \\qquad C_1 = (0.01R)^2,\\; C_2 = (0.03R)^2

    The local statistics are weighted by a ``window_size``-tap Gaussian of
    standard deviation ``sigma`` (population, not sample, (co)variances), the
    map is averaged over the valid region (windows inside the image), then
    over channels. Equals scikit-image's ``structural_similarity(...,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    data_range=1)`` and pytorch-msssim's ``ssim(..., data_range=1)``. Images
    must be at least ``window_size`` pixels on each side.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    _check_window(window_size, sigma)
    pred, target, data_range = _prepare(pred, target, data_range, crop_border, y_channel)
    if min(pred.shape[-2:]) < window_size:
        raise ValueError(
            f"pred and target must be at least window_size={window_size} pixels on each side "
            f"(after crop_border), got {tuple(pred.shape[-2:])}"
        )
    window = _gaussian_window(window_size, sigma, pred)
    per_channel, _ = _ssim_per_channel(pred, target, data_range, window)  # (N, C)
    return _reduce(per_channel.mean(dim=1), reduction)  # (N,) or ()


def ms_ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    data_range: float = 1.0,
    reduction: str = "mean",
    *,
    window_size: int = 11,
    sigma: float = 1.5,
    weights: tuple[float, ...] = MS_SSIM_WEIGHTS,
) -> torch.Tensor:
    """Multi-scale SSIM (Wang, Simoncelli & Bovik 2003, eq. 7), one value per image.

    .. math::
        \\mathrm{MS\\text{-}SSIM}(x, y) = [l_M(x, y)]^{\\alpha_M}
        \\prod_{j=1}^{M} [cs_j(x, y)]^{\\beta_j}

    with ``M = 5`` scales, ``β = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)``
    and ``α_M = β_M``. Between scales both images are averaged over 2×2
    blocks (an odd side is zero-padded by one pixel, as pytorch-msssim does);
    a negative ``cs`` or final SSIM is set to 0 before the power (a fractional
    power of a negative number is undefined). The coarsest scale must still
    hold one window, so each side needs more than ``(window_size - 1)·2⁴`` =
    160 pixels. Equals pytorch-msssim's ``ms_ssim(..., data_range=1)``.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    _check_window(window_size, sigma)
    data_range = _check_data_range(data_range)
    if not isinstance(weights, (tuple, list)) or len(weights) < 1:
        raise ValueError(f"weights must be a non-empty tuple of per-scale exponents, got {weights!r}")
    levels = len(weights)
    min_side = (window_size - 1) * 2 ** (levels - 1) + 1
    check_pair(pred, target, data_range=data_range, min_size=min_side, what=f"for {levels}-scale MS-SSIM with window_size={window_size}")
    window = _gaussian_window(window_size, sigma, pred)
    exponents = pred.new_tensor(weights).view(-1, 1, 1)  # (levels, 1, 1)
    terms = []
    for level in range(levels):
        ssim_value, contrast_structure = _ssim_per_channel(pred, target, data_range, window)  # (N, C) each
        if level < levels - 1:
            terms.append(torch.relu(contrast_structure))
            padding = [side % 2 for side in pred.shape[-2:]]
            pred = F.avg_pool2d(pred, kernel_size=2, padding=padding)  # (N, C, ⌈H/2⌉, ⌈W/2⌉)
            target = F.avg_pool2d(target, kernel_size=2, padding=padding)
    terms.append(torch.relu(ssim_value))  # luminance·cs at the coarsest scale
    per_channel = torch.prod(torch.stack(terms) ** exponents, dim=0)  # (N, C)
    return _reduce(per_channel.mean(dim=1), reduction)  # (N,) or ()


# ----------------------------------------------------------------------------
# The super-resolution evaluation protocol
# ----------------------------------------------------------------------------
def sr_metrics(pred: torch.Tensor, target: torch.Tensor, scale: int, reduction: str = "mean") -> dict:
    """The numbers an SR paper's table reports, for a ``scale``-times upscaler.

    Returns ``{"psnr_y", "ssim_y", "psnr_rgb"}``: PSNR and SSIM on the BT.601
    luma channel (:func:`rgb_to_y`) with a border of ``scale`` pixels cropped
    away (the pixels that the upscaler can only guess from padding), as in
    SRCNN (Dong et al. 2014) and SRResNet/SRGAN (Ledig et al. 2017), plus
    RGB PSNR with the same crop. ``pred`` and ``target`` are ``N×3×H×W`` in
    ``[0, 1]``; greyscale (1 channel) images give ``psnr_y``/``ssim_y`` on the
    single channel.

    Lesson: ``04_measuring_quality.ipynb``, ``05_super_resolution.ipynb``.
    """
    check_positive_int(scale, "scale")
    check_images(pred, "pred", channels=(1, 3))
    y_channel = pred.shape[1] == 3
    return {
        "psnr_y": psnr(pred, target, reduction=reduction, crop_border=scale, y_channel=y_channel),
        "ssim_y": ssim(pred, target, reduction=reduction, crop_border=scale, y_channel=y_channel),
        "psnr_rgb": psnr(pred, target, reduction=reduction, crop_border=scale),
    }
