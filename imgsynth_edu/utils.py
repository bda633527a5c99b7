"""Shared helpers: device choice, seeding, quick mode, atomic file writes.

Everything here is used by every lesson, so it is deliberately tiny:

* :func:`get_device` picks ``cuda``, then ``mps``, then ``cpu``; nothing else in
  the library hard-codes a device.
* :func:`seed_everything` seeds Python, NumPy and torch: a seeded CPU run gives
  the same numbers twice.
* :func:`is_quick_mode` reads the one switch (the environment variable
  ``IMGSYNTH_QUICK``) that shrinks every lesson's training to seconds. CI and
  nbval set it; Colab and a laptop run the full lesson.
* :func:`atomic_write` writes a file so that an interrupted save never leaves a
  half-written file behind.

Lesson: ``00_tour.ipynb`` (setup cell).
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

#: The one environment variable that switches quick mode on ("1", "true", "yes").
QUICK_ENV_VAR = "IMGSYNTH_QUICK"


def is_quick_mode() -> bool:
    """True when ``IMGSYNTH_QUICK`` is set to 1/true/yes (read here and nowhere else)."""
    return os.environ.get(QUICK_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def quick_or_full(quick, full):
    """Return ``quick`` in quick mode and ``full`` otherwise.

    Lessons size their experiments with it, e.g. ``steps = quick_or_full(50, 5000)``.
    """
    return quick if is_quick_mode() else full


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: ``cuda``, then Apple ``mps``, then ``cpu``.

    ``prefer`` (for example ``"cpu"``) forces a choice; asking for a device that
    is not available raises a ``ValueError`` that says which ones are.
    """
    available = ["cpu"]
    if torch.cuda.is_available():
        available.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        available.insert(1 if available[0] == "cuda" else 0, "mps")
    if prefer is None:
        return torch.device(available[0])
    kind = torch.device(prefer).type
    if kind not in available:
        raise ValueError(f"prefer={prefer!r} is not available here; available devices: {available}")
    return torch.device(prefer)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's ``random``, NumPy and torch (CPU and CUDA) with ``seed``.

    Returns a ``torch.Generator`` seeded the same way, for functions that take
    an explicit ``generator=`` argument.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def mode_banner() -> str:
    """One line that tells a reader which mode a notebook ran in, and on what device."""
    device = get_device()
    if is_quick_mode():
        mode = f"QUICK mode ({QUICK_ENV_VAR}=1): training shrunk to seconds; results are rough"
    else:
        mode = f"FULL mode: the complete lesson (set {QUICK_ENV_VAR}=1 for a seconds-long run)"
    return f"imgsynth-edu | {mode} | device: {device.type}"


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path``; rename it onto ``path`` only on success.

    If the block raises (or the process dies), ``path`` is untouched and the
    temporary file is removed: no half-written file is ever left behind::

        with atomic_write("model.pt") as f:
            torch.save(state, f)
    """
    if mode not in {"wb", "w"}:
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file private (0600); give it the usual permissions (0666 minus umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def save_state_dict(state: dict, path: str | os.PathLike) -> Path:
    """``torch.save`` a state dict atomically (see :func:`atomic_write`)."""
    path = Path(path)
    with atomic_write(path) as handle:
        torch.save(state, handle)
    return path


def load_state_dict(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Load a checkpoint saved by :func:`save_state_dict` with ``weights_only=True``.

    A missing or corrupt file raises a ``ValueError`` that names the path.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint path {str(path)!r} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises several types for a corrupt file
        raise ValueError(
            f"checkpoint {str(path)!r} could not be read as a torch state dict "
            f"(corrupt or not a checkpoint): {error}"
        ) from error
