"""The lessons' measured times are written once (``imgsynth_edu/lesson_times.json``) and shown agreeing.

``tools/time_lessons.py`` records them; the README's table, each lesson's
banner and its "Time:" line (``{{LESSON_TIME}}``) are made from that file, so
no number is typed by hand. These tests fail when the README or a built
notebook is stale, or when a lesson has no entry.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

from imgsynth_edu import utils

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted((REPO / "notebooks" / "src").glob("[0-9][0-9]_*.py"))


def _tool():
    spec = importlib.util.spec_from_file_location("_imgsynth_time_lessons", REPO / "tools" / "time_lessons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_lesson_has_an_entry_and_every_entry_a_lesson():
    entries = set(utils.lesson_times()["lessons"])
    assert entries == {source.stem for source in SOURCES}


def test_recorded_times_are_plausible_measurements():
    for lesson, modes in utils.lesson_times()["lessons"].items():
        for mode, runs in modes.items():
            assert mode in utils.MODES, (lesson, mode)
            for key, run in runs.items():
                assert key in {"cpu", "gpu"} and run["seconds"] > 0 and run["hardware"], (lesson, mode, key, run)


def test_readme_table_is_made_from_the_times_file():
    tool = _tool()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = tool.readme_table(utils.lesson_times())
    assert f"{tool.README_START}\n{table}\n{tool.README_END}" in readme, (
        "README.md's table of lesson times is stale: run `python tools/time_lessons.py --readme`")


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_each_lesson_states_its_measured_time(source):
    assert "Time: {{LESSON_TIME}}" in source.read_text(encoding="utf-8"), (
        f"{source.name}: write the time line as `Time: {{{{LESSON_TIME}}}}` (filled from lesson_times.json)")
    notebook = nbformat.read(REPO / "notebooks" / f"{source.stem}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert f"Time: {utils.lesson_time_text(source.stem)}" in text, (
        f"{source.stem}.ipynb shows another time than lesson_times.json: rebuild it with tools/notebook.py")


def test_readme_table_shows_each_recorded_run(tmp_path):
    tool = _tool()
    times = {"lessons": {"01_x": {"quick": {"cpu": {"seconds": 70.0, "hardware": "a 2-core CPU"}},
                                  "full": {"gpu": {"seconds": 150.0, "hardware": "an NVIDIA H100"}}}}}
    table = tool.readme_table(times)
    assert "| `01_x` | 70 s (a 2-core CPU) | not measured | 2.5 min (an NVIDIA H100) |" in table
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{tool.README_START}\nold\n{tool.README_END}\nrest\n")
    path = tmp_path / "times.json"
    path.write_text(json.dumps(times))
    tool.write_readme_table(path, readme)
    assert readme.read_text() == f"intro\n{tool.README_START}\n{table}\n{tool.README_END}\nrest\n"
