"""``imgsynth-edu train burst`` and ``imgsynth-edu evaluate-burst``: the multi-frame lesson's commands.

    imgsynth-edu train burst --scale 4 --frames 8 --steps 1500 --out burst-x4.pt
    imgsynth-edu evaluate-burst --images photos-test --frames 8 --scale 4 --json

``evaluate-burst`` makes one seeded synthetic burst per image
(:func:`imgsynth_edu.data.bursts.synthetic_burst`, default noise) and reports
the mean Y-PSNR / Y-SSIM (SR protocol: BT.601 luma, ``scale`` pixels of border
cropped) of four methods: bicubic upscaling of frame 0, the single-image
``srresnet-x{scale}`` on frame 0, classical shift-and-add (shifts estimated by
phase correlation), and the burst model.

Lesson: ``06_multi_frame_restoration.ipynb``.
"""

from __future__ import annotations

import json
import platform
import shlex
import sys
from pathlib import Path

import torch

from . import pretrained
from .utils import atomic_write, get_device, load_state_dict, save_state_dict, seed_everything

#: The methods ``evaluate-burst`` reports, in order.
METHODS = ("bicubic", "srresnet", "shift_and_add", "burst")


def register(commands, train_commands) -> None:
    evaluate = commands.add_parser(
        "evaluate-burst",
        help="Y-PSNR/SSIM of bicubic, single-image SRResNet, shift-and-add and a burst model on synthetic bursts",
        description=__doc__.split("\n\n")[2],
    )
    evaluate.add_argument(
        "--images", required=True,
        help="a folder of images, or an image set name such as photos-test (the held-out bundled photographs)",
    )
    evaluate.add_argument("--frames", type=int, default=8, help="frames per burst (default 8)")
    evaluate.add_argument("--scale", type=int, default=4, help="downsampling factor, 2 or 4 (default 4)")
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--pretrained", metavar="NAME", help="bundled burst model (default burst-x{scale})")
    source.add_argument("--checkpoint", metavar="PATH", help="a burst model state dict (card NAME.json beside it)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the first image's burst (image i: seed + i)")
    evaluate.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    evaluate.set_defaults(func=run_evaluate)

    train = train_commands.add_parser(
        "burst", help="train the learned burst restorer (BurstSR) on the bundled training photographs",
    )
    train.add_argument("--scale", type=int, default=4, help="2 or 4 (default 4)")
    train.add_argument("--frames", type=int, default=8, help="frames per training burst (default 8)")
    train.add_argument("--steps", type=int, default=1500, help="optimisation steps (default 1500)")
    train.add_argument("--batch-size", type=int, default=8, help="bursts per step (default 8)")
    train.add_argument("--patch-size", type=int, default=96, help="high-resolution patch side (default 96)")
    train.add_argument("--features", type=int, default=24, help="feature channels (default 24)")
    train.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, halved at 60%% and 85%% of the steps")
    train.add_argument("--seed", type=int, default=0, help="seed of the weights, the data and the batches")
    train.add_argument("--out", required=True, help="where to write the state dict (its card goes to OUT.json)")
    train.add_argument("--state", default=None, help="training-state checkpoint for exact resume (default OUT.state)")
    train.add_argument("--checkpoint-every", type=int, default=100, help="steps between training-state saves")
    train.add_argument("--resume", action="store_true", help="continue from --state if it exists")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads (e.g. 1 on a shared machine)")
    train.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.set_defaults(func=run_train)


# ----------------------------------------------------------------------------
# evaluate-burst
# ----------------------------------------------------------------------------
def _load_images(spec: str) -> dict:
    from .data.image_sets import ImageFolderSet, get_image_set

    path = Path(spec).expanduser()
    if path.is_dir():
        images = dict(ImageFolderSet(path))
        if not images:
            raise ValueError(f"--images folder {str(path)!r} holds no image files (png, jpg, bmp, tif)")
        return images
    try:
        return dict(get_image_set(spec, download=False))
    except (ValueError, KeyError) as error:
        raise ValueError(
            f"--images {spec!r} is neither a folder nor a known image set (e.g. photos-test): {error}"
        ) from error


def load_burst_model(scale: int, pretrained_name: str | None = None, checkpoint: str | None = None):
    """The burst model to evaluate: a bundled one (default ``burst-x{scale}``) or a state dict + card.

    Raises a ``ValueError`` if the model was built for another ``scale``.
    """
    from .models.burst import BurstSR

    if checkpoint is not None:
        card_path = Path(checkpoint).with_suffix(".json")
        arguments = json.loads(card_path.read_text())["arguments"] if card_path.is_file() else {"scale": scale}
        model = BurstSR(**arguments)
        try:
            model.load_state_dict(load_state_dict(checkpoint))
        except RuntimeError as error:
            raise ValueError(f"--checkpoint {checkpoint!r} does not fit BurstSR({arguments}): {error}") from error
        model.eval()
    else:
        model = pretrained.load(pretrained_name or f"burst-x{scale}")
    model.check_scale(scale)
    return model


def evaluate_burst(
    images: dict,
    model,
    frames: int = 8,
    scale: int = 4,
    seed: int = 0,
    single_image_model=None,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> dict:
    """Mean SR-protocol scores of the four methods over one seeded burst per image.

    Returns ``{method: {"psnr_y", "ssim_y"} or None, "images": count}``;
    ``single_image_model=None`` gives ``"srresnet": None``.

    Lesson: ``06_multi_frame_restoration.ipynb`` (quality against number of frames).
    """
    from .data.bursts import synthetic_burst
    from .data.degradations import bicubic_upscale
    from .metrics.image import sr_metrics
    from .models.burst import shift_and_add
    from .models.srresnet import upscale_tiled

    sums = {method: {"psnr_y": 0.0, "ssim_y": 0.0} for method in METHODS}
    names = list(images)
    for index, name in enumerate(names):
        burst = synthetic_burst(images[name], frames, scale, seed=seed + index)
        target = burst.target[None]  # 1×C×H×W
        frames_batch = burst.frames[None].to(device)  # 1×F×C×h×w
        results = {
            "bicubic": bicubic_upscale(burst.frames[:1], scale),
            "shift_and_add": shift_and_add(burst.frames[None], None, scale).cpu(),
        }
        if single_image_model is not None:
            results["srresnet"] = upscale_tiled(single_image_model, burst.frames[:1].to(device), scale).cpu()
        with torch.no_grad():
            results["burst"] = model(frames_batch).clamp(0.0, 1.0).cpu()  # the model's raw output, shown as a picture
        for method, restored in results.items():
            scores = sr_metrics(restored, target, scale)
            sums[method]["psnr_y"] += float(scores["psnr_y"])
            sums[method]["ssim_y"] += float(scores["ssim_y"])
        if progress:
            print(f"  {name}: done", file=sys.stderr)
    report = {}
    for method in METHODS:
        if method == "srresnet" and single_image_model is None:
            report[method] = None
            continue
        report[method] = {key: round(value / len(names), 4) for key, value in sums[method].items()}
    report["images"] = len(names)
    return report


def run_evaluate(args) -> int:
    from .data.bursts import SUPPORTED_SCALES

    if args.scale not in SUPPORTED_SCALES:
        raise ValueError(f"--scale must be one of {SUPPORTED_SCALES}, got {args.scale}")
    if args.frames < 1:
        raise ValueError(f"--frames must be >= 1, got {args.frames}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    device = get_device(args.device)
    images = _load_images(args.images)
    model = load_burst_model(args.scale, args.pretrained, args.checkpoint).to(device)
    single_name = f"srresnet-x{args.scale}"
    single_image_model, note = None, None
    if single_name in pretrained.available():
        single_image_model = pretrained.load(single_name, device=device)
    else:
        note = f"single-image model {single_name!r} is unavailable (not bundled); its scores are null"
        print(f"note: {note}", file=sys.stderr)
    report = evaluate_burst(images, model, args.frames, args.scale, args.seed, single_image_model, device)
    report["frames"], report["scale"], report["seed"] = args.frames, args.scale, args.seed
    if note:
        report["note"] = note
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['images']} images, {args.frames} frames, ×{args.scale}, seed {args.seed}")
    print(f"{'method':<15}{'Y-PSNR (dB)':>12}{'Y-SSIM':>9}")
    for method in METHODS:
        scores = report[method]
        if scores is None:
            print(f"{method:<15}{'unavailable':>12}")
        else:
            print(f"{method:<15}{scores['psnr_y']:>12.2f}{scores['ssim_y']:>9.4f}")
    return 0


# ----------------------------------------------------------------------------
# train burst
# ----------------------------------------------------------------------------
def run_train(args) -> int:
    from .data.bursts import DEFAULT_NOISE, BurstDataset
    from .data.photos import PHOTO_TRAIN, photo_set
    from .models.burst import BurstSR
    from .training.sr import RestorationTrainer

    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    seed_everything(args.seed)
    arguments = {"scale": args.scale, "features": args.features}
    model = BurstSR(**arguments)
    dataset = BurstDataset(
        photo_set("train"), frames=args.frames, scale=args.scale, patch_size=args.patch_size,
        length=100_000, seed=args.seed,
    )
    out = Path(args.out)
    state = Path(args.state) if args.state else out.with_suffix(".state")
    trainer = RestorationTrainer(
        model, dataset, batch_size=args.batch_size, lr=args.lr,
        lr_milestones=(int(0.6 * args.steps), int(0.85 * args.steps)),
        device=args.device, seed=args.seed, checkpoint_path=state, checkpoint_every=args.checkpoint_every,
        progress=not args.no_progress,
    )
    trainer.fit(args.steps, resume=args.resume)
    save_state_dict({k: v.cpu() for k, v in model.state_dict().items()}, out)
    losses = trainer.history.values.get("loss", [])
    device = trainer.device
    hardware = (
        torch.cuda.get_device_name(device) if device.type == "cuda"
        else f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} thread(s)"
    )
    card = {
        "name": out.stem,
        "description": (
            f"BurstSR ×{args.scale}: a small learned burst super-resolver (shared encoder, flow alignment from "
            "the phase-correlation shift, per-pixel softmax fusion, PixelShuffle decoder), trained on synthetic "
            f"{args.frames}-frame bursts (bicubic downsampling, shot+read noise) of the bundled training photographs."
        ),
        "architecture": "imgsynth_edu.models.burst.BurstSR",
        "arguments": arguments,
        "data": (
            f"photos train split only ({', '.join(PHOTO_TRAIN)}); {args.patch_size}×{args.patch_size} patches, "
            f"{args.frames} frames, shifts uniform in ±2 low-res px, noise {DEFAULT_NOISE}"
        ),
        "command": _train_command(args),
        "steps": trainer.step,
        "batch_size": args.batch_size,
        "wall_time_s": round(trainer.elapsed_s, 1),
        "hardware": hardware,
        "final_loss_l1": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 5),
        "scores": {},
    }
    with atomic_write(out.with_suffix(".json"), "w") as handle:
        json.dump(card, handle, indent=2)
    print(f"wrote {out} and {out.with_suffix('.json')} ({trainer.step} steps, {trainer.elapsed_s:.0f} s)")
    return 0


def _train_command(args) -> str:
    """The exact command that reproduces this run (every option spelled out)."""
    parts = [
        "imgsynth-edu", "train", "burst", "--scale", args.scale, "--frames", args.frames, "--steps", args.steps,
        "--batch-size", args.batch_size, "--patch-size", args.patch_size, "--features", args.features,
        "--lr", args.lr, "--seed", args.seed, "--out", args.out,
    ]
    if args.threads is not None:
        parts += ["--threads", args.threads]
    if args.device is not None:
        parts += ["--device", args.device]
    return " ".join(shlex.quote(str(part)) for part in parts)


__all__ = ["METHODS", "evaluate_burst", "load_burst_model", "register"]
