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
    generator = pretrained.build(card)
    generator.load_weights(str(out))  # the weights fit the card's architecture
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


@pytest.mark.skipif("dcgan-mnist" not in pretrained.available(), reason="dcgan-mnist not bundled")
def test_sample_pretrained(tmp_path):
    grid = tmp_path / "grid.png"
    assert main(["sample", "--pretrained", "dcgan-mnist", "--n", "64", "--out", str(grid)]) == 0
    with Image.open(grid) as picture:
        assert picture.size == (8 * 30 + 2, 8 * 30 + 2)
        assert len(np.unique(np.asarray(picture))) > 10  # an actual picture, not a flat image


def test_bad_arguments(tmp_path, capsys):
    assert main(["sample", "--pretrained", "no-such-model", "--out", str(tmp_path / "g.png")]) == 1
    assert "no-such-model" in capsys.readouterr().err
    assert main(["sample", "--pretrained", "digit-classifier", "--n", "0", "--out", str(tmp_path / "g.png")]) == 1
    assert "--n" in capsys.readouterr().err
    assert main(["train", "dcgan", "--steps", "1", "--out", str(tmp_path / "x.bin")]) == 1
    assert "--out" in capsys.readouterr().err


def test_train_toy(tmp_path, capsys):
    out = tmp_path / "toy.pt"
    assert main(["train", "toy-gan", "--steps", "5", "--out", str(out)]) == 0
    assert "modes covered" in capsys.readouterr().out
    state = torch.load(out, weights_only=True)
    assert any(key.startswith("net.") for key in state)
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["command"].startswith("imgsynth-edu train toy-gan --toy ring --steps 5")
    assert [record["step"] for record in card["history"]] == [5]
