"""Writing a large result costs its integer bytes plus one strip, not a float64 copy of the whole image.

A result that arrives in strips is written as it comes; the whole ``upscale`` command's peak grows with
the tile, not with the image (its peak RSS at 4000×3000 is measured by ``benchmarks/upscale_memory.py``).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

from imgsynth_edu.data import image_io
from imgsynth_edu.data.image_io import read_image, write_image, write_image_strips


@pytest.mark.parametrize("bit_depth, suffix", [(8, ".png"), (16, ".png"), (8, ".bmp")])
def test_write_image_allocates_the_output_levels_and_one_strip(tmp_path, bit_depth, suffix):
    height, width = 1200, 500
    pixels = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    values = height * width * 3
    output_bytes = values * (bit_depth // 8)  # the integer levels the file stores
    strip_bytes = image_io.WRITE_STRIP_ROWS * width * 3 * 8  # one float64 strip
    tracemalloc.start()  # NumPy reports its array buffers to tracemalloc
    try:
        write_image(tmp_path / f"out{suffix}", pixels, bit_depth=bit_depth)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the whole-image float64 conversion it replaces peaked at >= 16 bytes per value (product + rounded copy);
    # now: the levels, a strip or two, and the PNG encoder's buffers -- less than one float64 copy
    assert peak < 8 * values, f"peak {peak / 1e6:.1f} MB for {values / 1e6:.1f} M values"
    assert peak < output_bytes + 3 * strip_bytes + 4_000_000, f"peak {peak / 1e6:.1f} MB"
    levels = read_image(tmp_path / f"out{suffix}")
    written = bit_depth if suffix == ".png" else 8
    expected = (pixels.double() * (2**written - 1)).round() / (2**written - 1)  # what the whole-image conversion wrote
    assert torch.equal(levels.pixels.double(), expected.float().double())


def test_strip_conversion_matches_rounding_of_the_whole_image_with_alpha(tmp_path):
    pixels = torch.rand(1, 3, 130, 7, generator=torch.Generator().manual_seed(1))  # not a multiple of the strip
    alpha = torch.rand(1, 1, 130, 7, generator=torch.Generator().manual_seed(2))
    array = image_io._to_integer_levels([pixels, alpha], 16)
    whole = (torch.cat([pixels, alpha], dim=1)[0].permute(1, 2, 0).double().numpy() * 65535).round().astype(np.uint16)
    assert np.array_equal(array, whole)


# ----------------------------------------------------------------------------
# Writing a result that arrives strip by strip
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("bit_depth, with_alpha, suffix", [(8, False, ".png"), (16, True, ".png"), (8, True, ".bmp")])
def test_strips_write_the_same_file_as_the_whole_image(tmp_path, bit_depth, with_alpha, suffix):
    generator = torch.Generator().manual_seed(4)
    pixels = torch.rand(1, 3, 45, 17, generator=generator)
    alpha = torch.rand(1, 1, 45, 17, generator=generator) if with_alpha else None
    write_image(tmp_path / f"whole{suffix}", pixels, alpha=alpha, bit_depth=bit_depth)
    write_image_strips(tmp_path / f"strips{suffix}", pixels.split(10, dim=-2), height=45, width=17,
                       alpha_strips=None if alpha is None else alpha.split(10, dim=-2), bit_depth=bit_depth)
    whole, strips = read_image(tmp_path / f"whole{suffix}"), read_image(tmp_path / f"strips{suffix}")
    assert torch.equal(whole.pixels, strips.pixels)
    assert (whole.alpha is None) == (strips.alpha is None)
    if whole.alpha is not None:
        assert torch.equal(whole.alpha, strips.alpha)
    assert whole.bit_depth == strips.bit_depth


@pytest.mark.parametrize("problem, strips, match", [
    ("too few rows", [torch.rand(1, 3, 10, 8)] * 2, "hold 20 rows, expected height=30"),
    ("too many rows", [torch.rand(1, 3, 20, 8)] * 2, "more than height=30"),
    ("a wrong width", [torch.rand(1, 3, 10, 8), torch.rand(1, 3, 20, 9)], "strip 1 must be 1×3×rows×8"),
    ("a value out of range", [torch.rand(1, 3, 10, 8), torch.rand(1, 3, 20, 8) + 1], "strip 1"),
    ("no strip at all", [], "at least one strip"),
])
def test_bad_strips_are_refused_and_leave_no_file(tmp_path, problem, strips, match):
    target = tmp_path / "out.png"
    with pytest.raises(ValueError, match=match):
        write_image_strips(target, strips, height=30, width=8)
    assert list(tmp_path.iterdir()) == [], problem  # neither the file nor a temporary half of it


def test_alpha_strips_must_match_the_colour_strips(tmp_path):
    with pytest.raises(ValueError, match="alpha_strips ended before strip 1"):
        write_image_strips(tmp_path / "out.png", [torch.rand(1, 3, 5, 4)] * 2, height=10, width=4,
                           alpha_strips=[torch.rand(1, 1, 5, 4)])
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------
# The whole command: its peak grows with the tile, not with the image's area
# ----------------------------------------------------------------------------
_CHILD = """
import json, sys
import torch
torch.set_num_threads(1)
from imgsynth_edu import cli
from imgsynth_edu.cli import sr
from imgsynth_edu.models.srresnet import upscale_tiled
source, target, model, mode = sys.argv[1:5]
if mode == "assembled":  # the peer: the whole result assembled in memory before writing
    sr.upscale_strips = lambda *args, **kwargs: iter([upscale_tiled(*args, **kwargs)])
def status_kb(field):  # VmRSS (now) or VmHWM (the peak since the last reset) from /proc/self/status
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
before = status_kb("VmRSS")
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # Linux: reset the peak (VmHWM) to the current RSS, so imports do not count
code = cli.main(["upscale", source, target, "--scale", "4", "--checkpoint", model, "--device", "cpu", "--tile", "32"])
assert code == 0, code
print(json.dumps({"before_kb": before, "peak_kb": status_kb("VmHWM")}))
"""


def _command_peak_mb(source, target, model, mode) -> float:
    """Peak RSS (MB) that one ``upscale`` command adds to a fresh process that has imported torch (Linux)."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", _CHILD, str(source), str(target), str(model), mode],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    return (numbers["peak_kb"] - numbers["before_kb"]) / 1024


def test_the_upscale_commands_peak_grows_with_the_tile_not_with_the_images_area(tmp_path, write_tiny_srresnet):
    from PIL import Image

    model = write_tiny_srresnet(tmp_path / "tiny4.pt", scale=4)
    rng = np.random.default_rng(0)
    small, large = tmp_path / "small.png", tmp_path / "large.png"
    Image.fromarray(rng.integers(0, 256, (192, 256, 3), dtype=np.uint8)).save(small)  # result 1024×768
    Image.fromarray(rng.integers(0, 256, (768, 1024, 3), dtype=np.uint8)).save(large)  # 16× the area: 4096×3072
    result_growth_mb = (4096 * 3072 - 1024 * 768) * 3 * 4 / 2**20  # float32 result, large minus small: 135 MB
    streamed = {name: _command_peak_mb(path, tmp_path / f"{name}_out.png", model, "streamed")
                for name, path in (("small", small), ("large", large))}
    assembled = _command_peak_mb(large, tmp_path / "assembled_out.png", model, "assembled")
    # Holding the result would cost at least its growth; the streamed command grows by the larger input
    # and a wider strip only -- less than half of it (measured: ~38 MB of the result's 135 MB).
    assert streamed["large"] - streamed["small"] < 0.5 * result_growth_mb, streamed
    # and the check can fail: the assembled result (the command before streaming) costs more than the result itself
    assert assembled - streamed["small"] > result_growth_mb, (assembled, streamed)
    assert read_image(tmp_path / "large_out.png").pixels.shape == (1, 3, 3072, 4096)
    assert torch.equal(read_image(tmp_path / "large_out.png").pixels, read_image(tmp_path / "assembled_out.png").pixels)
