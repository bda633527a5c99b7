"""The bundled ``srresnet-x4``: its card, and that it beats bicubic on held-out pixels."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu import pretrained
from imgsynth_edu.data import load_photo, photo_set
from imgsynth_edu.evaluation import evaluate_sr


def test_card_is_complete_and_honest():
    card = pretrained.card("srresnet-x4")
    for key in ("name", "description", "architecture", "arguments", "data", "command", "steps",
                "wall_time_s", "hardware", "scores"):
        assert key in card, key
    assert card["architecture"] == "imgsynth_edu.models.srresnet.SRResNet"
    assert card["command"].startswith("imgsynth-edu train srresnet ")
    assert f"--steps {card['steps']}" in card["command"]
    held_out = card["scores"]["held_out_photos"]
    assert held_out["images"] == ["chelsea", "motorcycle", "hubble", "gravel", "clock"]
    for name in held_out["images"]:
        assert name not in card["data"]  # trained on the train split only
    gain = held_out["model"]["psnr_y"] - held_out["bicubic"]["psnr_y"]
    assert gain == pytest.approx(held_out["gain_psnr_y_db"], abs=1e-6)


def test_bundled_model_is_small_and_beats_bicubic_on_a_held_out_crop():
    model = pretrained.load("srresnet-x4")
    assert pretrained.card("srresnet-x4")["arguments"]["scale"] == 4
    assert sum(p.numel() for p in model.parameters()) * 4 < 5 * 2**20  # under ~5 MB
    cat = load_photo("chelsea")[:, :160, 100:260]  # 3×160×160 of a photo it never saw
    with torch.no_grad():
        result = evaluate_sr(model, {"chelsea-crop": cat}, 4)
    assert result["model"]["psnr_y"] > result["bicubic"]["psnr_y"]


def test_card_scores_are_what_evaluate_sr_measures_on_the_held_out_photos():
    """The card's headline (Y-PSNR gain over bicubic on the held-out photos) is re-measured, not trusted."""
    card = pretrained.card("srresnet-x4")["scores"]["held_out_photos"]
    with torch.no_grad():
        result = evaluate_sr(pretrained.load("srresnet-x4"), photo_set("test"), 4)
    assert result["model"]["psnr_y"] == pytest.approx(card["model"]["psnr_y"], abs=1e-3)
    assert result["bicubic"]["psnr_y"] == pytest.approx(card["bicubic"]["psnr_y"], abs=1e-3)
    assert result["model"]["psnr_y"] - result["bicubic"]["psnr_y"] >= 1.0  # the acceptance bar
