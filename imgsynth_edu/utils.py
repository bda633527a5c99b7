"""Shared helpers: device choice, seeding, quick mode, atomic file writes.

Everything here is used by every lesson, so it is deliberately tiny:

* :func:`get_device` picks ``cuda``, then ``mps``, then ``cpu``; nothing else in
  the library hard-codes a device.
* :func:`seed_everything` seeds Python, NumPy and torch: a seeded CPU run gives
  the same numbers twice.
* :func:`run_mode` reads the one switch, the environment variable
  ``IMGSYNTH_MODE`` (``quick`` or ``full``); unset, a lesson runs in full mode
  on a CUDA GPU and in quick mode otherwise. CI and nbval set ``quick``.
* :func:`atomic_write` writes a file so that an interrupted save never leaves a
  half-written file behind.

Lesson: ``00_tour.ipynb`` (setup cell).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

#: Measured lesson wall times (written by ``tools/time_lessons.py``).
LESSON_TIMES_PATH = Path(__file__).resolve().parent / "lesson_times.json"
#: Copies of the benchmark results that lessons show (a lesson runs without the repository around it).
BENCHMARK_RESULTS_DIR = Path(__file__).resolve().parent / "benchmark_results"

#: The one environment variable that chooses the lessons' mode: ``quick`` or ``full``.
MODE_ENV_VAR = "IMGSYNTH_MODE"
MODES = ("quick", "full")


@dataclass(frozen=True)
class RunMode:
    """Which mode the lessons run in, and why.

    ``name`` is ``"quick"`` (CI, a first look: every lesson in about two minutes
    on a 2-core CPU, every claim still shown) or ``"full"`` (the real training).
    ``reason`` says who chose it, for the banner.
    """

    name: str
    reason: str

    @property
    def quick(self) -> bool:
        return self.name == "quick"


def run_mode() -> RunMode:
    """The mode, read from ``IMGSYNTH_MODE`` here and nowhere else.

    ``IMGSYNTH_MODE=quick`` or ``IMGSYNTH_MODE=full`` chooses; unset (or empty),
    the mode follows the hardware: **full on a CUDA GPU, quick otherwise**. Any
    other value is an error (a typo must not silently start a long run).
    """
    raw = os.environ.get(MODE_ENV_VAR, "")
    value = raw.strip().lower()
    if value in MODES:
        return RunMode(value, f"set by {MODE_ENV_VAR}={value}")
    if value:
        raise ValueError(
            f"{MODE_ENV_VAR}={raw!r} is not a mode: expected 'quick' or 'full' "
            f"(or leave it unset: full on a CUDA GPU, quick otherwise)"
        )
    if torch.cuda.is_available():
        return RunMode("full", "chosen automatically: a CUDA GPU is present")
    return RunMode("quick", "chosen automatically: no CUDA GPU here")


def is_quick_mode() -> bool:
    """True in quick mode (see :func:`run_mode`)."""
    return run_mode().quick


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
    try:
        kind = torch.device(prefer).type
    except (RuntimeError, TypeError):
        raise ValueError(f"device {prefer!r} is not a device name (such as 'cpu', 'cuda', 'cuda:1' or 'mps'); "
                         f"available here: {available}") from None
    if kind not in available:
        raise ValueError(f"device {prefer!r} is not available here; available devices: {available}")
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


def format_duration(seconds: float) -> str:
    """``95`` -> ``"95 s"``, ``540`` -> ``"9 min"``, ``5400`` -> ``"1.5 h"``: durations as a reader wants them."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        minutes = seconds / 60
        return f"{minutes:.1f} min" if minutes < 10 else f"{minutes:.0f} min"
    return f"{seconds / 3600:.1f} h"


def lesson_times() -> dict:
    """The measured wall times of every lesson, by mode and hardware (``lesson_times.json``).

    Written by ``tools/time_lessons.py``, which runs each lesson in a fresh
    kernel, alone in an empty folder; nothing in it is estimated.
    """
    return json.loads(LESSON_TIMES_PATH.read_text(encoding="utf-8"))


def benchmark_result(name: str) -> dict:
    """The last measured results of ``benchmarks/NAME.py``, as it wrote them to ``benchmarks/results/NAME.json``.

    The package carries a copy of the results that a lesson shows
    (``imgsynth_edu/benchmark_results/NAME.json``; the benchmark script writes
    both, and ``tests/test_benchmark_results.py`` checks that they are the same
    bytes), so a lesson opened alone on Colab reads the measured numbers too.

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    path = BENCHMARK_RESULTS_DIR / f"{name}.json"
    if not isinstance(name, str) or not path.is_file():
        known = sorted(p.stem for p in BENCHMARK_RESULTS_DIR.glob("*.json"))
        raise ValueError(f"name={name!r} is not a benchmark whose results the package carries; known: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def lesson_time_text(lesson: str) -> str:
    """One sentence with a lesson's measured times, e.g. for its "Time:" line and its banner."""
    entry = lesson_times().get("lessons", {}).get(lesson)
    if entry is None:
        raise ValueError(f"lesson={lesson!r} has no measured times in {LESSON_TIMES_PATH.name}; "
                         f"known: {sorted(lesson_times().get('lessons', {}))}")
    parts = []
    for mode in MODES:
        runs = entry.get(mode, {})
        measured = [f"{format_duration(run['seconds'])} on {run['hardware']}" for run in runs.values()]
        parts.append(f"{mode} mode {' / '.join(measured) if measured else 'not measured yet'}")
    return "; ".join(parts) + " (measured, the whole notebook in a fresh kernel)"


def mode_banner(lesson: str | None = None) -> str:
    """What a reader must know before running a lesson: mode and why, device, expected time, how to switch."""
    mode = run_mode()
    device = get_device()
    lines = [f"imgsynth-edu | {mode.name.upper()} mode ({mode.reason}) | device: {device.type}"]
    if lesson is not None:
        lines.append(f"  time: {lesson_time_text(lesson)}")
    other = "full" if mode.quick else "quick"
    what = ("quick: small runs and bundled results, every claim still checked" if mode.quick
            else "full: the real training")
    lines.append(f"  {what}. To switch, run `%env {MODE_ENV_VAR}={other}` in a cell, then run all cells again.")
    return "\n".join(lines)


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
