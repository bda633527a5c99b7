"""``imgsynth-edu train classifier``: the digit classifier that judges generated digits.

    imgsynth-edu train classifier --out imgsynth_edu/pretrained/weights/digit-classifier.pt

trains :class:`imgsynth_edu.models.classifier.DigitClassifier` with
:func:`imgsynth_edu.training.classifier.train_classifier` on the train split of
a digit dataset (default the bundled ``mnist-5k``), measures its accuracy on the
test split (:func:`imgsynth_edu.evaluation.classifier_accuracy`), and writes the
state dict and, beside it, its card with the exact command, wall time,
hardware and test accuracy.

Lesson: ``04_measuring_quality.ipynb``.
"""

from __future__ import annotations

import torch

from ..data import get_dataset, stack_dataset
from ..evaluation import classifier_accuracy
from ..models.classifier import DigitClassifier
from ..training.classifier import train_classifier
from ..utils import get_device
from . import cards


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
    cards.add_device_argument(parser)
    parser.add_argument("--out", required=True, help="output .pt path (its .json card is written beside it)")
    parser.set_defaults(func=train_classifier_command)


def train_classifier_command(args) -> int:
    out = cards.start_training(args)
    generator = torch.Generator().manual_seed(args.seed)  # what seed_everything(args.seed) returns
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
    test_accuracy = classifier_accuracy(model, test_images, test_labels)
    train_accuracy = classifier_accuracy(model, train_images, train_labels)
    card = {
        "name": out.stem,
        "description": "Digit classifier (LeNet-style CNN, 1×28×28 -> 10 classes); its 128-d penultimate "
                       "layer (features(x)) is the feature space for FID/KID/precision-recall on digits, "
                       "and its predictions give the conditional accuracy of a class-conditional GAN.",
        "architecture": "imgsynth_edu.models.classifier.DigitClassifier",
        "arguments": arguments,
        "data": f"{args.data} train split ({len(train_images)} images); scored on its test split "
                f"({len(test_images)} images)",
        "command": cards.reproduce_command(args, ["data", "epochs", "batch-size", "lr", "max-shift", "seed", "threads",
                                            "out"]),
        "steps": log["steps"],
        "wall_time_s": round(log["wall_time_s"], 1),
        "hardware": cards.hardware(device),
        "torch": torch.__version__,
        "final_loss": round(sum(log["losses"][-20:]) / len(log["losses"][-20:]), 4),
        "scores": {"test_accuracy": round(test_accuracy, 4), "train_accuracy": round(train_accuracy, 4)},
    }
    card_path = cards.save_model_and_card(model, out, card)
    print(f"wrote {out} and {card_path}: test accuracy {test_accuracy:.4f} "
          f"({log['steps']} steps, {log['wall_time_s']:.0f} s)")
    return 0
