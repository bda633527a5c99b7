"""``imgsynth-edu info``: versions, device, quick mode and bundled checkpoints."""

from __future__ import annotations

import platform

import torch

from .. import __version__, pretrained
from ..utils import mode_banner


def register(commands, train_commands) -> None:
    parser = commands.add_parser("info", help="show versions, device, mode and bundled models")
    parser.set_defaults(func=run)


def run(args) -> int:
    print(f"imgsynth-edu {__version__} | Python {platform.python_version()} | torch {torch.__version__}")
    print(mode_banner())
    print("bundled checkpoints:", ", ".join(pretrained.available()) or "(none)")
    return 0
