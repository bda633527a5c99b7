"""Graded exercises: a student writes a function, a check runs it and says what is right or wrong.

One module per lesson (``lesson00`` ... ``lesson06``); a lesson imports its own::

    from imgsynth_edu.exercises import lesson01

    def generator_loss(fake_logits):
        raise NotImplementedError  # your code here

    lesson01.check_generator_loss(generator_loss)

Each ``check_<exercise>(student_fn_or_value)`` runs the student's code on
inputs it controls (seeded, small: well under a second on a CPU) and compares
the result with the reference, which is the library's own implementation
wherever the library has one, so an exercise teaches the library's convention.
A check ends in one of three ways:

* **correct**: it prints ``✓ <exercise>: correct (what was checked)``;
* **wrong**: it raises :class:`ExerciseError` (an ``AssertionError``, so the
  notebook cell fails) whose message names the mistake and gives a hint;
* **not attempted** (the stub still raises ``NotImplementedError``, or returns
  ``None``): it prints ``… <exercise>: not attempted yet`` and returns without
  raising, so a stored notebook with its stubs untouched still runs cleanly.

Every module also exposes its reference solutions (``lesson01.solutions.generator_loss``)
and ``cells()``: the exercise text, stub, check call and collapsed solution
that a lesson shows (``notebooks/exercises/NN.md`` holds them, rendered by
``tools/exercise_snippets.py``).

Nothing heavy is imported here: a lesson module is loaded only when a lesson asks for it.
"""

from ._judge import ExerciseError

__all__ = ["ExerciseError"]
