"""Input checks shared by the whole library.

Every public function validates what it is given and raises an error that
names the argument and says what was expected. Nothing is silently clipped
or guessed.
"""

from __future__ import annotations

import torch


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
