# %% [markdown]
# # 07 · Diffusion beside the GAN: the same toy, the same digits, the same metrics
#
# {{COLAB_BADGE}}
#
# Lessons 01-03 made images with GANs: one pass of a generator, trained against a
# discriminator. Since 2020 most image synthesis uses **diffusion models** instead (Ho, Jain &
# Abbeel 2020; Song, Meng & Ermon 2021; Dhariwal & Nichol 2021; Ho & Salimans 2022). A diffusion
# model destroys data with Gaussian noise in many small steps and trains a network to undo one
# step at a time. This lesson puts the two side by side on the course's own yardsticks: the ring of
# Gaussians of lesson 01 (modes covered), the digits of lessons 02-04 (FID, KID, precision and
# recall in the digit classifier's features, conditional accuracy), and two things a GAN cannot
# give: a **likelihood bound** and a **knob between sampling time and quality**.
#
# **Learning goals.** After this lesson you can
#
# 1. write the forward process $q(x_t \mid x_0)$ in closed form and draw it;
# 2. state the simple loss and what the network predicts;
# 3. train a small diffusion model on the ring and compare its mode coverage with a GAN's;
# 4. read a table that compares `ddpm-mnist` with `dcgan-mnist` / `cgan-mnist` under one protocol;
# 5. explain classifier-free guidance as a trade of diversity for fidelity, and measure it;
# 6. say what bits per dimension measure, and why a GAN has no such number;
# 7. trade sampling steps (DDIM) against quality and time, beside one GAN pass;
# 8. watch one sample form, step by step, and read the model's guess $\hat x_0$ along the way.
#
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("07_diffusion_vs_gan"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch; the seeded generator it returns is not needed here

# %%
import inspect
import re
import time
import warnings

import matplotlib.pyplot as plt
import torch

from imgsynth_edu import pretrained, viz
from imgsynth_edu.data import get_dataset, stack_dataset
from imgsynth_edu.data.toy2d import ring_of_gaussians
from imgsynth_edu.evaluation import digit_gan_scores
from imgsynth_edu.metrics.distribution import extract_features
from imgsynth_edu.models.diffusion import NoiseSchedule, PointDiffusion, diffusion_loss
from imgsynth_edu.models.gan import MLPDiscriminator, MLPGenerator
from imgsynth_edu.training import GANTrainer, train_diffusion
from imgsynth_edu.widgets import DenoisingScrubber

quick = ise.is_quick_mode()
claim = ise.claim
test_images, test_labels = stack_dataset(get_dataset("mnist-5k", "test"))
classifier = pretrained.load("digit-classifier")
print(f"mnist-5k (bundled, offline): {len(test_images)} held-out digits")

# %% [markdown]
# ## 1 · The forward process: destroying a digit, in one jump
#
# One step adds a little noise, $q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{1-\beta_t}\,x_{t-1}, \beta_t I)$.
# Gaussians compose, so $t$ steps are a single draw (Ho et al. 2020, eq. 4):
#
# $$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\qquad
#   \bar\alpha_t = \prod_{s \le t} (1-\beta_s),\quad \varepsilon \sim \mathcal N(0, I).$$
#
# The *schedule* chooses $\beta_t$. Ho et al. used a linear one; Nichol & Dhariwal (2021) showed that a
# **cosine** schedule destroys information more evenly (the linear one is almost pure noise long before
# $t = T$). Images live in $[-1, 1]$ inside the model. Below: the same digit at several $t$, both schedules.

# %%
digits = test_images[:1] * 2 - 1  # model space [-1, 1], (1, 1, 28, 28)
noise = torch.randn(digits.shape, generator=torch.Generator().manual_seed(0))
times = [0, 50, 150, 300, 500, 700, 850, 1000]
fig, axes = plt.subplots(2, len(times), figsize=(1.3 * len(times), 3))
for row, schedule in enumerate([NoiseSchedule.linear(1000), NoiseSchedule.cosine(1000)]):
    for ax, t in zip(axes[row], times):
        xt = schedule.q_sample(digits, torch.tensor([t]), noise) if t else digits
        ax.imshow(((xt[0, 0] + 1) / 2).clamp(0, 1), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{schedule.name} t={t}\n√ᾱ={schedule.alpha_bars[t].sqrt():.2f}", fontsize=7)
        ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# What is left of the digit is $\sqrt{\bar\alpha_t}$. At $t = T$ it must be (almost) nothing, because
# sampling starts from pure noise $x_T \sim \mathcal N(0, I)$.

# %%
linear, cosine = NoiseSchedule.linear(1000), NoiseSchedule.cosine(1000)
half_linear = int((linear.alpha_bars.sqrt() < 0.5).nonzero()[0])
half_cosine = int((cosine.alpha_bars.sqrt() < 0.5).nonzero()[0])
claim("at t = T both schedules leave less than 1 % of the digit (√ᾱ_T < 0.01)",
      bool(linear.alpha_bars[-1].sqrt() < 0.01) and bool(cosine.alpha_bars[-1].sqrt() < 0.01),
      measured=f"√ᾱ_T = {linear.alpha_bars[-1].sqrt():.4f} (linear), {cosine.alpha_bars[-1].sqrt():.4f} (cosine)")
claim("the cosine schedule keeps more of the digit for longer: √ᾱ_t falls below 0.5 later than with the linear one",
      half_cosine > half_linear, measured=f"t = {half_cosine} (cosine) vs t = {half_linear} (linear)")

# %% [markdown]
# ## 2 · From the bound to the simple loss
#
# A diffusion model is trained by maximising a variational lower bound on $\log p(x_0)$ (eq. 5): a sum
# of KL divergences between the true posterior $q(x_{t-1} \mid x_t, x_0)$ (a Gaussian, eq. 6-7) and
# the model's step $p_\theta(x_{t-1} \mid x_t)$. Parametrise the model's mean through a network that
# predicts the noise, $\varepsilon_\theta(x_t, t)$, and each KL becomes a weighted squared error
# between $\varepsilon$ and $\varepsilon_\theta$ (eq. 12). Ho et al. dropped the weights (eq. 14):
#
# $$L_{simple} = \mathbb E_{t, x_0, \varepsilon}\, \lVert \varepsilon - \varepsilon_\theta(\sqrt{\bar\alpha_t}x_0
#   + \sqrt{1-\bar\alpha_t}\,\varepsilon,\ t) \rVert^2 .$$
#
# That is all the training is: draw $t$, draw noise, make $x_t$, predict the noise. No discriminator,
# no game; the loss is a plain regression and does not oscillate. The library's loss:

# %%
print(inspect.getsource(diffusion_loss).split('"""')[-1])

# %% [markdown]
# ## 3 · The ring, trained live: diffusion beside the GAN
#
# The 8-Gaussians ring of lesson 01, where the GAN's classic failure is **mode collapse**. We train a
# small diffusion model (an MLP $\varepsilon_\theta$ with a time embedding, $T = 100$) and the GAN of
# lesson 01 on the same 20,000 points, and score both with lesson 01's yardstick: a mode is *covered*
# when enough samples land within 3σ of it, and a sample is *high quality* when it lies within 3σ of
# some mode.

# %%
ring = ring_of_gaussians()
points = ring.sample(20_000, torch.Generator().manual_seed(1))
ise.seed_everything(0)
start = time.perf_counter()
toy_diffusion = PointDiffusion(hidden_dim=128, n_hidden=3, schedule="cosine", timesteps=100, sampler="ddpm")
toy_trainer = train_diffusion(toy_diffusion, points, steps=ise.quick_or_full(2000, 4000), batch_size=256, lr=1e-3,
                              ema_decay=0.99, label_dropout=0.0, log_every=100, device="cpu", progress=False)
diffusion_seconds = time.perf_counter() - start
diffusion_points = toy_trainer.sampling_model.sample(2500, generator=torch.Generator().manual_seed(2))
diffusion_scores = ring.evaluate(diffusion_points)

ise.seed_everything(0)
start = time.perf_counter()
gan_trainer = GANTrainer(MLPGenerator(2, (2,), 64, 3), MLPDiscriminator((2,), 64, 3), points, loss="non-saturating",
                         steps=ise.quick_or_full(1600, 3000), batch_size=256, lr_g=1e-3, lr_d=1e-3, ema_decay=0.99,
                         log_every=50, device="cpu", progress=False)
gan_trainer.fit()
gan_seconds = time.perf_counter() - start
gan_points = gan_trainer.generator_ema.sample(2500, generator=torch.Generator().manual_seed(2))
gan_scores = ring.evaluate(gan_points)

fig, axes = plt.subplots(1, 2, figsize=(8, 4))
for ax, name, samples, scores, seconds in ((axes[0], "diffusion", diffusion_points, diffusion_scores, diffusion_seconds),
                                           (axes[1], "GAN", gan_points, gan_scores, gan_seconds)):
    viz.plot_toy(ring, samples, ax=ax, n_real=400,
                 title=f"{name}: {scores['modes_covered']}/8 modes, {scores['high_quality']:.0%} HQ ({seconds:.0f} s)")
plt.tight_layout()
plt.show()
for name, scores in (("diffusion", diffusion_scores), ("GAN", gan_scores)):
    print(f"{name:>9}: {scores['modes_covered']}/8 modes covered, {scores['high_quality']:.1%} high quality, "
          f"per mode {scores['counts']}")

# %% [markdown]
# The GAN here has lesson 01's settings and length (1,600 steps, as in its learning test). Both cover
# the ring on this run; the diffusion model puts more of its samples on the modes.

# %%
claim("the diffusion model covers at least 7 of the 8 modes with at least 90 % high-quality samples",
      diffusion_scores["modes_covered"] >= 7 and diffusion_scores["high_quality"] >= 0.90,
      measured=f"{diffusion_scores['modes_covered']}/8 modes, {diffusion_scores['high_quality']:.1%} high quality")
claim("the diffusion model covers at least as many modes as the GAN",
      diffusion_scores["modes_covered"] >= gan_scores["modes_covered"],
      measured=f"{diffusion_scores['modes_covered']} vs {gan_scores['modes_covered']} modes")
claim("more of the diffusion model's samples are high quality than the GAN's",
      diffusion_scores["high_quality"] > gan_scores["high_quality"],
      measured=f"{diffusion_scores['high_quality']:.1%} vs {gan_scores['high_quality']:.1%}")

# %% [markdown]
# ## 4 · Digits: `ddpm-mnist` beside `dcgan-mnist` and `cgan-mnist`
#
# `ddpm-mnist` is a class-conditional U-Net $\varepsilon_\theta(x_t, t, y)$ (637k parameters, cosine
# schedule, $T = 1000$), trained with the label replaced by a *null* label 10 % of the time, so the
# same network is also the unconditional model (`labels=None`). It samples with DDIM, 50 steps. Its
# card holds the command, the hardware and the scores measured with the protocol of `dcgan-mnist`
# and `cgan-mnist` (1,000 samples, seed 0, against the 1,000 held-out digits, in the digit
# classifier's features); `tests/test_ddpm_mnist_claims.py` re-measures them from the weights.

# %%
ddpm = pretrained.load("ddpm-mnist", device=device)
dcgan = pretrained.load("dcgan-mnist", device=device)
cards = {name: pretrained.card(name) for name in ("ddpm-mnist", "dcgan-mnist", "cgan-mnist")}
ddpm_card = cards["ddpm-mnist"]
print("command:", re.sub(r"--out \S+", "--out OUT", ddpm_card["command"]), "(OUT: the output folder)")
print("note:", ddpm_card["command_note"])
print(f"steps: {ddpm_card['steps']}, wall time: {ddpm_card['wall_time_s']:.0f} s on {ddpm_card['hardware']}")
with torch.no_grad():
    generator = torch.Generator().manual_seed(0)
    guided = ddpm.sample(20, torch.arange(20) % 10, generator=generator).cpu()
    unconditional = ddpm.sample(20, generator=generator).cpu()
    gan_digits = dcgan.sample(20, generator=torch.Generator(device=device).manual_seed(0)).cpu()
viz.show_grid(torch.cat([guided, unconditional, gan_digits]), nrow=20,
              title="ddpm-mnist guided (0-9, twice) · ddpm-mnist unconditional · dcgan-mnist", size=10)
plt.show()

# %%
ddpm_scores, dcgan_scores = ddpm_card["scores"]["unconditional"], cards["dcgan-mnist"]["scores"]
def row(name, fid="-", kid="-", precision="-", recall="-", accuracy="-", speed="-"):
    print(f"{name:<28}{fid:>7}{kid:>9}{precision:>11}{recall:>8}{accuracy:>12}{speed:>11}")


def gan_columns(scores):
    return {"fid": f"{scores['fid']:.1f}", "kid": f"{scores['kid']:.1f}",
            "precision": f"{scores['precision']:.3f}", "recall": f"{scores['recall']:.3f}"}


speeds = ddpm_card["scores"]["samples_per_second"]
row("model", "FID", "KID", "precision", "recall", "cond. acc.", "samples/s")
row("dcgan-mnist", **gan_columns(dcgan_scores))
row("cgan-mnist", accuracy=f"{cards['cgan-mnist']['scores']['conditional_accuracy']:.1%}")
row("ddpm-mnist (unconditional)", **gan_columns(ddpm_scores), speed=f"{speeds['unconditional']:.1f}")
row("ddpm-mnist (guided, w = 1)", **gan_columns(ddpm_card["scores"]["guided"]),
    accuracy=f"{ddpm_card['scores']['conditional']['conditional_accuracy']:.1%}", speed=f"{speeds['guided']:.1f}")
print(f"samples/s: {speeds['setting']}, {speeds.get('hardware', '')}")

# %% [markdown]
# Read the table with lesson 04 in mind: only numbers measured with the same features, the same
# number of samples and the same real set are comparable, and all of these are. The unconditional
# diffusion model has the lower FID **and** the higher precision without losing recall: its samples
# are both closer to real digits and as varied. Guidance (next section) moves the guided row towards
# precision and away from recall.

# %%
guided_scores = ddpm_card["scores"]["guided"]
claim("the guided samples (w = 1) have a higher precision and a lower recall than the unconditional ones",
      guided_scores["precision"] > ddpm_scores["precision"] and guided_scores["recall"] < ddpm_scores["recall"],
      measured=f"precision {guided_scores['precision']:.3f} vs {ddpm_scores['precision']:.3f}, "
               f"recall {guided_scores['recall']:.3f} vs {ddpm_scores['recall']:.3f}")
claim("unconditional ddpm-mnist has a lower FID than dcgan-mnist under the same protocol",
      ddpm_scores["fid"] < dcgan_scores["fid"], measured=f"FID {ddpm_scores['fid']:.1f} vs {dcgan_scores['fid']:.1f}")
claim("its precision and recall are both at least dcgan-mnist's",
      ddpm_scores["precision"] >= dcgan_scores["precision"] and ddpm_scores["recall"] >= dcgan_scores["recall"],
      measured=f"precision {ddpm_scores['precision']:.3f} vs {dcgan_scores['precision']:.3f}, "
               f"recall {ddpm_scores['recall']:.3f} vs {dcgan_scores['recall']:.3f}")
ddpm_accuracy = ddpm_card["scores"]["conditional"]["conditional_accuracy"]
claim("guided ddpm-mnist draws the asked digit at least as often as cgan-mnist, and at least 95 % of the time",
      ddpm_accuracy >= cards["cgan-mnist"]["scores"]["conditional_accuracy"] and ddpm_accuracy >= 0.95,
      measured=f"conditional accuracy {ddpm_accuracy:.1%} vs {cards['cgan-mnist']['scores']['conditional_accuracy']:.1%}")

# %% [markdown]
# ## 5 · Classifier-free guidance: fidelity against diversity
#
# Ho & Salimans (2022) sample with $\tilde\varepsilon = (1 + w)\,\varepsilon_\theta(x_t, y) - w\,\varepsilon_\theta(x_t, \varnothing)$:
# $w = 0$ is the plain conditional model; $w > 0$ pushes each sample away from "any digit" towards
# "this digit". We sweep $w$ and measure, on the same starting noise, the **conditional accuracy**
# (does the classifier read the asked digit?) and the **diversity** within each class (the mean
# distance between the classifier features of two samples of the same digit).

# %%
def guidance_sweep(scales, per_class, steps):
    labels = torch.arange(10).repeat_interleave(per_class)  # (10·per_class,)
    results = {}
    for w in scales:
        with torch.no_grad():
            images = ddpm.sample(len(labels), labels, generator=torch.Generator().manual_seed(1), steps=steps,
                                 guidance_scale=w).cpu()  # (N, 1, 28, 28)
            predicted = classifier.predict(images)  # (N,)
            features = extract_features(images, classifier.features)  # (N, 128)
        spread = [torch.pdist(features[labels == k]).mean() for k in range(10)]
        results[w] = {"accuracy": float((predicted == labels).float().mean()),
                      "diversity": float(torch.stack(spread).mean()), "images": images}
    return results


scales = [0.0, 1.0, 3.0, 6.0]
sweep = guidance_sweep(scales, per_class=ise.quick_or_full(6, 50), steps=ise.quick_or_full(20, 50))
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(scales, [sweep[w]["accuracy"] for w in scales], "o-")
axes[0].set(xlabel="guidance scale w", ylabel="conditional accuracy", title="fidelity")
axes[1].plot(scales, [sweep[w]["diversity"] for w in scales], "o-", color="tab:orange")
axes[1].set(xlabel="guidance scale w", ylabel="mean feature distance within a class", title="diversity")
plt.tight_layout()
plt.show()
viz.show_grid(torch.cat([sweep[w]["images"][::ise.quick_or_full(6, 50)] for w in scales]), nrow=10,
              title="one sample per digit at w = 0, 1, 3, 6 (rows)", size=6)
plt.show()
for w in scales:
    print(f"w = {w:3.1f}: accuracy {sweep[w]['accuracy']:.1%}, diversity {sweep[w]['diversity']:.2f}")

# %%
claim("strong guidance (w = 6) makes the samples of a digit less diverse than no guidance (w = 0)",
      sweep[6.0]["diversity"] < sweep[0.0]["diversity"],
      measured=f"diversity {sweep[6.0]['diversity']:.2f} vs {sweep[0.0]['diversity']:.2f}")
claim("and the classifier reads the asked digit at least as often",
      sweep[6.0]["accuracy"] >= sweep[0.0]["accuracy"],
      measured=f"accuracy {sweep[6.0]['accuracy']:.1%} vs {sweep[0.0]['accuracy']:.1%}")

# %% [markdown]
# ## 6 · A likelihood: bits per dimension (the GAN's column is empty)
#
# The bound of section 2 is a number: $-\log p(x_0) \le L_T + \sum_{t \ge 2} L_{t-1} + L_0$, where
# $L_0$ is a *discretised* Gaussian decoder that gives each of the 256 pixel levels a probability.
# Divided by the number of pixels and by $\ln 2$ it is in **bits per dimension**: how many bits an
# ideal coder built from the model would need per pixel. A raw 8-bit image costs 8. A GAN defines
# samples but no density: there is no $p(x)$ to evaluate at a real digit, so the same column for
# `dcgan-mnist` stays empty (that is why lesson 04 needed sample-based scores).
#
# The card's number is the exact sum over all 1,000 terms on the 1,000 held-out digits. Below, an
# unbiased estimate from a few randomly drawn $t$ per image, on a few digits.

# %%
exact = ddpm_card["scores"]["bits_per_dim"]
print(f"card: {exact['mean']:.3f} ± {exact['standard_error']:.3f} bits/dim ({exact['terms']}, {exact['images']}): "
      f"L_T {exact['prior_L_T']:.4f}, Σ L_t {exact['diffusion_sum_L_t']:.3f}, L_0 {exact['decoder_L_0']:.3f}")
n_bits = ise.quick_or_full(20, 200)
with torch.no_grad():
    bound = ddpm.bits_per_dim(test_images[:n_bits].to(device), timesteps=ise.quick_or_full(10, 50),
                              generator=torch.Generator().manual_seed(0))
estimate = bound["bits_per_dim"].cpu()
print(f"estimate here: {estimate.mean():.3f} ± {estimate.std() / len(estimate) ** 0.5:.3f} bits/dim on {n_bits} digits")

# %%
claim("ddpm-mnist's bound is far below the 8 bits/dim of storing raw pixels",
      exact["mean"] < 4.0 and float(estimate.mean()) < 4.0,
      measured=f"{exact['mean']:.3f} bits/dim exact (card), {estimate.mean():.3f} estimated here")

# %% [markdown]
# ## 7 · The price: sampling steps, quality and time, beside one GAN pass
#
# A GAN draws a sample in **one** pass of its generator. A diffusion model runs its U-Net at every
# sampling step (twice with guidance). DDIM (Song et al. 2021) samples along any sub-sequence of the
# $T$ steps with the same trained network, so the number of steps is a knob between time and quality.
# Below: unconditional FID (classifier features, against the held-out digits) and wall time for a few
# step counts, on this machine, with the same starting noise; and one DCGAN pass for the same number of samples.

# %%
class FewSteps:
    """ddpm-mnist posing as a generator that samples with `steps` DDIM steps (for digit_gan_scores)."""

    def __init__(self, steps):
        self.steps, self.seconds = steps, 0.0

    def sample(self, n, labels=None, generator=None):
        start = time.perf_counter()
        images = ddpm.sample(n, generator=generator, steps=self.steps)
        self.seconds += time.perf_counter() - start
        return images


n_cost = ise.quick_or_full(100, 1000)
cost = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for steps in ise.quick_or_full([5, 20, 50], [5, 10, 20, 50, 100]):
        runner = FewSteps(steps)
        scores = digit_gan_scores(runner, n=n_cost, seed=0, real_images=test_images, classifier=classifier,
                                  kid_subset=min(100, n_cost))
        cost[steps] = {"fid": scores["fid"], "seconds": runner.seconds}
for message in sorted({str(warning.message) for warning in caught}):
    print("warning:", message)
start = time.perf_counter()
with torch.no_grad():
    dcgan.sample(n_cost, generator=torch.Generator(device=device).manual_seed(0))
dcgan_seconds = time.perf_counter() - start
for steps, row in cost.items():
    print(f"DDIM {steps:>3} steps: FID {row['fid']:6.1f}, {row['seconds']:6.2f} s for {n_cost} samples")
print(f"DCGAN, one pass:  {dcgan_seconds:.3f} s for {n_cost} samples (FID {dcgan_scores['fid']:.1f} on 1,000, card)")
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot([row["seconds"] for row in cost.values()], [row["fid"] for row in cost.values()], "o-")
for steps, row in cost.items():
    ax.annotate(f"{steps} steps", (row["seconds"], row["fid"]), fontsize=8)
ax.set(xscale="log", xlabel=f"seconds for {n_cost} samples (this machine)", ylabel=f"FID ({n_cost} samples)",
       title="DDIM: steps against quality and time")
plt.tight_layout()
plt.show()

# %% [markdown]
# Time grows in proportion to the steps; even the cheapest diffusion setting costs far more than the
# GAN's single pass. Quality: the jump from 5 steps to more is large and is checked below. Between
# neighbouring settings (20 against 50 steps), a hundred samples cannot rank them: FID of 100 samples
# in 128 dimensions is dominated by estimation error (lesson 04; FID warns about it above when it happens), so in quick
# mode the order of those rows may come out either way. The full mode measures 1,000 samples; the
# card's FID (1,000 samples, 50 steps) is the one to compare with `dcgan-mnist`.

# %%
first, last = min(cost), max(cost)
claim(f"{last} DDIM steps give a lower FID than {first}",
      cost[last]["fid"] < cost[first]["fid"], measured=f"FID {cost[last]['fid']:.1f} vs {cost[first]['fid']:.1f}")
claim(f"{last} steps take longer than {first}", cost[last]["seconds"] > cost[first]["seconds"],
      measured=f"{cost[last]['seconds']:.2f} s vs {cost[first]['seconds']:.2f} s")
claim(f"one DCGAN pass is more than 10 times faster than even {first} DDIM steps",
      dcgan_seconds * 10 < cost[first]["seconds"],
      measured=f"{dcgan_seconds:.3f} s vs {cost[first]['seconds']:.2f} s for {n_cost} samples")

# %% [markdown]
# ## 8 · Watch one sample form: the denoising scrubber
#
# Every sampling step starts with the same move: the network predicts the noise $\hat\varepsilon$ in
# $x_t$, and solving the forward process for $x_0$ turns that into the model's current guess of the
# finished image (Ho et al. 2020, eq. 15; DDIM's "predicted $x_0$", Song et al. 2021, eq. 12):
#
# $$\hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon_\theta(x_t, t)}{\sqrt{\bar\alpha_t}} .$$
#
# The scrubber samples one digit with DDIM (with guidance, $\hat\varepsilon$ is the guided
# $\tilde\varepsilon$ of section 5), keeps every step, and lets you slide along $t$: the noisy $x_t$ on the
# left, $\hat x_0$ on the right, and $\hat x_0$ at every step below. Changing the digit, the seed, the
# number of DDIM steps or $w$ samples a new run (once; moving $t$ then costs nothing). Try $t = T$: with
# $\sqrt{\bar\alpha_T} \approx 0$ the division blows up, and what is left is the clipping to $[-1, 1]$.
# Then try one or two DDIM steps, and $w = 6$ against $w = 0$.

# %%
scrubber = DenoisingScrubber(ddpm, digit=7, seed=0, steps=20, guidance_scale=1.0)
display(scrubber.widget)

# %%
scrubber.static_figure(digit=7, seed=0, steps=20, guidance_scale=1.0)
plt.show()

# %% [markdown]
# The picture is decided early and refined late: after the first tenth of the steps the guess already
# has the digit's shape, and the remaining steps mostly sharpen strokes and remove blur. Below, one run
# per digit (20 steps, $w = 1$, seed 0): the classifier reads $\hat x_0$ after 2 of the 20 steps
# ($t = 895$), and we measure how far $\hat x_0$ is from the finished sample before the first step and after two.

# %%
runs = [scrubber.trajectory(digit, 0, 20, 1.0) for digit in range(10)]
early = torch.cat([run.predicted[2:3] for run in runs])  # x̂_0 after 2 of 20 steps, (10, 1, 28, 28)
start_guess = torch.cat([run.predicted[:1] for run in runs])  # x̂_0 at t = T, (10, 1, 28, 28)
finished = torch.cat([run.sample for run in runs])  # (10, 1, 28, 28)
read_early = int((classifier.predict(early) == torch.arange(10)).sum())
distance_start = float((start_guess - finished).abs().mean())
distance_early = float((early - finished).abs().mean())
claim(f"after 2 of the 20 steps (t = {runs[0].timesteps[2]}), the classifier reads the asked digit in x̂_0 "
      "for at least 9 of the 10 digits", read_early >= 9, measured=f"{read_early}/10")
claim("two steps bring x̂_0 more than 3 times closer to the finished sample than it was at t = T",
      distance_start > 3 * distance_early,
      measured=f"mean |x̂_0 - x_0| {distance_start:.3f} at t = T, {distance_early:.3f} after 2 steps")

# %% [markdown]
# ## Exercises
#
# The forward process, the loss and a sampler step of a diffusion model, in code.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson07

# %% [markdown]
# **Exercise 1 · The forward process in one jump.** Adding Gaussian noise $T$ times collapses into one draw (Ho et al. 2020, eq. 4):
# $q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1-\bar\alpha_t) I\big)$, so
# $x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon$. Write
# `noisy_sample(x0, t, noise, alpha_bars)`: `x0` and `noise` of shape `(N, ...)`, `t` an `(N,)` tensor of
# timesteps in $1..T$, `alpha_bars` the table of $\bar\alpha_t$ for $t = 0..T$ (entry $t$ is $\bar\alpha_t$).
#
# <details><summary>Hint</summary>
#
# `alpha_bars[t]` has shape `(N,)`; reshape it to `(N, 1, ...)` (`.view(-1, *[1] * (x0.ndim - 1))`) so it
# multiplies each sample. The coefficients are the square roots of the variances.
# </details>

# %%
def noisy_sample(x0, t, noise, alpha_bars):
    """x_t = √ᾱ_t · x0 + √(1 - ᾱ_t) · noise, with ᾱ_t = alpha_bars[t] for each sample."""
    raise NotImplementedError  # your code here

# %%
lesson07.check_noisy_sample(noisy_sample)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def noisy_sample(x0, t, noise, alpha_bars):
#     alpha_bar = alpha_bars[t].to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))  # ᾱ_t per sample, (N, 1, ...)
#     return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise  # Ho eq. 4: mean √ᾱ_t x_0, variance 1 - ᾱ_t
# ```
# </details>

# %% [markdown]
# **Exercise 2 · The simple loss.** Ho et al. train the network $\varepsilon_\theta$ to recognise the noise that made $x_t$ (eq. 14):
# $L_{simple} = \operatorname{mean} \lVert \varepsilon - \varepsilon_\theta(x_t, t) \rVert^2$ with $x_t$ from
# exercise 1. Write `simple_loss(denoiser, x0, t, noise, alpha_bars)` (call the network as `denoiser(x_t, t)`;
# you may call your `noisy_sample`).
#
# <details><summary>Hint</summary>
#
# Make $x_t$ first, then compare the network's output with `noise` - not with `x0`: the samplers read the
# output as $\varepsilon$. `F.mse_loss(prediction, noise)` averages over everything.
# </details>

# %%
def simple_loss(denoiser, x0, t, noise, alpha_bars):
    """mean((noise - denoiser(x_t, t))²) with x_t = √ᾱ_t x0 + √(1 - ᾱ_t) noise."""
    raise NotImplementedError  # your code here

# %%
lesson07.check_simple_loss(simple_loss)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def simple_loss(denoiser, x0, t, noise, alpha_bars):
#     alpha_bar = alpha_bars[t].to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))  # ᾱ_t per sample, (N, 1, ...)
#     xt = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise  # the noisy input the network sees (eq. 4)
#     return ((noise - denoiser(xt, t)) ** 2).mean()  # Ho eq. 14: the network predicts the noise ε
# ```
# </details>

# %% [markdown]
# **Exercise 3 · One DDIM step.** Deterministic DDIM (Song et al. 2021, eq. 12 with $\sigma = 0$) jumps from step $t$ to an earlier step $s$:
# first the predicted $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon)/\sqrt{\bar\alpha_t}$, then
# $x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\hat\varepsilon$. Write
# `ddim_step(xt, eps, t, t_previous, alpha_bars)` (`t`, `t_previous` are integers, `t_previous < t`; no clipping).
#
# <details><summary>Hint</summary>
#
# Solve exercise 1's formula for $x_0$ with the predicted noise, then apply it again at the level `t_previous`,
# re-using the same $\hat\varepsilon$ (that is what makes it deterministic).
# </details>

# %%
def ddim_step(xt, eps, t, t_previous, alpha_bars):
    """x_{t_previous} from x_t and the predicted noise eps (DDIM, η = 0)."""
    raise NotImplementedError  # your code here

# %%
lesson07.check_ddim_step(ddim_step)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def ddim_step(xt, eps, t, t_previous, alpha_bars):
#     alpha_bar, alpha_bar_previous = alpha_bars[t], alpha_bars[t_previous]
#     x0 = (xt - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()  # eq. 4 solved for x_0: "predicted x_0"
#     return alpha_bar_previous.sqrt() * x0 + (1 - alpha_bar_previous).sqrt() * eps  # Song eq. 12 with σ = 0
# ```
# </details>

# %% [markdown]
# **Exercise 4 · What guidance costs.** With classifier-free guidance, $\tilde\varepsilon = (1 + w)\,\varepsilon_\theta(x_t, y) - w\,\varepsilon_\theta(x_t, \varnothing)$.
# How many evaluations of the network does **one** sample of `ddpm-mnist` cost with DDIM, 50 steps and $w > 0$?
# (A DCGAN sample costs one.)
#
# <details><summary>Hint</summary>
#
# Count the network calls in one step, then the steps.
# </details>

# %%
guided_evaluations = None  # your answer: a whole number

# %%
lesson07.check_guided_evaluations(guided_evaluations)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# guided_evaluations = 100
# ```
# Two evaluations per step, $\varepsilon_\theta(x_t, y)$ and $\varepsilon_\theta(x_t, \varnothing)$ (the library runs
# them as one batch of $2N$), times 50 steps. A DCGAN sample needs one pass of its generator.
# </details>

# %% [markdown]
# ## Summary
#
# * The forward process is one jump: $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon$;
#   training regresses the noise (the simple loss) - no discriminator, no game.
# * On the ring, the diffusion model covers the modes with more of its samples on them than the GAN.
# * On digits, under one protocol, `ddpm-mnist` beats `dcgan-mnist` on FID and precision without losing
#   recall, and draws the asked digit as reliably as `cgan-mnist`.
# * Guidance trades diversity for fidelity with one number, $w$.
# * A diffusion model has a likelihood bound (bits/dim); a GAN has none.
# * The price is sampling: tens of network passes per sample (twice that with guidance) instead of one.
# * Each step's guess $\hat x_0$ shows the sample forming coarse to fine: the digit is decided in the first
#   few steps, the rest adds detail.
#
# ## References
#
# * J. Ho, A. Jain, P. Abbeel. *Denoising Diffusion Probabilistic Models.* NeurIPS 2020.
# * J. Song, C. Meng, S. Ermon. *Denoising Diffusion Implicit Models.* ICLR 2021.
# * A. Nichol, P. Dhariwal. *Improved Denoising Diffusion Probabilistic Models.* ICML 2021.
# * P. Dhariwal, A. Nichol. *Diffusion Models Beat GANs on Image Synthesis.* NeurIPS 2021.
# * J. Ho, T. Salimans. *Classifier-Free Diffusion Guidance.* arXiv:2207.12598, 2022.
# * J. Sohl-Dickstein, E. Weiss, N. Maheswaranathan, S. Ganguli. *Deep Unsupervised Learning using
#   Nonequilibrium Thermodynamics.* ICML 2015.
