"""Exercises of lesson 08 (what the networks see): saliency by hand, integrated gradients' Riemann sum, the sanity verdict.

* :func:`check_gradient_saliency` - ``gradient_saliency(model, images, classes)``, the
  absolute gradient of each image's class score, against
  :func:`imgsynth_edu.interpret.saliency`;
* :func:`check_integrated_gradients_riemann` - ``integrated_gradients_riemann(model, image, target,
  baseline, steps)``, the paper's right Riemann sum, against
  :func:`imgsynth_edu.interpret.integrated_gradients` with ``method="right"``;
* :func:`check_passes_randomisation` - ``passes_randomisation(original_map, randomised_map)``,
  the verdict of the randomisation test for one pair of maps, against
  :func:`imgsynth_edu.interpret.passes_randomisation_test`'s rule (SSIM and
  Spearman of the normalised absolute maps, both below 0.5).

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

# Library imports (the references the checks compare with).
from ..interpret import (
    PASS_THRESHOLDS,
    integrated_gradients,
    normalised_abs_map,
    saliency,
    spearman_rank_correlation,
)
from ..metrics import ssim
from . import _judge as judge
from .solutions import lesson08 as solutions

__all__ = ["EXERCISES", "cells", "check_gradient_saliency", "check_integrated_gradients_riemann",
           "check_passes_randomisation", "solutions"]


def _small_classifier() -> nn.Module:
    """A tiny seeded classifier of 8×8 greyscale images into 3 classes (tanh: its gradient changes along a path)."""
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),  # (N, 1, 8, 8) -> (N, 4, 8, 8)
        nn.Tanh(),
        nn.Flatten(),  # (N, 256)
        nn.Linear(4 * 8 * 8, 3),  # (N, 3)
    )
    generator = torch.Generator().manual_seed(80)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(0.4 * torch.randn(parameter.shape, generator=generator))
    return model.eval()


def _images(count: int = 3) -> torch.Tensor:
    return torch.rand(count, 1, 8, 8, generator=torch.Generator().manual_seed(81))  # (N, 1, 8, 8) in [0, 1]


def _input_gradient(model, images, score) -> torch.Tensor:
    leaf = images.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(score(model(leaf)).sum(), leaf)
    return gradient  # (N, C, H, W)


# ----------------------------------------------------------------------------
# Exercise 1: gradient saliency by hand
# ----------------------------------------------------------------------------
@judge.exercise("gradient_saliency")
def check_gradient_saliency(gradient_saliency) -> str:
    """Check ``gradient_saliency(model, images, classes)`` = ``|∂ logit_class / ∂x|`` per image.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    model, images = _small_classifier(), _images()
    classes = torch.tensor([0, 2, 1])
    result = judge.as_tensor(judge.run(gradient_saliency, model, images.clone(), classes.clone()), "gradient_saliency(...)")
    expected = saliency(model, images, classes).double()  # (3, 1, 8, 8)
    if result.shape != expected.shape:
        judge.fail(f"return one value per input pixel, shape {tuple(expected.shape)}, got {tuple(result.shape)}",
                   hint="the gradient has the shape of the images")
    if judge.close(result, expected, rtol=1e-4, atol=1e-7):
        return "|∂ logit / ∂x| of each image's own class, equal to interpret.saliency on a small tanh network"

    def own(logits: torch.Tensor) -> torch.Tensor:
        return logits[torch.arange(3), classes]  # (N,): each image's own class

    signed = _input_gradient(model, images, own).double()
    variants = {
        "signed": (signed, "the map keeps the gradient's sign; saliency is its absolute value |∂f/∂x|"),
        "all classes": (_input_gradient(model, images, lambda logits: logits.sum(1)).abs().double(),
                        "that is the gradient of the sum of all class scores; explain each image's own class"),
        "probability": (_input_gradient(model, images, lambda logits: own(logits.softmax(1))).abs().double(),
                        "that is the gradient of the softmax probability; saliency explains the class score (the logit)"),
        "times input": ((signed * images.double()).abs(),
                        "that is gradient × input, another method; saliency is the gradient alone"),
    }
    judge.fail(judge.match_variant(result, variants, rtol=1e-4, atol=1e-7) or
               f"the map differs from |∂ logit / ∂x| (first values {judge.fmt(result[0, 0, 0])}, "
               f"expected {judge.fmt(expected[0, 0, 0])})",
               hint="images.requires_grad_(True); logits[range(N), classes].sum().backward() or torch.autograd.grad; .abs()")


# ----------------------------------------------------------------------------
# Exercise 2: integrated gradients by a Riemann sum
# ----------------------------------------------------------------------------
@judge.exercise("integrated_gradients_riemann")
def check_integrated_gradients_riemann(integrated_gradients_riemann) -> str:
    """Check ``integrated_gradients_riemann(model, image, target, baseline, steps)`` (Sundararajan et al. 2017, eq. 3).

    Lesson: ``08_what_networks_see.ipynb``.
    """
    model, images = _small_classifier(), _images(2)
    target, baseline, steps = 1, 0.5, 8
    result = judge.as_tensor(judge.run(integrated_gradients_riemann, model, images.clone(), target, baseline, steps),
                       "integrated_gradients_riemann(...)")
    reference = functools.partial(integrated_gradients, model, images, target, baseline=baseline, steps=steps)
    expected = reference(method="right").double()  # (2, 1, 8, 8)
    if result.shape != expected.shape:
        judge.fail(f"return one attribution per input pixel, shape {tuple(expected.shape)}, got {tuple(result.shape)}")
    if judge.close(result, expected, rtol=1e-4, atol=1e-6):
        return (f"(x − x')·(1/m)·Σ_k ∇f(x' + k/m·(x − x')) for k = 1..{steps}, equal to "
                "interpret.integrated_gradients(..., method='right')")
    difference = (images - baseline).double()  # (2, 1, 8, 8)
    average = expected / difference  # the average gradient along the path (no pixel equals the baseline exactly)
    variants = {
        "left": (reference(method="left").double(),
                 "that is the left Riemann sum (α = 0, 1/m, ..., (m−1)/m); the paper's sum runs k = 1..m, ending at the image"),
        "no difference": (average, "multiply the average gradient by (x − x'): without it the attributions do not add "
                                   "up to f(x) − f(x')"),
        "times image": (average * images.double(), "multiply by (x − x'), not by x: the baseline is grey here, not black"),
        "sum": (expected * steps, f"that is {steps}× too large: average the gradients (divide by steps), don't just add them"),
    }
    judge.fail(judge.match_variant(result, variants, rtol=1e-4, atol=1e-6) or
               f"the attributions differ from the paper's Riemann sum (first values {judge.fmt(result[0, 0, 0])}, "
               f"expected {judge.fmt(expected[0, 0, 0])})",
               hint="for k in 1..steps: point = baseline + k/steps·(image − baseline); gradient of model(point)[:, target]")


# ----------------------------------------------------------------------------
# Exercise 3: the randomisation test's verdict
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _map_pairs() -> dict[str, tuple[torch.Tensor, torch.Tensor, str]]:
    """Pairs ``(original, randomised)`` of ``(1, 1, 28, 28)`` maps, and what each pair tests."""
    generator = torch.Generator().manual_seed(8)

    def smooth() -> torch.Tensor:
        return F.avg_pool2d(torch.randn(1, 1, 36, 36, generator=generator), 9, stride=1)  # (1, 1, 28, 28), signed

    first, second = smooth(), smooth()
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    blob = torch.exp(-((rows - 12) ** 2 + (cols - 15) ** 2) / (2 * 5.0**2))[None, None]  # (1, 1, 28, 28)
    blob = blob + 0.05 * torch.rand(1, 1, 28, 28, generator=generator)
    slightly_changed = blob + 0.02 * torch.rand(1, 1, 28, 28, generator=generator)
    return {
        "unrelated": (first, second, "two unrelated maps: the method followed the weights"),
        "negated and scaled": (first, -2.5 * first, "the randomised map is the original times −2.5: "
                                                   "after |A| and normalisation it is the same map"),
        "same ranks": (blob, blob**6, "the randomised map is the original to the 6th power: SSIM is low, but every "
                                      "pixel keeps its rank (Spearman 1)"),
        "almost equal": (blob, slightly_changed, "the randomised map is the original plus a little noise"),
    }


def _library_verdict(original: torch.Tensor, randomised: torch.Tensor) -> bool:
    a, b = normalised_abs_map(original), normalised_abs_map(randomised)  # (1, 1, H, W) each
    structure = float(ssim(b, a, data_range=1.0))
    ranks = float(spearman_rank_correlation(b, a)[0])
    return structure < PASS_THRESHOLDS["ssim"] and ranks < PASS_THRESHOLDS["spearman"]


@judge.exercise("passes_randomisation")
def check_passes_randomisation(passes_randomisation) -> str:
    """Check ``passes_randomisation(original_map, randomised_map) -> bool`` on four pairs of maps.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    for name, (original, randomised, what) in _map_pairs().items():
        verdict = judge.run(passes_randomisation, original.clone(), randomised.clone())
        if not isinstance(verdict, bool) and not (hasattr(verdict, "item") and getattr(verdict, "numel", lambda: 0)() == 1):
            judge.fail(f"return True or False, got {type(verdict).__name__}: {verdict!r:.60}")
        verdict = bool(verdict)
        expected = _library_verdict(original, randomised)
        if verdict != expected:
            a, b = normalised_abs_map(original), normalised_abs_map(randomised)
            measured = (f"SSIM {float(ssim(b, a, data_range=1.0)):.2f}, "
                        f"Spearman {float(spearman_rank_correlation(b, a)[0]):.2f} of the normalised |maps|")
            hints = {
                "negated and scaled": "take |A|, the maximum over channels, and divide by the maximum before comparing",
                "same ranks": "a method passes only when BOTH similarities are below 0.5 (and), and the rank "
                              "correlation is Spearman's, not Pearson's",
            }
            judge.fail(f"pair '{name}' ({what}): you said {'passes' if verdict else 'fails'}, but it "
                       f"{'passes' if expected else 'fails'} ({measured})",
                       hint=hints.get(name, "normalise both maps, then SSIM (data_range 1) and Spearman, both below 0.5"))
    return ("the verdict on four pairs of maps, as interpret.passes_randomisation_test decides: "
            "SSIM and Spearman of the normalised |maps| both below 0.5")


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson08",
    judge.Exercise(name="gradient_saliency", title="Gradient saliency by hand", text=r"""
Write `gradient_saliency(model, images, classes)`: for images `(N, C, H, W)` and one class per image,
return the saliency map $M = \left|\partial f_{c}(x) / \partial x\right|$ of each image's class score
(logit) $f_c$, of shape `(N, C, H, W)`. The check compares it with `interpret.saliency` on a small network.
""",
        hint="""
Make a copy of the images that requires gradients, pick `logits[torch.arange(N), classes]`, and take
the gradient of their **sum** (each image's score depends only on its own pixels). Then `.abs()`.
""",
        stub=judge.function_stub("gradient_saliency(model, images, classes)",
                                 "|d logit_class / d x| for each image, shape (N, C, H, W).",
                                 imports=("import torch",)),
        solution=solutions.gradient_saliency,
    ),
    judge.Exercise(name="integrated_gradients_riemann", title="Integrated gradients as a Riemann sum", text=r"""
Write `integrated_gradients_riemann(model, image, target, baseline, steps)`: the paper's
approximation (Sundararajan et al. 2017, eq. 3) with $m$ = `steps`,

$$\mathrm{IG}_i(x) \approx (x_i - x'_i)\,\frac{1}{m}\sum_{k=1}^{m}
\frac{\partial f\!\left(x' + \tfrac{k}{m}(x - x')\right)}{\partial x_i},$$

where $f$ is the score of class `target` and `baseline` is the number $x'$ (the check uses grey, 0.5).
""",
        hint="""
A loop over `k = 1 .. steps`: build the point on the path, make it require gradients, take the
gradient of `model(point)[:, target].sum()`, add it up. Finally multiply the **average** by `image - baseline`.
""",
        stub=judge.function_stub("integrated_gradients_riemann(model, image, target, baseline, steps)",
                                 "(x - x') times the average gradient at x' + k/m (x - x'), k = 1..m; shape of image.",
                                 imports=("import torch",)),
        solution=solutions.integrated_gradients_riemann,
    ),
    judge.Exercise(name="passes_randomisation", title="The randomisation test's verdict", text=r"""
Write `passes_randomisation(original_map, randomised_map)` for two attribution maps `(1, C, H, W)`
(the trained model's and the fully randomised model's): normalise each as the lesson does
($\hat A = \max_c |A_c| / \max |A|$), compute their SSIM (`imgsynth_edu.metrics.ssim`,
`data_range=1.0`) and Spearman's rank correlation (`scipy.stats.spearmanr` on the flattened maps),
and return `True` when the method **passes**: both below 0.5.
""",
        hint="""
`attribution.abs().amax(dim=1, keepdim=True)`, then divide by its `.max()`. `spearmanr(a.flatten().numpy(),
b.flatten().numpy()).statistic`. Passing needs *both* similarities low.
""",
        stub=judge.function_stub("passes_randomisation(original_map, randomised_map)",
                                 "True when the normalised |maps| have SSIM < 0.5 and Spearman < 0.5.",
                                 imports=("import torch", "from scipy.stats import spearmanr", "",
                                          "from imgsynth_edu.metrics import ssim")),
        solution=solutions.passes_randomisation,
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 08: ``[("markdown" | "code", source), ...]``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    return judge.render_cells("lesson08", "Attribution by hand, and the check that keeps it honest.", EXERCISES)
