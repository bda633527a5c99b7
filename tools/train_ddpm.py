"""Train the bundled ``ddpm-mnist`` into a folder: ``OUT/ddpm-mnist.pt`` + ``OUT/ddpm-mnist.json`` (its card).

    python tools/train_ddpm.py --steps 12000 --device cuda --out DIR
    python tools/train_ddpm.py --rescore imgsynth_edu/pretrained/weights/ddpm-mnist.pt --device cpu

Kept because the bundled ``ddpm-mnist`` was trained by its first form (the card
says so). It is now a thin layer over the command line:

* ``--steps N --out DIR [...]`` runs ``imgsynth-edu train ddpm --steps N --out DIR/ddpm-mnist.pt [...]``;
* ``--rescore PT`` runs ``imgsynth-edu evaluate-ddpm --checkpoint PT --write-card``:
  the scores re-measured on ``--device`` (the CPU the tests re-measure them on;
  the exact bits/dim of the training run is kept).

``CUBLAS_WORKSPACE_CONFIG`` is set here, before torch starts CUDA (deterministic cuBLAS).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before torch starts CUDA: deterministic cuBLAS


def cli_arguments(argv: list[str]) -> list[str]:
    """This script's arguments as the ``imgsynth-edu`` arguments it runs."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, help="optimizer steps")
    parser.add_argument("--out", help="output folder (ddpm-mnist.pt and ddpm-mnist.json go there)")
    parser.add_argument("--rescore", metavar="PT", default=None,
                        help="instead of training: re-measure this checkpoint's scores (its .json beside it) on --device")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--bits-timesteps", type=int, default=None)
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("--no-deterministic", action="store_true")
    parser.add_argument("--checkpoint-every", type=int, default=0)
    parser.add_argument("--resume", default=None)
    args = parser.parse_args(argv)
    if args.rescore:
        command = ["evaluate-ddpm", "--checkpoint", args.rescore, "--seed", str(args.seed), "--write-card"]
        return command + (["--device", args.device] if args.device else [])
    if args.steps is None or args.out is None:
        parser.error("--steps and --out are required (unless --rescore)")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    command = ["train", "ddpm", "--steps", str(args.steps), "--seed", str(args.seed),
               "--out", str(Path(args.out) / "ddpm-mnist.pt")]
    for option in ("device", "batch_size", "lr", "threads", "bits_timesteps", "resume"):
        if getattr(args, option) is not None:
            command += ["--" + option.replace("_", "-"), str(getattr(args, option))]
    if args.checkpoint_every:
        command += ["--checkpoint-every", str(args.checkpoint_every)]
    return command + [flag for flag in ("--no-eval", "--no-deterministic") if getattr(args, flag[2:].replace("-", "_"))]


def main(argv: list[str] | None = None) -> int:
    from imgsynth_edu.cli import main as imgsynth_edu

    return imgsynth_edu(cli_arguments(list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    sys.exit(main())
