"""Shared helpers: seeding, atomic writes, device choice, quick mode."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from imgsynth_edu import utils
from imgsynth_edu.utils import (
    atomic_write,
    get_device,
    is_quick_mode,
    load_state_dict,
    mode_banner,
    quick_or_full,
    save_state_dict,
    seed_everything,
)


def _draws() -> tuple:
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def test_seed_everything_repeats_python_numpy_and_torch_draws():
    generator = seed_everything(123)
    first = (*_draws(), torch.rand(2, generator=generator).tolist())
    generator = seed_everything(123)
    again = (*_draws(), torch.rand(2, generator=generator).tolist())
    assert first == again
    seed_everything(124)
    assert _draws() != first[:3]


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seed_everything_refuses_bad_seeds(seed):
    with pytest.raises(ValueError, match="^seed "):
        seed_everything(seed)


def test_atomic_write_replaces_the_file_on_success(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("old")
    with atomic_write(target, "w") as handle:
        handle.write("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_atomic_write_keeps_the_old_file_and_no_temp_file_when_the_block_raises(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the old, good checkpoint")
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_write(target) as handle:
            handle.write(b"half a new chec")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"the old, good checkpoint"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no .tmp left


def test_atomic_write_refuses_other_modes(tmp_path):
    with pytest.raises(ValueError, match="^mode "):
        with atomic_write(tmp_path / "x", "a"):
            pass


def test_state_dict_round_trip_and_corrupt_file(tmp_path):
    state = {"weight": torch.randn(3, 4), "bias": torch.zeros(3)}
    path = save_state_dict(state, tmp_path / "sub" / "w.pt")
    loaded = load_state_dict(path)
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt"):
        load_state_dict(tmp_path / "bad.pt")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_state_dict(tmp_path / "missing.pt")


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")


def test_get_device_refuses_an_unavailable_preference(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"^prefer='cuda' .*\['cpu'\]"):
        get_device(prefer="cuda")
    assert get_device(prefer="cpu") == torch.device("cpu")


@pytest.mark.parametrize(("value", "expected"), [("quick", True), (" QUICK ", True), ("full", False), ("Full", False)])
def test_mode_reads_the_environment_variable(monkeypatch, value, expected):
    monkeypatch.setenv(utils.MODE_ENV_VAR, value)
    assert is_quick_mode() is expected
    assert quick_or_full("quick", "full") == ("quick" if expected else "full")
    banner = mode_banner()
    assert ("QUICK mode (set by IMGSYNTH_MODE=quick)" in banner) is expected
    assert ("FULL mode (set by IMGSYNTH_MODE=full)" in banner) is not expected
    assert f"%env IMGSYNTH_MODE={'full' if expected else 'quick'}" in banner  # how to switch


@pytest.mark.parametrize("value", ["1", "yes", "fast", "quik"])
def test_a_mistyped_mode_is_an_error_not_a_silent_long_run(monkeypatch, value):
    monkeypatch.setenv(utils.MODE_ENV_VAR, value)
    with pytest.raises(ValueError, match=r"IMGSYNTH_MODE=.* is not a mode: expected 'quick' or 'full'"):
        is_quick_mode()


@pytest.mark.parametrize("cuda, expected", [(True, "full"), (False, "quick")])
def test_without_the_variable_the_mode_follows_the_hardware(monkeypatch, cuda, expected):
    monkeypatch.delenv(utils.MODE_ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    mode = utils.run_mode()
    assert mode.name == expected and "chosen automatically" in mode.reason
    assert mode_banner().startswith(f"imgsynth-edu | {expected.upper()} mode (chosen automatically")


def test_banner_states_a_lessons_measured_times(monkeypatch, tmp_path):
    times = {"lessons": {"01_x": {"quick": {"cpu": {"seconds": 85.0, "hardware": "a 2-core CPU"}},
                                  "full": {"cpu": {"seconds": 600.0, "hardware": "a 2-core CPU"},
                                           "gpu": {"seconds": 130.0, "hardware": "an NVIDIA H100"}}},
                         "02_y": {"quick": {}, "full": {}}}}
    path = tmp_path / "lesson_times.json"
    path.write_text(__import__("json").dumps(times))
    monkeypatch.setattr(utils, "LESSON_TIMES_PATH", path)
    monkeypatch.setenv(utils.MODE_ENV_VAR, "quick")
    banner = mode_banner("01_x")
    assert "quick mode 85 s on a 2-core CPU" in banner
    assert "full mode 10 min on a 2-core CPU / 2.2 min on an NVIDIA H100" in banner
    assert "quick mode not measured yet; full mode not measured yet" in utils.lesson_time_text("02_y")
    with pytest.raises(ValueError, match="lesson='03_z' has no measured times"):
        mode_banner("03_z")


@pytest.mark.parametrize("seconds, text", [(5, "5 s"), (89.4, "89 s"), (95, "1.6 min"), (600, "10 min"),
                                           (3000, "50 min"), (7200, "2.0 h")])
def test_format_duration(seconds, text):
    assert utils.format_duration(seconds) == text
