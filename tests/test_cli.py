"""The ``imgsynth-edu`` command line: the installed console script and ``main([...])``."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from imgsynth_edu import __version__, cli
from imgsynth_edu.data import DatasetUnavailableError


def test_console_script_info_runs():
    script = Path(sys.executable).parent / "imgsynth-edu"  # installed beside this Python by pip
    assert script.is_file(), f"console script missing: {script} (is the package installed?)"
    env = {**os.environ, "IMGSYNTH_MODE": "quick", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([str(script), "info"], capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr
    assert f"imgsynth-edu {__version__} | Python" in result.stdout
    assert "QUICK mode" in result.stdout and "bundled checkpoints:" in result.stdout


def test_python_dash_m_runs_the_same_command_line():
    env = {**os.environ, "IMGSYNTH_MODE": "quick", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "imgsynth_edu.cli", "info"], capture_output=True, text=True,
                            timeout=180, env=env)
    assert result.returncode == 0, result.stderr
    assert f"imgsynth-edu {__version__} | Python" in result.stdout


def test_every_area_registers_its_commands():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"info", "train", "sample", "evaluate-gan", "upscale", "evaluate-sr", "evaluate-burst"} <= set(commands)
    train = commands["train"]._subparsers._group_actions[0].choices
    assert set(train) == {"classifier", "dcgan", "toy-gan", "cgan", "inpainting", "srresnet", "srgan", "burst"}


def test_main_info(capsys, monkeypatch):
    monkeypatch.setenv("IMGSYNTH_MODE", "full")
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"imgsynth-edu {__version__} | Python") and "FULL mode (set by IMGSYNTH_MODE=full)" in out


def test_main_without_a_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "usage: imgsynth-edu" in capsys.readouterr().out
    assert cli.main(["train"]) == 2
    assert "WHAT" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["no-such-command"])


def test_main_turns_library_errors_into_a_message_and_exit_code_1(capsys, monkeypatch):
    module = types.ModuleType("imgsynth_edu._cli_test_failing")

    def run_offline(args):
        raise DatasetUnavailableError("no network: use 'shapes'")

    def run_bad(args):
        raise ValueError("--steps must be positive")

    def register(commands, train_commands):
        commands.add_parser("offline").set_defaults(func=run_offline)
        commands.add_parser("bad").set_defaults(func=run_bad)

    module.register = register
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, module])
    assert cli.main(["offline"]) == 1
    assert "imgsynth-edu offline: error: no network: use 'shapes'" in capsys.readouterr().err
    assert cli.main(["bad"]) == 1
    assert "imgsynth-edu bad: error: --steps must be positive" in capsys.readouterr().err
