"""The ``imgsynth-edu`` command line.

Each sub-command lives beside the code it drives; this file only collects
them. A command module defines ``register(subparsers)``, which adds its
parser and sets ``func`` (called with the parsed arguments; its return value
is the exit code).

    imgsynth-edu info                  what is installed, which device, quick mode
    imgsynth-edu <command> --help      help for one command
"""

from __future__ import annotations

import argparse
import importlib
import sys

# One line per command module (each defines ``register(subparsers)``).
COMMAND_MODULES = [
    "imgsynth_edu.cli_info",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgsynth-edu",
        description="Image synthesis and restoration course: train, sample, evaluate, upscale.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, OSError) as error:
        print(f"imgsynth-edu {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
