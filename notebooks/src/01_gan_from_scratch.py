# %% [markdown]
# # 01 · A GAN from scratch: the game, the right losses, and a toy you can watch
#
# {{COLAB_BADGE}}
#
# A generative adversarial network (GAN) learns to draw samples from a distribution it only
# sees examples of. Two networks play a game: a **generator** turns random noise into samples,
# a **discriminator** tries to tell them from real ones. Before any images, we play the game on
# 2-D points — a ring of eight Gaussians — where everything (the real data, the fakes, the
# discriminator's opinion) fits in one picture and trains in seconds.
#
# **Learning goals.** After this lesson you can
#
# 1. write the GAN objective, the optimal discriminator $D^*$ and its link to the Jensen–Shannon divergence;
# 2. explain why the *non-saturating* generator loss is used instead of the minimax one, with gradients to prove it;
# 3. read one correct training step (discriminator on real + **detached** fake, then generator) and name the common mistakes;
# 4. measure a 2-D GAN by **modes covered** and **high-quality samples**, and recognise mode collapse.
#
# Time: quick mode (what the tests and the book run) took about 13 s on a 2-core CPU, measured
# by nbval. The full run's time has not been measured yet (no GPU was available when this
# lesson was written); expect longer, and see the pretrained models' cards for full trainings.

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("01_gan_from_scratch"))
device = ise.get_device()
ise.seed_everything(0)

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from imgsynth_edu import losses
from imgsynth_edu.data.toy2d import grid_of_gaussians, ring_of_gaussians
from imgsynth_edu.models.gan import MLPDiscriminator, MLPGenerator
from imgsynth_edu.training.gan import GANTrainer
from imgsynth_edu.viz import plot_toy
from imgsynth_edu.widgets.gan import TrainingMonitor

quick = ise.is_quick_mode()
toy_device = "cpu"  # 2-D points: tiny networks are faster on the CPU than on a GPU

# %% [markdown]
# ## 1. The data: a ring of eight Gaussians
#
# Eight Gaussians of standard deviation $\sigma = 0.05$ on a circle of radius 2 (the toy of the
# Unrolled-GAN paper, Metz et al. 2017). We score a generator the way that paper and VEEGAN do:
# a sample is **high quality** if it lies within $3\sigma$ of a mode, and a mode is **covered** if
# it receives enough high-quality samples (at least 0.8 % of them, PacGAN's 20 of 2,500).
# Real samples score 8/8 modes and $1 - e^{-9/2} \approx 98.9\,\%$ high quality: the ceiling.

# %%
# NBVAL_CHECK_OUTPUT
ring = ring_of_gaussians()
real_points = ring.sample(2500, torch.Generator().manual_seed(0))
scores = ring.evaluate(real_points)
print(f"{ring.name}: real samples cover {scores['modes_covered']}/{scores['n_modes']} modes, "
      f"{scores['high_quality']:.1%} high quality")

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
plot_toy(ring, ax=axes[0], title=ring.name)
plot_toy(grid_of_gaussians(), ax=axes[1], title="25-Gaussians grid (exercise)")
plt.show()

# %% [markdown]
# ## 2. The game and its optimum
#
# The discriminator $D(x) \in (0, 1)$ is the probability that $x$ is real; the generator $G$ maps
# noise $z \sim \mathcal N(0, I)$ to samples. Goodfellow et al. (2014, Eq. 1) define the value
#
# $$V(D, G) = \mathbb E_{x \sim p_\text{data}}[\log D(x)] + \mathbb E_{z}[\log(1 - D(G(z)))],
# \qquad \min_G \max_D V(D, G).$$
#
# For a fixed $G$ (with sample density $p_g$) the best discriminator is (paper, Prop. 1)
#
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)},$$
#
# and plugging it back in gives (Thm. 1)
#
# $$V(D^*, G) = -\log 4 + 2\,\mathrm{JS}(p_\text{data} \,\|\, p_g),$$
#
# so the generator, against a perfect discriminator, minimises the Jensen–Shannon divergence;
# the optimum is $p_g = p_\text{data}$, where $D^* = \tfrac12$ everywhere and $V = -\log 4$.
# Let's check the identity numerically for two 1-D Gaussians.

# %%
# NBVAL_CHECK_OUTPUT
x = np.linspace(-10, 10, 200_001)
dx = x[1] - x[0]
def gaussian(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
p_data, p_g = gaussian(x, 0.0, 1.0), gaussian(x, 1.5, 0.7)
d_star = p_data / (p_data + p_g)
# V(D*, G) = E_data[log D*] + E_g[log(1 - D*)], with 1 - D* = p_g / (p_data + p_g) written exactly (no log 0 in the tails)
value = np.sum(p_data * np.log(p_data / (p_data + p_g)) + p_g * np.log(p_g / (p_data + p_g))) * dx
mixture = (p_data + p_g) / 2
js = 0.5 * np.sum(p_data * np.log(p_data / mixture)) * dx + 0.5 * np.sum(p_g * np.log(p_g / mixture)) * dx
print(f"V(D*, G)            = {value:.4f}")
print(f"-log 4 + 2 JS(p||q) = {-np.log(4) + 2 * js:.4f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(x, p_data, label="$p_{data}$")
ax.plot(x, p_g, label="$p_g$")
ax.plot(x, d_star, "k--", label="$D^*(x)$")
ax.set_xlim(-4, 5)
ax.legend()
ax.set_title("the optimal discriminator is a ratio of densities")
plt.show()

# %% [markdown]
# ## 3. Losses as code, and why the generator does not use $\log(1 - D)$
#
# Our discriminators output a **logit** $d$ and $D(x) = \sigma(d)$; writing the losses on logits
# ($\log\sigma(d) = -\operatorname{softplus}(-d)$) is exact and never takes $\log 0$.
# The discriminator minimises $-V$: binary cross-entropy, real = 1, fake = 0.

# %%
print(inspect.getsource(losses.d_loss_minimax))

# %% [markdown]
# The generator could minimise $V$ directly: $\mathbb E_z[\log(1 - D(G(z)))]$ — the **minimax**
# or *saturating* loss. Early in training the fakes are bad, $D(G(z)) \approx 0$, and there the
# curve $\log(1-D)$ is flat: the generator receives almost no gradient exactly when it needs it
# most. The paper's fix (Sec. 3) is the **non-saturating** loss $-\mathbb E_z[\log D(G(z))]$: same
# fixed point, steep where the fakes are bad. Below: both losses and their gradients with respect
# to the logit, computed by autograd *through the library functions*.

# %%
print(inspect.getsource(losses.g_loss_saturating))
print(inspect.getsource(losses.g_loss_non_saturating))

# %%
logits = torch.linspace(-8, 8, 401, requires_grad=True)
curves = {}
for name, loss_fn in [("saturating  log(1 - D)", losses.g_loss_saturating),
                      ("non-saturating  -log D", losses.g_loss_non_saturating)]:
    per_sample = torch.stack([loss_fn(l[None]) for l in logits])
    (gradient,) = torch.autograd.grad(per_sample.sum(), logits)
    curves[name] = (per_sample.detach(), gradient)
d_of_fake = torch.sigmoid(logits).detach()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for name, (loss_values, gradient) in curves.items():
    axes[0].plot(d_of_fake, loss_values, label=name)
    axes[1].plot(d_of_fake, gradient.abs(), label=name)
axes[0].set_title("generator loss")
axes[1].set_title("|d loss / d logit|: the signal G receives")
axes[1].set_yscale("log")
for ax in axes:
    ax.set_xlabel("D(G(z)) (0 = D is sure it is fake)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The same on the toy: train a discriminator for a few steps against an untrained generator (so it
# rejects the fakes confidently), then compare the size of the generator's gradient under each loss.

# %%
# NBVAL_CHECK_OUTPUT
ise.seed_everything(0)
data = ring.sample(20_000, torch.Generator().manual_seed(1))
probe = GANTrainer(MLPGenerator(2, (2,), 64, 3), MLPDiscriminator((2,), 64, 3), data, batch_size=256,
                   lr_d=1e-3, device=toy_device, progress=False)
for _ in range(100):  # discriminator only: it learns to reject the untrained generator's points
    probe.discriminator_step(probe.batches.next())
z = torch.randn(512, 2)
fake_scores = probe.discriminator(probe.generator(z))
print(f"mean D(G(z)) after training D alone: {torch.sigmoid(fake_scores).mean():.3f}")
for name, loss_fn in [("saturating", losses.g_loss_saturating), ("non-saturating", losses.g_loss_non_saturating)]:
    probe.generator.zero_grad()
    loss_fn(probe.discriminator(probe.generator(z))).backward()
    norm = torch.sqrt(sum((p.grad**2).sum() for p in probe.generator.parameters()))
    print(f"{name:>15}: |grad of G| = {norm:.1e}")

# %% [markdown]
# ## 4. One correct training step
#
# The loop in `imgsynth_edu.training.gan` does, per step (Goodfellow et al. 2014, Algorithm 1):
#
# 1. **discriminator step** — a real batch and a fake batch that is **detached** from $G$, loss
#    $L_D$, step *only* $D$'s optimizer;
# 2. **generator step** — a fresh fake batch (not detached), loss $L_G$ from $D$'s scores, step
#    *only* $G$'s optimizer.
#
# Here are those two methods, exactly as the library runs them:

# %%
print(inspect.getsource(GANTrainer.discriminator_step))
print(inspect.getsource(GANTrainer.generator_step))

# %% [markdown]
# > **⚠ Common mistakes (seen in popular tutorials), and why they fail**
# >
# > * **The generator's loss written equal to the discriminator's** (e.g. `g_loss = d_loss`, or
# >   BCE with the *fake* label for the generator): then $G$ *helps* $D$ — it descends the same loss
# >   — and learns to make its samples easier to reject. The generator must use the real label
# >   (non-saturating) or minimise $\log(1 - D)$, never $D$'s own loss.
# > * **No `.detach()` on the fake in the discriminator step**: $D$'s loss then sends gradients into $G$.
# >   If $G$'s gradients are zeroed only once per step (before the $D$ step), they are added to $G$'s
# >   own and push $G$ the *wrong* way (towards samples $D$ rejects more easily); at best they are
# >   wasted work. Detach (or use `torch.no_grad()` for) the fake of the $D$ step.
# > * **Stepping the discriminator twice and the generator never** (a copy-paste of `opt_d.step()`),
# >   or **never calling an optimizer's `step()`** at all: one player does not play, the losses look
# >   busy, nothing is learned. Each step must call `opt_d.step()` once per critic step and `opt_g.step()` once.
# > * **Forgetting `zero_grad()`**: gradients accumulate over steps; the effective learning rate grows without bound.

# %% [markdown]
# ## 5. Train the toy GAN, live
#
# The monitor below is a training callback *and* a widget: it redraws the generated points over
# the discriminator's decision surface (red: "real", blue: "fake") and the loss curves while the
# training runs. Its **snapshot** slider replays the pictures seen so far; **train more** continues.

# %%
ise.seed_everything(0)
steps = ise.quick_or_full(500, 3000)
trainer = GANTrainer(MLPGenerator(2, (2,), 64, 3), MLPDiscriminator((2,), 64, 3), data, loss="non-saturating",
                     steps=steps, batch_size=256, lr_g=1e-3, lr_d=1e-3, ema_decay=0.99, log_every=10,
                     device=toy_device, n_preview=500)
monitor = TrainingMonitor(trainer, every=steps // 4, toy=ring)
display(monitor.widget)
trainer.fit()

# %%
monitor.static_figure()
plt.show()

# %%
scores = ring.evaluate(trainer.generator_ema.sample(2500, generator=torch.Generator().manual_seed(2)))
print(f"non-saturating, {trainer.step} steps: {scores['modes_covered']}/8 modes covered, "
      f"{scores['high_quality']:.1%} high-quality samples; per mode: {scores['counts']}")
if quick:
    print("(quick mode: 500 steps only start the game. The full run trains 3,000 steps; the course's learning "
          "test, 1,600 steps with these settings, reaches 8/8 modes and 86% high-quality samples.)")

# %% [markdown]
# ## 6. Mode collapse, made visible
#
# A generator is rewarded for fooling *this* discriminator, not for covering the data. If it
# finds one mode that works, it can pour all its samples there; the discriminator then learns to
# reject that mode, the generator hops to another, and so on: **mode collapse**. Below we train the
# same networks with the **minimax** (saturating) loss and a generator whose learning rate is
# much larger than the discriminator's, and count modes over training. Snapshots show where the
# samples go; the metric says how many modes are alive at each moment.

# %%
def train_and_track(loss, lr_g, lr_d, steps, seed=0, every=None):
    ise.seed_everything(seed)
    run = GANTrainer(MLPGenerator(2, (2,), 64, 3), MLPDiscriminator((2,), 64, 3), data, loss=loss, steps=steps,
                     batch_size=256, lr_g=lr_g, lr_d=lr_d, device=toy_device, progress=False, log_every=50)
    every = every or steps // 4
    track = []
    for target in range(every, steps + 1, every):
        run.fit(target)
        samples = run.generator.sample(2500, generator=torch.Generator().manual_seed(2))
        track.append((target, samples, ring.evaluate(samples)))
    return run, track

collapse_steps = ise.quick_or_full(400, 3000)
_, collapsed = train_and_track("minimax", lr_g=3e-3, lr_d=1e-4, steps=collapse_steps)
fig, axes = plt.subplots(1, len(collapsed), figsize=(3.2 * len(collapsed), 3.2))
for ax, (step, samples, s) in zip(axes, collapsed):
    plot_toy(ring, samples, ax=ax, n_real=400, title=f"step {step}: {s['modes_covered']}/8 modes, {s['high_quality']:.0%} HQ")
plt.show()

# %% [markdown]
# Compare the modes covered and the share of high-quality samples with the run of section 5.
# When the generator outruns its critic it does not explore: it moves its whole cloud to
# wherever the (slow) discriminator currently says "real". Fixes used in practice: the
# non-saturating loss, balanced learning rates, minibatch statistics in $D$, unrolled or
# packed discriminators (Unrolled GAN, PacGAN), and the Wasserstein loss with a gradient penalty.

# %% [markdown]
# ## Exercises
#
# 1. Train on the **25-Gaussians grid** (`grid_of_gaussians()`) with the non-saturating loss.
#    How many of the 25 modes are covered after the same number of steps?
# 2. In section 3, which loss gives the larger gradient when $D(G(z)) = 0.9$? Why does that not matter in practice?
# 3. Break the loop on purpose: subclass `GANTrainer` and remove the `.detach()` in
#    `discriminator_step`. What happens to the modes covered?
#
# <details><summary>Hint for 1</summary>
#
# `grid = grid_of_gaussians(); grid_data = grid.sample(20_000)`, then build a `GANTrainer` as in
# section 5 and score with `grid.evaluate(...)`.
# </details>

# %%
# Check for exercise 1 (runs a short grid training; in quick mode it is only a sketch).
grid = grid_of_gaussians()
ise.seed_everything(0)
grid_trainer = GANTrainer(MLPGenerator(2, (2,), 64, 3), MLPDiscriminator((2,), 64, 3),
                          grid.sample(20_000, torch.Generator().manual_seed(1)), steps=ise.quick_or_full(150, 3000),
                          batch_size=256, lr_g=1e-3, lr_d=1e-3, device=toy_device, progress=False)
grid_trainer.fit()
grid_scores = grid.evaluate(grid_trainer.generator.sample(2500, generator=torch.Generator().manual_seed(2)))
print(f"grid: {grid_scores['modes_covered']}/25 modes, {grid_scores['high_quality']:.1%} high quality "
      f"after {grid_trainer.step} steps" + (" (quick mode: far from converged)" if quick else ""))

# %% [markdown]
# ## Summary
#
# * A GAN is a two-player game; against the optimal discriminator the generator minimises
#   $2\,\mathrm{JS}(p_\text{data}\|p_g) - \log 4$.
# * Use the **non-saturating** generator loss: the minimax one gives vanishing gradients when the
#   fakes are bad.
# * One step = discriminator on real + **detached** fake, then generator on a fresh fake; each
#   optimizer steps its own player.
# * On 2-D toys, *modes covered* and *high-quality share* make mode collapse measurable.
#
# Next: lesson 02 scales the same loop to images with DCGAN.
#
# ## References
#
# * Goodfellow et al., *Generative Adversarial Nets*, NeurIPS 2014.
# * Metz et al., *Unrolled Generative Adversarial Networks*, ICLR 2017.
# * Srivastava et al., *VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational Learning*, NeurIPS 2017.
# * Lin et al., *PacGAN: The power of two samples in generative adversarial networks*, NeurIPS 2018.
