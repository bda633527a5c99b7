"""Exported models: frames per second and Y-PSNR of PyTorch fp32, ONNX Runtime fp32 and ONNX Runtime int8, in one run.

The bundled ``srresnet-x4`` is exported (:func:`imgsynth_edu.export.export_onnx`)
and quantised (:func:`imgsynth_edu.export.quantize_onnx`) into a temporary
folder, then three engines upscale the same 256×256 input ×4 (a 1024×1024
output), one frame at a time:

* ``pytorch_fp32``: the PyTorch model (``torch.no_grad``);
* ``onnxruntime_fp32``: the exported file in ONNX Runtime;
* ``onnxruntime_int8``: the statically quantised file in ONNX Runtime.

Rounds alternate between the engines (so a busy machine penalises none of
them) and each engine's time is the **median** of the rounds, after two
warm-up calls. Frames per second = 1 / median; the ratios are against PyTorch.
The **real-time line** is 24 frames/s (film) and 30 frames/s (video) of
256×256 input. Quality is the mean Y-PSNR on the five held-out photographs by
the SR protocol (``evaluate_sr``). The load average is recorded before and
after: on a shared machine it says how much to trust the times.

    python benchmarks/export.py                  # CPU (threads: torch's setting)
    python benchmarks/export.py --device cuda    # PyTorch CUDA + ONNX Runtime's CUDA provider
    python benchmarks/export.py --quick          # fewer rounds (smoke test)

Writes ``benchmarks/results/export.json`` and its copy in the package,
``imgsynth_edu/benchmark_results/export.json`` (lesson 09 shows it): one
entry per device under ``"runs"``, each with its ``device`` field; running
one device keeps the others.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from _common import cpu_name, write_results

from imgsynth_edu import pretrained
from imgsynth_edu.data import load_photo
from imgsynth_edu.export import OnnxUpscaler, export_onnx, held_out_psnr, quantize_onnx

RESULTS = Path(__file__).resolve().parent / "results" / "export.json"
#: The copy the package carries for lesson 09 (``imgsynth_edu.utils.benchmark_result``): the same bytes.
PACKAGED = Path(__file__).resolve().parents[1] / "imgsynth_edu" / "benchmark_results" / "export.json"
REAL_TIME_FPS = (24, 30)
INPUT_SIZE = 256


def median_seconds(engines: dict, image: torch.Tensor, rounds: int, synchronize) -> dict:
    """Median seconds per frame of each engine; rounds alternate between the engines."""
    times = {name: [] for name in engines}
    with torch.no_grad():
        for engine in engines.values():
            for _ in range(2):  # warm-up: allocations, kernel choice, lazy initialisation
                engine(image)
        synchronize()
        for _ in range(rounds):
            for name, engine in engines.items():
                started = time.perf_counter()
                engine(image)
                synchronize()
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--rounds", type=int, default=7, help="timed calls per engine (median kept)")
    parser.add_argument("--quick", action="store_true", help="3 rounds (noisier)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="CPU threads for PyTorch and ONNX Runtime (default: torch's setting)")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    torch.set_num_threads(args.threads)
    import onnxruntime

    if args.device == "cuda":
        if not torch.cuda.is_available():
            print("--device cuda: PyTorch sees no CUDA device", file=sys.stderr)
            return 2
        device_name = torch.cuda.get_device_name(0)
        synchronize = torch.cuda.synchronize
    else:
        device_name = f"{cpu_name()}, {args.threads} thread(s)"
        synchronize = lambda: None  # noqa: E731 - CPU work is synchronous
    load_before = os.getloadavg()[0]
    model = pretrained.load("srresnet-x4", device=args.device)
    image = load_photo("gravel")[None, :, :INPUT_SIZE, :INPUT_SIZE].to(args.device)  # 1×3×256×256, held out
    notes = []
    with tempfile.TemporaryDirectory(prefix="imgsynth-export-bench-") as folder:
        fp32_path, int8_path = Path(folder) / "srresnet-x4.onnx", Path(folder) / "srresnet-x4-int8.onnx"
        started = time.perf_counter()
        export_report = export_onnx(model, fp32_path, source="srresnet-x4")
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        int8_report = quantize_onnx(fp32_path, int8_path)
        quantize_s = time.perf_counter() - started
        engines = {"pytorch_fp32": model}
        ort_device = args.device
        if args.device == "cuda" and "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            notes.append("ONNX Runtime has no CUDAExecutionProvider here (pip install onnxruntime-gpu): "
                         "its engines ran on the CPU")
            ort_device = "cpu"
        threads = args.threads if ort_device == "cpu" else None
        engines["onnxruntime_fp32"] = OnnxUpscaler(fp32_path, device=ort_device, threads=threads)
        engines["onnxruntime_int8"] = OnnxUpscaler(int8_path, device=ort_device, threads=threads)
        providers = {name: engine.session.get_providers() for name, engine in engines.items()
                     if isinstance(engine, OnnxUpscaler)}
        print(f"[{args.device}: {device_name}] {rounds} rounds of 1×3×{INPUT_SIZE}×{INPUT_SIZE} -> ×4 ...", flush=True)
        seconds = median_seconds(engines, image, rounds, synchronize)
        print("Y-PSNR on the held-out photos ...", flush=True)
        psnr = held_out_psnr(engines, 4)
    load_after = os.getloadavg()[0]
    base_fps = 1.0 / seconds["pytorch_fp32"]
    engines_report = {}
    for name, value in seconds.items():
        fps = 1.0 / value
        engines_report[name] = {
            "seconds_per_frame": round(value, 4),
            "frames_per_s": round(fps, 3),
            "speed_vs_pytorch": round(fps / base_fps, 3),
            "psnr_y_db": round(psnr[name], 3),
            "psnr_y_vs_pytorch_db": round(psnr[name] - psnr["pytorch_fp32"], 3),
            **{f"reaches_{line}_fps": fps >= line for line in REAL_TIME_FPS},
            "times_too_slow_for_30_fps": round(30 / fps, 1),
        }
    run = {
        "device": device_name,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "threads": args.threads if args.device == "cpu" else None,
        "rounds": rounds,
        "statistic": "median seconds per frame (batch 1), rounds alternating between engines",
        "load_average_1min_before_after": [round(load_before, 2), round(load_after, 2)],
        "onnxruntime_providers": providers,
        "engines": engines_report,
        "bicubic_psnr_y_db": round(psnr["bicubic"], 3),
        "export": {"seconds": round(export_s, 2), "bytes": export_report["bytes"],
                   "max_abs_diff_vs_pytorch": export_report["verification"]["max_abs_diff"]},
        "quantize": {"seconds": round(quantize_s, 2), "bytes": int8_report["bytes"],
                     "calibration": f"{int8_report['method']}, {int8_report['patches']} training patches "
                                    f"{int8_report['patch_shape'][1]}×{int8_report['patch_shape'][2]}",
                     "kept_fp32": int8_report["kept_fp32"], "runtime_ops": int8_report["runtime_ops"]},
        "notes": notes,
    }
    print(f"{'engine':<18}{'s/frame':>9}{'frames/s':>10}{'vs PyTorch':>12}{'Y-PSNR dB':>11}{'  real time (24 / 30 fps)'}")
    for name, row in engines_report.items():
        marks = " / ".join("yes" if row[f"reaches_{line}_fps"] else "no" for line in REAL_TIME_FPS)
        if row["frames_per_s"] < 30:
            marks += f"  ({row['times_too_slow_for_30_fps']}× too slow for 30 fps)"
        print(f"{name:<18}{row['seconds_per_frame']:>9.3f}{row['frames_per_s']:>10.2f}"
              f"{row['speed_vs_pytorch']:>11.2f}×{row['psnr_y_db']:>11.3f}  {marks}")
    print(f"bicubic Y-PSNR {psnr['bicubic']:.3f} dB; load average {load_before:.2f} -> {load_after:.2f}")
    for note in notes:
        print("note:", note)
    report = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    report.update({
        "benchmark": f"srresnet-x4 upscaling 1×3×{INPUT_SIZE}×{INPUT_SIZE} -> ×4 ({4 * INPUT_SIZE}×{4 * INPUT_SIZE}): "
                     "PyTorch fp32, ONNX Runtime fp32, ONNX Runtime int8 (static, QDQ)",
        "real_time_lines_fps": list(REAL_TIME_FPS),
    })
    report.setdefault("runs", {})[args.device] = run
    write_results(report, RESULTS, PACKAGED)  # the package's copy is what lesson 09 shows
    return 0


if __name__ == "__main__":
    sys.exit(main())
