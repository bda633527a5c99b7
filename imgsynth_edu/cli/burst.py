"""``imgsynth-edu train burst`` and ``imgsynth-edu evaluate-burst``: the multi-frame lesson's commands.

    imgsynth-edu train burst --scale 4 --frames 8 --steps 1500 --out burst-x4.pt
    imgsynth-edu train burst --images div2k-train --workers 2 --out burst-div2k.pt   # DIV2K, downloaded once
    imgsynth-edu evaluate-burst --images photos-test --frames 8 --scale 4 --json
    imgsynth-edu evaluate-burst --images outside --frames 8 --per-image

``--images outside`` is scikit-learn's two sample photographs (``china``,
``flower``): from outside the bundled set, never trained on. ``train burst
--images`` takes a folder or a downloadable set (DIV2K's 800 training
photographs: ``div2k-train``), read one photo per burst; it refuses the sets
that burst models are evaluated on.

``evaluate-burst`` makes one seeded synthetic burst per image and reports the
mean Y-PSNR / Y-SSIM of four methods: bicubic upscaling of frame 0, the
single-image ``srresnet-x{scale}`` on frame 0, classical shift-and-add (shifts
estimated by phase correlation), and the burst model (the protocol:
:func:`imgsynth_edu.evaluation.evaluate_burst`).

Lesson: ``06_multi_frame_restoration.ipynb``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import pretrained
from .._checks import check_scale
from ..data.bursts import (
    AUGMENT_GAIN_RANGE,
    AUGMENT_NOISE_FACTOR_RANGE,
    DEFAULT_NOISE,
    BurstDataset,
)
from ..data.image_io import read_image_folder
from ..data.image_sets import get_image_set
from ..data.photos import PHOTO_TRAIN, photo_set
from ..evaluation import BURST_METHODS, evaluate_burst
from ..models.burst import BurstSR
from ..training.sr import RestorationTrainer
from ..utils import get_device
from . import cards


def register(commands, train_commands) -> None:
    evaluate = commands.add_parser(
        "evaluate-burst",
        help="Y-PSNR/SSIM of bicubic, single-image SRResNet, shift-and-add and a burst model on synthetic bursts",
        description=evaluate_burst.__doc__.split("\n\n")[1],
    )
    evaluate.add_argument(
        "--images", required=True,
        help="a folder of images, or an image set name: photos-test (the held-out bundled photographs) or "
             "outside (scikit-learn's sample photographs china and flower, from outside the bundled set)",
    )
    evaluate.add_argument("--frames", type=int, default=8, help="frames per burst (default 8)")
    evaluate.add_argument("--scale", type=int, default=4, help="downsampling factor (default 4)")
    cards.add_model_arguments(evaluate, default="burst-x<scale>")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the first image's burst (image i: seed + i)")
    cards.add_device_argument(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    evaluate.add_argument("--per-image", action="store_true", help="also report every image's own scores")
    evaluate.set_defaults(func=run_evaluate)

    train = train_commands.add_parser(
        "burst", help="train the learned burst restorer (BurstSR) on the bundled training photographs",
    )
    train.add_argument("--scale", type=int, default=4, help="2, 3, 4 or 8 (default 4)")
    train.add_argument("--frames", type=int, default=8, help="frames per training burst (default 8)")
    train.add_argument("--steps", type=int, default=1500, help="optimisation steps (default 1500)")
    train.add_argument("--batch-size", type=int, default=8, help="bursts per step (default 8)")
    train.add_argument("--patch-size", type=int, default=96, help="high-resolution patch side (default 96)")
    train.add_argument("--features", type=int, default=32, help="feature channels (default 32, as burst-x4)")
    train.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, halved at 60%% and 85%% of the steps")
    train.add_argument("--seed", type=int, default=0, help="seed of the weights, the data and the batches")
    train.add_argument(
        "--images", default=None, metavar="SET_OR_DIR",
        help="train on a folder of photographs, or an image set by name (e.g. div2k-train: downloaded and verified "
             "the first time), instead of the bundled training photographs; read one photo per burst",
    )
    train.add_argument("--workers", type=int, default=None,
                       help="DataLoader processes that read photos and make bursts (useful with --images; default 0)")
    train.add_argument(
        "--no-augment", action="store_true",
        help="train on the old flip-only data; by default every burst is augmented (flips, 90° rotations, "
             "channel order and gains, noise level; see BurstDataset)",
    )
    train.add_argument("--out", required=True, help="where to write the state dict (its card goes to OUT.json)")
    train.add_argument("--state", default=None, help="training-state checkpoint for exact resume (default OUT.state)")
    train.add_argument("--checkpoint-every", type=int, default=100, help="steps between training-state saves")
    train.add_argument("--resume", action="store_true", help="continue from --state if it exists")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads (e.g. 1 on a shared machine)")
    cards.add_device_argument(train)
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    cards.add_overwrite_argument(train)
    train.set_defaults(func=run_train)


# ----------------------------------------------------------------------------
# evaluate-burst
# ----------------------------------------------------------------------------
def _load_images(spec: str):
    """``--images``: a folder of images, or the name of an image set that is already here (no download)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return read_image_folder(path)
    try:
        return get_image_set(spec, download=False)
    except (ValueError, KeyError) as error:
        raise ValueError(
            f"--images {spec!r} is neither a folder nor a known image set (e.g. photos-test): {error}"
        ) from error


def _load_burst_model(args, device) -> BurstSR:
    """The ``--pretrained`` / ``--checkpoint`` burst model (default ``burst-x<scale>``), built for ``--scale``."""
    model, _, label = cards.load_model(args, default=f"burst-x{args.scale}", device=device)
    if not isinstance(model, BurstSR):
        raise ValueError(f"{label!r} is not a burst model (its card names {type(model).__name__})")
    model.check_scale(args.scale)
    return model


def run_evaluate(args) -> int:
    check_scale(args.scale, "--scale")
    if args.frames < 1:
        raise ValueError(f"--frames must be >= 1, got {args.frames}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    device = get_device(args.device)
    images = _load_images(args.images)
    model = _load_burst_model(args, device)
    single_name = f"srresnet-x{args.scale}"
    single_image_model, note = None, None
    if single_name in pretrained.available():
        single_image_model = pretrained.load(single_name, device=device)
    else:
        note = f"single-image model {single_name!r} is unavailable (not bundled); its scores are null"
        print(f"note: {note}", file=sys.stderr)
    report = evaluate_burst(images, model, args.frames, args.scale, args.seed, single_image_model, device,
                            per_image=args.per_image)
    report["frames"], report["scale"], report["seed"] = args.frames, args.scale, args.seed
    if note:
        report["note"] = note
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['images']} images, {args.frames} frames, ×{args.scale}, seed {args.seed}")
    print(f"{'method':<15}{'Y-PSNR (dB)':>12}{'Y-SSIM':>9}")
    for method in BURST_METHODS:
        scores = report[method]
        if scores is None:
            print(f"{method:<15}{'unavailable':>12}")
        else:
            print(f"{method:<15}{scores['psnr_y']:>12.2f}{scores['ssim_y']:>9.4f}")
    if args.per_image:
        methods = [method for method in BURST_METHODS if report[method] is not None]
        print("\nY-PSNR (dB) per image")
        print(f"{'image':<15}" + "".join(f"{method:>15}" for method in methods))
        for name, scores in report["per_image"].items():
            print(f"{name:<15}" + "".join(f"{scores[method]['psnr_y']:>15.2f}" for method in methods))
    return 0


# ----------------------------------------------------------------------------
# train burst
# ----------------------------------------------------------------------------
#: What ``train burst --images`` refuses: the photographs that the course evaluates burst models on.
HELD_OUT_IMAGE_SETS = ("photos-test", "photos-all", "outside")


def _training_photos(spec: str | None):
    """``--images``: the bundled training photographs (default), a folder, or an image set by name (downloaded)."""
    if spec is None:
        return photo_set("train")
    path = Path(spec).expanduser()
    if path.is_dir():
        return read_image_folder(path)
    if spec.lower() in HELD_OUT_IMAGE_SETS:
        raise ValueError(f"--images {spec!r} holds photographs that burst models are evaluated on; "
                         "train on photos-train, div2k-train or a folder of your own")
    try:
        return get_image_set(spec, download=True)
    except (ValueError, KeyError) as error:
        raise ValueError(f"--images {spec!r} is neither a folder nor a known image set (e.g. div2k-train): "
                         f"{error}") from error


def _training_photos_description(spec: str | None) -> str:
    if spec is None:
        return f"photos train split only ({', '.join(PHOTO_TRAIN)})"
    return f"the photographs of --images {spec}"


def run_train(args) -> int:
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    state = Path(args.state) if args.state else Path(args.out).with_suffix(".state")
    out = cards.start_training(args, state=state)
    arguments = {"scale": args.scale, "features": args.features}
    model = BurstSR(**arguments)
    dataset = BurstDataset(
        _training_photos(args.images), frames=args.frames, scale=args.scale, patch_size=args.patch_size,
        length=100_000, seed=args.seed, augment=not args.no_augment,
    )
    trainer = RestorationTrainer(
        model, dataset, device=args.device, batch_size=args.batch_size, lr=args.lr, workers=args.workers or 0,
        lr_milestones=(int(0.6 * args.steps), int(0.85 * args.steps)),
        seed=args.seed, checkpoint_path=state, checkpoint_every=args.checkpoint_every,
        progress=not args.no_progress,
    )
    trainer.fit(args.steps, resume=state if args.resume and state.is_file() else None)
    losses = trainer.history.values.get("loss", [])
    if args.no_augment:
        augmentation = "augmentation: a horizontal flip with probability 1/2 only"
    else:
        augmentation = (
            "augmentation (each burst, seeded per item): horizontal and vertical flips (each p = 1/2), "
            "k·90° rotation (k uniform in 0..3), channel order uniform over all orders, per-channel gains uniform "
            f"in [{AUGMENT_GAIN_RANGE[0]}, {AUGMENT_GAIN_RANGE[1]}] (no clipping), shot and read variances × one "
            f"factor log-uniform in [{AUGMENT_NOISE_FACTOR_RANGE[0]}, {AUGMENT_NOISE_FACTOR_RANGE[1]}]"
        )
    card = {
        "name": out.stem,
        "description": (
            f"BurstSR ×{args.scale}: a small learned burst super-resolver (shared encoder, per-pixel displacement "
            "started from the phase-correlation shift, softmax weights over the frames, shift-and-add of the "
            "features on the fine grid, space-to-depth and PixelShuffle decoder), trained on synthetic "
            f"{args.frames}-frame bursts (bicubic downsampling, shot+read noise) of "
            + ("the bundled training photographs." if args.images is None else f"the photographs of --images {args.images}.")
        ),
        "architecture": "imgsynth_edu.models.burst.BurstSR",
        "arguments": arguments,
        "data": (
            f"{_training_photos_description(args.images)}; {args.patch_size}×{args.patch_size} patches, "
            f"{args.frames} frames, shifts uniform in ±2 low-res px, noise {DEFAULT_NOISE}; {augmentation}"
        ),
        "command": cards.reproduce_command(args, ["scale", "frames", "steps", "batch-size", "patch-size", "features", "lr",
                                            "seed", "images", "workers", "no-augment", "out", "threads", "device"]),
        "steps": trainer.step,
        "batch_size": args.batch_size,
        "wall_time_s": round(trainer.elapsed_s, 1),
        "hardware": cards.hardware(trainer.device),
        "final_loss_l1": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 5),
        "scores": {},
    }
    card_path = cards.save_model_and_card(model, out, card)
    print(f"wrote {out} and {card_path} ({trainer.step} steps, {trainer.elapsed_s:.0f} s)")
    return 0
