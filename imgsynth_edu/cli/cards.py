"""What every command that reads or writes a model file shares: the card beside the weights.

A model file ``NAME.pt`` (a state dict) always has its card ``NAME.json``
beside it (see :mod:`imgsynth_edu.pretrained`). A ``train`` command writes both
with :func:`save_model_and_card`; the card says what the model is, the data, the
exact command that reproduces the run (:func:`reproduce_command`), the wall
time, the machine (:func:`hardware`) and the measured scores. A command that
uses a model takes ``--pretrained NAME`` or ``--checkpoint PATH``
(:func:`add_model_arguments`; a command that draws samples adds ``--n`` and ``--seed``
with :func:`add_sampling_arguments`) and loads it with :func:`load_model`, which calls
the one loader, :func:`imgsynth_edu.pretrained.load_file`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from .. import pretrained
from ..training import distributed
from ..utils import atomic_write, get_device, save_state_dict, seed_everything

__all__ = [
    "add_device_argument",
    "add_model_arguments",
    "add_overwrite_argument",
    "add_sampling_arguments",
    "check_device_argument",
    "check_numeric_arguments",
    "check_out",
    "claim_outputs",
    "hardware",
    "load_model",
    "reproduce_command",
    "save_model_and_card",
    "start_training",
    "timed_fit",
    "write_card",
]


#: The rule of every numeric option, by its name: each command's options are checked against this table
#: before the command runs (:func:`check_numeric_arguments`), so ``--lr 0`` or ``--steps -5`` is one clear error
#: naming the option, in every command, including the ones added later.
POSITIVE_NUMBERS = ("lr",)  # finite and > 0
NON_NEGATIVE_NUMBERS = ("adversarial_weight", "l1_weight")  # finite and >= 0 (0 turns the term off)
POSITIVE_INTS = ("steps", "batch_size", "patch_size", "n", "epochs", "frames", "n_per_class", "masks_per_image",
                 "threads", "blocks", "channels", "features", "latent_dim", "width", "d_channels", "tile",
                 "n_critic", "eval_images", "depth")
NON_NEGATIVE_INTS = ("seed", "checkpoint_every", "max_shift")
OPEN_UNIT_INTERVAL = ("ema_decay",)  # in (0, 1)


def _option(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def check_numeric_arguments(args: argparse.Namespace) -> None:
    """Check every numeric option of ``args`` that is set against the table above; raise ``ValueError`` naming it."""
    for dest, value in vars(args).items():
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        finite = math.isfinite(value)
        if dest in POSITIVE_NUMBERS and not (finite and value > 0):
            raise ValueError(f"{_option(dest)} must be a finite number > 0, got {value!r}")
        if dest in NON_NEGATIVE_NUMBERS and not (finite and value >= 0):
            raise ValueError(f"{_option(dest)} must be a finite number >= 0, got {value!r}")
        if dest in POSITIVE_INTS and value < 1:
            raise ValueError(f"{_option(dest)} must be a positive integer, got {value!r}")
        if dest in NON_NEGATIVE_INTS and value < 0:
            raise ValueError(f"{_option(dest)} must be an integer >= 0, got {value!r}")
        if dest in OPEN_UNIT_INTERVAL and not 0 < value < 1:
            raise ValueError(f"{_option(dest)} must be a number strictly between 0 and 1, got {value!r}")


def check_device_argument(args: argparse.Namespace) -> None:
    """``--device``, if given, must name a device that exists here (:func:`imgsynth_edu.get_device`).

    Checked before a command runs, so that every command (also those that hand the
    name to a trainer as it is) refuses ``--device cuda`` on a machine without CUDA in one line.
    """
    if getattr(args, "device", None) is not None:
        try:
            get_device(args.device)
        except ValueError as error:
            raise ValueError(f"--device: {error}") from None


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


def _same_file(first: Path, second: Path) -> bool:
    """True when two paths name one file: equal once resolved (``./a.png`` is ``a.png``), or hard links."""
    if first.resolve() == second.resolve():
        return True
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return False


def claim_outputs(outputs: dict[str, str | Path], inputs: dict[str, str | Path | None] | None = None, *,
                  overwrite: bool = False, replaceable: Sequence[str] = ()) -> None:
    """Refuse, before any work is done, a command that would destroy data.

    ``outputs`` and ``inputs`` map a label for the message (``"--out"``, ``"its card"``,
    ``"input"``) to a path; an input of ``None`` is skipped. Raises ``ValueError`` with one
    clear line when

    * an output is one of the inputs (``upscale a.png ./a.png``): never allowed, not even
      with ``--overwrite``;
    * two outputs are one file (the weights and the card, the weights and the training state);
    * an output exists already and neither ``overwrite`` is set nor its label is in
      ``replaceable`` (``train ... --resume`` may replace the model file and card of the run
      it continues).

    Every output is then written atomically (:func:`imgsynth_edu.utils.atomic_write`), so a
    refused or interrupted command leaves every file as it was.
    """
    output_paths = {label: Path(path) for label, path in outputs.items()}
    input_paths = {label: Path(path) for label, path in (inputs or {}).items() if path is not None}
    for out_label, out_path in output_paths.items():
        for in_label, in_path in input_paths.items():
            if _same_file(out_path, in_path):
                raise ValueError(f"{out_label} {str(out_path)!r} is the same file as {in_label} {str(in_path)!r}: "
                                 f"a command never writes over its own input; choose another output path")
    labels = list(output_paths)
    for index, first in enumerate(labels):
        for second in labels[index + 1:]:
            if _same_file(output_paths[first], output_paths[second]):
                raise ValueError(f"{first} and {second} would be the same file {str(output_paths[first])!r}: "
                                 f"choose another output path")
    for label, path in output_paths.items():
        if path.exists() and not overwrite and label not in replaceable:
            raise ValueError(f"{label} {str(path)!r} exists already: pass --overwrite to replace it")


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """``--overwrite``: replace output files that exist already (an input is never overwritten)."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace output files that exist already (never an input file)")


def claim_training_outputs(args: argparse.Namespace, out: Path, state: Path | None = None) -> None:
    """:func:`claim_outputs` for a ``train`` command: the model file, its card and its training state.

    The inputs are the files the command reads (``--init-checkpoint`` and its card,
    ``--resume PATH``). Resuming (``--resume``) may replace the model file and card of
    the run it continues, and reads ``state`` rather than clobbering it; without
    ``--resume`` an existing training state is refused (pass ``--resume`` to continue
    it, or ``--overwrite`` to start afresh).
    """
    resuming = bool(getattr(args, "resume", None))
    outputs = {"--out": out, "its card": out.with_suffix(".json")}
    if state is not None:
        outputs["the training state"] = state
    init = getattr(args, "init_checkpoint", None)
    resume_path = args.resume if isinstance(getattr(args, "resume", None), str) else None
    inputs = {"--init-checkpoint": init, "the card of --init-checkpoint": Path(init).with_suffix(".json") if init else None,
              "--resume": resume_path}
    if resume_path is not None and state is not None and _same_file(Path(resume_path), state):
        del inputs["--resume"]  # continuing a run from its own training state is what --resume is for
    replaceable = ["--out", "its card", "the training state"] if resuming else []
    claim_outputs(outputs, inputs, overwrite=getattr(args, "overwrite", False), replaceable=replaceable)


def start_training(args: argparse.Namespace, state: Path | None = None) -> Path:
    """What a ``train`` command does first: check ``--out`` and claim the outputs, set ``--threads``, seed with ``--seed``.

    ``state`` is the training-state checkpoint the command writes (if any); see
    :func:`claim_training_outputs`. Returns ``--out`` as a path.
    """
    out = check_out(args.out)
    claim_training_outputs(args, out, state)
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
    """Write ``model``'s state dict to ``out`` and ``card`` beside it, both atomically; returns the card's path.

    The card records the weights' SHA-256 (``"sha256"``), which
    :func:`imgsynth_edu.pretrained.load_file` checks on every load.
    In a distributed run (``torchrun``) only rank 0 writes; every rank holds the same weights.
    """
    if not distributed.is_main_process():
        return Path(out).with_suffix(".json")
    save_state_dict({key: value.detach().cpu() for key, value in model.state_dict().items()}, out)
    return write_card(out, {**card, "sha256": pretrained.weights_sha256(out)})


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device``: where to run (default: the best available, :func:`imgsynth_edu.get_device`)."""
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")


def add_model_arguments(parser: argparse.ArgumentParser, default: str) -> None:
    """``--pretrained NAME`` (a bundled model; default ``default``) or ``--checkpoint PATH`` (a model file)."""
    group = parser.add_mutually_exclusive_group(required=False)
    group.add_argument("--pretrained", metavar="NAME", help=f"a bundled model (default: {default})")
    group.add_argument("--checkpoint", metavar="PATH",
                       help="a model file written by `imgsynth-edu train` (its card NAME.json beside it)")


def add_sampling_arguments(parser: argparse.ArgumentParser, default: str, n: int, n_help: str) -> None:
    """The model (:func:`add_model_arguments`, default ``default``), ``--n`` samples (default ``n``) and ``--seed``.

    What every command that draws samples from a generative model takes (``sample``,
    ``evaluate-gan``, ``evaluate-ddpm``); ``n_help`` says what the samples are for.
    """
    add_model_arguments(parser, default=default)
    parser.add_argument("--n", type=int, default=n, help=n_help)
    parser.add_argument("--seed", type=int, default=0)


def load_model(args: argparse.Namespace, default: str, device: str | torch.device = "cpu"):
    """The model that ``--pretrained`` / ``--checkpoint`` name: ``(model in eval mode, its card, a label)``."""
    if getattr(args, "checkpoint", None):
        path = Path(args.checkpoint)
        return pretrained.load_file(path, device), pretrained.read_card(path), args.checkpoint
    name = getattr(args, "pretrained", None) or default
    if name not in pretrained.available():
        if getattr(args, "pretrained", None):
            raise ValueError(f"--pretrained {name!r} is not a bundled model; bundled: {', '.join(pretrained.available())}")
        scale = f" for --scale {args.scale}" if getattr(args, "scale", None) is not None else ""
        raise ValueError(f"no bundled model{scale} (looked for {name!r}; bundled: {', '.join(pretrained.available())}): "
                         f"pass --checkpoint PATH of a model trained for it, or another --scale")
    return pretrained.load(name, device), pretrained.card(name), name
