"""``imgsynth-edu train classifier``: the digit classifier that judges generated digits.

    imgsynth-edu train classifier --out imgsynth_edu/pretrained/weights/digit-classifier.pt

trains :class:`imgsynth_edu.models.classifier.DigitClassifier` on the train
split of a digit dataset (default the bundled ``mnist-5k``), measures its
accuracy on the test split, and writes the state dict and, beside it, its
card (``.json``) with the exact command, wall time, hardware and test accuracy.

Lesson: ``04_measuring_quality.ipynb``.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import torch

from .utils import atomic_write, save_state_dict


def register(commands, train_commands) -> None:
    parser = train_commands.add_parser(
        "classifier", help="train the digit classifier (FID features, conditional accuracy); writes NAME.pt + NAME.json"
    )
    parser.add_argument("--data", default="mnist-5k", help="a 1×28×28 digit dataset (default mnist-5k, bundled)")
    parser.add_argument("--epochs", type=int, default=8, help="passes over the train split (default 8)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--max-shift", type=int, default=2, help="random translation in pixels (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--out", required=True, help="output .pt path (its .json card is written beside it)")
    parser.set_defaults(func=train_classifier_command)


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    return (f"CPU {platform.machine()} ({platform.processor() or 'unknown'}), "
            f"{torch.get_num_threads()} torch thread(s), {os.cpu_count()} cores")


def train_classifier_command(args) -> int:
    from . import get_device, seed_everything
    from .data import get_dataset, stack_dataset
    from .models.classifier import DigitClassifier, accuracy, train_classifier

    out = Path(args.out)
    if out.suffix != ".pt":
        raise ValueError(f"--out must end in .pt, got {args.out!r}")
    if args.threads:
        torch.set_num_threads(args.threads)
    generator = seed_everything(args.seed)
    device = get_device(args.device)
    train_images, train_labels = stack_dataset(get_dataset(args.data, "train"))
    test_images, test_labels = stack_dataset(get_dataset(args.data, "test"))
    if tuple(train_images.shape[1:]) != DigitClassifier.image_shape:
        raise ValueError(f"--data must hold 1×28×28 digits, {args.data!r} has {tuple(train_images.shape[1:])}")
    arguments = {"num_classes": 10, "width": 32, "embedding_dim": 128}
    model = DigitClassifier(**arguments).to(device)
    log = train_classifier(
        model, train_images, train_labels, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        max_shift=args.max_shift, generator=generator,
    )
    model = model.cpu()
    test_accuracy = accuracy(model, test_images, test_labels)
    train_accuracy = accuracy(model, train_images, train_labels)
    save_state_dict({k: v.detach().cpu() for k, v in model.state_dict().items()}, out)
    command = ["imgsynth-edu", "train", "classifier", "--data", args.data, "--epochs", str(args.epochs),
               "--batch-size", str(args.batch_size), "--lr", str(args.lr), "--max-shift", str(args.max_shift),
               "--seed", str(args.seed)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    card = {
        "name": out.stem,
        "description": "Digit classifier (LeNet-style CNN, 1×28×28 -> 10 classes); its 128-d penultimate "
                       "layer (features(x)) is the feature space for FID/KID/precision-recall on digits, "
                       "and its predictions give the conditional accuracy of a class-conditional GAN.",
        "architecture": "imgsynth_edu.models.classifier.DigitClassifier",
        "arguments": arguments,
        "data": f"{args.data} train split ({len(train_images)} images); scored on its test split "
                f"({len(test_images)} images)",
        "command": " ".join(command + ["--out", str(args.out)]),
        "steps": log["steps"],
        "wall_time_s": round(log["wall_time_s"], 1),
        "hardware": _hardware(device),
        "torch": torch.__version__,
        "final_loss": round(sum(log["losses"][-20:]) / len(log["losses"][-20:]), 4),
        "scores": {"test_accuracy": round(test_accuracy, 4), "train_accuracy": round(train_accuracy, 4)},
    }
    with atomic_write(out.with_suffix(".json"), "w") as handle:
        json.dump(card, handle, indent=2)
    print(f"wrote {out} and {out.with_suffix('.json')}: test accuracy {test_accuracy:.4f} "
          f"({log['steps']} steps, {log['wall_time_s']:.0f} s)")
    return 0
