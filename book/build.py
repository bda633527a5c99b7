"""Build the book: copy the lessons in, build HTML offline with warnings as errors.

    python book/build.py            # or: make book

1. Copies every ``notebooks/*.ipynb`` (with the outputs that
   ``tools/notebook.py`` stored) into ``book/lessons/`` (a build folder, not
   committed), removing lessons that no longer exist.
2. Runs ``jupyter-book build book --all --warningiserror --keep-going``:
   Jupyter Book 1, Sphinx underneath, no code executed and no network used.
   Any warning (a broken cross-reference, a missing image, an unknown
   citation, a malformed notebook) fails the build, after all of them have
   been reported.
3. Prints the wall time and where the HTML is; exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent


def copy_lessons(notebooks: Path = REPO / "notebooks", lessons: Path = BOOK / "lessons") -> list[Path]:
    """Mirror ``notebooks/*.ipynb`` into ``lessons`` (stale copies removed)."""
    sources = sorted(notebooks.glob("*.ipynb"))
    if not sources:
        raise SystemExit(f"no notebooks found in {notebooks}: nothing to put in the book")
    lessons.mkdir(exist_ok=True)
    wanted = {source.name for source in sources}
    for stale in lessons.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for source in sources:
        shutil.copy2(source, lessons / source.name)
    return [lessons / source.name for source in sources]


def jupyter_book_command() -> list[str]:
    """``jupyter-book`` from the same environment as this Python (a venv need not be activated)."""
    beside = Path(sys.executable).parent / "jupyter-book"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "jupyter_book"]


def build(book: Path = BOOK, notebooks: Path = REPO / "notebooks", builder: str = "html") -> int:
    """Copy ``notebooks/*.ipynb`` into ``book/lessons`` and build; returns the exit code (0 = no warning)."""
    copied = copy_lessons(notebooks, book / "lessons")
    print(f"[book] {len(copied)} lessons: {', '.join(p.name for p in copied)}")
    command = jupyter_book_command() + [
        "build", str(book), "--all", "--warningiserror", "--keep-going", "--builder", builder,
    ]
    start = time.time()
    result = subprocess.run(command, cwd=book.parent)
    seconds = time.time() - start
    if result.returncode != 0:
        print(f"[book] FAILED after {seconds:.1f} s (warnings are errors; see the messages above)", file=sys.stderr)
        return result.returncode or 1
    print(f"[book] built in {seconds:.1f} s: {book / '_build' / builder / 'index.html'}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builder", default="html", help="jupyter-book builder (default html)")
    parser.add_argument("--book", type=Path, default=BOOK, help="the book folder (default: this one)")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks", help="where the lessons are")
    args = parser.parse_args(argv)
    return build(args.book.resolve(), args.notebooks.resolve(), args.builder)


if __name__ == "__main__":
    sys.exit(main())
