"""``imgsynth-edu train cgan`` and ``imgsynth-edu train inpainting``: conditional GAN commands.

    imgsynth-edu train cgan --data mnist-5k --discriminator projection --steps 3000 --out cgan-mnist.pt
    imgsynth-edu train inpainting --data mnist-5k --masks mixed --steps 2000 --out inpaint-digits.pt

Each writes the generator's state dict and, beside it, a card ``.json`` with
the exact command, data, steps, wall time, hardware and the scores measured
right after training on held-out data:

* ``cgan``: conditional accuracy by the bundled digit classifier on
  ``--n-per-class`` samples of each class, and FID / KID per class (classifier
  features) against the held-out test split;
* ``inpainting``: PSNR and SSIM inside the hole, for the model and for the
  biharmonic baseline, on the held-out test split, for each mask kind.

Both go through the one GAN loop (:class:`imgsynth_edu.training.gan.GANTrainer`)
with the tasks of :mod:`imgsynth_edu.training.cgan`; ``--checkpoint-every`` and
``--resume`` work as for ``train dcgan``.

Lesson: ``03_conditional_gan.ipynb``.
"""

from __future__ import annotations

import torch

from ..data import get_dataset
from ..data.masks import InpaintingDataset
from ..evaluation import evaluate_class_conditional, evaluate_inpainting
from ..models import cgan
from ..training.cgan import ClassConditionalTask, InpaintingTask
from ..training.gan import GANTrainer
from . import cards

DISCRIMINATORS = {"projection": "ProjectionDiscriminator", "concat": "ConcatDiscriminator"}


def register(commands, train_commands) -> None:
    conditional = train_commands.add_parser(
        "cgan", help="train a class-conditional DCGAN (label -> digit); writes NAME.pt + NAME.json with scores")
    conditional.add_argument("--data", default="mnist-5k", help="a labelled dataset (default mnist-5k)")
    conditional.add_argument("--discriminator", choices=sorted(DISCRIMINATORS), default="projection",
                             help="how D sees the label: projection (Miyato & Koyama 2018) or concat (one-hot planes)")
    conditional.add_argument("--steps", type=int, default=3000, help="generator steps (default 3000)")
    conditional.add_argument("--batch-size", type=int, default=64)
    conditional.add_argument("--latent-dim", type=int, default=64)
    conditional.add_argument("--width", type=int, default=32, help="base channels of G and D")
    conditional.add_argument("--loss", default="hinge", help="minimax, non-saturating, hinge, least-squares, wgan-gp")
    conditional.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate of G and D")
    conditional.add_argument("--ema-decay", type=float, default=None, help="keep an EMA of G and save it (e.g. 0.999)")
    conditional.add_argument("--n-per-class", type=int, default=100, help="samples per class for the scores (default 100)")
    conditional.add_argument("--seed", type=int, default=0)
    conditional.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    cards.add_device_argument(conditional)
    conditional.add_argument("--checkpoint-every", type=int, default=0, help="save a resumable checkpoint every N steps")
    conditional.add_argument("--resume", default=None, help="resume from this training checkpoint")
    conditional.add_argument("--out", required=True, help="output .pt path (a .json card is written beside it)")
    conditional.set_defaults(func=train_cgan)

    inpaint = train_commands.add_parser(
        "inpainting", help="train a pix2pix inpainting model (U-Net + PatchGAN); writes NAME.pt + NAME.json")
    inpaint.add_argument("--data", default="mnist-5k", help="an image dataset (default mnist-5k)")
    inpaint.add_argument("--masks", choices=["centre", "boxes", "strokes", "mixed"], default="mixed",
                         help="training masks (mixed: centre, boxes and strokes in turn; default)")
    inpaint.add_argument("--masks-per-image", type=int, default=4, help="different masks per training image")
    inpaint.add_argument("--steps", type=int, default=2000)
    inpaint.add_argument("--batch-size", type=int, default=32)
    inpaint.add_argument("--width", type=int, default=32, help="base channels of the U-Net and PatchGAN")
    inpaint.add_argument("--depth", type=int, default=2, help="U-Net downsamplings (the side must divide by 2**depth)")
    inpaint.add_argument("--loss", default="non-saturating")
    inpaint.add_argument("--l1-weight", type=float, default=100.0, help="λ of the L1 term (pix2pix: 100)")
    inpaint.add_argument("--adversarial-weight", type=float, default=1.0, help="0 trains the L1-only baseline")
    inpaint.add_argument("--lr", type=float, default=2e-4)
    inpaint.add_argument("--eval-images", type=int, default=None,
                         help="held-out images scored per mask kind (default: the whole test split)")
    inpaint.add_argument("--seed", type=int, default=0)
    inpaint.add_argument("--threads", type=int, default=None)
    cards.add_device_argument(inpaint)
    inpaint.add_argument("--checkpoint-every", type=int, default=0)
    inpaint.add_argument("--resume", default=None)
    inpaint.add_argument("--out", required=True, help="output .pt path (a .json card is written beside it)")
    inpaint.set_defaults(func=train_inpainting)


def train_cgan(args) -> int:
    out = cards.start_training(args)
    data = get_dataset(args.data, "train")
    channels, size, _ = data[0][0].shape
    num_classes = len(data.classes)
    arguments = {"latent_dim": args.latent_dim, "num_classes": num_classes, "image_size": size,
                 "channels": channels, "base_channels": args.width}
    generator = cgan.ConditionalDCGANGenerator(**arguments)
    discriminator = getattr(cgan, DISCRIMINATORS[args.discriminator])(
        num_classes=num_classes, image_size=size, channels=channels, base_channels=args.width)
    trainer = GANTrainer(
        generator, discriminator, data, task=ClassConditionalTask.for_generator(generator),
        loss=args.loss, steps=args.steps, batch_size=args.batch_size, lr_g=args.lr, lr_d=args.lr,
        ema_decay=args.ema_decay, seed=args.seed, log_every=10, device=args.device,
        checkpoint_every=args.checkpoint_every,
        checkpoint_path=str(out.with_suffix(".ckpt")) if args.checkpoint_every else None,
    )
    wall = cards.timed_fit(trainer, resume=args.resume)
    final = (trainer.generator_ema if trainer.generator_ema is not None else trainer.generator).eval()
    scores = {}
    if (channels, size, num_classes) == (1, 28, 10):  # digits: the bundled classifier can judge them
        test = get_dataset(args.data, "test")
        scores = evaluate_class_conditional(final.cpu(), test.images, test.labels,
                                            n_per_class=args.n_per_class, seed=args.seed)
    card = {
        "name": out.stem,
        "description": f"class-conditional DCGAN generator ({size}×{size}, {num_classes} classes) trained on "
                       f"{args.data} against a {args.discriminator} discriminator with the {args.loss} loss"
                       f"{' (EMA weights)' if args.ema_decay else ''}",
        "architecture": "imgsynth_edu.models.cgan.ConditionalDCGANGenerator",
        "arguments": arguments,
        "data": f"{args.data} train split ({len(data)} images); scores on the test split",
        "command": cards.reproduce_command(args, ["data", "discriminator", "steps", "batch-size", "latent-dim", "width",
                                            "loss", "lr", "ema-decay", "n-per-class", "seed", "threads", "out"]),
        "steps": trainer.step,
        "wall_time_s": round(wall, 1),
        "hardware": cards.hardware(trainer.device),
        "torch": torch.__version__,
        "scores": scores,
    }
    card_path = cards.save_model_and_card(final, out, card)
    accuracy = scores.get("conditional_accuracy")
    print(f"wrote {out} and {card_path} ({trainer.step} steps, {wall:.0f} s"
          f"{f', conditional accuracy {accuracy:.3f}' if accuracy is not None else ''})")
    return 0


def train_inpainting(args) -> int:
    out = cards.start_training(args)
    base = get_dataset(args.data, "train")
    channels = base[0][0].shape[0]
    data = InpaintingDataset(base, kind=args.masks, seed=args.seed, copies=args.masks_per_image)
    arguments = {"channels": channels, "base_channels": args.width, "depth": args.depth}
    generator = cgan.InpaintingGenerator(**arguments)
    discriminator = cgan.PatchDiscriminator(in_channels=2 * channels + 1, base_channels=args.width)
    task = InpaintingTask(l1_weight=args.l1_weight, adversarial_weight=args.adversarial_weight)
    trainer = GANTrainer(
        generator, discriminator, data, task=task, loss=args.loss, steps=args.steps,
        batch_size=args.batch_size, lr_g=args.lr, lr_d=args.lr, seed=args.seed, log_every=10,
        device=args.device, checkpoint_every=args.checkpoint_every,
        checkpoint_path=str(out.with_suffix(".ckpt")) if args.checkpoint_every else None,
    )
    wall = cards.timed_fit(trainer, resume=args.resume)
    model = trainer.generator.eval()
    scores = evaluate_inpainting(model.cpu(), get_dataset(args.data, "test"), seed=args.seed + 1,
                                 limit=args.eval_images)
    objective = "L1 only" if args.adversarial_weight == 0 else f"{args.l1_weight:g}·L1 + {args.adversarial_weight:g}·adversarial ({args.loss})"
    card = {
        "name": out.stem,
        "description": f"pix2pix-style inpainting U-Net ({channels} channel(s)) trained on {args.data} "
                       f"with {args.masks} masks, objective {objective}, PatchGAN discriminator",
        "architecture": "imgsynth_edu.models.cgan.InpaintingGenerator",
        "arguments": arguments,
        "data": f"{args.data} train split ({len(base)} images × {args.masks_per_image} masks); "
                f"scores on the test split",
        "command": cards.reproduce_command(args, ["data", "masks", "masks-per-image", "steps", "batch-size", "width",
                                            "depth", "loss", "l1-weight", "adversarial-weight", "lr", "eval-images",
                                            "seed", "threads", "out"]),
        "steps": trainer.step,
        "wall_time_s": round(wall, 1),
        "hardware": cards.hardware(trainer.device),
        "torch": torch.__version__,
        "scores": scores,
    }
    card_path = cards.save_model_and_card(model, out, card)
    summary = ", ".join(f"{kind}: {s['model']['hole_psnr']:.2f} vs {s['biharmonic']['hole_psnr']:.2f} dB"
                        for kind, s in scores.items())
    print(f"wrote {out} and {card_path} ({trainer.step} steps, {wall:.0f} s; hole PSNR {summary})")
    return 0
