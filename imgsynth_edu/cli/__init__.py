"""The ``imgsynth-edu`` command line: one thin module per area, and :func:`main`.

Each module defines ``register(commands, train_commands)``: it adds its
parsers to ``commands`` (top level, e.g. ``upscale``) and, for what it can
train, to ``train_commands`` (``imgsynth-edu train WHAT ...``), and sets
``func`` on each (called with the parsed arguments; its return value is the
exit code). A command parses its options, calls the library (training loops,
:mod:`imgsynth_edu.evaluation`, :func:`imgsynth_edu.pretrained.load_file`) and
writes model files and cards through :mod:`.cards`; it holds no logic of its own.

    imgsynth-edu info                  what is installed, which device, quick mode
    imgsynth-edu train WHAT --help     train a model (WHAT: dcgan, classifier, srresnet, ...)
    imgsynth-edu <command> --help      help for one command
"""

from __future__ import annotations

import argparse
import sys

from ..data.datasets import DatasetUnavailableError
from ..data.download import DownloadError
from . import burst, cgan, classifier, gan, info, sr

#: The command modules, in the order their commands are listed.
COMMAND_MODULES = [info, classifier, gan, cgan, sr, burst]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgsynth-edu",
        description="Image synthesis and restoration course: train, sample, evaluate, upscale.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser("train", help="train a model and save its checkpoint and card")
    train_commands = train.add_subparsers(dest="what", metavar="WHAT")
    train.set_defaults(func=lambda args: train.print_help() or 2)
    for module in COMMAND_MODULES:
        module.register(commands, train_commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, OSError, DatasetUnavailableError, DownloadError) as error:
        print(f"imgsynth-edu {args.command}: error: {error}", file=sys.stderr)
        return 1
