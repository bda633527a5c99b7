"""Peak memory of the whole ``imgsynth-edu upscale`` command: streamed strips against assembling the result.

    python benchmarks/upscale_memory.py            # 1000×750, 2000×1500 and 4000×3000 photos at ×4
    python benchmarks/upscale_memory.py --quick    # 1000×750 only

Each run is a fresh child process (read, tile, write: exactly the command a
user types) that reports its own peak resident set size
(``getrusage(RUSAGE_SELF).ru_maxrss``), and the command's own peak: the
peak resident memory above what the process held before the command (Linux's
``VmHWM`` after resetting it through ``/proc/self/clear_refs``; Python, torch
and the model take about 650 MB before it starts). Three ways, on the same input in the
same run:

* ``streamed``  -- the command as it is: ``upscale_strips`` yields one row of
  tiles at a time and ``write_image_strips`` compresses it into the PNG and
  drops it. Nothing holds the ``(4h)×(4w)`` result.
* ``assembled`` -- the peer: the same tiles assembled into the whole float32
  result (``upscale_tiled``) and then written (the command before streaming).
* ``untiled``   -- one pass of the network over the whole image, then
  written: what the tiles save (``--tile`` larger than the image).

The model is a tiny SRResNet (1 block, 4 channels), so the figures are the
command's memory (image, result, writer) more than a large network's
activations, which the tiles bound in the same way. Writes
``benchmarks/results/upscale_memory.json`` and prints the ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import cpu_name

RESULTS = Path(__file__).resolve().parent / "results" / "upscale_memory.json"
SCALE = 4
TILE = 256
MODES = ("streamed", "assembled", "untiled")


def child(mode: str, source: str, target: str, model: str) -> None:
    """One ``upscale`` command in this process; prints its peak RSS as JSON."""
    import torch

    from imgsynth_edu import cli
    from imgsynth_edu.cli import sr
    from imgsynth_edu.models.srresnet import upscale_tiled

    torch.set_num_threads(1)
    tile = TILE
    if mode in ("assembled", "untiled"):  # the whole result in memory, handed to the writer as one strip
        sr.upscale_strips = lambda *args, **kwargs: iter([upscale_tiled(*args, **kwargs)])
    if mode == "untiled":
        tile = 10**6  # one tile: the network sees the whole image at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    resident_before = _status_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset VmHWM to the current RSS: what follows is the command's own peak
    started = time.perf_counter()
    code = cli.main(["upscale", source, target, "--scale", str(SCALE), "--checkpoint", model, "--device", "cpu",
                     "--tile", str(tile), "--overwrite"])
    assert code == 0, f"upscale failed with exit status {code}"
    seconds = time.perf_counter() - started
    print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_before_command_mb": before, "command_peak_mb": _status_mb("VmHWM") - resident_before,
                      "seconds": seconds}))


def _pixel_digest(path: Path) -> str:
    """SHA-256 of a PNG's decoded pixel rows, read a row at a time (the largest result is 576 MB of pixels)."""
    import hashlib

    import png

    digest = hashlib.sha256()
    for row in png.Reader(filename=str(path)).asDirect()[2]:
        digest.update(bytes(row))
    return digest.hexdigest()


def _status_mb(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "IN", "OUT", "MODEL"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import torch
    from PIL import Image

    from imgsynth_edu.cli.cards import save_model_and_card
    from imgsynth_edu.models.srresnet import SRResNet

    sizes = [(1000, 750)] if args.quick else [(1000, 750), (2000, 1500), (4000, 3000)]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        torch.manual_seed(0)
        arguments = {"scale": SCALE, "num_blocks": 1, "channels": 4, "batch_norm": False}
        model = folder / "tiny.pt"
        save_model_and_card(SRResNet(**arguments), model, {"name": "tiny", "arguments": arguments,
                                                           "architecture": "imgsynth_edu.models.srresnet.SRResNet"})
        outputs = {}
        for width, height in sizes:
            source = folder / f"photo_{width}x{height}.png"
            rng = np.random.default_rng(0)
            Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(source)
            row = {"input": f"{width}x{height}", "output": f"{SCALE * width}x{SCALE * height}",
                   "output_float32_mb": SCALE**2 * width * height * 3 * 4 / 2**20}
            for mode in MODES:
                target = folder / f"out_{mode}.png"
                result = subprocess.run([sys.executable, __file__, "--child", mode, str(source), str(target),
                                         str(model)], capture_output=True, text=True, check=True)
                row[mode] = json.loads(result.stdout.strip().splitlines()[-1])
                outputs[mode] = _pixel_digest(target)
                target.unlink()
            # the three ways must write the same picture, or the comparison means nothing
            row["same_pixels"] = all(outputs["streamed"] == outputs[mode] for mode in MODES)
            for mode in ("assembled", "untiled"):
                row[f"peak_ratio_{mode}_over_streamed"] = row[mode]["peak_rss_mb"] / row["streamed"]["peak_rss_mb"]
                row[f"command_peak_ratio_{mode}_over_streamed"] = (row[mode]["command_peak_mb"]
                                                                   / row["streamed"]["command_peak_mb"])
            rows.append(row)
            print(f"{row['input']} -> {row['output']} (float32 result {row['output_float32_mb']:.0f} MB): "
                  "peak RSS (the command's own) "
                  + ", ".join(f"{mode} {row[mode]['peak_rss_mb']:.0f} MB ({row[mode]['command_peak_mb']:.0f} MB)"
                              for mode in MODES)
                  + f"; command ratio assembled/streamed {row['command_peak_ratio_assembled_over_streamed']:.1f}, "
                  f"untiled/streamed {row['command_peak_ratio_untiled_over_streamed']:.1f}; "
                  f"same pixels: {row['same_pixels']}", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"benchmark": "upscale_memory", "cpu": cpu_name(), "torch_threads": 1,
                               "model": "SRResNet x4, 1 block, 4 channels", "tile": TILE, "rows": rows},
                              indent=2) + "\n")
    tmp.replace(RESULTS)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
