"""Super-resolution commands: ``train srresnet``, ``train srgan``, ``upscale``, ``evaluate-sr``.

::

    imgsynth-edu train srresnet --out srresnet-x4.pt --steps 3000 --blocks 8 --channels 32 --no-batch-norm
    imgsynth-edu train srgan --init-pretrained srresnet-x4 --out srgan-x4.pt --steps 500
    imgsynth-edu upscale photo.png photo_x4.png --scale 4 [--pretrained srresnet-x4 | --checkpoint PATH] [--tile 256]
    imgsynth-edu upscale photo.png photo_x4.png --engine onnx [--checkpoint MODEL.onnx]   # ONNX Runtime
    imgsynth-edu evaluate-sr --images DIR --scale 4 [--pretrained NAME | --checkpoint PATH] [--json]
    imgsynth-edu evaluate-sr --photos test --scale 4 --pretrained srresnet-x4   # the held-out bundled photos
    imgsynth-edu evaluate-sr --set set5 --scale 4 --pretrained srresnet-x4      # Set5, downloaded and verified

A ``--checkpoint`` is a model file written by ``train`` (a state dict with its
card ``NAME.json`` beside it, which says how to build the model).

Lesson: ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import torch

from .. import pretrained
from ..data import photo_names, photo_set
from ..data.degradations import bicubic_upscale
from ..data.image_io import check_writable_suffix, read_image, read_image_folder, write_image_strips
from ..data.image_sets import get_image_set
from ..data.patches import PairedPatchDataset
from ..evaluation import evaluate_sr
from ..losses import VGGPerceptualLoss, l1_loss, mse_loss
from ..models.srresnet import SRGANDiscriminator, SRResNet, upscale_strips
from ..training import distributed
from ..training.sr import RestorationTrainer, SRGANTrainer
from ..utils import get_device
from . import cards
from .export import add_engine_argument, load_upscaler

#: What each SRGAN content loss is, and when to use it (written on the card).
CONTENT_NOTES = {
    "vgg54": "VGG54 (Ledig et al. 2017, eq. 5): MSE between ImageNet-VGG19 relu5_4 features; the paper's choice, "
             "needs the VGG19 weights (downloaded once, 548 MB)",
    "vgg22": "VGG22 (Ledig et al. 2017): MSE between ImageNet-VGG19 relu2_2 features; needs the VGG19 weights",
    "l1": "L1 between output and truth, pixel by pixel: works offline, with no pretrained network (the paper's "
          "VGG54 needs ImageNet-VGG19 weights); the paper's 'SRGAN-MSE' variant with EDSR's L1 for the MSE",
    "mse": "MSE between output and truth: the paper's 'SRGAN-MSE' variant, works offline",
}

def register(commands, train_commands) -> None:
    # ---- train srresnet ----------------------------------------------------
    train = train_commands.add_parser("srresnet", help="train SRResNet on paired patches of the bundled photos")
    _add_training_arguments(train, default_steps=3000, default_lr=2e-4)
    train.add_argument("--blocks", type=int, default=16, help="residual blocks B (paper: 16)")
    train.add_argument("--channels", type=int, default=64, help="feature channels (paper: 64)")
    train.add_argument("--no-batch-norm", action="store_true", help="drop BN (the EDSR variant)")
    train.add_argument("--bicubic-skip", action="store_true",
                       help="add the bicubic enlargement to the output (VDSR global residual; faster to train)")
    train.add_argument("--loss", choices=("l1", "mse"), default="l1", help="pixel loss (default l1)")
    train.set_defaults(func=run_train_srresnet)
    # ---- train srgan -------------------------------------------------------
    gan = train_commands.add_parser("srgan", help="fine-tune an SRResNet adversarially (SRGAN)")
    _add_training_arguments(gan, default_steps=1000, default_lr=1e-4)
    start = gan.add_mutually_exclusive_group(required=True)
    start.add_argument("--init-pretrained", metavar="NAME", help="bundled SRResNet to start from (e.g. srresnet-x4)")
    start.add_argument("--init-checkpoint", metavar="PATH", help="SRResNet model file (with its .json card) to start from")
    gan.add_argument("--content", choices=("vgg54", "vgg22", "l1", "mse"), default="vgg54",
                     help="content loss (paper: vgg54; needs the VGG19 download)")
    gan.add_argument("--adversarial-weight", type=float, default=1e-3, help="weight of the adversarial term (paper: 1e-3)")
    gan.add_argument("--d-channels", type=int, default=64, help="discriminator base channels (paper: 64)")
    gan.add_argument("--average-decay", type=float, default=0.0,
                     help="keep an exponential moving average of the generator's weights with this decay "
                          "(e.g. 0.99) and save the average as the model (0: save the last weights)")
    gan.set_defaults(func=run_train_srgan)
    # ---- upscale -----------------------------------------------------------
    upscale = commands.add_parser("upscale", help="upscale an image file with a super-resolution model")
    upscale.add_argument("input", help="image file to read (PNG, JPEG, ...; greyscale, RGB, RGBA, 8 or 16 bit)")
    upscale.add_argument("output", help="image file to write (PNG keeps 16 bit and alpha)")
    upscale.add_argument("--scale", type=int, default=4, help="upscaling factor (must match the model)")
    cards.add_model_arguments(upscale, default="srresnet-x<scale>")
    upscale.add_argument("--tile", type=int, default=256, help="low-resolution tile size (memory bound)")
    cards.add_device_argument(upscale)
    cards.add_overwrite_argument(upscale)
    add_engine_argument(upscale)
    upscale.set_defaults(func=run_upscale)
    # ---- evaluate-sr -------------------------------------------------------
    evaluate = commands.add_parser(
        "evaluate-sr", help="downscale images, restore them, report Y-PSNR / Y-SSIM vs bicubic"
    )
    images = evaluate.add_mutually_exclusive_group(required=True)
    images.add_argument("--images", metavar="DIR", help="folder of high-resolution images")
    images.add_argument("--photos", choices=("train", "test", "all"), help="the bundled photographs of this split")
    images.add_argument("--set", metavar="NAME", help="a benchmark set, downloaded and verified: set5, set14, bsd100, div2k-valid")
    evaluate.add_argument("--scale", type=int, default=4, help="downscaling factor")
    cards.add_model_arguments(evaluate, default="srresnet-x<scale>")
    evaluate.add_argument("--tile", type=int, default=256, help="low-resolution tile size")
    cards.add_device_argument(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object on stdout, nothing else")
    evaluate.set_defaults(func=run_evaluate)


def _add_training_arguments(parser, default_steps: int, default_lr: float) -> None:
    parser.add_argument("--out", required=True, help="model file to write (NAME.pt; its card NAME.json goes beside it)")
    parser.add_argument("--scale", type=int, default=4, help="upscaling factor: 2, 3, 4 or 8")
    parser.add_argument("--steps", type=int, default=default_steps, help="optimisation steps in total")
    parser.add_argument("--batch-size", type=int, default=16, help="patch pairs per step (paper: 16)")
    parser.add_argument("--patch-size", type=int, default=96, help="high-resolution patch side (paper: 96)")
    parser.add_argument("--lr", type=float, default=default_lr, help="Adam learning rate")
    parser.add_argument("--photos", choices=("train", "all"), default="train",
                        help="which bundled photos to train on (default: the train split only)")
    parser.add_argument("--images", metavar="DIR", help="train on the images of this folder instead (e.g. DIV2K)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-every", type=int, default=200, help="write the resumable state every N steps")
    parser.add_argument("--resume", action="store_true", help="continue from OUT.state.pt if it exists")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--workers", type=int, default=0,
                        help="DataLoader processes that read and crop the patches (useful with --images; default 0)")
    cards.add_device_argument(parser)
    parser.add_argument("--no-eval", action="store_true", help="skip scoring the held-out photos at the end")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    cards.add_overwrite_argument(parser)


def _load_model(args, device) -> tuple[torch.nn.Module, str]:
    """The ``--pretrained`` / ``--checkpoint`` model (default ``srresnet-x<scale>``); its scale must be ``--scale``."""
    model, card, label = load_upscaler(args, device, default=f"srresnet-x{args.scale}")  # --engine torch or onnx
    model_scale = card.get("arguments", {}).get("scale")
    if model_scale is not None and model_scale != args.scale:
        raise ValueError(f"--scale {args.scale} does not match the model {label!r}, which upscales ×{model_scale}")
    return model, label


# ----------------------------------------------------------------------------
# train
# ----------------------------------------------------------------------------
def _training_images(args) -> Mapping[str, torch.Tensor]:
    if args.images:
        return read_image_folder(args.images, rgb=True)  # streamed: PairedPatchDataset reads one file per item
    return photo_set(args.photos)


def _write_model_and_card(model, args, card: dict, trainer, device, *, niqe: bool = False,
                          reference: tuple[str, torch.nn.Module] | None = None) -> None:
    """Score the held-out photographs (unless ``--no-eval``), then write the model file and its card.

    ``niqe=True`` adds NIQE (the perception axis) to every score; ``reference``
    ``(name, model)`` is scored on the same photos beside the model (for SRGAN:
    the SRResNet it started from), so the card shows both sides of the trade-off.
    Under ``torchrun`` only rank 0 does this (every rank holds the same weights).
    """
    if not distributed.is_main_process():
        return
    card.update({
        "steps": trainer.step,
        "wall_time_s": round(trainer.elapsed_s, 1),
        "hardware": cards.hardware(device),
        "final_loss": trainer.history.values[next(iter(trainer.history.values))][-1] if trainer.history.values else None,
    })
    if not args.no_eval:
        print("scoring the held-out bundled photographs (imgsynth-edu evaluate-sr --photos test) ...", file=sys.stderr)
        photos = photo_set("test")
        result = evaluate_sr(model, photos, args.scale, device=device, niqe=niqe)
        card["scores"] = {
            "held_out_photos": {
                "protocol": f"x{args.scale}, MATLAB-like bicubic input rounded to 8 bit; Y (BT.601) and RGB, "
                            f"border of {args.scale} px cropped" + ("; NIQE (lower is better) on the same crop" if niqe else ""),
                "images": [row["name"] for row in result["images"]],
                "bicubic": result["bicubic"],
                "model": result["model"],
                "gain_psnr_y_db": result["model"]["psnr_y"] - result["bicubic"]["psnr_y"],
            }
        }
        if reference is not None:
            name, reference_model = reference
            scores = evaluate_sr(reference_model, photos, args.scale, device=device, niqe=niqe, baseline=False)["model"]
            card["scores"]["held_out_photos"]["reference"] = {"name": name, **scores}
            card["scores"]["held_out_photos"]["per_image"] = [
                {"name": row["name"], "bicubic": row["bicubic"], "model": row["model"]} for row in result["images"]]
        print(json.dumps(card["scores"], indent=1), file=sys.stderr)
    card_path = cards.save_model_and_card(model, args.out, card)
    print(f"wrote {args.out} and {card_path}", file=sys.stderr)


def _state_path(args) -> Path:
    """The resumable training state beside ``--out``: ``OUT.state.pt``."""
    return Path(args.out).with_suffix(".state.pt")


def _resume_from(args) -> Path | None:
    """``--resume``: continue from ``OUT.state.pt`` if it exists (a fresh start otherwise)."""
    return _state_path(args) if args.resume and _state_path(args).is_file() else None


#: The options ``train srresnet`` / ``train srgan`` write into the card's command, in order.
_COMMON_OPTIONS = ["out", "scale", "steps", "batch-size", "patch-size", "lr", "photos", "images", "seed",
                   "checkpoint-every"]


def run_train_srresnet(args) -> int:
    cards.start_training(args, state=_state_path(args))  # also seeds the initial weights with --seed
    device = get_device(args.device)
    arguments = {"scale": args.scale, "num_blocks": args.blocks, "channels": args.channels,
                 "batch_norm": not args.no_batch_norm, "bicubic_skip": args.bicubic_skip}
    model = SRResNet(**arguments)
    dataset = PairedPatchDataset(_training_images(args), args.scale, args.patch_size, seed=args.seed)
    trainer = RestorationTrainer(
        model, dataset, loss_fn={"l1": l1_loss, "mse": mse_loss}[args.loss], device=device,
        batch_size=args.batch_size, lr=args.lr, seed=args.seed, checkpoint_path=_state_path(args),
        checkpoint_every=args.checkpoint_every, progress=not args.quiet, workers=args.workers,
    )
    trainer.fit(args.steps, resume=_resume_from(args))
    data = (f"images of {args.images}" if args.images else
            f"the bundled scikit-image photographs, split {args.photos!r} ({', '.join(photo_names(args.photos))})")
    card = {
        "name": Path(args.out).stem,
        "description": (f"SRResNet ×{args.scale} (Ledig et al. 2017), {args.blocks} residual blocks, "
                        f"{args.channels} channels, {'no BN (EDSR variant)' if args.no_batch_norm else 'with BN'}, "
                        f"{'bicubic global skip (VDSR), ' if args.bicubic_skip else ''}"
                        f"{args.loss.upper()} loss; {sum(p.numel() for p in model.parameters()):,} parameters"),
        "architecture": "imgsynth_edu.models.srresnet.SRResNet",
        "arguments": arguments,
        "data": f"{data}; random {args.patch_size}×{args.patch_size} patches, flips and 90° rotations, "
                f"input = MATLAB-like bicubic ×1/{args.scale}",
        "training": {"batch_size": args.batch_size, "patch_size": args.patch_size, "lr": args.lr,
                     "optimizer": "Adam(0.9, 0.999)", "loss": args.loss, "seed": args.seed},
        "command": cards.reproduce_command(args, [*_COMMON_OPTIONS, "blocks", "channels", "no-batch-norm", "bicubic-skip",
                                            "loss"]),
    }
    _write_model_and_card(model.eval(), args, card, trainer, device)
    return 0


def run_train_srgan(args) -> int:
    cards.start_training(args, state=_state_path(args))  # also seeds the initial weights with --seed
    device = get_device(args.device)
    if args.init_checkpoint:
        generator, init_card = pretrained.load_file(args.init_checkpoint), pretrained.read_card(args.init_checkpoint)
    elif args.init_pretrained not in pretrained.available():
        raise ValueError(f"--init-pretrained {args.init_pretrained!r} is not a bundled model; "
                         f"bundled: {', '.join(pretrained.available())}")
    else:
        generator, init_card = pretrained.load(args.init_pretrained), pretrained.card(args.init_pretrained)
    if init_card.get("arguments", {}).get("scale") != args.scale:
        raise ValueError(f"--scale {args.scale} does not match the initial SRResNet (×{init_card.get('arguments', {}).get('scale')})")
    content = {"l1": lambda: l1_loss, "mse": lambda: mse_loss,
               "vgg54": lambda: VGGPerceptualLoss("relu5_4"), "vgg22": lambda: VGGPerceptualLoss("relu2_2")}[args.content]()
    initial = copy.deepcopy(generator).eval()  # scored beside the result on the card
    torch.manual_seed(args.seed)  # --seed fixes the discriminator's initial weights too
    discriminator = SRGANDiscriminator(base_channels=args.d_channels)
    dataset = PairedPatchDataset(_training_images(args), args.scale, args.patch_size, seed=args.seed)
    trainer = SRGANTrainer(
        generator.train(), discriminator, dataset, content_loss=content, adversarial_weight=args.adversarial_weight,
        average_decay=args.average_decay, device=device, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
        checkpoint_path=_state_path(args), checkpoint_every=args.checkpoint_every, progress=not args.quiet,
        workers=args.workers,
    )
    trainer.fit(args.steps, resume=_resume_from(args))
    result = trainer.average if trainer.average is not None else generator
    averaged = (f"; the saved weights are the exponential moving average (decay {args.average_decay:g}) of the "
                f"generator's weights over the run" if trainer.average is not None else "")
    card = {
        "name": Path(args.out).stem,
        "description": (f"SRGAN ×{args.scale} (Ledig et al. 2017): the generator of {init_card.get('name')!r} fine-tuned "
                        f"with {args.content} content + {args.adversarial_weight:g} × adversarial loss{averaged}"),
        "architecture": init_card["architecture"],
        "arguments": init_card["arguments"],
        "data": f"as {init_card.get('name')!r}: " + str(init_card.get("data", "")),
        "initialised_from": init_card.get("name"),
        "content_loss": CONTENT_NOTES[args.content],
        "training": {"batch_size": args.batch_size, "patch_size": args.patch_size, "lr": args.lr,
                     "content": args.content, "adversarial_weight": args.adversarial_weight,
                     "d_channels": args.d_channels, "optimizer": "Adam(0.9, 0.999) for both networks",
                     "average_decay": args.average_decay, "seed": args.seed},
        "command": cards.reproduce_command(args, [*_COMMON_OPTIONS, "init-pretrained", "init-checkpoint", "content",
                                            "adversarial-weight", "d-channels", "average-decay"]),
    }
    _write_model_and_card(result.eval(), args, card, trainer, device, niqe=True,
                          reference=(init_card.get("name", "initial SRResNet"), initial))
    return 0


# ----------------------------------------------------------------------------
# upscale
# ----------------------------------------------------------------------------
#: Low-resolution pixels each side that bicubic interpolation reads (Keys' kernel is non-zero within 2):
#: the tile overlap that makes tiled bicubic equal to one pass over the image.
BICUBIC_RADIUS = 2


def run_upscale(args) -> int:
    check_writable_suffix(args.output)
    cards.claim_outputs({"output": args.output}, {"the input": args.input, "--checkpoint": args.checkpoint},
                        overwrite=args.overwrite)
    device = get_device(args.device)
    image = read_image(args.input)  # refuses a non-image with a clear error, before loading any model
    model, label = _load_model(args, device)
    pixels, alpha = image.pixels, image.alpha  # 1×C×h×w, 1×1×h×w or None
    grey = pixels.shape[1] == 1
    if grey:
        pixels = pixels.expand(-1, 3, -1, -1)  # the model is RGB
    started = time.perf_counter()
    # Strip by strip: each row of tiles is restored, written to the file and dropped, so the command's
    # memory is the input, one tile's activations and one strip -- never the (s·h)×(s·w) result.
    strips = upscale_strips(model, pixels, args.scale, tile=args.tile)  # yields 1×3×(s·rows)×(s·w)
    if grey:
        strips = (strip.mean(dim=1, keepdim=True) for strip in strips)  # back to one channel
    alpha_strips = None
    if alpha is not None:  # alpha is not an image the model knows: bicubic, on the same strips
        alpha_strips = upscale_strips(partial(bicubic_upscale, scale=args.scale), alpha, args.scale,
                                      tile=args.tile, overlap=BICUBIC_RADIUS)
        print("note: the alpha channel was upscaled with bicubic interpolation (the model restores colour only)",
              file=sys.stderr)
    height, width = args.scale * image.height, args.scale * image.width
    out_bits = write_image_strips(args.output, strips, height=height, width=width, alpha_strips=alpha_strips,
                                  bit_depth=image.bit_depth)
    print(f"{args.input} ({image.width}×{image.height}, {image.bit_depth}-bit) -> {args.output} "
          f"({width}×{height}, {out_bits}-bit) with {label} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------
# evaluate-sr
# ----------------------------------------------------------------------------
def run_evaluate(args) -> int:
    device = get_device(args.device)
    if args.images:
        images = read_image_folder(args.images, rgb=True)
    elif args.set:
        images = get_image_set(args.set)
    else:
        images = photo_set(args.photos)
    model, label = _load_model(args, device)
    result = evaluate_sr(model, images, args.scale, tile=args.tile, device=device)
    result["model_name"] = label
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"×{args.scale} super-resolution, {len(images)} images; Y = BT.601 luma, border of {args.scale} px cropped")
    print(f"{'image':<24}{'size':>12}  {'bicubic Y-PSNR/SSIM':>22}  {label + ' Y-PSNR/SSIM':>28}")
    for row in result["images"]:
        size = f"{row['width']}×{row['height']}"
        bic, mod = row["bicubic"], row["model"]
        print(f"{row['name']:<24}{size:>12}  {bic['psnr_y']:>12.2f} / {bic['ssim_y']:.4f}  "
              f"{mod['psnr_y']:>18.2f} / {mod['ssim_y']:.4f}")
    bic, mod = result["bicubic"], result["model"]
    print(f"{'mean':<24}{'':>12}  {bic['psnr_y']:>12.2f} / {bic['ssim_y']:.4f}  {mod['psnr_y']:>18.2f} / {mod['ssim_y']:.4f}")
    print(f"RGB PSNR: bicubic {bic['psnr_rgb']:.2f} dB, model {mod['psnr_rgb']:.2f} dB; "
          f"gain in Y-PSNR: {mod['psnr_y'] - bic['psnr_y']:+.2f} dB")
    return 0
