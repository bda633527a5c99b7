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
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("01_gan_from_scratch"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from imgsynth_edu import losses, pretrained
from imgsynth_edu.data.toy2d import grid_of_gaussians, ring_of_gaussians
from imgsynth_edu.models.gan import MLPDiscriminator, MLPGenerator
from imgsynth_edu.training import Callback
from imgsynth_edu.training.gan import GANTrainer
from imgsynth_edu.training.toy import record_toy_run, score_toy_generator
from imgsynth_edu.viz import plot_toy
from imgsynth_edu.widgets.gan import TrainingMonitor

quick = ise.is_quick_mode()
toy_device = "cpu"  # 2-D points: tiny networks are faster on the CPU than on a GPU

# %% [markdown]
# ## 1. The data: a ring of eight Gaussians
#
# Eight Gaussians on a circle of radius 2: the toy of the Unrolled-GAN paper (Metz et al. 2017),
# whose modes have a standard deviation of $\sigma = 0.02$. We use wider modes, $\sigma = 0.05$,
# which a short CPU run can cover. We score a generator the way that paper and VEEGAN do: a sample
# is **high quality** if it lies within $3\sigma$ of a mode, and a mode is **covered** if it
# receives enough high-quality samples (at least 0.8 % of them, PacGAN's 20 of 2,500). A 2-D
# Gaussian puts $1 - e^{-9/2} \approx 98.9\,\%$ of its mass within $3\sigma$, so real samples
# should cover 8/8 modes with about 99 % high quality: the ceiling. The check below measures it.

# %%
# NBVAL_CHECK_OUTPUT
ring = ring_of_gaussians()
real_points = ring.sample(2500, torch.Generator().manual_seed(0))
scores = ring.evaluate(real_points)
print(f"{ring.name}: real samples cover {scores['modes_covered']}/{scores['n_modes']} modes, "
      f"{scores['high_quality']:.1%} high quality")
ise.claim("real samples cover all 8 modes with about 99 % high-quality samples (the ceiling)",
          scores["modes_covered"] == 8 and abs(scores["high_quality"] - (1 - np.exp(-4.5))) < 0.01,
          measured=f"{scores['modes_covered']}/8 modes, {scores['high_quality']:.1%} high quality")

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
plot_toy(ring, ax=axes[0], title=ring.name)
plot_toy(grid_of_gaussians(), ax=axes[1], title="25-Gaussians grid (section 7)")
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
ise.claim("V(D*, G) equals -log 4 + 2 JS(p_data || p_g)", bool(abs(value - (-np.log(4) + 2 * js)) < 1e-6),
          measured=f"{value:.4f} and {-np.log(4) + 2 * js:.4f}, equal to better than 1e-6")

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
# Our discriminators output a **logit** $\ell$ and $D(x) = \operatorname{sigmoid}(\ell)$; writing the losses
# on logits ($\log \operatorname{sigmoid}(\ell) = -\operatorname{softplus}(-\ell)$) is exact and never takes $\log 0$.
# The discriminator minimises $-V$: binary cross-entropy, real = 1, fake = 0.

# %%
print(inspect.getsource(losses.d_loss_minimax))

# %% [markdown]
# The generator could minimise $V$ directly: $\mathbb E_z[\log(1 - D(G(z)))]$ — the **minimax**
# or *saturating* loss. Early in training the fakes are bad and $D(G(z)) \approx 0$. There
# $\log(1 - D)$ is not flat *as a function of $D$* (its slope is $-1/(1-D) \approx -1$), but the
# generator does not move $D$ directly: it moves the logit $\ell$, and
# $\log(1 - \operatorname{sigmoid}(\ell)) = -\operatorname{softplus}(\ell)$ has slope
# $-\operatorname{sigmoid}(\ell) = -D \approx 0$. **In the logit the curve is flat**: the generator
# receives almost no gradient exactly when it needs it most. The paper's fix (Sec. 3) is the
# **non-saturating** loss $-\mathbb E_z[\log D(G(z))] = \mathbb E_z[\operatorname{softplus}(-\ell)]$,
# whose slope $\operatorname{sigmoid}(\ell) - 1 \approx -1$ there: same fixed point, steep where the
# fakes are bad. Below: both losses and their gradients with respect to the logit, computed by
# autograd *through the library functions*.

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
# The same on the toy: train a discriminator for a few steps against an untrained generator, so
# that it rejects the fakes confidently, then compare the size of the generator's gradient under
# each loss. The checks say what the numbers show.

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
mean_d_fake = torch.sigmoid(fake_scores.detach()).mean().item()  # a number to print: no gradient needed
print(f"mean D(G(z)) after training D alone: {mean_d_fake:.3f}")
gradient_norms = {}
for name, loss_fn in [("saturating", losses.g_loss_saturating), ("non-saturating", losses.g_loss_non_saturating)]:
    probe.generator.zero_grad()
    loss_fn(probe.discriminator(probe.generator(z))).backward()
    gradient_norms[name] = float(torch.sqrt(sum((p.grad**2).sum() for p in probe.generator.parameters())))
    print(f"{name:>15}: |grad of G| = {gradient_norms[name]:.1e}")
ise.claim("the discriminator rejects the untrained generator's points confidently (mean D(G(z)) below 0.05)",
          mean_d_fake < 0.05, measured=f"mean D(G(z)) = {mean_d_fake:.3f}")
ratio = gradient_norms["non-saturating"] / gradient_norms["saturating"]
ise.claim("there, the non-saturating loss gives the generator a gradient at least 20 times larger than the saturating one",
          ratio >= 20, measured=f"ratio about {round(ratio, -1):.0f}")

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
# > * **Forgetting `zero_grad()`**: gradients accumulate in `.grad`, so every step uses the *sum* of all
# >   past gradients. With plain SGD the steps then grow without bound. With Adam (used here), which
# >   divides by a running root-mean-square of the gradients, the step size stays about the learning
# >   rate, but its direction is dominated by stale gradients from long ago: the player follows where
# >   the game *was*, not where it is.

# %% [markdown]
# ## 5. Train the toy GAN, live
#
# The monitor below is a training callback *and* a widget: it redraws the generated points over
# the discriminator's decision surface (red: "real", blue: "fake") and the loss curves while the
# training runs. Its **snapshot** slider replays the pictures seen so far; **train more** continues.
#
# The settings: both players learn at the same rate ($10^{-3}$) with Adam, $\beta_1 = 0$ and
# $\beta_2 = 0.9$ (no momentum, as in WGAN-GP, Gulrajani et al. 2017: in a two-player game,
# momentum keeps pushing a player where the game *was*); the points are drawn from an exponential
# moving average (EMA) of the generator's weights, which smooths the last steps' back-and-forth.
# A small callback also counts the modes the generator covers every few hundred steps; section 6
# compares those counts between runs.

# %%
class ModeTracker(Callback):
    """Every `every` steps: the modes covered by 2,500 samples of the (raw, not EMA) generator."""

    def __init__(self, toy, every):
        self.toy, self.every, self.records = toy, every, []

    def on_step_end(self, loop, step, logs):
        if step % self.every == 0:
            scores = score_toy_generator(loop.generator, self.toy)
            self.records.append((step, scores["modes_covered"], scores["high_quality"]))


def toy_trainer(loss="non-saturating", lr_g=1e-3, lr_d=1e-3, d_hidden=64, **options):
    """The toy GAN of this lesson; each argument is one thing section 6 may change."""
    ise.seed_everything(0)
    return GANTrainer(MLPGenerator(2, (2,), 64, 3), MLPDiscriminator((2,), d_hidden, 3), data, loss=loss,
                      steps=steps, batch_size=256, lr_g=lr_g, lr_d=lr_d, betas=(0.0, 0.9), device=toy_device, **options)


steps = ise.quick_or_full(2000, 5000)
track_every = steps // 8
baseline_tracker = ModeTracker(ring, track_every)
trainer = toy_trainer(ema_decay=0.99, log_every=10, n_preview=500, callbacks=[baseline_tracker])
monitor = TrainingMonitor(trainer, every=steps // 4, toy=ring)
display(monitor.widget)
log = trainer.fit()  # a History of the logged losses, also at trainer.history; the monitor shows it live

# %%
monitor.static_figure()
plt.show()

# %% [markdown]
# After the run, 2,500 fresh samples of the EMA generator should cover at least 7 of the 8 modes,
# with at least half of the samples high quality:

# %%
scores = score_toy_generator(trainer.generator_ema, ring)
print(f"non-saturating, {trainer.step} steps: {scores['modes_covered']}/8 modes covered, "
      f"{scores['high_quality']:.1%} high-quality samples; per mode: {scores['counts']}")
ise.claim("the non-saturating run covers at least 7 of the 8 modes, with at least half of its samples high quality",
          scores["modes_covered"] >= 7 and scores["high_quality"] >= 0.5,
          measured=f"{scores['modes_covered']}/8 modes, {scores['high_quality']:.1%} high quality after {trainer.step} steps")

# %% [markdown]
# ## 6. Mode collapse, one change at a time
#
# A generator is rewarded for fooling *this* discriminator, not for covering the data. If it
# finds one place that works, it can pour all its samples there; the discriminator then learns to
# reject that place, the generator hops to another, and so on: **mode collapse**. Which setting
# causes it? We change **one thing at a time** from the run of section 5 (same seed, same data,
# same number of steps) and count the modes the raw generator covers every few hundred steps:
#
# 1. the **loss**: minimax (saturating) instead of non-saturating;
# 2. the **learning rates**: the generator 10× faster than the discriminator ($D$'s rate
#    $10^{-4}$ instead of $10^{-3}$);
# 3. the **discriminator's capacity**: hidden layers of 16 units instead of 64.

# %%
def train_and_track(**change):
    """Section 5's run with one change; returns the trainer and its ModeTracker."""
    tracker = ModeTracker(ring, track_every)
    run = toy_trainer(progress=False, log_every=50, callbacks=[tracker], **change)
    run.fit()
    return run, tracker


changes = {
    "minimax loss": {"loss": "minimax"},
    "G 10x faster than D": {"lr_d": 1e-4},
    "D of 16 units": {"d_hidden": 16},
}
runs = {"baseline (section 5)": (trainer, baseline_tracker)}
runs.update({label: train_and_track(**change) for label, change in changes.items()})

fig, axes = plt.subplots(1, len(runs) + 1, figsize=(3.2 * (len(runs) + 1), 3.3))
for ax, (label, (run, tracker)) in zip(axes, runs.items()):
    samples = run.generator.sample(2500, generator=torch.Generator().manual_seed(2))
    s = ring.evaluate(samples)
    plot_toy(ring, samples, ax=ax, n_real=400, title=f"{label}\nstep {run.step}: {s['modes_covered']}/8 modes")
for label, (run, tracker) in runs.items():
    axes[-1].plot([r[0] for r in tracker.records], [r[1] for r in tracker.records], "o-", label=label)
axes[-1].set_xlabel("step")
axes[-1].set_ylabel("modes covered (raw G)")
axes[-1].set_ylim(-0.3, 8.3)
axes[-1].legend(fontsize=7)
fig.tight_layout()
plt.show()
for label, (run, tracker) in runs.items():
    print(f"{label:<22} modes covered over training: {[r[1] for r in tracker.records]}")

# %% [markdown]
# What the measurement shows:
#
# * **The minimax loss alone does not collapse this toy.** Its gradient *is* hundreds of times
#   smaller while $D$ wins (section 3), but Adam divides every gradient by a running
#   root-mean-square of its own past values, which gives back much of what the saturating
#   loss takes away. The non-saturating loss is still the safer choice (with plain SGD, or on
#   images, the vanishing gradient bites); it just is not the cause here.
# * **A generator 10× faster than its discriminator collapses**: it moves its whole cloud to
#   wherever the slow discriminator currently says "real", and never holds more than a couple
#   of modes at once.
# * **A weak discriminator lets the generator collapse too**: 16 hidden units cannot draw eight
#   separate islands of "real", so no gradient tells the generator what it is missing.
#
# So on this toy, mode collapse is a matter of the *balance* between the players, not of the
# loss. Fixes used in practice: balanced learning rates (or, as TTUR prescribes, a somewhat
# *faster* discriminator), minibatch statistics in $D$ (Salimans et al. 2016), unrolled or
# packed discriminators (Unrolled GAN, PacGAN), and the Wasserstein loss with a gradient penalty.

# %%
final_modes = {label: tracker.records[-1][1] for label, (run, tracker) in runs.items()}
most_modes = {label: max(r[1] for r in tracker.records) for label, (run, tracker) in runs.items()}
ise.claim("changing the loss to minimax alone still covers at least 7 of the 8 modes at the end",
          final_modes["minimax loss"] >= 7, measured=f"{final_modes['minimax loss']}/8 modes")
ise.claim("with G 10x faster than D, the generator never covers more than 2 modes at once",
          most_modes["G 10x faster than D"] <= 2, measured=f"at most {most_modes['G 10x faster than D']}/8 modes")
ise.claim("with a 16-unit discriminator, the generator never covers more than half of the modes",
          most_modes["D of 16 units"] <= 4, measured=f"at most {most_modes['D of 16 units']}/8 modes")

# %% [markdown]
# ## 7. The 25-Gaussians grid: a harder toy, shown from a recorded run
#
# Twenty-five modes on a $5 \times 5$ grid (VEEGAN's toy, Srivastava et al. 2017) take longer: with
# the networks of section 5, a few thousand steps cover only some of them, and how many depends
# on the seed. The bundled checkpoint `toy-grid-gan` was trained by the command on its card, with
# the settings of section 5 but wider networks (128 hidden units) and 20,000 steps; its card
# records the modes covered every 1,000 steps. We plot that record, then score the bundled
# generator *here*, on 2,500 fresh samples. (In full mode the cell after that trains the same
# run again from scratch.)

# %%
grid = grid_of_gaussians()
grid_card = pretrained.card("toy-grid-gan")
print("command:", grid_card["command"])
print(f"{grid_card['steps']:,} steps, {grid_card['wall_time_s']:.0f} s on a CPU with one thread")
grid_generator = pretrained.load("toy-grid-gan")
grid_scores = score_toy_generator(grid_generator, grid)
history = grid_card["history"]
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
axes[0].plot([h["step"] for h in history], [h["modes_covered"] for h in history], "o-", label="modes covered (of 25)")
axes[0].plot([h["step"] for h in history], [25 * h["high_quality"] for h in history], "s-",
             label="high-quality share × 25")
axes[0].set_xlabel("step")
axes[0].set_title("toy-grid-gan: its recorded training")
axes[0].legend(fontsize=8)
plot_toy(grid, grid_generator.sample(2500, generator=torch.Generator().manual_seed(2)), ax=axes[1], n_real=500,
         title=f"bundled generator: {grid_scores['modes_covered']}/25 modes, {grid_scores['high_quality']:.0%} HQ")
fig.tight_layout()
plt.show()
ise.claim("the recorded grid run covers all 25 modes, with at least 80 % of its samples high quality",
          grid_scores["modes_covered"] == 25 and grid_scores["high_quality"] >= 0.8,
          measured=f"{grid_scores['modes_covered']}/25 modes, {grid_scores['high_quality']:.1%} high quality")
settled = [h for h in history if h["modes_covered"] == 25]
ise.claim("the recorded run covered no mode after 1,000 steps, and all 25 at every record from its first full one on",
          history[0]["step"] == 1000 and history[0]["modes_covered"] == 0 and bool(settled)
          and all(h["modes_covered"] == 25 for h in history if h["step"] >= settled[0]["step"]),
          measured=f"{history[0]['modes_covered']}/25 at step 1,000; 25/25 from step {settled[0]['step']:,} to {history[-1]['step']:,} (card)")

# %%
if quick:
    print(f"quick mode: the grid run is not repeated here (full mode trains it again; "
          f"it took {grid_card['wall_time_s']:.0f} s for the card)")
else:
    training = grid_card["training"]
    rerun = record_toy_run(training["toy"], steps=training["steps"], record_every=training["record_every"],
                           seed=training["seed"], hidden=training["hidden"], lr=training["lr"])
    last = rerun["history"][-1]
    print(f"trained again here: {last['modes_covered']}/25 modes, {last['high_quality']:.1%} high quality "
          f"after {last['step']} steps ({rerun['wall_time_s']:.0f} s)")
    ise.claim("trained again from scratch, the grid run covers at least 24 of the 25 modes",
              last["modes_covered"] >= 24, measured=f"{last['modes_covered']}/25 modes, {last['high_quality']:.1%} high quality")

# %% [markdown]
# ## Exercises
#
# The GAN game in code: its loss, its loop, its optimum.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson01

# %% [markdown]
# **Exercise 1 · The non-saturating generator loss, on logits.** Our discriminators return a **logit** $\ell$ per sample, with $D = \operatorname{sigmoid}(\ell)$. Write
# `generator_loss(fake_logits)`: the non-saturating loss $-\frac1N\sum_i \log D(G(z_i))$ as one number,
# exact for any logit (the check tries $\ell = -200$, where $D$ is certain the sample is fake).
#
# <details><summary>Hint</summary>
#
# $-\log\operatorname{sigmoid}(\ell) = \operatorname{softplus}(-\ell)$: `F.softplus(-fake_logits).mean()`. Computing
# `torch.log(torch.sigmoid(d))` underflows to $\log 0$ for very negative $\ell$.
# </details>

# %%
import torch
import torch.nn.functional as F


def generator_loss(fake_logits):
    """-mean log D(G(z)) from the discriminator's logits on a fake batch."""
    raise NotImplementedError  # your code here

# %%
lesson01.check_generator_loss(generator_loss)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def generator_loss(fake_logits):
#     # -log D(G(z)) with D = sigmoid(logit): -log sigmoid(d) = softplus(-d), exact for any logit
#     return F.softplus(-fake_logits).mean()
# ```
# </details>

# %% [markdown]
# **Exercise 2 · One correct training step.** Write `training_step(generator, discriminator, opt_g, opt_d, real, latent_dim)`: one step of
# Algorithm 1 (Goodfellow et al. 2014). First the **discriminator**: draw
# `z = torch.randn(len(real), latent_dim)`, score the real batch and a **detached** fake batch, loss
# `losses.d_loss_minimax(real_scores, fake_scores)`, and step only `opt_d`. Then the **generator**: a
# fresh fake batch (not detached), scored by the updated discriminator, loss
# `losses.g_loss_non_saturating(...)` (or your `generator_loss`), and step only `opt_g`. Clear each
# optimizer's gradients before its `backward()`. Return `{"d_loss": ..., "g_loss": ...}`.
#
# The check runs your step once on a small toy GAN and watches it: which optimizer steps, when
# gradients are cleared, whether the discriminator's loss reaches the generator, and whether both
# gradients are those of the two losses.
#
# <details><summary>Hint</summary>
#
# Per player: `opt.zero_grad()`, `loss.backward()`, `opt.step()`. In the discriminator's half use
# `generator(z).detach()`; in the generator's half, do not detach. `step()` belongs to the optimizer,
# not to the network.
# </details>

# %%
import torch

from imgsynth_edu import losses


def training_step(generator, discriminator, opt_g, opt_d, real, latent_dim):
    """One discriminator update, then one generator update; returns {"d_loss": ..., "g_loss": ...}."""
    raise NotImplementedError  # your code here

# %%
lesson01.check_training_step(training_step)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def training_step(generator, discriminator, opt_g, opt_d, real, latent_dim):
#     # 1. the discriminator: a real batch and a DETACHED fake batch; only opt_d steps
#     z = torch.randn(len(real), latent_dim)
#     fake = generator(z).detach()  # D's loss must not reach G
#     d_loss = losses.d_loss_minimax(discriminator(real), discriminator(fake))
#     opt_d.zero_grad()
#     d_loss.backward()
#     opt_d.step()
#     # 2. the generator: a fresh fake batch, NOT detached, scored by the updated D; only opt_g steps
#     z = torch.randn(len(real), latent_dim)
#     g_loss = losses.g_loss_non_saturating(discriminator(generator(z)))
#     opt_g.zero_grad()
#     g_loss.backward()
#     opt_g.step()
#     return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
# ```
# </details>

# %% [markdown]
# **Exercise 3 · The optimal discriminator.** For a fixed generator with density $p_g$, the best discriminator is
# $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}$ (Goodfellow et al. 2014, Prop. 1).
# Write `optimal_discriminator(p_data, p_g)` for two arrays of density values on the same points.
#
# <details><summary>Hint</summary>
#
# It works element by element: NumPy arrays (or tensors) divide point by point. $D^*$ is the
# probability that $x$ is **real**, so it is between 0 and 1.
# </details>

# %%
def optimal_discriminator(p_data, p_g):
    """D*(x) at each point, from the two densities at those points."""
    raise NotImplementedError  # your code here

# %%
lesson01.check_optimal_discriminator(optimal_discriminator)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def optimal_discriminator(p_data, p_g):
#     return p_data / (p_data + p_g)  # the probability that x came from the data (Goodfellow et al. 2014, Prop. 1)
# ```
# </details>

# %% [markdown]
# **Exercise 4 · Where the saturating loss is steeper.** In section 3, which generator loss gives the larger gradient (with respect to the logit) when
# $D(G(z)) = 0.9$: `"saturating"` or `"non-saturating"`? Why does that not matter in practice?
#
# <details><summary>Hint</summary>
#
# $\partial_\ell \log(1 - \operatorname{sigmoid}(\ell)) = -\operatorname{sigmoid}(\ell)$ and $\partial_\ell\,[-\log\operatorname{sigmoid}(\ell)] = \operatorname{sigmoid}(\ell) - 1$.
# </details>

# %%
larger_gradient = None  # "saturating" or "non-saturating"

# %%
lesson01.check_larger_gradient(larger_gradient)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# larger_gradient = "saturating"
# ```
#
# $|\partial L/\partial \ell| = \operatorname{sigmoid}(\ell) = 0.9$ against
# $1 - \operatorname{sigmoid}(\ell) = 0.1$. It does not matter, because at $D(G(z)) = 0.9$ the generator already fools
# the discriminator; what matters is the other end, $D(G(z)) \approx 0$ early in training, where
# the saturating loss's gradient vanishes and the non-saturating one's does not.
# </details>

# %% [markdown]
# **Exercise 5** (open). Section 6 changed one thing at a time. Make the discriminator 10× *faster*
# than the generator instead (`toy_trainer(lr_g=1e-4)`, with a `ModeTracker`): does the generator
# collapse, or does it only learn more slowly? Track the modes for twice as many steps before you
# answer.

# %% [markdown]
# ## Summary
#
# * A GAN is a two-player game; against the optimal discriminator the generator minimises
#   $2\,\mathrm{JS}(p_\text{data}\|p_g) - \log 4$.
# * Use the **non-saturating** generator loss: the minimax one gives vanishing gradients when the
#   fakes are bad.
# * One step = discriminator on real + **detached** fake, then generator on a fresh fake; each
#   optimizer steps its own player.
# * On 2-D toys, *modes covered* and *high-quality share* make mode collapse measurable; on the
#   ring, a generator that outruns its discriminator, or a discriminator too weak to see the
#   modes, collapses, while the minimax loss alone (with Adam) does not.
#
# Next: lesson 02 scales the same loop to images with DCGAN.
#
# ## References
#
# * Goodfellow et al., *Generative Adversarial Nets*, NeurIPS 2014.
# * Metz et al., *Unrolled Generative Adversarial Networks*, ICLR 2017.
# * Srivastava et al., *VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational Learning*, NeurIPS 2017.
# * Lin et al., *PacGAN: The power of two samples in generative adversarial networks*, NeurIPS 2018.
# * Gulrajani et al., *Improved Training of Wasserstein GANs*, NeurIPS 2017.
# * Heusel et al., *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium* (TTUR), NeurIPS 2017.
# * Salimans et al., *Improved Techniques for Training GANs*, NeurIPS 2016.
