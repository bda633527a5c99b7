"""Exercises of lesson 00 (tour): PSNR from its definition, Gaussian noise, an image in N×C×H×W.

* :func:`check_psnr` - ``psnr(pred, target)``, one value per image, against
  :func:`imgsynth_edu.metrics.psnr`;
* :func:`check_add_gaussian_noise` - ``add_gaussian_noise(images, sigma, generator)``
  against :func:`imgsynth_edu.data.add_gaussian_noise`;
* :func:`check_to_nchw` - ``to_nchw(array)``: an ``H×W×C`` ``uint8`` array as a
  ``1×C×H×W`` float32 tensor in ``[0, 1]``;
* :func:`check_sigma_for_30_db` - a number: the noise level that gives 30 dB.

Lesson: ``00_tour.ipynb``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

# Library imports (the references the checks compare with).
from ..data import add_gaussian_noise as library_add_gaussian_noise
from ..metrics import psnr as library_psnr
from . import _judge as judge
from .solutions import lesson00 as solutions

__all__ = ["EXERCISES", "cells", "check_add_gaussian_noise", "check_psnr", "check_sigma_for_30_db",
           "check_to_nchw", "solutions"]


def _pairs() -> tuple[torch.Tensor, torch.Tensor]:
    """Four image pairs: noise of σ = 0.01, 0.05, 0.2, and one identical pair."""
    rng = torch.Generator().manual_seed(0)
    target = torch.rand(4, 3, 16, 16, generator=rng)  # (4, 3, 16, 16)
    sigmas = torch.tensor([0.01, 0.05, 0.2, 0.0]).view(4, 1, 1, 1)
    pred = (target + sigmas * torch.randn(target.shape, generator=rng)).clamp(0, 1)
    return pred, target


@judge.exercise("psnr")
def check_psnr(psnr) -> str:
    """Check ``psnr(pred, target) -> (N,)`` against ``metrics.psnr(..., reduction="none")``.

    Lesson: ``00_tour.ipynb``.
    """
    pred, target = _pairs()
    result = judge.as_tensor(judge.run(psnr, pred.clone(), target.clone()), "psnr(pred, target)")
    expected = library_psnr(pred, target, reduction="none").double()  # (4,), the last one inf
    if result.shape != expected.shape:
        if result.numel() == 1:
            pooled = 10 * torch.log10(1 / ((pred.double() - target.double()) ** 2).mean())
            detail = " (the squared errors of the whole batch pooled)" if judge.close(result.reshape(()), pooled, rtol=1e-4) else ""
            judge.fail(f"you returned one number{detail}; expected one PSNR per image, shape {tuple(expected.shape)}",
                       hint="average the squared error over the channels and pixels of each image: "
                            ".mean(dim=(1, 2, 3)), then take 10·log10(1 / MSE) per image")
        judge.fail(f"expected shape {tuple(expected.shape)} (one PSNR per image), got {tuple(result.shape)}",
                   hint="average over dim=(1, 2, 3), the channels and pixels of each image")
    identical = result[3].item()
    if math.isnan(identical):
        judge.fail("identical images gave NaN; expected inf (MSE = 0)",
                   hint="10·log10(1 / 0) = inf in torch; NaN usually comes from 0/0, e.g. log10(MSE / MSE)")
    if math.isfinite(identical):
        judge.fail(f"identical images gave {identical:.1f} dB, expected inf (the MSE is exactly 0)",
                   hint="don't add an epsilon to the MSE: a made-up finite number looks like a measurement. "
                        "inf is the honest value; a caption can say 'identical' instead")
    measured, reference = result[:3], expected[:3]
    if not judge.close(measured, reference, rtol=0, atol=1e-3):
        mse = ((pred[:3].double() - target[:3].double()) ** 2).mean(dim=(1, 2, 3))
        variants = {
            "peak 255": (10 * torch.log10(255.0**2 / mse),
                         "your values are 48.13 dB too high: you used MAX = 255, but the course's images "
                         "are in [0, 1], so MAX = 1"),
            "rmse": (10 * torch.log10(1 / mse.sqrt()),
                     "your values are half the right ones: you took 10·log10 of 1/RMSE; PSNR is "
                     "10·log10(MAX² / MSE) = 20·log10(MAX / RMSE)"),
            "20 log mse": (20 * torch.log10(1 / mse),
                           "your values are twice the right ones: 20·log10 goes with the RMSE, 10·log10 with the MSE"),
            "natural log": (10 * torch.log(1 / mse), "you used the natural log; decibels use log10"),
            "upside down": (10 * torch.log10(mse),
                            "your values have the wrong sign: PSNR = 10·log10(MAX² / MSE), not 10·log10(MSE)"),
            "sum": (10 * torch.log10(1 / ((pred[:3].double() - target[:3].double()) ** 2).sum(dim=(1, 2, 3))),
                    "you summed the squared errors; the MSE is their mean"),
        }
        message = judge.match_variant(measured, variants, rtol=0, atol=1e-3)
        judge.fail(message or f"expected {judge.fmt(reference)} dB for the first three pairs, got {judge.fmt(measured)} dB",
                   hint="MSE = mean((pred - target)²) over each image; PSNR = 10·log10(1 / MSE) for images in [0, 1]")
    return ("agrees with metrics.psnr to 0.001 dB on four image pairs, one value per image, "
            "and identical images give inf")


def _noise_inputs() -> torch.Tensor:
    """Two images: plain mid-grey (measures the noise) and a ramp from 0 to 1 (tests the clamping)."""
    grey = torch.full((3, 24, 24), 0.5)
    ramp = torch.linspace(0, 1, 24).view(1, 1, 24).expand(3, 24, 24)
    return torch.stack([grey, ramp]).contiguous()  # (2, 3, 24, 24)


@judge.exercise("add_gaussian_noise")
def check_add_gaussian_noise(add_gaussian_noise) -> str:
    """Check ``add_gaussian_noise(images, sigma, generator)`` against ``data.add_gaussian_noise``.

    Lesson: ``00_tour.ipynb``.
    """
    images, sigma = _noise_inputs(), 0.1
    result = judge.run(add_gaussian_noise, images.clone(), sigma, torch.Generator().manual_seed(0))
    if not isinstance(result, torch.Tensor):
        judge.fail(f"return a torch tensor, got {type(result).__name__}")
    if result.shape != images.shape:
        judge.fail(f"the noisy images must keep the shape {tuple(images.shape)}, got {tuple(result.shape)}",
                   hint="add one noise value per pixel and channel: torch.randn(images.shape, generator=generator)")
    if result.dtype != torch.float32:
        judge.fail(f"the result has dtype {result.dtype}; the course's images are float32",
                   hint="draw the noise in float32 (the default of torch.randn) and don't convert to integers")
    low, high = result.min().item(), result.max().item()
    if low < 0 or high > 1:
        judge.fail(f"values outside [0, 1] (min {low:.3g}, max {high:.3g})",
                   hint="a sensor saturates: clamp once, after adding the noise: (images + sigma * noise).clamp(0, 1)")
    expected = library_add_gaussian_noise(images, sigma, generator=torch.Generator().manual_seed(0))
    if judge.close(result, expected, rtol=0, atol=1e-6):
        return "equals data.add_gaussian_noise for the same generator, clamped to [0, 1]"
    noise = result[0] - images[0]  # the grey image: 5σ from either end, so clamping never acts
    std, mean = noise.std().item(), noise.mean().item()
    if abs(mean) > 0.02:
        judge.fail(f"the noise is not zero-mean (mean {mean:+.3f})",
                   hint="torch.rand is uniform on [0, 1) (mean 0.5); Gaussian noise is torch.randn")
    if abs(std - sigma**2) < 0.003:
        judge.fail(f"the noise's standard deviation is {std:.4f} = σ², not σ = {sigma}",
                   hint="sigma is the standard deviation: images + sigma * torch.randn(...)")
    if std > 3 * sigma:
        judge.fail(f"the noise is far too strong (standard deviation {std:.3g}, expected σ = {sigma}): "
                   "did you scale it to the 0–255 range?",
                   hint="sigma is given on the [0, 1] scale of the images: images + sigma * torch.randn(...)")
    if abs(std - sigma) > 0.01:
        judge.fail(f"the noise's standard deviation is {std:.4f}, expected σ = {sigma}",
                   hint="images + sigma * torch.randn(images.shape, generator=generator)")
    again = judge.run(add_gaussian_noise, images.clone(), sigma, torch.Generator().manual_seed(0))
    if not torch.equal(again, result):
        judge.fail("two calls with equally seeded generators gave different noise: the generator is ignored",
                   hint="draw with the generator you were given: torch.randn(images.shape, generator=generator)")
    return (f"zero-mean Gaussian of σ = {std:.3f}, clamped to [0, 1], reproducible with its generator "
            "(the random numbers are drawn in another order than data.add_gaussian_noise)")


@judge.exercise("to_nchw")
def check_to_nchw(to_nchw) -> str:
    """Check ``to_nchw(array)``: ``H×W×C`` (or ``H×W``) uint8 -> ``1×C×H×W`` float32 in ``[0, 1]``.

    Lesson: ``00_tour.ipynb``.
    """
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)  # H×W×C, not square: catches swapped axes
    colour[0, 0] = 255  # the brightest value must become exactly 1
    grey = rng.integers(0, 256, size=(4, 6), dtype=np.uint8)  # H×W
    for array, label in ((colour, "an RGB array of shape (5, 7, 3)"), (grey, "a greyscale array of shape (4, 6)")):
        result = judge.run(to_nchw, array.copy())
        expected = torch.from_numpy(array.reshape(array.shape[0], array.shape[1], -1).copy()).permute(2, 0, 1)
        expected = (expected.float() / 255)[None]  # (1, C, H, W)
        if not isinstance(result, torch.Tensor):
            judge.fail(f"for {label} you returned a {type(result).__name__}; return a torch tensor",
                       hint="torch.from_numpy(array) turns the array into a tensor without copying")
        shape = tuple(result.shape)
        if shape != tuple(expected.shape):
            channels_last = (1, *array.shape) if array.ndim == 3 else None
            if shape == channels_last:
                judge.fail(f"for {label} you returned {shape}: channels last; the course's convention is N×C×H×W",
                           hint="move the channel axis first with .permute(2, 0, 1), then add the batch axis")
            if shape == tuple(expected.shape[1:]):
                judge.fail(f"for {label} you returned {shape}: the batch axis N is missing",
                           hint="add it with tensor[None] (or .unsqueeze(0)): 1×C×H×W")
            judge.fail(f"for {label} expected shape {tuple(expected.shape)}, got {shape}",
                       hint="a greyscale H×W array becomes 1×1×H×W; an H×W×C array 1×C×H×W")
        if result.dtype != torch.float32:
            judge.fail(f"for {label} the result has dtype {result.dtype}; the course's images are float32",
                       hint="divide a float32 tensor: tensor.float() / 255 (NumPy's array / 255.0 gives float64)")
        values = result.detach().double()
        if values.max() > 1.0 + 1e-6:
            judge.fail(f"for {label} the values go up to {values.max().item():.0f}: the course's images are in [0, 1]",
                       hint="divide the 8-bit values by 255")
        if not judge.close(values, expected.double(), rtol=0, atol=1e-6):
            if judge.close(values.flatten().sort().values, expected.double().flatten().sort().values, rtol=0, atol=1e-6):
                judge.fail(f"for {label} the shape and the values are right but the pixels are in the wrong places",
                           hint="reshape/view reinterpret the memory (they scramble the pixels); "
                                "permute(2, 0, 1) moves the channel axis and keeps every pixel where it was")
            judge.fail(f"for {label} the values differ from array / 255 (first values {judge.fmt(values)}, "
                       f"expected {judge.fmt(expected)})", hint="tensor.float() / 255, channels first, then a batch axis")
    return "RGB and greyscale 8-bit arrays become 1×C×H×W float32 tensors in [0, 1], every pixel in place"


@judge.exercise("sigma_for_30_db")
def check_sigma_for_30_db(sigma: float) -> str:
    """Check a noise level ``sigma`` that should give a PSNR of 30 dB.

    Lesson: ``00_tour.ipynb``.
    """
    sigma = judge.number_answer(sigma)
    if not 0 < sigma < 1000:
        judge.fail(f"σ = {sigma} is not a usable noise level", hint="σ > 0 on the [0, 1] scale")
    if sigma >= 1:
        judge.fail(f"σ = {sigma:g} looks like the 0–255 scale; the course's images are in [0, 1]",
                   hint=f"divide by 255: σ = {sigma / 255:.4f}")
    grey = torch.full((1, 3, 64, 64), 0.5)  # mid-grey: no clipping for any σ that could give 30 dB
    noisy = library_add_gaussian_noise(grey, sigma, generator=torch.Generator().manual_seed(0))
    measured = library_psnr(noisy, grey).item()
    if abs(measured - 30.0) >= 0.5:
        if abs(sigma - 1e-3) < 1e-4:
            judge.fail(f"σ = {sigma:g} gives {measured:.1f} dB: you solved 30 = −10·log10 σ",
                       hint="the MSE of the noise is σ², so PSNR = 10·log10(1/σ²) = −20·log10 σ")
        direction = "smaller" if measured < 30 else "larger"
        judge.fail(f"σ = {sigma:g} gives {measured:.2f} dB, not 30 dB; try a {direction} σ",
                   hint="PSNR = −20·log10 σ for unclipped noise: solve for σ")
    return f"σ = {sigma:g} gives {measured:.2f} dB on a mid-grey image (measured with data.add_gaussian_noise)"


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson00",
    judge.Exercise(name="psnr", title="PSNR from its definition", text=r"""
Write `psnr(pred, target)` for two batches of images in $[0, 1]$ (`N×C×H×W`): one value per image,

$$\mathrm{PSNR} = 10\log_{10}\frac{\mathrm{MAX}^2}{\mathrm{MSE}}\ \text{dB},\qquad
\mathrm{MSE} = \frac{1}{CHW}\sum_{c,i,j}(\hat x_{cij} - x_{cij})^2,$$

returned as a tensor of shape `(N,)`. Identical images have $\mathrm{MSE} = 0$: return `inf` for them,
not a large made-up number.
""",
        hint="""
`MAX = 1` for images in $[0, 1]$. Average over `dim=(1, 2, 3)`; `torch.log10` of `1 / 0` is `inf`.
""",
        stub=judge.function_stub("psnr(pred, target)",
                                 "PSNR in dB of each image pair: a tensor of shape (N,).",
                                 imports=("import torch",)),
        solution=solutions.psnr,
    ),
    judge.Exercise(name="add_gaussian_noise", title="Gaussian noise, on the right scale", text=r"""
Write `add_gaussian_noise(images, sigma, generator)`: $y = x + \sigma n$ with
$n \sim \mathcal N(0, 1)$ drawn independently for every pixel and channel, $\sigma$ on the $[0, 1]$
scale of the images. Draw the noise with the `torch.Generator` you are given (so a seed gives the
same noise twice), and keep the result in $[0, 1]$ as a sensor would: clamp once, after adding.
""",
        hint="""
`torch.randn(images.shape, generator=generator)` draws the noise; `.clamp(0, 1)` keeps the range.
Watch the scale: σ = 0.1 here means a tenth of the full range, not 0.1 of 255.
""",
        stub=judge.function_stub("add_gaussian_noise(images, sigma, generator)",
                                 "images + sigma * N(0, 1) noise, kept in [0, 1].",
                                 imports=("import torch",)),
        solution=solutions.add_gaussian_noise,
    ),
    judge.Exercise(name="to_nchw", title="An image in the course's convention", text=r"""
Image files load as NumPy arrays of shape `H×W×C` (or `H×W` for greyscale) with 8-bit values
0–255. Write `to_nchw(array)` that returns the course's convention: a `float32` tensor of shape
`1×C×H×W` with values in $[0, 1]$.
""",
        hint="""
`torch.from_numpy`, then `.permute(2, 0, 1)` (not `reshape`, which scrambles the pixels), then
`.float() / 255` and `[None]` for the batch axis. Give a greyscale array a channel axis first.
""",
        stub=judge.function_stub("to_nchw(array)",
                                 "An H×W×C (or H×W) uint8 array as a 1×C×H×W float32 tensor in [0, 1].",
                                 imports=("import numpy as np", "import torch")),
        solution=solutions.to_nchw,
    ),
    judge.Exercise(name="sigma_for_30_db", title="Which noise level gives 30 dB?", text=r"""
For Gaussian noise without clipping the MSE is $\sigma^2$, so $\mathrm{PSNR} = -20\log_{10}\sigma$.
Which σ gives 30 dB? The check measures your σ with `data.add_gaussian_noise` on a mid-grey image.
""",
        hint=r"""
$30 = -20\log_{10}\sigma \Rightarrow \sigma = 10^{-30/20}$.
""",
        stub="sigma_for_30_db = None  # your answer, e.g. 0.1",
        solution=r"""
$\sigma = 10^{-30/20} = 10^{-1.5} \approx 0.0316$ (about 8 of 255 grey levels):

```python
sigma_for_30_db = 10 ** (-30 / 20)
```
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 00: ``[("markdown" | "code", source), ...]``.

    Lesson: ``00_tour.ipynb``.
    """
    return judge.render_cells("lesson00", "Four short exercises on images as tensors and on PSNR.", EXERCISES)

