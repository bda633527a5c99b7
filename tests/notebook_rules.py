"""The rules every lesson notebook must follow, each written once.

Each rule is a function ``rule(notebook, name) -> list[str]`` that returns the
problems it finds (an empty list when the notebook follows it). ``notebook`` is
an ``nbformat`` v4 notebook, ``name`` its file name (``00_tour.ipynb``).

Colab readiness (a notebook opened alone on Colab must work):

* :func:`colab_badge`: the first markdown cell has the "Open In Colab" badge,
  pointing at this very file in the repository that pyproject.toml names.
* :func:`setup_cell`: the first code cell has the setup shape of
  CONTRIBUTING.md: installs only under ``if "google.colab" in sys.modules:``,
  ``%matplotlib inline``, the install of the package from pyproject.toml's repository,
  ``print(ise.mode_banner("<this lesson>"))``; and no cell anywhere installs outside that guard or
  installs/upgrades torch, torchvision, numpy or ipywidgets (Colab's own are kept).
* :func:`colab_metadata`: notebook metadata asks for a GPU and a python3 kernel.
* :func:`no_repository_paths`: code never reaches into the repository
  (``../``, ``/work``, ``imgsynth_edu/...``, ``notebooks/...``, ``sys.path`` edits, ``os.chdir``).

Hygiene (the stored outputs are what the book shows):

* :func:`has_outputs`: every code cell ran; the notebook stores outputs and at
  least one image; every top-level ``print``/``display``/``plt.show`` call has output.
* :func:`output_sizes`: no output over :data:`MAX_OUTPUT_BYTES` (1.5 MB), no
  notebook over :data:`MAX_NOTEBOOK_BYTES` (8 MB).
* :func:`no_error_outputs`: no error output and no traceback in a stream.
* :func:`execution_order`: execution counts are 1, 2, ..., n in cell order.
* :func:`no_local_paths`: outputs show no local absolute paths or user names.
* :func:`no_widget_state`: no saved widget state or widget views (Colab's ipywidgets 7
  cannot show ipywidgets 8 state), no frozen progress bars.

Source sync: :func:`source_matches` checks that the ``.ipynb`` cells are exactly
what ``tools/notebook.py`` builds from ``notebooks/src/NN_name.py``.
"""

from __future__ import annotations

import ast
import getpass
import io
import json
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _notebook_tool():
    """``tools/notebook.py``: it builds the notebooks, so it owns the facts they must agree with."""
    import importlib.util
    import sys

    if "_imgsynth_notebook_tool" not in sys.modules:
        spec = importlib.util.spec_from_file_location("_imgsynth_notebook_tool", REPO / "tools" / "notebook.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["_imgsynth_notebook_tool"] = module
    return sys.modules["_imgsynth_notebook_tool"]


TOOL = _notebook_tool()
BADGE_IMAGE = TOOL.BADGE_IMAGE
COLAB_GUARD = 'if "google.colab" in sys.modules:'

#: Largest stored output (its JSON size); a bigger figure belongs in a file, or smaller.
MAX_OUTPUT_BYTES = 1_500_000
#: Largest notebook file.
MAX_NOTEBOOK_BYTES = 8_000_000
#: Packages Colab ships and a lesson must never install or upgrade there.
PROTECTED_PACKAGES = ("torch", "torchvision", "torchaudio", "numpy", "ipywidgets")

_INSTALL = re.compile(r"^\s*[%!]{1,2}\s*(pip|pip3|conda|mamba|uv)\b.*\binstall\b|^\s*!?\s*(python3?\s+-m\s+)?pip3?\s+install\b"
                      r"|^\s*[%!]{1,2}\s*apt(-get)?\s+install\b")
_UPGRADE_FLAGS = re.compile(r"(^|\s)(-U|--upgrade|--force-reinstall|--ignore-installed|-I)(\s|$)")
_REPO_PATH = re.compile(
    r"(^|[\s'\"(=])(\.\./|/work(/|\b)|(\./)?(imgsynth_edu|notebooks|tests|tools|book|benchmarks)/)"
)
_LOCAL_PATH = re.compile(r"(/root(/|\b)|/home/[^\s/'\"]+|/Users/[^\s/'\"]+|/tmp/|/var/folders/|/work(/|\b)|[A-Za-z]:\\\\?Users\\\\?)")


# --- helpers -------------------------------------------------------------------------

def code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _python_only(source: str) -> str:
    """The cell's source with IPython magics and shell lines blanked (so ``ast`` can parse it)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _string_literals(source: str) -> list[str]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(_python_only(source)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return re.findall(r"""(['"])(.*?)\1""", source)
    literals = []
    for token in tokens:
        if token.type == tokenize.STRING:
            try:
                literals.append(str(ast.literal_eval(token.string)))
            except (ValueError, SyntaxError):  # f-strings: keep their raw text
                literals.append(token.string)
    return literals


def _output_texts(output) -> list[str]:
    """All the text an output shows (stream text, text/* data, traceback), never images."""
    if output.output_type == "stream":
        return [output.get("text", "")]
    if output.output_type == "error":
        return [output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])]
    texts = []
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith("+json") or mime == "application/json":
            texts.append(value if isinstance(value, str) else json.dumps(value))
    return texts


# --- Colab readiness -----------------------------------------------------------------

def colab_badge(notebook, name: str) -> list[str]:
    markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    if not markdown:
        return ["no markdown cell: the first one must hold the title and the Open In Colab badge"]
    first = markdown[0].source
    expected = TOOL.colab_url(name)  # from pyproject.toml's [project.urls] Repository
    links = re.findall(r"\]\((https://colab\.research\.google\.com/[^)\s]+)\)", first)
    problems = []
    if f"[![Open In Colab]({BADGE_IMAGE})]({expected})" not in first:
        problems.append(f"the first markdown cell lacks the badge "
                        f"[![Open In Colab]({BADGE_IMAGE})]({expected})")
    problems += [f"Colab link points at {link}, not {expected}" for link in links
                 if link != expected and link != BADGE_IMAGE]
    return problems


def setup_cell(notebook, name: str) -> list[str]:
    cells = code_cells(notebook)
    if not cells:
        return ["no code cell: the first one must be the setup cell"]
    problems = []
    first = cells[0].source.splitlines()
    stripped = [line.strip() for line in first]
    if "import sys" not in stripped:
        problems.append("setup cell does not `import sys` (needed for the Colab check)")
    if COLAB_GUARD not in stripped:
        problems.append(f"setup cell lacks the guard `{COLAB_GUARD}`")
    if "%matplotlib inline" not in stripped:
        problems.append("setup cell lacks `%matplotlib inline`")
    if not any(_INSTALL.search(line) for line in first):
        problems.append("setup cell does not install the course package on Colab")
    elif not any(_INSTALL.search(line) and f'"{TOOL.install_spec()}"' in line for line in first):
        problems.append(f'setup cell does not install "{TOOL.install_spec()}" (the repository of '
                        f"pyproject.toml's [project.urls]; write {{{{INSTALL_SPEC}}}} in the source)")
    banner = f'print(ise.mode_banner("{Path(name).stem}"))'
    if banner not in stripped:
        problems.append(f"setup cell lacks `{banner}` (the banner says the mode, why, and this lesson's times)")
    for index, cell in enumerate(cells):
        lines = cell.source.splitlines()
        for number, line in enumerate(lines):
            if not _INSTALL.search(line):
                continue
            where = f"code cell {index + 1}, line {number + 1}"
            guard = next((previous for previous in reversed(lines[:number])
                          if previous.strip() and len(previous) - len(previous.lstrip()) < len(line) - len(line.lstrip())),
                         None)
            if index != 0 or guard is None or guard.strip() != COLAB_GUARD:
                problems.append(f"{where}: installs outside `{COLAB_GUARD}` (only the setup cell may install, "
                                f"and only on Colab): {line.strip()}")
            if _UPGRADE_FLAGS.search(line):
                problems.append(f"{where}: upgrades or reinstalls packages on Colab: {line.strip()}")
            for package in PROTECTED_PACKAGES:
                if re.search(rf"(^|[\s'\"]){package}([\s'\"<>=!~\[]|$)", line.split("install", 1)[1]):
                    problems.append(f"{where}: installs {package}, which Colab already has (keep Colab's): "
                                    f"{line.strip()}")
    return problems


def colab_metadata(notebook, name: str) -> list[str]:
    metadata = notebook.metadata
    problems = []
    gpu = metadata.get("accelerator") == "GPU" or bool(metadata.get("colab", {}).get("gpuType"))
    if not gpu:
        problems.append("notebook metadata requests no GPU (set accelerator: GPU and colab.gpuType)")
    kernelspec = metadata.get("kernelspec", {})
    if kernelspec.get("name") != "python3" or kernelspec.get("language", "python") != "python":
        problems.append(f"kernelspec must be python3, found {kernelspec or 'none'}")
    return problems


def no_repository_paths(notebook, name: str) -> list[str]:
    problems = []
    for index, cell in enumerate(code_cells(notebook)):
        where = f"code cell {index + 1}"
        for literal in _string_literals(cell.source):
            if _REPO_PATH.search(literal) or _LOCAL_PATH.search(literal):
                problems.append(f"{where}: path into the repository or this machine: {literal!r}")
        python = _python_only(cell.source)
        for pattern, what in ((r"\bsys\.path\.(insert|append|extend)\b", "edits sys.path"),
                              (r"\bos\.chdir\(", "changes directory"),
                              (r"\b__file__\b", "uses __file__")):
            if re.search(pattern, python):
                problems.append(f"{where}: {what}; a lesson must run alone in an empty folder")
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("%cd", "!cd", "%run")) or (
                    line.lstrip().startswith(("!", "%")) and _REPO_PATH.search(line)):
                problems.append(f"{where}: shell/magic line reaches outside the notebook: {line.strip()}")
    return problems


# --- hygiene -------------------------------------------------------------------------

_SHOWS = {"print", "display", "show"}  # top-level calls that always put something on screen


def has_outputs(notebook, name: str) -> list[str]:
    cells = code_cells(notebook)
    problems = []
    not_run = [index + 1 for index, cell in enumerate(cells) if cell.get("execution_count") is None]
    if not_run:
        problems.append(f"code cells {not_run} were never executed: build with tools/notebook.py")
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    if not outputs:
        problems.append("no stored outputs: the book would show no results")
    if not any(key.startswith("image/") for output in outputs for key in output.get("data", {})):
        problems.append("no stored image output: every lesson shows at least one figure")
    for index, cell in enumerate(cells):
        if cell.get("outputs"):
            continue
        try:
            tree = ast.parse(_python_only(cell.source))
        except SyntaxError:
            continue
        for statement in tree.body:  # only top-level calls surely run
            call = statement.value if isinstance(statement, ast.Expr) else None
            if isinstance(call, ast.Call):
                function = call.func
                called = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
                if called in _SHOWS:
                    problems.append(f"code cell {index + 1} calls {called}() but stores no output")
                    break
    return problems


def output_sizes(notebook, name: str, notebook_bytes: int | None = None) -> list[str]:
    problems = []
    for index, cell in enumerate(code_cells(notebook)):
        for output in cell.get("outputs", []):
            size = len(json.dumps(output))
            if size > MAX_OUTPUT_BYTES:
                problems.append(f"code cell {index + 1}: an output of {size / 1e6:.2f} MB "
                                f"(limit {MAX_OUTPUT_BYTES / 1e6:.1f} MB): lower the figure's dpi or size")
    if notebook_bytes is None:
        import nbformat

        notebook_bytes = len(nbformat.writes(notebook).encode("utf-8"))
    if notebook_bytes > MAX_NOTEBOOK_BYTES:
        problems.append(f"notebook is {notebook_bytes / 1e6:.2f} MB (limit {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB)")
    return problems


def no_error_outputs(notebook, name: str) -> list[str]:
    problems = []
    for index, cell in enumerate(code_cells(notebook)):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"code cell {index + 1}: error output {output.get('ename')}: {output.get('evalue')}")
            elif output.output_type == "stream" and "Traceback (most recent call last)" in output.get("text", ""):
                problems.append(f"code cell {index + 1}: a traceback printed to {output.get('name')}")
    return problems


def execution_order(notebook, name: str) -> list[str]:
    counts = [cell.get("execution_count") for cell in code_cells(notebook)]
    expected = list(range(1, len(counts) + 1))
    problems = []
    if counts != expected:
        problems.append(f"execution counts {counts} are not 1..{len(counts)} in order "
                        "(run top to bottom in a fresh kernel: tools/notebook.py)")
    for index, cell in enumerate(code_cells(notebook)):
        for output in cell.get("outputs", []):
            if output.output_type == "execute_result" and output.get("execution_count") != cell.get("execution_count"):
                problems.append(f"code cell {index + 1}: result numbered {output.get('execution_count')}, "
                                f"cell numbered {cell.get('execution_count')}")
    return problems


def no_widget_state(notebook, name: str) -> list[str]:
    """No saved widget state: an ipywidgets 7 front end (Colab's) cannot show state saved by ipywidgets 8."""
    problems = []
    if "widgets" in notebook.metadata:
        problems.append("notebook metadata stores widget state (metadata.widgets): Colab's ipywidgets 7 raises "
                        "'Cannot find model module' on opening; rebuild with tools/notebook.py")
    for index, cell in enumerate(code_cells(notebook)):
        for output in cell.get("outputs", []):
            if TOOL.WIDGET_VIEW_MIME in output.get("data", {}):
                problems.append(f"code cell {index + 1}: a stored widget view ({TOOL.WIDGET_VIEW_MIME}); "
                                "rebuild with tools/notebook.py, which keeps a line of text instead")
            elif TOOL.is_progress_bar(output):
                problems.append(f"code cell {index + 1}: a stored progress bar (frozen where the run left it)")
    return problems


def _user_name() -> str | None:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name to look for
        return None
    return user if len(user) >= 4 and user not in {"root", "runner", "user"} else None


def no_local_paths(notebook, name: str) -> list[str]:
    user = _user_name()
    user_pattern = re.compile(rf"\b{re.escape(user)}\b") if user else None
    problems = []
    for index, cell in enumerate(code_cells(notebook)):
        for output in cell.get("outputs", []):
            for text in _output_texts(output):
                match = _LOCAL_PATH.search(text)
                if match:
                    start = max(0, match.start() - 40)
                    problems.append(f"code cell {index + 1}: output shows a local path "
                                    f"{match.group(0)!r}: ...{text[start:match.end() + 40]!r}")
                    break
                if user_pattern and user_pattern.search(text):
                    problems.append(f"code cell {index + 1}: output shows the user name {user!r}")
                    break
    return problems


# --- source sync --------------------------------------------------------------------

def source_matches(notebook, name: str, source_text: str) -> list[str]:
    """The notebook's cells equal what ``tools/notebook.py`` builds from ``source_text``."""
    tool = _notebook_tool()
    expected = [(cell.cell_type, cell.source) for cell in tool.parse_percent(tool.render(source_text, Path(name).stem))]
    actual = [(cell.cell_type, cell.source) for cell in notebook.cells]
    if expected == actual:
        return []
    if len(expected) != len(actual):
        return [f"{len(actual)} cells in the notebook, {len(expected)} in its source: rebuild with "
                f"`python tools/notebook.py notebooks/src/{Path(name).stem}.py`"]
    first = next(index for index, (a, b) in enumerate(zip(actual, expected)) if a != b)
    return [f"cell {first + 1} differs from notebooks/src/{Path(name).stem}.py: rebuild with tools/notebook.py"]


#: Rules that take (notebook, name), by group.
COLAB_RULES = (colab_badge, setup_cell, colab_metadata, no_repository_paths)
HYGIENE_RULES = (has_outputs, output_sizes, no_error_outputs, execution_order, no_local_paths, no_widget_state)
