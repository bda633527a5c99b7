"""How far does a pixel's influence reach? Theoretical and effective receptive fields.

The **receptive field** of an output unit is the set of input pixels that can
change it. It follows from the layers alone (Araujo, Norris & Sim 2019,
"Computing receptive fields of convolutional neural networks", Distill):
with kernel sizes ``k_l``, dilations ``d_l`` and the *jump*
``J_{l-1}`` (how many input pixels lie between two neighbouring units
before layer ``l``; the product of the strides so far),

.. math::
    r = 1 + \\sum_{l=1}^{L} d_l (k_l - 1)\\, J_{l-1},\\qquad J_l = J_{l-1}\\, s_l .

**Upsampling divides the jump.** A pixel-shuffle by ``r`` (Shi et al. 2016,
"sub-pixel convolution", as in SRResNet) turns an ``(r²C) × h × w`` map into
``C × rh × rw``: every output pixel comes from *one* position of its input,
so it adds nothing to the field, but afterwards neighbouring units are
``1/r`` input pixels apart (``J ← J / r``), and a ``k × k`` convolution at the
high resolution reaches only ``(k - 1)/r`` more low-resolution pixels. A 9×9
convolution after ×4 upsampling widens the field by 2 low-resolution pixels,
not 8.

:func:`receptive_field` computes the exact set instead of the sum (the
integer count of input pixels, which the sum can miss by a fraction when the
jump is fractional): starting from one output unit it walks the layers
backwards and maps the interval of positions each layer reads. A skip
connection only adds a shorter path, so for plain and residual networks the
chain of layers in call order gives the field.

The **effective receptive field** (Luo, Li, Urtasun & Zemel, NeurIPS 2016)
asks how much each pixel *actually* matters: the gradient of one output
pixel with respect to the input, ``|∂y_centre/∂x|``, averaged over images. It
is roughly Gaussian and occupies a fraction of the theoretical field.
:func:`effective_receptive_field` measures it and reports the side of the
smallest square that holds, e.g., 95 % of the gradient's mass.

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_images
from .attribution import _evaluation_mode

#: Modules that act on each position separately (they do not widen the field). Batch norm in eval mode is one.
POINTWISE_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Tanh, nn.Sigmoid, nn.Hardtanh, nn.Softplus, nn.Identity, nn.Dropout, nn.Dropout2d,
    nn.BatchNorm2d,
)


@dataclass(frozen=True)
class _Step:
    """One layer's geometry along both axes (``(rows, cols)`` pairs)."""

    name: str
    kind: str  # "convolution", "transposed convolution", "pixel shuffle", "pixel unshuffle",
    #           "upsample (nearest)", "upsample (bilinear)", "pointwise", "global"
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    factor: tuple[int, int] = (1, 1)  # the up- or down-sampling factor of shuffles and upsampling


def _as_pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _step_from_module(name: str, module: nn.Module, in_size, out_size) -> _Step:
    """Read a module's geometry; an unknown module is an error (we do not guess)."""
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        kernel = _as_pair(module.kernel_size)
        dilation = _as_pair(getattr(module, "dilation", 1))
        stride = _as_pair(module.stride if module.stride is not None else module.kernel_size)
        padding = module.padding
        if padding == "valid":
            padding = 0
        if padding == "same":  # PyTorch pads d(k-1)//2 before, the rest after
            padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
        return _Step(name, "convolution", kernel, stride, _as_pair(padding), dilation)
    if isinstance(module, nn.ConvTranspose2d):
        return _Step(name, "transposed convolution", _as_pair(module.kernel_size), _as_pair(module.stride),
                     _as_pair(module.padding), _as_pair(module.dilation))
    if isinstance(module, nn.PixelShuffle):
        return _Step(name, "pixel shuffle", factor=_as_pair(module.upscale_factor))
    if isinstance(module, nn.PixelUnshuffle):
        return _Step(name, "pixel unshuffle", factor=_as_pair(module.downscale_factor))
    if isinstance(module, nn.Upsample):
        factors = [out / inp for out, inp in zip(out_size, in_size)]
        if module.mode not in ("nearest", "bilinear") or any(f != int(f) for f in factors) or (
            module.mode == "bilinear" and module.align_corners
        ):
            raise ValueError(
                f"layer {name!r}: only nearest and bilinear (align_corners=False) upsampling by whole "
                f"factors is supported, got mode={module.mode!r}, factors {factors}"
            )
        return _Step(name, f"upsample ({module.mode})", factor=(int(factors[0]), int(factors[1])))
    if isinstance(module, POINTWISE_MODULES):
        return _Step(name, "pointwise")
    if isinstance(module, (nn.Linear, nn.Flatten)) or (
        isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and tuple(out_size) == (1, 1)
    ):
        return _Step(name, "global")
    raise ValueError(
        f"layer {name!r} ({type(module).__name__}): receptive_field does not know how it moves positions; "
        "supported: Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, PixelShuffle, PixelUnshuffle, Upsample, "
        "Linear/Flatten/global pooling, and pointwise layers (activations, BatchNorm2d, Identity, Dropout)"
    )


def _trace_steps(model: nn.Module, input_shape: tuple[int, int, int]) -> list[_Step]:
    """The leaf modules in the order ``model`` calls them, as steps, checking that the sizes chain up."""
    calls = []  # (name, module, input spatial size, output spatial size)
    handles = []

    def make_hook(name: str):
        def hook(module, args, output):
            in_size = tuple(args[0].shape[2:]) if args and args[0].ndim == 4 else None
            out_size = tuple(output.shape[2:]) if isinstance(output, torch.Tensor) and output.ndim == 4 else None
            calls.append((name, module, in_size, out_size))

        return hook

    try:
        for name, module in model.named_modules():
            if name and not any(True for _ in module.children()):  # leaves only
                handles.append(module.register_forward_hook(make_hook(name)))
        with _evaluation_mode(model), torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
    steps, size, previous = [], tuple(input_shape[1:]), "the input"
    for name, module, in_size, out_size in calls:
        step = _step_from_module(name, module, in_size or size, out_size or size)
        if step.kind == "global":  # from here on every unit sees the whole input
            steps.append(step)
            break
        if in_size != size:
            raise ValueError(
                f"layer {name!r} receives a {in_size} map but {previous} produced {size}: an operation that is "
                "not a module (e.g. F.max_pool2d or F.interpolate in forward()) changed the size in between, "
                "so the receptive field cannot be read from the modules alone"
            )
        steps.append(step)
        size, previous = out_size, f"layer {name!r}"
    return steps


def _input_interval(step: _Step, first: int, last: int, axis: int) -> tuple[int, int]:
    """The input positions ``[first', last']`` that positions ``[first, last]`` after ``step`` read."""
    k, s, p, d, r = step.kernel[axis], step.stride[axis], step.padding[axis], step.dilation[axis], step.factor[axis]
    if step.kind == "convolution":  # output o reads o·s - p .. o·s - p + d(k-1)
        return first * s - p, last * s - p + d * (k - 1)
    if step.kind == "transposed convolution":  # output o = i·s - p + t·d for taps t = 0 .. k-1
        return -((-(first + p - d * (k - 1))) // s), (last + p) // s  # ceil, floor
    if step.kind in ("pixel shuffle", "upsample (nearest)"):  # output o comes from input o // r
        return first // r, last // r
    if step.kind == "pixel unshuffle":  # output o gathers inputs o·r .. o·r + r-1
        return first * r, last * r + r - 1
    if step.kind == "upsample (bilinear)":  # output o samples (o + ½)/r - ½ and its right neighbour
        return (2 * first + 1 - r) // (2 * r), (2 * last + 1 - r) // (2 * r) + 1
    return first, last  # pointwise


def _jump_factor(step: _Step, axis: int) -> Fraction:
    """How the distance between neighbouring units (in input pixels) changes across ``step``."""
    if step.kind in ("convolution",):
        return Fraction(step.stride[axis])
    if step.kind == "transposed convolution":
        return Fraction(1, step.stride[axis])
    if step.kind in ("pixel shuffle", "upsample (nearest)", "upsample (bilinear)"):
        return Fraction(1, step.factor[axis])
    if step.kind == "pixel unshuffle":
        return Fraction(step.factor[axis])
    return Fraction(1)


def _field_size(steps: list[_Step], axis: int) -> int:
    """Input pixels that one unit after ``steps`` reads, the maximum over unit positions.

    With upsampling the count depends on where the unit sits within its
    up-sampled block (its *phase*), and the pattern repeats after the product
    of all the factors; we try every phase in one period.
    """
    period = math.prod(max(step.stride[axis], step.factor[axis]) for step in steps)
    widest = 0
    for position in range(period):
        first, last = position, position
        for step in reversed(steps):
            first, last = _input_interval(step, first, last, axis)
        widest = max(widest, last - first + 1)
    return widest


@dataclass(frozen=True)
class LayerReceptiveField:
    """One row of the table: after layer ``name`` (a ``kind``), each unit sees ``size`` input pixels, ``jump`` apart."""

    name: str
    kind: str
    size: tuple[int, int]
    jump: tuple[float, float]


@dataclass(frozen=True)
class ReceptiveField:
    """The theoretical receptive field of a model's output units.

    Attributes:
        size: ``(rows, cols)`` of input pixels that can change one output unit.
        covers_whole_input: True when a fully connected layer or global pooling
            lets every output see every input pixel (``size`` is then the input size).
        layers: how the field grows, one :class:`LayerReceptiveField` per layer
            that changes it (pointwise layers left out).
    """

    size: tuple[int, int]
    covers_whole_input: bool
    layers: list[LayerReceptiveField]

    def __str__(self) -> str:
        width = max([len(row.name) for row in self.layers] + [5])
        lines = [f"{'layer':<{width}}  {'kind':<24} {'field':>9}  jump"]
        for row in self.layers:
            field = f"{row.size[0]}×{row.size[1]}"
            lines.append(f"{row.name:<{width}}  {row.kind:<24} {field:>9}  {row.jump[0]:g}")
        return "\n".join(lines)


def receptive_field(model: nn.Module, input_shape: tuple[int, int, int]) -> ReceptiveField:
    """The theoretical receptive field of ``model``'s output, read from its layers.

    Runs ``model`` once on zeros of ``input_shape`` = ``(C, H, W)`` to see
    which leaf modules it calls, in which order and at which sizes, then maps
    one output unit back through them (see the module docstring for the
    formulas, pixel-shuffle upsampling included). Supported layers:
    convolutions (stride, padding, dilation), transposed convolutions, max and
    average pooling, pixel shuffle/unshuffle, nearest/bilinear upsampling,
    pointwise layers; a linear layer or global pooling makes the field the
    whole input. An operation done with a function instead of a module
    (``F.max_pool2d`` in ``forward``) is invisible to hooks: it is detected
    from the sizes and reported as an error rather than ignored.

    For ``pretrained.load("srresnet-x4")`` the field is 48×48 low-resolution
    pixels: 1 + 8 (9×9 head) + 2 × 17 (3×3 convolutions at low resolution) +
    2 (the first upsampling stage's 3×3) + 1 (the second stage's 3×3 at ×2) +
    2 (the 9×9 tail at ×4). The bicubic skip reads only a 4×4 neighbourhood,
    inside that square.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or any(not isinstance(v, int) or v < 1 for v in input_shape):
        raise ValueError(f"input_shape must be (C, H, W) with positive ints, got {input_shape!r}")
    steps = _trace_steps(model, input_shape)
    rows: list[LayerReceptiveField] = []
    jump = [Fraction(1), Fraction(1)]
    for index, step in enumerate(steps):
        if step.kind == "global":
            rows.append(LayerReceptiveField(step.name, step.kind, tuple(input_shape[1:]), (0.0, 0.0)))
            return ReceptiveField(tuple(input_shape[1:]), True, rows)
        jump = [jump[axis] * _jump_factor(step, axis) for axis in (0, 1)]
        if step.kind != "pointwise":
            size = (_field_size(steps[: index + 1], 0), _field_size(steps[: index + 1], 1))
            rows.append(LayerReceptiveField(step.name, step.kind, size, (float(jump[0]), float(jump[1]))))
    size = (_field_size(steps, 0), _field_size(steps, 1)) if steps else (1, 1)
    return ReceptiveField(size, False, rows)


# ----------------------------------------------------------------------------
# Effective receptive field
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveReceptiveField:
    """The result of :func:`effective_receptive_field`.

    Attributes:
        gradient_map: ``(H, W)`` mean over images of ``Σ_c |∂y/∂x_c|``, Luo et al.'s picture.
        output_pixel: ``(row, col)`` of the output pixel ``y``.
        mass: the fraction of the gradient's total that the square must hold.
        side: side of the smallest square window holding ``mass`` of it.
        top_left: ``(row, col)`` of that square in the input.
    """

    gradient_map: torch.Tensor
    output_pixel: tuple[int, int]
    mass: float
    side: int
    top_left: tuple[int, int]

    @property
    def radius(self) -> float:
        """Half the side: how far, in input pixels, the influence reaches from the centre."""
        return self.side / 2


def _smallest_square(weights: torch.Tensor, mass: float) -> tuple[int, tuple[int, int]]:
    """Side and top-left corner of the smallest square window of ``weights`` (H, W) holding ``mass`` of its sum."""
    total = weights.sum()
    for side in range(1, min(weights.shape) + 1):
        window_sums = F.avg_pool2d(weights[None, None], side, stride=1)[0, 0] * side**2  # (H-side+1, W-side+1)
        best = int(window_sums.argmax())
        if window_sums.flatten()[best] >= mass * total:
            return side, divmod(best, window_sums.shape[1])
    return min(weights.shape), (0, 0)


def effective_receptive_field(
    model: nn.Module, inputs: torch.Tensor, *, output_pixel: tuple[int, int] | None = None, mass: float = 0.95
) -> EffectiveReceptiveField:
    """Measure the effective receptive field (Luo, Li, Urtasun & Zemel 2016).

    .. math::
        G(i, j) = \\frac{1}{N} \\sum_{n} \\sum_{c} \\left|
            \\frac{\\partial \\sum_{c'} y_{n,c',p}}{\\partial x_{n,c,i,j}} \\right|

    the gradient of one output pixel ``p`` (summed over its channels) with
    respect to every input pixel, in absolute value, averaged over the images
    (Luo et al. back-propagate a 1 at the centre of the output and 0 elsewhere:
    the same thing). Outside the theoretical field it is exactly zero; inside,
    it is concentrated near the centre. ``side`` is the side of the smallest
    square that holds ``mass`` (95 % by default) of ``Σ G``.

    Args:
        model: maps images ``(N, C, H, W)`` to images ``(N, C', H', W')``
            (a restorer such as SRResNet: ``H' = scale·H``).
        inputs: ``(N, C, H, W)`` in ``[0, 1]``; noise or photographs. Make
            them larger than the theoretical field, or the border cuts it.
        output_pixel: ``(row, col)`` in the output; default its centre.
        mass: fraction in ``(0, 1]``.

    Returns an :class:`EffectiveReceptiveField`.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    if isinstance(mass, bool) or not isinstance(mass, (int, float)) or not 0 < mass <= 1:
        raise ValueError(f"mass must be a fraction in (0, 1], got {mass!r}")
    leaf = inputs.detach().clone().requires_grad_(True)  # (N, C, H, W)
    with _evaluation_mode(model), torch.enable_grad():
        outputs = model(leaf)  # (N, C', H', W')
        if not isinstance(outputs, torch.Tensor) or outputs.ndim != 4:
            shape = tuple(outputs.shape) if isinstance(outputs, torch.Tensor) else type(outputs).__name__
            raise ValueError(f"model must return images (N, C, H, W) to have an output pixel, got {shape}")
        height, width = outputs.shape[-2:]
        row, col = output_pixel if output_pixel is not None else (height // 2, width // 2)
        if not (0 <= row < height and 0 <= col < width):
            raise ValueError(f"output_pixel {(row, col)} is outside the {height}×{width} output")
        pixel = outputs[:, :, row, col].sum()  # one output pixel, its channels summed, over the batch
        (gradient,) = torch.autograd.grad(pixel, leaf)  # (N, C, H, W)
    gradient_map = gradient.abs().sum(1).mean(0)  # (H, W)
    if gradient_map.sum() == 0:
        raise ValueError(f"the gradient of output pixel {(row, col)} is zero everywhere: nothing to measure")
    side, top_left = _smallest_square(gradient_map.double(), float(mass))
    return EffectiveReceptiveField(gradient_map.detach(), (int(row), int(col)), float(mass), side, top_left)


__all__ = [
    "POINTWISE_MODULES",
    "EffectiveReceptiveField",
    "LayerReceptiveField",
    "ReceptiveField",
    "effective_receptive_field",
    "receptive_field",
]
