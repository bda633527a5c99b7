"""Model files are checked against the SHA-256 their card records."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from imgsynth_edu import pretrained
from imgsynth_edu.cli import cards
from imgsynth_edu.models.srresnet import SRResNet

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", pretrained.available())
def test_every_bundled_card_records_the_sha256_of_its_file(name):
    path = pretrained.WEIGHTS_DIR / f"{name}.pt"
    assert pretrained.card(name).get("sha256") == hashlib.sha256(path.read_bytes()).hexdigest(), (
        f"{name}.json: run `python tools/hash_cards.py` after replacing {name}.pt")


@pytest.fixture
def bundled_copy(tmp_path):
    """A copy of a bundled model file and its card, to damage."""
    for suffix in (".pt", ".json"):
        shutil.copy(pretrained.WEIGHTS_DIR / f"srresnet-x4{suffix}", tmp_path / f"copy{suffix}")
    return tmp_path / "copy.pt"


def test_an_intact_copy_loads(bundled_copy):
    assert isinstance(pretrained.load_file(bundled_copy), SRResNet)


def test_a_flipped_bit_is_refused_naming_the_file(bundled_copy):
    data = bytearray(bundled_copy.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight: torch.load alone would not notice
    bundled_copy.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"copy\.pt' is not the file its card describes: its SHA-256"):
        pretrained.load_file(bundled_copy)


def test_a_truncated_copy_is_refused(bundled_copy):
    bundled_copy.write_bytes(bundled_copy.read_bytes()[:1000])
    with pytest.raises(ValueError, match="not the file its card describes"):
        pretrained.load_file(bundled_copy)


def test_a_malformed_hash_is_refused_and_a_bundled_card_must_have_one(bundled_copy):
    card_path = bundled_copy.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "sha256": "abc"}))
    with pytest.raises(ValueError, match="malformed sha256"):
        pretrained.load_file(bundled_copy)
    del card["sha256"]
    card_path.write_text(json.dumps(card))
    assert isinstance(pretrained.load_file(bundled_copy), SRResNet)  # an old card without a hash still loads
    with pytest.raises(ValueError, match="records no sha256"):
        pretrained.load_file(bundled_copy, require_sha256=True)  # as every bundled model is loaded


def test_train_commands_record_the_hash_of_what_they_wrote(tmp_path):
    out = tmp_path / "m.pt"
    model = SRResNet(scale=2, num_blocks=1, channels=4)
    card_path = cards.save_model_and_card(model, out, {"name": "m", "architecture": "imgsynth_edu.models.srresnet.SRResNet",
                                                       "arguments": {"scale": 2, "num_blocks": 1, "channels": 4}})
    assert json.loads(card_path.read_text())["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    loaded = pretrained.load_file(out)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))


def test_the_hash_tool_records_and_checks(bundled_copy):
    card_path = bundled_copy.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({key: value for key, value in card.items() if key != "sha256"}))
    tool = [sys.executable, str(REPO / "tools" / "hash_cards.py")]
    env = {"PYTHONPATH": str(REPO), "PATH": ""}
    assert subprocess.run([*tool, "--check", str(bundled_copy)], env=env, capture_output=True).returncode == 1
    assert subprocess.run([*tool, str(bundled_copy)], env=env, capture_output=True).returncode == 0
    assert json.loads(card_path.read_text())["sha256"] == card["sha256"]
    assert subprocess.run([*tool, "--check", str(bundled_copy)], env=env, capture_output=True).returncode == 0


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_crafted_model_file_runs_no_code_and_the_error_names_it(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "gift.pt"
    torch.save({"weight": _Payload(marker)}, path)
    path.with_suffix(".json").write_text(json.dumps({"architecture": "imgsynth_edu.models.srresnet.SRResNet",
                                                     "arguments": {"scale": 2, "num_blocks": 1, "channels": 4}}))
    with pytest.raises(ValueError, match=r"gift\.pt' could not be read as a torch state dict"):
        pretrained.load_file(path)
    assert not marker.exists()
