"""Claims are checks: ``claim`` prints a ✓ line when its statement holds and raises otherwise.

The last test runs a two-cell notebook under nbval, exactly as CI runs the
lessons: a lesson whose run contradicts a claim must fail its notebook test.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest
import torch

from imgsynth_edu import ClaimError, claim


def test_a_true_claim_prints_its_check_mark_and_measurement(capsys):
    line = claim("the run covers at least 7 of 8 modes", 8 >= 7, measured="8/8 modes")
    assert line == "✓ the run covers at least 7 of 8 modes (measured 8/8 modes)"
    assert capsys.readouterr().out == line + "\n"


def test_a_false_claim_raises_with_the_measurement(capsys):
    with pytest.raises(ClaimError, match=r"^✗ the fill is sharper — NOT shown by this run \(measured 0.130 vs 0.136\)$"):
        claim("the fill is sharper", 0.130 > 0.136, measured="0.130 vs 0.136")
    assert capsys.readouterr().out == ""  # no ✓ line for a false claim
    assert issubclass(ClaimError, AssertionError)


def test_numpy_and_one_element_tensor_booleans_are_accepted(capsys):
    claim("numpy", np.float32(2.0) > 1.0, measured="2.0")
    claim("torch", torch.tensor(2.0) > 1.0, measured="2.0")
    with pytest.raises(ClaimError):
        claim("torch false", torch.tensor(0.5) > 1.0, measured="0.5")


@pytest.mark.parametrize("holds", [1, 0.9, "yes", None, torch.tensor([True, False]), torch.tensor(1.0)])
def test_holds_must_be_an_explicit_comparison(holds):
    with pytest.raises(TypeError, match="holds must be a bool"):
        claim("anything", holds, measured="something")


@pytest.mark.parametrize("statement, measured", [("", "x"), ("   ", "x"), ("ok", ""), (None, "x")])
def test_statement_and_measurement_are_required(statement, measured):
    with pytest.raises(ValueError, match="must be a non-empty str"):
        claim(statement, True, measured=measured)


def _run_nbval(tmp_path, condition: str) -> subprocess.CompletedProcess:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("The good run covers at least 7 of the 8 modes."),
        nbformat.v4.new_code_cell(f"import imgsynth_edu as ise\nmodes_covered = 6\n"
                                  f"ise.claim('the good run covers at least 7 of the 8 modes', {condition}, "
                                  f"measured=f'{{modes_covered}}/8 modes')"),
    ]
    path = tmp_path / "claim.ipynb"
    nbformat.write(notebook, path)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-o", "addopts=", str(path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "IMGSYNTH_MODE": "quick"},
    )


@pytest.mark.slow
def test_a_false_claim_fails_the_notebook_under_nbval_and_a_true_one_passes(tmp_path):
    failed = _run_nbval(tmp_path, "modes_covered >= 7")
    assert failed.returncode != 0 and "ClaimError" in failed.stdout and "measured 6/8 modes" in failed.stdout, failed.stdout
    passed = _run_nbval(tmp_path, "modes_covered >= 6")
    assert passed.returncode == 0, passed.stdout
