"""The cost of DistributedDataParallel itself: one device without DDP against DDP on the same one device.

Both sides train the same small SRResNet (×2, 4 residual blocks, 32 channels,
no batch norm) with Adam on the same random low/high-resolution patch pairs,
one device, one process. The **plain** side calls the model; the **DDP** side
calls it wrapped in ``torch.nn.parallel.DistributedDataParallel`` inside a
process group of world size 1 (NCCL on CUDA, gloo on the CPU). With one rank
there is nothing to average, so every extra second is DDP's own bookkeeping:
hooks on every parameter, copying the gradients into buckets, and an
all-reduce of each bucket (with one rank, a collective that sends nothing).
Issue #19 asks for this number: how much slower one GPU gets when the
multi-GPU code path is switched on.

Rounds alternate (plain, DDP, plain, DDP, ...). Each side keeps its best
round (the least disturbed by other processes on a shared machine), and each
pair of neighbouring rounds gives a ratio DDP / plain; the **median of those
paired ratios** is the headline (two neighbouring rounds see nearly the same
load, so it is the steadier number when the machine is busy). Prints steps/s
of both and the ratios, and writes
``benchmarks/results/ddp_overhead.json`` (and the same bytes to
``imgsynth_edu/benchmark_results/ddp_overhead.json``, which lesson 09 shows)
with the device named; one entry per
device kind under ``"runs"``, so a CPU run keeps an earlier CUDA one.

    python benchmarks/ddp_overhead.py              # CUDA when available, else CPU with gloo
    python benchmarks/ddp_overhead.py --device cpu
    python benchmarks/ddp_overhead.py --quick      # fewer steps (smoke test; writes nothing)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import statistics
import time
import warnings
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from _common import cpu_name, write_results
from torch.nn.parallel import DistributedDataParallel

from imgsynth_edu.models.srresnet import SRResNet

RESULTS = Path(__file__).resolve().parent / "results" / "ddp_overhead.json"
#: The copy the package carries for lesson 09 (``imgsynth_edu.utils.benchmark_result``): the same bytes.
PACKAGED = Path(__file__).resolve().parents[1] / "imgsynth_edu" / "benchmark_results" / "ddp_overhead.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def build(device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)
    return SRResNet(scale=2, num_blocks=4, channels=32, batch_norm=False).to(device)


def steps_per_second(model: torch.nn.Module, batches, device: torch.device, steps: int) -> float:
    """Time ``steps`` Adam steps of ``model`` (the plain module or its DDP wrapper) on ``batches``."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    synchronize(device)
    start = time.perf_counter()
    for step in range(steps):
        low_res, high_res = batches[step % len(batches)]
        loss = F.l1_loss(model(low_res), high_res)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    synchronize(device)
    return steps / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        steps, batch_size, patch, repeats = (20, 16, 48, 2) if args.quick else (200, 16, 48, 11)
    else:
        steps, batch_size, patch, repeats = (4, 8, 24, 2) if args.quick else (30, 8, 24, 11)
    backend = "nccl" if device.type == "cuda" else "gloo"
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())})
    dist.init_process_group(backend, rank=0, world_size=1)
    try:
        generator = torch.Generator().manual_seed(1)
        batches = [(torch.rand(batch_size, 3, patch // 2, patch // 2, generator=generator).to(device),  # (B, 3, p/2, p/2)
                    torch.rand(batch_size, 3, patch, patch, generator=generator).to(device))  # (B, 3, p, p)
                   for _ in range(4)]
        plain_model = build(device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*broadcast_buffers.*", category=FutureWarning)
            ddp_model = DistributedDataParallel(build(device), device_ids=[device.index or 0] if device.type == "cuda" else None,
                                                broadcast_buffers=False)
        steps_per_second(plain_model, batches, device, max(2, steps // 5))  # warm-up (allocations, kernels)
        steps_per_second(ddp_model, batches, device, max(2, steps // 5))
        plain, ddp = [], []
        for _ in range(repeats):
            plain.append(steps_per_second(plain_model, batches, device, steps))
            ddp.append(steps_per_second(ddp_model, batches, device, steps))
    finally:
        dist.destroy_process_group()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{cpu_name()}, {torch.get_num_threads()} thread(s)"
    run = {
        "device": f"{device.type}: {name}",
        "backend": backend,
        "world_size": 1,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "model": "SRResNet x2, 4 blocks, 32 channels, no batch norm",
        "batch": f"{batch_size} pairs, {patch // 2}×{patch // 2} -> {patch}×{patch}",
        "steps_per_round": steps,
        "rounds": repeats,
        "statistic": "best steps/s of the rounds, rounds alternating plain and DDP; median of the paired ratios",
        "plain_steps_per_s": round(max(plain), 3),
        "ddp_steps_per_s": round(max(ddp), 3),
        "ratio_ddp_over_plain": round(max(ddp) / max(plain), 4),
        "median_paired_ratio_ddp_over_plain": round(statistics.median(d / p for d, p in zip(ddp, plain)), 4),
        "all_plain": [round(x, 3) for x in plain],
        "all_ddp": [round(x, 3) for x in ddp],
    }
    print(f"{run['device']}: plain {run['plain_steps_per_s']:.2f} steps/s, DDP (world size 1, {backend}) "
          f"{run['ddp_steps_per_s']:.2f} steps/s; DDP / plain: best against best {run['ratio_ddp_over_plain']:.3f}, "
          f"median of {repeats} paired rounds {run['median_paired_ratio_ddp_over_plain']:.3f}")
    if args.quick:
        return 0
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    results.setdefault("benchmark", "steps/s of one device without DDP against DDP on the same one device "
                                    "(world size 1): the overhead of DistributedDataParallel itself")
    results.setdefault("runs", {})[device.type] = run
    write_results(results, RESULTS, PACKAGED)  # the package's copy is what lesson 09 shows
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
