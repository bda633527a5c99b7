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
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("04_measuring_quality"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch; the seeded generator it returns is not needed here

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
# * **a one-pixel shift** looks identical to the eye, yet PSNR scores it below everything else and
#   SSIM below the blur: both compare pixel to pixel, they have no notion of "the same picture,
#   moved".
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
equal_psnr = {}  # case title -> its scores
for ax, (title, settings) in zip(axes, cases):
    degraded = degrade(photo, **settings)
    values = equal_psnr[title] = scores(degraded, photo)
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
# the lowest PSNR of all and an SSIM below the blurred copy's. SSIM is kinder to it than PSNR
# (it still rates it above the JPEG copy, because a shift keeps every local structure, only one
# pixel off), but neither metric knows that nothing was lost: both are *full-reference,
# pixel-aligned* metrics with no notion of "the same picture, moved".
# Lesson 05 returns to this: a network trained for PSNR makes blurry pictures.
#
# Each sentence above is a claim about this run; the next cell checks them on the numbers just
# measured (it stops the notebook if one does not hold).

# %%
four = [title for title, _ in cases[:4]]  # blur, noise, JPEG, brightness: matched in PSNR
psnrs = {title: equal_psnr[title]["psnr"] for title in equal_psnr}
ssims = {title: equal_psnr[title]["ssim"] for title in equal_psnr}
blur_title, noise_title, jpeg_title, bright_title, shift_title = (title for title, _ in cases)
spread = max(psnrs[t] for t in four) - min(psnrs[t] for t in four)
ise.claim("PSNR calls the four left images equally good (within 0.5 dB)", spread < 0.5,
          measured=", ".join(f"{t}: {psnrs[t]:.2f} dB" for t in four))
ise.claim("SSIM rates the brighter copy the highest of the four and the noisy copy the lowest",
          max(four, key=ssims.get) == bright_title and min(four, key=ssims.get) == noise_title,
          measured=", ".join(f"{t}: {ssims[t]:.3f}" for t in four))
ise.claim("SSIM rates the blurred copy above the JPEG copy", ssims[blur_title] > ssims[jpeg_title],
          measured=f"{ssims[blur_title]:.3f} vs {ssims[jpeg_title]:.3f}")
ise.claim("the one-pixel shift has the lowest PSNR of all five", psnrs[shift_title] < min(psnrs[t] for t in four),
          measured=f"{psnrs[shift_title]:.2f} dB vs at least {min(psnrs[t] for t in four):.2f} dB")
ise.claim("the shift's SSIM is below the blurred copy's and above the JPEG copy's",
          ssims[jpeg_title] < ssims[shift_title] < ssims[blur_title],
          measured=f"JPEG {ssims[jpeg_title]:.3f} < shift {ssims[shift_title]:.3f} < blur {ssims[blur_title]:.3f}")

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
    ours = metrics.ssim(unrelated, photo).item()
    trap = pytorch_msssim.ssim(unrelated, photo).item()
    same_convention = pytorch_msssim.ssim(unrelated, photo, data_range=1).item()
    bordered = structural_similarity_index_measure(unrelated, photo, data_range=1.0).item()
    ise.claim("with its default data_range=255, pytorch-msssim scores this unrelated pair above 0.99", trap > 0.99,
              measured=f"{trap:.4f}, while the right data_range=1 gives {same_convention:.4f}")
    ise.claim("with data_range=1, pytorch-msssim gives our number (to 1e-4)", abs(same_convention - ours) < 1e-4,
              measured=f"{same_convention:.5f} vs {ours:.5f}")
    ise.claim("torchmetrics, which averages the border too, gives another number", abs(bordered - ours) > 1e-3,
              measured=f"{bordered:.4f} vs {ours:.4f}")

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
ise.claim("streaming the statistics batch by batch gives the same FID", abs(streamed - all_at_once) < 1e-3,
          measured=f"{streamed:.4f} vs {all_at_once:.4f}")

# %%
figure, axes = plt.subplots(1, len(fake_sets), figsize=(3.0 * len(fake_sets), 3.2))
for ax, (name, images) in zip(axes, fake_sets.items()):
    ax.imshow(viz.make_grid(images[:16], nrow=4)[0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(name, fontsize=10)
    ax.axis("off")
plt.show()

# %% [markdown]
# The real test digits are the best a generator could do here, and every damage costs FID. Their
# FID is not 0, because the sets are finite (next section): 1,000 *train* digits held apart from
# the other 3,000 score about the same FID against them as 1,000 test digits do, so the
# classifier has no special fondness for the digits it was trained on; the non-zero FID is the
# estimate's own error.

# %%
fids = {name: metrics.fid(real_features, features) for name, features in fake_features.items()}
print("FID against the 4,000 train digits:", {name: round(value, 2) for name, value in fids.items()})
damaged = [name for name in fids if name != "real test digits"]
ise.claim("the real test digits have the lowest FID, above 0", 0 < fids["real test digits"] < min(fids[n] for n in damaged),
          measured=f"{fids['real test digits']:.2f} vs at least {min(fids[n] for n in damaged):.2f} for the damaged sets")
split = torch.randperm(len(real_features), generator=torch.Generator().manual_seed(0))
reference, held_apart = real_features[split[:3000]], real_features[split[3000:]]  # (3000, 128), (1000, 128)
fid_held_apart = metrics.fid(reference, held_apart)
fid_test = metrics.fid(reference, fake_features["real test digits"])
ise.claim("1,000 test digits and 1,000 held-apart train digits score about the same FID (within 20 %)",
          abs(fid_test / fid_held_apart - 1) < 0.2,
          measured=f"test {fid_test:.2f}, held-apart train {fid_held_apart:.2f}")

# %% [markdown]
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
repeats = 10  # independent draws per size: the error bars are their standard deviation
fid_curve, kid_curve = [], []
for seed in range(repeats):  # each draw splits the 4,000 train digits into two new halves
    split = torch.randperm(len(real_features), generator=torch.Generator().manual_seed(100 + seed))
    first, second = real_features[split[:2000]], real_features[split[2000:]]  # (2000, 128) each
    fid_curve.append(metrics.fid_bias_curve(first, second, sizes, generator=torch.Generator().manual_seed(seed)))
    kid_curve.append([metrics.kid(first, second, subset_size=size, num_subsets=1,
                                  generator=torch.Generator().manual_seed(seed))[0] for size in sizes])
fid_curve, kid_curve = np.array(fid_curve), np.array(kid_curve)  # (repeats, len(sizes)) each
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.errorbar(sizes, fid_curve.mean(0), yerr=fid_curve.std(0), marker="o")
left.set(xscale="log", xlabel="samples N per set", ylabel="FID",
         title="FID, real vs real (true value 0):\nabove 0 at every N, falling as N grows")
right.errorbar(sizes, kid_curve.mean(0), yerr=kid_curve.std(0), marker="o", color="C1")
right.axhline(0, color="gray", lw=0.8)
right.set(xscale="log", xlabel="samples N per set", ylabel="KID",
          title=f"KID, real vs real (true value 0): mean ± std of {repeats} draws,\n"
                "scattered around 0, the scatter shrinking as N grows")
plt.tight_layout()
plt.show()

# %% [markdown]
# FID falls roughly like $a + b/N$ (Chong & Forsyth 2020 extrapolate it to $N = \infty$ that
# way); KID's draws scatter around 0 at every $N$ (a single small-$N$ KID can be far from 0, in
# either direction), and the scatter shrinks as $N$ grows. Checked on the curves just drawn:

# %%
fid_mean, kid_mean = fid_curve.mean(0), kid_curve.mean(0)  # (len(sizes),) each
kid_standard_error = kid_curve.std(0, ddof=1) / np.sqrt(repeats)  # (len(sizes),)
inverse_n = 1 / np.array(sizes)
slope, intercept = np.polyfit(inverse_n, fid_mean, 1)  # FID ≈ intercept + slope / N
fit_r2 = 1 - ((fid_mean - (intercept + slope * inverse_n)) ** 2).sum() / ((fid_mean - fid_mean.mean()) ** 2).sum()
ise.claim("FID of real vs real is above 0 at every N and falls each time N grows",
          bool((fid_curve > 0).all() and (np.diff(fid_mean) < 0).all()),
          measured=", ".join(f"N={n}: {v:.1f}" for n, v in zip(sizes, fid_mean)))
ise.claim("a + b/N fits the FID curve (R² > 0.95)", fit_r2 > 0.95,
          measured=f"a = {intercept:.2f}, b = {slope:.0f}, R² = {fit_r2:.3f}")
ise.claim("KID's mean is within 3 standard errors of 0 at every N",
          bool((np.abs(kid_mean) < 3 * kid_standard_error).all()),
          measured=", ".join(f"N={n}: {m:+.1f} ± {e:.1f}" for n, m, e in zip(sizes, kid_mean, kid_standard_error)))
ise.claim("KID's scatter at the largest N is under a fifth of its scatter at the smallest",
          kid_curve.std(0)[-1] < kid_curve.std(0)[0] / 5,
          measured=f"std {kid_curve.std(0)[0]:.1f} at N={sizes[0]}, {kid_curve.std(0)[-1]:.1f} at N={sizes[-1]}")

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
# **Why are our KIDs in the hundreds and thousands?** Papers that compute KID on Inception
# features report values of about 0.01 and below (often multiplied by 1,000 in their tables). KID
# has no fixed scale: it is a difference of averages of the kernel, and the kernel grows like the
# *cube* of $x^\top y/d$. Inception's pool features are averages of ReLU outputs, mostly small
# fractions, so there $x^\top y/d$ is typically below 1 and every kernel value lies between 1 and
# $2^3 = 8$: differences of such averages are small numbers. The digit classifier's 128-d
# embedding is not normalised in any way; measured on our features:

# %%
sample = real_features[:1000]  # (1000, 128)
inner = sample[:500] @ sample[500:].T / sample.shape[1]  # (500, 500): x·y/d for pairs of digits
kernel = (inner + 1) ** 3  # (500, 500)
print(f"typical x·y/d {inner.median():.1f}, typical kernel value {kernel.median():.0f}")
ise.claim("on the digit embedding x·y/d is far above 1, so the cubic kernel is in the thousands",
          bool(inner.median() > 1 and kernel.median() > 1000),
          measured=f"median x·y/d {inner.median():.1f}, median kernel {kernel.median():.0f}")

# %% [markdown]
# A KID of a few hundred is therefore a difference of a few per cent between kernel averages
# in the thousands. The lesson: like FID, a KID is only comparable with another KID computed on
# the same features (same network, same layer, same preprocessing); the number alone says
# nothing about "good" or "bad".

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
table = {name: {"fid": fid_value, "kid": kid_value, "precision": precision, "recall": recall}
         for name, fid_value, kid_value, precision, recall in rows}
collapsed = table["collapsed (only 1s)"]
ise.claim("the collapsed generator has high precision (≥ 0.9) and low recall (≤ 0.05)",
          collapsed["precision"] >= 0.9 and collapsed["recall"] <= 0.05,
          measured=f"precision {collapsed['precision']:.3f}, recall {collapsed['recall']:.3f}")
ise.claim("its precision is the highest of the four sets: fidelity alone cannot see mode collapse",
          collapsed["precision"] == max(row["precision"] for row in table.values()),
          measured=", ".join(f"{name}: {row['precision']:.3f}" for name, row in table.items()))

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
# The metrics, written from their formulas and checked against the library.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson04

# %% [markdown]
# **Exercise 1 · PSNR the way super-resolution papers measure it.** Write `y_psnr(pred, target, scale)` for RGB batches `N×3×H×W` in $[0, 1]$: convert both to the luma of
# BT.601 with MATLAB's studio swing,
#
# $$Y = \frac{16 + 65.481R + 128.553G + 24.966B}{255},$$
#
# crop a border of `scale` pixels on every side, compute the PSNR of each image (peak 1) and return
# the mean over the images.
#
# <details><summary>Hint</summary>
#
# Weights `torch.tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1) / 255`, summed over `dim=1`, plus
# `16 / 255`. Crop with `[..., s:-s, s:-s]`. The MSE per image is a mean over its pixels.
# </details>

# %%
import torch


def y_psnr(pred, target, scale):
    """Mean over images of the PSNR of BT.601 studio-swing Y, with a border of `scale` pixels cropped."""
    raise NotImplementedError  # your code here

# %%
lesson04.check_y_psnr(y_psnr)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def y_psnr(pred, target, scale):
#     weights = torch.tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1) / 255  # BT.601, studio swing
#     pred_y = (pred * weights).sum(dim=1) + 16 / 255  # (N, H, W), Y in [16/255, 235/255]
#     target_y = (target * weights).sum(dim=1) + 16 / 255
#     pred_y = pred_y[:, scale:-scale, scale:-scale]  # drop a border of `scale` pixels
#     target_y = target_y[:, scale:-scale, scale:-scale]
#     mse = ((pred_y - target_y) ** 2).mean(dim=(1, 2))  # (N,): one MSE per image
#     return (10 * torch.log10(1.0 / mse)).mean()  # the mean of the per-image PSNRs
# ```
# </details>

# %% [markdown]
# **Exercise 2 · SSIM from its local statistics.** Write `ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range=1.0)`: given the local means, variances
# and covariance of every window (tensors of any one shape), return SSIM of every window
# (Wang et al. 2004, eq. 13):
#
# $$\mathrm{SSIM} = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}{(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
# \qquad C_1 = (0.01R)^2,\ C_2 = (0.03R)^2.$$
#
# The check also feeds it the statistics of two images' 11×11 Gaussian windows and compares the mean
# with `metrics.ssim`.
#
# <details><summary>Hint</summary>
#
# $R$ is `data_range`. Without $C_1$ and $C_2$ two flat black patches give $0/0$; with them, SSIM is 1 there.
# </details>

# %%
def ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range=1.0):
    """SSIM of every window from its local statistics (element by element)."""
    raise NotImplementedError  # your code here

# %%
lesson04.check_ssim_map(ssim_map)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range=1.0):
#     c1 = (0.01 * data_range) ** 2  # keeps the luminance term finite where both means are ~0
#     c2 = (0.03 * data_range) ** 2  # ... and the contrast-structure term where both patches are flat
#     luminance = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
#     contrast_structure = (2 * cov_xy + c2) / (var_x + var_y + c2)
#     return luminance * contrast_structure
# ```
# </details>

# %% [markdown]
# **Exercise 3 · KID: the unbiased MMD².** Write `kid_mmd2(real, fake)` for two feature matrices of shape `(m, d)`: the unbiased estimate of
# the squared MMD with the cubic kernel $k(x, y) = (x^\top y / d + 1)^3$ (Bińkowski et al. 2018),
#
# $$\widehat{\mathrm{MMD}}^2 = \frac{1}{m(m-1)}\sum_{i \ne j}\big[k(x_i, x_j) + k(y_i, y_j)\big] -
# \frac{2}{m^2}\sum_{i, j} k(x_i, y_j).$$
#
# <details><summary>Hint</summary>
#
# `real @ real.T` holds every inner product; subtract the diagonal's sum to drop the terms $i = j$. The
# cross term keeps every pair: a real and a fake sample are never the same sample.
# </details>

# %%
def kid_mmd2(real, fake):
    """Unbiased MMD² with the kernel (x·y/d + 1)³ between two (m, d) feature matrices."""
    raise NotImplementedError  # your code here

# %%
lesson04.check_kid_mmd2(kid_mmd2)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def kid_mmd2(real, fake):
#     m, d = real.shape
#     k_rr = (real @ real.T / d + 1) ** 3  # (m, m): the cubic kernel between every pair of reals
#     k_ff = (fake @ fake.T / d + 1) ** 3  # (m, m)
#     k_rf = (real @ fake.T / d + 1) ** 3  # (m, m)
#     same_real = (k_rr.sum() - k_rr.diagonal().sum()) / (m * (m - 1))  # pairs i ≠ j only: unbiased
#     same_fake = (k_ff.sum() - k_ff.diagonal().sum()) / (m * (m - 1))
#     cross = k_rf.sum() / (m * m)  # a real and a fake are never the same sample: keep every pair
#     return same_real + same_fake - 2 * cross
# ```
# </details>

# %% [markdown]
# **Exercise 4 · How much does studio swing add?.** Studio-swing Y spans $[16/255, 235/255]$, only $219/255$ of the range of full-range Y
# ($0.299R + 0.587G + 0.114B$), with the same peak of 1 in the PSNR. By how many dB does the PSNR on
# studio-swing Y exceed the PSNR on full-range Y, for any pair of images?
#
# <details><summary>Hint</summary>
#
# Every error is multiplied by $219/255$; the MSE by its square.
# </details>

# %%
studio_swing_db = None  # your answer in dB

# %%
lesson04.check_studio_swing_db(studio_swing_db)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# import math
#
# studio_swing_db = 20 * math.log10(255 / 219)
# ```
#
# $10\log_{10}\big((255/219)^2\big) = 20\log_{10}(255/219) \approx 1.32$ dB, for every pair of images. This, not errors cancelling between channels, is
# why Y-PSNR tables sit above RGB-PSNR tables.
# </details>

# %% [markdown]
# **Exercise 5 · The singular covariance.** FID needs the covariance of $d$-dimensional features. What is the largest possible **rank** of the
# sample covariance of `n = 50` feature vectors of dimension `d = 128`? The check measures it.
#
# <details><summary>Hint</summary>
#
# Subtracting the mean makes the 50 centred vectors linearly dependent: they sum to zero.
# </details>

# %%
covariance_rank = None  # your answer: an int

# %%
lesson04.check_covariance_rank(covariance_rank)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# covariance_rank = 49
# ```
#
# That is $n - 1$. With fewer samples than dimensions the covariance is singular,
# FID's matrix square root is ill-conditioned, and KID is the better choice.
# </details>

# %% [markdown]
# **Exercise 6 · Predict, then measure.** A generator outputs
# exact copies of 1,000 training digits (it memorised them). Predict its precision, recall and FID
# against `real_features` before you run the cell, then compare. What does that tell you about
# what these metrics can and cannot detect?

# %%
copies = half_a[:1000]
precision, recall = metrics.precision_recall(real_features, copies, k=3)
copies_fid = metrics.fid(real_features, copies)
print(f"memorised copies: FID {copies_fid:.2f}, precision {precision:.3f}, recall {recall:.3f}")

# %% [markdown]
# <details><summary>Answer</summary>
#
# Precision is 1 (every copy lies on the real manifold) and FID is lower than that of the real
# test digits: **none of these metrics detects memorisation**, because they only compare
# distributions. Recall is below 1 because 1,000 copies cover only part of the 4,000 training
# digits. Detecting copies needs a nearest-neighbour check against the training set.
# </details>

# %%
ise.claim("memorised copies get precision 1, recall below 1, and an FID below the real test digits'",
          precision == 1.0 and recall < 1.0 and copies_fid < fids["real test digits"],
          measured=f"precision {precision:.3f}, recall {recall:.3f}, FID {copies_fid:.2f} vs {fids['real test digits']:.2f}")

# %% [markdown]
# ## Summary
#
# * **PSNR** is the log of the mean squared error: simple, standard, blind to structure.
#   **SSIM / MS-SSIM** compare local means, contrast and structure; closer to the eye, but
#   still pixel-aligned (an invisible one-pixel shift costs more PSNR than a visible blur).
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
