"""The cost of sampling: DDIM with 10, 50 and 250 steps against one pass of the DCGAN generator, same run.

A GAN draws a digit in one forward pass; a diffusion model needs one pass of its
denoiser per sampling step (two with classifier-free guidance). This measures
samples per second of the ``ddpm-mnist`` architecture
(:data:`imgsynth_edu.training.diffusion.DDPM_MNIST_ARGUMENTS`; the bundled weights
when present - the speed does not depend on them) with DDIM at several step
counts, unconditional and guided, and of the ``dcgan-mnist`` generator, in one
run on one device. Each number is the best of ``--repeats`` timed calls (the
least disturbed by other processes). Prints samples/s and the ratio
DCGAN / DDIM, and writes ``benchmarks/results/diffusion_sampling.json``.

    python benchmarks/diffusion_sampling.py            # batch 100, steps 10 / 50 / 250
    python benchmarks/diffusion_sampling.py --quick    # batch 10, steps 5 / 10 (smoke test)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from pathlib import Path

import torch
from _common import best_time, cpu_name

from imgsynth_edu import pretrained
from imgsynth_edu.models.diffusion import ImageDiffusion
from imgsynth_edu.training.diffusion import DDPM_MNIST_ARGUMENTS
from imgsynth_edu.utils import atomic_write, get_device

RESULTS = Path(__file__).resolve().parent / "results" / "diffusion_sampling.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    device = get_device(args.device)
    batch, step_counts = (10, [5, 10]) if args.quick else (100, [10, 50, 250])
    synchronize = torch.cuda.synchronize if device.type == "cuda" else None

    if "ddpm-mnist" in pretrained.available():
        diffusion, weights = pretrained.load("ddpm-mnist", device), "bundled ddpm-mnist"
    else:
        torch.manual_seed(0)
        diffusion, weights = ImageDiffusion(**DDPM_MNIST_ARGUMENTS).to(device).eval(), "untrained (same architecture)"
    gan = pretrained.load("dcgan-mnist", device)
    labels = torch.arange(batch) % 10

    gan_rate = batch / best_time(lambda: gan.sample(batch, generator=torch.Generator().manual_seed(0)),
                                 args.repeats, synchronize)
    print(f"dcgan-mnist: {gan_rate:9.1f} samples/s (one pass)")
    runs = {}
    for steps in step_counts:
        for kind, kind_labels in (("unconditional", None), ("guided", labels)):
            def draw(steps=steps, kind_labels=kind_labels):
                return diffusion.sample(batch, kind_labels, generator=torch.Generator().manual_seed(0),
                                        sampler="ddim", steps=steps)

            seconds = best_time(draw, args.repeats, synchronize)
            rate = batch / seconds
            runs[f"ddim_{steps}_{kind}"] = {"samples_per_s": round(rate, 3), "gan_over_ddim": round(gan_rate / rate, 1)}
            print(f"DDIM {steps:4d} steps, {kind:13s}: {rate:9.2f} samples/s   DCGAN is {gan_rate / rate:8.1f}× faster")

    record = {
        "device": f"{device.type}: {torch.cuda.get_device_name(device) if device.type == 'cuda' else cpu_name()}",
        "threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "torch": torch.__version__,
        "batch": batch,
        "diffusion": f"ImageDiffusion {DDPM_MNIST_ARGUMENTS['base_channels']}×{DDPM_MNIST_ARGUMENTS['channel_mults']}, "
                     f"{sum(p.numel() for p in diffusion.parameters())} parameters, weights: {weights}",
        "gan": "dcgan-mnist (DCGANGenerator, one pass)",
        "dcgan_samples_per_s": round(gan_rate, 2),
        "runs": runs,
    }
    if not args.quick:
        with atomic_write(RESULTS, "w") as handle:
            json.dump(record, handle, indent=2, ensure_ascii=False)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
