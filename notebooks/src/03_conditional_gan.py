# %% [markdown]
# # 03 · Conditional GANs: "draw me a 7" and "fill in this hole"
#
# {{COLAB_BADGE}}
#
# The GANs of lessons 01 and 02 draw *a* digit, but we cannot say *which*. Conditioning is
# what turns a GAN into a tool: give both players an extra input `y` (a class label, or a
# whole image) and the generator learns to draw what `y` asks for. This lesson builds both
# kinds, with the same training loop as lesson 01 (only the *task* changes), and measures
# whether the condition is obeyed.
#
# **Learning goals.** After this lesson you can
#
# 1. write the conditional GAN objective with the condition in **both** players;
# 2. explain two ways to give the discriminator a label (concatenation and projection) and
#    measure them by **conditional accuracy**;
# 3. show that the noise carries *style* and the label *content* (the class picker);
# 4. explain why an L1 loss alone gives blurry fills and what the adversarial term adds;
# 5. fill holes with a pix2pix-style inpainting GAN and compare it, inside the hole, with a
#    classical method (biharmonic inpainting): the bridge from synthesis to restoration.
#
# Time: quick mode (what the tests and the book run) took about 12 s on a 2-core CPU, measured
# by nbval. The full run's time has not been measured yet (no GPU was available when this
# lesson was written); expect longer, and see the pretrained models' cards for full trainings.

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("03_conditional_gan"))
device = ise.get_device()
ise.seed_everything(0)

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
from imgsynth_edu.metrics.conditional import conditional_accuracy, hole_psnr, sample_per_class
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
# Mirza & Osindero (2014, eq. 2) give the generator *and* the discriminator the condition `y`:
#
# $$
# \min_G \max_D \; V(D, G) =
# \mathbb{E}_{(x, y) \sim p_{\text{data}}}\big[\log D(x, y)\big]
# + \mathbb{E}_{z \sim p_z,\; y \sim p_{\text{data}}}\big[\log\big(1 - D(G(z, y), y)\big)\big]
# $$
#
# * `D(x, y)` answers "is `x` a **real image of class `y`**?", not merely "is `x` real?". A
#   perfect 3 shown with the label 7 must be called fake; otherwise the generator could ignore
#   `y` and still win.
# * As in lesson 01, the generator minimises the **non-saturating** form
#   $-\mathbb{E}\,[\log D(G(z, y), y)]$, and the fakes are **detached** for the discriminator's
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
# $$ f(x, y) = \underbrace{\psi(\phi(x))}_{\text{real?}} + \underbrace{e_y^{\top}\phi(x)}_{\text{a } y\text{?}} $$
#
# with a learned embedding $e_y$ per class. The paper derives this form from the optimal
# discriminator $\log \frac{p_{\text{data}}(x|y)}{p_G(x|y)}$ under a log-linear class model; in
# practice it trains faster and obeys the label better. The code is the formula:

# %%
print(inspect.getsource(ProjectionDiscriminator.forward))

# %% [markdown]
# ### Measuring "obeys the label": conditional accuracy
#
# Ask for 7s; let a fixed, trained classifier (the bundled `digit-classifier`, 97% accurate on
# real held-out digits) say what it sees. The **conditional accuracy** is the share of samples
# it assigns to the requested class:
#
# $$ \text{acc} = \frac1N \sum_{i=1}^{N} \big[\arg\max_k c_k(G(z_i, y_i)) = y_i\big]. $$
#
# It measures obedience, not quality: a generator that draws one perfect 7 for every request of
# a 7 scores 100%. So we also report FID **per class** (lesson 04) on the model card.
#
# We train the same generator against each discriminator with the same seed and steps.

# %%
steps = ise.quick_or_full(30, 1500)
width = ise.quick_or_full(16, 32)
comparison = {}
for name, discriminator_class in [("concatenation", ConcatDiscriminator), ("projection", ProjectionDiscriminator)]:
    ise.seed_everything(0)
    generator = ConditionalDCGANGenerator(latent_dim=64, base_channels=width)
    discriminator = discriminator_class(base_channels=width)
    trainer = GANTrainer(generator, discriminator, train_digits, task=ClassConditionalTask.for_generator(generator),
                         loss="non-saturating", steps=steps, batch_size=ise.quick_or_full(32, 64), device=device)
    trainer.fit()
    images, labels = sample_per_class(generator, n_per_class=ise.quick_or_full(20, 100))
    comparison[name] = conditional_accuracy(images.to(device), labels, judge)["accuracy"]
for name in ("concatenation", "projection"):
    print(f"{name:14s} conditional accuracy after {steps} steps: {comparison[name]:.1%}")
if quick:
    print("(quick mode: a few dozen steps are far too few to learn the label; the full run trains "
          "1,500 steps, and the bundled cgan-mnist below shows a finished model)")

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
viz.show_grid(images.view(10, -1, 1, 28, 28)[:, :10].transpose(0, 1).reshape(-1, 1, 28, 28), nrow=10,
              title="cgan-mnist: column k asks for digit k, rows are different noise")
plt.show()

# %% [markdown]
# ## 3 · Noise is style, the label is content: the class picker
#
# Fix the noise `z` and change only `y`: the digit changes, but slant, stroke width and size
# stay. Fix `y` and change `z`: the same digit in many hands. Use the picker (mode "digit":
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
# ## 4 · Image-conditional GANs: pix2pix, and why L1 alone is blurry
#
# When the condition is a whole image `x` (a sketch, a low-resolution photo, a photo with a
# hole), pix2pix (Isola et al. 2017) trains a **U-Net** generator against a **PatchGAN**
# discriminator that sees the input beside the output, plus an L1 term (eqs. 1, 3, 4):
#
# $$
# \mathcal{L}_{cGAN}(G, D) = \mathbb{E}_{x,y}[\log D(x, y)] + \mathbb{E}_{x}[\log(1 - D(x, G(x)))],
# \qquad
# G^* = \arg\min_G \max_D \mathcal{L}_{cGAN}(G, D) + \lambda\, \mathbb{E}_{x,y}\lVert y - G(x)\rVert_1 .
# $$
#
# *Why the adversarial term?* For a hole with several plausible fillings, the L1 loss is
# minimised by their pixel-wise **median**: a blend of all of them, which is blurry. The
# discriminator calls blur fake (real digits have crisp strokes), so the adversarial term pushes
# the generator to commit to *one* sharp filling. The L1 term keeps that filling close to the
# truth, and PatchGAN judges local patches, i.e. texture and sharpness.
#
# For **inpainting** the condition is the masked image and the mask (1 = missing). The
# generator's output keeps the known pixels exactly:
# $\hat x = m \odot G(x \odot (1-m), m) + (1-m) \odot x$. The task adds the L1 term:

# %%
print(inspect.getsource(InpaintingTask.extra_generator_losses))
print(inspect.getsource(InpaintingTask.discriminate))

# %% [markdown]
# We train the same U-Net twice on digits with centre holes, once with L1 only
# (`adversarial_weight=0`, the very same loop) and once with L1 + adversarial, and look at the
# fills side by side.

# %%
held_out = InpaintingDataset(test_digits, kind="centre", seed=1, box_fraction=0.45)
masked, masks, targets = held_out.stacked(ise.quick_or_full(100, 1000))
fills = {}
for name, weight in [("L1 only", 0.0), ("L1 + adversarial", 1.0)]:
    ise.seed_everything(0)
    train_view = InpaintingDataset(train_digits, kind="centre", seed=0, box_fraction=0.45)
    model = InpaintingGenerator(channels=1, base_channels=ise.quick_or_full(8, 16))
    trainer = GANTrainer(model, PatchDiscriminator(in_channels=3, base_channels=ise.quick_or_full(8, 16)),
                         train_view, task=InpaintingTask(l1_weight=100.0, adversarial_weight=weight),
                         steps=ise.quick_or_full(40, 1500), batch_size=ise.quick_or_full(16, 32), device=device)
    trainer.fit()
    with torch.no_grad():
        fills[name] = model.eval()(masked.to(device), masks.to(device)).cpu()
    print(f"{name:17s} hole PSNR {float(hole_psnr(fills[name], targets, masks)):.2f} dB")


def hole_sharpness(images, masks):
    """Mean absolute horizontal + vertical pixel difference inside the hole: higher = crisper strokes."""
    dx = (images[..., :, 1:] - images[..., :, :-1]).abs() * masks[..., :, 1:]
    dy = (images[..., 1:, :] - images[..., :-1, :]).abs() * masks[..., 1:, :]
    return float((dx.sum() + dy.sum()) / (2 * masks.sum()))


for name in fills:
    print(f"{name:17s} sharpness in the hole {hole_sharpness(fills[name], masks):.3f}")
print(f"{'real digits':17s} sharpness in the hole {hole_sharpness(targets, masks):.3f}")
viz.compare({"masked": masked[3], **{name: fill[3] for name, fill in fills.items()}, "truth": targets[3]},
            suptitle="the same U-Net, trained with L1 only vs L1 + adversarial")
plt.show()

# %% [markdown]
# What to look for (the quick run above is only a sketch; the full run trains 1,500 steps): where
# a stroke's path through the hole is uncertain, the L1-only fill hedges with grey, while the
# adversarial term pushes towards crisp black-or-white strokes, whose sharpness is closer to the
# real digits', sometimes committing to the *wrong* stroke, which costs PSNR. That is the
# perception–distortion trade-off that lesson 05 meets again in super-resolution.
#
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
# * **Which number to trust.** The L1-only model tends to win on PSNR (the mean is the best
#   guess under squared error), the adversarial one on sharpness and realism. Measure inside
#   the hole, compare with a classical baseline, and look at the pictures.
#
# ## Exercises
#
# 1. **Label swap.** Take one noise vector and draw it as every class with the bundled
#    `cgan-mnist` (hint: `cgan(z.repeat(10, 1), torch.arange(10))`). Which features stay the
#    same along the row? Check your answer with `picker.static_figure()`.
# 2. **Wrong label to D.** In `ClassConditionalTask.discriminate`, what would happen if `D` were
#    shown *random* labels instead of the batch's? Write down the objective that results.
# 3. **Hole size.** With the painter, find a box size where the GAN's lead over the biharmonic
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
# 1. Slant, thickness and size stay; the identity of the digit changes.
# 2. `D` could no longer tell "a real 3 labelled 7" from "a real 3 labelled 3": the label
#    term of the objective vanishes and the generator is free to ignore `y` (it becomes an
#    unconditional GAN whose samples are randomly labelled).
# 3. The model was trained on holes up to about 0.4 of the side (centre boxes of 0.4, random
#    boxes of 0.15-0.4, strokes). A 0.25 box is familiar ground; a 0.5 box hides most of the
#    digit and is larger than anything it saw, so its advantage shrinks or vanishes there. A
#    learned method is only as general as its training distribution; the baseline has no
#    training distribution at all.
# </details>
#
# ## Summary
#
# * Conditioning = give `y` to **both** players; the training loop is unchanged, only the task.
# * Projection (`ψ(φ(x)) + e_yᵀφ(x)`) is the stronger way to show `D` a label; measure it with
#   conditional accuracy, and pair that with per-class FID.
# * Noise carries style, the label content.
# * pix2pix: U-Net + PatchGAN + λ·L1. L1 alone averages plausible answers into blur; the
#   adversarial term makes the generator commit to a sharp one.
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
