"""Small bundled checkpoints, each with a card that says how it was made, and the one loader of model files.

Every bundled model is two files in ``imgsynth_edu/pretrained/weights/``:

* ``NAME.pt``   - a ``state_dict`` (loaded with ``weights_only=True``);
* ``NAME.json`` - its card: what it is, the architecture and its arguments,
  the data it saw, the exact command that trained it, the wall time, and the
  measured scores.

The card's ``"architecture"`` names a class inside ``imgsynth_edu.models``
(for example ``"imgsynth_edu.models.gan.DCGANGenerator"``) and
``"arguments"`` the keyword arguments that build it, so adding a model needs
no change to this file: train it, write the two files, done.

Every model file, bundled or written by ``imgsynth-edu train``, is loaded by
one function, :func:`load_file` (``load(name)`` is ``load_file`` of the bundled
file): card required, architecture from the card, weights with ``weights_only=True``.

    >>> from imgsynth_edu import pretrained
    >>> pretrained.available()            # doctest: +SKIP
    ['dcgan-mnist', 'digit-classifier', ...]
    >>> generator = pretrained.load("dcgan-mnist")   # doctest: +SKIP
    >>> model = pretrained.load_file("runs/my-srresnet.pt")   # doctest: +SKIP
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
    return read_card(_path(name, ".pt"))


def read_card(path: str | Path) -> dict:
    """The card (a dict) beside model file ``path``: ``NAME.json`` for ``NAME.pt``.

    A missing card raises ``FileNotFoundError``, a card that is not a JSON
    object a ``ValueError``; both name the model file.
    """
    path = Path(path)
    card_path = path.with_suffix(".json")
    if not card_path.is_file():
        raise FileNotFoundError(
            f"model file {str(path)!r} has no card {card_path.name} beside it (it says how to build the model)"
        )
    try:
        card_dict = json.loads(card_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the card {card_path.name} of model file {str(path)!r} is not valid JSON: {error}") from error
    if not isinstance(card_dict, dict):
        raise ValueError(
            f"the card {card_path.name} of model file {str(path)!r} must hold a JSON object, "
            f"got {type(card_dict).__name__}"
        )
    return card_dict


def build(card_dict: dict) -> torch.nn.Module:
    """Build the untrained model that a card describes."""
    qualified = card_dict.get("architecture", "")
    if not isinstance(qualified, str) or not qualified.startswith(_ALLOWED_PREFIX):
        raise ValueError(f"card architecture must name a class in {_ALLOWED_PREFIX}*, got {qualified!r}")
    module_name, _, class_name = qualified.rpartition(".")
    try:
        model_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"card architecture {qualified!r} does not name an existing class: {error}") from error
    # only a model class: never an arbitrary callable that happens to live in a models module
    if not (isinstance(model_class, type) and issubclass(model_class, torch.nn.Module)):
        raise ValueError(f"card architecture {qualified!r} is not a torch.nn.Module class")
    return model_class(**card_dict.get("arguments", {}))


def load_file(path: str | Path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Load model file ``path`` (``NAME.pt``, a state dict) as its card ``NAME.json`` describes, in ``eval()`` mode.

    The one loader of a model file, used by :func:`load`, by every command and by every lesson:

    1. read the card beside the file (:func:`read_card`): a missing card is an
       error, never guessed;
    2. build the architecture the card names, with its arguments (:func:`build`);
    3. read the weights with ``weights_only=True`` (:func:`imgsynth_edu.utils.load_state_dict`);
    4. load them strictly: weights of another architecture or size are an error.

    Each failure raises one error that names the file. Returns the model on ``device``.

    Lesson: ``02_dcgan.ipynb`` (the bundled generator).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    model_card = read_card(path)
    try:
        model = build(model_card)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model file {str(path)!r}: its card does not describe a model this library builds: "
                         f"{error}") from error
    state = load_state_dict(path)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(
            f"model file {str(path)!r} does not match the architecture of its card "
            f"({model_card['architecture']} with {model_card.get('arguments', {})}): {error}"
        ) from error
    return model.to(device).eval()


def load(name: str, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Bundled model ``name`` in ``eval()`` mode: :func:`load_file` of ``WEIGHTS_DIR/NAME.pt``."""
    return load_file(_path(name, ".pt"), device)


def _path(name: str, suffix: str) -> Path:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    path = WEIGHTS_DIR / f"{name}{suffix}"
    if not path.is_file():
        raise ValueError(f"name={name!r} is not a bundled checkpoint; available: {available()}")
    return path
