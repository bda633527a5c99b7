"""Exercises of lesson 04 (measuring quality): Y-PSNR with the border crop, SSIM, KID, and two numbers.

* :func:`check_y_psnr` - ``y_psnr(pred, target, scale)``: the SR protocol's PSNR
  (BT.601 studio-swing Y, a border of ``scale`` pixels cropped, mean of per-image
  values) against ``metrics.psnr(..., crop_border=scale, y_channel=True)``;
* :func:`check_ssim_map` - ``ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range)``:
  Wang et al. (2004, eq. 13) from local statistics; its mean over the valid
  windows must equal :func:`imgsynth_edu.metrics.ssim`;
* :func:`check_kid_mmd2` - ``kid_mmd2(real, fake)``: the unbiased MMD² with the
  cubic kernel, against :func:`imgsynth_edu.metrics.kid` on one subset of all samples;
* :func:`check_studio_swing_db` - a number: the decibels that studio-swing Y adds to PSNR;
* :func:`check_covariance_rank` - a number: the largest rank of a covariance of 50 samples.

Lesson: ``04_measuring_quality.ipynb``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# Library imports (the references the checks compare with).
from ..metrics import kid as library_kid
from ..metrics import psnr as library_psnr
from ..metrics import rgb_to_y as library_rgb_to_y
from ..metrics import ssim as library_ssim
from ..metrics.image import SSIM_K1, SSIM_K2
from . import _judge as judge
from .solutions import lesson04 as solutions

__all__ = ["EXERCISES", "cells", "check_covariance_rank", "check_kid_mmd2", "check_ssim_map",
           "check_studio_swing_db", "check_y_psnr", "solutions"]

#: BT.601 full-range luma weights (what a JPEG file or a TV signal calls Y), for the wrong-answer variant.
_FULL_RANGE_Y = (0.299, 0.587, 0.114)


# ----------------------------------------------------------------------------
# Exercise 1: PSNR on Y with the border crop
# ----------------------------------------------------------------------------
def _sr_pair(scale: int):
    """Three 24×24 RGB pairs with different error levels, and large errors in the border band."""
    rng = torch.Generator().manual_seed(5)
    target = torch.rand(3, 3, 24, 24, generator=rng)
    levels = torch.tensor([0.02, 0.05, 0.1]).view(3, 1, 1, 1)
    pred = (target + levels * torch.randn(target.shape, generator=rng)).clamp(0, 1)
    border = torch.ones(24, 24, dtype=torch.bool)
    border[scale:-scale, scale:-scale] = False
    pred[:, :, border] = 1 - target[:, :, border]  # what a network guesses from padding: badly
    return pred, target


def _psnr_of(a: torch.Tensor, b: torch.Tensor, per_image: bool = True) -> torch.Tensor:
    """PSNR of ``N×...`` tensors in [0, 1]: the mean of per-image values, or one pooled value."""
    squared = (a.double() - b.double()) ** 2
    if not per_image:
        return 10 * torch.log10(1 / squared.mean())
    return (10 * torch.log10(1 / squared.flatten(1).mean(dim=1))).mean()


@judge.exercise("y_psnr")
def check_y_psnr(y_psnr) -> str:
    """Check ``y_psnr(pred, target, scale)`` against ``metrics.psnr(..., crop_border=scale, y_channel=True)``.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    scale = 3
    pred, target = _sr_pair(scale)
    result = judge.as_tensor(judge.run(y_psnr, pred.clone(), target.clone(), scale), "y_psnr(pred, target, scale)")
    expected = library_psnr(pred, target, crop_border=scale, y_channel=True).double()
    if result.numel() != 1:
        judge.fail(f"expected one number (the mean of the per-image PSNRs), got shape {tuple(result.shape)}",
                   hint="compute a PSNR per image, then .mean() over the images, as SR papers report")
    result = result.reshape(())
    if not judge.close(result, expected, rtol=0, atol=1e-3):
        crop = (slice(None), slice(None), slice(scale, -scale), slice(scale, -scale))
        y_pred, y_target = library_rgb_to_y(pred), library_rgb_to_y(target)  # (3, 1, 24, 24), studio swing
        full = pred.new_tensor(_FULL_RANGE_Y).view(1, 3, 1, 1)
        full_pred, full_target = (pred * full).sum(1, keepdim=True), (target * full).sum(1, keepdim=True)
        variants = {
            "rgb": (_psnr_of(pred[crop], target[crop]),
                    "that is the PSNR of the RGB channels; the SR protocol measures the luma Y of BT.601"),
            "no crop": (_psnr_of(y_pred, y_target),
                        f"no border crop: the {scale}-pixel border, where an upscaler can only guess from padding, "
                        "is not measured in the SR protocol"),
            "rgb no crop": (_psnr_of(pred, target), "RGB and no border crop: the SR protocol uses Y and crops `scale` pixels"),
            "full range": (_psnr_of(full_pred[crop], full_target[crop]),
                           "full-range Y (0.299R + 0.587G + 0.114B); SR papers use MATLAB's studio swing, "
                           "Y = (16 + 65.481R + 128.553G + 24.966B)/255, which spans only 219/255 of [0, 1]"),
            "0-255": (_psnr_of(y_pred[crop] * 255, y_target[crop] * 255),
                      "your Y is on the 0–255 scale while the peak is 1: divide the weights by 255"),
            "pooled": (_psnr_of(y_pred[crop], y_target[crop], per_image=False),
                       "you pooled the squared errors of all images; SR papers average the per-image PSNRs"),
            "one side": (_psnr_of(y_pred[..., scale:, scale:], y_target[..., scale:, scale:]),
                         "you cropped only the top and left: crop `scale` pixels from every side, [s:-s, s:-s]"),
            "twice": (_psnr_of(y_pred[..., 2 * scale:-2 * scale, 2 * scale:-2 * scale],
                               y_target[..., 2 * scale:-2 * scale, 2 * scale:-2 * scale]),
                      "you cropped 2·scale pixels; the protocol crops `scale`"),
        }
        judge.fail(judge.match_variant(result, variants, rtol=0, atol=1e-3) or
                   f"expected {expected.item():.3f} dB, got {result.item():.3f} dB",
                   hint="Y = (16 + 65.481R + 128.553G + 24.966B)/255; crop [s:-s, s:-s]; PSNR per image; then the mean")
    return f"{expected.item():.3f} dB, as metrics.psnr(..., crop_border={scale}, y_channel=True) measures it"


# ----------------------------------------------------------------------------
# Exercise 2: SSIM from local statistics
# ----------------------------------------------------------------------------
def _random_statistics():
    """Local statistics of 50 made-up windows, the first one two flat black patches (all zero)."""
    rng = torch.Generator().manual_seed(6)
    mu_x, mu_y = torch.rand(50, generator=rng, dtype=torch.float64), torch.rand(50, generator=rng, dtype=torch.float64)
    var_x = 0.05 * torch.rand(50, generator=rng, dtype=torch.float64)
    var_y = 0.05 * torch.rand(50, generator=rng, dtype=torch.float64)
    cov = (2 * torch.rand(50, generator=rng, dtype=torch.float64) - 1) * (var_x * var_y).sqrt()
    for tensor in (mu_x, mu_y, var_x, var_y, cov):
        tensor[0] = 0.0  # two flat, black patches: SSIM must be exactly 1, not 0/0
    return mu_x, mu_y, var_x, var_y, cov


def _ssim_formula(mu_x, mu_y, var_x, var_y, cov, data_range, k1=SSIM_K1, k2=SSIM_K2, square=True, twos=2.0):
    c1 = (k1 * data_range) ** 2 if square else k1 * data_range
    c2 = (k2 * data_range) ** 2 if square else k2 * data_range
    return ((twos * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)) * ((twos * cov + c2) / (var_x + var_y + c2))


def _local_statistics(x: torch.Tensor, y: torch.Tensor):
    """μx, μy, σx², σy², σxy of 1-channel images in every 11×11 Gaussian window (σ = 1.5) that fits inside."""
    offsets = torch.arange(11, dtype=torch.float64) - 5
    g = torch.exp(-(offsets**2) / (2 * 1.5**2))
    window = (g[:, None] * g[None, :] / g.sum() ** 2).view(1, 1, 11, 11)  # (1, 1, 11, 11), sums to 1
    blur = lambda t: F.conv2d(t, window)  # noqa: E731  (N, 1, H-10, W-10), no padding: valid windows only
    x, y = x.double(), y.double()
    mu_x, mu_y = blur(x), blur(y)
    return mu_x, mu_y, blur(x * x) - mu_x**2, blur(y * y) - mu_y**2, blur(x * y) - mu_x * mu_y


@judge.exercise("ssim_map")
def check_ssim_map(ssim_map) -> str:
    """Check ``ssim_map(...)`` on made-up statistics, on two images (against ``metrics.ssim``) and at data_range 255.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    statistics = _random_statistics()
    result = judge.as_tensor(judge.run(ssim_map, *(s.clone() for s in statistics), data_range=1.0), "ssim_map(...)")
    expected = _ssim_formula(*statistics, data_range=1.0)
    if result.shape != expected.shape:
        judge.fail(f"expected one SSIM per window, shape {tuple(expected.shape)}, got {tuple(result.shape)}",
                   hint="the formula works element by element on the five statistics")
    if not torch.isfinite(result[0]):
        judge.fail(f"for two flat black patches (all five statistics 0) you return {result[0].item()}: "
                   "C1 and C2 are missing", hint="C1 = (0.01·R)², C2 = (0.03·R)² keep both fractions finite; there SSIM = 1")
    if not judge.close(result, expected, rtol=1e-6, atol=1e-9):
        variants = {
            "not squared": (_ssim_formula(*statistics, data_range=1.0, square=False),
                            "C1 and C2 are not squared: C1 = (K1·R)² = 1e-4 and C2 = (K2·R)² = 9e-4"),
            "no twos": (_ssim_formula(*statistics, data_range=1.0, twos=1.0),
                        "the factors 2 are missing: 2μxμy + C1 and 2σxy + C2 (so identical patches score 1)"),
            "no constants": (_ssim_formula(*statistics, data_range=1.0, k1=0.0, k2=0.0),
                             "C1 and C2 are missing"),
        }
        judge.fail(judge.match_variant(result[1:], {k: (v[1:], m) for k, (v, m) in variants.items()}, rtol=1e-6, atol=1e-9)
                   or f"expected {judge.fmt(expected)}, got {judge.fmt(result)}",
                   hint="((2μxμy + C1)(2σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2)), C1 = (0.01R)², C2 = (0.03R)²")
    rng = torch.Generator().manual_seed(7)
    target = F.avg_pool2d(torch.rand(1, 1, 40, 40, generator=rng), 3, stride=1, padding=1)  # a smooth image
    pred = (target + 0.05 * torch.randn(target.shape, generator=rng)).clamp(0, 1)
    windows = _local_statistics(pred, target)
    mean_ssim = judge.as_tensor(judge.run(ssim_map, *windows, data_range=1.0), "ssim_map(...)").mean()
    reference = library_ssim(pred, target).double()
    if not judge.close(mean_ssim, reference, rtol=0, atol=1e-5):
        judge.fail(f"on two images your map's mean is {mean_ssim.item():.5f}, metrics.ssim says {reference.item():.5f}",
                   hint="the same formula as above, applied to every window")
    scaled = [s * 255 for s in statistics[:2]] + [s * 255**2 for s in statistics[2:]]
    at_255 = judge.as_tensor(judge.run(ssim_map, *scaled, data_range=255.0), "ssim_map(..., data_range=255)")
    if not judge.close(at_255, expected, rtol=1e-6, atol=1e-9):
        judge.fail("with images on the 0–255 scale (data_range=255) the SSIM changes: data_range is ignored",
                   hint="C1 = (0.01·data_range)², C2 = (0.03·data_range)²; SSIM does not depend on the scale")
    return (f"the SSIM formula on 50 windows (flat black ones included), its mean over two images' windows "
            f"equals metrics.ssim ({reference.item():.4f}), and it does not depend on data_range")


# ----------------------------------------------------------------------------
# Exercise 3: KID, the unbiased MMD²
# ----------------------------------------------------------------------------
def _kernel(a, b, degree=3, by_dimension=True):
    d = a.shape[1] if by_dimension else 1
    return (a @ b.T / d + 1) ** degree


def _mmd2(real, fake, *, biased=False, cross_unbiased=False, degree=3, by_dimension=True, cross_factor=2.0):
    m = len(real)
    k_rr, k_ff = _kernel(real, real, degree, by_dimension), _kernel(fake, fake, degree, by_dimension)
    k_rf = _kernel(real, fake, degree, by_dimension)
    if biased:
        same = (k_rr.sum() + k_ff.sum()) / (m * m)
    else:
        same = (k_rr.sum() - k_rr.diagonal().sum() + k_ff.sum() - k_ff.diagonal().sum()) / (m * (m - 1))
    cross = (k_rf.sum() - k_rf.diagonal().sum()) / (m * (m - 1)) if cross_unbiased else k_rf.sum() / (m * m)
    return same - cross_factor * cross


@judge.exercise("kid_mmd2")
def check_kid_mmd2(kid_mmd2) -> str:
    """Check ``kid_mmd2(real, fake)`` against ``metrics.kid`` with one subset of all samples.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    rng = torch.Generator().manual_seed(8)
    real = torch.randn(40, 16, generator=rng, dtype=torch.float64)
    fake = 1.1 * torch.randn(40, 16, generator=rng, dtype=torch.float64) + 0.3
    result = judge.as_tensor(judge.run(kid_mmd2, real.clone(), fake.clone()), "kid_mmd2(real, fake)")
    expected, _ = library_kid(real, fake, subset_size=40, num_subsets=1, generator=torch.Generator().manual_seed(0))
    if result.numel() != 1:
        judge.fail(f"expected one number, got shape {tuple(result.shape)}", hint="sum the kernel matrices to scalars")
    result = result.reshape(())
    if not math.isclose(result.item(), expected, rel_tol=1e-6, abs_tol=1e-9):
        variants = {
            "biased": (_mmd2(real, fake, biased=True),
                       "that is the biased estimate: k(x_i, x_i) is included; sum over i ≠ j and divide by m(m − 1)"),
            "no d": (_mmd2(real, fake, by_dimension=False),
                     "the kernel is (xᵀy/d + 1)³: you forgot to divide the inner product by the dimension d"),
            "degree 2": (_mmd2(real, fake, degree=2), "the kernel is cubic: (xᵀy/d + 1)³"),
            "linear": (_mmd2(real, fake, degree=1), "the kernel is cubic: (xᵀy/d + 1)³"),
            "cross diagonal": (_mmd2(real, fake, cross_unbiased=True),
                               "the cross term keeps i = j: a real and a fake sample are never the same, so "
                               "sum all m² pairs and divide by m²"),
            "cross once": (_mmd2(real, fake, cross_factor=1.0), "the cross term counts twice: − 2/m² Σ k(x_i, y_j)"),
        }
        judge.fail(judge.match_variant(result, {k: (torch.as_tensor(v), msg) for k, (v, msg) in variants.items()},
                                       rtol=1e-6, atol=1e-9) or f"expected {expected:.6g}, got {result.item():.6g}",
                   hint="MMD² = Σ_{i≠j}[k(x_i,x_j) + k(y_i,y_j)]/(m(m−1)) − 2Σ_{i,j} k(x_i,y_j)/m², k(x,y) = (xᵀy/d + 1)³")
    return f"{expected:.5g}, as metrics.kid(real, fake, subset_size=40, num_subsets=1) measures it"


# ----------------------------------------------------------------------------
# Exercise 4: what studio swing does to PSNR
# ----------------------------------------------------------------------------
@judge.exercise("studio_swing_db")
def check_studio_swing_db(value: float) -> str:
    """Check the dB that studio-swing Y (range 219/255) adds to PSNR compared with full-range Y, measured.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    value = judge.number_answer(value, "a number of decibels")
    rng = torch.Generator().manual_seed(9)
    target = torch.rand(2, 3, 16, 16, generator=rng)
    pred = (target + 0.05 * torch.randn(target.shape, generator=rng)).clamp(0, 1)
    studio = library_psnr(pred, target, y_channel=True).item()
    full = target.new_tensor(_FULL_RANGE_Y).view(1, 3, 1, 1)
    full_range = _psnr_of((pred * full).sum(1), (target * full).sum(1)).item()
    gap = studio - full_range
    if abs(value - gap) > 0.05:
        if abs(value + gap) < 0.05:
            judge.fail(f"the sign is wrong: studio-swing Y scores {gap:.2f} dB *higher* (measured)",
                       hint="a smaller range means smaller errors, hence a higher PSNR")
        if abs(value - gap / 2) < 0.05:
            judge.fail(f"{value:g} dB is half of it: errors shrink by 219/255, squared errors by (219/255)²",
                       hint="PSNR changes by 10·log10((255/219)²) = 20·log10(255/219)")
        judge.fail(f"measured on two image pairs the gap is {gap:.2f} dB, not {value:g}",
                   hint="studio-swing Y is full-range Y times 219/255 plus a constant: every error shrinks by 219/255")
    return (f"studio-swing Y scores {gap:.3f} dB above full-range Y on every image pair (measured with "
            "metrics.psnr(y_channel=True)): 20·log10(255/219)")


# ----------------------------------------------------------------------------
# Exercise 5: the rank of a covariance of few samples
# ----------------------------------------------------------------------------
@judge.exercise("covariance_rank")
def check_covariance_rank(value: int) -> str:
    """Check the largest rank of the sample covariance of 50 vectors of dimension 128 (measured).

    Lesson: ``04_measuring_quality.ipynb``.
    """
    value = judge.answer(value)
    features = torch.randn(50, 128, generator=torch.Generator().manual_seed(10), dtype=torch.float64)
    measured = int(torch.linalg.matrix_rank(torch.cov(features.T)))  # (128, 128) covariance
    if value != measured:
        if value == 50:
            judge.fail("50 would be the rank of the raw vectors; the covariance uses them minus their mean, and "
                       "those 50 centred vectors sum to zero", hint="one linear dependency: n − 1")
        if value == 128:
            judge.fail(f"a 128×128 covariance of only 50 samples cannot have full rank (measured: {measured})",
                       hint="the rank is at most the number of centred vectors that are independent")
        judge.fail(f"the measured rank is {measured}", hint="the n centred vectors sum to zero")
    return f"rank {measured} = n − 1, measured: fewer samples than dimensions leave the covariance singular (use KID)"


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson04",
    judge.Exercise(name="y_psnr", title="PSNR the way super-resolution papers measure it", text=r"""
Write `y_psnr(pred, target, scale)` for RGB batches `N×3×H×W` in $[0, 1]$: convert both to the luma of
BT.601 with MATLAB's studio swing,

$$Y = \frac{16 + 65.481R + 128.553G + 24.966B}{255},$$

crop a border of `scale` pixels on every side, compute the PSNR of each image (peak 1) and return
the mean over the images.
""",
        hint="""
Weights `torch.tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1) / 255`, summed over `dim=1`, plus
`16 / 255`. Crop with `[..., s:-s, s:-s]`. The MSE per image is a mean over its pixels.
""",
        stub=judge.function_stub("y_psnr(pred, target, scale)",
                                 "Mean over images of the PSNR of BT.601 studio-swing Y, with a border of `scale` pixels cropped.",
                                 imports=("import torch",)),
        solution=solutions.y_psnr,
    ),
    judge.Exercise(name="ssim_map", title="SSIM from its local statistics", text=r"""
Write `ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range=1.0)`: given the local means, variances
and covariance of every window (tensors of any one shape), return SSIM of every window
(Wang et al. 2004, eq. 13):

$$\mathrm{SSIM} = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}{(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
\qquad C_1 = (0.01R)^2,\ C_2 = (0.03R)^2.$$

The check also feeds it the statistics of two images' 11×11 Gaussian windows and compares the mean
with `metrics.ssim`.
""",
        hint="""
$R$ is `data_range`. Without $C_1$ and $C_2$ two flat black patches give $0/0$; with them, SSIM is 1 there.
""",
        stub=judge.function_stub("ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range=1.0)",
                                 "SSIM of every window from its local statistics (element by element)."),
        solution=solutions.ssim_map,
    ),
    judge.Exercise(name="kid_mmd2", title="KID: the unbiased MMD²", text=r"""
Write `kid_mmd2(real, fake)` for two feature matrices of shape `(m, d)`: the unbiased estimate of
the squared MMD with the cubic kernel $k(x, y) = (x^\top y / d + 1)^3$ (Bińkowski et al. 2018),

$$\widehat{\mathrm{MMD}}^2 = \frac{1}{m(m-1)}\sum_{i \ne j}\big[k(x_i, x_j) + k(y_i, y_j)\big] -
\frac{2}{m^2}\sum_{i, j} k(x_i, y_j).$$

""",
        hint="""
`real @ real.T` holds every inner product; subtract the diagonal's sum to drop the terms $i = j$. The
cross term keeps every pair: a real and a fake sample are never the same sample.
""",
        stub=judge.function_stub("kid_mmd2(real, fake)",
                                 "Unbiased MMD² with the kernel (x·y/d + 1)³ between two (m, d) feature matrices."),
        solution=solutions.kid_mmd2,
    ),
    judge.Exercise(name="studio_swing_db", title="How much does studio swing add?", text=r"""
Studio-swing Y spans $[16/255, 235/255]$, only $219/255$ of the range of full-range Y
($0.299R + 0.587G + 0.114B$), with the same peak of 1 in the PSNR. By how many dB does the PSNR on
studio-swing Y exceed the PSNR on full-range Y, for any pair of images?
""",
        hint="""
Every error is multiplied by $219/255$; the MSE by its square.
""",
        stub="studio_swing_db = None  # your answer in dB",
        solution=r"""
```python
import math

studio_swing_db = 20 * math.log10(255 / 219)
```

$10\log_{10}\big((255/219)^2\big) = 20\log_{10}(255/219) \approx 1.32$ dB, for every pair of images. This, not errors cancelling between channels, is
why Y-PSNR tables sit above RGB-PSNR tables.
""",
    ),
    judge.Exercise(name="covariance_rank", title="The singular covariance", text=r"""
FID needs the covariance of $d$-dimensional features. What is the largest possible **rank** of the
sample covariance of `n = 50` feature vectors of dimension `d = 128`? The check measures it.
""",
        hint="""
Subtracting the mean makes the 50 centred vectors linearly dependent: they sum to zero.
""",
        stub="covariance_rank = None  # your answer: an int",
        solution=r"""
```python
covariance_rank = 49
```

That is $n - 1$. With fewer samples than dimensions the covariance is singular,
FID's matrix square root is ill-conditioned, and KID is the better choice.
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 04: ``[("markdown" | "code", source), ...]``.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    return judge.render_cells("lesson04", "The metrics, written from their formulas and checked against the library.",
                              EXERCISES)
