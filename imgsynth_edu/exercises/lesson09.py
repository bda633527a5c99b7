"""Exercises of lesson 09 (scaling up and down): DDP's gradient by hand, int8 fake quantisation, the global batch.

* :func:`check_data_parallel_gradient` - ``data_parallel_gradient(model, loss_function, inputs,
  targets, world_size)``: each rank's gradient on its share, averaged as the all-reduce does,
  against :func:`imgsynth_edu.training.distributed.batch_gradient` (the whole batch in one
  process) and :func:`~imgsynth_edu.training.distributed.average_over_ranks`;
* :func:`check_fake_quantize_int8` - ``fake_quantize_int8(values, calibration)``: symmetric int8
  with one scale per tensor from calibration data, against PyTorch's
  ``torch.fake_quantize_per_tensor_affine``;
* :func:`check_global_batch_and_lr` - a value: ``--batch-size`` and ``--lr`` of a 4-GPU run that
  keeps 16 patches per GPU, by the linear scaling rule.

Lesson: ``09_scaling_up_and_down.ipynb``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Library imports (the references the checks compare with).
from ..training.distributed import average_over_ranks, batch_gradient, rank_gradients
from . import _judge as judge
from .solutions import lesson09 as solutions

__all__ = ["EXERCISES", "cells", "check_data_parallel_gradient", "check_fake_quantize_int8",
           "check_global_batch_and_lr", "solutions"]


# ----------------------------------------------------------------------------
# Exercise 1: the all-reduce by hand
# ----------------------------------------------------------------------------
class _CountingModel(nn.Module):
    """A small seeded regression network that records how many items each forward call was given."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))  # (N, 5) -> (N, 1)
        generator = torch.Generator().manual_seed(90)
        with torch.no_grad():
            for parameter in self.net.parameters():
                parameter.copy_(0.5 * torch.randn(parameter.shape, generator=generator))
        self.batch_sizes: list[int] = []

    def forward(self, inputs):
        self.batch_sizes.append(len(inputs))
        return self.net(inputs)  # (N, 1)


_BATCH, _WORLD = 12, 4  # B/N = 3, N = 4, B = 12: each wrong factor is a different number


def _batch():
    generator = torch.Generator().manual_seed(91)
    return torch.randn(_BATCH, 5, generator=generator), torch.randn(_BATCH, 1, generator=generator)  # (B, 5), (B, 1)


def _gradient_list(result, count: int) -> list[torch.Tensor]:
    __tracebackhide__ = True
    if isinstance(result, torch.Tensor) or not isinstance(result, (list, tuple)):
        judge.fail(f"return one gradient per parameter (a list of {count} tensors), got {type(result).__name__}",
                   hint="[sum(same) / world_size for same in zip(*rank_gradients)]")
    if len(result) != count:
        judge.fail(f"return one gradient per parameter: the model has {count} parameters, you returned {len(result)}")
    return [judge.as_tensor(value, "each gradient") for value in result]


@judge.exercise("data_parallel_gradient")
def check_data_parallel_gradient(data_parallel_gradient) -> str:
    """Check ``data_parallel_gradient(model, loss_function, inputs, targets, world_size)`` = the whole batch's gradient.

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    model, (inputs, targets) = _CountingModel(), _batch()
    parameters = list(model.parameters())
    result = judge.run(data_parallel_gradient, model, F.mse_loss, inputs.clone(), targets.clone(), _WORLD)
    seen = list(model.batch_sizes)
    result = _gradient_list(result, len(parameters))
    for value, parameter in zip(result, parameters):
        if value.shape != parameter.shape:
            judge.fail(f"each gradient has its parameter's shape: expected {tuple(parameter.shape)}, got {tuple(value.shape)}")
    expected = [g.double() for g in batch_gradient(model, F.mse_loss, inputs, targets)]
    per_rank = rank_gradients(model, F.mse_loss, inputs, targets, _WORLD)  # the wrong answers are built from these

    def matches(candidate) -> bool:
        return all(judge.close(r, c.double(), rtol=1e-4, atol=1e-7) for r, c in zip(result, candidate))

    if matches(expected):
        if _BATCH in seen and (_BATCH // _WORLD) not in seen:
            judge.fail(f"the value is right, but the model saw all {_BATCH} items at once: that is one process, not "
                       f"{_WORLD} ranks", hint="give each rank its share, inputs[rank::world_size], and average the gradients")
        return (f"the average of {_WORLD} ranks' gradients (3 items each) equals the gradient of the mean loss on all "
                f"{_BATCH} items, as distributed.average_over_ranks and distributed.batch_gradient compute them")
    accumulated, running = [], [torch.zeros_like(p) for p in parameters]
    for gradients in per_rank:  # .grad never zeroed between ranks: rank r reads g_0 + ... + g_r
        running = [total + g for total, g in zip(running, gradients)]
        accumulated.append(running)
    variants = {
        "sum": ([g * _WORLD for g in expected],
                f"that is {_WORLD}× the right gradient: the ranks' gradients were summed, not averaged (divide by world_size)"),
        "rank 0": ([g.double() for g in per_rank[0]],
                   "that is rank 0's gradient alone: without the all-reduce each rank steps on its own share and the "
                   "copies of the model drift apart"),
        "summed loss": ([g * (_BATCH // _WORLD) for g in expected],
                        "each rank's loss must be the *mean* over its items: with a summed loss the gradient is "
                        f"{_BATCH // _WORLD}× (the share's size) too large"),
        "summed loss, summed ranks": ([g * _BATCH for g in expected],
                                      f"that is {_BATCH}× too large: summed losses on each rank *and* summed over ranks"),
        "accumulated": ([g.double() for g in average_over_ranks(accumulated)],
                        "the gradients accumulated from rank to rank: .grad was not zeroed before each rank's backward "
                        "(torch.autograd.grad, or model.zero_grad() each time)"),
    }
    for candidate, message in variants.values():
        if matches(candidate):
            judge.fail(message)
    judge.fail(f"the gradient differs from the whole batch's (first values {judge.fmt(result[0].flatten()[:3])}, "
               f"expected {judge.fmt(expected[0].flatten()[:3])})",
               hint="rank r: loss_function(model(inputs[r::N]), targets[r::N]); gradients of that; then the mean over ranks")


# ----------------------------------------------------------------------------
# Exercise 2: symmetric int8 with one scale per tensor
# ----------------------------------------------------------------------------
def _quantisation_data():
    generator = torch.Generator().manual_seed(92)
    calibration = 0.5 * torch.randn(64, generator=generator)  # (64,): what calibration saw
    values = 0.8 * torch.randn(4, 50, generator=generator)  # (4, 50): new data, some beyond the calibrated range
    return calibration, values


@judge.exercise("fake_quantize_int8")
def check_fake_quantize_int8(fake_quantize_int8) -> str:
    """Check ``fake_quantize_int8(values, calibration)`` against ``torch.fake_quantize_per_tensor_affine``.

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    calibration, values = _quantisation_data()
    result = judge.as_tensor(judge.run(fake_quantize_int8, values.clone(), calibration.clone()), "fake_quantize_int8(...)")
    if result.shape != values.shape:
        judge.fail(f"return a tensor of the values' shape {tuple(values.shape)}, got {tuple(result.shape)}")
    scale = float(calibration.abs().max()) / 127
    expected = torch.fake_quantize_per_tensor_affine(values, scale, 0, -127, 127).double()  # (4, 50)
    if judge.close(result, expected, rtol=0, atol=1e-6):
        outside = int((values.abs() > 127 * scale).sum())
        return (f"equals torch.fake_quantize_per_tensor_affine(values, max|calibration|/127, 0, -127, 127) on 200 "
                f"values, {outside} of them beyond the calibrated range")

    def grid(scale_, low=-127, high=127, rounding=True, clamping=True, source=values):
        codes = source.double() / scale_
        codes = torch.round(codes) if rounding else codes
        codes = codes.clamp(low, high) if clamping else codes
        return codes * scale_

    own_scale = float(values.abs().max()) / 127
    variants = {
        "no rounding": (grid(scale, rounding=False), "the values were not rounded to the int8 grid: round(values / scale)"),
        "no clamping": (grid(scale, clamping=False),
                        "values beyond the calibrated range must saturate at ±127·scale: clamp the codes to [−127, 127]"),
        "mean": (grid(float(calibration.abs().mean()) / 127),
                 "the scale comes from the largest |value| of the calibration data, not from its mean"),
        "255": (grid(float(calibration.abs().max()) / 255), "symmetric int8 maps max|calibration| to 127, not to 255"),
        "128 levels": (grid(float(calibration.abs().max()) / 128), "symmetric int8 maps max|calibration| to 127, not to 128"),
        "-128": (grid(scale, low=-128), "symmetric int8 uses −127..127: −128 is left out so that the grid is symmetric"),
        "own scale": (grid(own_scale), "the scale comes from the calibration data (static quantisation fixes it before "
                                       "deployment), not from the values being quantised"),
        "codes": (grid(scale) / scale, "those are the integer codes: multiply them by the scale to get values back"),
    }
    judge.fail(judge.match_variant(result, variants, rtol=0, atol=1e-6) or
               f"the values differ from the int8 grid (first values {judge.fmt(result[0, :3])}, "
               f"expected {judge.fmt(expected[0, :3])})",
               hint="scale = max|calibration| / 127; codes = clamp(round(values / scale), −127, 127); return codes · scale")


# ----------------------------------------------------------------------------
# Exercise 3: the global batch and the learning rate
# ----------------------------------------------------------------------------
@judge.exercise("global_batch_and_lr")
def check_global_batch_and_lr(value) -> str:
    """Check ``(--batch-size, --lr)`` of a 4-GPU run that keeps 16 patches per GPU (linear scaling rule).

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    value = judge.answer(value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        judge.fail(f"give two numbers, (batch_size, lr), got {value!r:.60}")
    batch_size = judge.number_answer(value[0], "a whole number of patches")
    lr = judge.number_answer(value[1], "a learning rate")
    if batch_size in (16, 4):
        judge.fail(f"--batch-size is the *global* batch: the library splits it over the ranks (shard: items[rank::N]); "
                   f"{batch_size:g} on 4 GPUs is {batch_size / 4:g} patches per GPU, not 16",
                   hint="per-GPU batch × number of GPUs")
    if batch_size != 64:
        judge.fail(f"{batch_size:g} patches: 16 per GPU on 4 GPUs is how many per step?")
    if math.isclose(lr, 1e-4, rel_tol=1e-6):
        judge.fail("the batch is 4× larger, so each step averages 4× as many gradients (less noise): the linear scaling "
                   "rule multiplies the learning rate by the same factor")
    if math.isclose(lr, 2e-4, rel_tol=1e-6):
        judge.fail("that is the square-root rule (lr × √4); the exercise asks for the linear rule (lr × 4)")
    if math.isclose(lr, 2.5e-5, rel_tol=1e-6):
        judge.fail("a larger batch takes a larger step under the linear rule, not a smaller one: lr × 4")
    if not math.isclose(lr, 4e-4, rel_tol=1e-6):
        judge.fail(f"lr {lr:g}: multiply 1e-4 by the factor the global batch grew")
    return "--batch-size 64 (16 per GPU × 4) and --lr 4e-4 (1e-4 × 4, the linear scaling rule)"


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson09",
    judge.Exercise(name="data_parallel_gradient", title="The all-reduce by hand", text=r"""
Write `data_parallel_gradient(model, loss_function, inputs, targets, world_size)`: do in one process what
$N$ = `world_size` ranks do. Rank $r$ takes the items `inputs[r::N]` (and their targets), computes the
gradient $g_r$ of `loss_function(model(share), share_targets)` (a mean over its items) with respect to
`list(model.parameters())`, and the all-reduce gives everyone $g = \frac{1}{N}\sum_r g_r$. Return $g$ as a
list, one tensor per parameter. The check compares it with the gradient of the mean loss on the whole
batch (`distributed.batch_gradient`), which the lesson showed is the same.
""",
        hint="""
`torch.autograd.grad(loss, list(model.parameters()))` returns one gradient per parameter and leaves
`.grad` alone (with `loss.backward()` you would have to zero `.grad` before each rank). Then
`[sum(same) / world_size for same in zip(*rank_gradients)]`.
""",
        stub=judge.function_stub("data_parallel_gradient(model, loss_function, inputs, targets, world_size)",
                                 "The mean over ranks of each rank's gradient on inputs[rank::world_size]; "
                                 "a list, one tensor per parameter.",
                                 imports=("import torch",)),
        solution=solutions.data_parallel_gradient,
    ),
    judge.Exercise(name="fake_quantize_int8", title="Symmetric int8, one scale per tensor", text=r"""
Static quantisation fixes a tensor's scale $S$ before deployment, from **calibration** data: symmetric int8
maps the largest $|x|$ seen in calibration to 127, $S = \max|x_{cal}| / 127$. A value $r$ is then stored as
$q = \mathrm{clamp}(\mathrm{round}(r/S), -127, 127)$ and read back as $S\,q$ (Jacob et al. 2018, eq. 1 with
zero point 0). Write `fake_quantize_int8(values, calibration)` that returns $S\,q$ for every value (what an
ONNX `QuantizeLinear -> DequantizeLinear` pair does). Values beyond the calibrated range saturate.
""",
        hint="""
`calibration.abs().max() / 127`, then `torch.round`, then `torch.clamp(..., -127, 127)`, then multiply back.
""",
        stub=judge.function_stub("fake_quantize_int8(values, calibration)",
                                 "Round values to the symmetric int8 grid of scale max|calibration| / 127 and back.",
                                 imports=("import torch",)),
        solution=solutions.fake_quantize_int8,
    ),
    judge.Exercise(name="global_batch_and_lr", title="Four GPUs, the same work per GPU", text=r"""
A one-GPU run used `imgsynth-edu train srresnet --batch-size 16 --lr 1e-4`. You move it to 4 GPUs with
`torchrun --nproc_per_node=4 -m imgsynth_edu.cli train srresnet ...`, want every GPU to process 16 patches
per step as before, and follow the **linear scaling rule** (Goyal et al. 2017: when the batch grows $k$-fold,
multiply the learning rate by $k$). Which `--batch-size` and `--lr`? Answer as `(batch_size, lr)`.
""",
        hint="""
In this library `--batch-size` is the global batch: every rank draws the same `B` indices and keeps
`indices[rank::N]`. (Goyal et al. also warm the learning rate up over the first steps; with Adam the rule is a
starting point, not a law.)
""",
        stub="global_batch_and_lr = None  # your answer: (batch_size, lr)",
        solution=r"""
```python
global_batch_and_lr = (64, 4e-4)
```
`--batch-size` is split over the ranks, so 16 per GPU on 4 GPUs is a global batch of 64, 4× the one-GPU
batch; the linear rule multiplies the learning rate by 4. (`--batch-size 16` on 4 GPUs would be 4 patches per GPU:
the same steps as the one-GPU run, only faster.)
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 09: ``[("markdown" | "code", source), ...]``.

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    return judge.render_cells("lesson09", "DDP's arithmetic, int8 rounding, and the batch of a multi-GPU run.", EXERCISES)
