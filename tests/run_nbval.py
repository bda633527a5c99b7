"""Run every lesson under nbval in quick mode, each alone in an empty folder.

Each ``notebooks/*.ipynb`` is copied, by itself, into its own empty temporary
folder and validated there with ``pytest --nbval-lax`` against the installed
package: exactly what Colab does (a notebook with no repository around it), so
a notebook that reaches into the repository fails here. Cells marked
``# NBVAL_CHECK_OUTPUT`` must reproduce their stored output; every other cell
must run without error. The wall time of each notebook is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found under notebooks/: nothing was tested", file=sys.stderr)
        return 1
    env = dict(os.environ, IMGSYNTH_MODE="quick", MPLBACKEND="module://matplotlib_inline.backend_inline")
    failures = []
    with tempfile.TemporaryDirectory(prefix="imgsynth-nbval-") as workdir:
        for notebook in notebooks:
            folder = Path(workdir) / notebook.stem
            folder.mkdir()
            shutil.copy2(notebook, folder / notebook.name)
            start = time.time()
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
                 "-p", "no:cacheprovider", "--rootdir", str(folder), "-o", "addopts=",
                 "--nbval-cell-timeout=600", notebook.name],
                cwd=folder, env=env,
            )
            print(f"[nbval] {notebook.name}: {'passed' if result.returncode == 0 else 'FAILED'} "
                  f"in {time.time() - start:.1f} s (quick mode, alone in an empty folder)")
            if result.returncode != 0:
                failures.append(notebook.name)
    if failures:
        print(f"[nbval] failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    print(f"[nbval] {len(notebooks)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
