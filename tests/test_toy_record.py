"""The recorded toy GAN run (lesson 01's 25-Gaussians grid): the command, in reduced form, and its card."""

from __future__ import annotations

import json

import pytest
import torch

from imgsynth_edu import pretrained
from imgsynth_edu.cli import main
from imgsynth_edu.data.toy2d import grid_of_gaussians
from imgsynth_edu.models.gan import MLPGenerator
from imgsynth_edu.training.toy import (
    record_toy_run,
    score_toy_generator,
    toy_distribution,
)


def test_record_toy_run_scores_the_ema_generator_at_every_record():
    record = record_toy_run("ring", steps=120, record_every=50, hidden=16)
    assert [h["step"] for h in record["history"]] == [50, 100, 120]  # the last record is the final step
    assert all(h["n_modes"] == 8 and 0.0 <= h["high_quality"] <= 1.0 for h in record["history"])
    last = score_toy_generator(record["generator"], toy_distribution("ring"))
    assert record["history"][-1]["modes_covered"] == last["modes_covered"]
    assert record["history"][-1]["high_quality"] == pytest.approx(last["high_quality"], abs=1e-4)


def test_the_command_writes_a_checkpoint_that_the_registry_can_rebuild(tmp_path, capsys):
    out = tmp_path / "toy-grid-test.pt"
    assert main(["train", "toy-gan", "--toy", "grid", "--steps", "60", "--record-every", "30", "--hidden", "16",
                 "--out", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["command"].startswith("imgsynth-edu train toy-gan --toy grid --steps 60 --record-every 30 --hidden 16")
    assert [h["step"] for h in card["history"]] == [30, 60]
    generator = pretrained.load_file(out)
    scores = score_toy_generator(generator, grid_of_gaussians())
    assert scores["modes_covered"] == card["scores"]["modes_covered"]
    assert scores["high_quality"] == pytest.approx(card["scores"]["high_quality"], abs=1e-4)
    assert "modes covered" in capsys.readouterr().out


def test_record_toy_run_bad_input(capsys):
    with pytest.raises(ValueError, match="toy"):
        record_toy_run("hexagon", steps=10)
    with pytest.raises(ValueError, match="record_every"):
        record_toy_run("ring", steps=10, record_every=0)
    assert main(["train", "toy-gan", "--steps", "2", "--record-every", "1", "--hidden", "4", "--out", "toy.json"]) == 2
    assert "--out must end in .pt" in capsys.readouterr().err


def test_bundled_grid_generator_is_an_mlp_of_its_card():
    generator = pretrained.load("toy-grid-gan")
    assert isinstance(generator, MLPGenerator)
    with torch.no_grad():
        assert generator.sample(5, generator=torch.Generator().manual_seed(0)).shape == (5, 2)
