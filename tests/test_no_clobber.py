"""No command destroys data: no output over an input, no two outputs on one file, no silent replacement."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from imgsynth_edu.cli import main


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(path)
    return path


def _upscale(model, src, dst, *extra):
    return main(["upscale", str(src), str(dst), "--scale", "2", "--checkpoint", str(model), "--device", "cpu", *extra])


def test_upscale_never_writes_over_its_input_even_with_overwrite(tiny_model, photo, tmp_path, monkeypatch, capsys):
    before = photo.read_bytes()
    monkeypatch.chdir(tmp_path)
    for extra in ((), ("--overwrite",)):
        assert _upscale(tiny_model, "a.png", "./a.png", *extra) == 2
        err = capsys.readouterr().err
        assert "same file as the input" in err and len(err.strip().splitlines()) == 1
    link = tmp_path / "b.png"
    os.link(photo, link)  # another name for the same file
    assert _upscale(tiny_model, photo, link, "--overwrite") == 2
    assert photo.read_bytes() == before


def test_upscale_refuses_an_existing_output_without_overwrite(tiny_model, photo, tmp_path, capsys):
    out = tmp_path / "out.png"
    out.write_bytes(b"the user's earlier result")
    assert _upscale(tiny_model, photo, out) == 2
    assert "exists already: pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"the user's earlier result"
    assert _upscale(tiny_model, photo, out, "--overwrite") == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_sample_refuses_an_existing_output_without_overwrite(tmp_path, capsys):
    out = tmp_path / "grid.png"
    out.write_bytes(b"keep me")
    assert main(["sample", "--n", "2", "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err and out.read_bytes() == b"keep me"


def test_train_refuses_the_card_path_as_out_and_two_outputs_on_one_file(tmp_path, capsys):
    assert main(["train", "srresnet", "--out", str(tmp_path / "model.json"), "--steps", "1"]) == 2
    assert "--out must end in .pt" in capsys.readouterr().err
    out = tmp_path / "m.pt"
    assert main(["train", "burst", "--out", str(out), "--state", str(out), "--steps", "1"]) == 2
    assert "would be the same file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_train_refuses_to_replace_a_model_or_training_state_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "m.pt"
    out.write_bytes(b"a model the user trained yesterday")
    args = ["train", "srresnet", "--out", str(out), "--steps", "1", "--blocks", "1", "--channels", "4",
            "--patch-size", "32", "--batch-size", "2", "--no-eval", "--quiet", "--device", "cpu"]
    assert main(args) == 2
    assert "exists already: pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"a model the user trained yesterday"
    out.unlink()
    state = tmp_path / "m.state.pt"
    state.write_bytes(b"an interrupted run")
    assert main(args) == 2
    assert "the training state" in capsys.readouterr().err and state.read_bytes() == b"an interrupted run"


def test_srgan_never_writes_over_the_model_it_starts_from(tiny_model, tmp_path, capsys):
    code = main(["train", "srgan", "--init-checkpoint", str(tiny_model), "--out", str(tiny_model), "--scale", "2",
                 "--steps", "1", "--overwrite"])
    assert code == 2 and "same file as --init-checkpoint" in capsys.readouterr().err
