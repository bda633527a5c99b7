"""``imgsynth-edu train cgan`` / ``train inpainting``: a checkpoint, a card with its command and scores."""

from __future__ import annotations

import json

from imgsynth_edu import pretrained
from imgsynth_edu.cli import main


def test_train_cgan_writes_weights_and_a_scored_card(tmp_path):
    out = tmp_path / "tiny-cgan.pt"
    code = main(["train", "cgan", "--steps", "2", "--batch-size", "16", "--width", "8", "--latent-dim", "8",
                 "--n-per-class", "5", "--threads", "1", "--device", "cpu", "--out", str(out)])
    assert code == 0 and out.is_file()
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["architecture"] == "imgsynth_edu.models.cgan.ConditionalDCGANGenerator"
    assert "--steps 2" in card["command"] and "--discriminator projection" in card["command"]
    assert 0.0 <= card["scores"]["conditional_accuracy"] <= 1.0
    assert len(card["scores"]["fid_per_class"]) == 10 and len(card["scores"]["per_class_accuracy"]) == 10
    generator = pretrained.load_file(out)  # the weights fit the card's architecture
    assert generator.sample(3, labels=[1, 2, 3]).shape == (3, 1, 28, 28)


def test_train_inpainting_writes_weights_and_margins(tmp_path):
    out = tmp_path / "tiny-inpaint.pt"
    code = main(["train", "inpainting", "--steps", "2", "--batch-size", "8", "--width", "4", "--eval-images", "8",
                 "--threads", "1", "--device", "cpu", "--out", str(out)])
    assert code == 0 and out.is_file()
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["architecture"] == "imgsynth_edu.models.cgan.InpaintingGenerator"
    assert set(card["scores"]) == {"centre", "boxes", "strokes"}
    centre = card["scores"]["centre"]
    assert centre["n_images"] == 8
    assert centre["margin"]["hole_psnr"] == round(centre["model"]["hole_psnr"] - centre["biharmonic"]["hole_psnr"], 4)


def test_bad_out_path_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "cgan", "--steps", "1", "--out", str(tmp_path / "model.bin")]) == 1
    assert "--out must end in .pt" in capsys.readouterr().err
