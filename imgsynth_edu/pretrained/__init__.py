"""Small bundled checkpoints, each with a card that says how it was made.

Every bundled model is two files in ``imgsynth_edu/pretrained/weights/``:

* ``NAME.pt``   - a ``state_dict`` (loaded with ``weights_only=True``);
* ``NAME.json`` - its card: what it is, the architecture and its arguments,
  the data it saw, the exact command that trained it, the wall time, and the
  measured scores.

The card's ``"architecture"`` names a class inside ``imgsynth_edu.models``
(for example ``"imgsynth_edu.models.gan.DCGANGenerator"``) and
``"arguments"`` the keyword arguments that build it, so adding a model needs
no change to this file: train it, write the two files, done.

    >>> from imgsynth_edu import pretrained
    >>> pretrained.available()            # doctest: +SKIP
    ['dcgan-mnist', 'digit-classifier', ...]
    >>> generator = pretrained.load("dcgan-mnist")   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import torch

from ..utils import load_state_dict

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
_ALLOWED_PREFIX = "imgsynth_edu.models."


def available() -> list[str]:
    """Names of the bundled checkpoints (those with both a ``.pt`` and a ``.json``)."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.json") if p.with_suffix(".pt").is_file())


def card(name: str) -> dict:
    """The card (a dict) of bundled checkpoint ``name``."""
    path = _path(name, ".json")
    return json.loads(path.read_text(encoding="utf-8"))


def build(card_dict: dict) -> torch.nn.Module:
    """Build the untrained model that a card describes."""
    qualified = card_dict.get("architecture", "")
    if not qualified.startswith(_ALLOWED_PREFIX):
        raise ValueError(
            f"card architecture must name a class in {_ALLOWED_PREFIX}*, got {qualified!r}"
        )
    module_name, _, class_name = qualified.rpartition(".")
    try:
        model_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"card architecture {qualified!r} does not name an existing class: {error}") from error
    # only a model class: never an arbitrary callable that happens to live in a models module
    if not (isinstance(model_class, type) and issubclass(model_class, torch.nn.Module)):
        raise ValueError(f"card architecture {qualified!r} is not a torch.nn.Module class")
    return model_class(**card_dict.get("arguments", {}))


def load(name: str, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Build bundled model ``name``, load its weights, and return it in ``eval()`` mode."""
    model_card = card(name)
    model = build(model_card)
    state = load_state_dict(_path(name, ".pt"))
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(
            f"bundled checkpoint {name!r} does not match architecture {model_card['architecture']}: {error}"
        ) from error
    return model.to(device).eval()


def _path(name: str, suffix: str) -> Path:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    path = WEIGHTS_DIR / f"{name}{suffix}"
    if not path.is_file():
        raise ValueError(f"name={name!r} is not a bundled checkpoint; available: {available()}")
    return path
