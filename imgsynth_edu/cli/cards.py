"""What every command that reads or writes a model file shares: the card beside the weights.

A model file ``NAME.pt`` (a state dict) always has its card ``NAME.json``
beside it (see :mod:`imgsynth_edu.pretrained`). A ``train`` command writes both
with :func:`save_model_and_card`; the card says what the model is, the data, the
exact command that reproduces the run (:func:`reproduce_command`), the wall
time, the machine (:func:`hardware`) and the measured scores. A command that
uses a model takes ``--pretrained NAME`` or ``--checkpoint PATH``
(:func:`add_model_arguments`) and loads it with :func:`load_model`, which calls
the one loader, :func:`imgsynth_edu.pretrained.load_file`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from .. import pretrained
from ..utils import atomic_write, save_state_dict, seed_everything

__all__ = [
    "add_device_argument",
    "add_model_arguments",
    "check_out",
    "hardware",
    "load_model",
    "reproduce_command",
    "save_model_and_card",
    "start_training",
    "timed_fit",
    "write_card",
]


def hardware(device: torch.device) -> str:
    """The machine a run used, for its card: the GPU's name, or the CPU, its torch threads and cores."""
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    return (f"CPU {platform.machine()} ({platform.processor() or 'unknown'}), "
            f"{torch.get_num_threads()} torch thread(s), {os.cpu_count()} cores")


def reproduce_command(args: argparse.Namespace, options: Sequence[str]) -> str:
    """The exact ``imgsynth-edu train WHAT ...`` command that reproduces this run (for the card).

    ``options`` are the command's option names without ``--`` (``"batch-size"``),
    in the order to write them; an option whose value is ``None`` or ``False``
    is left out, ``True`` is written as a bare flag. Values are shell-quoted.
    """
    parts = ["imgsynth-edu", "train", args.what]
    for option in options:
        value = getattr(args, option.replace("-", "_"))
        if value is None or value is False:
            continue
        parts += [f"--{option}"] if value is True else [f"--{option}", str(value)]
    return " ".join(shlex.quote(part) for part in parts)


def check_out(path: str) -> Path:
    """``--out`` as a path; it must name a ``.pt`` file (its card goes to the ``.json`` beside it)."""
    out = Path(path)
    if out.suffix != ".pt":
        raise ValueError(f"--out must end in .pt, got {path!r}")
    return out


def start_training(args: argparse.Namespace) -> Path:
    """What a ``train`` command does first: check ``--out``, set ``--threads``, seed everything with ``--seed``.

    Returns ``--out`` as a path.
    """
    out = check_out(args.out)
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    return out


def timed_fit(trainer, resume=None) -> float:
    """``trainer.fit(resume=resume)``; returns the wall time in seconds (for the card)."""
    start = time.time()
    trainer.fit(resume=resume)
    return time.time() - start


def write_card(model_path: str | Path, card: dict) -> Path:
    """Write ``card`` as ``model_path`` with the suffix ``.json``, atomically; returns the card's path."""
    card_path = Path(model_path).with_suffix(".json")
    with atomic_write(card_path, "w") as handle:
        json.dump(card, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return card_path


def save_model_and_card(model: torch.nn.Module, out: str | Path, card: dict) -> Path:
    """Write ``model``'s state dict to ``out`` and ``card`` beside it, both atomically; returns the card's path."""
    save_state_dict({key: value.detach().cpu() for key, value in model.state_dict().items()}, out)
    return write_card(out, card)


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device``: where to run (default: the best available, :func:`imgsynth_edu.get_device`)."""
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")


def add_model_arguments(parser: argparse.ArgumentParser, default: str) -> None:
    """``--pretrained NAME`` (a bundled model; default ``default``) or ``--checkpoint PATH`` (a model file)."""
    group = parser.add_mutually_exclusive_group(required=False)
    group.add_argument("--pretrained", metavar="NAME", help=f"a bundled model (default: {default})")
    group.add_argument("--checkpoint", metavar="PATH",
                       help="a model file written by `imgsynth-edu train` (its card NAME.json beside it)")


def load_model(args: argparse.Namespace, default: str, device: str | torch.device = "cpu"):
    """The model that ``--pretrained`` / ``--checkpoint`` name: ``(model in eval mode, its card, a label)``."""
    if getattr(args, "checkpoint", None):
        path = Path(args.checkpoint)
        return pretrained.load_file(path, device), pretrained.read_card(path), args.checkpoint
    name = getattr(args, "pretrained", None) or default
    return pretrained.load(name, device), pretrained.card(name), name
