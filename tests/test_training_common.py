"""Exact-resume checkpoints: weights, optimizer moments, step, extra and every RNG come back."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from imgsynth_edu.training.common import (
    History,
    after_step,
    check_ema_decay,
    load_training_state,
    save_training_state,
)


def _model_and_optimizer(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    return model, optimizer


def _train_step(model, optimizer, generator):
    x = torch.randn(16, 4, generator=generator)
    loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def _next_draws(generator):
    return random.random(), float(np.random.rand()), torch.rand(2).tolist(), torch.rand(2, generator=generator).tolist()


def test_round_trip_restores_weights_optimizer_step_extra_and_rng(tmp_path):
    model, optimizer = _model_and_optimizer()
    data_generator = torch.Generator().manual_seed(5)
    for _ in range(3):
        _train_step(model, optimizer, data_generator)
    path = save_training_state(tmp_path / "state.ckpt", 3, {"model": model}, {"opt": optimizer},
                               {"data": data_generator}, extra={"loss": [3.0, 2.0, 1.5]})
    expected_draws = _next_draws(data_generator)  # what an uninterrupted run draws next
    _train_step(model, optimizer, data_generator)
    expected_weights = {k: v.clone() for k, v in model.state_dict().items()}

    restored, restored_opt = _model_and_optimizer(seed=99)  # different weights, fresh optimizer
    restored_generator = torch.Generator().manual_seed(1234)
    random.seed(1), np.random.seed(1), torch.manual_seed(1)  # scramble the global generators
    step, extra = load_training_state(path, {"model": restored}, {"opt": restored_opt}, {"data": restored_generator})
    assert step == 3 and extra == {"loss": [3.0, 2.0, 1.5]}
    assert restored_opt.state_dict()["state"][0]["step"] == 3  # Adam's moments came back
    assert _next_draws(restored_generator) == expected_draws  # the very next random draws are equal
    # and training on from the checkpoint gives the uninterrupted run's weights exactly
    load_training_state(path, {"model": restored}, {"opt": restored_opt}, {"data": restored_generator})
    _next_draws(restored_generator)
    _train_step(restored, restored_opt, restored_generator)
    for key, value in restored.state_dict().items():
        assert torch.equal(value, expected_weights[key]), key


def test_corrupt_file_is_a_value_error_naming_the_path(tmp_path):
    path = tmp_path / "broken.ckpt"
    path.write_bytes(b"\x80\x04 half a pickle")
    model, optimizer = _model_and_optimizer()
    with pytest.raises(ValueError, match="broken.ckpt.*corrupt"):
        load_training_state(path, {"model": model}, {"opt": optimizer})
    with pytest.raises(FileNotFoundError, match="missing.ckpt"):
        load_training_state(tmp_path / "missing.ckpt", {"model": model}, {"opt": optimizer})


def test_another_architecture_is_a_value_error(tmp_path):
    model, optimizer = _model_and_optimizer()
    path = save_training_state(tmp_path / "s.ckpt", 1, {"model": model}, {"opt": optimizer})
    wider = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    with pytest.raises(ValueError, match="s.ckpt.*'model' is of another architecture"):
        load_training_state(path, {"model": wider}, {"opt": torch.optim.Adam(wider.parameters())})
    with pytest.raises(ValueError, match=r"lacks modules \['critic'\]"):
        load_training_state(path, {"model": model, "critic": wider}, {})


def test_missing_generator_state_is_refused(tmp_path):
    model, optimizer = _model_and_optimizer()
    path = save_training_state(tmp_path / "s.ckpt", 1, {"model": model}, {"opt": optimizer})
    with pytest.raises(ValueError, match="'shuffle'"):
        load_training_state(path, {"model": model}, {"opt": optimizer}, {"shuffle": torch.Generator()})


def test_history_records_every_logged_value():
    history = History()
    for step, (d, g) in enumerate([(1.0, 2.0), (0.5, 1.5)]):
        history.on_step_end(None, step, {"d_loss": torch.tensor(d), "g_loss": g})
    assert history.steps == [0, 1]
    assert history.values == {"d_loss": [1.0, 0.5], "g_loss": [2.0, 1.5]}


class _RunsCodeWhenUnpickled:
    """What a crafted "checkpoint" holds: unpickling it calls ``Path.touch(marker)``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_crafted_pickle_runs_no_code_and_the_error_names_the_file(tmp_path):
    marker = tmp_path / "code-ran"
    model, optimizer = _model_and_optimizer()
    crafted = {"step": 1, "modules": {"model": model.state_dict()}, "optimizers": {}, "rng": {},
               "extra": {"payload": _RunsCodeWhenUnpickled(marker)}}
    path = tmp_path / "shared-by-a-classmate.ckpt"
    torch.save(crafted, path)
    with pytest.raises(ValueError, match=r"shared-by-a-classmate\.ckpt.*weights_only=True, so nothing in it was run"):
        load_training_state(path, {"model": model}, {"opt": optimizer})
    assert not marker.exists(), "loading the checkpoint ran the code inside it"


def test_a_real_checkpoint_holds_only_what_weights_only_loading_accepts(tmp_path):
    model, optimizer = _model_and_optimizer()
    np.random.seed(3)
    np.random.randn()  # leave a cached gaussian in NumPy's state: it must survive too
    path = save_training_state(tmp_path / "s.ckpt", 2, {"model": model}, {"opt": optimizer},
                               {"data": torch.Generator().manual_seed(0)}, extra={"config": {"betas": (0.5, 0.999)}})
    expected = np.random.randn(3)
    torch.load(path, weights_only=True)  # raises if anything but tensors and plain containers was saved
    np.random.seed(0)
    load_training_state(path, {"model": model}, {"opt": optimizer}, {"data": torch.Generator()})
    assert np.array_equal(np.random.randn(3), expected)


def test_a_file_that_is_not_a_training_checkpoint_is_refused(tmp_path):
    model, optimizer = _model_and_optimizer()
    path = tmp_path / "weights-only.pt"
    torch.save(model.state_dict(), path)  # a model file, not a training state
    with pytest.raises(ValueError, match=r"weights-only\.pt.*not a training checkpoint"):
        load_training_state(path, {"model": model}, {"opt": optimizer})


def test_history_state_round_trips_as_copies():
    history = History()
    history.on_step_end(None, 1, {"loss": 2.0})
    history.on_step_end(None, 2, {"loss": 1.0, "lr": 0.1})
    restored = History()
    restored.load_state_dict(history.state_dict())
    assert restored.steps == [1, 2] and restored.values == {"loss": [2.0, 1.0], "lr": [0.1]}
    history.steps.append(3)
    history.values["loss"].append(0.5)
    assert restored.steps == [1, 2] and restored.values["loss"] == [2.0, 1.0]  # copies, not the same lists


class _Recorder:
    """What after_step may call on a trainer, written down."""

    def __init__(self, **schedule):
        self.config = SimpleNamespace(checkpoint_path="run.ckpt", **schedule)
        self.logged, self.previews, self.checkpoints = [], [], []
        self.callbacks = [SimpleNamespace(on_step_end=lambda loop, step, numbers: self.logged.append((step, numbers)))]
        self.step = 0

    def preview(self):
        return f"preview {self.step}"

    def save_checkpoint(self, path):
        self.checkpoints.append((self.step, path))


def test_after_step_logs_previews_and_checkpoints_on_the_config_schedule():
    trainer = _Recorder(log_every=2, sample_every=3, checkpoint_every=4)
    for step in range(1, 7):
        trainer.step = step
        after_step(trainer, {"loss": torch.tensor(float(step))})
    assert [step for step, _ in trainer.logged] == [1, 2, 4, 6]  # step 1, then every log_every
    assert trainer.logged[1] == (2, {"loss": 2.0})
    assert trainer.previews == [(3, "preview 3"), (6, "preview 6")]
    assert trainer.checkpoints == [(4, "run.ckpt")]


def test_after_step_summarises_with_the_trainers_function_and_zero_means_never():
    trainer = _Recorder(log_every=1, sample_every=0, checkpoint_every=0)
    trainer.step = 5
    after_step(trainer, {"d_real": torch.tensor([1.0, 3.0])}, lambda name, value: float(value.mean()) + 10)
    assert trainer.logged == [(5, {"d_real": 12.0})]
    assert trainer.previews == [] and trainer.checkpoints == []


@pytest.mark.parametrize("decay", [None, 0.5, 0.999])
def test_check_ema_decay_accepts_none_and_the_open_unit_interval(decay):
    check_ema_decay(decay)


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.1, 1.5])
def test_check_ema_decay_names_the_argument_and_the_range(decay):
    with pytest.raises(ValueError, match=r"ema_decay must be None or in \(0, 1\)"):
        check_ema_decay(decay)
