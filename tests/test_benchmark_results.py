"""The benchmark results a lesson shows travel with the package, as the very bytes the benchmark wrote.

Lesson 09 runs alone on Colab, without ``benchmarks/results/`` around it, so
the package carries copies (``imgsynth_edu/benchmark_results/NAME.json``,
read by ``utils.benchmark_result``). The benchmark scripts write both files;
this test fails when one was changed without the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imgsynth_edu import utils

REPO = Path(__file__).resolve().parents[1]
PACKAGED = sorted(utils.BENCHMARK_RESULTS_DIR.glob("*.json"))


def test_the_package_carries_what_lesson_09_shows():
    assert {path.stem for path in PACKAGED} >= {"export", "ddp_overhead"}


@pytest.mark.parametrize("path", PACKAGED, ids=lambda path: path.stem)
def test_each_packaged_result_is_the_benchmarks_own_file(path):
    original = REPO / "benchmarks" / "results" / path.name
    assert (REPO / "benchmarks" / f"{path.stem}.py").is_file(), f"{path.name}: no benchmarks/{path.stem}.py wrote it"
    assert path.read_bytes() == original.read_bytes(), (
        f"{path.relative_to(REPO)} differs from {original.relative_to(REPO)}: copy it (the benchmark writes both)")


def test_benchmark_result_reads_the_packaged_copy_and_refuses_unknown_names():
    assert utils.benchmark_result("ddp_overhead")["runs"]["cpu"]["world_size"] == 1
    with pytest.raises(ValueError, match="name='nonexistent' is not a benchmark"):
        utils.benchmark_result("nonexistent")
