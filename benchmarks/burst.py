"""Speed of burst restoration: classical align-and-merge against the learned BurstSR, in one run.

One burst of 8 frames of 128×128 low-resolution pixels (×4: a 512×512 result),
on the CPU (and on the GPU when there is one), milliseconds per burst:

* registration: our torch phase correlation (all 7 frames in one batch) vs
  scikit-image's ``phase_cross_correlation`` (frame by frame), same
  ``upsample_factor=20``: the peer that the agreement test checks against;
* shift-and-add, robust merge (3 reweighting passes), each including registration;
* the learned ``BurstSR`` with the bundled ``burst-x4`` weights (random
  weights of the same architecture if it is not bundled: same speed).

Each timing is the best of several repeats (the least disturbed by other
processes). Prints the ratios and writes ``benchmarks/results/burst.json``
with the device, thread count, load average and date.

    python benchmarks/burst.py            # full
    python benchmarks/burst.py --quick    # fewer repeats (smoke test)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from pathlib import Path

import torch
from _common import best_time, cpu_name
from skimage.registration import phase_cross_correlation

from imgsynth_edu import pretrained
from imgsynth_edu.classical import estimate_shifts, robust_merge, shift_and_add
from imgsynth_edu.data.bursts import synthetic_burst
from imgsynth_edu.data.photos import load_photo
from imgsynth_edu.models.burst import BurstSR
from imgsynth_edu.utils import atomic_write

RESULTS = Path(__file__).resolve().parent / "results" / "burst.json"






def load_model() -> tuple[torch.nn.Module, str]:
    if "burst-x4" in pretrained.available():
        return pretrained.load("burst-x4"), "burst-x4 (bundled weights)"
    return BurstSR(scale=4).eval(), "BurstSR(scale=4), random weights (burst-x4 not bundled)"


def measure(device: torch.device, repeats: int) -> dict:
    image = load_photo("motorcycle")[:, :512, :512]  # held out; 512×512 -> 128×128 low resolution
    burst = synthetic_burst(image, frames=8, scale=4, seed=0)
    frames = burst.frames[None].to(device)  # 1×8×3×128×128
    model, model_name = load_model()
    model = model.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    grey = burst.frames.mean(dim=1).double().numpy()  # 8×128×128

    def skimage_registration():
        for frame in grey[1:]:
            phase_cross_correlation(grey[0], frame, upsample_factor=20)

    def learned():
        with torch.no_grad():
            model(frames)

    timings = {
        "phase_correlation_torch": best_time(lambda: estimate_shifts(frames, window=False), repeats, sync),
        "shift_and_add": best_time(lambda: shift_and_add(frames, None, 4), repeats, sync),
        "robust_merge": best_time(lambda: robust_merge(frames, None, 4), repeats, sync),
        "burst_model": best_time(learned, repeats, sync),
    }
    if device.type == "cpu":
        timings["phase_correlation_skimage"] = best_time(skimage_registration, repeats)
    result = {name: round(seconds * 1000, 2) for name, seconds in timings.items()}
    result["model"] = model_name
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    report = {
        "benchmark": "burst restoration, ms per burst (8 frames, 128×128 low-resolution, ×4)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "results": {},
    }
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for device in devices:
        name = cpu_name() if device.type == "cpu" else torch.cuda.get_device_name(device)
        timings = measure(device, repeats)
        timings["device"] = name
        report["results"][device.type] = timings
        print(f"[{device.type}: {name}] ms per burst")
        for key, value in timings.items():
            if isinstance(value, float):
                print(f"  {key:<28}{value:>10.1f}")
        print(f"  learned / shift-and-add: {timings['burst_model'] / timings['shift_and_add']:.2f}×")
        if "phase_correlation_skimage" in timings:
            ratio = timings["phase_correlation_skimage"] / timings["phase_correlation_torch"]
            print(f"  registration, scikit-image / ours: {ratio:.2f}× (>1: ours is faster)")
            timings["skimage_over_ours_registration"] = round(ratio, 2)
        timings["learned_over_shift_and_add"] = round(timings["burst_model"] / timings["shift_and_add"], 2)
    with atomic_write(RESULTS, "w") as handle:
        json.dump(report, handle, indent=2)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
