"""``imgsynth-edu evaluate-burst`` and ``imgsynth-edu train burst``."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from imgsynth_edu import cli, pretrained
from imgsynth_edu.data.photos import load_photo
from imgsynth_edu.models.burst import BurstSR
from imgsynth_edu.utils import save_state_dict


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    for name in ("chelsea", "clock"):
        array = (load_photo(name)[:, :96, :128].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        Image.fromarray(array).save(folder / f"{name}.png")
    return folder


def _checkpoint(folder, scale: int) -> str:
    torch.manual_seed(0)
    arguments = {"scale": scale, "features": 8, "enc_blocks": 1, "dec_blocks": 1}
    path = folder / f"tiny-x{scale}.pt"
    save_state_dict(BurstSR(**arguments).state_dict(), path)
    card = {"architecture": "imgsynth_edu.models.burst.BurstSR", "arguments": arguments}
    path.with_suffix(".json").write_text(json.dumps(card))
    return str(path)


def test_evaluate_burst_json(image_folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pretrained, "available", lambda: [])  # the single-image model is "not bundled"
    checkpoint = _checkpoint(tmp_path, 4)
    code = cli.main(["evaluate-burst", "--images", str(image_folder), "--frames", "4", "--scale", "4",
                     "--checkpoint", checkpoint, "--seed", "3", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    assert report["images"] == 2 and report["frames"] == 4
    assert report["srresnet"] is None and "unavailable" in report["note"] and "unavailable" in captured.err
    for method in ("bicubic", "shift_and_add", "burst"):
        assert set(report[method]) == {"psnr_y", "ssim_y"}
        assert 15 < report[method]["psnr_y"] < 50 and 0 < report[method]["ssim_y"] <= 1
    # The untrained model adds a zero residual to its shift-and-add skip: the two scores coincide.
    assert report["burst"]["psnr_y"] == pytest.approx(report["shift_and_add"]["psnr_y"], abs=1e-3)
    # Merging 4 noisy frames beats bicubic of one.
    assert report["shift_and_add"]["psnr_y"] > report["bicubic"]["psnr_y"]


def test_evaluate_burst_table_and_determinism(image_folder, tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, 4)
    arguments = ["evaluate-burst", "--images", str(image_folder), "--frames", "2", "--checkpoint", checkpoint]
    assert cli.main(arguments + ["--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert cli.main(arguments + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert cli.main(arguments) == 0
    table = capsys.readouterr().out
    assert "shift_and_add" in table and f"{first['bicubic']['psnr_y']:.2f}" in table


def test_evaluate_burst_refuses_a_model_of_another_scale(image_folder, tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, 2)
    code = cli.main(["evaluate-burst", "--images", str(image_folder), "--scale", "4", "--checkpoint", checkpoint])
    assert code == 2
    assert "scale=4 does not match" in capsys.readouterr().err


def test_evaluate_burst_bad_arguments(image_folder, tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, 4)
    assert cli.main(["evaluate-burst", "--images", str(tmp_path / "missing"), "--checkpoint", checkpoint]) == 2
    assert "--images" in capsys.readouterr().err
    assert cli.main(["evaluate-burst", "--images", str(image_folder), "--frames", "0", "--checkpoint", checkpoint]) == 2
    assert "--frames" in capsys.readouterr().err
    assert cli.main(["evaluate-burst", "--images", str(image_folder), "--scale", "5", "--checkpoint", checkpoint]) == 2
    assert "--scale must be one of (2, 3, 4, 8)" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["evaluate-burst", "--images", str(empty), "--checkpoint", checkpoint]) == 2
    assert f"images folder {str(empty)!r} holds no image files" in capsys.readouterr().err


def test_evaluate_burst_refuses_a_checkpoint_without_its_card(image_folder, tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, 4)
    (tmp_path / "tiny-x4.json").unlink()  # the card says how to build the model: it is never guessed
    assert cli.main(["evaluate-burst", "--images", str(image_folder), "--checkpoint", checkpoint]) == 2
    assert "has no card tiny-x4.json beside it" in capsys.readouterr().err


def test_evaluate_burst_refuses_a_model_that_is_not_a_burst_model(image_folder, tmp_path, capsys):
    path = tmp_path / "classifier.pt"
    save_state_dict(pretrained.load("digit-classifier").state_dict(), path)
    card = {key: value for key, value in pretrained.card("digit-classifier").items() if key != "sha256"}  # re-saved
    path.with_suffix(".json").write_text(json.dumps(card))
    assert cli.main(["evaluate-burst", "--images", str(image_folder), "--checkpoint", str(path)]) == 2
    assert "is not a burst model" in capsys.readouterr().err


def test_train_burst_writes_weights_and_card(tmp_path, capsys):
    out = tmp_path / "mini.pt"
    code = cli.main(["train", "burst", "--steps", "2", "--batch-size", "1", "--patch-size", "32", "--frames", "2",
                     "--features", "8", "--out", str(out), "--no-progress", "--device", "cpu"])
    assert code == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["architecture"] == "imgsynth_edu.models.burst.BurstSR"
    assert card["steps"] == 2 and card["arguments"] == {"scale": 4, "features": 8}
    assert card["command"].startswith("imgsynth-edu train burst") and "--steps 2" in card["command"]
    assert "--no-augment" not in card["command"]  # augmentation is the default, and the card says what it was
    assert "vertical flips" in card["data"] and "90° rotation" in card["data"] and "log-uniform" in card["data"]
    model = pretrained.load_file(out)  # the card says how to build it
    assert isinstance(model, BurstSR) and model.scale == 4
    assert out.with_suffix(".state").is_file()


def test_train_burst_without_augmentation_says_so(tmp_path):
    out = tmp_path / "plain.pt"
    code = cli.main(["train", "burst", "--steps", "1", "--batch-size", "1", "--patch-size", "32", "--frames", "2",
                     "--features", "8", "--no-augment", "--out", str(out), "--no-progress", "--device", "cpu"])
    assert code == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert "--no-augment" in card["command"]  # the command on the card reproduces the flip-only data
    assert "horizontal flip with probability 1/2 only" in card["data"] and "vertical" not in card["data"]


def test_evaluate_burst_per_image(image_folder, tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, 4)
    arguments = ["evaluate-burst", "--images", str(image_folder), "--frames", "2", "--checkpoint", checkpoint]
    assert cli.main([*arguments, "--json", "--per-image"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["per_image"]) == {"chelsea", "clock"}
    for method in ("bicubic", "srresnet", "shift_and_add", "burst"):
        each = [report["per_image"][name][method]["psnr_y"] for name in ("chelsea", "clock")]
        assert report[method]["psnr_y"] == pytest.approx(sum(each) / 2, abs=1e-3)  # the mean is of these
    assert report["per_image"]["chelsea"]["bicubic"] != report["per_image"]["clock"]["bicubic"]
    assert cli.main([*arguments, "--per-image"]) == 0
    table = capsys.readouterr().out
    assert "per image" in table and "chelsea" in table and "clock" in table


def test_train_burst_on_a_folder_of_photographs(image_folder, tmp_path):
    out = tmp_path / "folder.pt"
    code = cli.main(["train", "burst", "--images", str(image_folder), "--steps", "2", "--batch-size", "2",
                     "--patch-size", "32", "--frames", "2", "--features", "8", "--out", str(out), "--no-progress",
                     "--device", "cpu"])
    assert code == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert f"--images {image_folder}" in card["command"]  # the command on the card reads the same folder
    assert card["data"].startswith(f"the photographs of --images {image_folder}")
    assert card["description"].endswith(f"the photographs of --images {image_folder}.")
    assert "photos train split" not in card["data"]


def test_train_burst_on_an_image_set_by_name_uses_its_installed_files(image_folder, tmp_path, monkeypatch):
    """``--images div2k-train`` reads the set where get_image_set keeps it (no download when the files are there)."""
    installed = tmp_path / "data" / "image_sets" / "div2k-train"
    installed.mkdir(parents=True)
    for path in image_folder.iterdir():
        (installed / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("IMGSYNTH_DATA", str(tmp_path / "data"))
    out = tmp_path / "div2k.pt"
    with pytest.warns(UserWarning, match="should have 800 images"):
        code = cli.main(["train", "burst", "--images", "div2k-train", "--steps", "1", "--batch-size", "1",
                         "--patch-size", "32", "--frames", "2", "--features", "8", "--out", str(out),
                         "--no-progress", "--device", "cpu"])
    assert code == 0
    assert "--images div2k-train" in json.loads(out.with_suffix(".json").read_text())["command"]


@pytest.mark.parametrize("held_out", ["outside", "photos-test", "Photos-All"])
def test_train_burst_refuses_the_photographs_it_is_evaluated_on(held_out, tmp_path, capsys):
    out = tmp_path / "cheat.pt"
    code = cli.main(["train", "burst", "--images", held_out, "--steps", "1", "--out", str(out), "--no-progress"])
    assert code == 2
    error = capsys.readouterr().err
    assert "--images" in error and "evaluated on" in error
    assert not out.exists()
