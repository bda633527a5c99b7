"""Restoration without learning: register a burst, merge it on a finer grid, fill a hole.

These are the classical baselines that the learned restorers of
:mod:`imgsynth_edu.models` must beat, and the pieces the learned burst
restorer (:class:`~imgsynth_edu.models.burst.BurstSR`) starts from. Nothing
here has a parameter to train.

**Bursts** (``N×F×C×h×w``: ``N`` bursts of ``F`` low-resolution frames, frame
0 the reference; see :mod:`imgsynth_edu.data.bursts` for how they are made and
for the shift convention: ``frame_f(p) ≈ frame_0(p - d_f)``, ``d_f = (dy, dx)``
in low-resolution pixels):

* :func:`phase_correlation` - global registration (Kuglin & Hines 1975): the
  normalised cross-power spectrum of two shifted images is a pure phase ramp
  whose inverse FFT is a delta at the shift; the peak is refined to sub-pixel
  precision with the upsampled matrix DFT of Guizar-Sicairos et al. (2008).
* :func:`shift_and_add` - every low-resolution sample is put back where it
  belongs on the ``scale``-times finer grid and splatted with a small Gaussian
  kernel (Irani & Peleg 1991; Farsiu et al. 2004).
* :func:`robust_merge` - shift-and-add with per-sample weights that shrink for
  samples which disagree with the current estimate (iteratively reweighted
  least squares with a Cauchy weight): it averages noise away but refuses
  outliers (a misaligned frame, something that moved).

*What the classical merge can and cannot recover.* Several frames sample the
scene at different sub-pixel phases, so together they sample it more densely
than one frame: the **aliasing** folded into each frame (detail above the
low-resolution Nyquist frequency that shows as false patterns) unfolds, and
averaging ``F`` frames divides the **noise** variance by about ``F``. But each
sample is still the scene *blurred* by the downsampling kernel: with a box
(a sensor pixel averaging ``s×s`` high-resolution pixels) every sample is the
average of a ``s×s`` block, wherever it lands. Putting such samples densely on
the fine grid gives the box-blurred image, not the sharp one, plus the blur of
the splatting kernel: the high frequencies the kernel removed are attenuated in
*every* frame and are not brought back by merging (that would take a
deconvolution, an ill-posed inverse that amplifies noise). So with box-like
downsampling and no noise the merge only matches bicubic interpolation of one
frame: about as blurry, a little better in PSNR (lesson 06 measures +0.7 dB at
×4 with 8 frames), and much closer to the *box-blurred* truth than to the
truth. Its gains are fewer aliasing artefacts and, with noise, much less noise.
A learned restorer can do what the merge cannot: learn the inverse of the blur
from data.

**Holes** (inpainting; masks as in :mod:`imgsynth_edu.data.masks`, 1 = hole):

* :func:`inpaint_biharmonic` - the smoothest surface that meets the image at
  the hole's edge (scikit-image's biharmonic solver), the baseline of lesson 03.

Lessons: ``06_multi_frame_restoration.ipynb`` (bursts), ``03_conditional_gan.ipynb`` (holes).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ._checks import check_images, check_masks, check_non_negative, check_positive_int, check_scale

__all__ = [
    "as_burst",
    "check_shifts",
    "estimate_shifts",
    "sample_positions",
    "inpaint_biharmonic",
    "phase_correlation",
    "robust_merge",
    "shift_and_add",
    "splat_samples",
]


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------
def as_burst(burst, name: str = "burst") -> torch.Tensor:
    """Check and return a burst as one ``N×F×C×h×w`` float tensor in ``[0, 1]``.

    Accepts a ``N×F×C×h×w`` tensor, a single ``F×C×h×w`` burst (``N = 1`` is
    added), or a list of frames (each ``C×h×w``, or ``N×C×h×w``), which must all
    have the same size. Zero frames, NaN/inf and values outside ``[0, 1]``
    raise a ``ValueError`` that names ``name``.
    """
    if isinstance(burst, (list, tuple)):
        if len(burst) == 0:
            raise ValueError(f"{name} has zero frames: a burst needs at least one (the reference)")
        for index, frame in enumerate(burst):
            if not isinstance(frame, torch.Tensor):
                raise TypeError(f"{name}[{index}] must be a torch.Tensor, got {type(frame).__name__}")
        shapes = [tuple(frame.shape) for frame in burst]
        if len(set(shapes)) != 1:
            raise ValueError(
                f"the frames of {name} must all have the same size, got shapes {shapes}; "
                "crop or resize them to the reference's size first"
            )
        burst = torch.stack(list(burst), dim=-4)  # F×C×h×w or N×F×C×h×w
    if not isinstance(burst, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or a list of frames, got {type(burst).__name__}")
    if burst.ndim == 4:
        burst = burst[None]  # F×C×h×w -> 1×F×C×h×w
    if burst.ndim != 5:
        raise ValueError(f"{name} must have shape N×F×C×h×w (5 dims), got shape {tuple(burst.shape)}")
    if burst.shape[1] == 0:
        raise ValueError(f"{name} has zero frames (shape {tuple(burst.shape)}): it needs at least the reference")
    count, frames, channels, height, width = burst.shape
    check_images(burst.reshape(count * frames, channels, height, width), name)
    return burst


def check_shifts(shifts, burst: torch.Tensor, name: str = "shifts") -> torch.Tensor:
    """Check ``N×F×2`` shifts (or ``F×2`` for one burst) for ``burst``; returns them as float32 ``N×F×2``.

    Lesson: ``06_multi_frame_restoration.ipynb`` (the shift convention).
    """
    if not isinstance(shifts, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(shifts).__name__}")
    if shifts.ndim == 2:
        shifts = shifts[None]  # F×2 -> 1×F×2
    expected = (burst.shape[0], burst.shape[1], 2)
    if tuple(shifts.shape) != expected:
        raise ValueError(f"{name} must have shape N×F×2 = {expected} for this burst, got {tuple(shifts.shape)}")
    if not torch.isfinite(shifts).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return shifts.to(burst.device, torch.float32)


# ----------------------------------------------------------------------------
# Registration: phase correlation
# ----------------------------------------------------------------------------
def _upsampled_dft(spectrum: torch.Tensor, region: int, upsample: int, offsets: torch.Tensor) -> torch.Tensor:
    """Inverse DFT of ``spectrum`` (``B×M×N``) on a ``region×region`` grid of step ``1/upsample``.

    The grid's first point is ``offsets`` (``B×2``, in pixels). This is the
    matrix-multiply DFT of Guizar-Sicairos et al. (2008): only the
    few values around the peak are computed, not a ``upsample``-times larger FFT.
    """
    batch, rows, cols = spectrum.shape
    steps = torch.arange(region, dtype=torch.float64, device=spectrum.device) / upsample  # (R,)
    freq_y = torch.fft.fftfreq(rows, dtype=torch.float64, device=spectrum.device)  # (M,) cycles/pixel
    freq_x = torch.fft.fftfreq(cols, dtype=torch.float64, device=spectrum.device)  # (N,)
    pos_y = offsets[:, 0, None] + steps[None]  # B×R pixel positions
    pos_x = offsets[:, 1, None] + steps[None]  # B×R
    kernel_y = torch.exp(2j * math.pi * pos_y[:, :, None] * freq_y[None, None, :])  # B×R×M
    kernel_x = torch.exp(2j * math.pi * freq_x[None, :, None] * pos_x[:, None, :])  # B×N×R
    return kernel_y @ spectrum @ kernel_x  # B×R×R


def phase_correlation(
    reference: torch.Tensor, moving: torch.Tensor, upsample: int = 20, window: bool = False
) -> torch.Tensor:
    """The translation ``d = (dy, dx)`` with ``moving(p) ≈ reference(p - d)``, to ``1/upsample`` pixel.

    .. math::
        R(\\mathbf u) = \\frac{\\hat m(\\mathbf u)\\,\\overline{\\hat r(\\mathbf u)}}
                          {|\\hat m(\\mathbf u)\\,\\overline{\\hat r(\\mathbf u)}|}
        = e^{-2\\pi i\\,\\mathbf u\\cdot \\mathbf d}
        \\quad\\Longrightarrow\\quad \\mathcal F^{-1}[R](\\mathbf p) = \\delta(\\mathbf p - \\mathbf d)

    (Kuglin & Hines 1975; the Fourier shift theorem). The integer peak of
    ``|F⁻¹[R]|`` is refined by evaluating the inverse DFT on a ``1/upsample``
    grid of 1.5 pixels around it (Guizar-Sicairos, Thurman & Fienup 2008).

    Args:
        reference, moving: ``h×w``, ``C×h×w`` or batches ``B×C×h×w`` of the
            same shape (channels are averaged).
        upsample: sub-pixel precision is ``1/upsample`` pixel (1: integer only).
        window: multiply by a Hann window first (less bias from the image edges,
            which the FFT treats as periodic; scikit-image does not window).

    Returns ``B×2`` (or ``2`` for unbatched input) float32 shifts ``(dy, dx)``.
    **Sign**: scikit-image's ``phase_cross_correlation(reference, moving)``
    returns ``-d`` (the shift that registers ``moving`` back onto ``reference``).

    Lesson: ``06_multi_frame_restoration.ipynb`` (registration).
    """
    for value, label in ((reference, "reference"), (moving, "moving")):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{label} must be a torch.Tensor, got {type(value).__name__}")
        if value.ndim not in (2, 3, 4):
            raise ValueError(f"{label} must be h×w, C×h×w or B×C×h×w, got shape {tuple(value.shape)}")
        if not torch.isfinite(value).all():
            raise ValueError(f"{label} contains NaN or infinite values")
    if reference.shape != moving.shape:
        raise ValueError(
            f"reference and moving must have the same shape, got {tuple(reference.shape)} and {tuple(moving.shape)}"
        )
    check_positive_int(upsample, "upsample")
    unbatched = reference.ndim < 4
    shape_4d = {2: lambda t: t[None, None], 3: lambda t: t[None], 4: lambda t: t}[reference.ndim]
    ref = shape_4d(reference).double().mean(dim=1)  # B×h×w
    mov = shape_4d(moving).double().mean(dim=1)  # B×h×w
    rows, cols = ref.shape[-2:]
    if min(rows, cols) < 2:
        raise ValueError(f"reference must be at least 2×2 pixels, got {rows}×{cols}")
    if window:
        hann = torch.outer(
            torch.hann_window(rows, periodic=False, dtype=torch.float64, device=ref.device),
            torch.hann_window(cols, periodic=False, dtype=torch.float64, device=ref.device),
        )  # h×w
        ref, mov = ref * hann, mov * hann
    cross = torch.fft.fft2(mov) * torch.fft.fft2(ref).conj()  # B×h×w complex
    spectrum = cross / cross.abs().clamp_min(1e-15)  # phase only: |R| = 1
    correlation = torch.fft.ifft2(spectrum).abs()  # B×h×w, a peak at d (mod h, w)
    peak = correlation.flatten(1).argmax(dim=1)  # B
    peak_y = torch.div(peak, cols, rounding_mode="floor").double()
    peak_x = (peak % cols).double()
    # Indices past the middle are negative shifts (the FFT is periodic).
    peak_y = torch.where(peak_y > rows // 2, peak_y - rows, peak_y)
    peak_x = torch.where(peak_x > cols // 2, peak_x - cols, peak_x)
    shifts = torch.stack([peak_y, peak_x], dim=1)  # B×2
    if upsample > 1:
        region = int(math.ceil(upsample * 1.5))
        half = (region // 2) / upsample  # the region is centred on the integer peak
        fine = _upsampled_dft(spectrum, region, upsample, shifts - half).abs()  # B×R×R
        best = fine.flatten(1).argmax(dim=1)  # B
        best_y = torch.div(best, region, rounding_mode="floor").double()
        best_x = (best % region).double()
        shifts = shifts - half + torch.stack([best_y, best_x], dim=1) / upsample  # B×2
    shifts = shifts.float()
    return shifts[0] if unbatched else shifts


def estimate_shifts(burst, upsample: int = 20, window: bool = True) -> torch.Tensor:
    """Phase-correlation shift of every frame against frame 0: ``N×F×2`` (``shifts[:, 0] = 0``).

    Lesson: ``06_multi_frame_restoration.ipynb``.
    """
    burst = as_burst(burst)
    count, frames = burst.shape[:2]
    reference = burst[:, :1].expand_as(burst).flatten(0, 1)  # (N·F)×C×h×w
    shifts = phase_correlation(reference, burst.flatten(0, 1), upsample=upsample, window=window)  # (N·F)×2
    shifts = shifts.view(count, frames, 2)
    shifts[:, 0] = 0.0
    return shifts


# ----------------------------------------------------------------------------
# Merging on the high-resolution grid
# ----------------------------------------------------------------------------
def sample_positions(displacement: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Where every low-resolution sample lands on the ``scale``-times finer grid: two ``N×F×h×w`` tensors.

    ``displacement`` (``N×F×2×h×w``, (dy, dx) in low-resolution pixels): sample
    ``p`` of frame ``f`` saw the scene at ``p - d_f(p)``, in the reference's
    coordinates; its centre on the fine grid is ``scale·(p - d_f(p) + ½) - ½``.
    The classical merges use one displacement per frame (the global shift);
    the learned :class:`~imgsynth_edu.models.burst.BurstSR` one per pixel.
    """
    height, width = displacement.shape[-2:]
    rows = torch.arange(height, dtype=displacement.dtype, device=displacement.device)
    cols = torch.arange(width, dtype=displacement.dtype, device=displacement.device)
    scene_y = rows[:, None] - displacement[:, :, 0]  # N×F×h×w
    scene_x = cols[None, :] - displacement[:, :, 1]  # N×F×h×w
    return scale * (scene_y + 0.5) - 0.5, scale * (scene_x + 0.5) - 0.5


def _positions_of_global_shifts(shifts: torch.Tensor, height: int, width: int, scale: int):
    """:func:`sample_positions` for one global shift per frame (``shifts`` ``N×F×2``)."""
    displacement = shifts[:, :, :, None, None].expand(-1, -1, -1, height, width)  # N×F×2×h×w
    return sample_positions(displacement, scale)


def splat_samples(values, pos_y, pos_x, weights, out_size, sigma):
    """Accumulate ``Σ w·k·v`` and ``Σ w·k`` on the fine grid, ``k`` a Gaussian of ``sigma`` pixels.

    ``values`` ``N×F×C×h×w`` (colours here, learned features in
    :class:`~imgsynth_edu.models.burst.BurstSR`); ``pos_*``, ``weights``
    ``N×F×h×w``: where each sample lands on the fine grid and how much it
    counts. Returns ``(numerator N×C×H×W, denominator N×1×H×W)``; their ratio
    is the normalised-convolution merge. Differentiable in ``values``,
    ``weights`` and the positions (through the kernel).
    """
    count, _, channels = values.shape[:3]
    out_h, out_w = out_size
    radius = max(1, int(math.ceil(2.5 * sigma)))
    base_y, base_x = pos_y.round(), pos_x.round()  # nearest fine pixel
    numerator = values.new_zeros(count, channels, out_h * out_w)
    denominator = values.new_zeros(count, 1, out_h * out_w)
    flat_values = values.permute(0, 2, 1, 3, 4).flatten(2)  # N×C×(F·h·w)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            target_y, target_x = base_y + dy, base_x + dx  # N×F×h×w
            kernel = torch.exp(-((target_y - pos_y) ** 2 + (target_x - pos_x) ** 2) / (2 * sigma**2))
            inside = (target_y >= 0) & (target_y < out_h) & (target_x >= 0) & (target_x < out_w)
            weight = (kernel * weights * inside).flatten(1)  # N×(F·h·w)
            index = (target_y.clamp(0, out_h - 1) * out_w + target_x.clamp(0, out_w - 1)).long().flatten(1)
            numerator.scatter_add_(2, index[:, None].expand(-1, channels, -1), flat_values * weight[:, None])
            denominator.scatter_add_(2, index[:, None], weight[:, None])
    return numerator.view(count, channels, out_h, out_w), denominator.view(count, 1, out_h, out_w)


def _check_merge_arguments(burst, shifts, scale, sigma):
    burst = as_burst(burst)
    check_scale(scale)
    shifts = estimate_shifts(burst) if shifts is None else check_shifts(shifts, burst)
    sigma = check_non_negative(sigma, "sigma")
    if sigma == 0:
        raise ValueError("sigma (the splatting kernel's width in high-resolution pixels) must be > 0")
    return burst, shifts, sigma


def _prior(burst: torch.Tensor, scale: int) -> torch.Tensor:
    """The bicubic-upsampled reference, which fills fine pixels that no sample reached."""
    return F.interpolate(burst[:, 0], scale_factor=scale, mode="bicubic", align_corners=False)  # N×C×H×W


def shift_and_add(
    burst, shifts: torch.Tensor | None = None, scale: int = 4, sigma: float = 1.0, prior_weight: float = 1e-3
) -> torch.Tensor:
    """Merge a burst onto the ``scale``-times finer grid by splatting every sample where it belongs.

    .. math::
        \\hat x(\\mathbf q) = \\frac{\\sum_{f,\\mathbf p} k(\\mathbf q - \\mathbf q_{f\\mathbf p})\\, y_f(\\mathbf p)
                                  + \\epsilon\\, x_{\\uparrow}(\\mathbf q)}
                                 {\\sum_{f,\\mathbf p} k(\\mathbf q - \\mathbf q_{f\\mathbf p}) + \\epsilon}

    with ``q_{fp} = s·(p - d_f + ½) - ½`` the fine-grid position of sample
    ``p`` of frame ``f``, ``k`` a Gaussian of ``sigma`` fine pixels, and
    ``x↑`` the bicubic-upsampled reference with the tiny weight
    ``ε = prior_weight`` (it only matters where no sample landed). This is
    the normalised-convolution form of shift-and-add (Farsiu et al. 2004,
    "Fast and robust multiframe super resolution", Sec. III).

    Args:
        burst: ``N×F×C×h×w`` (see :func:`as_burst`).
        shifts: ``N×F×2`` in low-resolution pixels; ``None`` estimates them by
            :func:`estimate_shifts`.
        scale: one of :data:`~imgsynth_edu._checks.SUPPORTED_SCALES`.
        sigma: the splatting kernel's standard deviation in fine pixels.

    Returns ``N×C×(s·h)×(s·w)`` in ``[0, 1]`` (a convex combination of samples).
    See the module docstring for what this can and cannot recover.

    Lesson: ``06_multi_frame_restoration.ipynb`` (shift-and-add and its limits).
    """
    burst, shifts, sigma = _check_merge_arguments(burst, shifts, scale, sigma)
    prior_weight = check_non_negative(prior_weight, "prior_weight")
    height, width = burst.shape[-2:]
    pos_y, pos_x = _positions_of_global_shifts(shifts, height, width, scale)  # N×F×h×w
    ones = torch.ones_like(pos_y)
    numerator, denominator = splat_samples(burst, pos_y, pos_x, ones, (scale * height, scale * width), sigma)
    merged = (numerator + prior_weight * _prior(burst, scale)) / (denominator + prior_weight)
    return merged.clamp(0.0, 1.0)  # only float rounding and the bicubic prior's overshoot


def robust_merge(
    burst,
    shifts: torch.Tensor | None = None,
    scale: int = 4,
    sigma: float = 1.0,
    iterations: int = 3,
    tuning: float = 2.0,
    prior_weight: float = 1e-3,
    return_weights: bool = False,
):
    """Shift-and-add that down-weights samples which disagree with the estimate (robust to outliers).

    Iteratively reweighted least squares with the Cauchy (Lorentzian) weight
    (Huber 1981; used for burst merging by Farsiu et al. 2004 and, as a
    "robustness" mask, by Wronski et al. 2019):

    .. math::
        r_{f\\mathbf p} = y_f(\\mathbf p) - \\hat x^{(t)}(\\mathbf q_{f\\mathbf p}),\\qquad
        w_{f\\mathbf p} = \\frac{1}{1 + (r_{f\\mathbf p} / c)^2},\\qquad c = \\kappa\\,\\hat\\sigma

    where ``σ̂ = 1.4826·median|r|`` is a robust estimate of the noise and
    ``κ = tuning``; ``x̂^{(t+1)}`` is :func:`shift_and_add` with the weights
    ``w``. Noise-sized residuals keep a weight near 1 (so noise is averaged
    away as by the plain merge); a sample from a misaligned frame or a moving
    object, far from the others, gets a weight near 0.

    Returns ``N×C×(s·h)×(s·w)``, and with ``return_weights=True`` also the
    final per-sample weights ``N×F×h×w``.

    Lesson: ``06_multi_frame_restoration.ipynb`` (robust merge).
    """
    burst, shifts, sigma = _check_merge_arguments(burst, shifts, scale, sigma)
    check_positive_int(iterations, "iterations")
    tuning = check_non_negative(tuning, "tuning")
    prior_weight = check_non_negative(prior_weight, "prior_weight")
    if tuning == 0:
        raise ValueError("tuning must be > 0")
    count, frames, channels, height, width = burst.shape
    out_size = (scale * height, scale * width)
    pos_y, pos_x = _positions_of_global_shifts(shifts, height, width, scale)  # N×F×h×w
    prior = _prior(burst, scale)
    weights = torch.ones_like(pos_y)
    # The start: a median-like estimate would be more robust; the plain merge is good enough to begin with.
    grid = torch.stack([(2 * pos_x + 1) / out_size[1] - 1, (2 * pos_y + 1) / out_size[0] - 1], dim=-1)  # N×F×h×w×2
    for _ in range(iterations):
        numerator, denominator = splat_samples(burst, pos_y, pos_x, weights, out_size, sigma)
        estimate = (numerator + prior_weight * prior) / (denominator + prior_weight)  # N×C×H×W
        predicted = F.grid_sample(
            estimate, grid.flatten(1, 2), mode="bilinear", padding_mode="border", align_corners=False
        )  # N×C×(F·h)×w
        predicted = predicted.view(count, channels, frames, height, width).transpose(1, 2)  # N×F×C×h×w
        residual = (burst - predicted).abs().mean(dim=2)  # N×F×h×w
        noise = 1.4826 * residual.flatten(1).median(dim=1).values.clamp_min(1e-4)  # N, robust σ
        weights = 1.0 / (1.0 + (residual / (tuning * noise[:, None, None, None])) ** 2)
    numerator, denominator = splat_samples(burst, pos_y, pos_x, weights, out_size, sigma)
    merged = ((numerator + prior_weight * prior) / (denominator + prior_weight)).clamp(0.0, 1.0)
    return (merged, weights) if return_weights else merged


# ----------------------------------------------------------------------------
# Filling a hole
# ----------------------------------------------------------------------------
def inpaint_biharmonic(masked_images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The non-learned baseline of inpainting: fill each hole by biharmonic interpolation.

    ``skimage.restoration.inpaint_biharmonic`` solves ``Δ²u = 0`` inside the
    hole with the known pixels as boundary values (Damelin & Hoang 2018): the
    smoothest surface that meets the image at the hole's edge. It knows no
    shapes or textures, so it blurs across a hole; a learned model must beat
    it there to be worth its training.

    Returns ``N×C×H×W`` with the known pixels unchanged. The biharmonic
    surface can overshoot ``[0, 1]`` slightly near sharp edges; the result is
    clamped to ``[0, 1]`` (stated here, not done silently) so it can be shown
    and scored like any image.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    # imported here: scikit-image's restoration module is slow to import and only this function needs it
    from skimage.restoration import inpaint_biharmonic as _skimage_biharmonic

    check_images(masked_images, "masked_images")
    check_masks(masks, masked_images, "masks")
    results = []
    for image, mask in zip(masked_images.detach().cpu(), masks.detach().cpu()):
        array = image.permute(1, 2, 0).double().numpy()  # (H, W, C)
        hole = mask[0].numpy().astype(bool)  # (H, W)
        if hole.any():
            array = _skimage_biharmonic(array, hole, channel_axis=-1)
        results.append(torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float())  # (C, H, W)
    filled = torch.stack(results).to(masked_images.device)  # (N, C, H, W)
    return filled.clamp(0, 1)
