"""Speed of our metrics against the reference libraries, measured in one run on the same inputs.

* SSIM on 16×3×256×256 images in [0, 1] (CPU; and the GPU when there is one):
  ``imgsynth_edu.metrics.ssim`` vs pytorch-msssim ``ssim(data_range=1)`` vs
  torchmetrics ``structural_similarity_index_measure(data_range=1)``.
  Target: no slower than the fastest peer.
* Fréchet distance of 2048-d statistics (FID's dimension):
  ``imgsynth_edu.metrics.frechet_distance`` (symmetric form, ``eigh``) vs
  pytorch-fid ``calculate_frechet_distance`` (SciPy ``sqrtm``), with the
  relative difference of their values. Target: at least 3× faster.

Each timing is the best of several repeats (the least disturbed by other
processes). Prints the ratios and writes ``benchmarks/results/metrics.json``
with the CPU/GPU, thread count, load average and date.

    python benchmarks/metrics.py            # full
    python benchmarks/metrics.py --quick    # fewer repeats, smaller Fréchet case (smoke test)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from _common import best_time, cpu_name

from imgsynth_edu.metrics import frechet_distance, ssim
from imgsynth_edu.utils import atomic_write

RESULTS = Path(__file__).resolve().parent / "results" / "metrics.json"






def bench_ssim(device: torch.device, repeats: int) -> dict:
    import pytorch_msssim
    from torchmetrics.functional.image import structural_similarity_index_measure

    generator = torch.Generator().manual_seed(0)
    target = torch.rand(16, 3, 256, 256, generator=generator)
    pred = (target + 0.1 * torch.randn(target.shape, generator=generator)).clamp(0, 1)
    pred, target = pred.to(device), target.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    candidates = {
        "imgsynth_edu": lambda: ssim(pred, target, data_range=1.0),
        "pytorch_msssim": lambda: pytorch_msssim.ssim(pred, target, data_range=1.0, win_size=11),
        "torchmetrics": lambda: structural_similarity_index_measure(pred, target, data_range=1.0),
    }
    values = {name: float(function()) for name, function in candidates.items()}
    seconds = {name: best_time(function, repeats, sync) for name, function in candidates.items()}
    fastest_peer = min(seconds["pytorch_msssim"], seconds["torchmetrics"])
    return {
        "shape": [16, 3, 256, 256],
        "device": str(device),
        "seconds": seconds,
        "values": values,
        "speedup_vs_pytorch_msssim": seconds["pytorch_msssim"] / seconds["imgsynth_edu"],
        "speedup_vs_torchmetrics": seconds["torchmetrics"] / seconds["imgsynth_edu"],
        "speedup_vs_fastest_peer": fastest_peer / seconds["imgsynth_edu"],
        "target_met": seconds["imgsynth_edu"] <= fastest_peer,
    }


def bench_frechet(dims: int, samples: int, repeats: int) -> dict:
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(0)
    first = rng.normal(size=(samples, dims))
    second = rng.normal(size=(samples, dims)) * 1.1 + 0.05
    mu1, sigma1 = first.mean(axis=0), np.cov(first, rowvar=False)
    mu2, sigma2 = second.mean(axis=0), np.cov(second, rowvar=False)
    ours_value = frechet_distance(mu1, sigma1, mu2, sigma2)
    ours = best_time(lambda: frechet_distance(mu1, sigma1, mu2, sigma2), repeats)
    start = time.perf_counter()  # SciPy's sqrtm is slow: time it once, after one warm-up at a small size
    reference_value = float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2))
    reference = time.perf_counter() - start
    return {
        "dims": dims,
        "samples": samples,
        "seconds": {"imgsynth_edu": ours, "pytorch_fid": reference},
        "values": {"imgsynth_edu": ours_value, "pytorch_fid": reference_value},
        "relative_difference": abs(ours_value - reference_value) / abs(reference_value),
        "speedup_vs_pytorch_fid": reference / ours,
        "target_met": reference / ours >= 3.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a 256-d Fréchet case")
    parser.add_argument("--out", default=str(RESULTS), help=f"result JSON (default {RESULTS})")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    result = {
        "benchmark": "metrics",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "torch": torch.__version__,
        "ssim": {"cpu": bench_ssim(torch.device("cpu"), repeats)},
    }
    if torch.cuda.is_available():
        result["gpu"] = torch.cuda.get_device_name(0)
        result["ssim"]["cuda"] = bench_ssim(torch.device("cuda"), repeats * 4)
    result["frechet_distance"] = bench_frechet(256 if args.quick else 2048, 1000 if args.quick else 4000,
                                               repeats=1 if args.quick else 3)
    result["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None

    for device, entry in result["ssim"].items():
        s = entry["seconds"]
        print(f"SSIM 16×3×256×256 on {device}: ours {s['imgsynth_edu']*1e3:.1f} ms, pytorch-msssim "
              f"{s['pytorch_msssim']*1e3:.1f} ms, torchmetrics {s['torchmetrics']*1e3:.1f} ms -> "
              f"{entry['speedup_vs_fastest_peer']:.2f}× the fastest peer (target ≥ 1: "
              f"{'met' if entry['target_met'] else 'MISSED'})")
    fd = result["frechet_distance"]
    print(f"Fréchet distance d={fd['dims']}: ours {fd['seconds']['imgsynth_edu']:.2f} s, pytorch-fid "
          f"{fd['seconds']['pytorch_fid']:.2f} s -> {fd['speedup_vs_pytorch_fid']:.1f}× faster "
          f"(target ≥ 3: {'met' if fd['target_met'] else 'MISSED'}); relative difference "
          f"{fd['relative_difference']:.1e}")
    out = Path(args.out)
    with atomic_write(out, "w") as handle:
        json.dump(result, handle, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
