"""`imgsynth-edu train dcgan`, `train toy-gan` and `sample`: files, card, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from imgsynth_edu import pretrained
from imgsynth_edu.cli import main


def test_train_dcgan_writes_weights_and_card_then_sample(tmp_path):
    out = tmp_path / "tiny.pt"
    assert main(["train", "dcgan", "--steps", "2", "--batch-size", "8", "--latent-dim", "8", "--width", "4",
                 "--threads", "1", "--device", "cpu", "--out", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["architecture"] == "imgsynth_edu.models.gan.DCGANGenerator"
    assert card["arguments"] == {"latent_dim": 8, "image_size": 28, "channels": 1, "width": 4}
    assert card["steps"] == 2
    assert card["command"].startswith("imgsynth-edu train dcgan --data mnist-5k --steps 2 --batch-size 8")
    generator = pretrained.load_file(out)  # the weights fit the card's architecture
    assert generator.latent_dim == 8
    grid = tmp_path / "grid.png"
    assert main(["sample", "--checkpoint", str(out), "--n", "6", "--out", str(grid)]) == 0
    with Image.open(grid) as picture:
        assert picture.size == (3 * 30 + 2, 2 * 30 + 2)  # 3×2 tiles of 28 px with 2 px padding


def test_train_dcgan_with_spectral_norm_records_it_on_the_card(tmp_path):
    out = tmp_path / "sn.pt"
    assert main(["train", "dcgan", "--steps", "2", "--batch-size", "8", "--latent-dim", "8", "--width", "4",
                 "--spectral-norm", "--threads", "1", "--device", "cpu", "--out", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert "--spectral-norm" in card["command"].split()
    assert "spectrally normalised discriminator" in card["description"]


def test_sample_pretrained(tmp_path):
    grid = tmp_path / "grid.png"
    assert main(["sample", "--pretrained", "dcgan-mnist", "--n", "64", "--out", str(grid)]) == 0
    with Image.open(grid) as picture:
        assert picture.size == (8 * 30 + 2, 8 * 30 + 2)
        assert len(np.unique(np.asarray(picture))) > 10  # an actual picture, not a flat image


def test_bad_arguments(tmp_path, capsys):
    assert main(["sample", "--pretrained", "no-such-model", "--out", str(tmp_path / "g.png")]) == 2
    assert "no-such-model" in capsys.readouterr().err
    assert main(["sample", "--pretrained", "digit-classifier", "--n", "0", "--out", str(tmp_path / "g.png")]) == 2
    assert "--n" in capsys.readouterr().err
    assert main(["train", "dcgan", "--steps", "1", "--out", str(tmp_path / "x.bin")]) == 2
    assert "--out" in capsys.readouterr().err


def test_train_toy(tmp_path, capsys):
    out = tmp_path / "toy.pt"
    assert main(["train", "toy-gan", "--steps", "5", "--out", str(out)]) == 0
    assert "modes covered" in capsys.readouterr().out
    state = torch.load(out, weights_only=True)
    assert any(key.startswith("net.") for key in state)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["command"] == (f"imgsynth-edu train toy-gan --toy ring --steps 5 --record-every 500 --hidden 64 "
                               f"--loss non-saturating --lr 0.001 --seed 0 --out {out}")
    assert [record["step"] for record in card["history"]] == [5]
    assert 0 <= card["scores"]["modes_covered"] <= card["scores"]["n_modes"] == 8
    assert pretrained.load_file(out).sample(3).shape == (3, 2)


def test_evaluate_gan_scores_a_checkpoint_and_writes_its_card(tmp_path, capsys):
    out = tmp_path / "tiny.pt"
    assert main(["train", "dcgan", "--steps", "1", "--batch-size", "8", "--latent-dim", "8", "--width", "4",
                 "--threads", "1", "--device", "cpu", "--out", str(out)]) == 0
    capsys.readouterr()
    with pytest.warns(UserWarning, match="singular"):  # 40 samples for 128 features: FID says it is biased
        assert main(["evaluate-gan", "--checkpoint", str(out), "--n", "40", "--write-card"]) == 0
    printed = capsys.readouterr().out
    scores = json.loads(printed[: printed.rindex("}") + 1])
    assert scores["n_samples"] == 40 and len(scores["digit_shares"]) == 10
    assert sum(scores["digit_shares"]) == pytest.approx(1.0, abs=1e-3)
    assert scores["command"] == f"imgsynth-edu evaluate-gan --checkpoint {out} --n 40 --seed 0 --write-card"
    assert set(scores["reference_real_train_vs_test"]) == {"fid", "kid", "precision", "recall", "min_digit_share"}
    assert json.loads(out.with_suffix(".json").read_text())["scores"] == scores
