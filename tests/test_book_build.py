"""The book: builds offline with warnings as errors, renders benchmark JSON, fails on a broken reference.

The end-to-end tests build a copy of ``book/`` in a temporary folder around a
one-cell fixture lesson and fixture benchmark results, so they do not depend on
(or disturb) the real lessons and results.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build_module = _load("book_build", BOOK / "build.py")
tables = _load("benchmark_tables", BOOK / "_ext" / "benchmark_tables.py")


def _texts(node) -> str:
    return node.astext()


def test_render_result_shows_scalars_lists_and_nested_tables():
    result = {
        "description": "PSNR speed, ours vs scikit-image",
        "device": "cpu (2 cores)",
        "ratio": 1.2345678,
        "settings": {"size": 256, "repeats": 5},
        "rows": [{"impl": "ours", "ms": 3.25}, {"impl": "skimage", "ms": 4.0125, "note": "peer"}],
        "per_size": {"64": {"ours": 0.5}, "256": {"ours": 2.5, "peer": 3.0}},
    }
    rendered = "\n".join(_texts(node) for node in tables.render_result("psnr_speed", result))
    for expected in ("psnr_speed", "PSNR speed, ours vs scikit-image", "cpu (2 cores)", "1.235",
                     "settings.size", "256", "skimage", "4.013", "peer", "per_size", "2.5"):
        assert expected in rendered, f"{expected!r} missing from the rendered tables"


def test_render_result_flattens_mixed_nesting():
    # the shape benchmarks/metrics.py writes: objects of objects, and objects mixing scalars and objects
    result = {
        "ssim": {"cpu": {"seconds": {"ours": 0.0125, "peer": 0.0375}, "speedup": 3.0}},
        "frechet_distance": {"dims": 2048, "seconds": {"ours": 1.5, "scipy": 6.75}, "target_met": True},
    }
    nodes = tables.render_result("metrics", result)
    rendered = "\n".join(_texts(node) for node in nodes)
    for expected in ("frechet_distance.seconds.scipy", "6.75", "2048", "seconds.peer", "0.0375", "cpu"):
        assert expected in rendered, f"{expected!r} missing from the rendered tables"
    assert "{" not in rendered, "a nested object was shown as raw JSON instead of columns"


def test_format_numbers():
    assert tables._format(0.000012345) == "1.234e-05"
    assert tables._format(12345) == "12,345"
    assert tables._format(3.14159) == "3.142"
    assert tables._format([1, 2.5]) == "1, 2.5"


def test_copy_lessons_mirrors_and_removes_stale(tmp_path):
    notebooks, lessons = tmp_path / "notebooks", tmp_path / "lessons"
    notebooks.mkdir()
    lessons.mkdir()
    (notebooks / "00_a.ipynb").write_text("{}")
    (lessons / "99_gone.ipynb").write_text("{}")
    copied = build_module.copy_lessons(notebooks, lessons)
    assert [p.name for p in copied] == ["00_a.ipynb"]
    assert sorted(p.name for p in lessons.iterdir()) == ["00_a.ipynb"]
    with pytest.raises(SystemExit, match="no notebooks"):
        build_module.copy_lessons(tmp_path / "empty", lessons)


def _fixture_notebook() -> nbformat.NotebookNode:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    cell = nbformat.v4.new_code_cell("plot()")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"})]
    notebook.cells = [nbformat.v4.new_markdown_cell("# 99 · Fixture lesson\n\nSee {cite:p}`keys1981`."), cell]
    return notebook


@pytest.fixture(scope="module")
def book_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("bookcopy")
    book = root / "book"
    shutil.copytree(BOOK, book, ignore=shutil.ignore_patterns("_build", "lessons", "__pycache__"))
    (root / "notebooks").mkdir()
    nbformat.write(_fixture_notebook(), root / "notebooks" / "99_fixture.ipynb")
    (root / "benchmarks" / "results").mkdir(parents=True)
    (root / "benchmarks" / "bench_measured.py").write_text("")
    (root / "benchmarks" / "never_run.py").write_text("")
    (root / "benchmarks" / "results" / "measured.json").write_text(
        json.dumps({"device": "fixture-cpu", "ratio": 0.8765, "rows": [{"impl": "ours", "seconds": 12.5}]}))
    return root


@pytest.mark.slow
def test_book_builds_with_lesson_figures_and_benchmark_numbers(book_copy):
    book = book_copy / "book"
    assert build_module.build(book, book_copy / "notebooks") == 0
    html = book / "_build" / "html"
    lesson = (html / "lessons" / "99_fixture.html").read_text(encoding="utf-8")
    assert "Fixture lesson" in lesson
    assert "<img" in lesson and "_images/" in lesson, "the lesson's stored figure is not on its page"
    assert list((html / "_images").glob("*.png")), "no figure was copied into the book"
    assert "Keys" in lesson, "the citation did not resolve"
    benchmarks = (html / "benchmarks.html").read_text(encoding="utf-8")
    assert "fixture-cpu" in benchmarks and "0.8765" in benchmarks and "12.5" in benchmarks
    assert "never_run" in benchmarks and "not yet measured" in benchmarks
    assert "bench_measured" not in benchmarks.split("Not yet measured")[-1], "a measured benchmark is listed as missing"
    for page in ("intro", "notation", "glossary", "common_mistakes", "references"):
        assert (html / f"{page}.html").is_file(), f"{page} page missing"


@pytest.mark.slow
def test_book_build_fails_on_a_broken_reference(book_copy):
    book = book_copy / "book"
    intro = book / "intro.md"
    original = intro.read_text(encoding="utf-8")
    try:
        intro.write_text(original + "\nSee {doc}`no_such_page` and {cite:p}`no_such_key`.\n", encoding="utf-8")
        assert build_module.build(book, book_copy / "notebooks") != 0
    finally:
        intro.write_text(original, encoding="utf-8")
