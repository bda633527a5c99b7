"""SRResNet and the SRGAN discriminator (Ledig et al., CVPR 2017), plus tiled inference.

The generator of the paper's Figure 4, top to bottom:

* **head**      a 9×9 convolution with PReLU lifts the RGB image to ``channels`` features;
* **body**      ``B`` residual blocks ``conv3×3 - BN - PReLU - conv3×3 - BN  (+ input)``,
                then ``conv3×3 - BN`` and a *long skip* from the head's output;
* **upsampler** ``log2(scale)`` stages ``conv3×3 (C -> 4C) - PixelShuffle(2) - PReLU``
                (×3 uses one ``PixelShuffle(3)`` stage);
* **tail**      a 9×9 convolution back to RGB.

Everything before the upsampler runs at the *low* resolution: that is what
makes SRResNet cheap compared with SRCNN, which first enlarges the image.
With ``B = 16`` and 64 channels the ×4 model has 1.55 M parameters.
``batch_norm=False`` removes the BN layers, as EDSR (Lim et al. 2017) found
better for PSNR; the blocks then scale their residual by ``residual_scale``.
``bicubic_skip=True`` adds the bicubic enlargement of the input to the output
(the *global residual learning* of VDSR, Kim et al. 2016): the network then
only learns the detail bicubic misses, starts out exactly as good as bicubic
(its last convolution starts at zero) and needs far fewer steps, which is
what a small CPU-trained model needs.

The discriminator (Figure 4, bottom) is a plain VGG-style classifier: eight
3×3 convolutions, 64 -> 512 features, strided every second layer, LeakyReLU
(0.2), BN after the first, then a dense head ``1024 -> 1`` that outputs a
logit ("is this a real high-resolution patch?").

Images enter and leave in ``[0, 1]``: ``SRResNet.forward(low_res)`` takes an
``N×C×h×w`` batch and returns ``N×C×(scale·h)×(scale·w)``. The output is *not*
clamped (a training loss must see the raw values); :func:`upscale_tiled`
clamps what it returns, and says so.

:func:`upscale_strips` runs any restorer on overlapping tiles so that memory
grows with the tile, not the image, and gives the same result as one pass
(exactly so for a model in ``eval()`` mode, whose BN is a fixed affine map);
it yields the result a row of tiles at a time, so that a command can write
it to a file as it goes. :func:`upscale_tiled` assembles the whole result.

Lesson: ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator

import torch
from torch import nn

from .._checks import check_images, check_positive_int, check_scale
from ..data.degradations import bicubic_upscale

__all__ = [
    "ResidualBlock",
    "SRGANDiscriminator",
    "SRResNet",
    "UpsampleStage",
    "interpolate_networks",
    "interpolate_state_dicts",
    "receptive_field_radius",
    "upsample_factors",
    "upscale_strips",
    "upscale_tiled",
]


class ResidualBlock(nn.Module):
    """``x + s·(conv - BN - PReLU - conv - BN)(x)`` (Ledig et al. 2017, Fig. 4; He et al. 2016).

    The block keeps the shape ``N×C×h×w``. Without BN (EDSR) the residual is
    multiplied by ``residual_scale`` (EDSR uses 0.1 for wide models) so that a
    deep stack starts close to the identity.
    """

    def __init__(self, channels: int, batch_norm: bool = True, residual_scale: float = 1.0):
        super().__init__()
        norm = (lambda: nn.BatchNorm2d(channels)) if batch_norm else nn.Identity
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm),
            norm(),
            nn.PReLU(channels),
            nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm),
            norm(),
        )
        self.residual_scale = residual_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.residual_scale * self.body(x)  # N×C×h×w -> N×C×h×w


class UpsampleStage(nn.Module):
    """``conv3×3 (C -> r²C) - PixelShuffle(r) - PReLU``: sub-pixel convolution (Shi et al. 2016).

    PixelShuffle rearranges ``N×(r²C)×h×w`` into ``N×C×(r·h)×(r·w)``: each
    low-resolution position predicts an ``r×r`` block of output pixels.
    """

    def __init__(self, channels: int, factor: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * factor**2, 3, padding=1)
        self.shuffle = nn.PixelShuffle(factor)
        self.act = nn.PReLU(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)  # N×C×h×w -> N×(r²C)×h×w
        x = self.shuffle(x)  # -> N×C×(r·h)×(r·w)
        return self.act(x)


def upsample_factors(scale: int) -> list[int]:
    """The PixelShuffle factors that make up ``scale``: ``[3]`` for ×3, ``log2(scale)`` times ``2`` otherwise.

    Shared by :class:`SRResNet` and :class:`~imgsynth_edu.models.burst.BurstSR`.

    Lesson: ``05_super_resolution.ipynb`` (the upsampler).
    """
    check_scale(scale)
    return [3] if scale == 3 else [2] * int(math.log2(scale))


class SRResNet(nn.Module):
    """The SRResNet generator (Ledig et al. 2017, Fig. 4, top).

    Args:
        scale: upscaling factor, 2, 3, 4 or 8 (powers of two use ×2 stages,
            3 one ×3 stage).
        num_blocks: ``B``, the residual blocks (16 in the paper).
        channels: feature channels (64 in the paper).
        batch_norm: the paper's BN layers; ``False`` is the EDSR variant.
        residual_scale: multiplies each block's residual (1 in the paper).
        in_channels: 3 for RGB (1 for a greyscale model).
        bicubic_skip: add ``bicubic_upscale(low_res)`` to the output (VDSR's
            global residual; not in the paper), with the tail initialised to 0.

    ``forward(low_res)``: ``N×C×h×w`` in ``[0, 1]`` -> ``N×C×(scale·h)×(scale·w)``
    (not clamped). Training minimises a pixel or perceptual loss against the
    high-resolution image: the MSE version is the paper's "SRResNet-MSE".
    """

    def __init__(
        self,
        scale: int = 4,
        num_blocks: int = 16,
        channels: int = 64,
        batch_norm: bool = True,
        residual_scale: float = 1.0,
        in_channels: int = 3,
        bicubic_skip: bool = False,
    ):
        super().__init__()
        check_scale(scale)
        check_positive_int(num_blocks, "num_blocks")
        check_positive_int(channels, "channels")
        check_positive_int(in_channels, "in_channels")
        self.scale = scale
        self.in_channels = in_channels
        norm = (lambda: nn.BatchNorm2d(channels)) if batch_norm else nn.Identity
        self.head = nn.Sequential(nn.Conv2d(in_channels, channels, 9, padding=4), nn.PReLU(channels))
        self.body = nn.Sequential(
            *[ResidualBlock(channels, batch_norm, residual_scale) for _ in range(num_blocks)],
            nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm),
            norm(),
        )
        self.upsampler = nn.Sequential(*[UpsampleStage(channels, f) for f in upsample_factors(scale)])
        self.tail = nn.Conv2d(channels, in_channels, 9, padding=4)
        self.bicubic_skip = bool(bicubic_skip)
        if self.bicubic_skip:
            nn.init.zeros_(self.tail.weight)  # start as plain bicubic
            nn.init.zeros_(self.tail.bias)

    def forward(self, low_res: torch.Tensor) -> torch.Tensor:
        features = self.head(low_res)  # N×3×h×w -> N×C×h×w
        features = features + self.body(features)  # long skip; N×C×h×w
        features = self.upsampler(features)  # -> N×C×(s·h)×(s·w)
        high_res = self.tail(features)  # -> N×3×(s·h)×(s·w)
        if self.bicubic_skip:
            high_res = high_res + bicubic_upscale(low_res, self.scale, clip=False)  # global residual
        return high_res


def _discriminator_block(in_channels: int, out_channels: int, stride: int, batch_norm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class SRGANDiscriminator(nn.Module):
    """The SRGAN discriminator (Ledig et al. 2017, Fig. 4, bottom).

    Eight 3×3 convolutions with ``64, 64, 128, 128, 256, 256, 512, 512``
    features (stride 2 on every second one, halving the size four times),
    LeakyReLU(0.2), BN after all but the first; then
    ``AdaptiveAvgPool(6) - Dense(1024) - LeakyReLU - Dense(1)``. The pooling
    lets it take any patch size >= 16 (the paper uses 96×96, where the pool
    is the identity on the 6×6 map). ``forward(images)`` returns ``N`` logits
    (``D(x) = sigmoid(logit)``).
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 64):
        super().__init__()
        check_positive_int(in_channels, "in_channels")
        check_positive_int(base_channels, "base_channels")
        widths = [base_channels * m for m in (1, 1, 2, 2, 4, 4, 8, 8)]
        layers: list[nn.Module] = []
        previous = in_channels
        for index, width in enumerate(widths):
            stride = 2 if index % 2 == 1 else 1
            layers += _discriminator_block(previous, width, stride, batch_norm=index > 0)
            previous = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(previous * 6 * 6, 1024),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, 1),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.features(images * 2 - 1)  # N×3×H×W in [-1, 1] -> N×512×(H/16)×(W/16)
        features = self.pool(features)  # -> N×512×6×6
        return self.classifier(features).squeeze(1)  # -> N logits


# ----------------------------------------------------------------------------
# Tiled inference
# ----------------------------------------------------------------------------
def receptive_field_radius(model: nn.Module) -> int:
    """How many low-resolution pixels on each side influence one output pixel.

    Every ``k×k`` convolution at low resolution adds ``(k - 1) / 2``; those
    after an upsampling stage add ``(k - 1) / 2`` output pixels, i.e. a
    fraction of a low-resolution pixel. We count every convolution as if it ran
    at low resolution, which overestimates slightly: a safe tile overlap.

    A model with no ``nn.Conv2d`` to count (an ONNX Runtime session,
    :class:`imgsynth_edu.export.OnnxUpscaler`) states its radius in an int
    attribute ``receptive_field_radius``, which is returned as it is.
    """
    declared = getattr(model, "receptive_field_radius", None)
    if isinstance(declared, int) and not isinstance(declared, bool):
        return declared
    radius = 2 if getattr(model, "bicubic_skip", False) else 0  # bicubic reads 2 pixels each side
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            radius += (module.kernel_size[0] - 1) // 2 * module.dilation[0]
    return radius


def upscale_strips(
    model,
    image: torch.Tensor,
    scale: int,
    tile: int = 256,
    overlap: int | None = None,
) -> Iterator[torch.Tensor]:
    """Run ``model`` on overlapping ``tile × tile`` tiles and yield the result one row of tiles at a time.

    Each tile is enlarged by ``overlap`` pixels on every side (where the image
    allows), restored, and only its centre is kept: with ``overlap`` at least
    the model's receptive-field radius (:func:`receptive_field_radius`, the
    default), each kept pixel saw exactly the input it would have seen in one
    pass, so tiled == untiled (within float rounding; exactly so in
    ``eval()`` mode, where BN is a fixed affine map).

    Yielding strips instead of one assembled result is what bounds the memory
    of a whole command: the network holds one ``(tile + 2·overlap)²`` tile,
    the caller one strip of ``scale·tile`` output rows, which it can write to
    a file and drop (``imgsynth-edu upscale`` does). Nothing ever holds the
    whole ``(scale·H) × (scale·W)`` result unless the caller keeps it
    (:func:`upscale_tiled` does).

    Args:
        model: a restorer ``N×C×h×w -> N×C×(scale·h)×(scale·w)``: an
            ``nn.Module`` (run on the device of its parameters) or any such
            callable (then give ``overlap``; it runs where ``image`` is).
        image: ``N×C×H×W`` (or ``C×H×W``) in ``[0, 1]``.
        scale: the model's scale factor.
        tile: side of the kept low-resolution tile.
        overlap: extra context around each tile (default: the receptive field).

    Yields ``N×C×(scale·rows)×(scale·W)`` strips (``C×…`` for a ``C×H×W``
    input), top to bottom, on ``image``'s device, clamped to ``[0, 1]``
    (bicubic-like overshoot at edges is cut, as when the image is saved to an
    8-bit file); ``rows`` is ``tile`` except for the last strip. Arguments are
    checked when this is called, not when the first strip is asked for.

    Lesson: ``05_super_resolution.ipynb`` (upscaling your own photo).
    """
    squeeze = image.ndim == 3
    if squeeze:
        image = image[None]
    check_images(image, "image")
    check_positive_int(scale, "scale")
    check_positive_int(tile, "tile")
    if overlap is None:
        if not isinstance(model, nn.Module):
            raise ValueError("overlap must be given when model is not an nn.Module (its receptive field is unknown)")
        overlap = receptive_field_radius(model)
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 0:
        raise ValueError(f"overlap must be an int >= 0, got {overlap!r}")
    parameter = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    device = parameter.device if parameter is not None else image.device
    return _strips(model, image, scale, tile, overlap, device, squeeze)


def _strips(model, image, scale, tile, overlap, device, squeeze) -> Iterator[torch.Tensor]:
    """The loop of :func:`upscale_strips` (a generator, so that the checks above run eagerly)."""
    count, channels, height, width = image.shape
    for top in range(0, height, tile):
        bottom = min(top + tile, height)
        strip = torch.empty(count, channels, (bottom - top) * scale, width * scale,
                            dtype=image.dtype, device=image.device)  # N×C×(s·rows)×(s·W)
        for left in range(0, width, tile):
            right = min(left + tile, width)
            # The tile plus its context, cut at the image border.
            top_c, left_c = max(top - overlap, 0), max(left - overlap, 0)
            bottom_c, right_c = min(bottom + overlap, height), min(right + overlap, width)
            patch = image[:, :, top_c:bottom_c, left_c:right_c].to(device)  # N×C×(t+2o)×(t+2o)
            # no_grad around the call only: a `with` block around a `yield` would switch autograd
            # off in the *caller's* code too, for as long as the generator is suspended.
            with torch.no_grad():
                restored = model(patch)  # -> N×C×s(t+2o)×s(t+2o)
            keep_top, keep_left = (top - top_c) * scale, (left - left_c) * scale
            kept = restored[:, :, keep_top : keep_top + (bottom - top) * scale,
                            keep_left : keep_left + (right - left) * scale]  # N×C×(s·t)×(s·t)
            strip[:, :, :, left * scale : right * scale] = kept.to(strip)
        strip.clamp_(0.0, 1.0)  # in place: a copy would double the strip's memory
        yield strip[0] if squeeze else strip
        del strip, restored, kept  # the caller has this strip: hold nothing while the next one is made


def upscale_tiled(
    model,
    image: torch.Tensor,
    scale: int,
    tile: int = 256,
    overlap: int | None = None,
) -> torch.Tensor:
    """The whole result of :func:`upscale_strips`, assembled: ``N×C×(scale·H)×(scale·W)`` in ``[0, 1]``.

    Memory: the network's is bounded by the tile, but the result itself is
    ``scale²`` times the input (a 4000×3000 photo at ×4: 2.3 GB of float32).
    To write a large result to a file, consume :func:`upscale_strips`
    instead, as ``imgsynth-edu upscale`` does.

    Lesson: ``05_super_resolution.ipynb`` (upscaling your own photo).
    """
    strips = upscale_strips(model, image, scale, tile=tile, overlap=overlap)
    height, width = image.shape[-2:]
    output = torch.empty(*image.shape[:-2], height * scale, width * scale, dtype=image.dtype,
                         device=image.device)  # (N×)C×(s·H)×(s·W)
    top = 0
    for strip in strips:
        rows = strip.shape[-2]
        output[..., top : top + rows, :] = strip
        top += rows
    return output


# ----------------------------------------------------------------------------
# Network interpolation (ESRGAN)
# ----------------------------------------------------------------------------
def interpolate_state_dicts(
    first: dict[str, torch.Tensor], second: dict[str, torch.Tensor], alpha: float
) -> dict[str, torch.Tensor]:
    """Blend two state dicts of the same architecture, weight by weight: ``(1 - α)·θ₁ + α·θ₂``.

    .. math::
        \\theta^{\\mathrm{interp}} = (1 - \\alpha)\\,\\theta^{\\mathrm{PSNR}} + \\alpha\\,\\theta^{\\mathrm{GAN}}

    (Wang et al. 2018, ESRGAN, Sec. 3.4, "network interpolation"): with ``first``
    a network trained for PSNR and ``second`` the same network fine-tuned
    adversarially *from it*, ``α`` moves the result continuously from one end
    of the perception-distortion trade-off to the other, with no retraining.
    It works because the fine-tuned weights stay close to their starting point;
    blending two independently trained networks gives nonsense.

    Every floating-point tensor is blended; integer buffers (such as BatchNorm's
    ``num_batches_tracked``) are copied from ``first``. ``alpha`` must lie in
    ``[0, 1]``; the tensors of ``first`` and ``second`` must match in names and shapes.

    Lesson: ``05_super_resolution.ipynb`` (the network-interpolation widget).
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    if set(first) != set(second):
        only = sorted(set(first) ^ set(second))
        raise ValueError(f"first and second must hold the same tensors; these are in only one of them: {only[:5]}")
    alpha = float(alpha)
    blended = {}
    for name, tensor in first.items():
        other = second[name]
        if tensor.shape != other.shape:
            raise ValueError(f"{name!r} has shape {tuple(tensor.shape)} in first but {tuple(other.shape)} in second")
        if tensor.is_floating_point():
            blended[name] = (1.0 - alpha) * tensor + alpha * other.to(tensor)  # same shape as tensor
        else:
            blended[name] = tensor.clone()
    return blended


def interpolate_networks(first: nn.Module, second: nn.Module, alpha: float) -> nn.Module:
    """A new network whose weights are ``(1 - α)·θ_first + α·θ_second`` (ESRGAN's network interpolation).

    ``first`` and ``second`` must be the same architecture (say ``srresnet-x4``
    and ``srgan-x4``, fine-tuned from it). Neither is changed; the result is a
    copy of ``first`` in ``eval()`` mode with the blended weights
    (:func:`interpolate_state_dicts`).

    Lesson: ``05_super_resolution.ipynb``.
    """
    if not isinstance(first, nn.Module) or not isinstance(second, nn.Module):
        raise TypeError(f"first and second must be torch.nn.Module, got {type(first).__name__}, {type(second).__name__}")
    if type(first) is not type(second):
        raise ValueError(f"first and second must be the same architecture, got {type(first).__name__} "
                         f"and {type(second).__name__}")
    blended = copy.deepcopy(first)
    blended.load_state_dict(interpolate_state_dicts(first.state_dict(), second.state_dict(), alpha))
    return blended.eval()
