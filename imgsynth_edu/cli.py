"""The ``imgsynth-edu`` command line.

Each sub-command lives beside the code it drives; this file only collects
them. A command module defines ``register(commands, train_commands)``: it adds
its parsers to ``commands`` (top level, e.g. ``upscale``) and, for what it can
train, to ``train_commands`` (``imgsynth-edu train WHAT ...``), and sets
``func`` on each (called with the parsed arguments; its return value is the
exit code).

    imgsynth-edu info                  what is installed, which device, quick mode
    imgsynth-edu train WHAT --help     train a model (WHAT: dcgan, classifier, srresnet, ...)
    imgsynth-edu <command> --help      help for one command
"""

from __future__ import annotations

import argparse
import importlib
import sys

# One line per command module (each defines ``register(commands, train_commands)``).
COMMAND_MODULES = [
    "imgsynth_edu.cli_info",
    "imgsynth_edu.cli_metrics",
    "imgsynth_edu.cli_gan",
    "imgsynth_edu.cli_cgan",
    "imgsynth_edu.cli_sr",
    "imgsynth_edu.cli_burst",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgsynth-edu",
        description="Image synthesis and restoration course: train, sample, evaluate, upscale.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser("train", help="train a model and save its checkpoint and card")
    train_commands = train.add_subparsers(dest="what", metavar="WHAT")
    train.set_defaults(func=lambda args: train.print_help() or 2)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(commands, train_commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from .data.datasets import DatasetUnavailableError
    from .data.download import DownloadError

    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, OSError, DatasetUnavailableError, DownloadError) as error:
        print(f"imgsynth-edu {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
