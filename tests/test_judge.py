"""The judge's helpers that the lesson modules share (``imgsynth_edu/exercises/_judge.py``).

The checks themselves are tested in ``test_exercises.py``; here: the stub
writer, the check-call filler, and the two shared checks (a number answer,
a loss that gradients flow through), also as the lessons use them.
"""

import pytest
import torch

from imgsynth_edu.exercises import ExerciseError, _judge, lesson01, lesson03, lesson04, lesson05


def test_function_stub_with_imports_is_the_cell_a_student_edits():
    stub = _judge.function_stub("psnr(pred, target)", "PSNR in dB of each image pair.", imports=("import torch",))
    assert stub == (
        "import torch\n"
        "\n"
        "\n"
        "def psnr(pred, target):\n"
        '    """PSNR in dB of each image pair."""\n'
        "    raise NotImplementedError  # your code here\n"
    )


def test_function_stub_without_imports_starts_at_def_and_a_blank_import_line_separates_groups():
    assert _judge.function_stub("f(x)", "Twice x.") == 'def f(x):\n    """Twice x."""\n    raise NotImplementedError  # your code here\n'
    stub = _judge.function_stub("g()", "G.", imports=("import torch", "", "from imgsynth_edu import losses"))
    assert stub.startswith("import torch\n\nfrom imgsynth_edu import losses\n\n\ndef g():\n")


def test_a_function_stub_runs_and_is_not_attempted():
    namespace: dict = {}
    exec(_judge.function_stub("f(x)", "Twice x.", imports=("import math",)), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_lesson_exercises_writes_the_usual_check_call_and_keeps_a_given_one():
    common = dict(title="t", text="x", hint="h", stub="s", solution="m")
    usual, own = _judge.lesson_exercises(
        "lesson09",
        _judge.Exercise(name="alpha", **common),
        _judge.Exercise(name="beta", check_call="lesson09.check_beta(beta, strict=True)", **common),
    )
    assert usual.check_call == "lesson09.check_alpha(alpha)"
    assert own.check_call == "lesson09.check_beta(beta, strict=True)"


def test_number_answer_reads_numbers_and_names_what_it_expected():
    assert _judge.number_answer("3.5") == 3.5
    assert _judge.number_answer(2) == 2.0
    with pytest.raises(_judge.NotAttempted):
        _judge.number_answer(None)
    with pytest.raises(ExerciseError, match=r"expected a number of decibels, got 'loud'"):
        _judge.number_answer("loud", "a number of decibels")


def test_a_number_check_rejects_words_and_skips_none(capsys):
    lesson04.check_studio_swing_db(None)
    assert capsys.readouterr().out.startswith("… studio_swing_db: not attempted yet")
    with pytest.raises(ExerciseError, match="expected a number of decibels"):
        lesson04.check_studio_swing_db("about one")


def test_require_gradient_fails_a_detached_loss_and_a_number():
    connected = (torch.ones(3, requires_grad=True) * 2).sum()
    assert _judge.require_gradient(connected, "x", hint="h") is None
    with pytest.raises(ExerciseError, match="the loss is detached from the fill"):
        _judge.require_gradient(connected.detach(), "the fill", hint="h")
    with pytest.raises(ExerciseError, match="detached"):
        _judge.require_gradient(0.5, "the fill", hint="h")


@pytest.mark.parametrize("module, name, source", [
    (lesson01, "generator_loss", "the logits"),
    (lesson03, "masked_l1", "the fill"),
    (lesson05, "srgan_generator_loss", "the super-resolved image"),
])
def test_a_detached_but_correct_loss_is_rejected(module, name, source):
    solution = getattr(module.solutions, name)

    def detached(*args):
        return solution(*args).detach()

    with pytest.raises(ExerciseError, match=f"the loss is detached from {source}"):
        getattr(module, f"check_{name}")(detached)
