"""The ``imgsynth-edu`` command line: one thin module per area, and :func:`main`.

Each module defines ``register(commands, train_commands)``: it adds its
parsers to ``commands`` (top level, e.g. ``upscale``) and, for what it can
train, to ``train_commands`` (``imgsynth-edu train WHAT ...``), and sets
``func`` on each (called with the parsed arguments; its return value is the
exit code). A command parses its options, calls the library (training loops,
:mod:`imgsynth_edu.evaluation`, :func:`imgsynth_edu.pretrained.load_file`) and
writes model files and cards through :mod:`.cards`; it holds no logic of its own.

    imgsynth-edu info                  what is installed, which device, quick mode
    imgsynth-edu train WHAT --help     train a model (WHAT: dcgan, classifier, ddpm, srresnet, ...)
    imgsynth-edu <command> --help      help for one command
    torchrun --nproc_per_node=N -m imgsynth_edu.cli train ...   the same training on N processes (DDP)

Every expected error (a bad argument, a missing or unreadable file, a model file
that does not fit its card, a dataset that cannot be downloaded) is one line on
stderr, ``imgsynth-edu: error: ...``, and exit status 2; ``--debug`` (anywhere on
the command line) shows the traceback instead. Ctrl-C exits with status 130,
and since every output is written atomically it leaves no half-written file.
"""

from __future__ import annotations

import argparse
import sys

from ..data.datasets import DatasetUnavailableError
from ..data.download import DownloadError
from ..losses import WeightsUnavailableError
from ..metrics.inception import InceptionWeightsUnavailableError
from ..training import distributed
from . import burst, cards, cgan, classifier, diffusion, export, gan, info, sr

#: The command modules, in the order their commands are listed.
COMMAND_MODULES = [info, classifier, gan, cgan, diffusion, sr, burst, export]

#: What a command may raise for bad input or a missing resource: one line on stderr, exit status 2.
EXPECTED_ERRORS = (ValueError, TypeError, KeyError, OSError, DatasetUnavailableError, DownloadError,
                   WeightsUnavailableError, InceptionWeightsUnavailableError)

#: The exit status of every refused command (argparse's own, for a bad argument).
ERROR_EXIT = 2


class CommandLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, ``imgsynth-edu: error: ...`` (no usage block)."""

    def error(self, message: str):
        print(f"imgsynth-edu: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(ERROR_EXIT)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLineParser(
        prog="imgsynth-edu",
        description="Image synthesis and restoration course: train, sample, evaluate, upscale.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (may also come after the command)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser("train", help="train a model and save its checkpoint and card")
    train_commands = train.add_subparsers(dest="what", metavar="WHAT")
    train.set_defaults(func=lambda args: train.print_help() or 2)
    for module in COMMAND_MODULES:
        module.register(commands, train_commands)
    return parser


def error_line(error: BaseException) -> str:
    """``error`` as one line in the command line's words.

    A multi-line message becomes one line (its lines joined by ``; ``). A dataset
    that cannot be downloaded names its bundled alternative as a ``--data`` /
    ``--images`` value rather than as a Python call; missing VGG weights point to
    ``--content l1``.
    """
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    if isinstance(error, DatasetUnavailableError) and error.alternative:
        lines = [line for line in lines if not line.startswith("offline alternative")]
        lines.append(f"offline alternative that ships with the course: {error.alternative!r}")
    if isinstance(error, WeightsUnavailableError):
        lines = [" ".join(lines).split(" Meanwhile:")[0],
                 "meanwhile train with a pixel loss: --content l1 or --content mse"]
    return "; ".join(lines) or type(error).__name__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [argument for argument in argv if argument != "--debug"]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a bad argument (2, already reported on one line)
        return int(stop.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    distributed.init_from_environment()  # under torchrun (WORLD_SIZE > 1): join the process group; else nothing
    try:
        cards.check_numeric_arguments(args)
        cards.check_device_argument(args)
        return int(args.func(args) or 0)
    except EXPECTED_ERRORS as error:
        if debug:
            raise
        print(f"imgsynth-edu: error: {error_line(error)}", file=sys.stderr)
        return ERROR_EXIT
    except KeyboardInterrupt:
        if debug:
            raise
        print("imgsynth-edu: interrupted (no output was left half-written)", file=sys.stderr)
        return 130
    finally:
        distributed.shutdown()
