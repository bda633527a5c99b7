# %% [markdown]
# # 02 · DCGAN: convolutional GANs on digits, latent walks, failure modes and scores
#
# {{COLAB_BADGE}}
#
# Lesson 01 played the GAN game on 2-D points. DCGAN (Radford, Metz & Chintala, 2016) made it work
# on images with a handful of architecture rules: transposed convolutions to upsample, strided
# convolutions to downsample, batch norm, ReLU in the generator, LeakyReLU in the discriminator, and
# a `tanh` output. We train one on handwritten digits with the *same* training loop as lesson 01,
# walk its latent space, break it on purpose, and score it with FID, KID and precision/recall.
#
# **Data, offline.** This lesson uses **`mnist-5k`**, the 5,000 real MNIST digits bundled with the
# course (4,000 to train, 1,000 held out), so it runs without internet. With internet,
# `get_dataset("mnist", fallback=True)` gives the full 60,000 digits and falls back to `mnist-5k`
# (saying so) when the download is impossible.
#
# **Learning goals.** After this lesson you can
#
# 1. read a DCGAN generator and discriminator layer by layer, with the shape of every feature map;
# 2. train it with a live monitor, or load the bundled pretrained generator instead;
# 3. interpolate in latent space and explain why spherical interpolation beats linear;
# 4. recognise three failure modes (learning-rate imbalance, no batch norm, saturating loss);
# 5. track FID, KID and precision/recall over training, measured with the digit classifier's features.
#
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("02_dcgan"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch

# %%
import inspect

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from imgsynth_edu import pretrained, viz
from imgsynth_edu.data import get_dataset, stack_dataset
from imgsynth_edu.evaluation import digit_gan_scores
from imgsynth_edu.losses import adversarial_losses
from imgsynth_edu.models.gan import DCGANDiscriminator, DCGANGenerator
from imgsynth_edu.training import Callback, GANTrainer
from imgsynth_edu.widgets.gan import LatentExplorer, TrainingMonitor

quick = ise.is_quick_mode()
train_digits = get_dataset("mnist-5k", "train")
test_images, _ = stack_dataset(get_dataset("mnist-5k", "test"))
print(f"mnist-5k (bundled, offline): {len(train_digits)} training digits, {len(test_images)} held out")

# %% [markdown]
# ## 1. The architecture, shape by shape
#
# The generator projects $z \in \mathbb R^{64}$ to a $7\times7$ map, then each transposed
# convolution (kernel 4, stride 2, padding 1) doubles the side: $7 \to 14 \to 28$. The
# discriminator mirrors it with strided convolutions, $28 \to 14 \to 7$, and one $7\times7$
# convolution to a single logit. Below, forward hooks print every layer's output shape.

# %%
# NBVAL_CHECK_OUTPUT
def print_shapes(model, x):
    def hook(module, _inputs, output):
        print(f"  {type(module).__name__:<16} -> {tuple(output.shape)}")
    handles = [m.register_forward_hook(hook) for m in model.net]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()

G_demo, D_demo = DCGANGenerator(64, 28, 1, width=32), DCGANDiscriminator(28, 1, width=32)
print("generator, z of shape (2, 64):")
print_shapes(G_demo, torch.zeros(2, 64))
print("discriminator, images of shape (2, 1, 28, 28):")
print_shapes(D_demo, torch.zeros(2, 1, 28, 28))
print(f"parameters: G {sum(p.numel() for p in G_demo.parameters()):,}, D {sum(p.numel() for p in D_demo.parameters()):,}")

# %%
print(inspect.getsource(DCGANGenerator.__init__))

# %% [markdown]
# ## 2. Train it, live — then load the pretrained generator
#
# The same `GANTrainer` as lesson 01, now with images: real digits arrive in $[0, 1]$ and are
# mapped to the generator's $[-1, 1]$ by the task; the monitor shows samples from a fixed noise
# batch and the curves of the losses, $D(x)$ and $D(G(z))$. A callback scores the generator every
# few steps (section 5 explains the scores).
#
# To see digits within a few hundred steps on a CPU, the networks are narrow (`width=16`), the
# batches small (32) and both learning rates $10^{-3}$, five times the DCGAN paper's
# $2 \cdot 10^{-4}$ (Adam with $\beta_1 = 0.5$ as in the paper). This run is also the **baseline**
# of the failure modes of section 4.

# %%
classifier = pretrained.load("digit-classifier", device=device)


class DigitScores(Callback):
    """Every `every` steps: FID, KID, precision and recall of `n` samples (digit-classifier features)."""

    def __init__(self, every, n):
        self.every, self.n, self.records = every, n, []

    def on_step_end(self, loop, step, logs):
        if step % self.every == 0:
            generator = loop.generator_ema or loop.generator
            scores = digit_gan_scores(generator, n=self.n, real_images=test_images, classifier=classifier, kid_subset=200)
            self.records.append((step, scores))


def dcgan_trainer(loss="non-saturating", lr_g=1e-3, lr_d=1e-3, batch_norm=True, **options):
    """The DCGAN run of this lesson; each argument is one thing section 4 may change."""
    ise.seed_everything(0)
    return GANTrainer(DCGANGenerator(64, 28, 1, 16, batch_norm=batch_norm),
                      DCGANDiscriminator(28, 1, 16, batch_norm=batch_norm), train_digits, loss=loss, steps=steps,
                      batch_size=32, lr_g=lr_g, lr_d=lr_d, log_every=5, device=device, **options)


steps = ise.quick_or_full(800, 3000)
scorer = DigitScores(every=steps // 4, n=ise.quick_or_full(200, 1000))
trainer = dcgan_trainer(n_preview=32, callbacks=[scorer])
monitor = TrainingMonitor(trainer, every=steps // 4, zoom=2)
display(monitor.widget)
log = trainer.fit()  # a History of the logged losses, also at trainer.history; the monitor shows it live

# %%
monitor.static_figure()
plt.show()

# %% [markdown]
# Are these digits? Ask the bundled classifier (97 % accurate on held-out real digits) to name
# 500 samples, and count how many it names with at least 90 % confidence, and how often it names
# each digit. Real held-out digits are the yardstick.


# %%
@torch.no_grad()
def digit_report(images):
    """Share of images the classifier names with >= 90 % confidence, and the share of each digit named."""
    probabilities = classifier(images.to(device)).softmax(dim=1).cpu()  # (N, 10)
    confident = float((probabilities.max(dim=1).values >= 0.9).float().mean())
    shares = torch.bincount(probabilities.argmax(dim=1), minlength=10).float() / len(images)
    return confident, shares


real_confident, _ = digit_report(test_images[:500])
own_confident, own_shares = digit_report(trainer.generator.sample(500, generator=torch.Generator().manual_seed(5)))
print(f"named with >= 90 % confidence: real digits {real_confident:.0%}, this run's samples {own_confident:.0%}")
print("share of each digit among the samples:", " ".join(f"{d}:{s:.0%}" for d, s in enumerate(own_shares)))
ise.claim(f"after {trainer.step} steps, at least a third of the samples are digits the classifier names with "
          "at least 90 % confidence", own_confident >= 1 / 3,
          measured=f"{own_confident:.0%} (real digits: {real_confident:.0%})")
ise.claim("all ten digits are drawn, each at least 2 % of the samples", bool(own_shares.min() >= 0.02),
          measured=f"rarest digit {int(own_shares.argmin())} at {own_shares.min():.1%}")

# %% [markdown]
# The bundled `dcgan-mnist` generator was trained with the command on its card: a longer run of
# this same loop (twice the width, batches of 64, the paper's learning rate, 15,000 steps) with one
# change to the discriminator, **spectral normalisation** instead of batch norm
# (`DCGANDiscriminator(..., spectral_norm=True)`; Miyato et al. 2018). Every layer
# of D divides its weight $W$ by an estimate of its largest singular value $\sigma_{\max}(W)$,
# which keeps each layer *roughly* 1-Lipschitz, so D cannot become arbitrarily sharp. Roughly, not
# exactly: the estimate comes from one power iteration per training step (it approaches
# $\sigma_{\max}$ from below as the steps go by), and for a convolution the normalised matrix is
# the kernel reshaped to $C_\text{out} \times C_\text{in} k^2$, whose largest singular value is not
# the convolution's own Lipschitz constant (that one can be larger, by up to a factor $k$ for a
# $k \times k$ kernel; Tsuzuku et al. 2018). Its card records its scores, measured as in section 5;
# we use it for the rest of the lesson and check here that it draws every digit.

# %%
card = pretrained.card("dcgan-mnist")
print("command:", card["command"])
print(f"{card['steps']:,} steps, {card['wall_time_s'] / 60:.0f} min on a CPU with one thread (the card says which)")
print({k: card["scores"][k] for k in ("fid", "kid", "precision", "recall", "min_digit_share") if k in card["scores"]})
generator = pretrained.load("dcgan-mnist", device=device)
viz.show_grid(generator.sample(64, generator=torch.Generator(device=device).manual_seed(0)).cpu(), nrow=16,
              title="dcgan-mnist: 64 samples")
plt.show()
bundled_confident, bundled_shares = digit_report(generator.sample(1000, generator=torch.Generator(device=device).manual_seed(7)))
ise.claim("dcgan-mnist draws every digit, each at least 5 % of 1,000 fresh samples", bool(bundled_shares.min() >= 0.05),
          measured=f"rarest digit {int(bundled_shares.argmin())} at {bundled_shares.min():.1%}; "
                   f"{bundled_confident:.0%} named with >= 90 % confidence")
ise.claim("dcgan-mnist's digits are more often named confidently than this lesson's short run's",
          bundled_confident > own_confident, measured=f"{bundled_confident:.0%} vs {own_confident:.0%}")

# %% [markdown]
# ## 3. Walking the latent space
#
# Two seeds give two latents $z_A, z_B$. **Linear** interpolation $(1-t)z_A + t z_B$ cuts through
# the inside of the sphere where Gaussian latents live: its midpoint has norm $\approx 0.71\sqrt{Z}$,
# a region the generator never saw in training. **Spherical** interpolation (slerp) follows the
# great circle and keeps the norm typical (White 2016). The direction sliders add random
# orthonormal directions; **new seed B** draws a new end point. The caption shows $\|z\|$.

# %%
explorer = LatentExplorer(generator, seed_a=0, seed_b=1, n_directions=3)
display(explorer.widget)

# %%
explorer.static_figure(steps=8)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
typical_norm = generator.latent_dim ** 0.5
midpoint = {name: explorer.latent(0.5, name).norm().item() / typical_norm for name in ("lerp", "slerp")}
ise.claim("the linear midpoint has a norm of about 0.71 √Z, outside the shell of typical latents; slerp's stays near √Z",
          abs(midpoint["lerp"] - 0.71) < 0.1 and abs(midpoint["slerp"] - 1.0) < 0.1,
          measured=f"lerp {midpoint['lerp']:.2f} √Z, slerp {midpoint['slerp']:.2f} √Z (seeds {explorer.seeds[0]} and {explorer.seeds[1]})")

# %% [markdown]
# ## 4. Failure modes, measured against the baseline
#
# Three ways people say DCGAN breaks, each a run of the same length as section 2's, from the same
# seed, changing **one** thing:
#
# * **learning-rate imbalance**: the generator learns 10× slower than the discriminator (G's
#   learning rate $10^{-4}$, D's unchanged). It is often said that the discriminator then wins the
#   game and the generator's gradient dries up;
# * **no batch norm** in either network: the DCGAN paper (Sec. 3) found it essential to get deep
#   generators to start learning;
# * **the saturating (minimax) generator loss** of lesson 01, now on images.
#
# Each run is judged as section 2's was, by the classifier (FID on its features, the share of
# samples named with confidence, the digits drawn), and by the generator's gradient at the end:
# the norm of $\nabla_\theta \mathcal{L}_G$ on a fixed batch of noise, with the loss the run
# trained with.

# %%
changes = {
    "G 10x slower": {"lr_g": 1e-4},
    "no batch norm": {"batch_norm": False},
    "saturating loss": {"loss": "minimax"},
}
experiments = {"baseline (section 2)": trainer}
halfway_and_end = {}  # FID of 500 samples halfway through each changed run and at its end
for label, change in changes.items():
    halfway_and_end[label] = DigitScores(every=steps // 2, n=500)
    run = dcgan_trainer(progress=False, n_preview=16, callbacks=[halfway_and_end[label]], **change)
    run.fit()
    experiments[label] = run


def generator_gradient_norm(run):
    """‖∇_θ L_G‖ of the run's own generator loss, on 64 fixed noise vectors."""
    _, g_loss_fn = adversarial_losses(run.config.loss)
    run.generator.zero_grad()
    z = torch.randn(64, run.generator.latent_dim, generator=torch.Generator().manual_seed(123)).to(device)
    g_loss_fn(run.discriminator(run.generator(z))).backward()
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in run.generator.parameters())).item()
    run.generator.zero_grad()
    return norm


table = {}
for label, run in experiments.items():
    scores = digit_gan_scores(run.generator, n=500, real_images=test_images, classifier=classifier, kid_subset=200)
    confident, shares = digit_report(run.generator.sample(500, generator=torch.Generator().manual_seed(5)))
    d_real, d_fake = run.history.values["d_real"], run.history.values["d_fake"]
    table[label] = {"fid": scores["fid"], "confident": confident, "digits": int((shares >= 0.02).sum()),
                    "d_real": sum(d_real[-5:]) / 5, "d_fake": sum(d_fake[-5:]) / 5,
                    "gap": sum(r - f for r, f in zip(d_real, d_fake)) / len(d_real),  # mean D(x) - D(G(z)) over the run
                    "d_fake_after_100": max(d for s, d in zip(run.history.steps, d_fake) if s >= 100),
                    "grad": generator_gradient_norm(run)}

fig, axes = plt.subplots(2, len(experiments), figsize=(3.0 * len(experiments), 6.2))
for col, (label, run) in enumerate(experiments.items()):
    axes[0, col].imshow(viz.to_numpy_image(viz.make_grid(run.preview()[:16], nrow=4)), cmap="gray", vmin=0, vmax=1)
    axes[0, col].set_title(f"{label}\nFID {table[label]['fid']:.0f}", fontsize=9)
    axes[0, col].set_axis_off()
    values = run.history.values
    axes[1, col].plot(run.history.steps, values["d_real"], label="D(x)")
    axes[1, col].plot(run.history.steps, values["d_fake"], label="D(G(z))")
    axes[1, col].set_ylim(-0.05, 1.05)
    axes[1, col].set_xlabel("step")
    axes[1, col].legend(fontsize=7)
plt.tight_layout()
plt.show()
print(f"{'run':<22} {'FID':>7} {'named':>6} {'digits':>6} {'D(x)':>5} {'D(G(z))':>7} {'|grad G|':>8}")
for label, row in table.items():
    print(f"{label:<22} {row['fid']:7.1f} {row['confident']:6.0%} {row['digits']:6d} {row['d_real']:5.2f} "
          f"{row['d_fake']:7.2f} {row['grad']:8.2f}")

# %% [markdown]
# What the measurements show (each line is checked below):
#
# * **A 10× slower generator loses the game** — the gap between $D(x)$ and $D(G(z))$ stays wide —
#   **but its gradient does not dry up**: with the non-saturating loss its norm stays of the order
#   of the baseline's, or above. The generator is slow because its *steps* are ten times smaller,
#   and its FID lags far behind. A strong discriminator does not starve the generator when the
#   loss is non-saturating (lesson 01); the two time-scale update rule (TTUR, Heusel et al. 2017)
#   even *prescribes* a faster discriminator. (Try `lr_d=1e-2` with G's rate unchanged.)
# * **Without batch norm**, this small DCGAN ends behind the baseline. (Whether it still improves
#   late in a run this short differs from run to run, even with the thread count, so no claim is
#   made about it; the DCGAN paper found batch norm essential for deeper generators than this one.)
# * **The saturating loss stalls**: $D$ rejects every fake at once, $D(G(z))$ stays near 0, FID
#   does not improve, and the gradient of the loss the generator minimises is orders of magnitude
#   below the baseline's (in the logit, $\log(1 - D)$ is flat). On the 2-D toy of lesson 01,
#   Adam's rescaling rescued this loss; on images, $D$ is so sure of itself that nothing is left
#   to rescale.

# %%
base = table["baseline (section 2)"]
rows = {label: table[label] for label in changes}
slow = rows["G 10x slower"]
ise.claim("with G 10x slower, D wins: the mean gap D(x) - D(G(z)) over the run is wider than the baseline's",
          slow["gap"] > base["gap"], measured=f"gap {slow['gap']:.2f} vs baseline {base['gap']:.2f}")
ise.claim("... yet the generator's gradient has not dried up: its norm is at least half the baseline's",
          slow["grad"] >= 0.5 * base["grad"], measured=f"|grad| {slow['grad']:.2f} vs baseline {base['grad']:.2f}")
ise.claim("... and its FID lags far behind the baseline's (at least 1.5 times as high)", slow["fid"] >= 1.5 * base["fid"],
          measured=f"FID {slow['fid']:.1f} vs {base['fid']:.1f}")
ise.claim("without batch norm the run ends behind the baseline (higher FID)", rows["no batch norm"]["fid"] > base["fid"],
          measured=f"FID {rows['no batch norm']['fid']:.1f} vs {base['fid']:.1f}")
saturating = rows["saturating loss"]
stalled = halfway_and_end["saturating loss"].records
ise.claim("the saturating run stalls: D(G(z)) stays below 0.05 from step 100 on, and FID does not improve in the second half",
          saturating["d_fake_after_100"] < 0.05 and stalled[-1][1]["fid"] >= stalled[0][1]["fid"],
          measured=f"largest D(G(z)) after step 100: {saturating['d_fake_after_100']:.3f}; FID {stalled[0][1]['fid']:.0f} "
                   f"at step {stalled[0][0]}, {stalled[-1][1]['fid']:.0f} at step {stalled[-1][0]}")
ise.claim("... and the gradient of its own loss is at least 100x smaller than the baseline's",
          saturating["grad"] * 100 < base["grad"], measured=f"|grad| {saturating['grad']:.1e} vs baseline {base['grad']:.2f}")

# %% [markdown]
# ## 5. Scores over training: FID, KID, precision and recall
#
# Each score compares a set of generated digits with the held-out real digits in the feature
# space of the bundled digit classifier (lesson 04 explains each in depth):
#
# * **FID** — Fréchet distance between Gaussians fitted to the two feature clouds (lower is better; biased by sample size);
# * **KID** — an unbiased kernel distance (lower is better; near 0 for matching sets);
# * **precision** — share of fakes that land on the real manifold (fidelity), **recall** — share
#   of reals covered by the fake manifold (diversity).
#
# Below: the scores the callback recorded during the training of section 2.

# %%
records = scorer.records
fig, axes = plt.subplots(1, 3, figsize=(12, 3))
record_steps = [s for s, _ in records]
axes[0].plot(record_steps, [r["fid"] for _, r in records], "o-")
axes[0].set_title("FID (digit features) ↓")
axes[1].plot(record_steps, [r["kid"] for _, r in records], "o-")
axes[1].set_title("KID ↓")
axes[2].plot(record_steps, [r["precision"] for _, r in records], "o-", label="precision")
axes[2].plot(record_steps, [r["recall"] for _, r in records], "o-", label="recall")
axes[2].set_title("precision / recall ↑")
axes[2].legend()
for ax in axes:
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()
first, last = records[0][1], records[-1][1]
ise.claim("over the run, FID falls and recall rises", last["fid"] < first["fid"] and last["recall"] > first["recall"],
          measured=f"FID {first['fid']:.0f} -> {last['fid']:.0f}, recall {first['recall']:.2f} -> {last['recall']:.2f} "
                   f"(steps {records[0][0]} -> {records[-1][0]})")

# %% [markdown]
# ## Exercises
#
# DCGAN's shapes, its latent space, and a measure of mode coverage.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson02

# %% [markdown]
# **Exercise 1 · How big is a transposed convolution's output?.** Write `transposed_conv_output_size(size, kernel, stride, padding, output_padding=0)`: the side of the
# output of `nn.ConvTranspose2d` for a square input of side `size`. Check it against section 1: the
# generator's stages take $7 \to 14 \to 28$ with kernel 4, stride 2, padding 1.
#
# <details><summary>Hint</summary>
#
# A convolution maps a side $n$ to $\lfloor (n + 2p - k)/s \rfloor + 1$. The transposed convolution
# runs that map backwards: solve for $n$, then add `output_padding`.
# </details>

# %%
def transposed_conv_output_size(size, kernel, stride, padding, output_padding=0):
    """The output side of nn.ConvTranspose2d(kernel, stride, padding, output_padding) on a side of `size`."""
    raise NotImplementedError  # your code here

# %%
lesson02.check_transposed_conv_output_size(transposed_conv_output_size)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def transposed_conv_output_size(size, kernel, stride, padding, output_padding=0):
#     # a convolution maps (size_out - 1)·stride - 2·padding + kernel back to size_out; the transposed one runs it backwards
#     return (size - 1) * stride - 2 * padding + kernel + output_padding
# ```
# </details>

# %% [markdown]
# **Exercise 2 · Spherical interpolation.** Write `slerp(z0, z1, t)` for two batches of latents of shape `(N, Z)`: for each row,
#
# $$\mathrm{slerp}(z_0, z_1; t) = \frac{\sin((1-t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1,
# \qquad \cos\Omega = \frac{z_0 \cdot z_1}{\lVert z_0\rVert\,\lVert z_1\rVert}.$$
#
# Where two latents are parallel ($\sin\Omega = 0$) the formula divides by zero: fall back to the
# straight line $(1-t)z_0 + t z_1$ there.
#
# <details><summary>Hint</summary>
#
# Compute $\Omega$ per row as a column, shape `(N, 1)`, so it broadcasts over the `Z` entries;
# `clamp(-1, 1)` the cosine before `torch.acos`; `torch.where` picks the fallback row by row.
# </details>

# %%
import torch


def slerp(z0, z1, t):
    """Spherical interpolation between the rows of z0 and z1 (both (N, Z)) at t in [0, 1]."""
    raise NotImplementedError  # your code here

# %%
lesson02.check_slerp(slerp)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def slerp(z0, z1, t):
#     cos_omega = (z0 * z1).sum(dim=1) / (z0.norm(dim=1) * z1.norm(dim=1))  # (N,): the angle between each pair
#     omega = torch.acos(cos_omega.clamp(-1.0, 1.0))[:, None]  # (N, 1)
#     sin_omega = torch.sin(omega)
#     spherical = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / sin_omega  # (N, Z)
#     linear = (1 - t) * z0 + t * z1  # parallel latents (sin Ω = 0): the great circle is a straight line
#     return torch.where(sin_omega.abs() < 1e-6, linear, spherical)
# ```
# </details>

# %% [markdown]
# **Exercise 3 · Which digits does a generator draw?.** The `dcgan-mnist` card reports how often each digit appears among the generator's samples: the
# bundled classifier decides which digit each sample shows, and the **share** of a digit is the
# fraction of samples it wins. Write `digit_shares(logits)` for the classifier's logits of shape
# `(N, 10)`; return 10 shares that sum to 1, a digit that is never drawn included (share 0).
#
# <details><summary>Hint</summary>
#
# `logits.argmax(dim=1)` is each sample's digit; `torch.bincount(..., minlength=10)` counts them, the
# missing digits included; divide by `N`.
# </details>

# %%
import torch


def digit_shares(logits):
    """The share of the N samples assigned to each of the 10 digits: a tensor of shape (10,)."""
    raise NotImplementedError  # your code here

# %%
lesson02.check_digit_shares(digit_shares)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def digit_shares(logits):
#     predicted = logits.argmax(dim=1)  # (N,): the classifier's decision for each sample
#     counts = torch.bincount(predicted, minlength=logits.shape[1])  # (K,): a digit never drawn counts 0
#     return counts.float() / len(predicted)  # (K,), sums to 1
# ```
# </details>

# %% [markdown]
# **Open exercises.**
#
# 4. Train with `loss="non-saturating"`, `loss="hinge"` and `loss="wgan-gp", n_critic=5` (use
#    `DCGANDiscriminator(..., batch_norm=False)` for WGAN-GP: its penalty is per sample), each with
#    `spectral_norm=True` and without. Compare FID and the smallest digit share
#    (`digit_gan_scores` in `imgsynth_edu.evaluation`).
# 5. Train with `ema_decay=0.999` and compare the scores of `trainer.generator` and `trainer.generator_ema`.
# 6. Using the explorer, find a direction slider that changes the *style* (thickness, slant) but not the digit.
#
# <details><summary>Hint for 4</summary>
#
# `GANTrainer(G, D, train_digits, loss="wgan-gp", n_critic=5, lr_g=1e-4, lr_d=1e-4, betas=(0.0, 0.9))`
# follows Gulrajani et al. (2017, Alg. 1).
# </details>

# %% [markdown]
# ## Summary
#
# * DCGAN = the GAN game with (transposed) convolutions, batch norm, ReLU/LeakyReLU and `tanh`;
#   the training loop is unchanged from the 2-D toy.
# * Walk latent space with **slerp**: linear interpolation leaves the shell where Gaussian latents live.
# * Measured, not assumed: a 10× slower generator loses the game but keeps its gradient (it is slow
#   because its steps are small); this small DCGAN without batch norm ends behind the baseline; the
#   saturating loss stalls.
# * Track **FID/KID** (overall distance) *and* **precision/recall** (fidelity vs diversity) over training.
#
# ## References
#
# * Radford, Metz & Chintala, *Unsupervised Representation Learning with Deep Convolutional GANs*, ICLR 2016.
# * White, *Sampling Generative Networks*, 2016.
# * Heusel et al., *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium* (FID), NeurIPS 2017.
# * Bińkowski et al., *Demystifying MMD GANs* (KID), ICLR 2018.
# * Kynkäänniemi et al., *Improved Precision and Recall Metric for Assessing Generative Models*, NeurIPS 2019.
# * Miyato, Kataoka, Koyama & Yoshida, *Spectral Normalization for Generative Adversarial Networks*, ICLR 2018.
# * Tsuzuku, Sato & Sugiyama, *Lipschitz-Margin Training: Scalable Certification of Perturbation Invariance for Deep Neural Networks*, NeurIPS 2018.
