"""The registry of bundled checkpoints, on a temporary WEIGHTS_DIR with a tiny model of our own."""

from __future__ import annotations

import json
import sys
import types

import pytest
import torch

from imgsynth_edu import pretrained
from imgsynth_edu.utils import save_state_dict

TINY = "imgsynth_edu.models._registry_test_tiny"


class TinyNet(torch.nn.Module):
    def __init__(self, width: int = 4):
        super().__init__()
        self.layer = torch.nn.Linear(2, width)


def not_a_model(**kwargs):  # a callable inside a "models" module that is not a model class
    return torch.nn.Linear(1, 1)


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    """An empty WEIGHTS_DIR, and a fake module ``imgsynth_edu.models._registry_test_tiny``."""
    module = types.ModuleType(TINY)
    module.TinyNet, module.not_a_model = TinyNet, not_a_model
    monkeypatch.setitem(sys.modules, TINY, module)
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", tmp_path)
    return tmp_path


def _bundle(folder, name, architecture, arguments, state):
    save_state_dict(state, folder / f"{name}.pt")
    card = {"name": name, "description": "test", "architecture": architecture, "arguments": arguments,
            "sha256": pretrained.weights_sha256(folder / f"{name}.pt")}  # every bundled card records it
    (folder / f"{name}.json").write_text(json.dumps(card))


def test_load_builds_the_card_architecture_with_its_weights(weights_dir):
    trained = TinyNet(width=3)
    _bundle(weights_dir, "tiny", f"{TINY}.TinyNet", {"width": 3}, trained.state_dict())
    (weights_dir / "card-only.json").write_text("{}")  # no .pt: not listed
    assert pretrained.available() == ["tiny"]
    model = pretrained.load("tiny")
    assert isinstance(model, TinyNet) and not model.training
    assert torch.equal(model.layer.weight, trained.layer.weight)
    assert pretrained.card("tiny")["arguments"] == {"width": 3}


def test_unknown_name_lists_what_is_available(weights_dir):
    _bundle(weights_dir, "tiny", f"{TINY}.TinyNet", {}, TinyNet().state_dict())
    with pytest.raises(ValueError, match=r"^name='dcgan-cifar' is not a bundled checkpoint; available: \['tiny'\]"):
        pretrained.load("dcgan-cifar")
    with pytest.raises(TypeError, match="^name must be a str"):
        pretrained.card(3)


@pytest.mark.parametrize(
    "architecture",
    ["torch.nn.Linear", "os.system", "imgsynth_edu.modelsX.gan.DCGAN", f"{TINY}.not_a_model", f"{TINY}.Missing",
     "imgsynth_edu.models.no_such_module.Net"],
)
def test_cards_outside_the_model_classes_are_refused(weights_dir, architecture):
    _bundle(weights_dir, "rogue", architecture, {}, TinyNet().state_dict())
    with pytest.raises(ValueError, match="architecture"):
        pretrained.load("rogue")


def test_weights_of_another_shape_are_refused(weights_dir):
    _bundle(weights_dir, "mismatch", f"{TINY}.TinyNet", {"width": 5}, TinyNet(width=3).state_dict())
    path = str(weights_dir / "mismatch.pt")
    with pytest.raises(ValueError, match=f"^model file '{path}' does not match the architecture of its card"):
        pretrained.load("mismatch")


def test_load_file_loads_any_model_file_by_its_card(weights_dir, tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    trained = TinyNet(width=2)
    _bundle(folder, "mine", f"{TINY}.TinyNet", {"width": 2}, trained.state_dict())
    model = pretrained.load_file(folder / "mine.pt")
    assert isinstance(model, TinyNet) and not model.training
    assert torch.equal(model.layer.weight, trained.layer.weight)
    assert pretrained.read_card(folder / "mine.pt")["arguments"] == {"width": 2}


def test_load_file_names_the_file_in_every_error(weights_dir, tmp_path):
    path = tmp_path / "net.pt"
    with pytest.raises(FileNotFoundError, match=f"model file '{path}' does not exist"):
        pretrained.load_file(path)
    save_state_dict(TinyNet().state_dict(), path)
    with pytest.raises(FileNotFoundError, match=f"model file '{path}' has no card net.json beside it"):
        pretrained.load_file(path)  # never guessed
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(ValueError, match=f"the card net.json of model file '{path}' is not valid JSON"):
        pretrained.load_file(path)
    path.with_suffix(".json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="must hold a JSON object, got list"):
        pretrained.load_file(path)
    path.with_suffix(".json").write_text(json.dumps({"architecture": "torch.nn.Linear", "arguments": {}}))
    with pytest.raises(ValueError, match=f"model file '{path}': its card does not describe a model"):
        pretrained.load_file(path)
    path.with_suffix(".json").write_text(json.dumps({"architecture": f"{TINY}.TinyNet", "arguments": {"depth": 3}}))
    with pytest.raises(ValueError, match=f"model file '{path}': its card .*unexpected keyword argument 'depth'"):
        pretrained.load_file(path)
    path.write_bytes(b"truncated")
    path.with_suffix(".json").write_text(json.dumps({"architecture": f"{TINY}.TinyNet", "arguments": {}}))
    with pytest.raises(ValueError, match=f"checkpoint '{path}' could not be read"):
        pretrained.load_file(path)


#: Tools that trained a bundled model before its recipe became a command; each now runs the command.
TOOL_COMMANDS = ("python tools/train_ddpm.py ",)
CARD_FIELDS = {"name", "description", "architecture", "arguments", "data", "command", "wall_time_s", "hardware", "scores"}


@pytest.mark.parametrize("name", pretrained.available())
def test_every_bundled_checkpoint_has_a_complete_card_and_loads(name):
    card = pretrained.card(name)
    assert CARD_FIELDS <= set(card), f"card {name}.json lacks {sorted(CARD_FIELDS - set(card))}"
    assert card["name"] == name
    if isinstance(card["command"], str) and card["command"].startswith(TOOL_COMMANDS):
        # trained by a tool that now runs `imgsynth-edu train ...` (tests/test_diffusion_cli.py checks it);
        # the card says which commit and what the equivalent command is
        assert "command_note" in card and "imgsynth-edu train" in card["command_note"]
    else:
        assert card["command"].startswith("imgsynth-edu train ") if isinstance(card["command"], str) else \
            card["command"][:2] == ["imgsynth-edu", "train"]
    assert (pretrained.WEIGHTS_DIR / f"{name}.pt").stat().st_size < 5 * 2**20  # keep each under ~5 MB
    model = pretrained.load(name)
    assert isinstance(model, torch.nn.Module) and not model.training


#: The checkpoints the README's table lists and the lessons load: each must be bundled.
LISTED = {"digit-classifier", "dcgan-mnist", "cgan-mnist", "inpaint-digits", "srresnet-x4", "srgan-x4", "burst-x4"}


def test_every_checkpoint_the_readme_lists_is_bundled():
    readme = (pretrained.WEIGHTS_DIR.parents[2] / "README.md").read_text(encoding="utf-8")
    assert LISTED <= set(pretrained.available()), sorted(LISTED - set(pretrained.available()))
    for name in LISTED:
        assert f"| `{name}` |" in readme, f"{name} is missing from the README's table of bundled models"
