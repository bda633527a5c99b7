"""Input checks shared by the whole library, and the constants they check against.

Every public function validates what it is given and raises an error that
names the argument and says what was expected. Nothing is silently clipped
or guessed. A check that two modules need lives here, once: images
(:func:`check_images`), pairs compared element by element (:func:`check_pair`),
class labels (:func:`check_labels`), inpainting masks (:func:`check_masks`)
and super-resolution scales (:func:`check_scale`, :data:`SUPPORTED_SCALES`).
"""

from __future__ import annotations

import torch

#: The upscaling factors of every restorer and burst of the course (SRResNet, BurstSR, synthetic bursts):
#: ×3 is one PixelShuffle(3) stage, the others log2(scale) PixelShuffle(2) stages.
SUPPORTED_SCALES = (2, 3, 4, 8)


def check_images(
    images,
    name: str = "images",
    *,
    data_range: float = 1.0,
    channels: tuple[int, ...] | None = None,
    min_size: int | None = None,
) -> torch.Tensor:
    """Check that ``images`` is a floating ``N×C×H×W`` tensor in ``[0, data_range]``.

    Returns the tensor unchanged. Raises ``TypeError`` for a non-tensor or an
    integer tensor and ``ValueError`` for a wrong rank, NaN/inf, values out of
    range, an unexpected channel count or a too-small image.
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(images).__name__}")
    if not images.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor with values in [0, {data_range:g}], "
            f"got dtype {images.dtype} (convert with .float() / {data_range:g} first)"
        )
    if images.ndim != 4:
        raise ValueError(f"{name} must have shape N×C×H×W (4 dims), got shape {tuple(images.shape)}")
    if images.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(images.shape)})")
    if channels is not None and images.shape[1] not in channels:
        raise ValueError(f"{name} must have {' or '.join(map(str, channels))} channels, got {images.shape[1]}")
    if min_size is not None and min(images.shape[-2:]) < min_size:
        raise ValueError(
            f"{name} must be at least {min_size}×{min_size} pixels, got {tuple(images.shape[-2:])}"
        )
    if not torch.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    low, high = images.min().item(), images.max().item()
    if low < 0 or high > data_range:
        raise ValueError(
            f"{name} must have values in [0, {data_range:g}], got min {low:.4g} and max {high:.4g} "
            "(nothing is clipped silently: clamp or rescale it yourself if that is what you mean)"
        )
    return images


def check_same_shape(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def check_pair(
    first,
    second,
    names: tuple[str, str] = ("pred", "target"),
    *,
    data_range: float | None = None,
    min_size: int | None = None,
    what: str = "",
) -> None:
    """Check two tensors that are compared element by element (a prediction and its target).

    Both must be floating-point tensors of the same shape. With ``data_range``
    (metrics) both must also be images in ``[0, data_range]``
    (:func:`check_images`) of the same dtype, on the same device, and at least
    ``min_size`` pixels per side (``what`` says why, e.g. "for 5-scale MS-SSIM").
    Without it (losses) any values are allowed: a network's raw output may leave ``[0, 1]``.
    """
    name_a, name_b = names
    if data_range is None:
        for name, value in ((name_a, first), (name_b, second)):
            if not isinstance(value, torch.Tensor) or not value.is_floating_point():
                raise TypeError(f"{name} must be a floating-point tensor, got {type(value).__name__}")
        check_same_shape(first, second, name_a, name_b)
        return
    check_images(first, name_a, data_range=data_range)
    check_images(second, name_b, data_range=data_range)
    check_same_shape(first, second, name_a, name_b)
    if first.dtype != second.dtype:
        raise TypeError(f"{name_a} and {name_b} must have the same dtype, got {first.dtype} and {second.dtype}")
    if first.device != second.device:
        raise ValueError(f"{name_a} and {name_b} must be on the same device, got {first.device} and {second.device}")
    if min_size is not None and min(first.shape[-2:]) < min_size:
        raise ValueError(
            f"{name_a} and {name_b} must be at least {min_size}×{min_size} pixels {what}, "
            f"got {tuple(first.shape[-2:])}"
        )


def check_labels(labels, count: int, num_classes: int, name: str = "labels") -> torch.Tensor:
    """Check a label tensor: ``count`` integer class indices in ``[0, num_classes)``.

    Returns it as ``int64``. Raises ``TypeError`` for a non-integer tensor and
    ``ValueError`` for the wrong length or a class outside the range.
    """
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of class indices, got {type(labels).__name__}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor of class indices, got dtype {labels.dtype}")
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D tensor of {count} class indices, got shape {tuple(labels.shape)}")
    if len(labels) != count:
        raise ValueError(f"{name} must hold one class index per image: expected {count}, got {len(labels)}")
    if count and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{name} must be class indices in [0, {num_classes - 1}], "
            f"got min {int(labels.min())} and max {int(labels.max())}"
        )
    return labels.long()


def check_masks(masks, images: torch.Tensor | None = None, name: str = "masks") -> torch.Tensor:
    """Check that ``masks`` is a binary float ``N×1×H×W`` tensor (matching ``images`` if given).

    1 marks the hole (the pixels to fill in), 0 the known pixels. Returns
    ``masks``. Raises ``TypeError`` for a non-tensor or non-float tensor and
    ``ValueError`` for a wrong shape or a value other than 0 and 1 (a soft
    mask is refused, never rounded silently).
    """
    if not isinstance(masks, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(masks).__name__}")
    if not masks.is_floating_point():
        raise TypeError(f"{name} must be a float tensor of 0s and 1s, got dtype {masks.dtype} (use .float())")
    if masks.ndim != 4 or masks.shape[1] != 1:
        raise ValueError(f"{name} must have shape N×1×H×W, got {tuple(masks.shape)}")
    if images is not None and (masks.shape[0] != images.shape[0] or masks.shape[-2:] != images.shape[-2:]):
        raise ValueError(
            f"{name} must have shape {images.shape[0]}×1×{images.shape[-2]}×{images.shape[-1]} "
            f"to match the images, got {tuple(masks.shape)}"
        )
    if not ((masks == 0) | (masks == 1)).all():
        raise ValueError(f"{name} must be binary (only 0 = known and 1 = hole), found other values")
    return masks


def check_scale(scale, name: str = "scale") -> int:
    """Raise unless ``scale`` is one of :data:`SUPPORTED_SCALES`; returns it."""
    if isinstance(scale, bool) or scale not in SUPPORTED_SCALES:
        raise ValueError(f"{name} must be one of {SUPPORTED_SCALES}, got {scale!r}")
    return scale


def check_positive_int(value, name: str) -> int:
    """Raise unless ``value`` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_non_negative(value, name: str) -> float:
    """Raise unless ``value`` is a finite number >= 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def check_choice(value, name: str, choices) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
