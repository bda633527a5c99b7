"""NIQE: a no-reference ("completely blind") measure of how natural a picture looks.

Mittal, Soundararajan & Bovik 2013, "Making a 'Completely Blind' Image Quality
Analyzer", IEEE Signal Processing Letters 20(3). PSNR and SSIM need the true
image; NIQE needs only the picture. It asks: do the local statistics of this
picture look like those of sharp, undistorted photographs? Lower is better
(more natural). Blau & Michaeli 2018 place restorers on a perception-distortion
plane with it, and the PIRM 2018 super-resolution challenge scored perception
with the mean of NIQE and ``10 - Ma``'s score.

The steps, top to bottom in this file:

1. **MSCN coefficients** (Sec. II "Spatial domain NSS", eq. 1-3): subtract a local
   Gaussian-weighted mean and divide by the local standard deviation. In sharp
   natural photographs these coefficients are close to a unit Gaussian (Ruderman
   1994); blur, noise and ringing change the shape of their distribution.
2. **Features of a 96×96 patch** (Sec. II "Characterizing image patches"): a
   generalized Gaussian (GGD, eq. 5-6) fitted to the patch's MSCN coefficients gives
   the shape ``α`` and the scale; asymmetric GGDs (AGGD, eq. 7-8) fitted to the products of
   neighbouring coefficients in 4 directions give ``α, η, β_l, β_r`` each: 2 + 4·4 = 18
   numbers. The same again on the image halved in size: 36 features per patch.
3. **A multivariate Gaussian** (eq. 9) fitted to the features of all the patches of
   the picture: mean ``ν₂`` (36) and covariance ``Σ₂`` (36×36).
4. **The NIQE score** (eq. 10): the distance from the pristine model ``(ν₁, Σ₁)``,
   which the authors fitted to patches of 125 pristine photographs,

   .. math::
       D = \\sqrt{(\\nu_1 - \\nu_2)^\\top \\left(\\frac{\\Sigma_1 + \\Sigma_2}{2}\\right)^{-1}
           (\\nu_1 - \\nu_2)}

What we follow where the paper and the authors' MATLAB release differ (the
pristine model was computed by the release, so its details decide): the image is
the luma Y of ITU-R BT.601 in ``[16, 235]`` (MATLAB's ``rgb2ycbcr``, as BasicSR's
``calculate_niqe`` does; the same formula as :func:`rgb_to_y`), rounded to whole
grey levels as a ``uint8`` image would be; the MSCN window is 7×7 with
``σ = 7/6`` and replicated borders; the divisor is ``σ + 1`` on the 0-255 scale; the
image is cropped to whole 96×96 blocks, which do not overlap, and every block is
used (the sharpness-based patch selection of Sec. II "Patch selection" applies
only when fitting the pristine model); the shape parameter is read off a table
``α = 0.2, 0.201, ..., 10``; neighbour products wrap around inside a block
(MATLAB's ``circshift``); a coefficient that is exactly 0 (a flat neighbourhood)
is counted on neither side of the AGGD, and one with no samples on a side gets
``α = 0.2``, as MATLAB's ``min`` gives; the half-size image comes from MATLAB's bicubic
``imresize`` (:func:`~imgsynth_edu.data.bicubic_resize`); ``(Σ₁+Σ₂)/2`` is
inverted with the pseudo-inverse. All arithmetic is float64 on the CPU.

The pristine model ``(ν₁, Σ₁)`` is bundled in ``niqe_model/niqe_pris_params.npz``:
the values of the authors' MATLAB release (Copyright (c) 2011 The University of
Texas at Austin; its notice asks that LIVE/CPS be acknowledged and the release and
paper cited), as converted to NumPy and shipped by BasicSR 1.4.2 (Apache License
2.0), byte for byte. ``niqe_model/NOTICE`` says more; the file's SHA-256 is checked
on every load. The agreement test (``tests/test_metrics_niqe.py``) compares the
scores with BasicSR's ``calculate_niqe`` on photographs.

Lesson: ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import functools
import hashlib
import io
from importlib import resources

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_images
from ..data.degradations import bicubic_resize
from .image import rgb_to_y

#: Side of the square blocks NIQE's pristine model was fitted on (pixels, at full scale).
NIQE_BLOCK_SIZE = 96
#: SHA-256 of the bundled ``niqe_model/niqe_pris_params.npz`` (BasicSR 1.4.2's file).
PRISTINE_MODEL_SHA256 = "2a7c182a68c9e7f1b2e2e5ec723279d6f65d912b6fcaf37eb2bf03d7367c4296"
#: Neighbour directions of the paired products (Sec. II): horizontal, vertical, main and
#: secondary diagonal, as (row, column) shifts.
NEIGHBOUR_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))


# ----------------------------------------------------------------------------
# The pristine model (bundled data)
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def pristine_model() -> tuple[torch.Tensor, torch.Tensor]:
    """The authors' pristine multivariate Gaussian: mean ``ν₁`` (36,) and covariance ``Σ₁`` (36, 36).

    Read from the bundled ``niqe_model/niqe_pris_params.npz`` after checking its
    SHA-256 against :data:`PRISTINE_MODEL_SHA256` (a damaged or replaced file raises
    ``RuntimeError``). float64 tensors on the CPU.

    Lesson: ``05_super_resolution.ipynb``.
    """
    path = resources.files(__package__) / "niqe_model" / "niqe_pris_params.npz"
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != PRISTINE_MODEL_SHA256:
        raise RuntimeError(
            f"the bundled NIQE pristine model {path} is damaged: SHA-256 {digest}, expected "
            f"{PRISTINE_MODEL_SHA256}; reinstall imgsynth-edu"
        )
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        mean = torch.from_numpy(arrays["mu_pris_param"].reshape(36).copy())  # (36,)
        covariance = torch.from_numpy(arrays["cov_pris_param"].copy())  # (36, 36)
    return mean, covariance


# ----------------------------------------------------------------------------
# 1. MSCN coefficients
# ----------------------------------------------------------------------------
def mscn_window() -> torch.Tensor:
    """The 7×7 Gaussian window of the MSCN statistics: ``w ∝ exp(-(k² + l²) / 2σ²)``, ``σ = 7/6``.

    Sampled out to 3 standard deviations (the paper's ``K = L = 3``) and normalised to
    sum 1: MATLAB's ``fspecial('gaussian', 7, 7/6)``, the window stored in the release.
    """
    offsets = torch.arange(-3, 4, dtype=torch.float64)  # (7,)
    squared_radius = offsets[:, None] ** 2 + offsets[None, :] ** 2  # (7, 7)
    window = torch.exp(-squared_radius / (2 * (7 / 6) ** 2))
    return window / window.sum()  # (7, 7)


def mscn_coefficients(grey: torch.Tensor) -> torch.Tensor:
    """Mean-subtracted contrast-normalised coefficients (Mittal et al. 2013, eq. 1-3).

    .. math::
        \\hat I(i, j) = \\frac{I(i, j) - \\mu(i, j)}{\\sigma(i, j) + 1},\\quad
        \\mu = w * I,\\quad \\sigma = \\sqrt{|\\,w * I^2 - \\mu^2\\,|}

    ``grey`` is ``N×1×H×W`` on the 0-255 scale (the ``+1`` assumes it); borders are
    replicated. Returns the same shape.

    In a flat neighbourhood ``I - μ`` is exactly 0, but float rounding leaves about
    ``±1e-13``, and the sign of such a value would decide on which side of the AGGD
    it is counted (:func:`fit_aggd` counts ``x < 0`` and ``x > 0``, never 0):
    differences below ``1e-9`` grey levels are set to the 0 they are.
    """
    window = mscn_window().to(grey).view(1, 1, 7, 7)
    padded = F.pad(grey, (3, 3, 3, 3), mode="replicate")  # (N, 1, H+6, W+6)
    mean = F.conv2d(padded, window)  # (N, 1, H, W): μ, local weighted mean
    mean_of_square = F.conv2d(padded * padded, window)  # (N, 1, H, W): w * I²
    std = (mean_of_square - mean * mean).abs().sqrt()  # σ; abs() guards float rounding below 0
    deviation = grey - mean
    deviation = torch.where(deviation.abs() < 1e-9, 0.0, deviation)  # rounding noise of a flat patch -> 0
    return deviation / (std + 1.0)


# ----------------------------------------------------------------------------
# 2. GGD / AGGD fits by moment matching, and the 18 features of a patch
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _shape_table() -> tuple[torch.Tensor, torch.Tensor]:
    """The release's table of shapes ``α = 0.2, 0.201, ..., 10`` and their moment ratios ``ρ(α)``.

    ``ρ(α) = Γ(2/α)² / (Γ(1/α) Γ(3/α)) = E[|x|]² / E[x²]`` for a GGD of shape ``α``;
    it increases with ``α`` (0.5 for a Laplacian, 2/π for a Gaussian).
    """
    alphas = torch.arange(200, 10001, dtype=torch.float64) / 1000  # (9801,)
    lgamma = torch.lgamma
    ratios = torch.exp(2 * lgamma(2 / alphas) - lgamma(1 / alphas) - lgamma(3 / alphas))  # (9801,)
    return alphas, ratios


def _shape_from_ratio(ratio: torch.Tensor) -> torch.Tensor:
    """The table's ``α`` whose ``ρ(α)`` is closest to ``ratio`` (any shape).

    The release scans the whole table (``argmin |ρ(α) - r|``); since ``ρ`` increases,
    a binary search (``torch.searchsorted``) finds the same entry without a
    (samples × 9801) matrix. An undefined ratio (NaN: a side of the distribution
    with no samples) gets the table's first entry, ``α = 0.2``, because that is what
    MATLAB's ``min`` over an all-NaN vector returns in the release (and BasicSR
    copies it): the pristine model and the reference scores were computed so.
    """
    alphas, ratios = _shape_table()
    upper = torch.searchsorted(ratios, ratio.contiguous()).clamp(1, len(ratios) - 1)  # first ρ >= r
    lower = upper - 1
    closer_below = (ratio - ratios[lower]) <= (ratios[upper] - ratio)  # a tie goes to the smaller α
    nearest = torch.where(closer_below, lower, upper)
    return alphas[torch.where(torch.isnan(ratio), 0, nearest)]


def fit_aggd(samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fit an asymmetric generalized Gaussian to the last axis of ``samples`` by moment matching.

    The AGGD (Mittal et al. 2013, eq. 7; Lasmar, Stitou & Berthoumieu 2009) has a
    shape ``α`` and a left and right scale:

    .. math::
        f(x) = \\frac{\\alpha}{(\\beta_l + \\beta_r)\\Gamma(1/\\alpha)}
        \\exp\\left(-\\left(\\frac{\\mp x}{\\beta_{l,r}}\\right)^{\\alpha}\\right)
        \\ (x < 0 \\text{ uses } \\beta_l,\\ x \\ge 0 \\text{ uses } \\beta_r)

    Moments: ``σ_l² = E[x² | x < 0]``, ``σ_r² = E[x² | x > 0]``, ``γ̂ = σ_l / σ_r``,
    ``r̂ = E[|x|]² / E[x²]``, ``R̂ = r̂ (γ̂³+1)(γ̂+1) / (γ̂²+1)²``; ``α`` solves
    ``ρ(α) = R̂`` (read off the table), and ``β_{l,r} = σ_{l,r} √(Γ(1/α)/Γ(3/α))``.

    The symmetric GGD of the paper's eq. 5-6 (``f(x) ∝ exp(-(|x|/β)^α)``,
    ``β = σ √(Γ(1/α)/Γ(3/α))``) is the case ``γ̂ = 1``: then ``R̂ = r̂ = E[|x|]²/E[x²]``
    and ``β_l = β_r``. The release fits the MSCN coefficients with this same AGGD
    routine and keeps ``(β_l + β_r)/2`` as the GGD scale, so we do too.

    ``samples`` has shape ``(..., M)``; returns ``α, β_l, β_r``, each of shape ``(...)``.
    A side with no samples (e.g. in a flat patch) gives NaN scales and, as in the
    release, ``α = 0.2``.
    """
    squares = samples * samples  # (..., M)
    negative, positive = samples < 0, samples > 0
    left_std = ((squares * negative).sum(-1) / negative.sum(-1)).sqrt()  # (...): σ_l; 0/0 -> NaN
    right_std = ((squares * positive).sum(-1) / positive.sum(-1)).sqrt()  # (...): σ_r
    gamma_hat = left_std / right_std
    r_hat = samples.abs().mean(-1) ** 2 / squares.mean(-1)  # (...)
    r_hat_normalised = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1) ** 2
    alpha = _shape_from_ratio(r_hat_normalised)
    scale = torch.exp(0.5 * (torch.lgamma(1 / alpha) - torch.lgamma(3 / alpha)))  # √(Γ(1/α)/Γ(3/α))
    return alpha, left_std * scale, right_std * scale


def patch_features(mscn: torch.Tensor, block_size: int) -> torch.Tensor:
    """The 18 NIQE features of every ``block_size``-square, non-overlapping block (Sec. II).

    ``mscn`` is ``N×1×H×W`` with ``H`` and ``W`` multiples of ``block_size``; returns
    ``N×P×18`` for the ``P = (H/b)(W/b)`` blocks, in row-major block order:
    ``[α, (β_l+β_r)/2]`` of the GGD of the coefficients, then for each direction of
    :data:`NEIGHBOUR_SHIFTS` the AGGD of the products ``Î(i,j)·Î(i+k,j+l)``:
    ``[α, η, β_l, β_r]`` with the mean ``η = (β_r - β_l) Γ(2/α)/Γ(1/α)`` (eq. 8).
    """
    n, _, height, width = mscn.shape
    b = block_size
    blocks = mscn.reshape(n, height // b, b, width // b, b)  # (N, H/b, b, W/b, b)
    blocks = blocks.permute(0, 1, 3, 2, 4).reshape(n, -1, b, b)  # (N, P, b, b)

    alpha, beta_left, beta_right = fit_aggd(blocks.flatten(-2))  # each (N, P)
    features = [alpha, (beta_left + beta_right) / 2]
    for shift in NEIGHBOUR_SHIFTS:
        neighbours = torch.roll(blocks, shifts=shift, dims=(-2, -1))  # (N, P, b, b), wraps around
        alpha, beta_left, beta_right = fit_aggd((blocks * neighbours).flatten(-2))  # each (N, P)
        mean = (beta_right - beta_left) * torch.exp(torch.lgamma(2 / alpha) - torch.lgamma(1 / alpha))
        features += [alpha, mean, beta_left, beta_right]
    return torch.stack(features, dim=-1)  # (N, P, 18)


# ----------------------------------------------------------------------------
# 3-4. The multivariate Gaussian of the test picture, and its distance
# ----------------------------------------------------------------------------
def niqe_distance(features: torch.Tensor) -> torch.Tensor:
    """NIQE of one picture from its patches' features ``P×36`` (Mittal et al. 2013, eq. 9-10).

    Fits the multivariate Gaussian ``(ν₂, Σ₂)`` to the rows (patches) and returns
    ``√((ν₁-ν₂)ᵀ ((Σ₁+Σ₂)/2)⁺ (ν₁-ν₂))`` against the pristine model (a 0-d tensor).
    As in the release, a feature that is NaN (a side of a distribution with no
    samples, e.g. in a flat patch) is left out of its column's mean, and a patch
    with any NaN feature is left out of the covariance; with fewer than two
    complete patches the covariance, and so the score, is NaN.
    """
    pristine_mean, pristine_covariance = pristine_model()
    mean = features.nanmean(dim=0)  # (36,): ν₂
    complete = features[~torch.isnan(features).any(dim=1)]  # (P', 36)
    if complete.shape[0] < 2:
        return torch.tensor(float("nan"), dtype=torch.float64)
    covariance = torch.cov(complete.T)  # (36, 36): Σ₂, unbiased (divides by P' - 1)
    difference = pristine_mean - mean  # (36,)
    pooled = (pristine_covariance + covariance) / 2  # (36, 36)
    return torch.sqrt(difference @ torch.linalg.pinv(pooled) @ difference)


def niqe(images: torch.Tensor, *, crop_border: int = 0) -> torch.Tensor:
    """NIQE (Mittal, Soundararajan & Bovik 2013), one score per image; lower looks more natural.

    ``images``: ``N×C×H×W`` in ``[0, 1]`` with ``C = 3`` (RGB, converted to BT.601
    luma Y in ``[16, 235]`` as MATLAB's ``rgb2ycbcr`` and BasicSR do) or ``C = 1``
    (grey, scaled to ``[0, 255]``); the grey levels are rounded to integers, as in a
    ``uint8`` image. ``crop_border`` pixels are removed from every side first (the SR
    evaluation protocol, as in :func:`~imgsynth_edu.metrics.psnr`). The rest is
    cropped (bottom and right) to whole 96×96 blocks; at least two blocks must fit,
    since the picture's covariance is fitted over its blocks.

    For each image: MSCN coefficients (:func:`mscn_coefficients`) at full and half
    size (MATLAB-style bicubic), 18 features per block at each size
    (:func:`patch_features`, 96- and 48-pixel blocks), and the distance of their
    Gaussian from the pristine one (:func:`niqe_distance`):

    .. math::
        \\mathrm{NIQE} = \\sqrt{(\\nu_1 - \\nu_2)^\\top
        \\left(\\tfrac{\\Sigma_1 + \\Sigma_2}{2}\\right)^{-1} (\\nu_1 - \\nu_2)}

    Returns a float32 tensor of shape ``(N,)`` on the images' device. Sharp photographs
    of everyday scenes score about 2.5-4.5 (scikit-image's ``chelsea`` 2.6, ``astronaut``
    3.1, ``coffee`` 4.1), close-up textures more (``brick`` 10.0); blur, noise and
    compression raise the score.

    Lesson: ``05_super_resolution.ipynb``.
    """
    check_images(images, "images", channels=(1, 3))
    if isinstance(crop_border, bool) or not isinstance(crop_border, int) or crop_border < 0:
        raise ValueError(f"crop_border must be an int >= 0, got {crop_border!r}")
    height, width = images.shape[-2] - 2 * crop_border, images.shape[-1] - 2 * crop_border
    blocks_down, blocks_across = max(height, 0) // NIQE_BLOCK_SIZE, max(width, 0) // NIQE_BLOCK_SIZE
    if blocks_down * blocks_across < 2:
        raise ValueError(
            f"images must hold at least two {NIQE_BLOCK_SIZE}×{NIQE_BLOCK_SIZE} blocks after "
            f"crop_border={crop_border} (e.g. {NIQE_BLOCK_SIZE}×{2 * NIQE_BLOCK_SIZE}; the blocks "
            f"are {NIQE_BLOCK_SIZE // 2}×{NIQE_BLOCK_SIZE // 2} at half size), got "
            f"{tuple(images.shape[-2:])} images, {height}×{width} after the crop"
        )

    pictures = images.detach().to(device="cpu", dtype=torch.float64)  # (N, C, H, W)
    if crop_border:
        pictures = pictures[..., crop_border:-crop_border, crop_border:-crop_border]  # (N, C, H-2b, W-2b)
    grey = rgb_to_y(pictures) if pictures.shape[1] == 3 else pictures  # (N, 1, H, W) in [0, 1]
    grey = torch.round(grey * 255)  # whole grey levels on the 0-255 scale
    grey = grey[..., : blocks_down * NIQE_BLOCK_SIZE, : blocks_across * NIQE_BLOCK_SIZE]  # (N, 1, 96a, 96b)

    full_size = patch_features(mscn_coefficients(grey), NIQE_BLOCK_SIZE)  # (N, P, 18)
    half = bicubic_resize(grey / 255, (grey.shape[-2] // 2, grey.shape[-1] // 2), clip=False) * 255  # (N, 1, 48a, 48b)
    half_size = patch_features(mscn_coefficients(half), NIQE_BLOCK_SIZE // 2)  # (N, P, 18)
    features = torch.cat([full_size, half_size], dim=-1)  # (N, P, 36): block p at both sizes

    scores = torch.stack([niqe_distance(per_image) for per_image in features])  # (N,)
    return scores.to(device=images.device, dtype=torch.float32)
