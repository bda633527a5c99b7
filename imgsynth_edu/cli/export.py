"""Deployment commands: ``export`` (ONNX, optionally int8) and the ONNX engine of ``upscale``.

::

    imgsynth-edu export --pretrained srresnet-x4 --format onnx --out srresnet-x4.onnx
    imgsynth-edu export --pretrained srresnet-x4 --format onnx --int8 --out srresnet-x4.onnx   # + srresnet-x4-int8.onnx
    imgsynth-edu export --checkpoint my-srresnet.pt --format onnx --out my-srresnet.onnx [--psnr]
    imgsynth-edu upscale photo.png photo_x4.png --engine onnx --checkpoint srresnet-x4-int8.onnx

``export`` writes the fp32 ONNX file ``--out`` (dynamic batch and image
size), runs it with ONNX Runtime on a held-out photograph and prints the
largest difference from PyTorch (refusing to write a file that disagrees by
more than :data:`imgsynth_edu.export.EXPORT_TOLERANCE`). ``--int8`` also
writes ``OUT-int8.onnx``: static int8 quantisation calibrated on patches of
the bundled *training* photographs. ``--psnr`` adds the Y-PSNR of PyTorch,
ONNX fp32 (and int8) on the held-out photographs, by the SR protocol.

``upscale --engine onnx`` runs the model with ONNX Runtime
(:class:`~imgsynth_edu.export.OnnxUpscaler`): ``--checkpoint FILE.onnx`` runs
that file; ``--pretrained NAME`` (or the default ``srresnet-x<scale>``) is
exported to a temporary file first. PyTorch (``--engine torch``) stays the default.

ONNX export needs the ``export`` extra: ``pip install 'imgsynth-edu[export]'``.

Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch

from ..export import OnnxUpscaler, export_onnx, held_out_psnr, quantize_onnx
from . import cards

#: The formats ``export --format`` writes (one today; the option says which, for the future).
EXPORT_FORMATS = ("onnx",)
#: The engines ``upscale --engine`` runs a model with.
ENGINES = ("torch", "onnx")


def register(commands, train_commands) -> None:
    export = commands.add_parser(
        "export", help="write a super-resolution model as an ONNX file (optionally int8), checked against PyTorch"
    )
    cards.add_model_arguments(export, default="srresnet-x4")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="onnx", help="file format (default onnx)")
    export.add_argument("--out", required=True, metavar="FILE", help="the .onnx file to write")
    export.add_argument("--int8", action="store_true",
                        help="also write OUT-int8.onnx: static int8, calibrated on training-photo patches")
    export.add_argument("--calibration", choices=("minmax", "percentile", "entropy"), default="minmax",
                        help="how int8 activation ranges are chosen (default minmax)")
    export.add_argument("--psnr", action="store_true",
                        help="also report Y-PSNR of each engine on the held-out photographs (slower)")
    export.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    cards.add_overwrite_argument(export)
    export.set_defaults(func=run_export)


def add_engine_argument(parser) -> None:
    """``--engine torch|onnx`` for a command that runs a restorer (``upscale``)."""
    parser.add_argument("--engine", choices=ENGINES, default="torch",
                        help="run the model with PyTorch (default) or ONNX Runtime (needs the export extra; "
                             "--checkpoint may then be a .onnx file)")


def run_export(args) -> int:
    out = Path(args.out)
    if out.suffix != ".onnx":
        raise ValueError(f"--out must end in '.onnx', got {args.out!r}")
    outputs = {"--out": out}
    if args.int8:
        outputs["its int8 twin"] = out.with_name(f"{out.stem}-int8.onnx")
    cards.claim_outputs(outputs, {"--checkpoint": getattr(args, "checkpoint", None)}, overwrite=args.overwrite)
    model, card, label = cards.load_model(args, default="srresnet-x4")
    try:
        report = {"source": label, "fp32": export_onnx(model, out, source=label)}
        engines = {"pytorch": model, "onnx_fp32": out}
        if args.int8:
            int8_path = out.with_name(f"{out.stem}-int8.onnx")
            report["int8"] = quantize_onnx(out, int8_path, method=args.calibration)
            engines["onnx_int8"] = int8_path
        if args.psnr:
            report["psnr_y_held_out"] = held_out_psnr(engines, report["fp32"]["scale"])
    except ImportError as error:  # onnx / onnxruntime missing: one line that says how to install them
        raise ValueError(str(error)) from error
    if args.json:
        print(json.dumps(report))
        return 0
    check = report["fp32"]["verification"]
    print(f"wrote {out} ({report['fp32']['bytes'] / 1e3:.0f} kB, fp32, opset {report['fp32']['opset']}) from {label}")
    print(f"checked against PyTorch on the held-out photo {check['photo']!r} (input {check['input_shape']}): "
          f"max |ONNX - PyTorch| = {check['max_abs_diff']:.2g} (tolerance {check['tolerance']:g}), "
          f"mean {check['mean_abs_diff']:.2g}")
    if args.int8:
        quantised = report["int8"]
        print(f"wrote {quantised['path']} ({quantised['bytes'] / 1e3:.0f} kB, int8, {quantised['method']} calibration "
              f"on {quantised['patches']} training patches; kept in fp32: {', '.join(quantised['kept_fp32']) or 'none'})")
    if args.psnr:
        scores = report["psnr_y_held_out"]
        print("Y-PSNR on the held-out photographs: " + ", ".join(f"{key} {value:.3f} dB" for key, value in scores.items()))
    return 0


def load_upscaler(args, device: torch.device, default: str) -> tuple[torch.nn.Module, dict, str]:
    """The restorer ``upscale`` runs: ``(model, card, label)`` for ``--engine torch`` or ``onnx``.

    With ``--engine onnx``: a ``--checkpoint`` ending in ``.onnx`` is run as it is
    (its card is its ONNX metadata); any other model is exported first, to a
    temporary file that is checked against PyTorch and deleted once loaded.
    """
    if getattr(args, "engine", "torch") == "torch":
        return cards.load_model(args, default=default, device=device)
    onnx_device = "cuda" if device.type == "cuda" else "cpu"
    try:
        if getattr(args, "checkpoint", None) and args.checkpoint.endswith(".onnx"):
            upscaler = OnnxUpscaler(args.checkpoint, device=onnx_device)
            label = args.checkpoint
        else:
            model, _, label = cards.load_model(args, default=default)
            with tempfile.TemporaryDirectory(prefix="imgsynth-upscale-") as folder:
                path = Path(folder) / "model.onnx"
                export_onnx(model, path, source=label)
                upscaler = OnnxUpscaler(path.read_bytes(), device=onnx_device)
    except ImportError as error:
        raise ValueError(f"--engine onnx: {error}") from error
    card = {"arguments": {"scale": upscaler.scale}}
    return upscaler, card, f"{label} (ONNX Runtime, {upscaler.precision})"
