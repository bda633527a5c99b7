"""Exercises of lesson 07 (diffusion): the forward process in closed form, the simple loss, one DDIM step.

* :func:`check_noisy_sample` - ``noisy_sample(x0, t, noise, alpha_bars)``,
  ``x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε`` (Ho et al. 2020, eq. 4), against
  :meth:`imgsynth_edu.models.diffusion.NoiseSchedule.q_sample`;
* :func:`check_simple_loss` - ``simple_loss(denoiser, x0, t, noise, alpha_bars)``,
  ``mean ‖ε - ε_θ(x_t, t)‖²`` (Ho eq. 14), against the library's computation
  (:func:`imgsynth_edu.models.diffusion.diffusion_loss` with the draws fixed);
* :func:`check_ddim_step` - ``ddim_step(xt, eps, t, t_previous, alpha_bars)``:
  one deterministic DDIM step (Song et al. 2021, eq. 12 with ``σ = 0``), against
  ``NoiseSchedule.predict_x0`` and the step of :func:`~imgsynth_edu.models.diffusion.ddim_sample`;
* :func:`check_guided_evaluations` - a number: network evaluations per sample of
  guided DDIM with 50 steps.

Wrong answers it recognises include diffusion's classic slips: ``ᾱ_t`` where
``√ᾱ_t`` belongs, the schedule read one step off (``alpha_bars[t - 1]``),
``β_t`` or ``α_t`` in place of ``ᾱ_t``, a network trained to predict ``x_0``
with the ``ε`` target's loss, a DDIM step that forgets to re-noise, or that keeps ``ᾱ_t``.

Lesson: ``07_diffusion_vs_gan.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Library imports (the references the checks compare with).
from ..models.diffusion import MLPDenoiser, NoiseSchedule
from . import _judge as judge
from .solutions import lesson07 as solutions

__all__ = ["EXERCISES", "cells", "check_ddim_step", "check_guided_evaluations", "check_noisy_sample",
           "check_simple_loss", "solutions"]

_T = 50


def _schedule() -> NoiseSchedule:
    return NoiseSchedule.cosine(_T)


def _inputs(shape, seed: int):
    """Seeded ``x0``, ``noise`` (float64) and timesteps covering both ends (1 and T) and the middle."""
    rng = torch.Generator().manual_seed(seed)
    x0 = torch.rand(shape, generator=rng, dtype=torch.float64) * 2 - 1  # model space, [-1, 1]
    noise = torch.randn(shape, generator=rng, dtype=torch.float64)
    t = torch.tensor([1, _T, 7, 25, 40, 13][: shape[0]])  # (N,)
    return x0, noise, t


def _per_sample(table: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return table[t].to(like.dtype).view(-1, *([1] * (like.ndim - 1)))  # (N, 1, ...)


# ----------------------------------------------------------------------------
# Exercise 1: q(x_t | x_0) in closed form
# ----------------------------------------------------------------------------
@judge.exercise("noisy_sample")
def check_noisy_sample(noisy_sample) -> str:
    """Check ``noisy_sample(x0, t, noise, alpha_bars)`` against ``NoiseSchedule.q_sample``.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    schedule = _schedule()
    for shape, seed in (((6, 2), 0), ((4, 1, 5, 5), 1)):
        x0, noise, t = _inputs(shape, seed)
        try:
            result = judge.run(noisy_sample, x0.clone(), t.clone(), noise.clone(), schedule.alpha_bars.clone())
        except judge.ExerciseError as error:
            if "must match the size" not in str(error):
                raise
            judge.fail(f"alpha_bars[t] has shape ({shape[0]},) and does not broadcast against x0 of shape {tuple(shape)}",
                       hint="reshape ᾱ_t to (N, 1, ...): alpha_bars[t].view(-1, *[1] * (x0.ndim - 1))")
        result = judge.as_tensor(result, "noisy_sample's result")
        expected = schedule.q_sample(x0, t, noise)
        if result.shape != expected.shape:
            judge.fail(f"for x0 of shape {tuple(shape)} you returned shape {tuple(result.shape)}",
                       hint="pick ᾱ_t for each sample and reshape it to (N, 1, ...) so it broadcasts against x0")
        if judge.close(result, expected, rtol=1e-6, atol=1e-9):
            continue
        a = _per_sample(schedule.alpha_bars, t, x0)
        a_off = _per_sample(schedule.alpha_bars, (t - 1).clamp(min=0), x0)
        alphas = _per_sample(schedule.alphas, t, x0)
        variants = {
            "no sqrt": (a * x0 + (1 - a) * noise,
                        "you used ᾱ_t and 1 − ᾱ_t as the coefficients: they are the *variances*; "
                        "x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε"),
            "std": (a.sqrt() * x0 + (1 - a) * noise,
                    "the noise is scaled by 1 − ᾱ_t, its variance; scale it by the standard deviation √(1 − ᾱ_t)"),
            "off by one": (a_off.sqrt() * x0 + (1 - a_off).sqrt() * noise,
                           "you read the schedule one step off (alpha_bars[t − 1]): in the course's tables "
                           "entry t *is* ᾱ_t (entry 0 is 'no noise', ᾱ_0 = 1)"),
            "alpha": (alphas.sqrt() * x0 + (1 - alphas).sqrt() * noise,
                      "that is one step q(x_t | x_{t−1}) with α_t = 1 − β_t; from x_0 in one jump you need "
                      "the product ᾱ_t = α_1 ⋯ α_t"),
            "sum to one": (a.sqrt() * x0 + (1 - a.sqrt()) * noise,
                           "the coefficients must keep the variance at 1 (ᾱ_t + (1 − ᾱ_t) = 1), not sum to 1: "
                           "√(1 − ᾱ_t), not 1 − √ᾱ_t"),
        }
        message = judge.match_variant(result, variants, rtol=1e-6, atol=1e-9)
        judge.fail(message or f"at t = {judge.fmt(t)} expected {judge.fmt(expected)}, got {judge.fmt(result)}",
                   hint="x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε with ᾱ_t = alpha_bars[t], one per sample")
    return "equals NoiseSchedule.q_sample on points and on images, t from 1 to T"


# ----------------------------------------------------------------------------
# Exercise 2: the simple loss
# ----------------------------------------------------------------------------
class _RecordingDenoiser(torch.nn.Module):
    """A small fixed ε-network for points that writes down what it was called with."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = MLPDenoiser(data_dim=2, hidden_dim=16, n_hidden=1, time_dim=8)
        self.calls = []

    def forward(self, x, t, labels=None):
        self.calls.append((x.detach().clone(), torch.as_tensor(t).clone()))
        return self.net(x.float(), t).double()  # the time code is float32: run in float32, answer in float64


@judge.exercise("simple_loss")
def check_simple_loss(simple_loss) -> str:
    """Check ``simple_loss(denoiser, x0, t, noise, alpha_bars)``: value, gradient, and what the network saw.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    schedule = _schedule()
    state = torch.random.get_rng_state()
    denoiser = _RecordingDenoiser()
    torch.random.set_rng_state(state)
    x0, noise, t = _inputs((6, 2), 2)
    loss = judge.run(simple_loss, denoiser, x0.clone(), t.clone(), noise.clone(), schedule.alpha_bars.clone())
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        judge.fail(f"a loss is one number (a tensor); you returned {type(loss).__name__} "
                   f"{'of shape ' + str(tuple(loss.shape)) if isinstance(loss, torch.Tensor) else ''}",
                   hint="average the squared error over the batch and the coordinates: F.mse_loss(prediction, noise)")
    if not loss.requires_grad:
        judge.fail("the loss is detached from the network: training would not change it",
                   hint="compute it with torch operations on the network's output, without .item() or torch.no_grad()")
    xt = schedule.q_sample(x0, t, noise)
    with torch.no_grad():
        prediction = denoiser.net(xt.float(), t).double()
        on_x0 = denoiser.net(x0.float(), t).double()
    expected = F.mse_loss(prediction, noise)
    value = loss.detach().double().reshape(())
    if not judge.close(value, expected, rtol=1e-6, atol=1e-9):
        variants = {
            "x0 target": (F.mse_loss(prediction, x0),
                          "you compared the network's output with x_0: this network predicts the noise ε "
                          "(and the samplers read its output as ε), so its target is ε"),
            "xt target": (F.mse_loss(prediction, xt), "you compared the network's output with x_t; the target is ε"),
            "clean input": (F.mse_loss(on_x0, noise),
                            "you gave the network the clean x_0: it must see the noisy x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε"),
            "sum": (((prediction - noise) ** 2).sum(),
                    "you summed the squared errors; average them (mean) so the loss does not grow with N"),
            "l1": ((prediction - noise).abs().mean(), "that is the L1 error; the simple loss is the squared error"),
        }
        message = judge.match_variant(value, variants, rtol=1e-6, atol=1e-9)
        judge.fail(message or f"expected {expected.item():.6f}, got {value.item():.6f}",
                   hint="x_t from x_0 and ε (exercise 1), then mean((ε − denoiser(x_t, t))²)")
    if not denoiser.calls or not torch.equal(denoiser.calls[-1][1].long(), t):
        judge.fail("the network was not called with the timesteps t", hint="denoiser(x_t, t): it needs to know the noise level")
    loss.backward()
    if all(p.grad is None or not p.grad.abs().sum() > 0 for p in denoiser.net.parameters()):
        judge.fail("no gradient reached the network's weights", hint="don't detach the network's output")
    return "equals mean((ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t))²), with gradients reaching the network"


# ----------------------------------------------------------------------------
# Exercise 3: one DDIM step
# ----------------------------------------------------------------------------
@judge.exercise("ddim_step")
def check_ddim_step(ddim_step) -> str:
    """Check ``ddim_step(xt, eps, t, t_previous, alpha_bars)`` (η = 0, no clipping) on several jumps.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    schedule = _schedule()
    rng = torch.Generator().manual_seed(3)
    for t, t_previous in ((40, 30), (_T, 1), (12, 11), (5, 0)):
        xt = torch.randn(3, 2, generator=rng, dtype=torch.float64)
        eps = torch.randn(3, 2, generator=rng, dtype=torch.float64)
        result = judge.as_tensor(judge.run(ddim_step, xt.clone(), eps.clone(), t, t_previous, schedule.alpha_bars.clone()),
                                 "ddim_step's result")
        step = torch.full((3,), t)
        x0 = schedule.predict_x0(xt, step, eps)
        a, a_prev = schedule.alpha_bars[t], schedule.alpha_bars[t_previous]
        expected = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps  # Song eq. 12, σ = 0
        if judge.close(result, expected, rtol=1e-6, atol=1e-9):
            continue
        wrong_x0 = (xt + (1 - a).sqrt() * eps) / a.sqrt()
        variants = {
            "x0 only": (x0, "you returned the predicted x_0: DDIM then moves back to the noise level of "
                            "t_previous, x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s) ε̂"),
            "same t": (xt, "you re-noised to the same level t: use ᾱ of t_previous for the way back"),
            "sign": (a_prev.sqrt() * wrong_x0 + (1 - a_prev).sqrt() * eps,
                     "x̂_0 has the wrong sign on ε: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε gives "
                     "x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t"),
            "no sqrt": (a_prev * (xt - (1 - a) * eps) / a + (1 - a_prev) * eps,
                        "you used ᾱ and 1 − ᾱ where their square roots belong"),
            "fresh noise": (a_prev.sqrt() * x0,
                            "you dropped the 'direction to x_t' term √(1 − ᾱ_s) ε̂: deterministic DDIM re-uses ε̂"),
        }
        message = judge.match_variant(result, variants, rtol=1e-6, atol=1e-9)
        judge.fail(message or f"for t = {t} → {t_previous} expected {judge.fmt(expected)}, got {judge.fmt(result)}",
                   hint="x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, then x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s) ε̂ with s = t_previous")
    return "equals Song et al.'s eq. 12 (η = 0) for jumps of 10, 49, 1 steps and the last one to t = 0"


# ----------------------------------------------------------------------------
# Exercise 4: the cost of guidance
# ----------------------------------------------------------------------------
@judge.exercise("guided_evaluations")
def check_guided_evaluations(value) -> str:
    """Check the number of network evaluations per sample of guided DDIM with 50 steps (w > 0).

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    value = judge.answer(value)
    if not isinstance(value, int) or isinstance(value, bool):
        judge.fail(f"give a whole number of evaluations, got {type(value).__name__} {value!r}")
    if value == 50:
        judge.fail("50 is the number of steps; classifier-free guidance needs ε(x, y) *and* ε(x, ∅) at every step",
                   hint="ε̃ = (1 + w) ε(x_t, y) − w ε(x_t, ∅)")
    if value in (1000, 2000):
        judge.fail("DDIM does not visit all T = 1000 timesteps: it jumps along 50 of them")
    if value == 1:
        judge.fail("one evaluation is what a GAN needs (one pass of G); a diffusion model runs its network at every step")
    if value != 100:
        judge.fail(f"{value} evaluations: count the network calls per step, then the steps")
    return "50 steps × 2 evaluations (conditional and unconditional): 100 times the cost of one pass"


EXERCISES = judge.lesson_exercises("lesson07",
    judge.Exercise(name="noisy_sample", title="The forward process in one jump", text=r"""
Adding Gaussian noise $T$ times collapses into one draw (Ho et al. 2020, eq. 4):
$q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1-\bar\alpha_t) I\big)$, so
$x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon$. Write
`noisy_sample(x0, t, noise, alpha_bars)`: `x0` and `noise` of shape `(N, ...)`, `t` an `(N,)` tensor of
timesteps in $1..T$, `alpha_bars` the table of $\bar\alpha_t$ for $t = 0..T$ (entry $t$ is $\bar\alpha_t$).
""",
        hint="""
`alpha_bars[t]` has shape `(N,)`; reshape it to `(N, 1, ...)` (`.view(-1, *[1] * (x0.ndim - 1))`) so it
multiplies each sample. The coefficients are the square roots of the variances.
""",
        stub=judge.function_stub("noisy_sample(x0, t, noise, alpha_bars)",
                                 "x_t = √ᾱ_t · x0 + √(1 - ᾱ_t) · noise, with ᾱ_t = alpha_bars[t] for each sample."),
        solution=solutions.noisy_sample,
    ),
    judge.Exercise(name="simple_loss", title="The simple loss", text=r"""
Ho et al. train the network $\varepsilon_\theta$ to recognise the noise that made $x_t$ (eq. 14):
$L_{simple} = \operatorname{mean} \lVert \varepsilon - \varepsilon_\theta(x_t, t) \rVert^2$ with $x_t$ from
exercise 1. Write `simple_loss(denoiser, x0, t, noise, alpha_bars)` (call the network as `denoiser(x_t, t)`;
you may call your `noisy_sample`).
""",
        hint="""
Make $x_t$ first, then compare the network's output with `noise` - not with `x0`: the samplers read the
output as $\\varepsilon$. `F.mse_loss(prediction, noise)` averages over everything.
""",
        stub=judge.function_stub("simple_loss(denoiser, x0, t, noise, alpha_bars)",
                                 "mean((noise - denoiser(x_t, t))²) with x_t = √ᾱ_t x0 + √(1 - ᾱ_t) noise."),
        solution=solutions.simple_loss,
    ),
    judge.Exercise(name="ddim_step", title="One DDIM step", text=r"""
Deterministic DDIM (Song et al. 2021, eq. 12 with $\sigma = 0$) jumps from step $t$ to an earlier step $s$:
first the predicted $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon)/\sqrt{\bar\alpha_t}$, then
$x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\hat\varepsilon$. Write
`ddim_step(xt, eps, t, t_previous, alpha_bars)` (`t`, `t_previous` are integers, `t_previous < t`; no clipping).
""",
        hint="""
Solve exercise 1's formula for $x_0$ with the predicted noise, then apply it again at the level `t_previous`,
re-using the same $\\hat\\varepsilon$ (that is what makes it deterministic).
""",
        stub=judge.function_stub("ddim_step(xt, eps, t, t_previous, alpha_bars)",
                                 "x_{t_previous} from x_t and the predicted noise eps (DDIM, η = 0)."),
        solution=solutions.ddim_step,
    ),
    judge.Exercise(name="guided_evaluations", title="What guidance costs", text=r"""
With classifier-free guidance, $\tilde\varepsilon = (1 + w)\,\varepsilon_\theta(x_t, y) - w\,\varepsilon_\theta(x_t, \varnothing)$.
How many evaluations of the network does **one** sample of `ddpm-mnist` cost with DDIM, 50 steps and $w > 0$?
(A DCGAN sample costs one.)
""",
        hint="Count the network calls in one step, then the steps.",
        stub="guided_evaluations = None  # your answer: a whole number",
        solution=r"""
```python
guided_evaluations = 100
```
Two evaluations per step, $\varepsilon_\theta(x_t, y)$ and $\varepsilon_\theta(x_t, \varnothing)$ (the library runs
them as one batch of $2N$), times 50 steps. A DCGAN sample needs one pass of its generator.
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 07: ``[("markdown" | "code", source), ...]``.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    return judge.render_cells("lesson07", "The forward process, the loss and a sampler step of a diffusion model, in code.",
                              EXERCISES)
