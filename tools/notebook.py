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
    notebook.cells = parse_percent(source.read_text(encoding="utf-8"))
    notebook.metadata.update(METADATA)
    target = REPO / "notebooks" / f"{source.stem}.ipynb"
    if execute:
        with tempfile.TemporaryDirectory(prefix="imgsynth-nb-") as workdir:
            env_before = os.environ.get("IMGSYNTH_QUICK")
            os.environ["IMGSYNTH_QUICK"] = "1"
            os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
            try:
                start = time.time()
                NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                               resources={"metadata": {"path": workdir}}).execute()
                print(f"executed {source.name} in {time.time() - start:.1f} s (quick mode, in {workdir})")
            finally:
                if env_before is None:
                    os.environ.pop("IMGSYNTH_QUICK", None)
                else:
                    os.environ["IMGSYNTH_QUICK"] = env_before
        for cell in notebook.cells:  # keep the stored notebook free of run-specific noise
            cell.metadata.pop("execution", None)
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
