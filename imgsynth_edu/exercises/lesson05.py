"""Exercises of lesson 05 (super-resolution): pixel shuffle, SRGAN's generator loss, a training pair.

* :func:`check_pixel_shuffle` - ``pixel_shuffle(x, r)`` by hand (reshape and
  permute), against ``torch.nn.functional.pixel_shuffle``, the layer SRResNet's upsampler uses;
* :func:`check_srgan_generator_loss` - ``srgan_generator_loss(super_resolved, high_res, fake_logits)``,
  content + 10⁻³ · adversarial (Ledig et al. 2017, eq. 3), against :func:`imgsynth_edu.losses.srgan_generator_loss`;
* :func:`check_lr_hr_pair` - ``lr_hr_pair(photo, scale)``: a training pair made
  as the SR protocol makes it, against ``data.crop_to_multiple`` + ``data.bicubic_downscale``;
* :func:`check_bicubic_clock_x3` - a number: the bicubic baseline's Y-PSNR on the held-out ``clock`` at ×3.

Lesson: ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

# Library imports (the references the checks compare with).
from ..data import bicubic_downscale, bicubic_upscale, crop_to_multiple, load_photo
from ..losses import srgan_generator_loss as library_srgan_generator_loss
from ..metrics import psnr as library_psnr
from . import _judge as judge
from .solutions import lesson05 as solutions

__all__ = ["EXERCISES", "cells", "check_bicubic_clock_x3", "check_lr_hr_pair", "check_pixel_shuffle",
           "check_srgan_generator_loss", "solutions"]


# ----------------------------------------------------------------------------
# Exercise 1: pixel shuffle by hand
# ----------------------------------------------------------------------------
def _without_builtin_shuffle(function, *args):
    """Run ``function`` with PyTorch's pixel shuffle switched off, so the exercise is done by hand."""

    def refuse(*_args, **_kwargs):
        raise RuntimeError("PixelShuffle is switched off in this exercise: write it with reshape and permute")

    saved = F.pixel_shuffle, torch.pixel_shuffle
    F.pixel_shuffle = torch.pixel_shuffle = refuse
    try:
        return judge.run(function, *args)
    finally:
        F.pixel_shuffle, torch.pixel_shuffle = saved


@judge.exercise("pixel_shuffle")
def check_pixel_shuffle(pixel_shuffle) -> str:
    """Check ``pixel_shuffle(x, r)`` on numbered inputs (every value says where it came from).

    Lesson: ``05_super_resolution.ipynb``.
    """
    for shape, r in (((2, 12, 3, 4), 2), ((1, 18, 2, 3), 3)):
        x = torch.arange(torch.Size(shape).numel(), dtype=torch.float32).view(shape)  # value = position in memory
        n, channels, h, w = shape
        c = channels // (r * r)
        result = _without_builtin_shuffle(pixel_shuffle, x.clone(), r)
        result = judge.as_tensor(result, "pixel_shuffle(x, r)")
        expected = F.pixel_shuffle(x, r).double()  # (N, C, h·r, w·r)
        if result.shape != expected.shape:
            judge.fail(f"for x of shape {shape} and r = {r} expected {tuple(expected.shape)}, got {tuple(result.shape)}",
                       hint="N×(C·r²)×h×w becomes N×C×(h·r)×(w·r)")
        if not judge.close(result, expected, rtol=0, atol=0):
            grid = x.double()
            variants = {
                "reshape": (grid.reshape(n, c, h * r, w * r),
                            "a plain reshape keeps the memory order: the r×r sub-pixels of one low-resolution "
                            "pixel do not end up next to each other"),
                "channel order": (grid.reshape(n, r, r, c, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c, h * r, w * r),
                                  "the channels are grouped the other way: PyTorch's input channel c·r² + i·r + j "
                                  "holds sub-pixel (i, j) of output channel c"),
                "transposed": (grid.reshape(n, c, r, r, h, w).permute(0, 1, 4, 3, 5, 2).reshape(n, c, h * r, w * r),
                               "every r×r block is transposed: the sub-pixel row i goes with the low-resolution row "
                               "(permute to N, C, h, i, w, j)"),
            }
            judge.fail(judge.match_variant(result, variants, rtol=0, atol=0) or
                       f"for r = {r} the first output row is {judge.fmt(result[0, 0, 0], 3)}, expected {judge.fmt(expected[0, 0, 0], 3)}",
                       hint="reshape to (N, C, r, r, h, w), permute to (N, C, h, r, w, r), reshape to (N, C, h·r, w·r)")
    return "equals torch's PixelShuffle (SRResNet's upsampler) for r = 2 and r = 3, every value in its place"


# ----------------------------------------------------------------------------
# Exercise 2: SRGAN's generator loss
# ----------------------------------------------------------------------------
@judge.exercise("srgan_generator_loss")
def check_srgan_generator_loss(srgan_generator_loss) -> str:
    """Check ``srgan_generator_loss(super_resolved, high_res, fake_logits)`` against ``losses.srgan_generator_loss``.

    Lesson: ``05_super_resolution.ipynb``.
    """
    rng = torch.Generator().manual_seed(11)
    high_res = torch.rand(2, 3, 8, 8, generator=rng)
    super_resolved = (high_res + 0.1 * torch.randn(high_res.shape, generator=rng)).clamp(0, 1)
    fake_logits = torch.tensor([-1.0, 0.5])
    sr_input = super_resolved.clone().requires_grad_(True)
    loss = judge.run(srgan_generator_loss, sr_input, high_res.clone(), fake_logits.clone())
    if isinstance(loss, dict):
        judge.fail("you returned a dict; return the total loss (a tensor): content + 1e-3 · adversarial")
    result = judge.as_tensor(loss, "srgan_generator_loss(...)")
    if result.numel() != 1:
        judge.fail(f"the loss has shape {tuple(result.shape)}; a loss is one number", hint="average each term (.mean())")
    result = result.reshape(())
    expected = library_srgan_generator_loss(super_resolved, high_res, fake_logits)["total"].double()
    if not judge.close(result, expected, rtol=1e-6, atol=1e-9):
        sr, hr, d = super_resolved.double(), high_res.double(), fake_logits.double()
        mse, l1 = ((sr - hr) ** 2).mean(), (sr - hr).abs().mean()
        variants = {
            "weight 1": (mse + F.softplus(-d).mean(),
                         "the adversarial term has weight 1; SRGAN weighs it 10⁻³ against the content term"),
            "no adversarial": (mse, "the adversarial term is missing: that is SRResNet's loss, not SRGAN's"),
            "weight on content": (1e-3 * mse + F.softplus(-d).mean(),
                                  "the 10⁻³ belongs to the adversarial term, not to the content term"),
            "saturating": (mse - 1e-3 * F.softplus(d).mean(),
                           "that adversarial term is log(1 − D(G(x))), the saturating one; SRGAN uses −log D(G(x)) (eq. 6)"),
            "fake label": (mse + 1e-3 * F.softplus(d).mean(),
                           "the adversarial term is the discriminator's fake-label loss: it would make G's outputs "
                           "easier to reject; use −log D(G(x)) = softplus(−d)"),
            "raw": (mse - 1e-3 * d.mean(), "you used the raw logits; the adversarial term is −log σ(d) = softplus(−d)"),
            "l1": (l1 + 1e-3 * F.softplus(-d).mean(), "the content term here is the MSE (SRGAN-MSE), not the L1 distance"),
            "sum": (((sr - hr) ** 2).sum() + 1e-3 * F.softplus(-d).mean(),
                    "the content term is summed over pixels; take the mean (eq. 4 divides by r²WH)"),
        }
        judge.fail(judge.match_variant(result, variants, rtol=1e-6, atol=1e-9) or f"expected {expected.item():.6f}, got {result.item():.6f}",
                   hint="mean((SR − HR)²) + 1e-3 · softplus(−fake_logits).mean()")
    judge.require_gradient(loss, "the super-resolved image",
                           hint="compute it with torch operations, without .item() or .detach()")
    return "content MSE + 10⁻³ · softplus(−d), equal to losses.srgan_generator_loss, with its gradient"


# ----------------------------------------------------------------------------
# Exercise 3: a training pair, made as the protocol makes it
# ----------------------------------------------------------------------------
def _smooth_photo() -> torch.Tensor:
    """A 3×37×50 smooth random 'photo' in [0, 1]: neither side is a multiple of 3 or 4."""
    noise = torch.rand(1, 3, 37, 50, generator=torch.Generator().manual_seed(12))
    return F.avg_pool2d(noise, 5, stride=1, padding=2, count_include_pad=False)[0]  # (3, 37, 50)


@judge.exercise("lr_hr_pair")
def check_lr_hr_pair(lr_hr_pair) -> str:
    """Check ``lr_hr_pair(photo, scale) -> (low_res, high_res)`` against the library's crop and MATLAB-like bicubic.

    Lesson: ``05_super_resolution.ipynb``.
    """
    photo = _smooth_photo()
    for scale in (4, 3):
        pair = judge.run(lr_hr_pair, photo.clone(), scale)
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            judge.fail(f"return two tensors (low_res, high_res), got {type(pair).__name__}")
        low, high = (judge.as_tensor(t, "each image", dtype=torch.float32) for t in pair)
        expected_high = crop_to_multiple(photo[None], scale)  # (1, 3, 36, 48)
        expected_low = bicubic_downscale(expected_high, scale)  # (1, 3, 36/s, 48/s)
        if low.shape == expected_high.shape and high.shape == expected_low.shape:
            judge.fail("the two are swapped: return (low_res, high_res)")
        if high.ndim == 3 or low.ndim == 3:
            judge.fail("the batch axis is missing: the course's images are N×C×H×W (here 1×C×H×W)",
                       hint="photo[None] adds it before cropping")
        if high.shape != expected_high.shape:
            judge.fail(f"at ×{scale} the high-resolution image should be {tuple(expected_high.shape)} (37×50 cut down to "
                       f"multiples of {scale}), got {tuple(high.shape)}", hint=f"crop_to_multiple(photo[None], {scale})")
        if not judge.close(high, expected_high, rtol=0, atol=1e-6):
            judge.fail("the high-resolution image has the right size but other pixels: crop at the bottom and right, "
                       "so that pixel (0, 0) stays where it is", hint="crop_to_multiple cuts the bottom/right edge")
        if low.shape != expected_low.shape:
            judge.fail(f"at ×{scale} the low-resolution image should be {tuple(expected_low.shape)}, got {tuple(low.shape)}",
                       hint="shrink the cropped image by the scale")
        if not judge.close(low, expected_low, rtol=0, atol=1e-5):
            variants = {
                "interpolate": (F.interpolate(expected_high, scale_factor=1 / scale, mode="bicubic", align_corners=False),
                                "F.interpolate's bicubic does not low-pass before shrinking: aliasing. SR papers use "
                                "MATLAB's imresize, data.bicubic_downscale"),
                "antialias": (F.interpolate(expected_high, scale_factor=1 / scale, mode="bicubic", align_corners=False,
                                            antialias=True),
                              "close, but PyTorch's antialiased bicubic treats the borders differently from MATLAB's "
                              "imresize; use data.bicubic_downscale, which the SR protocol's numbers come from"),
                "box": (F.avg_pool2d(expected_high, scale),
                        "that is a box average of each block (a sensor pixel), not the bicubic the SR protocol uses"),
                "nearest": (expected_high[..., ::scale, ::scale],
                            "you kept every s-th pixel (nearest neighbour): aliasing, and not the protocol's bicubic"),
            }
            judge.fail(judge.match_variant(low, {k: (v.double(), m) for k, (v, m) in variants.items()}, rtol=0, atol=1e-5)
                       or "the low-resolution image differs from data.bicubic_downscale of the cropped image",
                       hint="bicubic_downscale(high_res, scale), after crop_to_multiple")
    return "(low_res, high_res) equal crop_to_multiple + MATLAB-like bicubic_downscale at ×4 and ×3"


# ----------------------------------------------------------------------------
# Exercise 4: the bicubic baseline of a held-out photograph
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _clock_x3() -> dict:
    """The bicubic ×3 scores of the held-out ``clock`` photograph (computed once)."""
    high = crop_to_multiple(load_photo("clock")[None], 3)  # (1, 3, H, W)
    restored = bicubic_upscale(bicubic_downscale(high, 3), 3)
    scores = {"psnr_y": float(library_psnr(restored, high, crop_border=3, y_channel=True)),  # = sr_metrics' psnr_y
              "psnr_rgb": float(library_psnr(restored, high, crop_border=3))}
    scores["psnr_y_no_crop"] = float(library_psnr(restored, high, y_channel=True))
    scores["psnr_rgb_no_crop"] = float(library_psnr(restored, high))
    return scores


@judge.exercise("bicubic_clock_x3")
def check_bicubic_clock_x3(value: float) -> str:
    """Check the bicubic Y-PSNR of ``clock`` at ×3 (crop to a multiple of 3, down, up, Y, border of 3).

    Lesson: ``05_super_resolution.ipynb``.
    """
    value = judge.number_answer(value, "a number of decibels")
    scores = _clock_x3()
    if abs(value - scores["psnr_y"]) > 0.01:
        variants = {
            "psnr_rgb": "that is the RGB PSNR (with the crop); the protocol measures Y",
            "psnr_y_no_crop": "that is Y-PSNR without the border crop; crop 3 pixels on every side",
            "psnr_rgb_no_crop": "that is RGB PSNR of the whole image; the protocol measures Y with a 3-pixel border cropped",
        }
        message = next((text for key, text in variants.items() if abs(value - scores[key]) <= 0.01), None)
        judge.fail(message or f"{value:.2f} dB is not the bicubic ×3 Y-PSNR of clock",
                   hint="sr_metrics(bicubic_upscale(bicubic_downscale(high, 3), 3), high, 3)['psnr_y'] with "
                        "high = crop_to_multiple(load_photo('clock')[None], 3)")
    return (f"{scores['psnr_y']:.2f} dB; the same pixels score {scores['psnr_rgb']:.2f} dB in RGB and "
            f"{scores['psnr_y_no_crop']:.2f} dB on Y without the crop: the convention is part of the number")


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson05",
    judge.Exercise(name="pixel_shuffle", title="Pixel shuffle, by hand", text=r"""
SRResNet's upsampler ends with `nn.PixelShuffle(r)`: it turns `N×(C·r²)×h×w` into `N×C×(r·h)×(r·w)`,
and input channel $c\,r^2 + i\,r + j$ becomes the sub-pixel $(i, j)$ of output channel $c$. Write
`pixel_shuffle(x, r)` with `reshape` and `permute` only (the check switches PyTorch's own off).
""",
        hint="""
Split the channels into `(C, r, r)`, move the two `r` axes next to `h` and `w` (order `N, C, h, r, w, r`),
and merge. A single `reshape` cannot do it: it never moves a value.
""",
        stub=judge.function_stub("pixel_shuffle(x, r)",
                                 "N×(C·r²)×h×w -> N×C×(h·r)×(w·r), as torch.nn.PixelShuffle(r) does."),
        solution=solutions.pixel_shuffle,
    ),
    judge.Exercise(name="srgan_generator_loss", title="SRGAN's generator loss", text=r"""
Write `srgan_generator_loss(super_resolved, high_res, fake_logits)`: the perceptual loss of Ledig et al.
(2017, eq. 3) with the MSE as content term (their "SRGAN-MSE"),

$$l^{SR} = \underbrace{\operatorname{mean}\big((I^{SR} - I^{HR})^2\big)}_{\text{content}} +
10^{-3}\,\underbrace{\operatorname{mean}\big(-\log D(I^{SR})\big)}_{\text{adversarial}},$$

where the discriminator gave `fake_logits` ($D = \sigma(d)$) for the super-resolved batch.
""",
        hint="""
$-\\log\\sigma(d)$ = `F.softplus(-d)`, as in lesson 01; the $10^{-3}$ multiplies the adversarial term only.
""",
        stub=judge.function_stub("srgan_generator_loss(super_resolved, high_res, fake_logits)",
                                 "Content (MSE) + 1e-3 · adversarial (-log D), one number.",
                                 imports=("import torch.nn.functional as F",)),
        solution=solutions.srgan_generator_loss,
    ),
    judge.Exercise(name="lr_hr_pair", title="A training pair, made as the papers make it", text=r"""
Write `lr_hr_pair(photo, scale)` for one photograph `C×H×W` (as `load_photo` returns it): return
`(low_res, high_res)`, where `high_res` is the photo as a `1×C×H'×W'` batch cut at the bottom and right
to multiples of `scale`, and `low_res` its MATLAB-like bicubic downscale. The library has both steps.
""",
        hint="""
`crop_to_multiple(photo[None], scale)`, then `bicubic_downscale(high_res, scale)` (from `imgsynth_edu.data`).
`F.interpolate(..., mode="bicubic")` is not the same operator: it does not low-pass before shrinking.
""",
        stub=judge.function_stub("lr_hr_pair(photo, scale)",
                                 "(low_res, high_res) for a C×H×W photo: 1×C×h×w and 1×C×(h·scale)×(w·scale).",
                                 imports=("from imgsynth_edu.data import bicubic_downscale, crop_to_multiple",)),
        solution=solutions.lr_hr_pair,
    ),
    judge.Exercise(name="bicubic_clock_x3", title="A row of an SR table", text=r"""
Compute the bicubic Y-PSNR of the held-out photograph `"clock"` at ×3 with the paper's protocol
(crop to a multiple of 3, MATLAB-bicubic down and up, Y channel, a border of 3 pixels). Put your
number in `bicubic_clock_x3`.
""",
        hint="""
`sr_metrics(restored, high, 3)["psnr_y"]` does the Y conversion, the crop and the PSNR;
`crop_to_multiple`, `bicubic_downscale` and `bicubic_upscale` do the rest.
""",
        stub="bicubic_clock_x3 = None  # your Y-PSNR in dB",
        solution=r"""
```python
from imgsynth_edu.data import bicubic_downscale, bicubic_upscale, crop_to_multiple, load_photo
from imgsynth_edu.metrics import sr_metrics

high = crop_to_multiple(load_photo("clock")[None], 3)
restored = bicubic_upscale(bicubic_downscale(high, 3), 3)
bicubic_clock_x3 = sr_metrics(restored, high, 3)["psnr_y"].item()
```
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 05: ``[("markdown" | "code", source), ...]``.

    Lesson: ``05_super_resolution.ipynb``.
    """
    return judge.render_cells("lesson05", "SRResNet's upsampler, SRGAN's loss and the protocol, in code.", EXERCISES)
