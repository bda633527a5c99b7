"""Peak memory of the whole ``imgsynth-edu upscale`` command: strip-wise writing against the whole-array writer.

    python benchmarks/upscale_memory.py            # 2000×1500 photo at ×4 (an 8000×6000 result)
    python benchmarks/upscale_memory.py --quick    # 1000×750 only

Each run is a fresh child process (read, tile, assemble, write, exactly the
command a user types), and reports its own peak resident set size
(``getrusage(RUSAGE_SELF).ru_maxrss``). The peer, measured in the same run on
the same input, is the writer this project used before: ``clamp`` into a copy
of the result, then a float64 copy of the whole image, a rounded copy, and the
integer array. The model is a tiny SRResNet (1 block, 4 channels), so the
figures are the command's memory, not a large network's activations. Writes
``benchmarks/results/upscale_memory.json`` and prints the ratio.
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


def _whole_array_writer(path, pixels, *, alpha=None, bit_depth=8):
    """The peer: the writer before strip-wise conversion (float64 copy, rounded copy, integer copy)."""
    import png
    import torch

    from imgsynth_edu.utils import atomic_write

    planes = pixels if alpha is None else torch.cat([pixels, alpha], dim=1)  # (1, C(+1), H, W)
    max_value = 2**bit_depth - 1
    array = (planes[0].permute(1, 2, 0).detach().cpu().double().numpy() * max_value).round()  # (H, W, planes)
    array = array.astype(np.uint16 if bit_depth == 16 else np.uint8)
    height, width, count = array.shape
    writer = png.Writer(width, height, greyscale=count <= 2, alpha=count in (2, 4), bitdepth=bit_depth)
    with atomic_write(path) as handle:
        writer.write_array(handle, array.reshape(-1))
    return bit_depth


def child(mode: str, source: str, target: str, model: str) -> None:
    """One ``upscale`` command in this process; prints its peak RSS as JSON."""
    import torch

    from imgsynth_edu import cli
    from imgsynth_edu.cli import sr

    torch.set_num_threads(1)
    if mode == "whole-array":
        tiled = sr.upscale_tiled
        sr.upscale_tiled = lambda *args, **kwargs: tiled(*args, **kwargs).clamp(0.0, 1.0)  # the copying clamp
        sr.write_image = _whole_array_writer
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    code = cli.main(["upscale", source, target, "--scale", str(SCALE), "--checkpoint", model, "--device", "cpu",
                     "--overwrite"])
    assert code == 0, f"upscale failed with exit status {code}"
    print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_before_command_mb": before, "seconds": time.perf_counter() - started}))


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

    sizes = [(1000, 750)] if args.quick else [(1000, 750), (2000, 1500)]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        torch.manual_seed(0)
        arguments = {"scale": SCALE, "num_blocks": 1, "channels": 4, "batch_norm": False}
        model = folder / "tiny.pt"
        save_model_and_card(SRResNet(**arguments), model, {"name": "tiny", "arguments": arguments,
                                                           "architecture": "imgsynth_edu.models.srresnet.SRResNet"})
        for width, height in sizes:
            source = folder / f"photo_{width}x{height}.png"
            rng = np.random.default_rng(0)
            Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(source)
            row = {"input": f"{width}x{height}", "output": f"{SCALE * width}x{SCALE * height}",
                   "output_float32_mb": SCALE**2 * width * height * 3 * 4 / 2**20}
            for mode in ("strip-wise", "whole-array"):
                result = subprocess.run(
                    [sys.executable, __file__, "--child", mode, str(source), str(folder / "out.png"), str(model)],
                    capture_output=True, text=True, check=True)
                row[mode] = json.loads(result.stdout.strip().splitlines()[-1])
            row["peak_ratio_whole_over_strip"] = row["whole-array"]["peak_rss_mb"] / row["strip-wise"]["peak_rss_mb"]
            rows.append(row)
            print(f"{row['input']} -> {row['output']}: peak RSS strip-wise {row['strip-wise']['peak_rss_mb']:.0f} MB, "
                  f"whole-array {row['whole-array']['peak_rss_mb']:.0f} MB "
                  f"(ratio {row['peak_ratio_whole_over_strip']:.2f}; the float32 result alone is "
                  f"{row['output_float32_mb']:.0f} MB)", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "upscale_memory", "cpu": cpu_name(), "torch_threads": 1,
                                   "model": "SRResNet x4, 1 block, 4 channels", "rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
