"""``imgsynth-edu upscale`` / ``evaluate-sr`` / ``train srresnet`` on small generated files."""

from __future__ import annotations

import json

import numpy as np
import png
import pytest
import torch
from PIL import Image

from imgsynth_edu import pretrained
from imgsynth_edu.cli import main
from imgsynth_edu.data import bicubic_upscale
from imgsynth_edu.data.image_io import read_image


def _smooth(height, width, channels, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    planes = [0.5 + 0.4 * np.sin(x / (3 + c) + rng.uniform(0, 6)) * np.cos(y / (4 + c)) for c in range(channels)]
    return np.stack(planes, axis=-1)  # H×W×C in [0.1, 0.9]


def _upscale(tiny_model, src, dst, *extra):
    return main(["upscale", str(src), str(dst), "--scale", "2", "--checkpoint", str(tiny_model), "--device", "cpu", *extra])


def test_upscale_rgb_png(tiny_model, tmp_path, capsys):
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray((_smooth(12, 16, 3) * 255).round().astype(np.uint8)).save(src)
    assert _upscale(tiny_model, src, dst, "--tile", "5") == 0
    out = Image.open(dst)
    assert out.mode == "RGB" and out.size == (32, 24)
    assert "8-bit" in capsys.readouterr().err


def test_upscale_greyscale_stays_greyscale(tiny_model, tmp_path):
    src, dst = tmp_path / "grey.png", tmp_path / "grey_x2.png"
    Image.fromarray((_smooth(10, 14, 1)[:, :, 0] * 255).round().astype(np.uint8)).save(src)
    assert _upscale(tiny_model, src, dst) == 0
    out = Image.open(dst)
    assert out.mode == "L" and out.size == (28, 20)


def test_upscale_rgba_keeps_a_bicubic_alpha(tiny_model, tmp_path, capsys):
    src, dst = tmp_path / "rgba.png", tmp_path / "rgba_x2.png"
    rgba = _smooth(10, 12, 4, seed=3)
    Image.fromarray((rgba * 255).round().astype(np.uint8)).save(src)
    assert _upscale(tiny_model, src, dst) == 0
    out = read_image(dst)
    assert out.alpha is not None and out.pixels.shape == (1, 3, 20, 24)
    expected_alpha = bicubic_upscale(read_image(src).alpha, 2)
    assert (out.alpha - expected_alpha).abs().max() <= 0.5 / 255 + 1e-6
    assert "alpha" in capsys.readouterr().err


def test_upscale_jpeg_output_drops_alpha_with_a_note(tiny_model, tmp_path, capsys):
    src, dst = tmp_path / "rgba.png", tmp_path / "out.jpg"
    Image.fromarray((_smooth(10, 12, 4) * 255).round().astype(np.uint8)).save(src)
    assert _upscale(tiny_model, src, dst) == 0
    assert Image.open(dst).mode == "RGB"
    assert "alpha dropped" in capsys.readouterr().err


@pytest.mark.parametrize("planes", [1, 3])
def test_upscale_16_bit_png_keeps_16_bits(tiny_model, tmp_path, planes):
    src, dst = tmp_path / "deep.png", tmp_path / "deep_x2.png"
    values = (_smooth(9, 11, planes) * 65535).round().astype(np.uint16)
    with open(src, "wb") as handle:
        png.Writer(11, 9, greyscale=planes == 1, bitdepth=16).write(handle, values.reshape(9, -1).tolist())
    loaded = read_image(src)
    assert loaded.bit_depth == 16
    assert torch.equal((loaded.pixels[0].permute(1, 2, 0) * 65535).round().to(torch.int64),
                       torch.from_numpy(values.astype(np.int64)))  # read at full precision
    assert _upscale(tiny_model, src, dst) == 0
    width, height, rows, info = png.Reader(filename=str(dst)).asDirect()
    array = np.vstack([np.asarray(r) for r in rows])
    assert info["bitdepth"] == 16 and (width, height) == (22, 18) and info["planes"] == planes
    assert np.any(array % 257 != 0)  # not 8-bit values stretched to 16 bits


def test_upscale_refuses_non_images_and_unreadable_files(tiny_model, tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    assert _upscale(tiny_model, text, tmp_path / "a.png") == 2
    assert "not an image" in capsys.readouterr().err
    good = tmp_path / "good.png"
    Image.fromarray((_smooth(16, 16, 3) * 255).astype(np.uint8)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:60])
    assert _upscale(tiny_model, truncated, tmp_path / "b.png") == 2
    assert "truncated.png" in capsys.readouterr().err
    assert _upscale(tiny_model, tmp_path / "missing.png", tmp_path / "c.png") == 2
    assert "does not exist" in capsys.readouterr().err
    assert _upscale(tiny_model, good, tmp_path / "d.xyz") == 2
    assert "must end in" in capsys.readouterr().err
    assert not any((tmp_path / name).exists() for name in ("a.png", "b.png", "c.png", "d.xyz"))


def test_upscale_never_leaves_a_half_written_file(tiny_model, tmp_path, monkeypatch):
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray((_smooth(8, 8, 3) * 255).astype(np.uint8)).save(src)
    dst.write_bytes(b"previous result")

    def write_a_strip_then_fail(self, handle, rows):
        handle.write(b"\x89PNG half")
        next(iter(rows))  # the first strip is restored and streamed out ...
        raise KeyboardInterrupt  # ... then the user presses Ctrl-C mid-write

    monkeypatch.setattr(png.Writer, "write", write_a_strip_then_fail)
    assert _upscale(tiny_model, src, dst, "--overwrite", "--tile", "4") == 130  # Ctrl-C: a message, no traceback
    assert dst.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "out.png", "tiny.json", "tiny.pt"]


def test_a_checkpoint_needs_its_card(tiny_model, tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray((_smooth(8, 8, 3) * 255).astype(np.uint8)).save(src)
    tiny_model.with_suffix(".json").unlink()
    assert _upscale(tiny_model, src, tmp_path / "o.png") == 2
    assert "has no card tiny.json beside it" in capsys.readouterr().err


def test_upscale_checks_the_scale_against_the_model(tiny_model, tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray((_smooth(8, 8, 3) * 255).astype(np.uint8)).save(src)
    code = main(["upscale", str(src), str(tmp_path / "o.png"), "--scale", "4", "--checkpoint", str(tiny_model)])
    assert code == 2 and "×2" in capsys.readouterr().err


def test_evaluate_sr_json_is_one_object(tiny_model, tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    for index, channels in enumerate((3, 1)):
        array = (_smooth(34, 40, channels, seed=index) * 255).round().astype(np.uint8)
        Image.fromarray(array[:, :, 0] if channels == 1 else array).save(folder / f"img{index}.png")
    (folder / "readme.txt").write_text("ignored")
    code = main(["evaluate-sr", "--images", str(folder), "--scale", "2", "--checkpoint", str(tiny_model), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)  # exactly one JSON document on stdout
    assert result["scale"] == 2
    assert [row["name"] for row in result["images"]] == ["img0", "img1"]
    for method in ("bicubic", "model"):
        assert set(result[method]) == {"psnr_y", "ssim_y", "psnr_rgb"}
        assert 20 < result[method]["psnr_y"] < 80 and 0 < result[method]["ssim_y"] <= 1
    # this model *is* bicubic (zero tail + bicubic skip): the protocol must score it identically
    assert result["model"]["psnr_y"] == pytest.approx(result["bicubic"]["psnr_y"], abs=1e-4)
    code = main(["evaluate-sr", "--images", str(folder), "--scale", "2", "--checkpoint", str(tiny_model)])
    text = capsys.readouterr().out
    assert code == 0 and "img1" in text and "mean" in text and "border of 2 px" in text


def test_evaluate_sr_refuses_an_empty_folder(tiny_model, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["evaluate-sr", "--images", str(tmp_path / "empty"), "--scale", "2", "--checkpoint", str(tiny_model)])
    assert code == 2 and "no image files" in capsys.readouterr().err


def test_train_srresnet_writes_a_loadable_model_and_card_and_resumes(tmp_path, capsys):
    out = tmp_path / "m.pt"
    args = ["train", "srresnet", "--out", str(out), "--steps", "2", "--blocks", "1", "--channels", "4",
            "--patch-size", "32", "--batch-size", "2", "--checkpoint-every", "1", "--no-eval", "--quiet",
            "--device", "cpu"]
    assert main(args) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["steps"] == 2 and card["architecture"] == "imgsynth_edu.models.srresnet.SRResNet"
    assert card["command"].startswith("imgsynth-edu train srresnet --out") and "--steps 2" in card["command"]
    assert "astronaut" in card["data"] and "chelsea" not in card["data"]  # the train split only
    model = pretrained.load_file(out)
    assert model(torch.rand(1, 3, 8, 8)).shape == (1, 3, 32, 32)
    args[args.index("--steps") + 1] = "3"
    assert main([*args, "--resume"]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["steps"] == 3


def test_train_srgan_is_reproducible_from_its_seed_and_records_its_recipe(tiny_model, tmp_path):
    """--seed fixes everything, the discriminator's initial weights included: two runs give the same generator."""
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.pt"
        args = ["train", "srgan", "--init-checkpoint", str(tiny_model), "--scale", "2", "--out", str(out),
                "--steps", "2", "--patch-size", "32", "--batch-size", "2", "--d-channels", "4", "--content", "l1",
                "--adversarial-weight", "0.01", "--average-decay", "0.5", "--no-eval", "--quiet", "--device", "cpu",
                "--seed", "3"]
        assert main(args) == 0
        outputs.append(out)
    card = json.loads(outputs[0].with_suffix(".json").read_text())
    assert card["initialised_from"] == "tiny" and card["architecture"].endswith("SRResNet")
    assert card["training"]["d_channels"] == 4 and card["training"]["content"] == "l1"
    assert card["training"]["adversarial_weight"] == 0.01 and card["training"]["seed"] == 3
    assert card["training"]["average_decay"] == 0.5 and "moving average" in card["description"]
    assert "--average-decay 0.5" in card["command"] and "--seed 3" in card["command"]
    first, second = (pretrained.load_file(path).state_dict() for path in outputs)
    initial = pretrained.load_file(tiny_model).state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)
    assert any(not torch.equal(first[key], initial[key]) for key in first)  # it did train
