"""Overhead of the library's GAN loop against a plain hand-written loop, same models, same run.

Both loops train the same DCGAN (28×28, 1 channel) on ``mnist-5k`` with the
non-saturating loss and Adam, one discriminator step (real + detached fake)
and one generator step (fresh fake) per step, reading a number back from the
device every 10 steps. The hand-written loop is what a student would write
(shuffled indices, ``tensor[index]`` batches, no callbacks, no checkpoints);
the library loop is :class:`imgsynth_edu.training.GANTrainer` with its
progress bar off. Runs alternate (library, plain, library, plain, ...) and
each side keeps its best: the least disturbed by other processes on a shared
machine. Prints steps/s and the ratio library / plain (target ≥ 0.95) and
writes ``benchmarks/results/gan_training.json`` with the device named. On a
CUDA machine it measures with AMP off and on.

    python benchmarks/gan_training.py            # full
    python benchmarks/gan_training.py --quick    # fewer steps (smoke test)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _common import cpu_name

from imgsynth_edu.data import get_dataset, stack_dataset
from imgsynth_edu.models.gan import DCGANDiscriminator, DCGANGenerator
from imgsynth_edu.training import GANTrainer
from imgsynth_edu.utils import atomic_write

RESULTS = Path(__file__).resolve().parent / "results" / "gan_training.json"


def build(device, width):
    torch.manual_seed(0)
    return DCGANGenerator(64, 28, 1, width).to(device), DCGANDiscriminator(28, 1, width).to(device)


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def plain_loop(images, steps, batch_size, device, width, amp):
    """The hand-written reference: the same computation with no abstraction at all."""
    G, D = build(device, width)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    scaler_g = torch.amp.GradScaler("cuda", enabled=amp)
    scaler_d = torch.amp.GradScaler("cuda", enabled=amp)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.float16)) if amp else contextlib.nullcontext
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    per_epoch = len(images) // batch_size
    synchronize(device)
    start = time.perf_counter()
    for step in range(steps):
        index = order[(step % per_epoch) * batch_size : (step % per_epoch + 1) * batch_size]
        real = images[index].to(device) * 2 - 1
        with autocast():
            fake = G(torch.randn(batch_size, 64, device=device)).detach()
            d_loss = F.softplus(-D(real).float()).mean() + F.softplus(D(fake).float()).mean()
        opt_d.zero_grad(set_to_none=True)
        scaler_d.scale(d_loss).backward()
        scaler_d.step(opt_d)
        scaler_d.update()
        with autocast():
            g_loss = F.softplus(-D(G(torch.randn(batch_size, 64, device=device))).float()).mean()
        opt_g.zero_grad(set_to_none=True)
        scaler_g.scale(g_loss).backward()
        scaler_g.step(opt_g)
        scaler_g.update()
        if (step + 1) % 10 == 0:
            d_loss.item(), g_loss.item()
    synchronize(device)
    return steps / (time.perf_counter() - start)


def library_loop(dataset, steps, batch_size, device, width, amp):
    G, D = build(device, width)
    trainer = GANTrainer(G, D, dataset, loss="non-saturating", steps=steps, batch_size=batch_size, amp=amp,
                         log_every=10, progress=False, device=device)
    synchronize(device)
    start = time.perf_counter()
    trainer.fit()
    synchronize(device)
    return steps / (time.perf_counter() - start)


def measure(dataset, images, steps, batch_size, device, width, amp, repeats):
    plain_images = images.to(device) if device.type == "cuda" else images
    library_loop(dataset, max(5, steps // 10), batch_size, device, width, amp)  # warm-up
    plain_loop(plain_images, max(5, steps // 10), batch_size, device, width, amp)
    library, plain = [], []
    for _ in range(repeats):
        library.append(library_loop(dataset, steps, batch_size, device, width, amp))
        plain.append(plain_loop(plain_images, steps, batch_size, device, width, amp))
    return {"library_steps_per_s": round(max(library), 3), "plain_steps_per_s": round(max(plain), 3),
            "ratio": round(max(library) / max(plain), 4),
            "all_library": [round(x, 3) for x in library], "all_plain": [round(x, 3) for x in plain]}




def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dataset = get_dataset("mnist-5k", "train")
    images, _ = stack_dataset(dataset)
    if device.type == "cuda":
        steps, batch_size, width, repeats = (100, 64, 64, 2) if args.quick else (400, 128, 64, 3)
        # the library moves each batch to the device; give both loops data already there
        dataset = torch.utils.data.TensorDataset(images.to(device), torch.zeros(len(images), device=device))
    else:
        steps, batch_size, width, repeats = (10, 32, 8, 2) if args.quick else (60, 64, 16, 3)
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name()
    results = {"device": f"{device.type}: {device_name}", "threads": torch.get_num_threads(),
               "load_average": list(os.getloadavg()), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
               "torch": torch.__version__, "steps": steps, "batch_size": batch_size,
               "model": f"DCGAN 28×28×1, latent 64, width {width}", "runs": {}}
    for amp in ([False, True] if device.type == "cuda" else [False]):
        name = f"amp_{'on' if amp else 'off'}"
        results["runs"][name] = measure(dataset, images, steps, batch_size, device, width, amp, repeats)
        run = results["runs"][name]
        print(f"{results['device']} {name}: library {run['library_steps_per_s']:.2f} steps/s, "
              f"plain {run['plain_steps_per_s']:.2f} steps/s, ratio {run['ratio']:.3f} (target >= 0.95)")
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(RESULTS, "w") as handle:
            json.dump(results, handle, indent=2)
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
