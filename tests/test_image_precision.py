"""Image files are read at their true precision, or refused with a reason: never truncated to 8 bits or clipped."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from imgsynth_edu.data.image_io import read_image


def _levels16(shape, seed=0):
    """16-bit values that 8 bits cannot hold (every one differs from its 8-bit rounding)."""
    values = np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint16) * 257 + 128
    return values.astype(np.uint16)


def test_16_bit_rgb_tiff_keeps_16_bits(tmp_path):
    array = _levels16((6, 7, 3))
    tifffile.imwrite(tmp_path / "rgb16.tif", array, photometric="rgb")
    image = read_image(tmp_path / "rgb16.tif")
    assert image.bit_depth == 16 and image.alpha is None
    expected = torch.from_numpy(array.astype(np.float32) / 65535).permute(2, 0, 1)[None]  # (1, 3, H, W)
    assert torch.equal(image.pixels, expected)


def test_16_bit_greyscale_and_rgba_tiff_keep_16_bits(tmp_path):
    grey = _levels16((5, 4), seed=1)
    tifffile.imwrite(tmp_path / "grey16.tif", grey, photometric="minisblack")
    image = read_image(tmp_path / "grey16.tif")
    assert image.pixels.shape == (1, 1, 5, 4)
    assert torch.equal(image.pixels[0, 0], torch.from_numpy(grey.astype(np.float32) / 65535))
    rgba = _levels16((5, 4, 4), seed=2)
    tifffile.imwrite(tmp_path / "rgba16.tif", rgba, photometric="rgb", extrasamples=["unassalpha"])
    image = read_image(tmp_path / "rgba16.tif")
    assert image.pixels.shape == (1, 3, 5, 4) and image.alpha.shape == (1, 1, 5, 4)
    assert torch.equal(image.alpha[0, 0], torch.from_numpy(rgba[:, :, 3].astype(np.float32) / 65535))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", [1, 3])
def test_float_tiff_in_0_1_is_read_exactly(tmp_path, dtype, channels):
    array = np.random.default_rng(3).random((6, 5, channels)).astype(dtype)
    array[0, 0] = 1e-6  # a level no 8- or 16-bit file has
    tifffile.imwrite(tmp_path / "float.tif", array[:, :, 0] if channels == 1 else array,
                     photometric="minisblack" if channels == 1 else "rgb")
    image = read_image(tmp_path / "float.tif")
    expected = torch.from_numpy(array.astype(np.float32)).permute(2, 0, 1)[None]  # (1, C, H, W)
    assert torch.equal(image.pixels, expected)


@pytest.mark.parametrize("bad, reason", [
    (2.5, r"values in \[[0-9.]+, 2\.5\], outside \[0, 1\] \(refused, not clipped"),
    (-0.25, r"outside \[0, 1\]"),
    (np.nan, "NaN or infinite"),
])
def test_float_tiff_outside_0_1_is_refused_not_clipped(tmp_path, bad, reason):
    array = np.random.default_rng(4).random((6, 5)).astype(np.float32)
    array[2, 3] = bad
    tifffile.imwrite(tmp_path / "hdr.tif", array)
    with pytest.raises(ValueError, match=reason):
        read_image(tmp_path / "hdr.tif")


def test_32_bit_integer_images_and_stacks_are_refused(tmp_path):
    tifffile.imwrite(tmp_path / "int32.tif", np.full((4, 4), 70_000, dtype=np.int32))
    with pytest.raises(ValueError, match="int32 samples"):
        read_image(tmp_path / "int32.tif")
    tifffile.imwrite(tmp_path / "stack.tif", np.zeros((3, 4, 4, 3), dtype=np.uint8), photometric="rgb")
    with pytest.raises(ValueError, match="only one greyscale or RGB image"):
        read_image(tmp_path / "stack.tif")


def test_8_bit_tiffs_still_read_including_palette_ones(tmp_path):
    array = np.random.default_rng(5).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "rgb8.tif", array, photometric="rgb")
    image = read_image(tmp_path / "rgb8.tif")
    assert image.bit_depth == 8
    assert torch.equal(image.pixels, torch.from_numpy(array.astype(np.float32) / 255).permute(2, 0, 1)[None])
    Image.fromarray(array).convert("P").save(tmp_path / "palette.tif")
    assert read_image(tmp_path / "palette.tif").pixels.shape == (1, 3, 4, 6)
