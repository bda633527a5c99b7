"""The stored lesson notebooks are clean: the book shows exactly these outputs.

Rules (one function each in ``tests/notebook_rules.py``): every code cell ran
and the notebook stores outputs including a figure; no stored output is larger
than 1.5 MB (``MAX_OUTPUT_BYTES``) and no notebook larger than 8 MB
(``MAX_NOTEBOOK_BYTES``); no error outputs; execution counts 1..n in order; no
local absolute paths (``/root``, ``/home/...``, ``/tmp/``, ``/work``, ...) or the
user's name in outputs. Each rule must fire on its broken fixture
(``tests/fixtures/notebooks/bad_<rule>.ipynb``) and only there.

Two more guards: every ``notebooks/NN_name.ipynb`` has its source
``notebooks/src/NN_name.py`` and its cells are exactly what ``tools/notebook.py``
builds from it (sources and notebooks never drift); and every widget a lesson
displays has a row in ``tests/browser/widgets_spec.py`` (so the browser tests
drive it).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import notebook_rules as rules
import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("*.ipynb"))
FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
ALL_RULES = rules.COLAB_RULES + rules.HYGIENE_RULES
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _load_widget_spec():
    path = REPO / "tests" / "browser" / "widgets_spec.py"
    spec = importlib.util.spec_from_file_location("_imgsynth_widgets_spec", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module.SPEC


def test_there_are_lessons_to_check():
    assert LESSONS, "no notebooks/*.ipynb found: the hygiene tests would check nothing"


@pytest.mark.parametrize("rule", rules.HYGIENE_RULES, ids=lambda rule: rule.__name__)
@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.name)
def test_lesson_is_clean(path, rule):
    notebook = nbformat.read(path, as_version=4)
    if rule is rules.output_sizes:
        problems = rule(notebook, path.name, notebook_bytes=path.stat().st_size)
    else:
        problems = rule(notebook, path.name)
    assert problems == [], f"{path.name} breaks {rule.__name__}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.__name__)
def test_rule_fires_on_its_broken_fixture_and_only_there(rule):
    """Hygiene and Colab-readiness rules alike: each fires on its own broken fixture, and no other rule does."""
    path = FIXTURES / f"bad_{rule.__name__}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    assert rule(notebook, path.name), f"{rule.__name__} did not fire on {path.name}, which breaks it"
    others = {other.__name__: other(notebook, path.name) for other in ALL_RULES if other is not rule}
    assert all(problems == [] for problems in others.values()), (
        f"{path.name} should break only {rule.__name__}; also fired: "
        f"{ {name: problems for name, problems in others.items() if problems} }"
    )


def test_notebook_size_limit_fires():
    notebook = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    assert rules.output_sizes(notebook, "good.ipynb", notebook_bytes=rules.MAX_NOTEBOOK_BYTES) == []
    assert rules.output_sizes(notebook, "good.ipynb", notebook_bytes=rules.MAX_NOTEBOOK_BYTES + 1)


@pytest.mark.parametrize("text, fires", [
    ("saved to samples/grid.png\n", False),
    ("saved to /tmp/tmpab12/grid.png\n", True),
    ("/root/.cache/torch/hub/checkpoints/vgg19.pth\n", True),
    ("C:\\Users\\bob\\AppData\\x.py:3: UserWarning\n", True),
    ("the square root of 2 is 1.414\n", False),
])
def test_local_path_detection(text, fires):
    notebook = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    notebook.cells[2].outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text))
    assert bool(rules.no_local_paths(notebook, "good.ipynb")) is fires


# --- sources and notebooks never drift --------------------------------------------------

@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.name)
def test_lesson_matches_its_percent_source(path):
    source = REPO / "notebooks" / "src" / f"{path.stem}.py"
    assert source.exists(), f"{path.name} has no source notebooks/src/{path.stem}.py (see CONTRIBUTING.md)"
    problems = rules.source_matches(nbformat.read(path, as_version=4), path.name, source.read_text(encoding="utf-8"))
    assert problems == [], f"{path.name}: " + "; ".join(problems)


def test_every_source_has_its_notebook():
    sources = sorted((REPO / "notebooks" / "src").glob("[0-9][0-9]_*.py"))
    missing = [source.name for source in sources if not (REPO / "notebooks" / f"{source.stem}.ipynb").exists()]
    assert missing == [], f"sources without a built notebook (run tools/notebook.py): {missing}"


def test_source_sync_rule_fires_on_drift():
    good = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    assert rules.source_matches(good, "good.ipynb", (FIXTURES / "src" / "good.py").read_text()) == []
    drift = nbformat.read(FIXTURES / "drift.ipynb", as_version=4)
    problems = rules.source_matches(drift, "drift.ipynb", (FIXTURES / "src" / "drift.py").read_text())
    assert problems and "cell 5 differs" in problems[0]


# --- every displayed widget is driven by the browser tests ------------------------------


def _widget_cells(notebook) -> list:
    """Code cells that display a lesson widget (stored as tools/notebook.py's placeholder line)."""
    return [cell for cell in notebook.cells if cell.cell_type == "code"
            and any(rules.TOOL.is_widget_placeholder(output) for output in cell.get("outputs", []))]


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.name)
def test_every_widget_has_a_browser_spec_row(path):
    rows = [row for row in _load_widget_spec() if row.notebook == path.name]
    uncovered = [cell.source for cell in _widget_cells(nbformat.read(path, as_version=4))
                 if not any(row.cell in cell.source for row in rows)]
    assert uncovered == [], (
        f"{path.name} displays widgets with no row in tests/browser/widgets_spec.py "
        f"(the browser tests would not drive them); cells: {uncovered}"
    )


def test_every_browser_spec_row_names_one_displaying_cell():
    for row in _load_widget_spec():
        path = REPO / "notebooks" / row.notebook
        assert path.exists(), f"widgets_spec row {row.test_id}: {row.notebook} does not exist"
        cells = [cell for cell in _widget_cells(nbformat.read(path, as_version=4)) if row.cell in cell.source]
        assert len(cells) == 1, (f"widgets_spec row {row.test_id}: {len(cells)} widget-displaying cells "
                                 f"of {row.notebook} contain {row.cell!r}; need exactly one")
        assert row.steps, f"widgets_spec row {row.test_id} changes no control"


@pytest.mark.parametrize("text, is_progress_bar", [
    ("SRResNet:   0%|          | 0/30 [00:00<?, ?it/s]", True),
    ("train: 100%|##########| 200/200 [01:02<00:00, 3.21it/s, loss=0.1]", True),
    ("0it [00:00, ?it/s]", True),
    ("epochs: 50%|#####     | 1/2 [00:10<00:10, 10.02s/it]", True),
    ("VBox(children=(HBox(children=(Dropdown(description='photo', options=('astronaut', 'coffee'…", False),
])
def test_progress_bars_are_dropped_and_lesson_widgets_kept_as_a_line(text, is_progress_bar):
    notebook = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell("display(explorer.widget)", execution_count=4)
    cell.outputs = [nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "m"}, "text/plain": text})]
    notebook.cells.append(cell)
    notebook.metadata["widgets"] = {"state": {}}
    assert rules.no_widget_state(notebook, "good.ipynb")
    rules.TOOL.strip_widget_state(notebook)
    assert rules.no_widget_state(notebook, "good.ipynb") == []
    assert "widgets" not in notebook.metadata
    if is_progress_bar:
        assert cell.outputs == [] and _widget_cells(notebook) == []
    else:
        assert [output["data"] for output in cell.outputs] == [{"text/plain": rules.TOOL.WIDGET_PLACEHOLDER_TEXT}]
        assert _widget_cells(notebook) == [cell]


def test_widget_spec_check_catches_an_uncovered_widget():
    notebook = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell("display(NewExplorer().widget)", execution_count=4)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": rules.TOOL.WIDGET_PLACEHOLDER_TEXT})]
    notebook.cells.append(cell)
    assert [c.source for c in _widget_cells(notebook)] == ["display(NewExplorer().widget)"]
    assert not any(row.cell in cell.source for row in _load_widget_spec())
