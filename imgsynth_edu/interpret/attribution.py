"""Attribution maps: which input pixels does one output number depend on?

Each method explains one **scalar** ``f(x)`` per image: a class logit of the
digit classifier, a discriminator's logit, one output pixel of SRResNet. The
``target`` argument picks that number from the model's output (as in Captum):

* ``None``        the output already is one number per image, shape ``(N,)`` or ``(N, 1)``
                  (a discriminator);
* ``3``           ``output[:, 3]`` (class 3 of a classifier);
* ``(0, 40, 52)`` ``output[:, 0, 40, 52]`` (channel 0, row 40, column 52 of an image output);
* a tensor or list of ``N`` ints: one class per image, ``output[n, target[n]]``;
* a function ``outputs -> (N,)`` for anything else (e.g. the sum of a pixel's channels).

The methods, cheapest first (``x`` the image, ``x'`` a baseline image):

* :func:`saliency` - ``|∂f/∂x|`` (Simonyan, Vedaldi & Zisserman 2014);
* :func:`gradient_x_input` - ``x ⊙ ∂f/∂x`` (Shrikumar et al. 2016);
* :func:`integrated_gradients` - ``(x - x') ⊙ ∫₀¹ ∂f(x' + α(x - x'))/∂x dα``
  (Sundararajan, Taly & Yan 2017), with :func:`completeness` to check it;
* :func:`occlusion` - how much ``f`` drops when a window is covered (Zeiler & Fergus 2014);
* :func:`edge_detector` - *not* an attribution: an edge map of the input that
  ignores the model, the control of the sanity check (Adebayo et al. 2018).

Every method returns a map with the shape of ``inputs``, ``(N, C, H, W)``;
:func:`normalised_abs_map` turns it into the ``(N, 1, H, W)`` picture in
``[0, 1]`` that is shown and compared. The model is run in ``eval()`` mode
(restored afterwards), and gradients are taken with respect to the input
only: the model's ``.grad`` fields are never touched.

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_choice, check_images, check_positive_int

#: The ways to approximate the integral of integrated gradients.
IG_METHODS = ("left", "right", "middle", "trapezoid")


# ----------------------------------------------------------------------------
# Shared helpers: the model in eval mode, the scalar being explained
# ----------------------------------------------------------------------------


@contextmanager
def _evaluation_mode(model) -> Iterator[None]:
    """Run ``model`` in ``eval()`` mode (batch norm uses its running statistics), then restore."""
    if not callable(model):
        raise TypeError(f"model must be a torch.nn.Module (or a callable), got {type(model).__name__}")
    if not isinstance(model, nn.Module):
        yield
        return
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _select_scalar(outputs: torch.Tensor, target, count: int) -> torch.Tensor:
    """The number being explained, one per image: ``outputs`` -> ``(N,)`` (see the module docstring)."""
    if not isinstance(outputs, torch.Tensor):
        raise TypeError(f"the model must return a tensor, got {type(outputs).__name__}")
    if outputs.ndim == 0 or outputs.shape[0] != count:
        raise ValueError(f"the model's output must have one row per image ({count}), got shape {tuple(outputs.shape)}")
    shape = tuple(outputs.shape)
    if target is None:
        if outputs.ndim == 1 or (outputs.ndim == 2 and shape[1] == 1):
            return outputs.reshape(count)  # (N,) or (N, 1) -> (N,)
        raise ValueError(
            f"target is None, but the model's output has shape {shape}, not one number per image: "
            "pass target= a class index (int), a position (channel, row, col), one class per image, "
            "or a function outputs -> (N,)"
        )
    if callable(target):
        scalars = target(outputs)
        if not isinstance(scalars, torch.Tensor) or tuple(scalars.shape) != (count,):
            got = tuple(scalars.shape) if isinstance(scalars, torch.Tensor) else type(scalars).__name__
            raise ValueError(f"target(outputs) must return a tensor of shape ({count},), got {got}")
        return scalars
    if isinstance(target, bool):
        raise TypeError("target must be an int, a tuple of ints, N ints, a function or None, got a bool")
    if isinstance(target, int):
        target = (target,)
    if isinstance(target, tuple):
        if not all(isinstance(index, int) and not isinstance(index, bool) for index in target):
            raise TypeError(f"target tuple must hold ints, got {target!r}")
        if len(target) != outputs.ndim - 1:
            raise ValueError(
                f"target {target!r} has {len(target)} index(es), but the output shape {shape} needs "
                f"{outputs.ndim - 1} (one per dimension after the batch)"
            )
        for index, size in zip(target, shape[1:]):
            if not -size <= index < size:
                raise ValueError(f"target {target!r} is out of range for the output shape {shape}")
        return outputs[(slice(None), *target)]  # (N, ...) -> (N,)
    per_image = torch.as_tensor(target, device=outputs.device)
    if per_image.dtype not in (torch.int64, torch.int32) or tuple(per_image.shape) != (count,) or outputs.ndim != 2:
        raise ValueError(
            f"target given per image must be {count} ints for an output of shape (N, classes), "
            f"got {tuple(per_image.shape)} {per_image.dtype} for output shape {shape}"
        )
    if per_image.min() < 0 or per_image.max() >= shape[1]:
        raise ValueError(f"target holds class indices outside [0, {shape[1] - 1}]")
    return outputs[torch.arange(count, device=outputs.device), per_image.long()]  # (N,)


def _target_for_image(target, index: int):
    """The target of image ``index`` alone (for methods that run one image at a time)."""
    if target is None or isinstance(target, (int, tuple)) or callable(target):
        return target
    return int(torch.as_tensor(target)[index])


def _check_baseline(baseline, inputs: torch.Tensor) -> torch.Tensor:
    """A baseline image: a number in ``[0, 1]`` or a tensor in ``[0, 1]`` broadcastable to ``inputs``."""
    if isinstance(baseline, torch.Tensor):
        if baseline.ndim == 3:
            baseline = baseline[None]  # (C, H, W) -> (1, C, H, W)
        check_images(baseline, "baseline")
        try:
            torch.broadcast_shapes(baseline.shape, inputs.shape)
        except RuntimeError:
            raise ValueError(
                f"baseline must have the shape of inputs {tuple(inputs.shape)} or broadcast to it, "
                f"got {tuple(baseline.shape)}"
            ) from None
        return baseline.to(inputs).expand_as(inputs)  # (N, C, H, W)
    if isinstance(baseline, bool) or not isinstance(baseline, (int, float)) or not 0.0 <= baseline <= 1.0:
        raise ValueError(f"baseline must be a number in [0, 1] (0 = black) or an image tensor, got {baseline!r}")
    return torch.full_like(inputs, float(baseline))  # (N, C, H, W)


def _input_gradient(model, inputs: torch.Tensor, target) -> torch.Tensor:
    """``∂f(x)/∂x`` for every image: ``(N, C, H, W)``.

    The scalars of all images are summed before the backward pass; each image's
    scalar depends only on that image (the model runs in eval mode), so the
    gradient of the sum is each image's own gradient.
    """
    inputs = inputs.detach().clone().requires_grad_(True)  # (N, C, H, W), a leaf we differentiate by
    with torch.enable_grad():
        scalars = _select_scalar(model(inputs), target, len(inputs))  # (N,)
        (gradient,) = torch.autograd.grad(scalars.sum(), inputs)  # (N, C, H, W)
    return gradient


# ----------------------------------------------------------------------------
# Gradient methods
# ----------------------------------------------------------------------------


def saliency(model, inputs: torch.Tensor, target=None, *, absolute: bool = True) -> torch.Tensor:
    """Gradient saliency (Simonyan, Vedaldi & Zisserman 2014, Sec. 3.1).

    .. math::
        M(x) = \\left| \\frac{\\partial f(x)}{\\partial x} \\right|

    The first-order Taylor expansion ``f(x + δ) ≈ f(x) + ∇f(x)·δ`` says that
    pixels with a large gradient change ``f`` most when nudged. The paper shows
    the maximum over colour channels (our :func:`normalised_abs_map` does that
    step); this function returns the per-channel map, like Captum's
    ``Saliency`` (``absolute=False`` keeps the sign).

    Args:
        model: any ``nn.Module`` (or callable) taking ``inputs``.
        inputs: images ``(N, C, H, W)`` in ``[0, 1]``.
        target: which output number to explain (see the module docstring).

    Returns the map ``(N, C, H, W)``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    with _evaluation_mode(model):
        gradient = _input_gradient(model, inputs, target)  # (N, C, H, W)
    return gradient.abs() if absolute else gradient


def gradient_x_input(model, inputs: torch.Tensor, target=None) -> torch.Tensor:
    """Gradient × input (Shrikumar et al. 2016, "Not just a black box"; Ancona et al. 2018).

    .. math::
        A_i(x) = x_i \\, \\frac{\\partial f(x)}{\\partial x_i}

    The first-order estimate of how much ``f`` would change if pixel ``i`` went
    from ``x_i`` to 0 (black). For a linear model ``f(x) = w·x + b`` it is exact:
    ``Σ_i A_i = f(x) - f(0)``. Like Captum's ``InputXGradient``.

    Returns the signed map ``(N, C, H, W)``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    with _evaluation_mode(model):
        gradient = _input_gradient(model, inputs, target)  # (N, C, H, W)
    return inputs.detach() * gradient


def _path_alphas_and_weights(steps: int, method: str) -> tuple[list[float], list[float]]:
    """Points ``α_k`` on ``[0, 1]`` and quadrature weights ``w_k`` with ``∫₀¹ g ≈ Σ_k w_k g(α_k)``."""
    check_choice(method, "method", set(IG_METHODS))
    check_positive_int(steps, "steps")
    if method == "trapezoid":
        if steps < 2:
            raise ValueError(f"steps must be >= 2 for the trapezoid rule (it uses both ends), got {steps}")
        alphas = [k / (steps - 1) for k in range(steps)]  # 0, h, 2h, ..., 1 with h = 1/(steps-1)
        weights = [1.0 / (steps - 1)] * steps
        weights[0] /= 2  # the two ends count half: h·(g₀/2 + g₁ + ... + g_{n-2} + g_{n-1}/2)
        weights[-1] /= 2
        return alphas, weights
    offset = {"left": 0.0, "middle": 0.5, "right": 1.0}[method]
    alphas = [(k + offset) / steps for k in range(steps)]  # left: 0..(n-1)/n; right: 1/n..1 (the paper's sum)
    return alphas, [1.0 / steps] * steps


def integrated_gradients(
    model,
    inputs: torch.Tensor,
    target=None,
    *,
    baseline: float | torch.Tensor = 0.0,
    steps: int = 50,
    method: str = "trapezoid",
) -> torch.Tensor:
    """Integrated gradients (Sundararajan, Taly & Yan 2017), by a Riemann or trapezoid sum.

    .. math::
        \\mathrm{IG}_i(x) = (x_i - x'_i) \\int_0^1
            \\frac{\\partial f(x' + \\alpha (x - x'))}{\\partial x_i} \\, d\\alpha
        \\;\\approx\\; (x_i - x'_i) \\sum_{k} w_k \\,
            \\frac{\\partial f(x' + \\alpha_k (x - x'))}{\\partial x_i}

    The gradient is averaged along the straight path from the baseline ``x'``
    (black by default: "no signal") to the image ``x``. The paper's two axioms
    follow: *sensitivity* (a pixel that changes ``f`` gets a non-zero share)
    and *completeness* ``Σ_i IG_i(x) = f(x) - f(x')`` (Prop. 1), which
    :func:`completeness` measures for the approximated integral.

    The integral is approximated with ``steps`` gradient evaluations:
    ``"right"`` is the paper's Riemann sum (``α_k = k/m``, ``k = 1..m``),
    ``"left"`` and ``"middle"`` shift the points, ``"trapezoid"`` (the default)
    uses ``α_k = k/(m-1)`` from 0 to 1 with the two ends weighted half; it is
    exact for a gradient that changes linearly along the path and usually
    needs fewer steps (Captum's ``riemann_right/left/middle`` give the same
    numbers; Captum's ``riemann_trapezoid`` sums to ``(m-1)/m`` of ours, its
    step sizes being ``1/m`` rather than ``1/(m-1)``).

    Args:
        model, inputs, target: as in :func:`saliency`.
        baseline: a number in ``[0, 1]`` (a flat image) or an image tensor.
        steps: number of gradient evaluations ``m`` (20-300 in the paper).
        method: ``"left"``, ``"right"``, ``"middle"`` or ``"trapezoid"``.

    Returns the signed map ``(N, C, H, W)``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    alphas, weights = _path_alphas_and_weights(steps, method)
    baseline = _check_baseline(baseline, inputs)  # (N, C, H, W)
    difference = inputs.detach() - baseline  # (N, C, H, W): x - x'
    integral = torch.zeros_like(inputs)  # (N, C, H, W)
    with _evaluation_mode(model):
        for alpha, weight in zip(alphas, weights):
            point = baseline + alpha * difference  # (N, C, H, W): a point on the path x' -> x
            integral += weight * _input_gradient(model, point, target)
    return difference * integral


@dataclass(frozen=True)
class Completeness:
    """The completeness check of integrated gradients, one entry per image (all ``(N,)``).

    ``attribution_sum`` = ``Σ_i A_i``; ``output_difference`` = ``f(x) - f(x')``;
    ``gap`` = their difference (0 for the exact integral).
    """

    attribution_sum: torch.Tensor
    output_difference: torch.Tensor

    @property
    def gap(self) -> torch.Tensor:
        return self.attribution_sum - self.output_difference  # (N,)

    @property
    def relative_gap(self) -> torch.Tensor:
        """``|gap| / |f(x) - f(x')|``: the error as a fraction of what was to be explained."""
        return self.gap.abs() / self.output_difference.abs().clamp_min(1e-12)  # (N,)


def completeness(
    model, inputs: torch.Tensor, attributions: torch.Tensor, target=None, *, baseline: float | torch.Tensor = 0.0
) -> Completeness:
    """Check ``Σ_i A_i(x) ≈ f(x) - f(x')`` (Sundararajan et al. 2017, Prop. 1, "completeness").

    Integrated gradients satisfy it exactly; the ``steps``-point approximation
    nearly (the paper suggests steps until the gap is within 5 % of
    ``f(x) - f(x')``). Gradient × input satisfies it for a linear
    model only; plain saliency has no such property.

    Returns a :class:`Completeness` with ``attribution_sum``, ``output_difference``
    and ``gap`` per image.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    if not isinstance(attributions, torch.Tensor) or attributions.shape != inputs.shape:
        shape = tuple(attributions.shape) if isinstance(attributions, torch.Tensor) else type(attributions).__name__
        raise ValueError(f"attributions must have the shape of inputs {tuple(inputs.shape)}, got {shape}")
    baseline = _check_baseline(baseline, inputs)  # (N, C, H, W)
    with _evaluation_mode(model), torch.no_grad():
        at_input = _select_scalar(model(inputs), target, len(inputs))  # (N,)
        at_baseline = _select_scalar(model(baseline), target, len(inputs))  # (N,)
    return Completeness(attributions.detach().flatten(1).sum(1), at_input - at_baseline)


# ----------------------------------------------------------------------------
# Occlusion
# ----------------------------------------------------------------------------


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair (height, width), got {value!r}")
    for item in pair:
        check_positive_int(item, name)
    return pair


def _window_starts(size: int, window: int, stride: int) -> list[int]:
    """Start positions ``0, s, 2s, ...`` until every pixel is covered; the last window may be cut by the border."""
    count = math.ceil((size - window) / stride) + 1  # windows needed to reach the far border
    return [index * stride for index in range(count)]


def occlusion(
    model,
    inputs: torch.Tensor,
    target=None,
    *,
    window: int | tuple[int, int] = 4,
    stride: int | tuple[int, int] = 2,
    baseline: float | torch.Tensor = 0.0,
) -> torch.Tensor:
    """Occlusion sensitivity (Zeiler & Fergus 2014, Sec. 4.2 and Fig. 7).

    Slide a ``window`` over the image with ``stride``; at each position replace
    the covered pixels (all channels) by the ``baseline`` and record how much
    the explained number drops. Each pixel gets the average drop over the
    windows that covered it:

    .. math::
        A_i(x) = \\frac{1}{|W_i|} \\sum_{w \\in W_i} \\big( f(x) - f(x \\text{ with } w \\text{ occluded}) \\big)

    where ``W_i`` are the windows containing pixel ``i``. No gradients: it
    asks the model directly, at the cost of one forward pass per window. This
    is Captum's ``Occlusion`` with ``sliding_window_shapes=(C, h, w)``, and
    like it, when the strides do not land on the far border, the last window
    sticks out of the image and is cut there, so every pixel is covered.

    Args:
        model, inputs, target: as in :func:`saliency`.
        window: side of the occluding square (or ``(height, width)``).
        stride: step between windows (or ``(row step, column step)``).
        baseline: what covers the window: a number in ``[0, 1]`` (Zeiler and
            Fergus used grey) or an image tensor.

    Returns the map ``(N, C, H, W)`` (the same value in every channel).

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    count, channels, height, width = inputs.shape
    window_h, window_w = _pair(window, "window")
    stride_h, stride_w = _pair(stride, "stride")
    if window_h > height or window_w > width:
        raise ValueError(f"window {window_h}×{window_w} is larger than the images ({height}×{width})")
    baseline = _check_baseline(baseline, inputs)  # (N, C, H, W)
    total_drop = torch.zeros(count, 1, height, width, dtype=inputs.dtype, device=inputs.device)  # (N, 1, H, W)
    times_covered = torch.zeros(1, 1, height, width, dtype=inputs.dtype, device=inputs.device)  # (1, 1, H, W)
    with _evaluation_mode(model), torch.no_grad():
        reference = _select_scalar(model(inputs), target, count)  # (N,)
        for top in _window_starts(height, window_h, stride_h):
            for left in _window_starts(width, window_w, stride_w):
                rows, cols = slice(top, top + window_h), slice(left, left + window_w)
                occluded = inputs.clone()  # (N, C, H, W)
                occluded[:, :, rows, cols] = baseline[:, :, rows, cols]
                drop = reference - _select_scalar(model(occluded), target, count)  # (N,)
                total_drop[:, :, rows, cols] += drop[:, None, None, None]
                times_covered[:, :, rows, cols] += 1
    return (total_drop / times_covered).expand(count, channels, height, width).clone()  # (N, C, H, W)


# ----------------------------------------------------------------------------
# The control, and the picture
# ----------------------------------------------------------------------------


def edge_detector(model, inputs: torch.Tensor, target=None) -> torch.Tensor:
    """Not an attribution: the Sobel edge magnitude of the input, ignoring ``model`` and ``target``.

    .. math::
        E(x) = \\sqrt{(S_x * x)^2 + (S_y * x)^2},\\qquad
        S_x = \\tfrac18\\begin{pmatrix}-1&0&1\\\\-2&0&2\\\\-1&0&1\\end{pmatrix},\\; S_y = S_x^\\top

    Adebayo et al. (2018, Fig. 1) show that an edge detector
    produces maps that look like many saliency maps, although it knows nothing
    of the model. It has the signature of the attribution methods so that the
    randomisation test can be run on it: it must *fail* (its map cannot change
    when the weights are randomised). Edges are taken per channel with
    replicated borders.

    Returns the map ``(N, C, H, W)``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    count, channels, height, width = inputs.shape
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=inputs.dtype) / 8
    kernels = torch.stack([sobel_x, sobel_x.T])[:, None].to(inputs.device)  # (2, 1, 3, 3)
    planes = inputs.detach().reshape(count * channels, 1, height, width)  # (N·C, 1, H, W)
    padded = F.pad(planes, (1, 1, 1, 1), mode="replicate")  # (N·C, 1, H+2, W+2)
    gradients = F.conv2d(padded, kernels)  # (N·C, 2, H, W): horizontal and vertical change
    magnitude = gradients.pow(2).sum(1).sqrt()  # (N·C, H, W)
    return magnitude.reshape(count, channels, height, width)


def normalised_abs_map(attributions: torch.Tensor) -> torch.Tensor:
    """The picture of a map: ``|A|``, maximum over channels, divided by its maximum per image.

    .. math::
        \\hat A(x)_{hw} = \\frac{\\max_c |A_{chw}|}{\\max_{c,h,w} |A_{chw}|}

    The channel maximum is Simonyan et al.'s (2014, Sec. 3.1); the absolute,
    normalised map is what Adebayo et al. (2018) compare with SSIM and
    rank correlation. An all-zero map stays zero.

    ``(N, C, H, W)`` -> ``(N, 1, H, W)`` in ``[0, 1]``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(attributions, torch.Tensor) or attributions.ndim != 4:
        shape = tuple(attributions.shape) if isinstance(attributions, torch.Tensor) else type(attributions).__name__
        raise ValueError(f"attributions must be a tensor of shape (N, C, H, W), got {shape}")
    if not torch.isfinite(attributions).all():
        raise ValueError("attributions contains NaN or infinite values")
    magnitude = attributions.detach().abs().amax(dim=1, keepdim=True)  # (N, 1, H, W)
    peak = magnitude.amax(dim=(1, 2, 3), keepdim=True)  # (N, 1, 1, 1)
    return magnitude / torch.where(peak > 0, peak, torch.ones_like(peak))  # (N, 1, H, W) in [0, 1]


#: The signature every attribution method shares: ``method(model, inputs, target) -> (N, C, H, W)``.
AttributionMethod = Callable[..., torch.Tensor]

__all__ = [
    "IG_METHODS",
    "AttributionMethod",
    "Completeness",
    "completeness",
    "edge_detector",
    "gradient_x_input",
    "integrated_gradients",
    "normalised_abs_map",
    "occlusion",
    "saliency",
]
