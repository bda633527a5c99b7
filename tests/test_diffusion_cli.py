"""`imgsynth-edu train ddpm`, `evaluate-ddpm`, `sample` of a diffusion model, and tools/train_ddpm.py: files, card, errors."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from imgsynth_edu import pretrained
from imgsynth_edu.cli import main
from imgsynth_edu.models.diffusion import GaussianDiffusion
from imgsynth_edu.training import diffusion as recipe


@pytest.fixture
def tiny_recipe(monkeypatch):
    """ddpm-mnist's recipe shrunk to seconds: a small U-Net, T = 20, 2 sampling steps."""
    monkeypatch.setitem(recipe.DDPM_MNIST_ARGUMENTS, "base_channels", 8)
    monkeypatch.setitem(recipe.DDPM_MNIST_ARGUMENTS, "channel_mults", [1, 2])
    monkeypatch.setitem(recipe.DDPM_MNIST_ARGUMENTS, "timesteps", 20)
    monkeypatch.setitem(recipe.DDPM_MNIST_ARGUMENTS, "sample_steps", 2)


@pytest.mark.filterwarnings("ignore:fake_features has 20 samples")  # FID of 20 samples: plumbing only
@pytest.mark.filterwarnings("ignore:.*singular")
def test_train_ddpm_writes_weights_and_a_card_then_evaluate_ddpm_rescores_it(tmp_path, capsys, tiny_recipe):
    out = tmp_path / "tiny-ddpm.pt"
    assert main(["train", "ddpm", "--steps", "2", "--device", "cpu", "--threads", "1", "--n-eval", "20",
                 "--bits-timesteps", "1", "--no-progress", "--out", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["architecture"] == "imgsynth_edu.models.diffusion.ImageDiffusion" and card["steps"] == 2
    assert card["command"] == (f"imgsynth-edu train ddpm --steps 2 --seed 0 --device cpu --threads 1 --n-eval 20 "
                               f"--bits-timesteps 1 --out {out}")
    assert card["hardware"].startswith("CPU") and card["deterministic"] is True
    model = pretrained.load_file(out)  # the weights fit the card's architecture
    assert model.sample(2, labels=[3, 4], generator=torch.Generator().manual_seed(0)).shape == (2, 1, 28, 28)
    scores = card["scores"]
    for part in ("unconditional", "guided"):
        assert {"fid", "kid", "precision", "recall", "digit_shares"} <= set(scores[part])
        assert scores[part]["n_samples"] == 20
    assert 0 <= scores["conditional"]["conditional_accuracy"] <= 1 and scores["conditional"]["n_per_class"] == 2
    assert scores["bits_per_dim"]["mean"] > 0 and "unbiased estimate" in scores["bits_per_dim"]["terms"]
    assert scores["samples_per_second"]["unconditional"] > 0
    assert scores["samples_per_second"]["hardware"].startswith("CPU")
    capsys.readouterr()
    # re-scoring replaces the scores, keeps the training run's bits/dim and its scores beside
    assert main(["evaluate-ddpm", "--checkpoint", str(out), "--n", "20", "--speed-samples", "4", "--write-card"]) == 0
    rescored = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert rescored["scores_training_device"] == scores
    assert rescored["scores_command"] == f"imgsynth-edu evaluate-ddpm --checkpoint {out} --n 20 --seed 0 --write-card"
    assert rescored["scores"]["bits_per_dim"] == scores["bits_per_dim"]
    assert rescored["scores"]["unconditional"]["n_samples"] == 20
    assert rescored["command"] == card["command"]  # the command that made the weights stays on the card
    printed = capsys.readouterr().out
    assert json.loads(printed[: printed.rindex("}") + 1])["conditional"]["n_per_class"] == 2


def test_sample_takes_the_diffusion_options_and_rejects_them_for_a_gan(tmp_path, capsys, tiny_recipe, monkeypatch):
    out = tmp_path / "tiny-ddpm.pt"
    assert main(["train", "ddpm", "--steps", "1", "--device", "cpu", "--no-eval", "--no-progress",
                 "--out", str(out)]) == 0
    calls = []
    original = GaussianDiffusion.sample

    def recording_sample(self, n, labels=None, generator=None, **options):
        calls.append((labels, options))
        return original(self, n, labels, generator, **options)

    monkeypatch.setattr(GaussianDiffusion, "sample", recording_sample)
    grids = {}
    for name, options in {"plain": [], "guided": ["--guidance-scale", "3"], "ddpm": ["--sampler", "ddpm"],
                          "steps": ["--steps", "5", "--eta", "0"]}.items():
        grids[name] = tmp_path / f"{name}.png"
        assert main(["sample", "--checkpoint", str(out), "--n", "10", "--each-class", *options,
                     "--out", str(grids[name])]) == 0
    pixels = {name: np.asarray(Image.open(path)) for name, path in grids.items()}
    assert pixels["plain"].shape[:2] == (3 * 30 + 2, 4 * 30 + 2)  # 10 tiles: 4 per row, 3 rows
    assert [options for _, options in calls] == [{}, {"guidance_scale": 3.0}, {"sampler": "ddpm"},
                                                 {"steps": 5, "eta": 0.0}]  # each option reaches the sampler
    assert all(torch.equal(labels, torch.arange(10) % 10) for labels, _ in calls)
    for name in ("ddpm", "steps"):  # another sampler, other steps: another picture
        assert not np.array_equal(pixels[name], pixels["plain"]), name
    capsys.readouterr()
    assert main(["sample", "--pretrained", "dcgan-mnist", "--guidance-scale", "2", "--out", str(tmp_path / "g.png")]) == 2
    assert "--guidance-scale only apply to a diffusion model" in capsys.readouterr().err
    assert main(["sample", "--pretrained", "dcgan-mnist", "--label", "3", "--out", str(tmp_path / "g.png")]) == 2
    assert "class-conditional" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(out), "--label", "10", "--out", str(tmp_path / "g.png")]) == 2
    assert "--label must be a class in [0, 10)" in capsys.readouterr().err


def test_sample_label_draws_the_asked_class_from_cgan_mnist(tmp_path):
    """--label reaches a class-conditional model: the bundled classifier reads the asked digit."""
    grid = tmp_path / "sevens.png"
    assert main(["sample", "--pretrained", "cgan-mnist", "--n", "9", "--label", "7", "--out", str(grid)]) == 0
    with Image.open(grid) as picture:
        tiles = np.asarray(picture.convert("L"), dtype=np.float32) / 255
    images = torch.stack([torch.from_numpy(tiles[2 + 30 * r: 30 + 30 * r, 2 + 30 * c: 30 + 30 * c].copy())
                          for r in range(3) for c in range(3)])[:, None]  # (9, 1, 28, 28)
    predictions = pretrained.load("digit-classifier").predict(images)
    assert (predictions == 7).float().mean() >= 0.75, predictions


def test_evaluate_ddpm_rejects_a_gan(capsys):
    assert main(["evaluate-ddpm", "--pretrained", "dcgan-mnist", "--n", "10"]) == 2
    assert "not a class-conditional diffusion model" in capsys.readouterr().err


def test_train_ddpm_tool_runs_the_cli_with_its_arguments(tmp_path, tiny_recipe):
    """``tools/train_ddpm.py`` (the command ddpm-mnist was trained with) is a thin layer over the CLI."""
    spec = importlib.util.spec_from_file_location("_train_ddpm_tool", Path(__file__).parents[1] / "tools" / "train_ddpm.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    argv = ["--steps", "2", "--device", "cpu", "--out", str(tmp_path), "--batch-size", "8", "--lr", "0.001", "--no-eval"]
    assert tool.cli_arguments(argv) == ["train", "ddpm", "--steps", "2", "--seed", "0",
                                        "--out", str(tmp_path / "ddpm-mnist.pt"), "--device", "cpu",
                                        "--batch-size", "8", "--lr", "0.001", "--no-eval"]
    assert tool.main(argv) == 0
    card = json.loads((tmp_path / "ddpm-mnist.json").read_text(encoding="utf-8"))
    assert card["steps"] == 2 and card["training"]["batch_size"] == 8 and card["training"]["lr"] == 0.001
    assert card["scores"] == {}
    assert tool.cli_arguments(["--rescore", "w.pt", "--device", "cpu"]) == [
        "evaluate-ddpm", "--checkpoint", "w.pt", "--seed", "0", "--write-card", "--device", "cpu"]
    with pytest.raises(SystemExit):  # neither a training run (--steps, --out) nor --rescore
        tool.cli_arguments(["--device", "cpu"])
