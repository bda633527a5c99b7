"""Writing a large result costs its integer bytes plus one strip, not a float64 copy of the whole image.

(The whole ``upscale`` command's peak RSS is measured by ``benchmarks/upscale_memory.py``.)
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

from imgsynth_edu.data import image_io
from imgsynth_edu.data.image_io import read_image, write_image


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
