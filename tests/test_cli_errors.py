"""Every expected error of the command line is one line, ``imgsynth-edu: error: ...``, exit status 2."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from imgsynth_edu import pretrained
from imgsynth_edu.cli import main
from imgsynth_edu.models.srresnet import SRResNet
from imgsynth_edu.utils import save_state_dict

#: A Python keyword argument (``name=``, ``download=False``) in a message; ``--scale=2`` is not one.
PYTHON_KEYWORD = re.compile(r"(?<![-\w])[a-z_]+=")


@pytest.fixture
def files(tmp_path, write_tiny_srresnet):
    write_tiny_srresnet(tmp_path / "tiny.pt")
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(photo)
    (tmp_path / "notes.png").write_text("not an image")
    (tmp_path / "folder").mkdir()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(
        tmp_path / "folder" / "x.png")
    return tmp_path


def _card(tmp_path, name, card):
    path = tmp_path / f"{name}.pt"
    save_state_dict(SRResNet(scale=2, num_blocks=1, channels=4).state_dict(), path)
    path.with_suffix(".json").write_text(card if isinstance(card, str) else json.dumps(card))
    return str(path)


CASES = {
    "missing argument": lambda t: (["upscale", str(t / "photo.png")], "the following arguments are required"),
    "unknown option": lambda t: (["upscale", str(t / "photo.png"), str(t / "o.png"), "--colour"], "unrecognized"),
    "not a number": lambda t: (["sample", "--n", "many", "--out", str(t / "g.png")], "invalid int value"),
    "missing file": lambda t: (["upscale", str(t / "missing.png"), str(t / "o.png"), "--checkpoint",
                                str(t / "tiny.pt"), "--scale", "2"], "does not exist"),
    "bad image": lambda t: (["upscale", str(t / "notes.png"), str(t / "o.png"), "--checkpoint", str(t / "tiny.pt"),
                             "--scale", "2"], "not an image file"),
    "unknown device": lambda t: (["upscale", str(t / "photo.png"), str(t / "o.png"), "--checkpoint",
                                  str(t / "tiny.pt"), "--scale", "2", "--device", "tpu"], "'tpu' is not a device"),
    "absent device": lambda t: (["train", "dcgan", "--out", str(t / "m.pt"), "--steps", "1"], None),
    "sample suffix": lambda t: (["sample", "--n", "2", "--out", str(t / "grid.pt")], "must end in one of"),
    "single-image model to evaluate-burst": lambda t: (
        ["evaluate-burst", "--images", str(t / "folder"), "--scale", "2", "--checkpoint", str(t / "tiny.pt")],
        "is not a burst model"),
    "card not JSON": lambda t: (["upscale", str(t / "photo.png"), str(t / "o.png"), "--scale", "2", "--checkpoint",
                                 _card(t, "broken", "{not json")], "is not valid JSON"),
    "card a list": lambda t: (["upscale", str(t / "photo.png"), str(t / "o.png"), "--scale", "2", "--checkpoint",
                               _card(t, "listed", [1, 2])], "must hold a JSON object"),
    "card names no model": lambda t: (
        ["upscale", str(t / "photo.png"), str(t / "o.png"), "--scale", "2", "--checkpoint",
         _card(t, "os", {"architecture": "os.system", "arguments": {}})], "does not describe a model"),
    "card does not fit the weights": lambda t: (
        ["upscale", str(t / "photo.png"), str(t / "o.png"), "--scale", "2", "--checkpoint",
         _card(t, "wide", {"architecture": "imgsynth_edu.models.srresnet.SRResNet",
                           "arguments": {"scale": 2, "num_blocks": 1, "channels": 8}})],
        "does not match the architecture of its card"),
    "scale with no bundled model": lambda t: (["upscale", str(t / "photo.png"), str(t / "o.png"), "--scale", "2"],
                                              "no bundled model for --scale 2"),
    "scale the model was not trained for": lambda t: (
        ["upscale", str(t / "photo.png"), str(t / "o.png"), "--scale", "4", "--checkpoint", str(t / "tiny.pt")],
        "upscales ×2"),
    "unknown initial model": lambda t: (["train", "srgan", "--init-pretrained", "srresnet-x9", "--content", "l1",
                                         "--out", str(t / "g.pt")], "--init-pretrained 'srresnet-x9' is not a bundled"),
    "unknown pretrained": lambda t: (["sample", "--pretrained", "nope", "--out", str(t / "g.png")],
                                     "--pretrained 'nope' is not a bundled model"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_expected_error_is_one_line_and_exit_status_2(case, files, capsys):
    argv, expected = CASES[case](files)
    if case == "absent device":
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
        argv, expected = [*argv, "--device", "cuda"], "'cuda' is not available here"
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imgsynth-edu: error: "), captured.err
    assert expected in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not PYTHON_KEYWORD.search(lines[0]), f"advises a Python keyword argument: {lines[0]}"
    assert not (files / "o.png").exists()


def test_debug_shows_the_traceback(files):
    with pytest.raises(ValueError, match="no bundled model"):
        main(["upscale", str(files / "photo.png"), str(files / "o.png"), "--scale", "2", "--debug"])


def test_an_offline_dataset_error_names_the_bundled_alternative_as_a_command_line_value(
        files, monkeypatch, closed_port, capsys):
    import torchvision.datasets as tvd

    monkeypatch.setattr(tvd.MNIST, "mirrors", [f"http://127.0.0.1:{closed_port}/"])
    monkeypatch.setenv("IMGSYNTH_DATA", str(files / "data"))
    assert main(["train", "dcgan", "--data", "mnist", "--steps", "1", "--out", str(files / "m.pt")]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "could not be loaded" in line
    assert "offline alternative that ships with the course: 'mnist-5k'" in line
    assert not PYTHON_KEYWORD.search(line) and "get_dataset(" not in line


def test_the_bundled_models_still_load(capsys):
    assert "srresnet-x4" in pretrained.available()
