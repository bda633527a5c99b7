"""``imgsynth-edu train dcgan|toy-gan`` and ``imgsynth-edu sample``: GAN commands.

    imgsynth-edu train dcgan --data mnist-5k --steps 3000 --out dcgan-mnist.pt
    imgsynth-edu train toy-gan --toy ring --steps 2000 --out toy.pt
    imgsynth-edu sample --pretrained dcgan-mnist --n 64 --out grid.png

``train dcgan`` writes the generator's state dict (the EMA copy when
``--ema-decay`` is set) and, beside it, a card ``.json`` holding the exact
command, the data, the steps, the wall time and the hardware; scores are added
by ``python -m imgsynth_edu.evaluate_gan`` (FID, precision/recall, digit shares).

Lessons: ``01_gan_from_scratch.ipynb``, ``02_dcgan.ipynb``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import torch

from .utils import atomic_write


def register(commands, train_commands) -> None:
    dcgan = train_commands.add_parser("dcgan", help="train a DCGAN on an image dataset; writes NAME.pt + NAME.json")
    dcgan.add_argument("--data", default="mnist-5k", help="dataset name (imgsynth_edu.data.get_dataset); default mnist-5k")
    dcgan.add_argument("--steps", type=int, default=3000, help="generator steps (default 3000)")
    dcgan.add_argument("--batch-size", type=int, default=64)
    dcgan.add_argument("--latent-dim", type=int, default=64)
    dcgan.add_argument("--width", type=int, default=32, help="channels of the last hidden map (ngf = ndf)")
    dcgan.add_argument("--loss", default="non-saturating", help="minimax, non-saturating, hinge, least-squares, wgan-gp")
    dcgan.add_argument("--n-critic", type=int, default=1)
    dcgan.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate of G and D (DCGAN: 2e-4)")
    dcgan.add_argument("--spectral-norm", action="store_true",
                       help="spectral normalisation in D instead of batch norm (Miyato et al. 2018)")
    dcgan.add_argument("--ema-decay", type=float, default=None, help="keep an EMA of G and save it (e.g. 0.999)")
    dcgan.add_argument("--seed", type=int, default=0)
    dcgan.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    dcgan.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    dcgan.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    dcgan.add_argument("--checkpoint-every", type=int, default=0, help="save a resumable checkpoint every N steps")
    dcgan.add_argument("--resume", default=None, help="resume from this training checkpoint")
    dcgan.add_argument("--out", required=True, help="output .pt path (a .json card is written beside it)")
    dcgan.set_defaults(func=train_dcgan)

    toy = train_commands.add_parser("toy-gan", help="train the 2-D toy GAN (lesson 01) on a ring or grid of Gaussians; "
                                                    "writes NAME.pt + NAME.json (card with the modes over training)")
    toy.add_argument("--toy", choices=["ring", "grid"], default="ring")
    toy.add_argument("--steps", type=int, default=2000)
    toy.add_argument("--record-every", type=int, default=500, help="score the generator every N steps (default 500)")
    toy.add_argument("--hidden", type=int, default=64, help="units in each of the 3 hidden layers of G and D")
    toy.add_argument("--loss", default="non-saturating")
    toy.add_argument("--lr", type=float, default=1e-3)
    toy.add_argument("--seed", type=int, default=0)
    toy.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    toy.add_argument("--out", required=True, help="output .pt path (a .json card is written beside it)")
    toy.set_defaults(func=train_toy)

    sample = commands.add_parser("sample", help="sample a grid of images from a generator")
    source = sample.add_mutually_exclusive_group(required=True)
    source.add_argument("--pretrained", help="a bundled generator, e.g. dcgan-mnist")
    source.add_argument("--checkpoint", help="a .pt written by `imgsynth-edu train dcgan` (its .json card beside it)")
    sample.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", required=True, help="output image (.png)")
    sample.set_defaults(func=sample_grid)


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    return f"CPU {platform.machine()} ({platform.processor() or 'unknown'}), {torch.get_num_threads()} torch thread(s), {os.cpu_count()} cores"


def _command(args, fields) -> str:
    parts = ["imgsynth-edu", "train", args.what]
    for field in fields:
        value = getattr(args, field.replace("-", "_"))
        if value is None or value is False:
            continue
        parts += [f"--{field}"] if value is True else [f"--{field}", str(value)]
    return " ".join(parts)


def train_dcgan(args) -> int:
    from . import seed_everything
    from .data import get_dataset
    from .models.gan import DCGANDiscriminator, DCGANGenerator
    from .training.gan import GANTrainer

    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    if out.suffix != ".pt":
        raise ValueError(f"--out must end in .pt, got {args.out!r}")
    seed_everything(args.seed)
    data = get_dataset(args.data, "train")
    channels, size, _ = data[0][0].shape
    arguments = {"latent_dim": args.latent_dim, "image_size": size, "channels": channels, "width": args.width}
    generator = DCGANGenerator(**arguments)
    discriminator = DCGANDiscriminator(size, channels, args.width, batch_norm=args.loss != "wgan-gp",
                                       spectral_norm=args.spectral_norm)
    trainer = GANTrainer(
        generator, discriminator, data, loss=args.loss, steps=args.steps, batch_size=args.batch_size,
        n_critic=args.n_critic, lr_g=args.lr, lr_d=args.lr, ema_decay=args.ema_decay, amp=args.amp,
        seed=args.seed, log_every=10, device=args.device,
        checkpoint_every=args.checkpoint_every, checkpoint_path=str(out.with_suffix(".ckpt")) if args.checkpoint_every else None,
    )
    start = time.time()
    trainer.fit(resume=args.resume)
    wall = time.time() - start
    final = trainer.generator_ema if trainer.generator_ema is not None else trainer.generator
    from .utils import save_state_dict

    save_state_dict({k: v.detach().cpu() for k, v in final.state_dict().items()}, out)
    history = trainer.history.values
    card = {
        "name": out.stem,
        "description": f"DCGAN generator ({size}×{size}, {channels} channel(s)) trained on {args.data} "
                       f"with the {args.loss} loss"
                       f"{' against a spectrally normalised discriminator' if args.spectral_norm else ''}"
                       f"{' (EMA weights)' if args.ema_decay else ''}",
        "architecture": "imgsynth_edu.models.gan.DCGANGenerator",
        "arguments": arguments,
        "data": f"{args.data} train split ({len(data)} images)",
        "command": _command(args, ["data", "steps", "batch-size", "latent-dim", "width", "loss", "n-critic", "lr",
                                   "spectral-norm", "ema-decay", "seed", "threads", "amp", "out"]),
        "steps": trainer.step,
        "wall_time_s": round(wall, 1),
        "hardware": _hardware(trainer.device),
        "torch": torch.__version__,
        "final_losses": {k: round(sum(history[k][-10:]) / len(history[k][-10:]), 4) for k in ("d_loss", "g_loss") if history.get(k)},
        "scores": {},
    }
    with atomic_write(out.with_suffix(".json"), "w") as handle:
        json.dump(card, handle, indent=2)
    print(f"wrote {out} and {out.with_suffix('.json')} ({trainer.step} steps, {wall:.0f} s)")
    return 0


def train_toy(args) -> int:
    from .training.toy import record_toy_run, write_toy_checkpoint

    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    if out.suffix != ".pt":
        raise ValueError(f"--out must end in .pt, got {args.out!r}")
    record = record_toy_run(args.toy, steps=args.steps, record_every=min(args.record_every, args.steps), seed=args.seed,
                            hidden=args.hidden, lr=args.lr, loss=args.loss)
    command = _command(args, ["toy", "steps", "record-every", "hidden", "loss", "lr", "seed", "threads", "out"])
    write_toy_checkpoint(record, out, command)
    last = record["history"][-1]
    print(f"{args.toy}: {last['modes_covered']}/{last['n_modes']} modes covered, {last['high_quality']:.1%} "
          f"high-quality samples after {last['step']} steps; wrote {out} and {out.with_suffix('.json')}")
    return 0


def sample_grid(args) -> int:
    from . import pretrained
    from ._checks import check_positive_int
    from .utils import load_state_dict
    from .viz import make_grid

    check_positive_int(args.n, "--n")
    if args.pretrained:
        generator = pretrained.load(args.pretrained)
    else:
        card_path = Path(args.checkpoint).with_suffix(".json")
        if not card_path.is_file():
            raise FileNotFoundError(f"--checkpoint needs its card beside it: {card_path} does not exist")
        generator = pretrained.build(json.loads(card_path.read_text(encoding="utf-8")))
        generator.load_weights(load_state_dict(args.checkpoint))
        generator.eval()
    if not hasattr(generator, "sample"):
        raise ValueError(f"{args.pretrained or args.checkpoint!r} is not a generator (it has no sample method)")
    images = generator.sample(args.n, generator=torch.Generator().manual_seed(args.seed))
    grid = make_grid(images.cpu())  # (C, H', W')
    array = (grid.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    from PIL import Image

    picture = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    out = Path(args.out)
    with atomic_write(out) as handle:
        picture.save(handle, format=(out.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG"))
    print(f"wrote {out} ({args.n} samples)")
    return 0
