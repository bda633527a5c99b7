"""ONNX export, int8 quantisation and the ONNX Runtime upscaler (``imgsynth_edu.export``).

Tolerances, and where they come from:

* fp32 ONNX vs PyTorch: ``max |diff| <= 1e-4`` (``EXPORT_TOLERANCE``). Measured on
  ``srresnet-x4``: max 2.4e-7, mean 3.2e-8 on the held-out ``chelsea`` (float rounding of
  another summation order); a graph frozen at the example's size errs by > 1e-2.
* int8 vs fp32 Y-PSNR on the five held-out photos (the SR protocol): measured loss
  0.025 dB (31.740 -> 31.715 dB); the bound is 0.1 dB, four times that.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from imgsynth_edu import pretrained
from imgsynth_edu.data import bicubic_upscale, load_photo, photo_set
from imgsynth_edu.evaluation import evaluate_sr
from imgsynth_edu.export import (
    EXPORT_TOLERANCE,
    BicubicUpscaler,
    OnnxUpscaler,
    PatchCalibrationReader,
    export_onnx,
    quantize_onnx,
    verify_onnx,
)
from imgsynth_edu.models.srresnet import SRResNet, receptive_field_radius, upscale_tiled

INT8_PSNR_LOSS_BOUND_DB = 0.1  # measured 0.025 dB on the held-out photos; 4× margin


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """``srresnet-x4`` exported once (fp32) and quantised once (int8) for the whole module."""
    folder = tmp_path_factory.mktemp("onnx")
    model = pretrained.load("srresnet-x4")
    fp32_report = export_onnx(model, folder / "srresnet-x4.onnx", source="srresnet-x4")
    int8_report = quantize_onnx(folder / "srresnet-x4.onnx", folder / "srresnet-x4-int8.onnx")
    return {"model": model, "fp32": folder / "srresnet-x4.onnx", "int8": folder / "srresnet-x4-int8.onnx",
            "fp32_report": fp32_report, "int8_report": int8_report}


def _random_tail(model: SRResNet, seed: int = 0) -> SRResNet:
    """A model whose tail is not zero (a fresh bicubic-skip model starts as plain bicubic)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model.tail.weight.copy_(torch.randn(model.tail.weight.shape, generator=generator) * 0.01)
    return model.eval()


# ----------------------------------------------------------------------------
# The bicubic skip as a fixed filter
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("size", [(5, 7), (16, 16), (23, 41)])
def test_bicubic_upscaler_equals_the_library_bicubic(scale, size, generator):
    images = torch.rand(2, 3, *size, generator=generator)
    expected = bicubic_upscale(images, scale, clip=False)  # MATLAB-like, matrices in float64
    actual = BicubicUpscaler(scale)(images)  # pad - conv - PixelShuffle, float32
    assert actual.shape == expected.shape
    assert (actual - expected).abs().max() < 1e-5


# ----------------------------------------------------------------------------
# fp32 export: agreement with PyTorch, dynamic axes
# ----------------------------------------------------------------------------
def test_export_agrees_with_pytorch_on_a_held_out_photo(exported):
    verification = exported["fp32_report"]["verification"]
    assert verification["photo"] == "chelsea"  # held out: never trained on
    assert "chelsea" in photo_set("test")
    assert verification["input_shape"] == [1, 3, 75, 112]  # not the 32×32 example of the export
    assert verification["max_abs_diff"] <= EXPORT_TOLERANCE
    assert verification["mean_abs_diff"] <= EXPORT_TOLERANCE / 10
    again = verify_onnx(exported["fp32"], exported["model"])  # re-measured from the written file
    assert again["max_abs_diff"] == pytest.approx(verification["max_abs_diff"], abs=1e-7)


@pytest.mark.parametrize("shape", [(1, 40, 56), (2, 64, 48)])
def test_dynamic_axes_other_sizes_and_batches_agree(exported, shape):
    count, height, width = shape
    photo = load_photo("clock")  # held out
    low_res = torch.stack([photo[:, i * 8 : i * 8 + height, i * 8 : i * 8 + width] for i in range(count)])
    upscaler = OnnxUpscaler(exported["fp32"])
    actual = upscaler(low_res)
    with torch.no_grad():
        expected = exported["model"](low_res)
    assert actual.shape == (count, 3, 4 * height, 4 * width)
    assert (actual - expected).abs().max() <= EXPORT_TOLERANCE


def test_upscaler_reads_the_metadata_and_tiles_seamlessly(exported):
    upscaler = OnnxUpscaler(exported["fp32"])
    assert (upscaler.scale, upscaler.in_channels, upscaler.precision) == (4, 3, "fp32")
    assert upscaler.source == "srresnet-x4"
    assert receptive_field_radius(upscaler) == receptive_field_radius(exported["model"])
    image = load_photo("gravel")[None, :, :70, :90]  # 1×3×70×90, held out
    tiled = upscale_tiled(upscaler, image, 4, tile=32)  # overlap = the stored receptive field
    whole = upscale_tiled(upscaler, image, 4, tile=128)  # one pass
    assert (tiled - whole).abs().max() < 1e-5


@pytest.mark.parametrize("scale, skip", [(2, False), (3, True)])
def test_other_restorers_export_too(tmp_path, scale, skip):
    torch.manual_seed(0)
    model = _random_tail(SRResNet(scale=scale, num_blocks=1, channels=8, batch_norm=False, bicubic_skip=skip))
    report = export_onnx(model, tmp_path / "small.onnx")
    assert report["scale"] == scale
    assert report["verification"]["max_abs_diff"] <= EXPORT_TOLERANCE
    assert report["verification"]["input_shape"][-2:] != [32, 32]


# ----------------------------------------------------------------------------
# int8
# ----------------------------------------------------------------------------
def test_int8_runs_in_int8_and_keeps_the_quality(exported):
    report = exported["int8_report"]
    assert report["method"] == "minmax" and report["patches"] == 64 and report["patch_shape"] == [3, 32, 32]
    operators = report["runtime_ops"]
    assert operators.get("QLinearConv", 0) >= 20  # every convolution but the output layers runs in int8
    assert operators.get("Conv", 0) == 2  # the tail and the bicubic skip stay fp32
    assert report["bytes"] < report["fp32_bytes"] / 2
    int8 = OnnxUpscaler(exported["int8"])
    assert int8.precision == "int8" and int8.scale == 4
    photos = photo_set("test")
    fp32_scores = evaluate_sr(OnnxUpscaler(exported["fp32"]), photos, 4)
    int8_scores = evaluate_sr(int8, photos, 4)
    card = pretrained.card("srresnet-x4")["scores"]["held_out_photos"]
    assert fp32_scores["model"]["psnr_y"] == pytest.approx(card["model"]["psnr_y"], abs=1e-3)  # ONNX fp32 = PyTorch
    loss = fp32_scores["model"]["psnr_y"] - int8_scores["model"]["psnr_y"]
    assert 0 < loss <= INT8_PSNR_LOSS_BOUND_DB  # it is quantised (not the fp32 file), and close
    assert int8_scores["model"]["psnr_y"] - int8_scores["bicubic"]["psnr_y"] >= 1.0  # still clearly beats bicubic


def test_calibration_reader_gives_training_patches_then_stops():
    reader = PatchCalibrationReader("low_res", 4, count=10, patch_size=64, batch_size=4)
    batches = []
    while (feed := reader.get_next()) is not None:
        batches.append(feed["low_res"])
    assert [batch.shape for batch in batches] == [(4, 3, 16, 16), (4, 3, 16, 16), (2, 3, 16, 16)]
    assert all(batch.dtype.name == "float32" and 0 <= batch.min() and batch.max() <= 1 for batch in batches)
    reader.rewind()
    assert (reader.get_next()["low_res"] == batches[0]).all()  # the same patches again
    other_seed = PatchCalibrationReader("low_res", 4, count=4, patch_size=64, batch_size=4, seed=1)
    assert not (other_seed.get_next()["low_res"] == batches[0]).all()


def test_quantising_an_int8_file_again_is_refused(exported, tmp_path):
    with pytest.raises(ValueError, match="already quantised"):
        quantize_onnx(exported["int8"], tmp_path / "twice.onnx")
    assert not (tmp_path / "twice.onnx").exists()


# ----------------------------------------------------------------------------
# Atomic writes
# ----------------------------------------------------------------------------
class _FrozenConstantRestorer(nn.Module):
    """A ×2 restorer that reads a tensor's value into Python: a trace freezes it, so ONNX != PyTorch."""

    def forward(self, low_res):
        brightness = low_res.mean().item()  # a Python float: recorded as a constant
        return nn.functional.interpolate(low_res, scale_factor=2, mode="nearest") * brightness


class _ComplexRestorer(nn.Module):
    """A ×1 'restorer' built on a complex FFT, which the ONNX exporter cannot write."""

    def forward(self, low_res):
        return torch.fft.ifft2(torch.fft.fft2(low_res)).real


def test_an_export_that_fails_verification_leaves_no_file(tmp_path):
    path = tmp_path / "frozen.onnx"
    with pytest.warns(torch.jit.TracerWarning), pytest.raises(ValueError, match="disagrees with PyTorch"):
        export_onnx(_FrozenConstantRestorer(), path)
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file


def test_a_failed_export_keeps_an_existing_file_as_it_was(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the previous export")
    with pytest.raises(torch.onnx.OnnxExporterError, match="fft"):
        export_onnx(_ComplexRestorer(), path)
    assert path.read_bytes() == b"the previous export"
    assert list(tmp_path.iterdir()) == [path]


# ----------------------------------------------------------------------------
# Clear errors
# ----------------------------------------------------------------------------
def test_a_non_restorer_is_refused(tmp_path):
    with pytest.raises(ValueError, match="must be a restorer"):
        export_onnx(pretrained.load("digit-classifier"), tmp_path / "classifier.onnx")
    with pytest.raises(TypeError, match="nn.Module"):
        export_onnx(lambda images: images, tmp_path / "function.onnx")
    with pytest.raises(ValueError, match="BurstSR"):
        export_onnx(pretrained.load("burst-x4"), tmp_path / "burst.onnx")
    assert list(tmp_path.iterdir()) == []


def test_wrong_suffix_and_missing_files_are_refused(tmp_path, exported):
    with pytest.raises(ValueError, match=r"path must end in '\.onnx'"):
        export_onnx(exported["model"], tmp_path / "model.pt")
    with pytest.raises(ValueError, match=r"model must end in '\.onnx'"):
        OnnxUpscaler(tmp_path / "model.pt")
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        OnnxUpscaler(tmp_path / "missing.onnx")
    with pytest.raises(FileNotFoundError, match="fp32_path"):
        quantize_onnx(tmp_path / "missing.onnx", tmp_path / "int8.onnx")
    with pytest.raises(ValueError, match=r"int8_path must end in '\.onnx'"):
        quantize_onnx(exported["fp32"], tmp_path / "int8.bin")


def test_a_corrupt_or_foreign_onnx_file_is_refused(tmp_path):
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not a protobuf at all")
    with pytest.raises(ValueError, match="could not be loaded by ONNX Runtime"):
        OnnxUpscaler(corrupt)
    import onnx

    foreign = tmp_path / "foreign.onnx"  # a valid ONNX file that export_onnx did not write: y = x
    value = onnx.helper.make_tensor_value_info
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "identity",
                                   [value("x", onnx.TensorProto.FLOAT, None)], [value("y", onnx.TensorProto.FLOAT, None)])
    onnx.save(onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)]), str(foreign))
    with pytest.raises(ValueError, match="no imgsynth_edu metadata"):
        OnnxUpscaler(foreign)


def test_upscaler_checks_its_input(exported):
    upscaler = OnnxUpscaler(exported["fp32"])
    with pytest.raises(ValueError, match=r"low_res must have values in \[0, 1\]"):
        upscaler(torch.full((1, 3, 8, 8), 2.0))
    with pytest.raises(ValueError, match="low_res must have 3 channels"):
        upscaler(torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match="device must be one of"):
        OnnxUpscaler(exported["fp32"], device="tpu")


def test_missing_onnxruntime_says_how_to_install(monkeypatch, exported):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    with pytest.raises(ImportError, match=r"pip install 'imgsynth-edu\[export\]'"):
        OnnxUpscaler(exported["fp32"])


def test_importing_the_library_does_not_need_onnx():
    code = (
        "import sys; sys.modules['onnx'] = None; sys.modules['onnxruntime'] = None\n"
        "import imgsynth_edu, imgsynth_edu.export\n"
        "from imgsynth_edu.export import export_onnx\n"
        "try:\n"
        "    export_onnx(None, 'x.onnx')\n"
        "except ImportError as error:\n"
        "    print('ImportError:', error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install 'imgsynth-edu[export]'" in result.stdout
