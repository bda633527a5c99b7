"""What every training loop shares: one shape, exact checkpoints, and callbacks.

**One shape.** Every trainer of the course is built the same way and run the same way::

    trainer = SomeTrainer(model(s), data, config=None, *, callbacks=(), device=None, **overrides)
    history = trainer.fit(steps=None, resume=None)

``config`` is a dataclass of plain numbers and flags (``GANConfig``,
``RestorationConfig``) that is saved in every checkpoint; keyword
``overrides`` replace its fields (:func:`configure`), so
``GANTrainer(G, D, data, steps=500)`` and ``RestorationTrainer(model, pairs, lr=1e-3)``
read naturally. ``fit(steps)`` trains until the step counter reaches
``steps`` (default ``config.steps``); ``fit(resume=path)`` first loads a
checkpoint written by the same trainer. Objects that are not numbers (a
task, a loss function, callbacks, the device) are keyword arguments of their own.

Exact resume means: a seeded run interrupted at step ``k`` and resumed from
its checkpoint ends with *the same weights* as the uninterrupted run. For
that a checkpoint must hold more than the weights: the optimizers' moments,
the step counter, and every random number generator's state (Python, NumPy,
torch CPU and CUDA, and any ``torch.Generator`` the loop draws from, such as
the one that shuffles the data).

Lesson: ``01_gan_from_scratch.ipynb`` (training loop), ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from ..utils import atomic_write


def configure(config_class: type, config, overrides: dict):
    """A checked copy of ``config`` (default ``config_class()``) with the fields in ``overrides`` replaced.

    An unknown field is a ``TypeError`` that lists the known ones; the result's
    ``check()`` validates every field.

    Lesson: ``01_gan_from_scratch.ipynb`` (``GANTrainer(G, D, data, loss=..., steps=...)``).
    """
    config = copy.deepcopy(config) if config is not None else config_class()
    for key, value in overrides.items():
        if not hasattr(config, key):
            raise TypeError(f"unknown {config_class.__name__} field {key!r}; fields: {sorted(asdict(config))}")
        setattr(config, key, value)
    return config.check()


def rng_state(generators: Mapping[str, torch.Generator] | None = None) -> dict:
    """Snapshot of every random number generator the training touches.

    Only tensors, numbers, strings, lists and tuples, so that the checkpoint
    loads with ``torch.load(..., weights_only=True)``: NumPy's state array is
    stored as a list of ints.
    """
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": {"bit_generator": str(name), "keys": [int(key) for key in keys], "position": int(position),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
        "torch": torch.get_rng_state(),
        "generators": {name: g.get_state() for name, g in (generators or {}).items()},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, generators: Mapping[str, torch.Generator] | None = None) -> None:
    """Restore what :func:`rng_state` captured."""
    random.setstate(state["python"])
    numpy_state = state["numpy"]
    np.random.set_state((numpy_state["bit_generator"], np.array(numpy_state["keys"], dtype=np.uint32),
                         numpy_state["position"], numpy_state["has_gauss"], numpy_state["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    for name, generator in (generators or {}).items():
        if name not in state["generators"]:
            raise ValueError(f"checkpoint has no state for the generator {name!r}")
        generator.set_state(state["generators"][name])


def save_training_state(
    path: str | Path,
    step: int,
    modules: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    generators: Mapping[str, torch.Generator] | None = None,
    extra: dict | None = None,
) -> Path:
    """Write a full training checkpoint atomically (never a half-written file).

    Holds every module's and optimizer's ``state_dict``, the ``step``, all RNG
    states and ``extra`` (e.g. the loss history). Only tensors and plain
    containers of numbers and strings (``extra`` too), so that
    :func:`load_training_state` can load it with ``weights_only=True``.
    """
    payload = {
        "step": int(step),
        "modules": {name: module.state_dict() for name, module in modules.items()},
        "optimizers": {name: opt.state_dict() for name, opt in optimizers.items()},
        "rng": rng_state(generators),
        "extra": extra or {},
    }
    path = Path(path)
    with atomic_write(path) as handle:
        torch.save(payload, handle)
    return path


def load_training_state(
    path: str | Path,
    modules: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    generators: Mapping[str, torch.Generator] | None = None,
) -> tuple[int, dict]:
    """Restore a checkpoint written by :func:`save_training_state`; returns ``(step, extra)``.

    Loaded with ``weights_only=True``: a training checkpoint is a file that
    students and instructors hand each other, and unpickling an arbitrary file
    can run any code. A file holding anything but tensors and plain containers
    is refused, with an error that names it, and nothing in it runs.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"resume path {str(path)!r} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"resume checkpoint {str(path)!r} is not a training checkpoint written by imgsynth-edu, or is corrupt "
            f"(it was loaded with weights_only=True, so nothing in it was run): {reason}"
        ) from error
    if not isinstance(payload, dict) or not {"step", "modules", "optimizers", "rng"} <= set(payload):
        raise ValueError(f"resume checkpoint {str(path)!r} is not a training checkpoint written by imgsynth-edu "
                         f"(expected a dict with step, modules, optimizers and rng)")
    missing = set(modules) - set(payload.get("modules", {}))
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} lacks modules {sorted(missing)}")
    for name, module in modules.items():
        try:
            module.load_state_dict(payload["modules"][name])
        except RuntimeError as error:
            raise ValueError(
                f"checkpoint {str(path)!r}: module {name!r} is of another architecture: {error}"
            ) from error
    for name, optimizer in optimizers.items():
        optimizer.load_state_dict(payload["optimizers"][name])
    set_rng_state(payload["rng"], generators)
    return payload["step"], payload.get("extra", {})


#: Config fields that may differ between a run and the run it resumes: how long, how often to save and show.
RESUMABLE_FIELDS = frozenset({"steps", "checkpoint_every", "checkpoint_path", "progress", "log_every",
                              "sample_every"})


def check_same_config(path: str | Path, saved: dict | None, current: dict) -> None:
    """Refuse to resume a checkpoint with other hyper-parameters than it was trained with.

    ``saved`` is the config stored in checkpoint ``path``, ``current`` the config of
    the run that resumes it (both as ``dataclasses.asdict``). Every field except
    :data:`RESUMABLE_FIELDS` must be equal: a resumed run with another learning rate
    would silently keep the optimizer's old one while its card recorded the new one.
    Raises ``ValueError`` naming each changed field with both values.
    """
    if not saved:
        return  # a checkpoint written before configs were saved: nothing to compare
    changed = []
    for field, value in current.items():
        if field in RESUMABLE_FIELDS or field not in saved:
            continue
        old = saved[field]
        if isinstance(old, (list, tuple)) and isinstance(value, (list, tuple)):
            old, value = list(old), list(value)
        if old != value:
            changed.append(f"{field} {saved[field]!r} -> {current[field]!r}")
    if changed:
        raise ValueError(f"cannot resume {str(path)!r} with changed hyper-parameters ({'; '.join(changed)}): "
                         f"use the checkpoint's values, or start a new run with another output path")


def check_ema_decay(ema_decay: float | None) -> None:
    """``ema_decay`` must be ``None`` (no EMA copy of the weights) or a number in ``(0, 1)``.

    Lessons: ``02_dcgan.ipynb`` (EMA of the generator), ``07_diffusion_vs_gan.ipynb``.
    """
    if ema_decay is not None and not 0.0 < float(ema_decay) < 1.0:
        raise ValueError(f"ema_decay must be None or in (0, 1), got {ema_decay!r}")


def after_step(trainer, logs: dict[str, torch.Tensor], summarise=None) -> None:
    """What a trainer does after its step counter ``trainer.step`` moved on, by its config's schedule.

    * every ``log_every`` steps, and at step 1: each logged tensor becomes a number,
      ``summarise(name, value)`` (default ``float(value)``), and the callbacks'
      ``on_step_end(trainer, step, numbers)`` receive them. Only then, because turning
      a GPU tensor into a number waits for the GPU;
    * every ``sample_every`` steps (0: never): ``(step, trainer.preview())`` joins ``trainer.previews``;
    * every ``checkpoint_every`` steps (0: never): ``trainer.save_checkpoint(config.checkpoint_path)``.

    Lessons: ``01_gan_from_scratch.ipynb`` (training loop), ``07_diffusion_vs_gan.ipynb``.
    """
    config, step = trainer.config, trainer.step
    if step % config.log_every == 0 or step == 1:
        if summarise is None:
            numbers = {name: float(value) for name, value in logs.items()}  # syncs a GPU
        else:
            numbers = {name: summarise(name, value) for name, value in logs.items()}  # syncs a GPU
        for callback in trainer.callbacks:
            callback.on_step_end(trainer, step, numbers)
    if config.sample_every and step % config.sample_every == 0:
        trainer.previews.append((step, trainer.preview()))
    if config.checkpoint_every and step % config.checkpoint_every == 0:
        trainer.save_checkpoint(config.checkpoint_path)


class Callback:
    """Base class: override the hooks you need. ``loop`` is the running trainer."""

    def on_train_start(self, loop) -> None: ...

    def on_step_end(self, loop, step: int, logs: dict) -> None: ...

    def on_train_end(self, loop) -> None: ...


class History(Callback):
    """Records every logged number per step: ``history.values["d_loss"] -> [..]``."""

    def __init__(self):
        self.values: dict[str, list[float]] = {}
        self.steps: list[int] = []

    def on_step_end(self, loop, step: int, logs: dict) -> None:
        self.steps.append(step)
        for key, value in logs.items():
            self.values.setdefault(key, []).append(float(value))

    def state_dict(self) -> dict:
        """``{"steps": [...], "values": {name: [...]}}``: what a checkpoint stores of the history."""
        return {"steps": self.steps, "values": self.values}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned (copies of its lists)."""
        self.steps = list(state["steps"])
        self.values = {key: list(numbers) for key, numbers in state["values"].items()}
