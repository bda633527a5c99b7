"""``imgsynth-edu export`` and ``imgsynth-edu upscale --engine onnx`` on a tiny model and the bundled srresnet-x4."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from imgsynth_edu.cli import main
from imgsynth_edu.data.image_io import read_image
from imgsynth_edu.export import OnnxUpscaler
from imgsynth_edu.models.srresnet import SRResNet
from imgsynth_edu.utils import save_state_dict

pytest.importorskip("onnxruntime")


@pytest.fixture
def tiny_model(tmp_path):
    """A ×2 model file + card whose tail is not zero (so it differs from plain bicubic)."""
    torch.manual_seed(0)
    arguments = {"scale": 2, "num_blocks": 1, "channels": 4, "batch_norm": False, "bicubic_skip": True}
    model = SRResNet(**arguments)
    with torch.no_grad():
        model.tail.weight.normal_(0, 0.05)
    path = tmp_path / "tiny.pt"
    save_state_dict(model.state_dict(), path)
    card = {"name": "tiny", "architecture": "imgsynth_edu.models.srresnet.SRResNet", "arguments": arguments}
    path.with_suffix(".json").write_text(json.dumps(card))
    return path, model.eval()


def _photo(path, height=14, width=18):
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
    return path


def test_export_writes_a_file_that_agrees_with_pytorch(tiny_model, tmp_path, capsys):
    path, model = tiny_model
    out = tmp_path / "tiny.onnx"
    assert main(["export", "--checkpoint", str(path), "--format", "onnx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "max |ONNX - PyTorch|" in printed and "chelsea" in printed
    upscaler = OnnxUpscaler(out)
    assert upscaler.scale == 2 and upscaler.precision == "fp32"
    image = torch.rand(2, 3, 9, 13, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = model(image)  # 2×3×18×26
    assert (upscaler(image) - expected).abs().max() < 1e-4


def test_export_pretrained_int8_writes_both_files_and_reports_the_check(tmp_path, capsys):
    out = tmp_path / "srresnet-x4.onnx"
    code = main(["export", "--pretrained", "srresnet-x4", "--format", "onnx", "--int8", "--out", str(out), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fp32"]["verification"]["max_abs_diff"] <= 1e-4
    assert report["int8"]["path"] == str(tmp_path / "srresnet-x4-int8.onnx")
    assert OnnxUpscaler(out).precision == "fp32"
    assert OnnxUpscaler(tmp_path / "srresnet-x4-int8.onnx").precision == "int8"


def test_upscale_with_onnx_runtime_matches_torch(tiny_model, tmp_path):
    path, _ = tiny_model
    src = _photo(tmp_path / "in.png")
    onnx_file = tmp_path / "tiny.onnx"
    assert main(["export", "--checkpoint", str(path), "--out", str(onnx_file)]) == 0
    runs = {
        "torch": ["--checkpoint", str(path)],
        "onnx_file": ["--engine", "onnx", "--checkpoint", str(onnx_file)],
        "onnx_exported_on_the_fly": ["--engine", "onnx", "--checkpoint", str(path)],
    }
    outputs = {}
    for name, options in runs.items():
        dst = tmp_path / f"{name}.png"
        assert main(["upscale", str(src), str(dst), "--scale", "2", "--tile", "8", *options]) == 0
        outputs[name] = read_image(dst).pixels  # 1×3×28×36
    assert outputs["torch"].shape == (1, 3, 28, 36)
    for name in ("onnx_file", "onnx_exported_on_the_fly"):
        # 8-bit files: equal up to one level where float rounding crosses a rounding boundary
        assert (outputs[name] - outputs["torch"]).abs().max() <= 1 / 255 + 1e-6, name
    assert not (outputs["torch"] == 0).all()


def test_export_without_onnx_installed_is_one_clear_line(tiny_model, tmp_path, monkeypatch, capsys):
    path, _ = tiny_model
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ImportError
    assert main(["export", "--checkpoint", str(path), "--out", str(tmp_path / "x.onnx")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "pip install 'imgsynth-edu[export]'" in error
    assert not (tmp_path / "x.onnx").exists()


def test_export_refuses_a_wrong_suffix(tiny_model, tmp_path, capsys):
    path, _ = tiny_model
    assert main(["export", "--checkpoint", str(path), "--out", str(tmp_path / "x.pt")]) == 2
    assert "--out must end in '.onnx'" in capsys.readouterr().err
