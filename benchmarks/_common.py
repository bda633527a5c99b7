"""What every benchmark shares: a best-of-N timer and a name for the machine.

The scripts are run as ``python benchmarks/NAME.py``, so this folder is on
``sys.path`` and they import it as ``from _common import ...``.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path


def best_time(function, repeats: int, synchronize=None) -> float:
    """The fastest of ``repeats`` timed calls of ``function`` (seconds), after one warm-up call.

    The minimum, not the mean: on a shared machine, noise only ever adds time.
    ``synchronize`` (e.g. ``torch.cuda.synchronize``) is called around each timed
    call so that asynchronous GPU work is counted.
    """
    function()  # warm-up (allocations, kernels, lazy imports)
    times = []
    for _ in range(repeats):
        if synchronize:
            synchronize()
        start = time.perf_counter()
        function()
        if synchronize:
            synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), for the JSON record."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_results(report: dict, *paths: Path) -> None:
    """Write ``report`` as indented JSON to each of ``paths``, atomically (same bytes in each); print each path.

    A benchmark whose figures a lesson shows writes twice: ``benchmarks/results/NAME.json``
    and the package's copy in ``imgsynth_edu/benchmark_results/`` (a test keeps them equal).
    """
    import json

    from imgsynth_edu.utils import atomic_write

    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "w") as handle:
            json.dump(report, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        print(f"wrote {path}")
