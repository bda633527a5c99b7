"""Exercises of lesson 01 (GAN from scratch): the generator's loss, one training step, the optimal D.

* :func:`check_generator_loss` - ``generator_loss(fake_logits)``, the
  non-saturating loss on logits, against :func:`imgsynth_edu.losses.g_loss_non_saturating`;
* :func:`check_training_step` - ``training_step(generator, discriminator, opt_g, opt_d, real, latent_dim)``:
  one step of Goodfellow et al. (2014), Algorithm 1, watched as it runs (which
  optimizer steps, when gradients are cleared, whether D's loss reaches G) and
  its gradients compared with the library's losses;
* :func:`check_optimal_discriminator` - ``optimal_discriminator(p_data, p_g)``,
  ``D* = p_data / (p_data + p_g)`` (paper, Prop. 1);
* :func:`check_larger_gradient` - a word: which generator loss has the larger
  gradient where ``D(G(z)) = 0.9``.

Wrong answers it recognises include the ones popular tutorials publish: the
generator's loss equal to the discriminator's (or BCE with the fake label), the
discriminator stepped twice and the generator never, a fake batch that is not
detached in the discriminator's step, ``zero_grad`` forgotten, raw scores used as losses.

Lesson: ``01_gan_from_scratch.ipynb``.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F

# Library imports (the references the checks compare with).
from ..data.toy2d import ring_of_gaussians
from ..losses import d_loss_minimax, g_loss_non_saturating, g_loss_saturating
from ..models.gan import MLPDiscriminator, MLPGenerator
from . import _judge as judge
from .solutions import lesson01 as solutions

__all__ = ["EXERCISES", "cells", "check_generator_loss", "check_larger_gradient", "check_optimal_discriminator",
           "check_training_step", "solutions"]


# ----------------------------------------------------------------------------
# Exercise 1: the non-saturating generator loss
# ----------------------------------------------------------------------------
@judge.exercise("generator_loss")
def check_generator_loss(generator_loss) -> str:
    """Check ``generator_loss(fake_logits)`` against ``losses.g_loss_non_saturating``.

    Lesson: ``01_gan_from_scratch.ipynb``.
    """
    rng = torch.Generator().manual_seed(1)
    batches = [torch.linspace(-8, 5, 9), 3 * torch.randn(16, generator=rng)]  # not symmetric: softplus(d) ≠ softplus(-d)
    for logits in batches:
        scores = logits.clone().requires_grad_(True)
        loss = judge.run(generator_loss, scores)
        if not isinstance(loss, torch.Tensor):
            judge.fail(f"you returned a {type(loss).__name__}; return a tensor",
                       hint="the generator needs the loss's gradient: don't call .item() or float() on it")
        if loss.numel() != 1:
            judge.fail(f"the loss has shape {tuple(loss.shape)}; a loss is one number",
                       hint="average over the batch: .mean()")
        judge.require_gradient(loss, "the logits",
                               hint="compute it with torch operations on fake_logits, without .detach(), .item() or torch.no_grad()")
        expected = g_loss_non_saturating(logits)
        d = logits.double()
        if not judge.close(loss.detach().reshape(()), expected, rtol=1e-5, atol=1e-6):
            variants = {
                "saturating": (-F.softplus(d).mean(),
                               "that is the minimax (saturating) loss log(1 − D(G(z))): a valid game (the "
                               "library's loss='minimax'), but its gradient vanishes when D rejects the fakes. "
                               "This exercise asks for the non-saturating −log D(G(z))"),
                "fake label": (F.softplus(d).mean(),
                               "that is the discriminator's loss on fakes (BCE with the fake label 0, −log(1 − D)): "
                               "minimising it, G would make its samples easier to reject. G uses the real label: −log D(G(z))"),
                "raw": (-d.mean(),
                        "you used the raw scores (logits) as the loss (that is the Wasserstein/hinge generator loss); "
                        "the non-saturating loss is −log σ(d)"),
                "probability": (-torch.sigmoid(d).mean(),
                                "you used the probability D(G(z)) itself; the loss is its negative log, −log D(G(z))"),
                "sum": (F.softplus(-d).sum(), "you summed over the batch; average it (.mean()) so the loss does not grow with N"),
            }
            message = judge.match_variant(loss.detach().double().reshape(()), variants, rtol=1e-5, atol=1e-6)
            judge.fail(message or f"for logits {judge.fmt(logits)} expected {expected.item():.5f}, got {loss.item():.5f}",
                       hint="−log D(G(z)) with D = σ(d): −log σ(d) = softplus(−d), averaged over the batch")
        (gradient,) = torch.autograd.grad(loss, scores)
        reference = torch.sigmoid(logits) - 1  # d/dd of softplus(-d), per sample, before the mean
        if not judge.close(gradient, reference / len(logits), rtol=1e-4, atol=1e-7):
            judge.fail("the loss has the right values but not the right gradient",
                       hint="compute it with differentiable torch operations on fake_logits")
    extreme = torch.tensor([-200.0, -50.0, 0.0, 50.0, 200.0])
    loss = judge.run(generator_loss, extreme.clone().requires_grad_(True))
    value = float(torch.as_tensor(loss.detach() if isinstance(loss, torch.Tensor) else loss))
    expected = g_loss_non_saturating(extreme).item()
    if not math.isfinite(value):
        judge.fail(f"for the logits {judge.fmt(extreme)} your loss is {value}: log(sigmoid(d)) underflows to log(0) "
                   "when D is sure a fake is fake", hint="work on logits: −log σ(d) = F.softplus(−d), exact for any d")
    if not math.isclose(value, expected, rel_tol=1e-5):
        judge.fail(f"right for moderate logits, but for {judge.fmt(extreme)} you give {value:.4g} instead of {expected:.4g}",
                   hint="binary_cross_entropy on sigmoid outputs clamps log at −100; "
                        "on logits use F.softplus(−d) or F.binary_cross_entropy_with_logits(d, torch.ones_like(d))")
    return ("equals losses.g_loss_non_saturating (value and gradient) on 30 logits, "
            "exact even at d = −200 where D is certain")


# ----------------------------------------------------------------------------
# Exercise 2: one correct training step
# ----------------------------------------------------------------------------
_LATENT_DIM = 2
_LEARNING_RATE = 0.05
_SEED = 3


class _WatchedSGD:
    """Plain SGD (``θ ← θ - lr·∇θ``) that writes down what the student's code does with it.

    It offers what a training step uses of a ``torch.optim`` optimizer,
    ``zero_grad()`` and ``step()``, and records every call; at each ``step`` it
    keeps a copy of its parameters' gradients, so the check can compare them
    with the gradients the step should have used.
    """

    def __init__(self, params, player: str, journal: list):
        self.params, self.player, self.journal = list(params), player, journal
        self.lr = _LEARNING_RATE

    def zero_grad(self, set_to_none: bool = True):
        self.journal.append((self.player, "zero_grad", None))
        for param in self.params:
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.zero_()

    @torch.no_grad()
    def step(self, closure=None):
        grads = [None if p.grad is None else p.grad.detach().clone() for p in self.params]
        self.journal.append((self.player, "step", grads))
        for param in self.params:
            if param.grad is not None:
                param -= self.lr * param.grad

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}) for the {'generator' if self.player == 'G' else 'discriminator'}"


def _players():
    """A small generator and discriminator for the 8-Gaussian ring, always the same (seeded).

    The discriminator's last bias is set to -2: like a discriminator early in
    training it calls most samples fake (D ≈ 0.12), where the saturating and the
    non-saturating generator losses differ most (their gradients differ by a factor of about 7).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_SEED)
        generator = MLPGenerator(_LATENT_DIM, (2,), hidden_dim=16, n_hidden=2)
        discriminator = MLPDiscriminator((2,), hidden_dim=16, n_hidden=2)
    with torch.no_grad():
        discriminator.net[-1].bias.fill_(-2.0)
    real = ring_of_gaussians().sample(64, torch.Generator().manual_seed(_SEED))  # (64, 2)
    return generator, discriminator, real


def _flat(grads) -> torch.Tensor:
    return torch.cat([g.flatten() for g in grads])


def _reference_gradients(generator, discriminator, real):
    """The gradients of a correct step, and of the usual wrong ones, from the same start and the same noise.

    Returns ``(d_variants, g_variants)``: name -> flattened gradient. The
    correct ones are ``"correct"`` (D) and ``"fresh"``/``"reused"`` (G scored
    on a fresh fake batch, or on the D step's batch again: both are Algorithm 1).
    """
    generator, discriminator = copy.deepcopy(generator), copy.deepcopy(discriminator)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_SEED)
        z_first = torch.randn(len(real), _LATENT_DIM)  # what the student's first torch.randn draws
        z_second = torch.randn(len(real), _LATENT_DIM)  # ... and the second
    d_params, g_params = list(discriminator.parameters()), list(generator.parameters())
    fake = generator(z_first).detach()
    real_scores, fake_scores = discriminator(real), discriminator(fake)  # (64,), (64,)
    d_losses = {
        "correct": d_loss_minimax(real_scores, fake_scores),
        "raw": fake_scores.mean() - real_scores.mean(),
        "raw flipped": real_scores.mean() - fake_scores.mean(),
        "labels swapped": F.softplus(real_scores).mean() + F.softplus(-fake_scores).mean(),
        "only real": F.softplus(-real_scores).mean(),
        "only fake": F.softplus(fake_scores).mean(),
    }
    d_variants = {name: _flat(torch.autograd.grad(loss, d_params, retain_graph=True)) for name, loss in d_losses.items()}
    with torch.no_grad():  # the correct D step, with the check's SGD
        for param, grad in zip(d_params, torch.autograd.grad(d_losses["correct"], d_params)):
            param -= _LEARNING_RATE * grad
    g_variants = {}
    for batch, z in (("fresh", z_second), ("reused", z_first)):
        scores = discriminator(generator(z))  # (64,)
        g_losses = {
            "": g_loss_non_saturating(scores),
            " fake label": F.softplus(scores).mean(),
            " saturating": g_loss_saturating(scores),
            " raw": -scores.mean(),
        }
        for name, loss in g_losses.items():
            g_variants[batch + name] = _flat(torch.autograd.grad(loss, g_params, retain_graph=True))
    return d_variants, g_variants


def _same_direction(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to a positive factor (a discriminator loss halved, as pix2pix does, is still right)."""
    return judge.cosine(a, b) > 0.99999


def _same_gradient(a: torch.Tensor, b: torch.Tensor) -> bool:
    """The same direction and the same length (to 2 %): how the generator's losses are told apart."""
    return _same_direction(a, b) and abs(float(a.norm() / b.norm()) - 1) < 0.02


@judge.exercise("training_step")
def check_training_step(training_step) -> str:
    """Run ``training_step`` once on a watched toy GAN and judge what it did.

    Lesson: ``01_gan_from_scratch.ipynb``.
    """
    generator, discriminator, real = _players()
    d_variants, g_variants = _reference_gradients(generator, discriminator, real)
    journal: list = []
    opt_g = _WatchedSGD(generator.parameters(), "G", journal)
    opt_d = _WatchedSGD(discriminator.parameters(), "D", journal)
    for param in list(generator.parameters()) + list(discriminator.parameters()):
        param.grad = torch.full_like(param, math.nan)  # stale gradients: they must be cleared before each backward
    hooks = [param.register_hook(lambda grad: journal.append(("G", "gradient", None)))
             for param in generator.parameters()]
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_SEED)
            result = judge.run(training_step, generator, discriminator, opt_g, opt_d, real.clone(), _LATENT_DIM)
    finally:
        for hook in hooks:
            hook.remove()

    steps = [(player, grads) for player, kind, grads in journal if kind == "step"]
    d_steps = sum(player == "D" for player, _ in steps)
    g_steps = sum(player == "G" for player, _ in steps)
    if (d_steps, g_steps) != (1, 1):
        if g_steps == 0 and d_steps >= 2:
            judge.fail(f"opt_d.step() was called {d_steps} times and opt_g.step() never: the generator never learns",
                       hint="after g_loss.backward() call opt_g.step(), not opt_d.step() (a copy-paste slip?)")
        if g_steps == 0:
            judge.fail("opt_g.step() was never called: the generator never learns",
                       hint="finish the generator's half with opt_g.zero_grad(); g_loss.backward(); opt_g.step()")
        if d_steps == 0:
            judge.fail("opt_d.step() was never called: the discriminator never learns",
                       hint="d_loss.backward() then opt_d.step()")
        judge.fail(f"opt_d.step() was called {d_steps} times and opt_g.step() {g_steps} times; one step of each is expected",
                   hint="one training step = one discriminator update, then one generator update")
    d_index = next(i for i, (player, _) in enumerate(steps) if player == "D")
    g_index = next(i for i, (player, _) in enumerate(steps) if player == "G")
    if g_index < d_index:
        judge.fail("the generator stepped before the discriminator",
                   hint="Algorithm 1 updates D first (on real + detached fake), then G against the updated D")
    d_grads = steps[d_index][1]
    if all(g is None for g in d_grads):
        judge.fail("when opt_d.step() ran, the discriminator had no gradient",
                   hint="the order is opt_d.zero_grad(); d_loss.backward(); opt_d.step(): zero_grad after backward erases it")
    if any(g is not None and torch.isnan(g).any() for g in d_grads):
        judge.fail("when opt_d.step() ran, D's gradients still held leftovers from before this step: zero_grad() was forgotten",
                   hint="call opt_d.zero_grad() before d_loss.backward(); gradients add up across backward() calls")
    d_position = next(i for i, (player, kind, _) in enumerate(journal) if (player, kind) == ("D", "step"))
    if any(entry[:2] == ("G", "gradient") for entry in journal[:d_position]):
        judge.fail("the discriminator's loss sent gradients into the generator: the fake batch was not detached",
                   hint="in D's step use fake = generator(z).detach() (or make it under torch.no_grad()): "
                        "otherwise D's loss pushes G towards samples that are easier to reject, or at best wastes work")
    g_grads = steps[g_index][1]
    if all(g is None for g in g_grads):
        judge.fail("when opt_g.step() ran, the generator had no gradient",
                   hint="the generator's loss must come from a fake batch that is NOT detached: "
                        "g_loss = generator_loss(discriminator(generator(z))); g_loss.backward(); opt_g.step()")
    if any(g is not None and torch.isnan(g).any() for g in g_grads):
        judge.fail("when opt_g.step() ran, G's gradients still held leftovers from before: zero_grad() was forgotten",
                   hint="call opt_g.zero_grad() before g_loss.backward()")

    d_grad = _flat([torch.zeros_like(p) if g is None else g for p, g in zip(discriminator.parameters(), d_grads)])
    if not _same_direction(d_grad, d_variants["correct"]):
        messages = {
            "raw": "you used raw D outputs (logits) as the discriminator's loss (the Wasserstein critic's loss, "
                   "which needs a Lipschitz D); use the BCE on logits, losses.d_loss_minimax(real_scores, fake_scores)",
            "raw flipped": "you used raw D outputs (logits) as the discriminator's loss; use the BCE on logits, "
                           "losses.d_loss_minimax(real_scores, fake_scores)",
            "labels swapped": "the labels are swapped: D must call real samples real (1) and fakes fake (0)",
            "only real": "the discriminator's loss uses only the real batch; it needs the fake batch too",
            "only fake": "the discriminator's loss uses only the fake batch; it needs the real batch too",
        }
        found = next((text for name, text in messages.items() if _same_direction(d_grad, d_variants[name])), None)
        judge.fail(found or f"D's gradient is not that of the discriminator's loss on this real batch and a detached fake "
                            f"batch (cosine {judge.cosine(d_grad, d_variants['correct']):.3f})",
                   hint="d_loss = losses.d_loss_minimax(discriminator(real), discriminator(fake)), with "
                        "fake = generator(torch.randn(len(real), latent_dim)).detach()")
    g_grad = _flat([torch.zeros_like(p) if g is None else g for p, g in zip(generator.parameters(), g_grads)])
    if not (_same_gradient(g_grad, g_variants["fresh"]) or _same_gradient(g_grad, g_variants["reused"])):
        messages = {
            " fake label": "your generator descends the discriminator's loss (g_loss = d_loss, or BCE with the fake "
                           "label 0): it learns to make its samples *easier* to reject",
            " saturating": "that is the minimax (saturating) generator loss log(1 − D(G(z))) (the library's "
                           "loss='minimax'): a valid game, but its gradient vanishes while D rejects the fakes; "
                           "use the non-saturating −log D(G(z))",
            " raw": "you used raw D outputs (logits) as the generator's loss; use −log D(G(z)) = softplus(−d)",
        }
        found = next((text for name, text in messages.items()
                      if any(_same_gradient(g_grad, g_variants[batch + name]) for batch in ("fresh", "reused"))), None)
        batch = "fresh" if judge.cosine(g_grad, g_variants["fresh"]) >= judge.cosine(g_grad, g_variants["reused"]) else "reused"
        if found is None and _same_direction(g_grad, g_variants[batch]):
            ratio = float(g_grad.norm() / g_variants[batch].norm())
            found = (f"G's gradient points the right way but is {ratio:.3g} times as long as the non-saturating "
                     "loss's" + (": did you sum over the batch instead of averaging?" if ratio > 2 else ""))
        judge.fail(found or f"G's gradient is not that of the non-saturating loss against the updated discriminator "
                            f"(cosine {judge.cosine(g_grad, g_variants[batch]):.3f})",
                   hint="g_loss = losses.g_loss_non_saturating(discriminator(generator(z))) with a fresh z, after D's step")
    if not isinstance(result, dict) or not {"d_loss", "g_loss"} <= set(result):
        judge.fail(f"the step worked, but return {{'d_loss': ..., 'g_loss': ...}} (got {type(result).__name__})",
                   hint="return {'d_loss': d_loss.item(), 'g_loss': g_loss.item()}")
    batch = "a fresh" if _same_gradient(g_grad, g_variants["fresh"]) else "the D step's"
    return (f"D stepped once on real + detached fake, then G once on {batch} fake batch against the updated D; "
            "gradients cleared before each backward; both gradients equal Algorithm 1's with the library's losses")


# ----------------------------------------------------------------------------
# Exercise 3: the optimal discriminator
# ----------------------------------------------------------------------------
def _gaussian(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


@judge.exercise("optimal_discriminator")
def check_optimal_discriminator(optimal_discriminator) -> str:
    """Check ``optimal_discriminator(p_data, p_g)`` = ``p_data / (p_data + p_g)`` (Goodfellow et al. 2014, Prop. 1).

    Lesson: ``01_gan_from_scratch.ipynb``.
    """
    x = np.linspace(-4, 5, 91)
    p_data, p_g = _gaussian(x, 0.0, 1.0), _gaussian(x, 1.5, 0.7)
    result = judge.as_tensor(judge.run(optimal_discriminator, p_data.copy(), p_g.copy()), "optimal_discriminator(p_data, p_g)")
    expected = torch.from_numpy(p_data / (p_data + p_g))
    if result.shape != expected.shape:
        judge.fail(f"expected one value per point, shape {tuple(expected.shape)}, got {tuple(result.shape)}",
                   hint="the formula works element by element on the two density arrays")
    if not judge.close(result, expected, rtol=1e-6, atol=1e-9):
        variants = {
            "fake": (torch.from_numpy(p_g / (p_data + p_g)),
                     "you returned p_g / (p_data + p_g): the probability that x is *fake*; D(x) is the probability of real"),
            "ratio": (torch.from_numpy(p_data / p_g),
                      f"you returned the density ratio p_data / p_g (up to {np.max(p_data / p_g):.3g}); "
                      "a discriminator's output is a probability in [0, 1]"),
            "data": (torch.from_numpy(p_data), "you returned p_data itself; D* compares it with p_g"),
            "half": (torch.full_like(expected, 0.5), "D* = 1/2 only where p_g = p_data, i.e. at the end of training"),
        }
        message = judge.match_variant(result, variants, rtol=1e-6, atol=1e-9)
        judge.fail(message or f"expected {judge.fmt(expected)}, got {judge.fmt(result)}",
                   hint="D*(x) = p_data(x) / (p_data(x) + p_g(x))")
    same = judge.as_tensor(judge.run(optimal_discriminator, p_data.copy(), p_data.copy()), "optimal_discriminator(p, p)")
    if not judge.close(same, torch.full_like(same, 0.5), rtol=0, atol=1e-9):
        judge.fail("when p_g = p_data the optimal discriminator must be 1/2 everywhere", hint="p / (p + p) = 1/2")
    return "D* = p_data / (p_data + p_g) on 91 points of two Gaussians, and 1/2 everywhere when p_g = p_data"


# ----------------------------------------------------------------------------
# Exercise 4: which loss gives the larger gradient at D(G(z)) = 0.9?
# ----------------------------------------------------------------------------
@judge.exercise("larger_gradient")
def check_larger_gradient(choice: str) -> str:
    """Check the answer ``"saturating"`` or ``"non-saturating"``, measured with the library's losses.

    Lesson: ``01_gan_from_scratch.ipynb``.
    """
    choice = judge.answer(choice)
    words = {"saturating": "saturating", "minimax": "saturating", "non-saturating": "non-saturating",
             "nonsaturating": "non-saturating", "non saturating": "non-saturating"}
    picked = words.get(str(choice).strip().lower())
    if picked is None:
        judge.fail(f"answer 'saturating' or 'non-saturating', got {choice!r}")
    logit = torch.tensor([math.log(0.9 / 0.1)], requires_grad=True)  # D(G(z)) = σ(logit) = 0.9
    gradients = {}
    for name, loss_fn in (("saturating", g_loss_saturating), ("non-saturating", g_loss_non_saturating)):
        (grad,) = torch.autograd.grad(loss_fn(logit), logit)
        gradients[name] = abs(grad.item())
    larger = max(gradients, key=gradients.get)
    if picked != larger:
        judge.fail(f"at D(G(z)) = 0.9 the gradients with respect to the logit are {gradients['saturating']:.2f} "
                   f"(saturating) and {gradients['non-saturating']:.2f} (non-saturating)",
                   hint="d/dd of log(1 − σ(d)) is −σ(d); of −log σ(d) it is σ(d) − 1")
    return (f"|∂L/∂d| = {gradients['saturating']:.2f} (saturating) vs {gradients['non-saturating']:.2f} "
            "(non-saturating); it hardly matters, because there G already fools D")


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson01",
    judge.Exercise(name="generator_loss", title="The non-saturating generator loss, on logits", text=r"""
Our discriminators return a **logit** $\ell$ per sample, with $D = \operatorname{sigmoid}(\ell)$. Write
`generator_loss(fake_logits)`: the non-saturating loss $-\frac1N\sum_i \log D(G(z_i))$ as one number,
exact for any logit (the check tries $\ell = -200$, where $D$ is certain the sample is fake).
""",
        hint=r"""
$-\log\operatorname{sigmoid}(\ell) = \operatorname{softplus}(-\ell)$: `F.softplus(-fake_logits).mean()`. Computing
`torch.log(torch.sigmoid(d))` underflows to $\log 0$ for very negative $\ell$.
""",
        stub=judge.function_stub("generator_loss(fake_logits)",
                                 "-mean log D(G(z)) from the discriminator's logits on a fake batch.",
                                 imports=("import torch", "import torch.nn.functional as F")),
        solution=solutions.generator_loss,
    ),
    judge.Exercise(name="training_step", title="One correct training step", text=r"""
Write `training_step(generator, discriminator, opt_g, opt_d, real, latent_dim)`: one step of
Algorithm 1 (Goodfellow et al. 2014). First the **discriminator**: draw
`z = torch.randn(len(real), latent_dim)`, score the real batch and a **detached** fake batch, loss
`losses.d_loss_minimax(real_scores, fake_scores)`, and step only `opt_d`. Then the **generator**: a
fresh fake batch (not detached), scored by the updated discriminator, loss
`losses.g_loss_non_saturating(...)` (or your `generator_loss`), and step only `opt_g`. Clear each
optimizer's gradients before its `backward()`. Return `{"d_loss": ..., "g_loss": ...}`.

The check runs your step once on a small toy GAN and watches it: which optimizer steps, when
gradients are cleared, whether the discriminator's loss reaches the generator, and whether both
gradients are those of the two losses.
""",
        hint="""
Per player: `opt.zero_grad()`, `loss.backward()`, `opt.step()`. In the discriminator's half use
`generator(z).detach()`; in the generator's half, do not detach. `step()` belongs to the optimizer,
not to the network.
""",
        stub=judge.function_stub("training_step(generator, discriminator, opt_g, opt_d, real, latent_dim)",
                                 'One discriminator update, then one generator update; returns {"d_loss": ..., "g_loss": ...}.',
                                 imports=("import torch", "", "from imgsynth_edu import losses")),
        solution=solutions.training_step,
    ),
    judge.Exercise(name="optimal_discriminator", title="The optimal discriminator", text=r"""
For a fixed generator with density $p_g$, the best discriminator is
$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}$ (Goodfellow et al. 2014, Prop. 1).
Write `optimal_discriminator(p_data, p_g)` for two arrays of density values on the same points.
""",
        hint="""
It works element by element: NumPy arrays (or tensors) divide point by point. $D^*$ is the
probability that $x$ is **real**, so it is between 0 and 1.
""",
        stub=judge.function_stub("optimal_discriminator(p_data, p_g)",
                                 "D*(x) at each point, from the two densities at those points."),
        solution=solutions.optimal_discriminator,
    ),
    judge.Exercise(name="larger_gradient", title="Where the saturating loss is steeper", text=r"""
In section 3, which generator loss gives the larger gradient (with respect to the logit) when
$D(G(z)) = 0.9$: `"saturating"` or `"non-saturating"`? Why does that not matter in practice?
""",
        hint=r"""
$\partial_\ell \log(1 - \operatorname{sigmoid}(\ell)) = -\operatorname{sigmoid}(\ell)$ and $\partial_\ell\,[-\log\operatorname{sigmoid}(\ell)] = \operatorname{sigmoid}(\ell) - 1$.
""",
        stub='larger_gradient = None  # "saturating" or "non-saturating"',
        solution=r"""
```python
larger_gradient = "saturating"
```

$|\partial L/\partial \ell| = \operatorname{sigmoid}(\ell) = 0.9$ against
$1 - \operatorname{sigmoid}(\ell) = 0.1$. It does not matter, because at $D(G(z)) = 0.9$ the generator already fools
the discriminator; what matters is the other end, $D(G(z)) \approx 0$ early in training, where
the saturating loss's gradient vanishes and the non-saturating one's does not.
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 01: ``[("markdown" | "code", source), ...]``.

    Lesson: ``01_gan_from_scratch.ipynb``.
    """
    return judge.render_cells("lesson01", "The GAN game in code: its loss, its loop, its optimum.", EXERCISES)
