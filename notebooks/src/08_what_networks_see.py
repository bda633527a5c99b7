# %% [markdown]
# # 08 · What the networks see: activations, attributions and their sanity checks, latent directions, receptive fields
#
# {{COLAB_BADGE}}
#
# The course has trained a digit classifier, DCGAN's generator and discriminator, and SRResNet. This
# lesson looks *inside* them. Interpretability is one of the open problems that surveys of image
# generation name, and the tools are everywhere: saliency maps, integrated gradients, occlusion,
# SHAP. They are also easy to fool yourself with. Adebayo et al. (2018) showed that some popular
# maps barely change when the network's weights are replaced by random numbers: such a map explains
# the *image*, not the *model*. We run that test on every method we use, and every claim about a map
# is checked on this run.
#
# **Learning goals.** After this lesson you can
#
# 1. record any layer's activations with forward hooks and read the feature maps of a classifier;
# 2. compute gradient saliency, gradient × input, integrated gradients and occlusion maps, and check
#    integrated gradients' completeness axiom;
# 3. run the model-parameter randomisation test and say which methods pass it, and why the baseline matters;
# 4. find interpretable latent directions of a GAN with PCA (GANSpace) and walk along them;
# 5. measure SRResNet's theoretical and effective receptive fields;
# 6. use the discriminator as a measuring instrument, and see it memorise a small training set (why
#    DiffAugment and ADA exist).
#
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("08_what_networks_see"))
device = ise.get_device()
ise.seed_everything(0)
import torch
torch.set_num_threads(1)  # the small networks trained below end differently on 1 and 2 CPU threads; one thread makes every number below the same on every machine

# %%
import functools

import matplotlib.pyplot as plt
import torch
from IPython.display import display
from matplotlib.patches import Rectangle
from torch import nn

from imgsynth_edu import pretrained, viz
from imgsynth_edu.data import get_dataset, load_photo, stack_dataset
from imgsynth_edu.interpret import (
    cascading_randomisation,
    completeness,
    edge_detector,
    effective_receptive_field,
    ganspace_directions,
    get_activations,
    gradient_x_input,
    integrated_gradients,
    normalised_abs_map,
    occlusion,
    passes_randomisation_test,
    receptive_field,
    saliency,
)
from imgsynth_edu.models.gan import DCGANDiscriminator, DCGANGenerator, latent_directions
from imgsynth_edu.training import Callback, GANTrainer
from imgsynth_edu.widgets import AttributionExplorer, LatentDirectionExplorer

quick = ise.is_quick_mode()
# The interpretability methods run on the CPU: the models are small, and the numbers then match the book's.
classifier = pretrained.load("digit-classifier")
generator = pretrained.load("dcgan-mnist")
srresnet = pretrained.load("srresnet-x4")
train_images, train_labels = stack_dataset(get_dataset("mnist-5k", "train"))
test_images, test_labels = stack_dataset(get_dataset("mnist-5k", "test"))
print(f"mnist-5k (bundled, offline): {len(train_images)} training digits, {len(test_images)} held out")

# %% [markdown]
# ## 1. Activations: what each layer of the classifier computes
#
# A **forward hook** is a function PyTorch calls with a module's output every time the module runs.
# `get_activations(model, images, layer_names)` registers one per named layer, runs the model once
# and returns `{name: output}`. The digit classifier is two 3×3 convolutions (32 and 64 channels,
# ReLU and 2×2 max pooling after each, applied as functions), a 128-d embedding and a linear head.
# Below: a held-out digit and the first 16 feature maps of each convolution (before the ReLU).

# %%
digit, label = test_images[:1], int(test_labels[0])
activations = get_activations(classifier, digit, ["conv1", "conv2", "embed"])
for name, value in activations.items():
    print(f"{name:<6} {tuple(value.shape)}")
fig, axes = plt.subplots(3, 16, figsize=(14, 3.2))
for ax in axes.flat:
    ax.set_axis_off()
axes[0, 0].imshow(digit[0, 0], cmap="gray")
axes[0, 0].set_title(f"digit {label}", fontsize=8)
for row, name in ((1, "conv1"), (2, "conv2")):
    for channel in range(16):
        axes[row, channel].imshow(activations[name][0, channel], cmap="RdBu_r")
    axes[row, 0].set_title(name, fontsize=8, loc="left")
plt.tight_layout()
plt.show()

# %% [markdown]
# The first layer's maps are still images of the digit: each 3×3 filter responds to an edge
# orientation or to the stroke itself (red = positive, blue = negative). The second layer, at half
# the resolution, mixes them into parts of strokes. The classifier's verdict:

# %%
with torch.no_grad():
    probabilities = classifier(digit).softmax(1)[0]  # (10,)
ise.claim(f"the classifier reads the held-out digit as a {label}", int(probabilities.argmax()) == label,
          measured=f"p({label}) = {probabilities[label]:.3f}, next best {probabilities.topk(2).values[1]:.1e}")

# %% [markdown]
# ## 2. Attribution: which pixels does the verdict depend on?
#
# An **attribution map** gives every input pixel a share of one output number $f(x)$, here the
# classifier's score (logit) of the true class. Four methods (each formula is in its docstring,
# `help(saliency)`):
#
# * **gradient saliency** $|\partial f / \partial x_i|$ (Simonyan et al. 2014): which pixels, nudged, change $f$ most;
# * **gradient × input** $x_i\,\partial f/\partial x_i$: the first-order change if pixel $i$ went to 0;
# * **integrated gradients** $(x_i - x'_i)\int_0^1 \partial f(x' + \alpha(x - x'))/\partial x_i\,d\alpha$
#   (Sundararajan et al. 2017), along a straight path from a **baseline** $x'$ to the image;
# * **occlusion** (Zeiler & Fergus 2014): slide a grey 4×4 patch over the image and record how much $f$ drops.
#
# The **edge detector** (Sobel magnitude of the input) is the control: it ignores the model entirely.

# %%
methods = {
    "gradient": saliency,
    "gradient × input": gradient_x_input,
    "IG, black baseline": functools.partial(integrated_gradients, steps=16, baseline=0.0),
    "IG, grey baseline": functools.partial(integrated_gradients, steps=16, baseline=0.5),
    "occlusion, black": functools.partial(occlusion, window=4, stride=2, baseline=0.0),
    "occlusion, grey": functools.partial(occlusion, window=4, stride=2, baseline=0.5),
    "edge detector": edge_detector,
}
digits, digit_labels = test_images[:4], test_labels[:4]
fig, axes = plt.subplots(1, len(methods) + 1, figsize=(15, 2.4))
axes[0].imshow(digit[0, 0], cmap="gray")
axes[0].set_title(f"digit {label}", fontsize=9)
for ax, (name, method) in zip(axes[1:], methods.items()):
    ax.imshow(normalised_abs_map(method(classifier, digit, label))[0, 0], cmap="inferno", vmin=0, vmax=1)
    ax.set_title(name, fontsize=9)
for ax in axes:
    ax.set_axis_off()
plt.tight_layout()
plt.show()

# %% [markdown]
# Integrated gradients come with an axiom, **completeness**: the attributions add up to the change
# of the output along the path, $\sum_i \mathrm{IG}_i(x) = f(x) - f(x')$ (Sundararajan et al., Prop. 1).
# The integral is a sum of `steps` gradients, so the sum is only approximately right; the paper
# suggests adding steps until the gap is within 5 %. With 32 steps of the trapezoid rule:

# %%
ig = integrated_gradients(classifier, digit, label, steps=32, baseline=0.5)
check = completeness(classifier, digit, ig, label, baseline=0.5)
ise.claim("32 trapezoid steps make integrated gradients complete within 1 % (Σ IG = f(x) − f(x'))",
          bool(check.relative_gap[0] < 0.01),
          measured=f"Σ IG = {check.attribution_sum[0]:.3f}, f(x) − f(x') = {check.output_difference[0]:.3f}, "
                   f"gap {check.relative_gap[0]:.2%}")

# %% [markdown]
# Completeness says the numbers add up; it does not say the map explains the *model*. That is the
# next section's test.
#
# ## 3. The sanity check: randomise the model, watch the map
#
# Adebayo et al. (2018) replace the weights layer by layer, from the top (the logits) down to the
# first convolution (**cascading randomisation**), and compare each new map with the trained model's
# map by SSIM and by Spearman rank correlation. A map that explains the model must change; one that
# stays the same explains the input. Our line: a method **passes** when, with every layer random, both
# similarities fall below 0.5 (averaged over 4 held-out digits, each explained for its own class).

# %%
result = cascading_randomisation(classifier, digits, methods, target=digit_labels, seed=0)
verdicts = passes_randomisation_test(result)
final = result.at_full_randomisation()
print("cascade (top layer first):", " → ".join(result.layers))
for name in methods:
    print(f"{name:<20} SSIM {final[name]['ssim']:.3f}  Spearman {final[name]['spearman']:+.3f}  "
          f"{'passes' if verdicts[name] else 'FAILS'}")

# %%
fig, axes = plt.subplots(len(methods), len(result.layers) + 1, figsize=(7.5, 1.35 * len(methods)))
for row, name in enumerate(methods):
    axes[row, 0].imshow(result.original_maps[name][0, 0], cmap="inferno", vmin=0, vmax=1)
    for step, layer in enumerate(result.layers):
        axes[row, step + 1].imshow(result.randomised_maps[name][step][0, 0], cmap="inferno", vmin=0, vmax=1)
    axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
for col, title in enumerate(["trained"] + [f"random down to\n{layer}" for layer in result.layers]):
    axes[0, col].set_title(title, fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("cascading randomisation of the digit classifier (digit 0 of 4)", fontsize=10)
plt.tight_layout()
plt.show()

# %%
passing = ["gradient", "IG, grey baseline", "occlusion, grey"]
failing = ["gradient × input", "IG, black baseline", "occlusion, black", "edge detector"]
ise.claim("gradient saliency, and integrated gradients and occlusion with a grey baseline, pass the randomisation "
          "test (their maps change: SSIM and Spearman < 0.5 once every layer is random)",
          all(verdicts[name] for name in passing),
          measured=", ".join(f"{name}: SSIM {final[name]['ssim']:.2f}, ρ {final[name]['spearman']:.2f}"
                             for name in passing))
ise.claim("gradient × input, and integrated gradients and occlusion with a black baseline, fail it: their maps "
          "stay rank-correlated above 0.9 with the trained model's",
          all(not verdicts[name] and final[name]["spearman"] > 0.9 for name in failing[:3]),
          measured=", ".join(f"{name}: SSIM {final[name]['ssim']:.2f}, ρ {final[name]['spearman']:.2f}"
                             for name in failing[:3]))
ise.claim("the edge detector, which never looks at the model, fails with identical maps (SSIM 1, ρ 1)",
          final["edge detector"]["ssim"] > 0.999 and final["edge detector"]["spearman"] > 0.999,
          measured=f"SSIM {final['edge detector']['ssim']:.3f}, ρ {final['edge detector']['spearman']:.3f}")

# %% [markdown]
# **Why the black baseline fails.** MNIST digits are white strokes on a *black* background. With a
# black baseline, $x_i - x'_i = 0$ on every background pixel, so integrated gradients are exactly 0
# there whatever the weights are; gradient × input multiplies by $x_i = 0$ in the same places, and a
# black occluding patch on black background changes nothing. All three maps are zero outside the
# stroke for *any* network, so their rank order barely changes: they show where the digit is. A
# grey baseline differs from every pixel, and the maps must come from the model. The lesson for
# every attribution method: pick the baseline on purpose, and run the randomisation test before
# trusting a map.
#
# ## 4. Latent directions: what the generator's first layers vary
#
# **GANSpace** (Härkönen et al. 2020) samples many latents $z$, records an early layer's activations
# $y = G_{\le \ell}(z)$, and finds their principal components $v_k$ (PCA). It then regresses $z$ on
# the PCA coordinates to carry each component back to latent space as a direction $u_k$. Walking
# $z + t\,u_k$ moves the sample along the $k$-th largest mode of variation that the generator
# produces at that layer. We analyse `net.2`, the first ReLU of `dcgan-mnist` (64 × 7 × 7).

# %%
directions = ganspace_directions(generator, "net.2", n_samples=2000, n_components=10, seed=0)
print("share of net.2's variance, components 1-10:",
      " ".join(f"{share:.1%}" for share in directions.explained_variance_ratio.tolist()))
explorer = LatentDirectionExplorer(generator, directions, n_rows=4, extent=3.0, steps=7)
display(explorer.widget)

# %%
explorer.static_figure(components=4)
plt.show()

# %% [markdown]
# Do the top components change *what* is drawn more than random directions do? We walk 200 samples
# from $t = -3$ to $t = +3$ along each of the first three components and along ten random unit
# directions, and ask the classifier whether the digit changed.

# %%
start = torch.randn(200, generator.latent_dim, generator=torch.Generator().manual_seed(1))  # (200, Z)


def digit_change_rate(direction, extent=3.0):
    unit = direction / direction.norm()
    with torch.no_grad():
        before = classifier(generator.decode(start - extent * unit)).argmax(1)
        after = classifier(generator.decode(start + extent * unit)).argmax(1)
    return float((before != after).float().mean())


top_rates = [digit_change_rate(directions.directions[k]) for k in range(3)]
random_rates = [digit_change_rate(u) for u in latent_directions(generator.latent_dim, 10, 0)]
ise.claim("walking ±3 along the top three GANSpace directions changes the digit more often than along random "
          "directions (by more than 15 points)",
          sum(top_rates) / 3 > sum(random_rates) / 10 + 0.15,
          measured=f"top 3: {', '.join(f'{r:.0%}' for r in top_rates)}; random: mean "
                   f"{sum(random_rates) / 10:.0%} (from {min(random_rates):.0%} to {max(random_rates):.0%})")

# %% [markdown]
# ## 5. How far does a pixel's influence reach? SRResNet's receptive fields
#
# The **theoretical receptive field** of an output pixel is every input pixel that *can* change it;
# it follows from the layers (kernel sizes, strides, and SRResNet's pixel shuffles, which divide
# the step between neighbouring units by 2 each). The **effective receptive field** (Luo et al.
# 2016) is where the influence actually is: the gradient $|\partial y_p / \partial x|$ of one output
# pixel $p$, averaged over inputs. We report the side of the smallest square that holds 95 % of it.

# %%
field = receptive_field(srresnet, (3, 16, 16))
print(field)
noise = torch.rand(2, 3, 56, 56, generator=torch.Generator().manual_seed(0))  # (2, 3, 56, 56): random inputs
erf = effective_receptive_field(srresnet, noise, mass=0.95)
support = erf.gradient_map.nonzero()
support_side = int(support[:, 0].max() - support[:, 0].min() + 1)
fig, ax = plt.subplots(figsize=(4.2, 4.2))
ax.imshow(erf.gradient_map.clamp_min(1e-12).log10(), cmap="magma")
for side, top_left, colour, text in (
        (support_side, (int(support[:, 0].min()), int(support[:, 1].min())), "cyan", "theoretical"),
        (erf.side, erf.top_left, "lime", "95 % of the gradient")):
    ax.add_patch(Rectangle((top_left[1] - 0.5, top_left[0] - 0.5), side, side, fill=False, color=colour, lw=1.5,
                           label=f"{text}: {side}×{side}"))
ax.legend(fontsize=8, loc="lower left")
ax.set_title(f"log10 |∂y/∂x| of output pixel {erf.output_pixel}", fontsize=9)
ax.set_axis_off()
plt.show()

# %%
ise.claim("the gradient reaches exactly the theoretical field, yet 95 % of it lies in a square of less than a "
          "third of its side",
          support_side == field.size[0] and erf.side * 3 < field.size[0],
          measured=f"theoretical {field.size[0]}×{field.size[1]} low-resolution pixels, gradient support "
                   f"{support_side}×{support_side}, 95 % within {erf.side}×{erf.side}")

# %% [markdown]
# SRResNet *could* use a 48 × 48 neighbourhood of the low-resolution image for each output pixel;
# in practice it looks at about 12 × 12. The effective field is roughly Gaussian (Luo et al. show
# it grows like $\sqrt{\text{depth}}$, not linearly): deep stacks of 3 × 3 convolutions see less than
# their size suggests.

# %% [markdown]
# ## 6. The discriminator: what it looks at, and a measuring instrument that can overfit
#
# The course bundles no discriminator, so we train two here, each in a short GAN run with the same
# DCGAN architecture and seed: one on **all 4,000** training digits, one on only **64** of them
# (a limited-data regime). A callback measures, every few steps, how often $D$ calls real digits real
# ($D(x) > 0$) on two sets: digits it trains on, and the 1,000 held-out digits it never sees.
#
# A discriminator is a learned measuring instrument for "how real does this look" (surveys list it
# among the ways to evaluate generators). Karras et al. (2020, ADA, Fig. 1) used exactly this
# measurement to show a problem: with little data, $D$ **memorises** its training images. It then
# calls them real and everything else, held-out real images included, fake; its gradient tells the
# generator "copy these 64 digits". That gap is why augmentation of *both* real and fake images in
# $D$'s input exists: DiffAugment (Zhao et al. 2020) and ADA (Karras et al. 2020).

# %%
class RealAccuracy(Callback):
    """Every `every` steps: the share of training and of held-out real digits that D calls real (logit > 0)."""

    def __init__(self, every, seen, unseen):
        self.every, self.seen, self.unseen, self.records = every, seen, unseen, []

    def on_step_end(self, loop, step, logs):
        if step % self.every == 0:
            discriminator = loop.discriminator
            discriminator.eval()  # batch norm with its running statistics, as when D judges
            with torch.no_grad():
                seen = float((discriminator(self.seen.to(loop.device) * 2 - 1) > 0).float().mean())
                unseen = float((discriminator(self.unseen.to(loop.device) * 2 - 1) > 0).float().mean())
            discriminator.train()
            self.records.append((step, seen, unseen))


gan_steps = ise.quick_or_full(480, 3000)
runs = {}
for n_train in (4000, 64):
    ise.seed_everything(0)
    subset = train_images[:n_train]
    meter = RealAccuracy(gan_steps // 8, seen=subset[:1000], unseen=test_images)
    trainer = GANTrainer(DCGANGenerator(64, 28, 1, 16), DCGANDiscriminator(28, 1, 16), subset, steps=gan_steps,
                         batch_size=64, lr_g=2e-4, lr_d=2e-4, log_every=10, n_preview=16, device="cpu",
                         callbacks=[meter], progress=False)
    trainer.fit()
    runs[n_train] = (trainer, meter)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
for ax, n_train in zip(axes, runs):
    records = runs[n_train][1].records
    ax.plot([r[0] for r in records], [r[1] for r in records], "o-", label="training digits (seen)")
    ax.plot([r[0] for r in records], [r[2] for r in records], "s--", label="held-out digits (unseen)")
    ax.set_title(f"D trained on {n_train} digits", fontsize=10)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("share called real")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
(_, seen_small, unseen_small), (_, seen_full, unseen_full) = runs[64][1].records[-1], runs[4000][1].records[-1]
ise.claim("with 64 training digits, D calls its training digits real far more often than held-out digits "
          "(a gap of over 20 points): it has memorised them",
          seen_small - unseen_small > 0.20,
          measured=f"step {gan_steps}: {seen_small:.1%} of training vs {unseen_small:.1%} of held-out digits")
ise.claim("with all 4,000 digits, the same D treats seen and unseen digits alike (gap under 5 points)",
          abs(seen_full - unseen_full) < 0.05,
          measured=f"step {gan_steps}: {seen_full:.1%} of training vs {unseen_full:.1%} of held-out digits")

# %% [markdown]
# **Why does D find this sample the least real?** We take the discriminator trained on all 4,000 digits (its
# input is an image in $[-1, 1]$; a small wrapper feeds it our $[0, 1]$ images), score 64 samples
# of the bundled `dcgan-mnist` generator, and explain the one it finds least real. Occlusion with a
# grey patch answers the question directly: a window whose covering *raises* D's score is a region
# that made the sample look fake (blue in the signed map below); covering a red region lowers the
# score further, so D counts that part in the sample's favour.

# %%
class OnUnitRange(nn.Module):
    """A discriminator that takes images in [0, 1] (it was trained on [-1, 1])."""

    def __init__(self, discriminator):
        super().__init__()
        self.discriminator = discriminator

    def forward(self, images):
        return self.discriminator(images * 2 - 1)  # (N,) logits


critic = OnUnitRange(runs[4000][0].discriminator).eval()
samples = generator.sample(64, generator=torch.Generator().manual_seed(0)).cpu()  # (64, 1, 28, 28) in [0, 1]
with torch.no_grad():
    sample_scores, real_scores = critic(samples), critic(test_images[:64])
worst = int(sample_scores.argmin())
suspect = samples[worst:worst + 1]  # (1, 1, 28, 28)
signed_occlusion = occlusion(critic, suspect, window=4, stride=2, baseline=0.5)  # (1, 1, 28, 28): drop of the logit
gradient_map = normalised_abs_map(saliency(critic, suspect))
fig, axes = plt.subplots(1, 3, figsize=(8, 2.8))
axes[0].imshow(suspect[0, 0], cmap="gray", vmin=0, vmax=1)
axes[0].set_title(f"least real sample, D logit {sample_scores[worst]:+.2f}", fontsize=8)
limit = float(signed_occlusion.abs().max())
axes[1].imshow(signed_occlusion[0, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)  # negative drop (a rise): blue
axes[1].set_title("occlusion (grey): blue = covering it\nmakes the sample look more real", fontsize=8)
axes[2].imshow(gradient_map[0, 0], cmap="inferno", vmin=0, vmax=1)
axes[2].set_title("gradient saliency of D's logit", fontsize=8)
for ax in axes:
    ax.set_axis_off()
plt.tight_layout()
plt.show()

# %%
ranked_above = float((real_scores > sample_scores[worst]).float().mean())
ise.claim("D scores this sample below at least 90 % of the held-out real digits: of everything in front of it, "
          "it is what D finds least real",
          ranked_above >= 0.9,
          measured=f"sample logit {sample_scores[worst]:+.2f}; {ranked_above:.0%} of 64 held-out digits score higher; "
                   f"{float((sample_scores < 0).float().mean()):.0%} of the 64 samples and "
                   f"{float((real_scores < 0).float().mean()):.0%} of the digits have a negative logit")
blue_share = float((signed_occlusion < 0).float().mean())
ise.claim("only a few places, covered with grey, raise D's score (blue: under a quarter of the pixels); covering "
          "anything else lowers it: what D holds against this sample is local",
          0 < blue_share < 0.25,
          measured=f"{blue_share:.0%} of the pixels blue; largest rise of the logit (averaged over the windows "
                   f"covering a pixel) {-float(signed_occlusion.min()):.2f}")

# %% [markdown]
# Read the two maps with section 3 in mind. Occlusion asks D directly and passed the randomisation
# test (with grey): most of the image, the black background above all, counts in the sample's favour
# (red), and a few small places on the stroke (blue) are what D objects to. D's gradient, in this picture, is speckled from pixel to pixel: a
# first-order sensitivity to single pixels, which says little about *which region* D objects to.

# %% [markdown]
# ## 7. Explore: any model, any method, any pixel
#
# The explorer below puts it together: the classifier on held-out digits, the discriminator of
# section 6 on the suspect sample and on a real digit (its logit is the number explained), and
# SRResNet on a photograph (use **pixel row** / **pixel col** to choose the output pixel whose
# gradient map you see; the cyan cross marks it). Try the edge detector against the others, and
# move SRResNet's pixel across an edge.

# %%
photo_crop = load_photo("chelsea")[None, :, 60:92, 150:182].contiguous()  # (1, 3, 32, 32): fur of the cat
subjects = {
    "digit classifier": (classifier, {f"held-out digit {i + 1}": test_images[i:i + 1] for i in range(4)}),
    "discriminator (4,000 digits)": (critic, {"least real sample": suspect, "held-out digit 1": test_images[:1]}),
    "SRResNet ×4": (srresnet, {"chelsea (32×32 crop)": photo_crop}),
}
attribution_explorer = AttributionExplorer(subjects)
display(attribution_explorer.widget)

# %%
attribution_explorer.static_figure("discriminator (4,000 digits)", "least real sample")
plt.show()
attribution_explorer.static_figure("SRResNet ×4", "chelsea (32×32 crop)", row=64, col=64)
plt.show()

# %% [markdown]
# ## Exercises
#
# Attribution by hand, and the check that keeps it honest.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson08

# %% [markdown]
# **Exercise 1 · Gradient saliency by hand.** Write `gradient_saliency(model, images, classes)`: for images `(N, C, H, W)` and one class per image,
# return the saliency map $M = \left|\partial f_{c}(x) / \partial x\right|$ of each image's class score
# (logit) $f_c$, of shape `(N, C, H, W)`. The check compares it with `interpret.saliency` on a small network.
#
# <details><summary>Hint</summary>
#
# Make a copy of the images that requires gradients, pick `logits[torch.arange(N), classes]`, and take
# the gradient of their **sum** (each image's score depends only on its own pixels). Then `.abs()`.
# </details>

# %%
import torch


def gradient_saliency(model, images, classes):
    """|d logit_class / d x| for each image, shape (N, C, H, W)."""
    raise NotImplementedError  # your code here

# %%
lesson08.check_gradient_saliency(gradient_saliency)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def gradient_saliency(model, images, classes):
#     images = images.detach().clone().requires_grad_(True)  # (N, C, H, W), a leaf that collects gradients
#     logits = model(images)  # (N, K)
#     chosen = logits[torch.arange(len(images)), classes]  # (N,): each image's own class score, not a probability
#     (gradient,) = torch.autograd.grad(chosen.sum(), images)  # the images are independent: sum, then one backward
#     return gradient.abs()  # (N, C, H, W)
# ```
# </details>

# %% [markdown]
# **Exercise 2 · Integrated gradients as a Riemann sum.** Write `integrated_gradients_riemann(model, image, target, baseline, steps)`: the paper's
# approximation (Sundararajan et al. 2017, eq. 3) with $m$ = `steps`,
#
# $$\mathrm{IG}_i(x) \approx (x_i - x'_i)\,\frac{1}{m}\sum_{k=1}^{m}
# \frac{\partial f\!\left(x' + \tfrac{k}{m}(x - x')\right)}{\partial x_i},$$
#
# where $f$ is the score of class `target` and `baseline` is the number $x'$ (the check uses grey, 0.5).
#
# <details><summary>Hint</summary>
#
# A loop over `k = 1 .. steps`: build the point on the path, make it require gradients, take the
# gradient of `model(point)[:, target].sum()`, add it up. Finally multiply the **average** by `image - baseline`.
# </details>

# %%
import torch


def integrated_gradients_riemann(model, image, target, baseline, steps):
    """(x - x') times the average gradient at x' + k/m (x - x'), k = 1..m; shape of image."""
    raise NotImplementedError  # your code here

# %%
lesson08.check_integrated_gradients_riemann(integrated_gradients_riemann)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def integrated_gradients_riemann(model, image, target, baseline, steps):
#     total = torch.zeros_like(image)  # (N, C, H, W)
#     for k in range(1, steps + 1):  # the paper's right Riemann sum: alpha = 1/m, 2/m, ..., 1
#         point = (baseline + k / steps * (image - baseline)).detach().requires_grad_(True)
#         score = model(point)[:, target].sum()
#         (gradient,) = torch.autograd.grad(score, point)
#         total += gradient
#     return (image - baseline) * total / steps  # (x - x') times the average gradient along the path
# ```
# </details>

# %% [markdown]
# **Exercise 3 · The randomisation test's verdict.** Write `passes_randomisation(original_map, randomised_map)` for two attribution maps `(1, C, H, W)`
# (the trained model's and the fully randomised model's): normalise each as the lesson does
# ($\hat A = \max_c |A_c| / \max |A|$), compute their SSIM (`imgsynth_edu.metrics.ssim`,
# `data_range=1.0`) and Spearman's rank correlation (`scipy.stats.spearmanr` on the flattened maps),
# and return `True` when the method **passes**: both below 0.5.
#
# <details><summary>Hint</summary>
#
# `attribution.abs().amax(dim=1, keepdim=True)`, then divide by its `.max()`. `spearmanr(a.flatten().numpy(),
# b.flatten().numpy()).statistic`. Passing needs *both* similarities low.
# </details>

# %%
import torch
from scipy.stats import spearmanr

from imgsynth_edu.metrics import ssim


def passes_randomisation(original_map, randomised_map):
    """True when the normalised |maps| have SSIM < 0.5 and Spearman < 0.5."""
    raise NotImplementedError  # your code here

# %%
lesson08.check_passes_randomisation(passes_randomisation)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def passes_randomisation(original_map, randomised_map):
#     def normalised(attribution):  # |A|, maximum over channels, divided by its maximum
#         magnitude = attribution.detach().abs().amax(dim=1, keepdim=True)  # (1, 1, H, W)
#         return magnitude / magnitude.max()
#
#     a, b = normalised(original_map), normalised(randomised_map)
#     structure = float(ssim(b, a, data_range=1.0))
#     ranks = spearmanr(a.flatten().numpy(), b.flatten().numpy()).statistic
#     return bool(structure < 0.5 and ranks < 0.5)  # both similarities low: the map followed the weights
# ```
# </details>

# %% [markdown]
# ## Summary
#
# * **Hooks** read any layer's activations; early convolutions still look like the image, later ones do not.
# * **Attribution maps** (gradient, gradient × input, integrated gradients, occlusion) answer "which
#   pixels does this number depend on?"; integrated gradients add up to $f(x) - f(x')$ (completeness).
# * Run the **randomisation test** before trusting a map: on black-background digits, any method that
#   multiplies by $x - x'$ with a black baseline shows the digit whatever the weights; a grey baseline,
#   and the plain gradient, pass.
# * **GANSpace** finds latent directions by PCA of early activations; the top ones change the digit far
#   more often than random directions.
# * SRResNet's **effective receptive field** (95 % of the gradient in about 12 × 12 pixels) is a small
#   part of its theoretical 48 × 48 field.
# * A **discriminator** trained on little data memorises it: it calls its training digits real and
#   held-out digits fake, which is why DiffAugment and ADA augment $D$'s inputs.
#
# ## References
#
# * Simonyan, Vedaldi & Zisserman, *Deep Inside Convolutional Networks: Visualising Image Classification Models and Saliency Maps*, ICLR workshop 2014.
# * Zeiler & Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014.
# * Shrikumar et al., *Not Just a Black Box: Learning Important Features Through Propagating Activation Differences*, 2016.
# * Sundararajan, Taly & Yan, *Axiomatic Attribution for Deep Networks* (integrated gradients), ICML 2017.
# * Lundberg & Lee, *A Unified Approach to Interpreting Model Predictions* (SHAP), NeurIPS 2017.
# * Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018.
# * Härkönen et al., *GANSpace: Discovering Interpretable GAN Controls*, NeurIPS 2020.
# * Luo, Li, Urtasun & Zemel, *Understanding the Effective Receptive Field in Deep Convolutional Neural Networks*, NeurIPS 2016.
# * Araujo, Norris & Sim, *Computing Receptive Fields of Convolutional Neural Networks*, Distill 2019.
# * Karras et al., *Training Generative Adversarial Networks with Limited Data* (ADA), NeurIPS 2020.
# * Zhao et al., *Differentiable Augmentation for Data-Efficient GAN Training* (DiffAugment), NeurIPS 2020.
