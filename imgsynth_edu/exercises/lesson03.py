"""Exercises of lesson 03 (conditional GAN): the generator's input, the projection logit, the masked L1.

* :func:`check_conditional_input` - ``conditional_input(z, labels, embedding)``,
  ``[z ; e(y)]``, against what :class:`imgsynth_edu.models.cgan.ConditionalDCGANGenerator` feeds its body;
* :func:`check_projection_logit` - ``projection_logit(phi, labels, psi, class_embedding)``,
  ``ψ(φ(x)) + e(y)ᵀφ(x)`` (Miyato & Koyama 2018, eq. 3), against
  :class:`imgsynth_edu.models.cgan.ProjectionDiscriminator`;
* :func:`check_masked_l1` - ``masked_l1(fill, target, mask)``: the mean absolute
  error over the hole's values only;
* :func:`check_l1_l2_minimisers` - two numbers: the constants that minimise the
  L1 and the L2 loss against a two-valued target (the median and the mean).

Lesson: ``03_conditional_gan.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Library imports (the references the checks compare with).
from ..models.cgan import ConditionalDCGANGenerator, ProjectionDiscriminator
from . import _judge as judge
from .solutions import lesson03 as solutions

__all__ = ["EXERCISES", "cells", "check_conditional_input", "check_l1_l2_minimisers", "check_masked_l1",
           "check_projection_logit", "solutions"]


# ----------------------------------------------------------------------------
# Exercise 1: the conditional generator's input
# ----------------------------------------------------------------------------
@judge.exercise("conditional_input")
def check_conditional_input(conditional_input) -> str:
    """Check ``conditional_input(z, labels, embedding)`` against ``ConditionalDCGANGenerator``'s own.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        generator = ConditionalDCGANGenerator(latent_dim=10, num_classes=10, base_channels=4, embed_dim=10).eval()
    z = torch.randn(6, 10, generator=torch.Generator().manual_seed(1))  # (6, 10)
    labels = torch.tensor([0, 3, 7, 7, 9, 1])
    seen = []
    hook = generator.body.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0].detach()))
    try:
        with torch.no_grad():
            generator(z, labels)
    finally:
        hook.remove()
    expected = seen[0].double()  # (6, 20): what the library's generator feeds its DCGAN body
    code = judge.run(conditional_input, z.clone(), labels.clone(), generator.label_embedding)
    result = judge.as_tensor(code, "conditional_input(z, labels, embedding)")
    if result.shape != expected.shape:
        if tuple(result.shape) == (12, 10):
            judge.fail("you stacked z and e(y) along the batch (12 rows); they belong side by side in each row",
                       hint="torch.cat([z, embedding(labels)], dim=1): shape (N, Z + E)")
        if tuple(result.shape) == (6, 10):
            judge.fail("you returned a (6, 10) code: adding z and e(y) mixes noise and label into the same numbers",
                       hint="concatenate them instead: torch.cat([z, embedding(labels)], dim=1)")
        judge.fail(f"expected shape {tuple(expected.shape)} (z's 10 numbers, then the label's 10), got {tuple(result.shape)}",
                   hint="torch.cat([z, embedding(labels)], dim=1)")
    if not judge.close(result, expected, rtol=1e-5, atol=1e-6):
        embedded = generator.label_embedding(labels).detach().double()
        variants = {
            "order": (torch.cat([embedded, z.double()], dim=1),
                      "the order is swapped: the library's generator reads [z ; e(y)], z first"),
            "one-hot": (torch.cat([z.double(), F.one_hot(labels, 10).double()], dim=1),
                        "you used a one-hot label; the generator learns its own embedding: use embedding(labels)"),
        }
        judge.fail(judge.match_variant(result, variants) or "the values differ from [z ; embedding(labels)]",
                   hint="torch.cat([z, embedding(labels)], dim=1)")
    if isinstance(code, torch.Tensor) and not code.requires_grad:
        judge.fail("the code is detached from the embedding: the label embedding could not learn",
                   hint="don't call .detach() or use torch.no_grad(); embedding(labels) keeps the gradient")
    with torch.no_grad():
        images = generator.body(code)  # (6, 1, 28, 28)
    return (f"[z ; e(y)] equals what ConditionalDCGANGenerator feeds its body (which turns it into "
            f"{tuple(images.shape)} images), and the embedding stays trainable")


# ----------------------------------------------------------------------------
# Exercise 2: the projection discriminator's logit
# ----------------------------------------------------------------------------
@judge.exercise("projection_logit")
def check_projection_logit(projection_logit) -> str:
    """Check ``projection_logit(phi, labels, psi, class_embedding)`` against ``ProjectionDiscriminator``.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        discriminator = ProjectionDiscriminator(num_classes=10, base_channels=4).eval()
        torch.nn.init.normal_(discriminator.class_embedding.weight, 0.0, 0.5)  # a trained-looking embedding
    images = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([2, 2, 5, 0, 9])
    with torch.no_grad():
        phi = discriminator.features(images).flatten(1)  # (5, F)
        expected = discriminator(images, labels).double()  # (5,)
        psi_term = discriminator.psi(phi).squeeze(1).double()  # (5,)
        embedded = discriminator.class_embedding(labels).double()  # (5, F)
    projection_term = (embedded * phi.double()).sum(dim=1)  # (5,)
    result = judge.as_tensor(judge.run(projection_logit, phi.clone(), labels.clone(), discriminator.psi,
                                       discriminator.class_embedding), "projection_logit(...)")
    n = len(labels)
    if result.shape != expected.shape:
        if tuple(result.shape) == (n, n):
            variants = {
                "broadcast": (psi_term[:, None] + projection_term[None, :],
                              "you returned an N×N matrix: psi(phi) has shape (N, 1) and broadcast against the (N,) "
                              "projection; squeeze(1) it first"),
                "matrix": (psi_term[None, :] + embedded @ phi.double().T,
                           "you returned an N×N matrix: every label against every image (E[y] @ φᵀ); "
                           "take the row-wise inner product (E[y] * φ).sum(dim=1)"),
            }
            judge.fail(judge.match_variant(result, variants) or f"you returned an N×N matrix ({n}×{n}); expected one logit per image",
                       hint="psi(phi).squeeze(1) + (class_embedding(labels) * phi).sum(dim=1)")
        if tuple(result.shape) == tuple(phi.shape):
            judge.fail(f"you returned {tuple(result.shape)}: one number per feature; the inner product sums over the features",
                       hint="(class_embedding(labels) * phi).sum(dim=1)")
        judge.fail(f"expected one logit per image, shape {tuple(expected.shape)}, got {tuple(result.shape)}",
                   hint="psi(phi).squeeze(1) + (class_embedding(labels) * phi).sum(dim=1)")
    if not judge.close(result, expected, rtol=1e-5, atol=1e-5):
        variants = {
            "no psi": (projection_term, "the unconditional term ψ(φ(x)) (\"is it real?\") is missing"),
            "no projection": (psi_term, "the projection e(y)ᵀφ(x) (\"is it a y?\") is missing: D would ignore the label"),
        }
        judge.fail(judge.match_variant(result, variants, rtol=1e-5, atol=1e-5) or f"expected {judge.fmt(expected)}, got {judge.fmt(result)}",
                   hint="f(x, y) = ψ(φ(x)) + e(y)ᵀφ(x): psi(phi).squeeze(1) + (class_embedding(labels) * phi).sum(dim=1)")
    return "ψ(φ(x)) + e(y)ᵀφ(x) equals ProjectionDiscriminator's logits for 5 images and their labels"


# ----------------------------------------------------------------------------
# Exercise 3: the L1 loss inside the hole
# ----------------------------------------------------------------------------
def _inpainting_batch():
    """Two 3-channel 8×8 images with a 12-pixel hole each, and a fill that is wrong everywhere."""
    rng = torch.Generator().manual_seed(4)
    target = torch.rand(2, 3, 8, 8, generator=rng)
    fill = torch.rand(2, 3, 8, 8, generator=rng)  # differs outside the hole too: only the hole may count
    mask = torch.zeros(2, 1, 8, 8)
    mask[0, :, 2:5, 2:6] = 1  # 12 hole pixels
    mask[1, :, 4:7, 1:5] = 1  # 12 hole pixels
    return fill, target, mask


@judge.exercise("masked_l1")
def check_masked_l1(masked_l1) -> str:
    """Check ``masked_l1(fill, target, mask)``: the mean ``|fill - target|`` over the hole's values.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    fill, target, mask = _inpainting_batch()
    fill_in = fill.clone().requires_grad_(True)
    loss = judge.run(masked_l1, fill_in, target.clone(), mask.clone())
    result = judge.as_tensor(loss, "masked_l1(fill, target, mask)")
    error = (fill - target).double().abs()  # (2, 3, 8, 8)
    hole = mask.double().expand_as(error)
    expected = (hole * error).sum() / hole.sum()
    if result.numel() != 1:
        judge.fail(f"the loss has shape {tuple(result.shape)}; a loss is one number", hint="sum, then divide by the hole's size")
    result = result.reshape(())
    if not judge.close(result, expected, rtol=1e-5, atol=1e-7):
        variants = {
            "all pixels": ((hole * error).mean(),
                           "you divided by every pixel of the image, so the loss shrinks with the hole's area; "
                           "divide by the number of values in the hole"),
            "pixels not values": ((hole * error).sum() / mask.sum(),
                                  "you divided by the hole's pixels but summed over its 3 channels: divide by "
                                  "pixels × channels (mask.expand_as(fill).sum())"),
            "inverted": (((1 - hole) * error).sum() / (1 - hole).sum(),
                         "you measured the known pixels: mask = 1 marks the hole"),
            "whole image": (error.mean(), "you measured the whole image; only the hole counts"),
            "squared": ((hole * error**2).sum() / hole.sum(),
                        "that is the squared error (L2), whose minimiser is the mean of the plausible fills: blur"),
        }
        judge.fail(judge.match_variant(result, variants, rtol=1e-5, atol=1e-7) or f"expected {expected.item():.5f}, got {result.item():.5f}",
                   hint="(mask * |fill − target|).sum() / (number of hole values), the mask expanded over the channels")
    judge.require_gradient(loss, "the fill", hint="compute it with torch operations on fill, without .item() or .detach()")
    return "the mean |fill − target| over the 72 hole values of two images; the known pixels do not count"


# ----------------------------------------------------------------------------
# Exercise 4: the minimisers of L1 and L2
# ----------------------------------------------------------------------------
@judge.exercise("l1_l2_minimisers")
def check_l1_l2_minimisers(values: tuple[float, float]) -> str:
    """Check ``(best constant under L1, best constant under L2)`` for a pixel that is 1 in 70 % of fills, else 0.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    values = judge.answer(values)
    try:
        l1_answer, l2_answer = (float(v) for v in values)
    except (TypeError, ValueError):
        judge.fail(f"expected two numbers (l1_best, l2_best), got {values!r}")
    plausible = torch.tensor([1.0] * 7 + [0.0] * 3, dtype=torch.float64)  # 70 % ones, 30 % zeros
    constants = torch.linspace(0, 1, 1001, dtype=torch.float64)  # candidate fills, step 0.001
    l1 = (constants[:, None] - plausible[None]).abs().mean(dim=1)  # (1001,)
    l2 = ((constants[:, None] - plausible[None]) ** 2).mean(dim=1)
    best_l1, best_l2 = constants[l1.argmin()].item(), constants[l2.argmin()].item()
    if abs(l1_answer - best_l2) < 0.01 and abs(l2_answer - best_l1) < 0.01:
        judge.fail("the two are swapped: the squared error is minimised by the mean, the absolute error by the median")
    if abs(l1_answer - best_l1) > 0.01:
        judge.fail(f"under L1 the best constant is not {l1_answer:g}: mean |c − y| is {(abs(l1_answer - plausible)).mean():.3f} "
                   f"there but {l1.min():.3f} at the best c",
                   hint="the L1 loss is minimised by the median of the plausible values, not their mean")
    if abs(l2_answer - best_l2) > 0.01:
        judge.fail(f"under L2 the best constant is not {l2_answer:g}", hint="the squared error is minimised by the mean")
    return (f"L1 is minimised at c = {best_l1:g} (the median: commit to the likelier value), "
            f"L2 at c = {best_l2:g} (the mean: a grey blend), found by trying 1,001 constants")


# ----------------------------------------------------------------------------
# What the lesson shows
# ----------------------------------------------------------------------------
EXERCISES = judge.lesson_exercises("lesson03",
    judge.Exercise(name="conditional_input", title="The label, as the generator reads it", text=r"""
`ConditionalDCGANGenerator` looks each label up in a learned table (`nn.Embedding`) and places the
result beside the noise: its DCGAN body reads $[z\,;\,e_c]$ for the label $c$. Write `conditional_input(z, labels, embedding)`
for `z` of shape `(N, Z)` and `N` labels; return the `(N, Z + E)` code.
""",
        hint="""
`embedding(labels)` has shape `(N, E)`; `torch.cat([...], dim=1)` puts the two side by side (z first).
""",
        stub=judge.function_stub("conditional_input(z, labels, embedding)",
                                 "The code [z ; e_c] of shape (N, Z + E) that the generator's body reads.",
                                 imports=("import torch",)),
        solution=solutions.conditional_input,
    ),
    judge.Exercise(name="projection_logit", title="The projection discriminator's logit", text=r"""
Given the features $\phi(x)$ of a batch (shape `(N, F)`), write
`projection_logit(phi, labels, psi, class_embedding)` that returns Miyato & Koyama's (2018, eq. 3)

$$\ell(x, c) = \psi(\phi(x)) + e_c^\top\phi(x),$$

one logit per image: `psi` is an `nn.Linear(F, 1)`, `class_embedding` an `nn.Embedding(10, F)`.
""",
        hint="""
`psi(phi)` has shape `(N, 1)`: `squeeze(1)` it before adding, or broadcasting makes an `N×N` matrix.
The inner product of each row: `(class_embedding(labels) * phi).sum(dim=1)`.
""",
        stub=judge.function_stub("projection_logit(phi, labels, psi, class_embedding)",
                                 "psi(phi(x)) + e_c^T phi(x): one logit per image, shape (N,)."),
        solution=solutions.projection_logit,
    ),
    judge.Exercise(name="masked_l1", title="The L1 loss inside the hole", text=r"""
An inpainting generator is judged on the hole only. Write `masked_l1(fill, target, mask)` for images
`N×C×H×W` and a mask `N×1×H×W` (1 = hole): the mean absolute error over the **values in the hole**,

$$L = \frac{\sum_{n,c,i,j} m_{nij}\,|\hat x_{ncij} - x_{ncij}|}{C\sum_{n,i,j} m_{nij}}.$$

""",
        hint="""
`mask.expand_as(fill)` repeats the mask over the channels; sum the masked errors and divide by the
number of ones in the expanded mask. Dividing by every pixel would make a small hole look good.
""",
        stub=judge.function_stub("masked_l1(fill, target, mask)",
                                 "Mean |fill - target| over the hole (mask = 1) only: one number."),
        solution=solutions.masked_l1,
    ),
    judge.Exercise(name="l1_l2_minimisers", title="Why L1 alone is blurry, and which blur", text=r"""
A pixel in the hole is white (1) in 70 % of the plausible fills and black (0) in 30 %. A generator
that cannot tell which one it faces outputs one constant $v$. Which $v$ minimises the L1 loss
$\mathbb E|v - x|$ over the plausible values $x$, and which the L2 loss $\mathbb E(v - x)^2$? Set `l1_l2_minimisers = (l1_best, l2_best)`.
""",
        hint="""
L1 is minimised by a **median** of the plausible values, L2 by their **mean**.
""",
        stub="l1_l2_minimisers = None  # (best v under L1, best v under L2)",
        solution=r"""
```python
l1_l2_minimisers = (1.0, 0.7)
```

The median of the plausible values is 1, their mean 0.7. An L1 generator
commits to the likelier value pixel by pixel; where the plausible fills disagree more evenly, or
differ in *where* a stroke runs, the per-pixel medians still do not make one coherent stroke, and an
L2 generator paints the grey average. The adversarial term asks for one sharp, coherent fill.
""",
    ),
)


def cells() -> list[tuple[str, str]]:
    """The exercise cells of lesson 03: ``[("markdown" | "code", source), ...]``.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    return judge.render_cells("lesson03", "Conditioning in code, and the loss of inpainting.", EXERCISES)
