"""Train the bundled ``ddpm-mnist`` and write ``OUT/ddpm-mnist.pt`` + ``OUT/ddpm-mnist.json`` (its card).

    python tools/train_ddpm.py --steps 20000 --device cuda --out DIR

A thin layer over :func:`imgsynth_edu.training.diffusion.train_ddpm_mnist`: the
architecture and training settings are that function's (``DDPM_MNIST_ARGUMENTS``,
``DDPM_MNIST_TRAINING``); this script only reads the command line. The card
holds this exact command, the wall time, the hardware and the scores measured at
the end with the protocol of ``dcgan-mnist`` / ``cgan-mnist`` (FID, KID,
precision/recall with the bundled digit classifier's features, unconditional and
guided; digit shares; conditional accuracy; bits/dim on the held-out digits;
samples per second). Runs are deterministic (``torch.use_deterministic_algorithms``;
``CUBLAS_WORKSPACE_CONFIG`` is set here, before CUDA starts).

To bundle the result: copy both files into ``imgsynth_edu/pretrained/weights/``, then
re-measure the scores on the CPU (the device the tests re-measure them on; the
exact bits/dim of the training run is kept):

    python tools/train_ddpm.py --rescore imgsynth_edu/pretrained/weights/ddpm-mnist.pt --device cpu
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before torch starts CUDA: deterministic cuBLAS


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, help="optimizer steps")
    parser.add_argument("--out", help="output folder (ddpm-mnist.pt and ddpm-mnist.json go there)")
    parser.add_argument("--rescore", metavar="PT", default=None,
                        help="instead of training: re-measure this checkpoint's scores (its .json beside it) on --device")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=None, help="default: DDPM_MNIST_TRAINING's")
    parser.add_argument("--lr", type=float, default=None, help="default: DDPM_MNIST_TRAINING's")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--bits-timesteps", type=int, default=None,
                        help="estimate bits/dim from this many sampled t per image (default: exact, all T terms)")
    parser.add_argument("--no-eval", action="store_true", help="skip the scores (the card's scores stay empty)")
    parser.add_argument("--no-deterministic", action="store_true", help="allow non-deterministic GPU kernels")
    parser.add_argument("--checkpoint-every", type=int, default=0, help="save a resumable checkpoint every N steps")
    parser.add_argument("--resume", default=None, help="resume from this training checkpoint")
    args = parser.parse_args(argv)

    import torch

    from imgsynth_edu.training.diffusion import rescore_digit_diffusion, train_ddpm_mnist

    if args.threads:
        torch.set_num_threads(args.threads)
    command = shlex.join(["python", "tools/train_ddpm.py", *argv])
    if args.rescore:
        card = rescore_digit_diffusion(args.rescore, device=args.device, seed=args.seed, command=command)
        print(f"rescored {args.rescore} on {card['scores']['samples_per_second']['setting']}: " + _summary(card["scores"]))
        return 0
    if args.steps is None or args.out is None:
        parser.error("--steps and --out are required (unless --rescore)")
    overrides = {key: value for key, value in (("batch_size", args.batch_size), ("lr", args.lr)) if value is not None}
    card = train_ddpm_mnist(
        args.out, steps=args.steps, device=args.device, seed=args.seed, evaluate=not args.no_eval,
        bits_timesteps=args.bits_timesteps, deterministic=not args.no_deterministic,
        checkpoint_every=args.checkpoint_every, resume=args.resume,
        command=command, **overrides,
    )
    summary = f"wrote {args.out}/ddpm-mnist.pt and .json ({card['steps']} steps, {card['wall_time_s']:.0f} s)"
    print(summary + ("; " + _summary(card["scores"]) if card["scores"] else ""))
    return 0


def _summary(scores: dict) -> str:
    unconditional = scores["unconditional"]
    text = (f"unconditional FID {unconditional['fid']:.1f}, precision {unconditional['precision']:.3f}, "
            f"recall {unconditional['recall']:.3f}; conditional accuracy {scores['conditional']['conditional_accuracy']:.3f}")
    if "bits_per_dim" in scores:
        text += f"; {scores['bits_per_dim']['mean']:.3f} bits/dim"
    return text


if __name__ == "__main__":
    sys.exit(main())
