# %% [markdown]
# # 03 · Conditional GANs: "draw me a 7" and "fill in this hole"
#
# {{COLAB_BADGE}}
#
# The GANs of lessons 01 and 02 draw *a* digit, but we cannot say *which*. Conditioning is
# what turns a GAN into a tool: give both players an extra input $c$, the **condition** (a class
# label, or a whole image), and the generator learns to draw what $c$ asks for. This lesson
# builds both kinds, with the same training loop as lesson 01 (only the *task* changes), and
# measures whether the condition is obeyed. (Papers write the label as $y$; in this course $y$
# is always a degraded image, so the condition is $c$: see the notation page.)
#
# **Learning goals.** After this lesson you can
#
# 1. write the conditional GAN objective with the condition in **both** players;
# 2. explain two ways to give the discriminator a label (concatenation and projection) and
#    measure them by **conditional accuracy**;
# 3. show that the noise carries *style* and the label *content* (the class picker);
# 4. explain what an L1 loss alone does to an uncertain fill (it aims at the per-pixel median)
#    and what the adversarial term adds, and measure the difference;
# 5. fill holes with a pix2pix-style inpainting GAN and compare it, inside the hole, with a
#    classical method (biharmonic inpainting): the bridge from synthesis to restoration.
#
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("03_conditional_gan"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch

# %%
import inspect

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from imgsynth_edu import pretrained, viz
from imgsynth_edu.classical import inpaint_biharmonic
from imgsynth_edu.data import get_dataset
from imgsynth_edu.data.masks import InpaintingDataset
from imgsynth_edu.evaluation import evaluate_inpainting
from imgsynth_edu.metrics.conditional import conditional_accuracy, hole_psnr, hole_sharpness, sample_per_class
from imgsynth_edu.models.cgan import (
    ConcatDiscriminator,
    ConditionalDCGANGenerator,
    InpaintingGenerator,
    PatchDiscriminator,
    ProjectionDiscriminator,
)
from imgsynth_edu.training.cgan import ClassConditionalTask, InpaintingTask
from imgsynth_edu.training.gan import GANTrainer
from imgsynth_edu.widgets.cgan import ClassPicker, InpaintingPainter

quick = ise.is_quick_mode()
train_digits, test_digits = get_dataset("mnist-5k", "train"), get_dataset("mnist-5k", "test")
judge = pretrained.load("digit-classifier", device=device)

# %% [markdown]
# ## 1 · The conditional objective: the condition goes into both players
#
# Mirza & Osindero (2014, eq. 2) give the generator *and* the discriminator the condition (their
# $y$, our $c$):
#
# $$
# \min_G \max_D \; V(D, G) =
# \mathbb{E}_{(x, c) \sim p_{\text{data}}}\big[\log D(x, c)\big]
# + \mathbb{E}_{z \sim p_z,\; c \sim p_{\text{data}}}\big[\log\big(1 - D(G(z, c), c)\big)\big]
# $$
#
# * $D(x, c)$ answers "is $x$ a **real image of class $c$**?", not merely "is $x$ real?". A
#   perfect 3 shown with the label 7 must be called fake; otherwise the generator could ignore
#   $c$ and still win. (Some surveys write this objective with $c$ in the generator only,
#   $\log D(x) + \log(1 - D(G(z, c)))$: then nothing makes the generator obey $c$. See the
#   common-mistakes page.)
# * As in lesson 01, the generator minimises the **non-saturating** form
#   $-\mathbb{E}\,[\log D(G(z, c), c)]$, and the fakes are **detached** for the discriminator's
#   step. Nothing about the loop changes: only what "generate" and "discriminate" mean.
#
# That is exactly the *task* object that the one training loop of `imgsynth_edu.training.gan`
# asks. The class-conditional task draws the fakes for the batch's own labels and hands the
# labels to `D`:

# %%
print(inspect.getsource(ClassConditionalTask.generate))
print(inspect.getsource(ClassConditionalTask.discriminate))

# %% [markdown]
# ## 2 · Two ways to show the discriminator a label
#
# **Concatenation** (Mirza & Osindero 2014): append the label to the input, here as ten
# one-hot planes stacked on the image's channel, and let the network figure out how pixels and
# label relate.
#
# **Projection** (Miyato & Koyama 2018, eq. 3): compute image features $\phi(x)$ first, then
#
# $$ \ell(x, c) = \underbrace{\psi(\phi(x))}_{\text{real?}} + \underbrace{e_c^{\top}\phi(x)}_{\text{a } c\text{?}} $$
#
# (the discriminator's logit) with a learned embedding $e_c$ per class. The paper derives this
# form from the optimal discriminator's logit, $\log \frac{p_{\text{data}}(x|c)\,p_{\text{data}}(c)}{p_G(x|c)\,p_G(c)}$,
# under a log-linear class model, and reports that it obeys the label better than concatenation.
# The code is the formula:

# %%
print(inspect.getsource(ProjectionDiscriminator.forward))

# %% [markdown]
# ### Measuring "obeys the label": conditional accuracy
#
# Ask for 7s; let a fixed, trained classifier $h$ (the bundled `digit-classifier`, 97% accurate on
# real held-out digits) say what it sees. The **conditional accuracy** is the share of samples
# it assigns to the requested class:
#
# $$ \text{acc} = \frac1N \sum_{i=1}^{N} \big[\arg\max_k h_k(G(z_i, c_i)) = c_i\big]. $$
#
# It measures obedience, not quality: a generator that draws one perfect 7 for every request of
# a 7 scores 100%. So we also report FID **per class** (lesson 04) on the model card.
#
# We train the same generator against each discriminator, with the same seed, data and steps,
# long enough for both to learn the label (1,000 steps in quick mode, 3,000 in full mode; small
# networks of width 16, batches of 32, both learning rates $10^{-3}$ as in lesson 02), and measure
# the conditional accuracy five times along the way (on 20 samples per class in quick mode, 50 in
# full mode).

# %%
from imgsynth_edu.training import Callback


class AccuracyTracker(Callback):
    """Every `every` steps: the conditional accuracy of the generator, judged by the classifier."""

    def __init__(self, every, n_per_class):
        self.every, self.n_per_class, self.records = every, n_per_class, []

    def on_step_end(self, loop, step, logs):
        if step % self.every == 0:
            images, labels = sample_per_class(loop.generator, n_per_class=self.n_per_class, seed=1)
            self.records.append((step, conditional_accuracy(images.to(device), labels, judge)["accuracy"]))


steps = ise.quick_or_full(1000, 3000)
trackers = {}
for name, discriminator_class in [("concatenation", ConcatDiscriminator), ("projection", ProjectionDiscriminator)]:
    ise.seed_everything(0)
    generator = ConditionalDCGANGenerator(latent_dim=64, base_channels=16)
    trackers[name] = AccuracyTracker(every=steps // 5, n_per_class=ise.quick_or_full(20, 50))
    trainer = GANTrainer(generator, discriminator_class(base_channels=16), train_digits,
                         task=ClassConditionalTask.for_generator(generator), loss="non-saturating", steps=steps,
                         batch_size=32, lr_g=1e-3, lr_d=1e-3, device=device, progress=False,
                         callbacks=[trackers[name]])
    trainer.fit()

fig, ax = plt.subplots(figsize=(5.5, 3.2))
for name, tracker in trackers.items():
    ax.plot([s for s, _ in tracker.records], [a for _, a in tracker.records], "o-", label=name)
ax.axhline(0.1, color="grey", ls=":", label="chance (10 %)")
ax.set_xlabel("step")
ax.set_ylabel("conditional accuracy")
ax.set_ylim(0, 1)
ax.legend(fontsize=8)
plt.show()
final = {name: tracker.records[-1][1] for name, tracker in trackers.items()}
for name, tracker in trackers.items():
    print(f"{name:14s} accuracy over training: " + ", ".join(f"{a:.0%}" for _, a in tracker.records))

# %% [markdown]
# What the measurement shows, checked below: **both** discriminators teach the generator the
# label, far above chance, and the **projection** discriminator teaches it faster: its accuracy,
# averaged over the five measurements of the run, is the higher one, as Miyato & Koyama report.

# %%
mean_accuracy = {name: sum(a for _, a in tracker.records) / len(tracker.records) for name, tracker in trackers.items()}
ise.claim("both discriminators teach the label: each generator's final conditional accuracy is at least 60 % (chance: 10 %)",
          min(final.values()) >= 0.6,
          measured=", ".join(f"{name} {a:.0%}" for name, a in final.items()) + f" after {steps} steps")
ise.claim("projection teaches it faster: its conditional accuracy, averaged over the run, is higher than concatenation's",
          mean_accuracy["projection"] > mean_accuracy["concatenation"],
          measured=f"projection {mean_accuracy['projection']:.0%}, concatenation {mean_accuracy['concatenation']:.0%}")

# %% [markdown]
# The bundled `cgan-mnist` was trained with the projection discriminator by the command on its
# card. Its card states the conditional accuracy on 1,000 samples (100 per class) and FID and
# KID per class, measured against the held-out real digits of each class with the classifier's
# features:

# %%
# NBVAL_CHECK_OUTPUT
cgan_card = pretrained.card("cgan-mnist")
scores = cgan_card["scores"]
print("command:", cgan_card["command"])
print(f"conditional accuracy: {scores['conditional_accuracy']:.3f} on {10 * scores['n_per_class']} samples")
print("per-class accuracy:  ", " ".join(f"{a:.2f}" for a in scores["per_class_accuracy"]))
print("FID per class:       ", " ".join(f"{f:.1f}" for f in scores["fid_per_class"]))

# %%
cgan = pretrained.load("cgan-mnist", device=device)
images, labels = sample_per_class(cgan, n_per_class=1000 // 10 if not quick else 30, seed=1)
live = conditional_accuracy(images.to(device), labels, judge)
print(f"measured here, again: conditional accuracy {live['accuracy']:.1%} on {len(labels)} samples")
ise.claim("cgan-mnist obeys the label: the classifier names the requested digit in at least 90 % of fresh samples",
          live["accuracy"] >= 0.9, measured=f"{live['accuracy']:.1%} on {len(labels)} samples (card: "
          f"{scores['conditional_accuracy']:.1%} on {10 * scores['n_per_class']})")
viz.show_grid(images.view(10, -1, 1, 28, 28)[:, :10].transpose(0, 1).reshape(-1, 1, 28, 28), nrow=10,
              title="cgan-mnist: column k asks for digit k, rows are different noise")
plt.show()

# %% [markdown]
# ## 3 · Noise is style, the label is content: the class picker
#
# Fix the noise $z$ and change only $c$: the digit changes, but slant, stroke width and size
# stay. Fix $c$ and change $z$: the same digit in many hands. Use the picker (mode "digit":
# one class, eight seeds; mode "noise row": the same three noise vectors drawn as every class).

# %%
picker = ClassPicker(cgan)
display(picker.widget)

# %% [markdown]
# The static figure (for the book and for readers without a live kernel): one noise vector per
# row, every class per column.

# %%
picker.static_figure(seeds=(0, 1, 2, 3))
plt.show()

# %% [markdown]
# ## 4 · Image-conditional GANs: pix2pix, and what L1 alone does
#
# When the condition is a whole image (a sketch, a low-resolution photo, a photo with a hole),
# pix2pix (Isola et al. 2017) trains a **U-Net** generator against a **PatchGAN** discriminator
# that sees the condition beside the output, plus an L1 term (eqs. 1, 3, 4). The paper writes
# $x$ for the input and $y$ for the target; in this course's letters the condition is $c$ and
# the target $x$:
#
# $$
# \mathcal{L}_{cGAN}(G, D) = \mathbb{E}_{c,x}[\log D(c, x)] + \mathbb{E}_{c}[\log(1 - D(c, G(c)))],
# \qquad
# G^* = \arg\min_G \max_D \mathcal{L}_{cGAN}(G, D) + \lambda\, \mathbb{E}_{c,x}\lVert x - G(c)\rVert_1 .
# $$
#
# *Why the adversarial term?* Take a hole with several plausible fillings. Pixel by pixel, the
# **L2** loss is minimised by the *mean* of the plausible values, a grey blend of all the
# fillings. The **L1** loss is minimised by their *median*: for a pixel that is ink in 70 % of the
# plausible fillings the median is ink, for one that is ink in 30 % it is paper. That is not a
# blend, but it is decided pixel by pixel, never for the stroke as a whole: where a stroke could
# take several paths, no pixel of any one path is ink in most fillings, so the median drops the
# stroke, or keeps a broken or faint piece of it. (A network trained with L1 on finite data lands
# between these cases and, like L2, often hedges with grey; pix2pix reports blurry results for
# both.) The discriminator judges the filling *as a whole* and calls a faint or broken stroke fake
# (real digits have crisp, connected strokes), so the adversarial term pushes the generator to
# commit to *one* sharp filling. The L1 term keeps that filling close to the truth, and PatchGAN
# judges local patches, i.e. texture and sharpness.
#
# For **inpainting** the degraded image $y = (1 - m) \odot x$ and the mask $m$ (1 = missing) are the
# condition, $c = (y, m)$. The generator's output keeps the known pixels exactly:
# $\hat x = m \odot G(y, m) + (1-m) \odot y$. The task adds the L1 term:

# %%
print(inspect.getsource(InpaintingTask.extra_generator_losses))
print(inspect.getsource(InpaintingTask.discriminate))

# %% [markdown]
# Two bundled checkpoints answer the question with a measurement: `inpaint-digits` was trained
# with $100 \cdot \text{L1} + \text{adversarial}$, and its twin `inpaint-digits-l1` by the very same
# command with `--adversarial-weight 0`, i.e. L1 only (same U-Net, data, masks, seed and steps;
# the commands are on their cards). We fill the same held-out digits with both and measure inside
# the hole: the **sharpness** (the mean absolute difference between neighbouring pixels, which a
# faint or grey fill lowers; `metrics.hole_sharpness`) and the **hole PSNR**.

# %%
print(inspect.getsource(hole_sharpness))

# %%
adversarial = pretrained.load("inpaint-digits", device=device)
l1_only = pretrained.load("inpaint-digits-l1", device=device)
print("L1-only twin:", pretrained.card("inpaint-digits-l1")["command"])
held_out = InpaintingDataset(test_digits, kind="centre", seed=1)  # a centre box of 40 % of the side
masked, masks, targets = held_out.stacked(ise.quick_or_full(300, 1000))
with torch.no_grad():
    fills = {"L1 only": l1_only(masked.to(device), masks.to(device)).cpu(),
             "L1 + adversarial": adversarial(masked.to(device), masks.to(device)).cpu()}
sharpness = {name: hole_sharpness(fill, masks) for name, fill in fills.items()}
sharpness["real digits"] = hole_sharpness(targets, masks)
psnr = {name: float(hole_psnr(fill, targets, masks)) for name, fill in fills.items()}
for name in fills:
    print(f"{name:17s} sharpness in the hole {sharpness[name]:.3f} | hole PSNR {psnr[name]:.2f} dB")
print(f"{'real digits':17s} sharpness in the hole {sharpness['real digits']:.3f}")
viz.compare({"masked": masked[3], **{name: fill[3] for name, fill in fills.items()}, "truth": targets[3]},
            suptitle="the same U-Net, trained with L1 only vs L1 + adversarial (centre box, 40 % of the side)")
plt.show()

# %% [markdown]
# What the measurement shows, checked below: the adversarial fill is **sharper** inside the hole
# than the L1-only fill, and closer to the sharpness of the real digits; the L1-only fill has the
# **higher hole PSNR**. Where a stroke's path through the hole is uncertain, the L1-only model
# leaves it faint or broken, while the adversarial one commits to a crisp stroke, sometimes the
# *wrong* stroke, which costs PSNR: a squared-error score rewards hedging. That is the
# perception–distortion trade-off that lesson 05 meets again in super-resolution.

# %%
n_holes = len(targets)
ise.claim("the adversarial fill is sharper inside the hole than the L1-only fill",
          sharpness["L1 + adversarial"] > sharpness["L1 only"],
          measured=f"{sharpness['L1 + adversarial']:.3f} vs {sharpness['L1 only']:.3f} on {n_holes} held-out digits")
ise.claim("... and closer to the real digits' sharpness",
          abs(sharpness["L1 + adversarial"] - sharpness["real digits"]) < abs(sharpness["L1 only"] - sharpness["real digits"]),
          measured=f"real digits {sharpness['real digits']:.3f}")
ise.claim("the L1-only fill has the higher hole PSNR", psnr["L1 only"] > psnr["L1 + adversarial"],
          measured=f"{psnr['L1 only']:.2f} dB vs {psnr['L1 + adversarial']:.2f} dB")

# %% [markdown]
# ## 5 · Inpainting against a classical baseline
#
# A learned method must beat a good non-learned one to be worth its training.
# `skimage.restoration.inpaint_biharmonic` fills the hole with the smoothest surface that meets
# the image at the hole's border (it solves $\Delta^2 u = 0$ inside). The bundled
# `inpaint-digits` model was trained by the command on its card with mixed masks (centre boxes,
# random boxes, strokes); the card states its margin over the baseline **inside the hole**
# (PSNR and SSIM) on the 1,000 held-out digits:

# %%
# NBVAL_CHECK_OUTPUT
inpaint_card = pretrained.card("inpaint-digits")
print("command:", inpaint_card["command"])
for kind, result in inpaint_card["scores"].items():
    print(f"{kind:8s} hole PSNR {result['model']['hole_psnr']:.2f} vs biharmonic {result['biharmonic']['hole_psnr']:.2f} dB"
          f" | hole SSIM {result['model']['hole_ssim']:.3f} vs {result['biharmonic']['hole_ssim']:.3f}")

# %%
inpainter = pretrained.load("inpaint-digits", device=device)
measured = evaluate_inpainting(inpainter, test_digits, kinds=("centre",), limit=ise.quick_or_full(100, 1000))
centre = measured["centre"]
print(f"measured here on {centre['n_images']} held-out digits, centre box: model {centre['model']['hole_psnr']:.2f} dB, "
      f"biharmonic {centre['biharmonic']['hole_psnr']:.2f} dB (margin {centre['margin']['hole_psnr']:+.2f} dB)")
ise.claim("inside the hole, the learned fill beats the biharmonic baseline (centre box, PSNR and SSIM)",
          centre["margin"]["hole_psnr"] > 0 and centre["margin"]["hole_ssim"] > 0,
          measured=f"margin {centre['margin']['hole_psnr']:+.2f} dB, SSIM {centre['margin']['hole_ssim']:+.3f} "
                   f"on {centre['n_images']} digits")

# %% [markdown]
# ### The painter
#
# Choose a digit, a mask kind, its size and position; see the masked input, the GAN's fill,
# the biharmonic fill and the truth, with the PSNR inside the hole for both. Try a box over the
# crossing of a 4 or the loop of a 9: the baseline can only blur across; the GAN draws strokes.

# %%
painter = InpaintingPainter(inpainter, test_digits.images[:50])
display(painter.widget)

# %% [markdown]
# Static figure: three held-out digits with a centre box.

# %%
painter.static_figure(indices=(0, 1, 2), mask="centre box", size=0.45)
plt.show()

# %% [markdown]
# ## 6 · Where this meets restoration
#
# Inpainting *is* restoration: a degradation (a mask) destroyed part of the image, and we
# estimate what was there. Two things carry over to lessons 05 and 06:
#
# * **The condition is the degraded image.** Super-resolution is pix2pix with a bicubic
#   downscale in place of the mask: `G(low-res) → high-res`, an L1/L2 (or perceptual) term
#   for fidelity and, in SRGAN, an adversarial term for sharp texture.
# * **Which number to trust.** In section 4 the L1-only model won on hole PSNR (a squared-error
#   score, which rewards hedging) and the adversarial one on sharpness. Measure inside the hole,
#   with more than one number, compare with a classical baseline, and look at the pictures.

# %% [markdown]
# ## Exercises
#
# Conditioning in code, and the loss of inpainting.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson03

# %% [markdown]
# **Exercise 1 · The label, as the generator reads it.** `ConditionalDCGANGenerator` looks each label up in a learned table (`nn.Embedding`) and places the
# result beside the noise: its DCGAN body reads $[z\,;\,e_c]$ for the label $c$. Write `conditional_input(z, labels, embedding)`
# for `z` of shape `(N, Z)` and `N` labels; return the `(N, Z + E)` code.
#
# <details><summary>Hint</summary>
#
# `embedding(labels)` has shape `(N, E)`; `torch.cat([...], dim=1)` puts the two side by side (z first).
# </details>

# %%
import torch


def conditional_input(z, labels, embedding):
    """The code [z ; e_c] of shape (N, Z + E) that the generator's body reads."""
    raise NotImplementedError  # your code here

# %%
lesson03.check_conditional_input(conditional_input)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def conditional_input(z, labels, embedding):
#     return torch.cat([z, embedding(labels)], dim=1)  # (N, Z + E): [z ; e_c], features side by side
# ```
# </details>

# %% [markdown]
# **Exercise 2 · The projection discriminator's logit.** Given the features $\phi(x)$ of a batch (shape `(N, F)`), write
# `projection_logit(phi, labels, psi, class_embedding)` that returns Miyato & Koyama's (2018, eq. 3)
#
# $$\ell(x, c) = \psi(\phi(x)) + e_c^\top\phi(x),$$
#
# one logit per image: `psi` is an `nn.Linear(F, 1)`, `class_embedding` an `nn.Embedding(10, F)`.
#
# <details><summary>Hint</summary>
#
# `psi(phi)` has shape `(N, 1)`: `squeeze(1)` it before adding, or broadcasting makes an `N×N` matrix.
# The inner product of each row: `(class_embedding(labels) * phi).sum(dim=1)`.
# </details>

# %%
def projection_logit(phi, labels, psi, class_embedding):
    """psi(phi(x)) + e_c^T phi(x): one logit per image, shape (N,)."""
    raise NotImplementedError  # your code here

# %%
lesson03.check_projection_logit(projection_logit)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def projection_logit(phi, labels, psi, class_embedding):
#     unconditional = psi(phi).squeeze(1)  # (N, 1) -> (N,): ψ(φ(x)), "is it real?"
#     projection = (class_embedding(labels) * phi).sum(dim=1)  # (N,): e_cᵀ φ(x), "is it a c?"
#     return unconditional + projection  # (N,)
# ```
# </details>

# %% [markdown]
# **Exercise 3 · The L1 loss inside the hole.** An inpainting generator is judged on the hole only. Write `masked_l1(fill, target, mask)` for images
# `N×C×H×W` and a mask `N×1×H×W` (1 = hole): the mean absolute error over the **values in the hole**,
#
# $$L = \frac{\sum_{n,c,i,j} m_{nij}\,|\hat x_{ncij} - x_{ncij}|}{C\sum_{n,i,j} m_{nij}}.$$
#
# <details><summary>Hint</summary>
#
# `mask.expand_as(fill)` repeats the mask over the channels; sum the masked errors and divide by the
# number of ones in the expanded mask. Dividing by every pixel would make a small hole look good.
# </details>

# %%
def masked_l1(fill, target, mask):
    """Mean |fill - target| over the hole (mask = 1) only: one number."""
    raise NotImplementedError  # your code here

# %%
lesson03.check_masked_l1(masked_l1)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def masked_l1(fill, target, mask):
#     hole = mask.expand_as(fill)  # (N, C, H, W): the hole, in every channel
#     return (hole * (fill - target).abs()).sum() / hole.sum()  # mean |error| over the hole's values only
# ```
# </details>

# %% [markdown]
# **Exercise 4 · Why L1 alone is blurry, and which blur.** A pixel in the hole is white (1) in 70 % of the plausible fills and black (0) in 30 %. A generator
# that cannot tell which one it faces outputs one constant $v$. Which $v$ minimises the L1 loss
# $\mathbb E|v - x|$ over the plausible values $x$, and which the L2 loss $\mathbb E(v - x)^2$? Set `l1_l2_minimisers = (l1_best, l2_best)`.
#
# <details><summary>Hint</summary>
#
# L1 is minimised by a **median** of the plausible values, L2 by their **mean**.
# </details>

# %%
l1_l2_minimisers = None  # (best v under L1, best v under L2)

# %%
lesson03.check_l1_l2_minimisers(l1_l2_minimisers)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# l1_l2_minimisers = (1.0, 0.7)
# ```
#
# The median of the plausible values is 1, their mean 0.7. An L1 generator
# commits to the likelier value pixel by pixel; where the plausible fills disagree more evenly, or
# differ in *where* a stroke runs, the per-pixel medians still do not make one coherent stroke, and an
# L2 generator paints the grey average. The adversarial term asks for one sharp, coherent fill.
# </details>

# %% [markdown]
# **Open exercises.**
#
# 5. **Label swap.** Take one noise vector and draw it as every class with the bundled
#    `cgan-mnist` (hint: `cgan(z.repeat(10, 1), torch.arange(10))`). Which features stay the
#    same along the row? Check your answer with `picker.static_figure()`.
# 6. **Hole size.** With the painter, find a box size where the GAN's lead over the biharmonic
#    fill is large and one where it vanishes. Below, the margin is computed for two sizes: which
#    one gives the larger margin, and why? (Look at the card's `command`: which holes did the
#    model see in training?)


# %%
def margin_for(box_fraction, n=50):
    """Hole PSNR of the bundled inpainter minus that of the biharmonic baseline (dB), centre box."""
    view = InpaintingDataset(test_digits, kind="centre", seed=2, box_fraction=box_fraction)
    masked_images, hole_masks, truth = view.stacked(n)
    with torch.no_grad():
        model_fill = inpainter(masked_images.to(device), hole_masks.to(device)).cpu()
    baseline_fill = inpaint_biharmonic(masked_images, hole_masks)
    return float(hole_psnr(model_fill, truth, hole_masks) - hole_psnr(baseline_fill, truth, hole_masks))


small, large = margin_for(0.25), margin_for(0.5)
print(f"margin over biharmonic: {small:+.2f} dB for a small box, {large:+.2f} dB for a large one")
print("check:", "the learned fill beats the baseline at both sizes" if min(small, large) > 0
      else "the baseline wins somewhere: look at which size, and why")

# %% [markdown]
# <details><summary>Hints</summary>
#
# 5. Slant, thickness and size stay; the identity of the digit changes.
# 6. The model was trained on holes up to about 0.4 of the side (centre boxes of 0.4, random
#    boxes of 0.15-0.4, strokes). A 0.25 box is familiar ground; a 0.5 box hides most of the
#    digit and is larger than anything it saw, so its advantage shrinks or vanishes there. A
#    learned method is only as general as its training distribution; the baseline has no
#    training distribution at all.
# </details>
#
# ## Summary
#
# * Conditioning = give the condition $c$ to **both** players; the training loop is unchanged, only the task.
# * Projection (`ψ(φ(x)) + e_cᵀφ(x)`) and concatenation both show `D` the label; measure them with
#   conditional accuracy, and pair that with per-class FID.
# * Noise carries style, the label content.
# * pix2pix: U-Net + PatchGAN + λ·L1. L1 alone aims at the per-pixel median of the plausible
#   answers, which drops or fades uncertain strokes; the adversarial term makes the generator
#   commit to a sharp one (measured: sharper fill, lower hole PSNR).
# * Inpainting is restoration: judge it inside the hole, against a classical baseline.
#
# ## References
#
# * M. Mirza, S. Osindero. *Conditional Generative Adversarial Nets.* arXiv:1411.1784, 2014.
# * T. Miyato, M. Koyama. *cGANs with Projection Discriminator.* ICLR 2018.
# * P. Isola, J.-Y. Zhu, T. Zhou, A. A. Efros. *Image-to-Image Translation with Conditional
#   Adversarial Networks* (pix2pix). CVPR 2017.
# * D. Pathak et al. *Context Encoders: Feature Learning by Inpainting.* CVPR 2016.
# * J. Yu et al. *Free-Form Image Inpainting with Gated Convolution.* ICCV 2019.
# * S. B. Damelin, N. S. Hoang. *On Surface Completion and Image Inpainting by Biharmonic
#   Functions.* International Journal of Mathematics and Mathematical Sciences, 2018.
