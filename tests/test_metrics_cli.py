"""``imgsynth-edu train classifier``: writes a loadable state dict and a complete card."""

from __future__ import annotations

import json

import pytest
import torch

from imgsynth_edu import pretrained
from imgsynth_edu.cli import classifier as classifier_command
from imgsynth_edu.cli import main
from imgsynth_edu.data.datasets import TensorImageDataset


@pytest.fixture
def tiny_digits(monkeypatch):
    """40 random 'digits' instead of mnist-5k, so the command runs in a second."""
    generator = torch.Generator().manual_seed(0)

    def fake_get_dataset(name, split="train", **kwargs):
        images = torch.rand(40 if split == "train" else 20, 1, 28, 28, generator=generator)
        labels = torch.arange(len(images)) % 10
        return TensorImageDataset(images, labels, tuple(str(d) for d in range(10)))

    monkeypatch.setattr(classifier_command, "get_dataset", fake_get_dataset)


def test_train_classifier_writes_state_dict_and_card(tmp_path, tiny_digits, capsys):
    out = tmp_path / "clf.pt"
    code = main(["train", "classifier", "--epochs", "1", "--batch-size", "16", "--threads", "1",
                 "--device", "cpu", "--out", str(out)])
    assert code == 0
    card = json.loads(out.with_suffix(".json").read_text())
    for key in ("name", "description", "architecture", "arguments", "data", "command", "steps",
                "wall_time_s", "hardware", "scores"):
        assert key in card
    assert card["command"].startswith("imgsynth-edu train classifier --data mnist-5k --epochs 1 --batch-size 16")
    assert card["steps"] == 3  # 40 images in batches of 16
    assert 0.0 <= card["scores"]["test_accuracy"] <= 1.0
    model = pretrained.load_file(out)
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    assert "test accuracy" in capsys.readouterr().out


def test_train_classifier_rejects_a_bad_out_path(tmp_path, capsys):
    assert main(["train", "classifier", "--out", str(tmp_path / "clf.pth")]) == 1
    assert "--out must end in .pt" in capsys.readouterr().err
