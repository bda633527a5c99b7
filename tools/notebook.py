"""Build a lesson notebook from its percent-format source and store its outputs.

Lessons are written as plain Python files in ``notebooks/src/NN_name.py``
(diffable, reviewable) in the "percent" format::

    # %% [markdown]
    # # Title
    # Some *markdown*.

    # %%
    import imgsynth_edu

``python tools/notebook.py notebooks/src/00_tour.py`` writes
``notebooks/00_tour.ipynb`` with the course's metadata (kernel, Colab GPU),
then executes it in quick mode, alone in an empty temporary folder (as Colab
and the notebook tests do), and stores the outputs that the book shows.
``--no-execute`` only converts.

Three placeholders in a source are filled in at build time, so that each fact
is written in one place:

* ``{{COLAB_BADGE}}``: the "Open in Colab" badge of this very notebook, on the
  repository named by ``pyproject.toml``'s ``[project.urls] Repository``;
* ``{{INSTALL_SPEC}}``: what the setup cell installs on Colab (the package from
  that repository);
* ``{{LESSON_TIME}}``: the lesson's measured wall times
  (``imgsynth_edu/lesson_times.json``, written by ``tools/time_lessons.py``).

Stored notebooks carry no saved widget state: Colab's ipywidgets 7 cannot show
state saved by ipywidgets 8 (it prints ``Cannot find model module
@jupyter-widgets/controls@2.0.0``). A widget's output keeps only a line of text;
the static figure in the next cell shows the same picture in the book.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_PLACEHOLDER_TEXT = ("Interactive widget: run this notebook (locally or on Colab) to use it; "
                           "the static figure below shows the same.")


def repository_url() -> str:
    """``[project.urls] Repository`` of pyproject.toml: the one place the repository's URL is written."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r"^\[project\.urls\]\s*$(?P<body>.*?)(^\[|\Z)", text, re.M | re.S)
    url = re.search(r'^Repository\s*=\s*"(?P<url>https://github\.com/[^"]+?)/?"\s*$', match["body"] if match else "", re.M)
    if url is None:
        raise ValueError("pyproject.toml has no [project.urls] Repository = \"https://github.com/OWNER/NAME\"")
    return url["url"]


def colab_url(notebook_name: str) -> str:
    """The Colab address that opens ``notebooks/<notebook_name>`` of the repository's main branch."""
    owner_and_name = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_and_name}/blob/main/notebooks/{notebook_name}"


def install_spec() -> str:
    """What the setup cell installs on Colab: the course package from the repository."""
    return f"imgsynth-edu @ git+{repository_url()}"


def render(text: str, stem: str) -> str:
    """Fill the placeholders of a lesson source (see the module docstring)."""
    replacements = {
        "{{COLAB_BADGE}}": lambda: f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(stem + '.ipynb')})",
        "{{INSTALL_SPEC}}": install_spec,
        "{{LESSON_TIME}}": lambda: _lesson_time_text(stem),
    }
    for placeholder, value in replacements.items():
        if placeholder in text:
            text = text.replace(placeholder, value())
    leftover = re.findall(r"\{\{[A-Z_]+\}\}", text)
    if leftover:
        raise ValueError(f"unknown placeholders in the source of {stem}: {sorted(set(leftover))}")
    return text


def _lesson_time_text(stem: str) -> str:
    from imgsynth_edu.utils import lesson_time_text

    return lesson_time_text(stem)


#: tqdm's progress bars: "GAN (non-saturating):   0%|          | 0/500 [00:00<?, ?it/s]"
PROGRESS_BAR_TEXT = re.compile(r"\[\d+:\d\d(:\d\d)?(<[^\]]*)?,[^\]]*(it/s|s/it)")


def is_progress_bar(output) -> bool:
    """A tqdm progress bar (a widget in a kernel, text on stderr elsewhere): it means nothing once stored."""
    if output.get("output_type") == "stream":
        return output.get("name") == "stderr" and bool(PROGRESS_BAR_TEXT.search(output.get("text", "")))
    return bool(PROGRESS_BAR_TEXT.search(str(output.get("data", {}).get("text/plain", ""))))


def is_widget_placeholder(output) -> bool:
    """The text that :func:`strip_widget_state` leaves where a lesson displayed a widget."""
    return output.get("data", {}).get("text/plain") == WIDGET_PLACEHOLDER_TEXT


def strip_widget_state(notebook) -> int:
    """Remove saved widget state and widget views (see the module docstring); returns how many widgets.

    A lesson's widget keeps one line of text (:data:`WIDGET_PLACEHOLDER_TEXT`);
    a progress bar, frozen wherever the run left it, is dropped.
    """
    notebook.metadata.pop("widgets", None)
    widgets = 0
    for cell in notebook.cells:
        kept = []
        for output in cell.get("outputs", []):
            if is_progress_bar(output):
                continue
            data = output.get("data", {})
            if WIDGET_VIEW_MIME in data:
                del data[WIDGET_VIEW_MIME]
                data["text/plain"] = WIDGET_PLACEHOLDER_TEXT
                widgets += 1
            kept.append(output)
        if "outputs" in cell:
            cell.outputs = kept
    return widgets

METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
    "accelerator": "GPU",
    "colab": {"provenance": [], "gpuType": "T4"},
}


def parse_percent(text: str) -> list:
    """Split a percent-format file into nbformat cells."""
    cells, kind, lines = [], None, []

    def flush():
        if kind is None:
            return
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)
            cells.append(nbformat.v4.new_markdown_cell(body))
        else:
            cells.append(nbformat.v4.new_code_cell("\n".join(lines)))

    for line in text.splitlines():
        match = CELL_MARKER.match(line)
        if match:
            flush()
            kind, lines = ("markdown" if "[markdown]" in match["rest"] else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(source: Path, execute: bool = True, timeout: int = 600) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = parse_percent(render(source.read_text(encoding="utf-8"), source.stem))
    notebook.metadata.update(METADATA)
    target = REPO / "notebooks" / f"{source.stem}.ipynb"
    if execute:
        with tempfile.TemporaryDirectory(prefix="imgsynth-nb-") as workdir:
            env_before = os.environ.get("IMGSYNTH_MODE")
            os.environ["IMGSYNTH_MODE"] = "quick"
            os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
            try:
                start = time.time()
                NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                               resources={"metadata": {"path": workdir}}).execute()
                print(f"executed {source.name} in {time.time() - start:.1f} s (quick mode, in {workdir})")
            finally:
                if env_before is None:
                    os.environ.pop("IMGSYNTH_MODE", None)
                else:
                    os.environ["IMGSYNTH_MODE"] = env_before
        for cell in notebook.cells:  # keep the stored notebook free of run-specific noise
            cell.metadata.pop("execution", None)
        strip_widget_state(notebook)
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, tmp)
    shutil.move(tmp, target)
    print(f"wrote {target.relative_to(REPO)}")
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--no-execute", action="store_true")
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args(argv)
    for source in args.sources:
        build(source, execute=not args.no_execute, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
