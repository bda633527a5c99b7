"""GAN commands: ``train dcgan``, ``train toy-gan``, ``sample`` and ``evaluate-gan``.

    imgsynth-edu train dcgan --data mnist-5k --steps 3000 --out dcgan-mnist.pt
    imgsynth-edu train toy-gan --toy ring --steps 2000 --out toy.pt
    imgsynth-edu sample --pretrained dcgan-mnist --n 64 --out grid.png
    imgsynth-edu sample --pretrained ddpm-mnist --each-class --guidance-scale 2 --out grid.png
    imgsynth-edu evaluate-gan --pretrained dcgan-mnist --write-card

``train dcgan`` writes the generator's state dict (the EMA copy when
``--ema-decay`` is set) and, beside it, a card ``.json`` holding the exact
command, the data, the steps, the wall time and the hardware; ``evaluate-gan``
measures a digit generator as its card reports it
(:func:`imgsynth_edu.evaluation.digit_gan_card_scores`: FID, KID,
precision/recall in the digit classifier's features, and every digit's share)
and, with ``--write-card``, stores the scores in the card.

``sample`` draws from any generator with a ``sample`` method: a GAN, a
class-conditional GAN (``--label``, ``--each-class``) or a diffusion model (also
``--sampler``, ``--steps``, ``--guidance-scale``, ``--eta``: :mod:`.diffusion`).

Lessons: ``01_gan_from_scratch.ipynb``, ``02_dcgan.ipynb``, ``07_diffusion_vs_gan.ipynb``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .. import pretrained
from .._checks import check_positive_int
from ..data import get_dataset
from ..data.image_io import check_writable_suffix, write_image
from ..evaluation import digit_gan_card_scores
from ..models.gan import DCGANDiscriminator, DCGANGenerator
from ..training.gan import GANTrainer
from ..training.toy import SCORE_SAMPLES, record_toy_run, score_toy_generator, toy_distribution
from ..viz import make_grid
from . import cards, diffusion


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
    cards.add_device_argument(dcgan)
    dcgan.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    dcgan.add_argument("--checkpoint-every", type=int, default=0, help="save a resumable checkpoint every N steps")
    dcgan.add_argument("--resume", default=None, help="resume from this training checkpoint")
    dcgan.add_argument("--out", required=True, help="output .pt path (a .json card is written beside it)")
    cards.add_overwrite_argument(dcgan)
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
    toy.add_argument("--out", required=True, help="output .pt path of the generator (its .json card is written beside it)")
    cards.add_overwrite_argument(toy)
    toy.set_defaults(func=train_toy)

    sample = commands.add_parser("sample", help="sample a grid of images from a generator")
    cards.add_sampling_arguments(sample, "dcgan-mnist", n=64, n_help="number of images (default 64)")
    labels = sample.add_mutually_exclusive_group()
    labels.add_argument("--label", type=int, default=None, help="a class-conditional model: every sample of this class")
    labels.add_argument("--each-class", action="store_true",
                        help="a class-conditional model: classes 0, 1, ..., K-1 in turn")
    diffusion.add_sampler_arguments(sample)
    sample.add_argument("--out", required=True, help="output image (.png)")
    cards.add_overwrite_argument(sample)
    sample.set_defaults(func=sample_grid)

    evaluate = commands.add_parser(
        "evaluate-gan", help="FID, KID, precision/recall and digit shares of a digit generator (its card's scores)",
    )
    cards.add_sampling_arguments(evaluate, "dcgan-mnist", n=1000, n_help="samples to score (the cards: 1000)")
    evaluate.add_argument("--write-card", action="store_true", help="store the scores in the model's card")
    evaluate.set_defaults(func=evaluate_gan)


def train_dcgan(args) -> int:
    out = cards.start_training(args, state=Path(args.out).with_suffix(".ckpt") if args.checkpoint_every else None)
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
    wall = cards.timed_fit(trainer, resume=args.resume)
    final = trainer.generator_ema if trainer.generator_ema is not None else trainer.generator
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
        "command": cards.reproduce_command(args, ["data", "steps", "batch-size", "latent-dim", "width", "loss", "n-critic",
                                            "lr", "spectral-norm", "ema-decay", "seed", "threads", "amp", "out"]),
        "steps": trainer.step,
        "wall_time_s": round(wall, 1),
        "hardware": cards.hardware(trainer.device),
        "torch": torch.__version__,
        "final_losses": {k: round(sum(history[k][-10:]) / len(history[k][-10:]), 4) for k in ("d_loss", "g_loss") if history.get(k)},
        "scores": {},
    }
    card_path = cards.save_model_and_card(final, out, card)
    print(f"wrote {out} and {card_path} ({trainer.step} steps, {wall:.0f} s)")
    return 0


def train_toy(args) -> int:
    out = cards.start_training(args)
    record = record_toy_run(args.toy, steps=args.steps, record_every=min(args.record_every, args.steps), seed=args.seed,
                            hidden=args.hidden, lr=args.lr, loss=args.loss)
    generator, config = record["generator"], record["config"]
    toy = toy_distribution(args.toy)
    final = score_toy_generator(generator, toy)
    card = {
        "name": out.stem,
        "description": f"2-D toy GAN generator (MLP, 3 hidden layers of {config['hidden']}) trained on the "
                       f"{toy.name} with the {config['loss']} loss (EMA weights; lesson 01)",
        "architecture": "imgsynth_edu.models.gan.MLPGenerator",
        "arguments": {"latent_dim": 2, "data_shape": [2], "hidden_dim": config["hidden"], "n_hidden": 3},
        "data": f"20,000 points of the {toy.name} (sigma 0.05), drawn with seed 1",
        "command": cards.reproduce_command(args, ["toy", "steps", "record-every", "hidden", "loss", "lr", "seed",
                                                  "threads", "out"]),
        "steps": config["steps"],
        "wall_time_s": record["wall_time_s"],
        "hardware": cards.hardware(torch.device("cpu")),
        "torch": torch.__version__,
        "training": config,
        "scores": {"modes_covered": final["modes_covered"], "n_modes": final["n_modes"],
                   "high_quality": round(final["high_quality"], 4), "n_samples": SCORE_SAMPLES, "sample_seed": 2,
                   "protocol": "imgsynth_edu.training.toy.score_toy_generator: a sample is high quality within "
                               "3 sigma of a mode; a mode is covered by >= 0.8 % of the samples"},
        "history": record["history"],
    }
    card_path = cards.save_model_and_card(generator, out, card)
    last = record["history"][-1]
    print(f"{toy.name}: {last['modes_covered']}/{last['n_modes']} modes covered, {last['high_quality']:.1%} "
          f"high-quality samples after {last['step']} steps; wrote {out} and {card_path}")
    return 0


def sample_grid(args) -> int:
    check_positive_int(args.n, "--n")
    check_writable_suffix(args.out)
    cards.claim_outputs({"--out": args.out}, {"--checkpoint": args.checkpoint}, overwrite=args.overwrite)
    generator, _, label = cards.load_model(args, default="dcgan-mnist")
    if not hasattr(generator, "sample"):
        raise ValueError(f"{label!r} is not a generator (it has no sample method)")
    options = diffusion.sampler_keywords(args, generator)
    labels = _labels(args, generator, label)
    with torch.no_grad():
        images = generator.sample(args.n, labels, generator=torch.Generator().manual_seed(args.seed), **options)
    write_image(args.out, make_grid(images.cpu()))  # (C, H', W')
    print(f"wrote {args.out} ({args.n} samples)")
    return 0


def _labels(args, generator, label: str) -> torch.Tensor | None:
    """The class of each sample that ``--label`` / ``--each-class`` ask for (``None``: none asked)."""
    if args.label is None and not args.each_class:
        return None
    num_classes = getattr(generator, "num_classes", None)
    if not num_classes:
        raise ValueError(f"--label / --each-class need a class-conditional model; {label!r} is not one")
    if args.each_class:
        return torch.arange(args.n) % num_classes  # (n,)
    if not 0 <= args.label < num_classes:
        raise ValueError(f"--label must be a class in [0, {num_classes}), got {args.label}")
    return torch.full((args.n,), args.label, dtype=torch.long)  # (n,)


def evaluate_gan(args) -> int:
    torch.manual_seed(args.seed)
    generator, card, label = cards.load_model(args, default="dcgan-mnist")
    scores = digit_gan_card_scores(generator, n=args.n, seed=args.seed)
    source = f"--checkpoint {args.checkpoint}" if args.checkpoint else f"--pretrained {label}"
    scores["command"] = f"imgsynth-edu evaluate-gan {source} --n {args.n} --seed {args.seed} --write-card"
    print(json.dumps(scores, indent=2))
    if args.write_card:
        card["scores"] = scores
        model_path = Path(args.checkpoint) if args.checkpoint else pretrained.WEIGHTS_DIR / f"{label}.pt"
        print(f"wrote the scores into {cards.write_card(model_path, card)}")
    return 0
