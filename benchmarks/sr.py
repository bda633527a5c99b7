"""Super-resolution benchmark: inference speed, tiled memory, and the training loop's overhead.

Three measurements, each against a peer timed in the same run:

1. **Inference**: milliseconds to upscale one 256×256 input ×4 with the
   bundled ``srresnet-x4`` and with the paper's SRResNet (B=16, 64 channels,
   random weights: same cost), against the MATLAB-like bicubic of the library.
2. **Tiled memory**: peak resident memory (RSS: ``ru_maxrss`` of a fresh
   subprocess, minus its current RSS from ``/proc/self/statm`` just before the upscale; Linux) of upscaling a 512×512 input
   to a 2048×2048 image with ``upscale_tiled(tile=128)`` against one untiled
   pass (``tile=512``).
3. **Training loop overhead**: steps per second of
   :class:`~imgsynth_edu.training.sr.RestorationTrainer` against a plain
   hand-written loop (same model, data, batch and optimizer); ratio = library / plain
   (target >= 0.95). Rounds alternate between the two and the best of each is kept,
   so a busy machine penalises neither.

Run: ``python benchmarks/sr.py [--quick]``; writes ``benchmarks/results/sr.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results" / "sr.json"

_MEMORY_CHILD = r"""
import resource, sys, torch
torch.set_num_threads(int(sys.argv[2]))
from imgsynth_edu import pretrained
from imgsynth_edu.models.srresnet import upscale_tiled
model = pretrained.load("srresnet-x4")
image = torch.rand(1, 3, 512, 512, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    model(image[..., :32, :32])  # warm up the allocator and the kernels
import os
before_kib = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024  # current RSS
out = upscale_tiled(model, image, 4, tile=int(sys.argv[1]))
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # peak RSS of the process, KiB on Linux
print((peak_kib - before_kib) / 1024.0, tuple(out.shape))
"""


def _device_name() -> str:
    return f"CPU: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread(s)"


def _best_ms(function, repeats: int) -> float:
    function()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best * 1000.0


def bench_inference(repeats: int) -> dict:
    from imgsynth_edu import pretrained
    from imgsynth_edu.data import bicubic_upscale
    from imgsynth_edu.models.srresnet import SRResNet

    image = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(0))
    models = {"srresnet-x4 (bundled)": pretrained.load("srresnet-x4"), "SRResNet paper (B=16, 64 ch)": SRResNet().eval()}
    result = {"input": "1×3×256×256 -> ×4", "bicubic_ms": _best_ms(lambda: bicubic_upscale(image, 4), repeats)}
    with torch.no_grad():
        for name, model in models.items():
            milliseconds = _best_ms(lambda m=model: m(image), repeats)
            result[f"{name} ms"] = milliseconds
            result[f"{name} / bicubic"] = milliseconds / result["bicubic_ms"]
    return result


def bench_memory(threads: int) -> dict:
    rows = {}
    for tile in (128, 512):
        output = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(tile), str(threads)],
                                capture_output=True, text=True, check=True).stdout.split()
        rows[f"tile {tile}" if tile < 512 else "untiled (tile 512)"] = float(output[0])
    tiled, untiled = rows["tile 128"], rows["untiled (tile 512)"]
    return {
        "task": "upscale 512×512 -> 2048×2048 with srresnet-x4",
        "measure": "peak RSS (ru_maxrss) minus RSS before the upscale (/proc/self/statm), fresh process, MiB",
        "tiled_128_mib": tiled,
        "untiled_mib": untiled,
        "tiled / untiled": tiled / untiled if untiled else float("nan"),
        "output_image_mib": 3 * 2048 * 2048 * 4 / 2**20,
    }


def bench_training(steps: int, rounds: int) -> dict:
    from torch.utils.data import default_collate

    from imgsynth_edu.data import photo_set
    from imgsynth_edu.data.patches import PairedPatchDataset
    from imgsynth_edu.losses import l1_loss
    from imgsynth_edu.models.srresnet import SRResNet
    from imgsynth_edu.training.sr import RestorationTrainer

    dataset = PairedPatchDataset(photo_set("train"), 4, 64, seed=0)

    def make_model():
        torch.manual_seed(0)
        return SRResNet(num_blocks=4, channels=32, batch_norm=False)

    def library() -> float:
        trainer = RestorationTrainer(make_model(), dataset, batch_size=16, lr=2e-4, device="cpu", progress=False)
        started = time.perf_counter()
        trainer.fit(steps)
        return steps / (time.perf_counter() - started)

    def plain() -> float:
        model = make_model()
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
        generator = torch.Generator().manual_seed(0)
        started = time.perf_counter()
        for _ in range(steps):
            indices = torch.randint(len(dataset), (16,), generator=generator)
            inputs, targets = default_collate([dataset[int(i)] for i in indices])
            loss = l1_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return steps / (time.perf_counter() - started)

    library_rates, plain_rates = [], []
    for _ in range(rounds):
        plain_rates.append(plain())
        library_rates.append(library())
    best_library, best_plain = max(library_rates), max(plain_rates)
    return {
        "setup": f"SRResNet B=4, 32 ch, batch 16 of 64×64 patches, {steps} steps × {rounds} rounds (best kept)",
        "library_steps_per_s": best_library,
        "plain_loop_steps_per_s": best_plain,
        "ratio library / plain": best_library / best_plain,
        "target_ratio": 0.95,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--parts", default="inference,memory,training",
                        help="comma-separated parts to (re)measure; the others are kept from the existing JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeats, steps, rounds = (2, 10, 2) if args.quick else (5, 30, 3)
    parts = {part.strip() for part in args.parts.split(",")}
    result = json.loads(RESULTS.read_text()) if RESULTS.is_file() and parts != {"inference", "memory", "training"} else {}
    result.update({"benchmark": "super-resolution", "device": _device_name(), "torch": torch.__version__})
    for part, function in (("inference", lambda: bench_inference(repeats)),
                           ("memory", lambda: bench_memory(args.threads)),
                           ("training", lambda: bench_training(steps, rounds))):
        if part in parts:
            print(f"{part} ...", flush=True)
            result[part] = function()
            result[f"{part}_date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            print(json.dumps(result[part], indent=1), flush=True)
    result["ratio"] = result["training"]["ratio library / plain"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"training loop ratio (library / plain): {result['ratio']:.3f}  (target >= 0.95); wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
