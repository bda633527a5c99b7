"""Speed of our metrics against the reference libraries, measured in one run on the same inputs.

* SSIM and MS-SSIM on 16×3×256×256 images in [0, 1]: ``imgsynth_edu.metrics.ssim`` /
  ``ms_ssim`` vs pytorch-msssim ``ssim`` / ``ms_ssim`` (``data_range=1``) vs torchmetrics
  ``structural_similarity_index_measure`` / ``multiscale_structural_similarity_index_measure``.
  On the CPU each is timed with 1 torch thread and with the default thread count (what a
  student's laptop with one free core, and an idle machine, give). Target: ours no slower
  than the fastest peer, at every thread count.
* Fréchet distance of 2048-d statistics (FID's dimension), on the CPU:
  ``imgsynth_edu.metrics.frechet_distance`` (symmetric form, ``eigh``) vs pytorch-fid
  ``calculate_frechet_distance`` (SciPy ``sqrtm``), with the relative difference of their
  values. Target: at least 3× faster.

How the SSIM timings are taken: after one warm-up call each, ``--repeats`` rounds, each
round timing every implementation once, in turn (so a burst of load from other processes
hits all of them alike); the median is the figure, the quartiles and the minimum are the
spread, and the ratio is ours / fastest peer on medians. On CUDA every call is bracketed by
``torch.cuda.synchronize()``. The load average (``os.getloadavg``) is recorded at start and
end: on a busy machine the ratios, not the milliseconds, are what to read.

    python benchmarks/metrics.py                    # CPU -> results/metrics.json
    python benchmarks/metrics.py --device cuda      # GPU -> results/metrics_cuda.json
    python benchmarks/metrics.py --quick            # 3 rounds, 256-d Fréchet case (smoke test)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from _common import best_time, cpu_name

from imgsynth_edu.metrics import frechet_distance, ms_ssim, ssim
from imgsynth_edu.utils import atomic_write

RESULTS = Path(__file__).resolve().parent / "results"
SHAPE = (16, 3, 256, 256)
PEERS = ("pytorch_msssim", "torchmetrics")


def _load_average() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _inputs(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(SHAPE, generator=generator)
    pred = (target + 0.1 * torch.randn(target.shape, generator=generator)).clamp(0, 1)
    return pred.to(device), target.to(device)


def _candidates(metric: str, pred: torch.Tensor, target: torch.Tensor) -> dict:
    import pytorch_msssim
    from torchmetrics.functional.image import (
        multiscale_structural_similarity_index_measure,
        structural_similarity_index_measure,
    )

    if metric == "ssim":
        return {
            "imgsynth_edu": lambda: ssim(pred, target, data_range=1.0),
            "pytorch_msssim": lambda: pytorch_msssim.ssim(pred, target, data_range=1.0, win_size=11),
            "torchmetrics": lambda: structural_similarity_index_measure(pred, target, data_range=1.0),
        }
    return {
        "imgsynth_edu": lambda: ms_ssim(pred, target, data_range=1.0),
        "pytorch_msssim": lambda: pytorch_msssim.ms_ssim(pred, target, data_range=1.0, win_size=11),
        "torchmetrics": lambda: multiscale_structural_similarity_index_measure(pred, target, data_range=1.0),
    }


def timed_rounds(functions: dict, rounds: int, synchronize=None) -> dict[str, list[float]]:
    """Seconds of each call: one warm-up call each, then ``rounds`` rounds timing each once, in turn."""
    for function in functions.values():
        function()
    seconds: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            if synchronize:
                synchronize()
            start = time.perf_counter()
            function()
            if synchronize:
                synchronize()
            seconds[name].append(time.perf_counter() - start)
    return seconds


def _spread_ms(samples: list[float]) -> dict:
    quartiles = statistics.quantiles(samples, n=4) if len(samples) > 1 else [samples[0]] * 3
    return {
        "median": round(1e3 * statistics.median(samples), 2),
        "q1": round(1e3 * quartiles[0], 2),
        "q3": round(1e3 * quartiles[2], 2),
        "min": round(1e3 * min(samples), 2),
    }


def bench_similarity(metric: str, device: torch.device, threads: int, rounds: int) -> dict:
    """One row: ``metric`` ("ssim" or "ms_ssim") timed for ours and both peers at ``threads``."""
    torch.set_num_threads(threads)
    pred, target = _inputs(device)
    functions = _candidates(metric, pred, target)
    values = {name: float(function()) for name, function in functions.items()}
    synchronize = torch.cuda.synchronize if device.type == "cuda" else None
    seconds = timed_rounds(functions, rounds, synchronize)
    spread = {name: _spread_ms(samples) for name, samples in seconds.items()}
    ours = spread["imgsynth_edu"]["median"]
    fastest_peer = min(PEERS, key=lambda name: spread[name]["median"])
    ratio = ours / spread[fastest_peer]["median"]
    return {
        "threads": threads,
        "median_ms": {name: entry["median"] for name, entry in spread.items()},
        "quartiles_ms": {name: f"{entry['q1']:.1f}-{entry['q3']:.1f}" for name, entry in spread.items()},
        "min_ms": {name: entry["min"] for name, entry in spread.items()},
        "fastest_peer": fastest_peer,
        "ratio_to_fastest_peer": round(ratio, 3),
        "target_met": ratio <= 1.0,
        "values": values,
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
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda (cuda:0, ...)")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds per case (default 15; 3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="3 rounds and a 256-d Fréchet case")
    parser.add_argument("--out", default=None, help="result JSON (default results/metrics.json; metrics_cuda.json on CUDA)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA GPU is available")
    rounds = args.repeats or (3 if args.quick else 15)
    default_threads = torch.get_num_threads()
    thread_counts = sorted({1, default_threads}) if device.type == "cpu" else [default_threads]

    result = {
        "benchmark": "metrics",
        "description": (
            f"SSIM and MS-SSIM on {'×'.join(map(str, SHAPE))} images: medians of {rounds} interleaved "
            "rounds; ratio = ours / fastest peer (target ≤ 1 at every thread count). Fréchet "
            "distance: ours vs pytorch-fid's sqrtm (target ≥ 3× faster)."
        ),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "default_threads": default_threads,
        "rounds": rounds,
        "torch": torch.__version__,
        "load_average_at_start": _load_average(),
    }
    for metric in ("ssim", "ms_ssim"):
        rows = {}
        for threads in thread_counts:
            label = f"{device.type}, {threads} thread{'s' if threads > 1 else ''}"
            rows[label] = bench_similarity(metric, device, threads, rounds)
        result[metric] = rows
    torch.set_num_threads(default_threads)
    result["frechet_distance"] = bench_frechet(256 if args.quick else 2048, 1000 if args.quick else 4000,
                                               repeats=1 if args.quick else 3)
    result["load_average_at_end"] = _load_average()

    print(f"{result['device_name']} ({device}); load average {result['load_average_at_start']} -> "
          f"{result['load_average_at_end']}")
    for metric in ("ssim", "ms_ssim"):
        for label, row in result[metric].items():
            m = row["median_ms"]
            print(f"{metric:7s} {label}: ours {m['imgsynth_edu']:.1f} ms, pytorch-msssim "
                  f"{m['pytorch_msssim']:.1f} ms, torchmetrics {m['torchmetrics']:.1f} ms (medians) -> "
                  f"ratio to the fastest peer {row['ratio_to_fastest_peer']:.2f} (target ≤ 1: "
                  f"{'met' if row['target_met'] else 'MISSED'})")
    fd = result["frechet_distance"]
    print(f"Fréchet distance d={fd['dims']}: ours {fd['seconds']['imgsynth_edu']:.2f} s, pytorch-fid "
          f"{fd['seconds']['pytorch_fid']:.2f} s -> {fd['speedup_vs_pytorch_fid']:.1f}× faster "
          f"(target ≥ 3: {'met' if fd['target_met'] else 'MISSED'}); relative difference "
          f"{fd['relative_difference']:.1e}")
    default_name = "metrics.json" if device.type == "cpu" else f"metrics_{device.type}.json"
    out = Path(args.out) if args.out else RESULTS / default_name
    with atomic_write(out, "w") as handle:
        json.dump(result, handle, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
