# %% [markdown]
# # 04 · Measuring quality: PSNR, SSIM, MS-SSIM, FID, KID, precision and recall
#
# {{COLAB_BADGE}}
#
# Every later lesson reports numbers. Super-resolution papers report PSNR and SSIM on the Y
# channel; GAN papers report FID. Those numbers end up in your report, so they must be exactly
# the numbers the field computes, and you must know what each can and cannot tell you: PSNR
# disagrees with your eye, FID depends on how many samples you used, and FID alone cannot tell
# a generator that draws badly from one that draws only one thing well.
#
# **Learning goals.** After this lesson you can
#
# 1. write PSNR, SSIM and MS-SSIM as formulas and find each term in the library's code;
# 2. compute the numbers of an SR paper's table (Y channel, border cropped) and say why
#    libraries disagree (pytorch-msssim's `data_range`, torchmetrics' border);
# 3. show cases where PSNR and SSIM disagree with what you see;
# 4. explain FID as a distance between two Gaussians fitted to features, and its bias at small
#    sample sizes; use KID when samples are few;
# 5. separate fidelity from diversity with precision and recall.
#
# Time: quick mode (what the tests and the book run) took about 15 s on a 2-core CPU, measured
# by nbval. The full run's time has not been measured yet (no GPU was available when this
# lesson was written); expect longer, and see the pretrained models' cards for full trainings.

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("04_measuring_quality"))
device = ise.get_device()
ise.seed_everything(0)

# %%
import inspect
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from imgsynth_edu import data, metrics, pretrained, viz
from imgsynth_edu.metrics import distribution, image
from imgsynth_edu.data import degrade
from imgsynth_edu.widgets import working_copy
from imgsynth_edu.widgets.metrics import QualityPlayground, format_scores, scores

quick = ise.is_quick_mode()
photo = working_copy(data.load_photo("astronaut"), 192)  # (1, 3, 192, 192) in [0, 1]
print("working photograph:", tuple(photo.shape))

# %% [markdown]
# ## 1 · PSNR: the error, in decibels
#
# For a prediction $\hat x$ of a true image $x$ with $C$ channels of $H\times W$ pixels in
# $[0, R]$ ($R$ = `data_range`, 1 for our images):
#
# $$\mathrm{MSE} = \frac{1}{CHW}\sum_{c,i,j}(\hat x_{cij} - x_{cij})^2, \qquad
#   \mathrm{PSNR} = 10\log_{10}\frac{R^2}{\mathrm{MSE}}\ \text{dB}.$$
#
# It is computed **per image** and then averaged over images, as scikit-image and SR papers do
# (torchmetrics' default instead pools the squared errors of the whole batch first: another
# number). +6 dB means half the RMS error. Here is the library's code; every line is the formula:

# %%
print(inspect.getsource(image.psnr))

# %%
# NBVAL_CHECK_OUTPUT
noisy = data.add_gaussian_noise(photo, 0.05, generator=torch.Generator().manual_seed(0))
mse = ((noisy - photo) ** 2).mean().item()
print(f"MSE {mse:.6f} -> PSNR by hand {10 * np.log10(1 / mse):.2f} dB, "
      f"library {metrics.psnr(noisy, photo).item():.2f} dB")

# %% [markdown]
# ## 2 · SSIM: compare local structure, not pixels
#
# SSIM (Wang, Bovik, Sheikh & Simoncelli 2004, eq. 13) compares, in every $11\times11$ window
# (Gaussian weights, $\sigma = 1.5$), the local means $\mu$, variances $\sigma^2$ and
# covariance $\sigma_{xy}$:
#
# $$\mathrm{SSIM}(x,y) = \underbrace{\frac{2\mu_x\mu_y + C_1}{\mu_x^2+\mu_y^2+C_1}}_{\text{luminance}}\cdot
#   \underbrace{\frac{2\sigma_{xy} + C_2}{\sigma_x^2+\sigma_y^2+C_2}}_{\text{contrast}\cdot\text{structure}},
#   \qquad C_1 = (0.01R)^2,\ C_2 = (0.03R)^2,$$
#
# averaged over every window that lies **inside** the image (the "valid" region), then over
# channels. The core: five blurred maps ($\mu_x, \mu_y, E[x^2], E[y^2], E[xy]$) in one
# separable convolution, then the formula line by line:

# %%
print(inspect.getsource(image._ssim_per_channel))

# %% [markdown]
# **MS-SSIM** (Wang, Simoncelli & Bovik 2003, eq. 7) repeats the contrast-structure term at five
# scales (each halves the image by $2\times2$ averaging) and keeps luminance only at the
# coarsest:
# $\mathrm{MS\text{-}SSIM} = [l_5]^{\beta_5}\prod_{j=1}^{5}[cs_j]^{\beta_j}$ with
# $\beta = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)$. Five scales need an image of at least
# $(11-1)\cdot2^4 + 1 = 161$ pixels per side; smaller inputs raise an error that says so.

# %%
# NBVAL_CHECK_OUTPUT
print("weights:", image.MS_SSIM_WEIGHTS)
print(format_scores(scores(noisy, photo)))
try:
    metrics.ms_ssim(photo[..., :128, :128], photo[..., :128, :128])
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# ## 3 · The super-resolution protocol: Y channel, border cropped
#
# SR papers (SRCNN, SRResNet/SRGAN, EDSR, ...) convert both images to the luma channel of
# ITU-R BT.601, $Y = (16 + 65.481R + 128.553G + 24.966B)/255$, and crop a border of `scale`
# pixels (which the network can only guess from padding) before PSNR and SSIM.
# `sr_metrics` returns those numbers, plus RGB PSNR; here for the bicubic baseline at ×4:

# %%
# NBVAL_CHECK_OUTPUT
low_res = data.bicubic_downscale(photo, 4)  # (1, 3, 48, 48)
upscaled = data.bicubic_upscale(low_res, 4)  # (1, 3, 192, 192)
sr = metrics.sr_metrics(upscaled, photo, scale=4)
print({name: round(value.item(), 3) for name, value in sr.items()})
print("RGB PSNR without the crop:", round(metrics.psnr(upscaled, photo).item(), 3))

# %% [markdown]
# ## 4 · The quality playground
#
# Move the sliders: blur, noise, JPEG quality (0 = off), a shift of a few pixels, brightness.
# The caption shows PSNR, SSIM and MS-SSIM of the degraded picture against the original. Try
# to find two settings that *look* equally bad but score very differently.

# %%
playground = QualityPlayground(("astronaut", "camera", "coffee", "chelsea"), size=192)
display(playground.widget)

# %% [markdown]
# Without a live kernel, the same point as a static figure: each degradation alone.

# %%
figure = playground.static_figure("astronaut")
plt.show()

# %% [markdown]
# ## 5 · When PSNR and SSIM disagree with the eye
#
# Three classic cases, each with a degraded copy at (almost) **the same PSNR**:
#
# * **blur vs noise vs JPEG at equal PSNR.** SSIM ranks them very differently, and so do you.
# * **a one-pixel shift** looks identical to the eye and scores terribly on both metrics: they
#   compare pixel to pixel, they have no notion of "the same picture, moved".
# * **a brightness change** barely bothers the eye, yet costs PSNR a lot; SSIM, whose
#   structure term ignores a change of mean, forgives it.
#
# We search for the noise level and JPEG quality whose PSNR matches that of a blur:

# %%
blurred = degrade(photo, blur=1.5)
target_psnr = metrics.psnr(blurred, photo).item()


def psnr_of(**settings):
    return metrics.psnr(degrade(photo, **settings), photo).item()


low, high = 0.0, 0.2  # bisection on the noise sigma: PSNR falls as sigma grows
for _ in range(20):
    middle = (low + high) / 2
    low, high = (middle, high) if psnr_of(noise=middle) > target_psnr else (low, middle)
quality = min(range(1, 101), key=lambda q: abs(psnr_of(jpeg=q) - target_psnr))
brightness = min(np.arange(0.0, 0.31, 0.01), key=lambda b: abs(psnr_of(brightness=float(b)) - target_psnr))
cases = [("blur σ = 1.5", {"blur": 1.5}), (f"noise σ = {low:.3f}", {"noise": low}),
         (f"JPEG quality {quality}", {"jpeg": quality}), (f"brightness +{brightness:.2f}", {"brightness": float(brightness)}),
         ("shift 1 px", {"shift": 1})]
figure, axes = plt.subplots(1, len(cases), figsize=(3.0 * len(cases), 3.6))
for ax, (title, settings) in zip(axes, cases):
    degraded = degrade(photo, **settings)
    values = scores(degraded, photo)
    ax.imshow(degraded[0].permute(1, 2, 0).numpy())
    ax.set_title(f"{title}\nPSNR {values['psnr']:.1f} dB\nSSIM {values['ssim']:.3f}", fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# What to notice: PSNR calls the four left images equally good; you do not. SSIM separates
# them: it rates the brighter copy, which the eye finds nearly perfect, the highest, and the
# noisy copy the lowest (noise destroys local structure). But SSIM also rates the blurred copy
# above the blocky JPEG copy, and whether blur or grain looks worse is a matter of taste: no
# single number matches every eye. The shifted copy looks exactly like the original, yet it has
# the lowest PSNR of all and an SSIM below the blurred copy's: both are *full-reference,
# pixel-aligned* metrics with no notion of "the same picture, moved".
# Lesson 05 returns to this: a network trained for PSNR makes blurry pictures.

# %% [markdown]
# ## 6 · Same name, different number: conventions of other libraries
#
# Two widely used PyTorch packages compute "SSIM" with other conventions, and a number copied
# from one is not comparable with another:
#
# * **pytorch-msssim** has `data_range=255` as its *default*. For images in $[0, 1]$ that makes
#   $C_1, C_2$ $255^2$ times too large, and any two images score $\approx 0.99$.
# * **torchmetrics** pads the image and averages the SSIM map over the *whole* image, border
#   included; scikit-image, pytorch-msssim and we average over the valid windows only.
#
# These packages are not needed by the course (they are only used in its tests), so the cell
# below runs them if they are installed and otherwise just says so.

# %%
try:
    import pytorch_msssim
    from torchmetrics.functional.image import structural_similarity_index_measure
except ImportError:
    print("pytorch-msssim or torchmetrics is not installed here: the differences are described above.")
else:
    unrelated = data.add_gaussian_noise(photo, 0.3, generator=torch.Generator().manual_seed(1))
    print(f"ours, data_range=1                : {metrics.ssim(unrelated, photo).item():.4f}")
    print(f"pytorch-msssim, data_range=1      : {pytorch_msssim.ssim(unrelated, photo, data_range=1).item():.4f}")
    print(f"pytorch-msssim, default (255)     : {pytorch_msssim.ssim(unrelated, photo).item():.4f}   <- the trap")
    print(f"torchmetrics (border included)    : "
          f"{structural_similarity_index_measure(unrelated, photo, data_range=1.0).item():.4f}")

# %% [markdown]
# ## 7 · FID: the distance between two Gaussians
#
# A generator has no "true image" to compare each sample with: it must be judged as a **set**.
# FID (Heusel et al. 2017) maps every image to a feature vector with a trained network, fits a
# Gaussian $\mathcal N(\mu, \Sigma)$ to each set of features, and takes the Fréchet
# (2-Wasserstein) distance between the two Gaussians:
#
# $$\mathrm{FID} = \lVert\mu_r - \mu_g\rVert^2 + \operatorname{tr}\Sigma_r + \operatorname{tr}\Sigma_g
#   - 2\operatorname{tr}\big(\Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2}\big)^{1/2}.$$
#
# In one dimension it is $(\mu_1-\mu_2)^2 + (\sigma_1-\sigma_2)^2$: check it.

# %%
# NBVAL_CHECK_OUTPUT
value = metrics.frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[9.0]]))
print(f"library {value:.6f}; formula (1-(-2))² + (2-3)² = {(1 + 2) ** 2 + (2 - 3) ** 2}")

# %% [markdown]
# The usual formula writes $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2}$, and pytorch-fid takes
# SciPy's general matrix square root of the non-symmetric product $\Sigma_1\Sigma_2$: slow, and
# for nearly singular covariances it returns complex numbers or NaN. The symmetric form above
# has the same value (the two matrices are similar) and needs only symmetric
# eigendecompositions, which are real, stable and fast:

# %%
print(inspect.getsource(distribution.frechet_distance).split('"""')[-1])

# %% [markdown]
# **Which features?** Photographs: the 2048-d pool layer of InceptionV3 with the original
# TensorFlow weights (`metrics.InceptionFeatures`, 96 MB, downloaded and checksum-verified on
# first use: the FID of papers). Digits: InceptionV3 knows nothing about 28×28 strokes, so we
# use the 128-d embedding of the **bundled digit classifier**, trained on the `mnist-5k` train
# split. Its card says how it was made and how well it classifies the test split:

# %%
classifier = pretrained.load("digit-classifier", device=device)
card = pretrained.card("digit-classifier")
print(card["command"])
print("test accuracy on mnist-5k:", card["scores"]["test_accuracy"])

# %% [markdown]
# Features of the real train and test digits, and of several "generators" that we fake by
# damaging the test digits: noise, blur, and a **collapsed** one that only ever draws the digit 1.
# The statistics are accumulated batch by batch (`compute_statistics` never holds all images);
# KID and precision/recall need the features themselves (`extract_features`).

# %%
train_images, train_labels = data.stack_dataset(data.get_dataset("mnist-5k", "train"))
test_images, test_labels = data.stack_dataset(data.get_dataset("mnist-5k", "test"))
generator = torch.Generator().manual_seed(0)
ones = test_images[test_labels == 1]
fake_sets = {
    "real test digits": test_images,
    "noisy (σ = 0.2)": data.add_gaussian_noise(test_images, 0.2, generator=generator),
    "blurred (σ = 1)": data.gaussian_blur(test_images, 1.0, kernel_size=5),
    "collapsed (only 1s)": ones[torch.randint(len(ones), (len(test_images),), generator=generator)],
}
features_of = lambda images: metrics.extract_features(images, classifier.features, device=device)  # noqa: E731
real_features = features_of(train_images)  # (4000, 128)
fake_features = {name: features_of(images) for name, images in fake_sets.items()}  # each (1000, 128)
real_statistics = metrics.compute_statistics(train_images, classifier.features, batch_size=500, device=device)
test_statistics = metrics.compute_statistics(test_images, classifier.features, batch_size=500, device=device)
streamed = metrics.fid_from_statistics(real_statistics, test_statistics)
all_at_once = metrics.fid(real_features, fake_features["real test digits"])
print(f"{real_statistics}: FID streamed {streamed:.4f}, from all features at once {all_at_once:.4f}")

# %%
figure, axes = plt.subplots(1, len(fake_sets), figsize=(3.0 * len(fake_sets), 3.2))
for ax, (name, images) in zip(axes, fake_sets.items()):
    ax.imshow(viz.make_grid(images[:16], nrow=4)[0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(name, fontsize=10)
    ax.axis("off")
plt.show()

# %% [markdown]
# The real test digits are the best a generator could do here. Their FID is not 0: the sets are
# finite (next section), and the classifier was trained on the train digits, so it represents
# them a little more confidently than digits it has never seen.
#
# ## 8 · FID is biased: it depends on the number of samples
#
# Two sets drawn from **the same** distribution (two random halves of the train digits) have a
# true FID of 0. Estimated from $N$ samples, the covariances are noisy, and the noise always *adds*
# distance: FID falls roughly like $a + b/N$ (Chong & Forsyth 2020). A model scored on 1,000
# samples looks worse than the same model scored on 10,000: compare FIDs only at equal $N$.
# With fewer samples than feature dimensions (here 128) the covariance is singular and the
# library warns:

# %%
order = torch.randperm(len(real_features), generator=torch.Generator().manual_seed(0))
half_a, half_b = real_features[order[:2000]], real_features[order[2000:]]  # same distribution
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    metrics.fid(half_a[:100], half_b[:100])
print("warning:", caught[0].message if caught else "(none)")

# %%
sizes = [50, 100, 200, 500, 1000, 2000] if quick else [25, 50, 100, 200, 500, 1000, 2000]
repeats = 3 if quick else 10
fid_curve = np.array([metrics.fid_bias_curve(half_a, half_b, sizes, generator=torch.Generator().manual_seed(seed))
                      for seed in range(repeats)])  # (repeats, len(sizes))
kid_curve = np.array([[metrics.kid(half_a, half_b, subset_size=size, num_subsets=1,
                                   generator=torch.Generator().manual_seed(seed))[0]
                       for size in sizes] for seed in range(repeats)])  # (repeats, len(sizes))
figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.errorbar(sizes, fid_curve.mean(0), yerr=fid_curve.std(0), marker="o")
left.set(xscale="log", xlabel="samples N per set", ylabel="FID", title="FID, real vs real: biased, falls with N")
right.errorbar(sizes, kid_curve.mean(0), yerr=kid_curve.std(0), marker="o", color="C1")
right.axhline(0, color="gray", lw=0.8)
right.set(xscale="log", xlabel="samples N per set", ylabel="KID", title="KID, real vs real: unbiased, ≈ 0 at any N")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 9 · KID: an unbiased alternative for small samples
#
# KID (Bińkowski et al. 2018) is the squared maximum mean discrepancy with the cubic kernel
# $k(x,y) = (x^\top y/d + 1)^3$, estimated without bias (the sums skip $i = j$):
#
# $$\widehat{\mathrm{MMD}}^2 = \frac{1}{m(m-1)}\sum_{i\ne j}\big[k(x_i,x_j) + k(y_i,y_j)\big]
#   - \frac{2}{m^2}\sum_{i,j}k(x_i,y_j).$$
#
# It can be slightly negative when the sets agree, and its *expected* value does not depend on
# $m$, so a few hundred samples give a usable number. The library code:

# %%
print(inspect.getsource(distribution._unbiased_mmd2))

# %% [markdown]
# ## 10 · Precision and recall: fidelity and diversity, separately
#
# FID mixes two failures into one number. Kynkäänniemi et al. (2019) estimate the real and
# the fake **manifolds** as unions of balls around each sample reaching its $k$-th nearest
# neighbour ($k = 3$). **Precision**: the share of fakes inside the real manifold (are the
# samples good?). **Recall**: the share of reals inside the fake manifold (is everything
# covered?). The collapsed generator draws perfectly good 1s: high precision, low recall.

# %%
rows = []
for name, features in fake_features.items():
    precision, recall = metrics.precision_recall(real_features, features, k=3)
    kid_mean, kid_std = metrics.kid(real_features, features, subset_size=500, num_subsets=10,
                                    generator=torch.Generator().manual_seed(0))
    rows.append((name, metrics.fid(real_features, features), kid_mean, precision, recall))
print(f"{'fake set':22s} {'FID':>8s} {'KID':>8s} {'precision':>10s} {'recall':>8s}")
for name, fid_value, kid_value, precision, recall in rows:
    print(f"{name:22s} {fid_value:8.2f} {kid_value:8.3f} {precision:10.3f} {recall:8.3f}")

# %%
figure, ax = plt.subplots(figsize=(4.8, 4.2))
for name, _, _, precision, recall in rows:
    ax.scatter(recall, precision, s=60)
    ax.annotate(name, (recall, precision), textcoords="offset points", xytext=(5, 5), fontsize=9)
ax.set(xlim=(-0.05, 1.1), ylim=(-0.05, 1.1), xlabel="recall (diversity)", ylabel="precision (fidelity)",
       title="Where each fake set lands")
plt.show()

# %% [markdown]
# ## Exercises
#
# **Exercise 1 (PSNR by hand).** Compute the PSNR of `noisy` against `photo` for **each of the
# three colour channels separately** (a list of three floats, `channel_psnr`), using only torch
# operations. Then check: is the mean of the three equal to `metrics.psnr(noisy, photo)`?
#
# <details><summary>Hint</summary>
#
# `((noisy - photo) ** 2).mean(dim=(0, 2, 3))` is the MSE per channel. The mean of the
# logarithms is not the logarithm of the mean.
# </details>

# %%
channel_psnr = None  # your code: three floats

# %%
# Check cell for exercise 1.
def check_exercise_1(answer):
    expected = [metrics.psnr(noisy[:, c : c + 1], photo[:, c : c + 1]).item() for c in range(3)]
    if answer is None:
        return "Not answered yet: set channel_psnr to a list of three floats."
    if len(answer) != 3 or any(abs(a - e) > 1e-3 for a, e in zip(answer, expected)):
        return f"Not quite: expected about {[round(e, 2) for e in expected]}."
    total = metrics.psnr(noisy, photo).item()
    return (f"Correct! Mean of the three: {np.mean(answer):.3f} dB, PSNR of the whole image: {total:.3f} dB: "
            "close, but not equal (PSNR is a log of the pooled MSE).")


print(check_exercise_1(channel_psnr))

# %% [markdown]
# **Exercise 2 (the singular covariance).** FID needs the covariance of $d$-dimensional
# features. What is the largest possible **rank** of the sample covariance of `n = 50` feature
# vectors of dimension `d = 128`? Set `max_rank` and run the check, which measures it.
#
# <details><summary>Hint</summary>
#
# Subtracting the mean makes the 50 centred vectors linearly dependent (they sum to zero).
# </details>

# %%
max_rank = None  # your answer: an int

# %%
# Check cell for exercise 2.
def check_exercise_2(answer):
    covariance = torch.cov(half_a[:50].T)  # (128, 128)
    measured = int(torch.linalg.matrix_rank(covariance))
    if answer is None:
        return "Not answered yet: set max_rank."
    if answer == 49 and measured <= 49:
        return f"Correct! n - 1 = 49 (measured rank: {measured}). With fewer samples than dimensions, use KID."
    return f"Not quite: the measured rank is {measured}. Think about the n vectors minus their mean."


print(check_exercise_2(max_rank))

# %% [markdown]
# **Exercise 3 (predict, then measure).** A generator outputs exact copies of 1,000 training
# digits (it memorised them). Predict its precision, recall and FID against `real_features`
# before you run the cell, then compare. What does that tell you about what these metrics can
# and cannot detect?

# %%
copies = half_a[:1000]
precision, recall = metrics.precision_recall(real_features, copies, k=3)
print(f"memorised copies: FID {metrics.fid(real_features, copies):.2f}, "
      f"precision {precision:.3f}, recall {recall:.3f}")

# %% [markdown]
# <details><summary>Answer</summary>
#
# Precision is 1 (every copy lies on the real manifold) and FID is tiny: **none of these
# metrics detects memorisation**, because they only compare distributions. Recall is below 1
# because 1,000 copies cover only part of the 4,000 training digits. Detecting copies needs a
# nearest-neighbour check against the training set.
# </details>
#
# ## Summary
#
# * **PSNR** is the log of the mean squared error: simple, standard, blind to structure.
#   **SSIM / MS-SSIM** compare local means, contrast and structure; closer to the eye, but
#   still pixel-aligned (a one-pixel shift ruins them).
# * The **SR protocol** (Y channel of BT.601, border of `scale` cropped) is part of the number:
#   report it. Library conventions differ (pytorch-msssim's `data_range=255` default,
#   torchmetrics' border): ours equal scikit-image and pytorch-msssim with `data_range=1`.
# * **FID** is the Fréchet distance between Gaussians fitted to features: biased upwards at
#   small $N$, so compare only at equal $N$ and feature network. **KID** is unbiased.
# * **Precision / recall** separate fidelity from diversity: mode collapse has high precision
#   and low recall.
#
# ## References
#
# * Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli. *Image quality assessment: from error
#   visibility to structural similarity.* IEEE TIP 2004.
# * Z. Wang, E. P. Simoncelli, A. C. Bovik. *Multiscale structural similarity for image quality
#   assessment.* Asilomar 2003.
# * M. Heusel et al. *GANs trained by a two time-scale update rule converge to a local Nash
#   equilibrium* (FID). NeurIPS 2017.
# * M. Bińkowski et al. *Demystifying MMD GANs* (KID). ICLR 2018.
# * T. Kynkäänniemi et al. *Improved precision and recall metric for assessing generative
#   models.* NeurIPS 2019.
# * M. J. Chong, D. Forsyth. *Effectively unbiased FID and Inception Score and where to find
#   them.* CVPR 2020.
# * C. Dong et al. *Image super-resolution using deep convolutional networks* (SRCNN, the Y
#   channel protocol). TPAMI 2016.
