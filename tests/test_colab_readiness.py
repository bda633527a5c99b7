"""Every lesson is ready to open alone on Colab (fast: reads the .ipynb files, runs no kernel).

The rules live in ``tests/notebook_rules.py`` (one function each): the Colab
badge points at the notebook's own path, the first code cell has the setup shape
of CONTRIBUTING.md (installs only on Colab, never torch/numpy/ipywidgets,
``%matplotlib inline``), the metadata asks for a GPU and a python3 kernel, and
no code reaches into the repository. Each rule is also run on a fixture
notebook broken in exactly its way (``tests/fixtures/notebooks/bad_<rule>.ipynb``):
it must fire there, and only it (one test for every rule, in ``test_notebook_hygiene.py``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import notebook_rules as rules
import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("*.ipynb"))
FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
ALL_RULES = rules.COLAB_RULES + rules.HYGIENE_RULES


def test_there_are_lessons_to_check():
    assert LESSONS, "no notebooks/*.ipynb found: the readiness tests would check nothing"


@pytest.mark.parametrize("rule", rules.COLAB_RULES, ids=lambda rule: rule.__name__)
@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.name)
def test_lesson_is_colab_ready(path, rule):
    problems = rule(nbformat.read(path, as_version=4), path.name)
    assert problems == [], f"{path.name} breaks {rule.__name__}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.__name__)
def test_compliant_fixture_passes_every_rule(rule):
    path = FIXTURES / "good.ipynb"
    assert rule(nbformat.read(path, as_version=4), path.name) == []


def test_badge_must_name_the_file_it_is_in():
    notebook = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    assert rules.colab_badge(notebook, "good.ipynb") == []
    assert rules.colab_badge(notebook, "01_gan_from_scratch.ipynb"), "a badge pointing at good.ipynb passed for another file"


@pytest.mark.parametrize("line, fires", [
    ('    %pip install --quiet "imgsynth-edu @ git+https://github.com/imgsynth-edu/imgsynth-edu"', False),
    ('    %pip install --quiet "imgsynth-edu @ git+https://github.com/imgsynth-edu/imgsynth-edu" numpy', True),
    ("    !pip install -U imgsynth-edu", True),
    ("    %pip install --force-reinstall imgsynth-edu", True),
    ("    !pip install torch>=2.3", True),
    ("    %pip install ipywidgets", True),
    ("    %pip install torchvision", True),
])
def test_setup_cell_install_lines(line, fires):
    notebook = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    setup = next(cell for cell in notebook.cells if cell.cell_type == "code")
    lines = setup.source.splitlines()
    install = next(index for index, text in enumerate(lines) if "%pip install" in text)
    lines[install] = line
    setup.source = "\n".join(lines)
    assert bool(rules.setup_cell(notebook, "good.ipynb")) is fires, rules.setup_cell(notebook, "good.ipynb")


@pytest.mark.parametrize("code, fires", [
    ('data = load("results/points.csv")', False),  # a file the lesson itself wrote, relative to its folder
    ('image = imread("../images/cat.png")', True),
    ('weights = torch.load("/work/main/imgsynth_edu/pretrained/weights/dcgan.pt")', True),
    ('source = open("imgsynth_edu/models/gan.py").read()', True),
    ('%run ../tools/helpers.py', True),
    ('import os\nos.chdir("..")', True),
    ('print("the generator is imgsynth_edu.models.gan.Generator")', False),
])
def test_repository_path_detection(code, fires):
    notebook = nbformat.read(FIXTURES / "good.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    assert bool(rules.no_repository_paths(notebook, "good.ipynb")) is fires
