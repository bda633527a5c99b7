"""The judge shared by every exercise: run the student's code, compare, explain.

A lesson module (``lessonNN.py``) imports the judge as one name,
``from . import _judge as judge``, and writes a check function as::

    @judge.exercise("generator_loss")
    def check_generator_loss(generator_loss) -> str:
        loss = judge.run(generator_loss, logits)    # NotImplementedError / None -> "not attempted"
        if not judge.close(loss, expected):
            judge.fail("the loss is ...", hint="...")   # raises ExerciseError
        return "matches losses.g_loss_non_saturating on ..."   # -> "✓ generator_loss: correct (...)"

:func:`exercise` turns the three outcomes into one printed line or one
:class:`ExerciseError`; :func:`run` calls the student's code and turns its
crashes into explanations; :func:`answer` does the same for a value the
student fills in (``sigma = None  # your answer``), :func:`number_answer` for a
number; :func:`require_gradient` fails a loss that no gradient flows through.

The text of the exercises closes the lesson module: an :class:`Exercise` each,
gathered by :func:`lesson_exercises`, which writes every check cell as
``lessonNN.check_<name>(<name>)``; :func:`function_stub` writes the code cell
of an exercise whose answer is a function, and :func:`render_cells` makes the
notebook cells of a lesson::

    EXERCISES = judge.lesson_exercises("lesson00",
        judge.Exercise(name="psnr", title="PSNR from its definition", text=r\"\"\"
    Write `psnr(pred, target)` ...
    \"\"\",
            hint=\"\"\"...\"\"\",
            stub=judge.function_stub("psnr(pred, target)",
                                     "PSNR in dB of each image pair: a tensor of shape (N,).",
                                     imports=("import torch",)),
            solution=solutions.psnr,
        ),
        ...
    )

``function_stub`` gives the same cell as the hand-written stub
``import torch`` / two blank lines / ``def psnr(pred, target):`` / its one-line
docstring / ``raise NotImplementedError  # your code here``.

Converting a lesson module written the older way (``from ._judge import (...)``
with ten names, ``stub='''...'''`` literals, ``check_call=...`` on every
exercise), which still works as it is: import ``_judge as judge`` and prefix
the names; turn each function stub into ``judge.function_stub(signature,
docstring, imports=(...))`` (whole import lines; ``""`` for the blank line
between Python's and the course's imports); drop the ``check_call`` lines
that are the usual call and wrap the tuple in ``judge.lesson_exercises("lessonNN", ...)``;
read a number answer with ``judge.number_answer``; lay each ``Exercise`` out as above. Then
``python tools/exercise_snippets.py --check`` must still pass: the rendered
cells do not change.
"""

from __future__ import annotations

import functools
import inspect
import math
import textwrap
from dataclasses import dataclass, replace

import torch


class ExerciseError(AssertionError):
    """A wrong answer. The message names the mistake and gives a hint.

    An ``AssertionError``, so the notebook cell fails, as a failed test does.
    """


class NotAttempted(Exception):
    """Raised inside a check when the student's exercise still holds its stub."""


# ----------------------------------------------------------------------------
# Outcomes
# ----------------------------------------------------------------------------
def exercise(name: str):
    """Decorate a check: print ``✓``/``…`` lines, prefix wrong answers with ``✗ name:``.

    The decorated function returns a short description of what it checked
    (printed after "correct"), raises :class:`NotAttempted` (via :func:`run` or
    :func:`answer`) for an untouched stub, or :class:`ExerciseError` (via
    :func:`fail`) for a wrong answer. The wrapper returns ``None``.
    """

    def decorate(check):
        @functools.wraps(check)
        def judged(*args, **kwargs):
            __tracebackhide__ = True  # pytest and IPython hide the judge's own frames
            try:
                checked = check(*args, **kwargs)
            except NotAttempted as why:
                reason = f" ({why})" if str(why) else ""
                print(f"… {name}: not attempted yet{reason}")
                return None
            except ExerciseError as error:
                # Raised afresh from here, so a notebook shows the message, not the check's insides;
                # a crash of the student's code stays attached (its traceback is the useful one).
                message = f"✗ {name}: {error.args[0] if error.args else 'wrong answer'}"
                raise ExerciseError(message) from error.__cause__
            print(f"✓ {name}: correct ({checked})")
            return None

        judged.exercise_name = name
        return judged

    return decorate


def fail(mistake: str, hint: str | None = None):
    """Raise :class:`ExerciseError` naming the ``mistake``, with a ``hint`` on the next line."""
    __tracebackhide__ = True
    message = mistake if hint is None else f"{mistake}\n   Hint: {hint}"
    raise ExerciseError(message)


# Known crashes of student code, and what they usually mean.
_CRASH_HINTS = (
    ("implicitly created only for scalar outputs",
     "backward() needs one number: you called it on a tensor of several values (raw scores?). "
     "Reduce them to a loss first, e.g. losses.d_loss_minimax(real_scores, fake_scores)."),
    ("modified by an inplace operation",
     "a tensor was changed in place after it was used: often scores computed *before* opt_d.step() "
     "reused for the generator's loss. Compute D(fake) again after D's step."),
    ("backward through the graph a second time",
     "the same graph was back-propagated twice: compute each loss from a fresh forward pass "
     "(or detach what the second loss should not reach)."),
    ("has no attribute 'step'",
     "step() belongs to the optimizer (opt_g.step(), opt_d.step()), not to the network."),
    ("does not require grad and does not have a grad_fn",
     "the loss is not connected to any parameter: was everything computed under torch.no_grad() "
     "or detached, or turned into a Python number with .item()?"),
)


def run(student_fn, *args, **kwargs):
    """Call the student's function; a stub becomes :class:`NotAttempted`, a crash an :class:`ExerciseError`.

    A stub is a function that raises ``NotImplementedError`` or returns
    ``None`` or ``...``. Any other exception is explained (see ``_CRASH_HINTS``)
    and chained, so the student's own traceback is still shown.
    """
    __tracebackhide__ = True
    if student_fn is None or student_fn is Ellipsis:
        raise NotAttempted("no function given yet")
    if not callable(student_fn):
        fail(f"expected a function, got {type(student_fn).__name__} {student_fn!r}",
             hint="pass the function itself (no parentheses): check_x(my_function)")
    try:
        result = student_fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted("the stub still raises NotImplementedError: replace it with your code") from None
    except (ExerciseError, NotAttempted):
        raise
    except Exception as error:
        text = f"{type(error).__name__}: {error}"
        hint = next((h for marker, h in _CRASH_HINTS if marker in str(error)), None)
        message = f"your code raised {text}"
        raise ExerciseError(message if hint is None else f"{message}\n   Hint: {hint}") from error
    if result is None or result is Ellipsis:
        raise NotAttempted("the function returned None: if you wrote code, did you forget `return`?")
    return result


def answer(value):
    """A value the student fills in; ``None`` or ``...`` means not attempted yet."""
    if value is None or value is Ellipsis:
        raise NotAttempted("set your answer above and run this cell again")
    return value


def number_answer(value, what: str = "a number") -> float:
    """A number the student fills in, as a ``float``; ``None`` or ``...`` means not attempted yet.

    Anything that ``float()`` refuses fails with "expected <what>, got <value>".
    """
    __tracebackhide__ = True
    value = answer(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        fail(f"expected {what}, got {value!r}")


def require_gradient(loss, source: str, hint: str) -> None:
    """Fail unless ``loss`` is a tensor whose gradient flows back to ``source``.

    A loss computed with ``.item()``, ``.detach()`` or under ``torch.no_grad()``
    can have the right value and still train nothing.
    """
    __tracebackhide__ = True
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        fail(f"the loss is detached from {source}: no gradient would reach the generator", hint=hint)


# ----------------------------------------------------------------------------
# Comparing
# ----------------------------------------------------------------------------
def as_tensor(value, what: str, *, dtype=torch.float64) -> torch.Tensor:
    """The student's result as a detached tensor (from a tensor, a NumPy array, a number or a list)."""
    __tracebackhide__ = True
    try:
        if isinstance(value, torch.Tensor):
            return value.detach().to("cpu", dtype)
        return torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError):
        fail(f"{what} should be numbers (a tensor), got {type(value).__name__}: {value!r:.80}")


def close(a: torch.Tensor, b: torch.Tensor, *, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Same shape and ``|a - b| <= atol + rtol·|b|`` everywhere; infinities must agree exactly."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape:
        return False
    return bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine similarity of two tensors flattened to vectors (0 when either is zero)."""
    a, b = a.flatten().double(), b.flatten().double()
    norm = float(a.norm() * b.norm())
    return float(a @ b) / norm if norm > 0 else 0.0


def fmt(values, digits: int = 4) -> str:
    """A short, readable rendering of a few numbers for messages."""
    tensor = torch.as_tensor(values, dtype=torch.float64).flatten()
    shown = ", ".join(f"{v:.{digits}g}" if math.isfinite(v) else str(v) for v in tensor[:6].tolist())
    return f"[{shown}{', ...' if tensor.numel() > 6 else ''}]" if tensor.numel() != 1 else shown


def match_variant(result: torch.Tensor, variants: dict, *, rtol: float = 1e-5, atol: float = 1e-6):
    """The first ``(name, message)`` in ``variants`` (name -> (value, message)) that ``result`` equals, or None.

    A variant is a known wrong answer computed on the same inputs; when the
    student's result equals one, the check can say exactly which mistake it is.
    """
    for value, message in variants.values():
        if close(result, value, rtol=rtol, atol=atol):
            return message
    return None


# ----------------------------------------------------------------------------
# The text of an exercise, and the notebook cells of a lesson
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Exercise:
    """One exercise as a lesson shows it.

    Attributes:
        name: the function (or variable) the student writes; the check is ``check_<name>``.
        title: a few words for the heading.
        text: the task, in markdown (formulas in LaTeX).
        hint: markdown shown folded under "Hint".
        stub: the code cell the student edits.
        solution: the reference solution: a function (its source is shown) or markdown.
        check_call: the check cell's code, e.g. ``lesson01.check_generator_loss(generator_loss)``;
            left empty, :func:`lesson_exercises` writes the usual ``lessonNN.check_<name>(<name>)``.
    """

    name: str
    title: str
    text: str
    hint: str
    stub: str
    solution: object
    check_call: str = ""

    def solution_markdown(self) -> str:
        if callable(self.solution):
            source = textwrap.dedent(inspect.getsource(self.solution)).strip()
            return f"```python\n{source}\n```"
        return str(self.solution).strip()


def lesson_exercises(module_name: str, *exercises: Exercise) -> tuple[Exercise, ...]:
    """The exercises of lesson module ``module_name`` (e.g. ``"lesson00"``), every check cell written.

    An exercise without a ``check_call`` gets ``<module_name>.check_<name>(<name>)``,
    the call every check cell makes; one that has its own keeps it.
    """
    return tuple(
        item if item.check_call else replace(item, check_call=f"{module_name}.check_{item.name}({item.name})")
        for item in exercises
    )


def function_stub(signature: str, docstring: str, imports: tuple[str, ...] = ()) -> str:
    '''The code cell of a function exercise: imports, signature, docstring, and a body to replace.

    ``function_stub("psnr(pred, target)", "PSNR in dB of each image pair.", imports=("import torch",))``
    is the cell::

        import torch


        def psnr(pred, target):
            """PSNR in dB of each image pair."""
            raise NotImplementedError  # your code here

    ``imports`` are whole import lines, in the order shown; an empty string
    among them is a blank line (between Python's and the course's imports).
    Without imports the cell starts at ``def``.
    '''
    header = "".join(f"{line}\n" for line in imports)  # one import a line
    if imports:
        header += "\n\n"  # two blank lines before a top-level def, as in any module
    return f'{header}def {signature}:\n    """{docstring}"""\n    raise NotImplementedError  # your code here\n'


def render_cells(module_name: str, title: str, exercises) -> list[tuple[str, str]]:
    """The cells of a lesson's exercise section: ``[("markdown" | "code", source), ...]``."""
    cells = [
        ("markdown", f"## Exercises\n\n{title}\n\nEach exercise is followed by a check cell: it prints "
                     "`✓ … correct` when your answer is right, stops with a message that names the "
                     "mistake when it is not, and says `not attempted yet` while the stub is untouched. "
                     "A solution is folded under each check."),
        ("code", f"from imgsynth_edu.exercises import {module_name}"),
    ]
    for number, item in enumerate(exercises, start=1):
        heading = f"**Exercise {number} · {item.title}.** {item.text.strip()}"
        hint = f"<details><summary>Hint</summary>\n\n{item.hint.strip()}\n</details>"
        cells.append(("markdown", f"{heading}\n\n{hint}"))
        cells.append(("code", item.stub.strip()))
        cells.append(("code", item.check_call.strip()))
        solution = f"<details><summary>Solution</summary>\n\n{item.solution_markdown()}\n</details>"
        cells.append(("markdown", solution))
    return cells


def percent_source(cells) -> str:
    """``cells`` in the percent format of ``notebooks/src/NN_name.py`` (what ``tools/notebook.py`` reads)."""
    blocks = []
    for kind, source in cells:
        if kind == "markdown":
            lines = ["# %% [markdown]"] + [f"# {line}".rstrip() for line in source.splitlines()]
        else:
            lines = ["# %%"] + source.splitlines()
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
