"""Exercises of lesson 06 (multi-frame restoration): phase correlation, and where each sample goes.

* :func:`check_cross_power_spectrum` - ``cross_power_spectrum(reference, moving)``,
  the normalised cross-power spectrum ``R = M·conj(F) / |M·conj(F)|`` that
  :func:`imgsynth_edu.classical.phase_correlation` starts from;
* :func:`check_phase_correlation` - ``phase_correlation(reference, moving)``,
  the integer shift ``d`` with ``moving(p) ≈ reference(p - d)``, against the
  library's ``phase_correlation(..., upsample=1)`` on crops of a scene;
* :func:`check_fine_grid_positions` - ``fine_grid_positions(shifts, height, width, scale)``:
  where shift-and-add puts each low-resolution sample on the fine grid;
* :func:`check_skimage_shift` - a pair: what scikit-image's ``phase_cross_correlation``
  returns for a known motion (the opposite sign), measured.

Lesson: ``06_multi_frame_restoration.ipynb``.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from ..classical import phase_correlation as library_phase_correlation

# Library imports (the references the checks compare with).
from ..data import bicubic_downscale
from ..data.bursts import warp_image
from . import _judge as judge
from .solutions import lesson06 as solutions

__all__ = ["EXERCISES", "cells", "check_cross_power_spectrum", "check_fine_grid_positions",
           "check_phase_correlation", "check_skimage_shift", "solutions"]

#: The motions of the phase-correlation checks, (dy, dx) in pixels; the crops are 32×40 (not square).
_SHIFTS = ((3, -5), (-7, 2), (6, 9), (-4, -11), (10, 1), (0, 0))


@functools.lru_cache(maxsize=1)
def _scene() -> torch.Tensor:
    """A 96×96 greyscale scene: a bright smooth blob (lighting) over a fine texture, in [0, 1], float64."""
    texture = torch.rand(1, 1, 96, 96, generator=torch.Generator().manual_seed(13), dtype=torch.float64)
    texture = F.avg_pool2d(texture, 3, stride=1, padding=1, count_include_pad=False)[0, 0]  # (96, 96)
    rows, cols = torch.meshgrid(torch.arange(96.0), torch.arange(96.0), indexing="ij")
    blob = torch.exp(-((rows - 40) ** 2 + (cols - 50) ** 2) / (2 * 15.0**2)).double()
    return 0.2 + 0.6 * blob + 0.2 * texture  # a large, bright, smooth component: plain correlation is biased by it


def _crops(dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A 32×40 reference crop and the crop that shows the scene moved by (dy, dx): moving(p) = reference(p - d)."""
    scene = _scene()
    reference = scene[30:62, 28:68]
    moving = scene[30 - dy:62 - dy, 28 - dx:68 - dx]  # new content enters at the edges: a real translation
    return reference.clone(), moving.clone()


def _normalised_cross_power(reference: torch.Tensor, moving: torch.Tensor) -> torch.Tensor:
    """``R`` as :func:`imgsynth_edu.classical.phase_correlation` computes it (its first two lines)."""
    cross = torch.fft.fft2(moving) * torch.fft.fft2(reference).conj()  # (h, w) complex
    return cross / cross.abs().clamp_min(1e-15)


def _plain_correlation_peak(reference, moving) -> tuple[int, int]:
    """The peak of the *un-normalised* cross-correlation (the wrong answer of forgetting |R|)."""
    surface = torch.fft.ifft2(torch.fft.fft2(moving) * torch.fft.fft2(reference).conj()).abs()
    return _peak_to_shift(surface)


def _peak_to_shift(surface: torch.Tensor, row_length: int | None = None) -> tuple[int, int]:
    height, width = surface.shape
    index = int(surface.argmax())
    row_length = row_length or width
    dy, dx = index // row_length, index % row_length
    return (dy - height if dy > height // 2 else dy), (dx - width if dx > width // 2 else dx)


# ----------------------------------------------------------------------------
# Exercise 1: the normalised cross-power spectrum
# ----------------------------------------------------------------------------
@judge.exercise("cross_power_spectrum")
def check_cross_power_spectrum(cross_power_spectrum) -> str:
    """Check ``cross_power_spectrum(reference, moving)`` = ``fft2(m)·conj(fft2(r)) / |…|``.

    Lesson: ``06_multi_frame_restoration.ipynb``.
    """
    reference, moving = _crops(3, -5)
    result = judge.run(cross_power_spectrum, reference.clone(), moving.clone())
    if not isinstance(result, torch.Tensor):
        judge.fail(f"return a torch tensor, got {type(result).__name__}", hint="torch.fft.fft2 gives complex tensors")
    expected = _normalised_cross_power(reference, moving)  # (32, 40) complex
    if result.shape != expected.shape:
        judge.fail(f"expected one complex value per frequency, shape {tuple(expected.shape)}, got {tuple(result.shape)}",
                   hint="torch.fft.fft2 of a 32×40 image is 32×40")
    if not result.is_complex():
        surface = torch.fft.ifft2(expected).abs()
        if judge.close(result.double(), surface, rtol=1e-6, atol=1e-9):
            judge.fail("you returned the correlation surface |F⁻¹[R]|; this exercise asks for R itself, the spectrum",
                       hint="leave out the inverse FFT: that is the next exercise")
        judge.fail(f"R is complex (a phase per frequency); you returned dtype {result.dtype}",
                   hint="don't take .real or .abs() of the spectrum")
    result = result.to(torch.complex128)
    magnitude = result.abs()
    if not judge.close(magnitude, torch.ones_like(magnitude), rtol=0, atol=1e-6):
        judge.fail(f"|R| is not 1 everywhere (it goes from {magnitude.min().item():.3g} to {magnitude.max().item():.3g}): "
                   "the spectrum is not normalised", hint="divide by its magnitude, cross / cross.abs(): only the phase stays, "
                                                          "which makes the inverse FFT one sharp peak")
    if torch.allclose(result, expected, rtol=0, atol=1e-6):
        return ("|R| = 1 and its phase is that of a motion by (3, −5): "
                "fft2(moving)·conj(fft2(reference)), normalised, as classical.phase_correlation computes it")
    if torch.allclose(result, expected.conj(), rtol=0, atol=1e-6):
        judge.fail("the conjugate is on the wrong spectrum: your R describes the opposite motion, and its peak lands at −d",
                   hint="R = fft2(moving) · conj(fft2(reference)) / |…|, so that F⁻¹[R] peaks at +d")
    judge.fail("R differs from fft2(moving)·conj(fft2(reference)) / |fft2(moving)·conj(fft2(reference))|",
               hint="multiply the moving image's spectrum by the conjugate of the reference's, then divide by the magnitude")


# ----------------------------------------------------------------------------
# Exercise 2: phase correlation, to the nearest pixel
# ----------------------------------------------------------------------------
@judge.exercise("phase_correlation")
def check_phase_correlation(phase_correlation) -> str:
    """Check ``phase_correlation(reference, moving)`` on six motions of crops of one scene.

    Lesson: ``06_multi_frame_restoration.ipynb``.
    """
    for dy, dx in _SHIFTS:
        reference, moving = _crops(dy, dx)
        result = judge.as_tensor(judge.run(phase_correlation, reference.clone(), moving.clone()), "phase_correlation(...)")
        expected = library_phase_correlation(reference, moving, upsample=1).double()  # (2,) = (dy, dx)
        if result.numel() != 2:
            judge.fail(f"return the shift as two numbers (dy, dx), got shape {tuple(result.shape)}")
        result = result.flatten()
        if not judge.close(result, expected, rtol=0, atol=1e-6):
            surface = torch.fft.ifft2(_normalised_cross_power(reference, moving)).abs()
            height, width = reference.shape
            index = int(surface.argmax())
            variants = {
                "sign": (-expected, f"you found {judge.fmt(result)} for a motion of ({dy}, {dx}): the opposite sign. That is "
                                    "scikit-image's convention (the shift that registers moving back onto reference); "
                                    "the course returns the motion d, with moving(p) ≈ reference(p − d)"),
                "swapped": (expected.flip(0), "you returned (dx, dy); the course's shifts are (dy, dx), rows first"),
                "no wrap": (torch.tensor([index // width, index % width], dtype=torch.float64),
                            f"a shift of ({dy}, {dx}) came out as {judge.fmt(result)}: peak positions past the middle "
                            "are negative shifts (the FFT is periodic): subtract the height or width"),
                "row length": (torch.tensor(_peak_to_shift(surface, row_length=height), dtype=torch.float64),
                               "the flat index of the peak is row · width + column: divide by the width, not the height"),
                "not normalised": (torch.tensor(_plain_correlation_peak(reference, moving), dtype=torch.float64),
                                   "that is the peak of the plain cross-correlation: without dividing by |R| the "
                                   "bright smooth part of the scene drags the peak towards 0"),
            }
            judge.fail(judge.match_variant(result, variants, rtol=0, atol=1e-6) or
                       f"for a motion of ({dy}, {dx}) you found {judge.fmt(result)}",
                       hint="argmax of |ifft2(R)|, row = index // width, column = index % width, "
                            "then subtract the size past the middle")
    return ("the integer motion of six crops of a scene, equal to classical.phase_correlation(..., upsample=1) "
            "(where the plain cross-correlation is off by up to 6 pixels)")


# ----------------------------------------------------------------------------
# Exercise 3: where shift-and-add puts each sample
# ----------------------------------------------------------------------------
def _positions(shifts, height, width, scale, *, sign=-1.0, half=0.5, scaled=True, swap=False):
    if swap:
        shifts = shifts.flip(1)
    rows = torch.arange(height, dtype=torch.float64)[None, :, None]
    cols = torch.arange(width, dtype=torch.float64)[None, None, :]
    scene_y = rows + sign * shifts[:, 0, None, None].double()
    scene_x = cols + sign * shifts[:, 1, None, None].double()
    factor = scale if scaled else 1
    hr_y, hr_x = factor * (scene_y + half) - half, factor * (scene_x + half) - half
    frames = len(shifts)
    return hr_y.expand(frames, height, width), hr_x.expand(frames, height, width)


@judge.exercise("fine_grid_positions")
def check_fine_grid_positions(fine_grid_positions) -> str:
    """Check ``fine_grid_positions(shifts, height, width, scale) -> (hr_y, hr_x)``: ``s·(p − d + ½) − ½``.

    Lesson: ``06_multi_frame_restoration.ipynb``.
    """
    shifts = torch.tensor([[0.0, 0.0], [0.25, -0.5], [-1.3, 0.7], [1.9, -1.75]])  # (F, 2) = (dy, dx)
    height, width, scale = 3, 5, 4
    result = judge.run(fine_grid_positions, shifts.clone(), height, width, scale)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        judge.fail(f"return two tensors (hr_y, hr_x), got {type(result).__name__}")
    hr_y, hr_x = (judge.as_tensor(t, "each position map") for t in result)
    expected_y, expected_x = _positions(shifts, height, width, scale)
    for got, name in ((hr_y, "hr_y"), (hr_x, "hr_x")):
        if got.shape != expected_y.shape:
            judge.fail(f"{name} should have one position per frame and pixel, shape {tuple(expected_y.shape)}, "
                       f"got {tuple(got.shape)}", hint=".expand(F, h, w) a broadcast result")
    if not (judge.close(hr_y, expected_y, rtol=0, atol=1e-5) and judge.close(hr_x, expected_x, rtol=0, atol=1e-5)):
        both = torch.stack([hr_y, hr_x])
        variants = {
            "sign": (torch.stack(_positions(shifts, height, width, scale, sign=1.0)),
                     "you placed the samples at p + d_f: frame f shows the reference moved by +d_f, so its pixel p "
                     "saw the scene at p − d_f"),
            "no half": (torch.stack(_positions(shifts, height, width, scale, half=0.0)),
                        f"every sample is off by {(scale - 1) / 2} fine pixels: a low-resolution pixel's centre q sits "
                        "at s·(q + ½) − ½ on the fine grid, not at s·q"),
            "not scaled": (torch.stack(_positions(shifts, height, width, scale, scaled=False)),
                           "those are low-resolution coordinates; multiply by the scale to reach the fine grid"),
            "swapped": (torch.stack(_positions(shifts, height, width, scale, swap=True)),
                        "the shifts are (dy, dx): the rows move by shifts[:, 0], the columns by shifts[:, 1]"),
        }
        judge.fail(judge.match_variant(both, variants, rtol=0, atol=1e-5) or
                   f"frame 1's first positions are y {judge.fmt(hr_y[1, 0])}, x {judge.fmt(hr_x[1, 0])}; "
                   f"expected y {judge.fmt(expected_y[1, 0])}, x {judge.fmt(expected_x[1, 0])}",
                   hint="hr = s·(p − d_f + ½) − ½ for row p (with dy) and column p (with dx)")
    return "every sample of four frames lands at s·(p − d_f + ½) − ½, as classical.shift_and_add puts it"


# ----------------------------------------------------------------------------
# Exercise 4: scikit-image's sign
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _skimage_measurement() -> tuple[float, float]:
    """What ``skimage.registration.phase_cross_correlation(frame_0, frame_f)`` returns for d_f = (0.5, -1.25)."""
    # imported here: scikit-image is slow to import
    from skimage.registration import phase_cross_correlation

    texture = torch.rand(1, 1, 192, 192, generator=torch.Generator().manual_seed(14))
    scene = F.avg_pool2d(texture, 5, stride=1, padding=2, count_include_pad=False)[0]  # (1, 192, 192), a fine texture
    scene = (scene - scene.min()) / (scene.max() - scene.min())
    reference = bicubic_downscale(scene[None], 4)[0, 0]  # (48, 48): frame 0
    moved = bicubic_downscale(warp_image(scene, (0.5 * 4, -1.25 * 4))[None], 4)[0, 0]  # frame f, d_f = (0.5, -1.25)
    shift = phase_cross_correlation(reference.double().numpy(), moved.double().numpy(), upsample_factor=20)[0]
    return float(shift[0]), float(shift[1])


@judge.exercise("skimage_shift")
def check_skimage_shift(value: tuple[float, float]) -> str:
    """Check what scikit-image returns for a frame moved by d_f = (0.5, −1.25), measured.

    Lesson: ``06_multi_frame_restoration.ipynb``.
    """
    value = judge.answer(value)
    result = judge.as_tensor(value, "your answer")
    if result.numel() != 2:
        judge.fail(f"answer with two numbers (dy, dx), got {value!r}")
    measured = torch.tensor(_skimage_measurement(), dtype=torch.float64)
    result = result.flatten()
    if not judge.close(result, measured, rtol=0, atol=0.15):
        if judge.close(result, -measured, rtol=0, atol=0.15):
            judge.fail(f"{judge.fmt(result)} is the motion d_f itself, the course's convention; scikit-image returns "
                       f"{judge.fmt(measured, 3)}", hint="scikit-image returns the shift that moves frame f back onto the reference")
        judge.fail(f"scikit-image returns {judge.fmt(measured, 3)} for this frame", hint="think of the sign")
    return (f"scikit-image returns {judge.fmt(measured, 3)} (measured): the shift that registers frame f back onto the "
            "reference, the opposite of the course's d_f")


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson06",
    judge.Exercise(name="cross_power_spectrum", title="The normalised cross-power spectrum", text=r"""
Write `cross_power_spectrum(reference, moving)` for two greyscale images `h×w`: the normalised
cross-power spectrum

$$R(u) = \frac{\hat m(u)\,\overline{\hat r(u)}}{\lvert\hat m(u)\,\overline{\hat r(u)}\rvert},$$

a complex `h×w` tensor with $|R| = 1$. For a motion $d$ (with `moving(p) = reference(p − d)`) it is
the pure phase ramp $e^{-2\pi i\,u\cdot d}$.
""",
        hint="""
`torch.fft.fft2` of each image; `.conj()` on the **reference's** spectrum; divide by `.abs()` (clamped
away from 0 with `.clamp_min(1e-15)`).
""",
        stub=judge.function_stub("cross_power_spectrum(reference, moving)",
                                 "R = fft2(moving)·conj(fft2(reference)) / |…|: a complex h×w tensor of magnitude 1.",
                                 imports=("import torch",)),
        solution=solutions.cross_power_spectrum,
    ),
    judge.Exercise(name="phase_correlation", title="Phase correlation, to the nearest pixel", text=r"""
Write `phase_correlation(reference, moving)`: the integer motion `(dy, dx)` with
`moving(p) ≈ reference(p − d)`, the course's convention. The inverse FFT of $R$ is one sharp peak at
$d$, modulo the image size. The check moves a camera over a scene (new content enters at the edges)
and compares your answer with the library's.
""",
        hint="""
`torch.fft.ifft2(R).abs()`, then `argmax()`: row `index // width`, column `index % width`. A peak
past the middle means a negative motion: subtract the height (or the width).
""",
        stub=judge.function_stub("phase_correlation(reference, moving)",
                                 "The integer motion (dy, dx) with moving(p) ≈ reference(p - d).",
                                 imports=("import torch",)),
        solution=solutions.phase_correlation,
    ),
    judge.Exercise(name="fine_grid_positions", title="Where shift-and-add puts each sample", text=r"""
Frame $f$ moved by $d_f = (d_y, d_x)$ low-resolution pixels, so its pixel $p$ saw the scene at
$p - d_f$. On the `scale`-times finer grid, the centre of that sample is at

$$q_{fp} = s\,(p - d_f + \tfrac12) - \tfrac12.$$

Write `fine_grid_positions(shifts, height, width, scale)` for `shifts` of shape `(F, 2)`: return
`(hr_y, hr_x)`, the fine-grid row and column of every sample, each of shape `(F, height, width)`.
""",
        hint="""
`torch.arange(height)` as a column `(1, h, 1)` minus `shifts[:, 0]` as `(F, 1, 1)` broadcasts to `(F, h, 1)`;
likewise for the columns with `shifts[:, 1]`; then `.expand(F, h, w)` both.
""",
        stub=judge.function_stub("fine_grid_positions(shifts, height, width, scale)",
                                 "(hr_y, hr_x): the fine-grid position of every sample of every frame, each (F, height, width).",
                                 imports=("import torch",)),
        solution=solutions.fine_grid_positions,
    ),
    judge.Exercise(name="skimage_shift", title="Another library's sign", text=r"""
With the course's convention, frame $f$ satisfies $y_f(p) \approx y_0(p - d_f)$. What does
scikit-image's `phase_cross_correlation(y_0, y_f)` return for a frame with $d_f = (0.5, -1.25)$?
Set `skimage_shift = (dy, dx)`; the check runs scikit-image on such a frame.
""",
        hint="""
scikit-image returns the shift that *registers the moving image back onto the reference*.
""",
        stub="skimage_shift = None  # your answer, e.g. (0.0, 0.0)",
        solution=r"""
```python
skimage_shift = (-0.5, 1.25)
```

The opposite of the motion. Before comparing shifts from two
libraries, check each one's sign on a frame whose motion you know.
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 06: ``[("markdown" | "code", source), ...]``.

    Lesson: ``06_multi_frame_restoration.ipynb``.
    """
    return judge.render_cells("lesson06", "Registration and the fine grid, the two halves of align-and-merge.", EXERCISES)
