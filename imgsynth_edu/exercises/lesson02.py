"""Exercises of lesson 02 (DCGAN): the size of a transposed convolution, slerp, digit shares.

* :func:`check_transposed_conv_output_size` - ``transposed_conv_output_size(size, kernel, stride, padding, output_padding=0)``
  against the shape ``torch.nn.ConvTranspose2d`` actually produces;
* :func:`check_slerp` - ``slerp(z0, z1, t)`` row by row, against :func:`imgsynth_edu.models.gan.slerp`;
* :func:`check_digit_shares` - ``digit_shares(logits)``: how often a
  classifier decides for each digit, the coverage measure on the ``dcgan-mnist`` card.

Lesson: ``02_dcgan.ipynb``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# Library imports (the references the checks compare with).
from ..models.gan import lerp as library_lerp
from ..models.gan import slerp as library_slerp
from . import _judge as judge
from .solutions import lesson02 as solutions

__all__ = ["EXERCISES", "cells", "check_digit_shares", "check_slerp", "check_transposed_conv_output_size",
           "solutions"]


# ----------------------------------------------------------------------------
# Exercise 1: the output size of a transposed convolution
# ----------------------------------------------------------------------------
#: (size, kernel, stride, padding, output_padding): DCGAN's project, its ×2 stages, and odd cases.
_CASES = ((1, 7, 1, 0, 0), (7, 4, 2, 1, 0), (14, 4, 2, 1, 0), (4, 4, 2, 1, 0), (5, 3, 2, 1, 0),
          (5, 3, 2, 1, 1), (3, 5, 3, 2, 0))


def _measured_size(size, kernel, stride, padding, output_padding) -> int:
    """The side that ``nn.ConvTranspose2d`` really produces (the reference)."""
    layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding=output_padding, bias=False)
    with torch.no_grad():
        return layer(torch.zeros(1, 1, size, size)).shape[-1]  # (1, 1, S', S')


@judge.exercise("transposed_conv_output_size")
def check_transposed_conv_output_size(transposed_conv_output_size) -> str:
    """Check the formula on seven cases against the shape ``nn.ConvTranspose2d`` produces.

    Lesson: ``02_dcgan.ipynb``.
    """
    got, expected = [], []
    for size, kernel, stride, padding, output_padding in _CASES:
        value = judge.run(transposed_conv_output_size, size, kernel, stride, padding, output_padding)
        try:
            number = float(value)
        except (TypeError, ValueError):
            judge.fail(f"expected a number, got {type(value).__name__} {value!r}")
        got.append(number)
        expected.append(_measured_size(size, kernel, stride, padding, output_padding))
    if got != [float(e) for e in expected]:
        variants = {
            "conv": ([math.floor((s + 2 * p - k) / st) + 1 for s, k, st, p, _ in _CASES],
                     "that is the formula of an ordinary convolution, which shrinks the image; "
                     "a transposed convolution runs it backwards"),
            "no padding": ([(s - 1) * st + k + op for s, k, st, _, op in _CASES],
                           "the padding is missing: a transposed convolution removes 2·padding from its output"),
            "plus padding": ([(s - 1) * st + 2 * p + k + op for s, k, st, p, op in _CASES],
                             "the padding has the wrong sign: it removes 2·padding from a transposed convolution's output"),
            "no output padding": ([(s - 1) * st - 2 * p + k for s, k, st, p, _ in _CASES],
                                  "output_padding is missing: it adds that many rows/columns on one side"),
            "size times stride": ([s * st for s, _, st, _, _ in _CASES],
                                  "size·stride ignores the kernel and the padding (it happens to be right for "
                                  "DCGAN's kernel 4, stride 2, padding 1 only)"),
        }
        message = judge.match_variant(torch.tensor(got), {k: (torch.tensor(v, dtype=torch.float64), m) for k, (v, m) in variants.items()})
        cases = ", ".join(f"{case[:4] + ((case[4],) if case[4] else ())} -> {e}" for case, e in zip(_CASES, expected))
        judge.fail(message or f"for (size, kernel, stride, padding[, output_padding]) the sizes are {cases}; "
                              f"yours are {[int(g) if g == int(g) else g for g in got]}",
                   hint="out = (size − 1)·stride − 2·padding + kernel + output_padding")
    return "equals the side nn.ConvTranspose2d produces in 7 cases, DCGAN's 1→7→14→28 among them"


# ----------------------------------------------------------------------------
# Exercise 2: spherical interpolation
# ----------------------------------------------------------------------------
@judge.exercise("slerp")
def check_slerp(slerp) -> str:
    """Check ``slerp(z0, z1, t)`` on four latent pairs and four ``t``, and on a parallel pair.

    Lesson: ``02_dcgan.ipynb``.
    """
    rng = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(4, 64, generator=rng), torch.randn(4, 64, generator=rng)  # (4, 64) each
    for t in (0.5, 0.0, 1.0, 0.25):
        result = judge.as_tensor(judge.run(slerp, z0.clone(), z1.clone(), t), f"slerp(z0, z1, {t})")
        expected = library_slerp(z0, z1, t).double()
        if result.shape != expected.shape:
            judge.fail(f"for z0, z1 of shape {tuple(z0.shape)} expected one latent per row, shape {tuple(expected.shape)}, "
                       f"got {tuple(result.shape)}",
                       hint="compute the angle of each row: (z0 * z1).sum(dim=1) / (norms), then keep it as (N, 1) to broadcast")
        if torch.isnan(result).any():
            judge.fail(f"NaN at t = {t}",
                       hint="acos needs a cosine in [−1, 1]: divide the dot product by both norms and clamp(-1, 1)")
        if not judge.close(result, expected, rtol=1e-4, atol=1e-4):
            a, b = z0.double(), z1.double()
            cos_global = (a * b).sum() / (a.norm() * b.norm())
            omega_global = torch.acos(cos_global)
            variants = {
                "lerp": (library_lerp(z0, z1, t).double(),
                         f"that is linear interpolation: its midpoint has norm {library_lerp(z0, z1, 0.5).norm(dim=1).mean():.1f} "
                         f"where the latents have about {z0.norm(dim=1).mean():.1f}; follow the great circle instead"),
                "swapped": (library_slerp(z1, z0, t).double(),
                            "the weights are swapped: at t = 0 slerp must give z0, so z0's weight is sin((1 − t)Ω) / sin Ω"),
                "one angle": ((torch.sin((1 - t) * omega_global) * a + torch.sin(t * omega_global) * b) / torch.sin(omega_global),
                              "you used one angle for the whole batch; each row (each pair of latents) has its own Ω"),
            }
            message = judge.match_variant(result, variants, rtol=1e-4, atol=1e-4)
            judge.fail(message or f"at t = {t} the first row starts {judge.fmt(result[0])}, expected {judge.fmt(expected[0])}",
                       hint="slerp = sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1 with cos Ω = z0·z1 / (‖z0‖‖z1‖), per row")
    # Parallel pairs whose cosine is exactly 1 in float32 (norms 8 and 16, 4 and 12): Ω = 0, sin Ω = 0.
    parallel0 = torch.stack([torch.ones(64), torch.full((64,), 0.5)])  # (2, 64)
    parallel1 = torch.stack([torch.full((64,), 2.0), torch.full((64,), 1.5)])  # (2, 64)
    result = judge.as_tensor(judge.run(slerp, parallel0.clone(), parallel1.clone(), 0.3), "slerp of parallel latents")
    if not torch.isfinite(result).all():
        judge.fail("for parallel latents (Ω = 0, sin Ω = 0) you return NaN or inf",
                   hint="clamp the cosine to [−1, 1] (rounding can push it past 1), and where sin Ω ≈ 0 fall back to "
                        "linear interpolation: torch.where(sin_omega.abs() < 1e-6, linear, spherical)")
    if not judge.close(result, library_lerp(parallel0, parallel1, 0.3).double(), rtol=1e-4, atol=1e-4):
        judge.fail("for two latents pointing the same way slerp is the straight line between them; yours is not",
                   hint="where sin Ω ≈ 0 fall back to linear interpolation")
    return ("equals models.gan.slerp on four latent pairs at t = 0, 0.25, 0.5, 1, "
            "and falls back to a straight line for parallel latents")


# ----------------------------------------------------------------------------
# Exercise 3: digit shares, from a classifier's logits
# ----------------------------------------------------------------------------
def _logits() -> torch.Tensor:
    """200 samples' logits over 10 digits; digit 7 is never the classifier's choice."""
    rng = torch.Generator().manual_seed(2)
    logits = torch.randn(200, 10, generator=rng)  # (200, 10)
    logits[:, 3] += 1.5  # a generator that draws many 3s
    logits[:, 7] -= 10.0  # ... and never a 7
    return logits


@judge.exercise("digit_shares")
def check_digit_shares(digit_shares) -> str:
    """Check ``digit_shares(logits)``: the share of samples the classifier assigns to each digit.

    Lesson: ``02_dcgan.ipynb``.
    """
    logits = _logits()
    result = judge.as_tensor(judge.run(digit_shares, logits.clone()), "digit_shares(logits)")
    predicted = logits.argmax(dim=1)
    expected = torch.bincount(predicted, minlength=10).double() / len(logits)  # (10,)
    if result.ndim != 1 or result.numel() != 10:
        if result.ndim == 1 and result.numel() == 9:
            judge.fail("you returned 9 shares for 10 digits: the digit that is never drawn is missing",
                       hint="a digit the generator never draws must appear with share 0: torch.bincount(..., minlength=10)")
        judge.fail(f"expected 10 shares (one per digit), got shape {tuple(result.shape)}",
                   hint="argmax over the classes (dim=1), then torch.bincount(predicted, minlength=10)")
    if not judge.close(result, expected, rtol=0, atol=1e-6):
        variants = {
            "counts": (expected * len(logits), "those are counts; divide by the number of samples to get shares"),
            "soft": (torch.softmax(logits.double(), dim=1).mean(dim=0),
                     "you averaged the probabilities; the shares count the classifier's decisions (argmax)"),
            "wrong axis": (torch.bincount(logits.argmax(dim=0), minlength=200)[:10].double() / len(logits),
                           "the argmax is over the wrong axis: each sample's decision is logits.argmax(dim=1)"),
        }
        message = judge.match_variant(result, variants, rtol=0, atol=1e-6)
        judge.fail(message or f"expected {judge.fmt(expected, 3)}, got {judge.fmt(result, 3)}",
                   hint="predicted = logits.argmax(dim=1); torch.bincount(predicted, minlength=10) / len(predicted)")
    return (f"the shares of 200 decisions, digit 7 at 0 and digit 3 at {expected[3]:.0%}, as the "
            "dcgan-mnist card counts them")


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson02",
    judge.Exercise(name="transposed_conv_output_size", title="How big is a transposed convolution's output?", text=r"""
Write `transposed_conv_output_size(size, kernel, stride, padding, output_padding=0)`: the side of the
output of `nn.ConvTranspose2d` for a square input of side `size`. Check it against section 1: the
generator's stages take $7 \to 14 \to 28$ with kernel 4, stride 2, padding 1.
""",
        hint=r"""
A convolution maps a side $n$ to $\lfloor (n + 2p - k)/s \rfloor + 1$. The transposed convolution
runs that map backwards: solve for $n$, then add `output_padding`.
""",
        stub=judge.function_stub("transposed_conv_output_size(size, kernel, stride, padding, output_padding=0)",
                                 "The output side of nn.ConvTranspose2d(kernel, stride, padding, output_padding) on a side of `size`."),
        solution=solutions.transposed_conv_output_size,
    ),
    judge.Exercise(name="slerp", title="Spherical interpolation", text=r"""
Write `slerp(z0, z1, t)` for two batches of latents of shape `(N, Z)`: for each row,

$$\mathrm{slerp}(z_0, z_1; t) = \frac{\sin((1-t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1,
\qquad \cos\Omega = \frac{z_0 \cdot z_1}{\lVert z_0\rVert\,\lVert z_1\rVert}.$$

Where two latents are parallel ($\sin\Omega = 0$) the formula divides by zero: fall back to the
straight line $(1-t)z_0 + t z_1$ there.
""",
        hint="""
Compute $\\Omega$ per row as a column, shape `(N, 1)`, so it broadcasts over the `Z` entries;
`clamp(-1, 1)` the cosine before `torch.acos`; `torch.where` picks the fallback row by row.
""",
        stub=judge.function_stub("slerp(z0, z1, t)",
                                 "Spherical interpolation between the rows of z0 and z1 (both (N, Z)) at t in [0, 1].",
                                 imports=("import torch",)),
        solution=solutions.slerp,
    ),
    judge.Exercise(name="digit_shares", title="Which digits does a generator draw?", text=r"""
The `dcgan-mnist` card reports how often each digit appears among the generator's samples: the
bundled classifier decides which digit each sample shows, and the **share** of a digit is the
fraction of samples it wins. Write `digit_shares(logits)` for the classifier's logits of shape
`(N, 10)`; return 10 shares that sum to 1, a digit that is never drawn included (share 0).
""",
        hint="""
`logits.argmax(dim=1)` is each sample's digit; `torch.bincount(..., minlength=10)` counts them, the
missing digits included; divide by `N`.
""",
        stub=judge.function_stub("digit_shares(logits)",
                                 "The share of the N samples assigned to each of the 10 digits: a tensor of shape (10,).",
                                 imports=("import torch",)),
        solution=solutions.digit_shares,
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 02: ``[("markdown" | "code", source), ...]``.

    Lesson: ``02_dcgan.ipynb``.
    """
    return judge.render_cells("lesson02", "DCGAN's shapes, its latent space, and a measure of mode coverage.", EXERCISES)
