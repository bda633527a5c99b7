"""Run lessons top to bottom and record their measured wall times in ``imgsynth_edu/lesson_times.json``.

Each lesson (the built ``notebooks/NN_name.ipynb``) runs in a fresh kernel,
alone in an empty temporary folder (as Colab and the notebook tests run it), in
the mode asked for. A lesson whose run raises — a claim check that does not
hold, say — is reported and its time is NOT recorded: a recorded time is a
time of a run in which every check passed.

    python tools/time_lessons.py --mode full notebooks/01_gan_from_scratch.ipynb
    python tools/time_lessons.py --mode quick notebooks/*.ipynb
    python tools/time_lessons.py --mode full --record-to times.json --keep-executed out/ notebooks/*.ipynb   # on a GPU machine

The hardware label defaults to "a N-core CPU" or the CUDA device's name; the
key under which it is stored is ``cpu`` or ``gpu``. ``--record-to`` writes a
separate file (for runs on another machine, merged later with ``--merge``).

The lesson's banner and its "Time:" line (``{{LESSON_TIME}}``, filled in by
``tools/notebook.py``) read this file: rebuild the notebooks after recording.
``--readme`` rewrites the table of times in README.md (between the
``<!-- lesson-times -->`` markers) from it; a test checks that they agree.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
TIMES = REPO / "imgsynth_edu" / "lesson_times.json"


def hardware() -> tuple[str, str]:
    """``(key, label)``: ``("gpu", "an NVIDIA H100 80GB HBM3")`` or ``("cpu", "a 2-core CPU")``."""
    import torch

    if torch.cuda.is_available():
        return "gpu", f"an {torch.cuda.get_device_name(0)}"
    return "cpu", f"a {os.cpu_count()}-core CPU"


class TimingClient(NotebookClient):
    """A notebook runner without nbclient's emulation of the Output widget.

    nbclient imitates a browser's Output widget so that captured output lands
    in the right cell; its bookkeeping asserts that hooks are removed in the
    order they were added, which the ``interactive`` widgets of a long lesson
    do not always do (a bare ``AssertionError`` from the runner, not from the
    lesson). A timing run needs no captured widget output, so widget comms are
    left unhandled and no widget state is kept.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, store_widget_state=False, **kwargs)
        self.comm_open_handlers = {"jupyter.widget": lambda message: None}


def run_lesson(path: Path, mode: str, timeout: int, keep_executed: Path | None) -> float:
    """Execute ``path`` in ``mode``; return its wall time in seconds (raises if a cell fails)."""
    notebook = nbformat.read(path, as_version=4)
    previous = os.environ.get("IMGSYNTH_MODE")
    os.environ["IMGSYNTH_MODE"] = mode
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        with tempfile.TemporaryDirectory(prefix="imgsynth-time-") as folder:
            start = time.perf_counter()
            TimingClient(notebook, timeout=timeout, kernel_name="python3",
                         resources={"metadata": {"path": folder}}).execute()
            seconds = time.perf_counter() - start
    finally:
        if previous is None:
            os.environ.pop("IMGSYNTH_MODE", None)
        else:
            os.environ["IMGSYNTH_MODE"] = previous
    if keep_executed is not None:
        keep_executed.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, keep_executed / path.name)
    return seconds


def record(times_path: Path, lesson: str, mode: str, key: str, label: str, seconds: float) -> None:
    data = json.loads(times_path.read_text(encoding="utf-8")) if times_path.exists() else {"lessons": {}}
    entry = data.setdefault("lessons", {}).setdefault(lesson, {"quick": {}, "full": {}})
    entry.setdefault(mode, {})[key] = {"seconds": round(seconds, 1), "hardware": label,
                                       "date": datetime.date.today().isoformat()}
    tmp = times_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(times_path)


def merge(source: Path, target: Path) -> None:
    """Copy every measured run of ``source`` (e.g. from a GPU machine) into ``target``."""
    for lesson, modes in json.loads(source.read_text(encoding="utf-8")).get("lessons", {}).items():
        for mode, runs in modes.items():
            for key, run in runs.items():
                record(target, lesson, mode, key, run["hardware"], run["seconds"])


README = REPO / "README.md"
README_START, README_END = "<!-- lesson-times:start -->", "<!-- lesson-times:end -->"


def readme_table(times: dict) -> str:
    """The README's table of measured lesson times (markdown), from ``lesson_times.json``'s content."""
    from imgsynth_edu.utils import format_duration

    def cell(runs: dict, key: str) -> str:
        run = runs.get(key)
        return f"{format_duration(run['seconds'])} ({run['hardware']})" if run else "not measured"

    rows = ["| lesson | quick mode, CPU | full mode, CPU | full mode, GPU |", "|---|---|---|---|"]
    for lesson, modes in sorted(times.get("lessons", {}).items()):
        rows.append(f"| `{lesson}` | {cell(modes.get('quick', {}), 'cpu')} | {cell(modes.get('full', {}), 'cpu')} "
                    f"| {cell(modes.get('full', {}), 'gpu')} |")
    return "\n".join(rows)


def write_readme_table(times_path: Path = TIMES, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme.name} lacks the markers {README_START} ... {README_END}")
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    table = readme_table(json.loads(times_path.read_text(encoding="utf-8")))
    readme.write_text(f"{before}{README_START}\n{table}\n{README_END}{after}", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--mode", choices=("quick", "full"))
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take")
    parser.add_argument("--hardware", help="label to record (default: detected)")
    parser.add_argument("--record-to", type=Path, default=TIMES, help=f"JSON to record into (default {TIMES.name})")
    parser.add_argument("--keep-executed", type=Path, help="write each executed notebook into this folder")
    parser.add_argument("--merge", type=Path, help="merge the runs of this JSON into --record-to, then stop")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's table of times, then stop")
    args = parser.parse_args(argv)
    if args.merge:
        merge(args.merge, args.record_to)
        return 0
    if args.readme:
        write_readme_table()
        return 0
    if not args.mode or not args.notebooks:
        parser.error("--mode and at least one notebook are required (or --merge FILE)")
    key, label = hardware()
    label = args.hardware or label
    failed = []
    for path in args.notebooks:
        try:
            seconds = run_lesson(path, args.mode, args.timeout, args.keep_executed)
        except Exception as error:  # noqa: BLE001 - report every lesson, record none that failed
            print(f"[time] {path.stem}: FAILED in {args.mode} mode on {label}: {type(error).__name__}: "
                  f"{str(error)[-2000:]}", flush=True)
            failed.append(path.stem)
            continue
        record(args.record_to, path.stem, args.mode, key, label, seconds)
        print(f"[time] {path.stem}: {args.mode} mode on {label}: {seconds:.1f} s (recorded)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
