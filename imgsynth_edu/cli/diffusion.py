"""Diffusion commands: ``train ddpm`` and ``evaluate-ddpm``; the sampler options of ``sample``.

    imgsynth-edu train ddpm --steps 12000 --device cuda --out ddpm-mnist.pt
    imgsynth-edu evaluate-ddpm --checkpoint ddpm-mnist.pt --write-card
    imgsynth-edu sample --pretrained ddpm-mnist --each-class --guidance-scale 2 --steps 50 --out grid.png

``train ddpm`` trains the recipe of the bundled ``ddpm-mnist``
(:data:`~imgsynth_edu.training.diffusion.DDPM_MNIST_ARGUMENTS`, a class-conditional
U-Net with classifier-free guidance, and
:data:`~imgsynth_edu.training.diffusion.DDPM_MNIST_TRAINING`) on the ``mnist-5k``
train split, saves the EMA weights and writes the card: the exact command, the
wall time, the hardware and the scores of
:func:`imgsynth_edu.evaluation.digit_diffusion_scores` (the protocol of
``dcgan-mnist`` / ``cgan-mnist``, bits per dimension, samples per second).
Runs are deterministic unless ``--no-deterministic``.

``evaluate-ddpm --write-card`` re-measures a model file's scores on this machine
and stores them in its card. Why: a GPU's floating point differs from a CPU's in
the last bits and 50 sampling steps amplify that into slightly different
samples, so a card measured on the training GPU cannot be re-measured exactly by
a CPU test. The training device's scores move to ``scores_training_device``
(kept from the first re-measurement) and the training run's bits/dim (exact
over all ``T`` terms: seconds on a GPU, hours on one CPU thread) is kept.

Lesson: ``07_diffusion_vs_gan.ipynb``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from .. import pretrained
from ..data import get_dataset
from ..evaluation import digit_diffusion_scores
from ..models.diffusion import SAMPLERS, GaussianDiffusion, ImageDiffusion
from ..training.diffusion import (
    DDPM_MNIST_ARGUMENTS,
    DDPM_MNIST_TRAINING,
    DiffusionTrainer,
    deterministic_algorithms,
)
from . import cards

#: ``train ddpm`` options written into the card's command, in order.
TRAIN_OPTIONS = ["steps", "batch-size", "lr", "seed", "device", "threads", "n-eval", "bits-timesteps",
                 "no-eval", "no-deterministic", "out"]


def register(commands, train_commands) -> None:
    ddpm = train_commands.add_parser(
        "ddpm", help="train the class-conditional digit diffusion model (ddpm-mnist's recipe); writes NAME.pt + NAME.json",
    )
    ddpm.add_argument("--steps", type=int, default=12_000, help="optimizer steps (ddpm-mnist: 12000)")
    ddpm.add_argument("--batch-size", type=int, default=None, help=f"default {DDPM_MNIST_TRAINING['batch_size']}")
    ddpm.add_argument("--lr", type=float, default=None, help=f"Adam learning rate (default {DDPM_MNIST_TRAINING['lr']})")
    ddpm.add_argument("--seed", type=int, default=0)
    cards.add_device_argument(ddpm)
    ddpm.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ddpm.add_argument("--n-eval", type=int, default=1000, help="samples scored for the card (default 1000)")
    ddpm.add_argument("--bits-timesteps", type=int, default=None,
                      help="estimate bits/dim from this many sampled t per image (default: exact, all T terms)")
    ddpm.add_argument("--no-eval", action="store_true", help="skip the scores (the card's scores stay empty)")
    ddpm.add_argument("--no-deterministic", action="store_true", help="allow non-deterministic GPU kernels")
    ddpm.add_argument("--checkpoint-every", type=int, default=0, help="save a resumable checkpoint every N steps")
    ddpm.add_argument("--resume", default=None, help="resume from this training checkpoint")
    ddpm.add_argument("--no-progress", action="store_true", help="no progress bar")
    ddpm.add_argument("--out", required=True, help="output .pt path (a .json card is written beside it)")
    ddpm.set_defaults(func=train_ddpm)

    evaluate = commands.add_parser(
        "evaluate-ddpm", help="FID/KID/precision/recall, conditional accuracy and speed of a digit diffusion model",
    )
    cards.add_sampling_arguments(evaluate, "ddpm-mnist", n=1000, n_help="samples to score (the card: 1000)")
    cards.add_device_argument(evaluate)
    evaluate.add_argument("--speed-samples", type=int, default=100, help="batch of the samples-per-second timing")
    evaluate.add_argument("--write-card", action="store_true",
                          help="store the scores in the card (the training device's move to scores_training_device)")
    evaluate.set_defaults(func=evaluate_ddpm)


def add_sampler_arguments(parser) -> None:
    """The options of ``sample`` that only a diffusion model takes (default: the model's own settings)."""
    parser.add_argument("--sampler", choices=SAMPLERS, default=None, help="diffusion: ddpm (ancestral) or ddim")
    parser.add_argument("--steps", type=int, default=None, help="diffusion: sampling steps (DDIM: any number ≤ T)")
    parser.add_argument("--guidance-scale", type=float, default=None,
                        help="diffusion: classifier-free guidance w (0: the plain conditional model)")
    parser.add_argument("--eta", type=float, default=None, help="diffusion, DDIM: 0 deterministic, 1 like DDPM")


def sampler_keywords(args, model) -> dict:
    """The diffusion options given on the command line, as keywords of ``model.sample``.

    Raises ``ValueError`` when one is given for a model that is not a diffusion model.
    """
    given = {key: getattr(args, key) for key in ("sampler", "steps", "guidance_scale", "eta")
             if getattr(args, key, None) is not None}
    if given and not isinstance(model, GaussianDiffusion):
        options = ", ".join("--" + key.replace("_", "-") for key in given)
        raise ValueError(f"{options} only apply to a diffusion model (e.g. --pretrained ddpm-mnist), "
                         f"not to a {type(model).__name__}")
    return given


def _with_hardware(scores: dict, device: torch.device) -> dict:
    scores["samples_per_second"]["hardware"] = cards.hardware(device)
    if "bits_per_dim" in scores:
        scores["bits_per_dim"]["hardware"] = cards.hardware(device)
    return scores


def train_ddpm(args) -> int:
    out = cards.start_training(args)
    overrides = {key: value for key, value in (("batch_size", args.batch_size), ("lr", args.lr)) if value is not None}
    config = {**DDPM_MNIST_TRAINING, **overrides}
    data = get_dataset("mnist-5k", "train")
    with deterministic_algorithms(not args.no_deterministic):
        model = ImageDiffusion(**DDPM_MNIST_ARGUMENTS)
        trainer = DiffusionTrainer(
            model, data, steps=args.steps, seed=args.seed, log_every=50, progress=not args.no_progress,
            device=args.device, checkpoint_every=args.checkpoint_every,
            checkpoint_path=str(out.with_suffix(".ckpt")) if args.checkpoint_every else None, **config,
        )
        wall = cards.timed_fit(trainer, resume=args.resume)
        final = trainer.sampling_model.eval()
        losses = trainer.history.values.get("loss", [])
        a = DDPM_MNIST_ARGUMENTS
        card = {
            "name": out.stem,
            "description": f"class-conditional DDPM (U-Net ε-predictor, {a['schedule']} schedule, T = {a['timesteps']}) "
                           f"trained on mnist-5k with label dropout {config['label_dropout']}; samples with DDIM "
                           f"({a['sample_steps']} steps, η = {a['eta']}) and classifier-free guidance "
                           f"ε̃ = (1+w) ε(x, y) - w ε(x, ∅), w = {a['guidance_scale']}; labels=None samples the "
                           "unconditional model (the null label). EMA weights.",
            "architecture": "imgsynth_edu.models.diffusion.ImageDiffusion",
            "arguments": dict(DDPM_MNIST_ARGUMENTS),
            "parameters": sum(p.numel() for p in final.parameters()),
            "data": f"mnist-5k train split ({len(data)} images); scores on the test split",
            "training": {**{key: list(value) if isinstance(value, tuple) else value
                            for key, value in vars(trainer.config).items()
                            if key in ("batch_size", "lr", "betas", "warmup_steps", "grad_clip", "label_dropout",
                                       "ema_decay", "seed")},
                         "optimizer": "Adam", "loss": "L_simple (Ho et al. 2020, eq. 14)"},
            "command": cards.reproduce_command(args, TRAIN_OPTIONS),
            "steps": trainer.step,
            "wall_time_s": round(wall, 1),
            "hardware": cards.hardware(trainer.device),
            "torch": torch.__version__,
            "deterministic": not args.no_deterministic,
            "final_loss": round(sum(losses[-20:]) / max(len(losses[-20:]), 1), 5),
            "scores": {},
        }
        if not args.no_eval:
            start = time.time()
            card["scores"] = _with_hardware(digit_diffusion_scores(final, n=args.n_eval, seed=args.seed,
                                                                   bits_timesteps=args.bits_timesteps),
                                            trainer.device)
            card["evaluation_wall_time_s"] = round(time.time() - start, 1)
    card_path = cards.save_model_and_card(final, out, card)
    print(f"wrote {out} and {card_path} ({trainer.step} steps, {wall:.0f} s)" + _summary(card["scores"]))
    return 0


def evaluate_ddpm(args) -> int:
    device = torch.device(args.device or "cpu")
    model, card, label = cards.load_model(args, default="ddpm-mnist", device=device)
    if not isinstance(model, GaussianDiffusion) or model.num_classes is None:
        raise ValueError(f"{label!r} is not a class-conditional diffusion model (evaluate-gan scores GANs)")
    scores = _with_hardware(digit_diffusion_scores(model, n=args.n, seed=args.seed, bits=False,
                                                   speed_samples=args.speed_samples), device)
    source = f"--checkpoint {args.checkpoint}" if args.checkpoint else f"--pretrained {label}"
    command = f"imgsynth-edu evaluate-ddpm {source} --n {args.n} --seed {args.seed} --write-card"
    print(json.dumps(scores, indent=2, ensure_ascii=False))
    if args.write_card:
        previous = card.get("scores", {})
        if "bits_per_dim" in previous:
            scores["bits_per_dim"] = previous["bits_per_dim"]  # exact over all T: measured where it is fast
        card.setdefault("scores_training_device", previous)
        card["scores"] = scores
        card["scores_command"] = command
        model_path = Path(args.checkpoint) if args.checkpoint else pretrained.WEIGHTS_DIR / f"{label}.pt"
        print(f"wrote the scores into {cards.write_card(model_path, card)}")
    return 0


def _summary(scores: dict) -> str:
    if not scores:
        return ""
    unconditional = scores["unconditional"]
    return (f"; unconditional FID {unconditional['fid']:.1f}, precision {unconditional['precision']:.3f}, "
            f"recall {unconditional['recall']:.3f}; conditional accuracy "
            f"{scores['conditional']['conditional_accuracy']:.3f}")
