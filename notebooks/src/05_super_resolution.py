# %% [markdown]
# # 05 · Single-image super-resolution: SRResNet, SRGAN, and how to measure them
#
# {{COLAB_BADGE}}
#
# A phone photo zoomed 4× looks soft: each pixel has become a 4×4 block, and interpolation can
# only *spread* the information that is there. A super-resolution (SR) network is trained on
# pairs (small image, large image) to put back the detail that downscaling removed. SRResNet
# (Ledig et al., CVPR 2017) is the textbook example, and its adversarial sibling SRGAN is the
# textbook example of a lesson every restoration method teaches: **the image that scores best
# in PSNR is not the one that looks best.**
#
# **Learning goals.** After this lesson you can
#
# 1. write the degradation model that SR inverts and make training pairs from any photo;
# 2. build SRResNet piece by piece and say what shape each tensor has;
# 3. train it with a pixel loss, and know the recipe of a full run;
# 4. evaluate an upscaler *exactly* as papers do (Y channel, border crop) and explain why the
#    convention moves the numbers by 1–2 dB;
# 5. explain the perception–distortion trade-off with SRGAN, and see it in the comparison widget;
# 6. upscale your own photo with a bundled model, from Python or the command line.
#
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("05_super_resolution"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch; the seeded generator it returns is not needed here

# %%
import inspect
import math

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from imgsynth_edu import pretrained, viz
from imgsynth_edu.data import (bicubic_downscale, bicubic_upscale, crop_to_multiple, gaussian_blur, jpeg_compress,
                               load_photo, photo_set)
from imgsynth_edu.data.patches import PairedPatchDataset
from imgsynth_edu.losses import l1_loss, srgan_generator_loss
from imgsynth_edu.metrics import psnr, sr_metrics, ssim
from imgsynth_edu.evaluation import evaluate_sr, perception_distortion_curve
from imgsynth_edu.models.srresnet import SRGANDiscriminator, SRResNet, interpolate_state_dicts, upscale_tiled
from imgsynth_edu.training.sr import RestorationTrainer, SRGANTrainer
from imgsynth_edu.widgets.sr import NetworkInterpolation, SRComparison, plot_perception_distortion

quick = ise.is_quick_mode()
if quick:  # quick mode's tensors are tiny: one thread is as fast and never fights other jobs for cores
    torch.set_num_threads(1)

# %% [markdown]
# ## 1 · The degradation model
#
# Super-resolution papers assume that the small image $y$ was made from the large one $x$ by
#
# $$ y = (x \otimes k)\downarrow_s + n $$
#
# a blur $k$, a downscaling by the factor $s$, and noise $n$. The classic setting (SRCNN,
# SRResNet, EDSR, SwinIR's "classical SR") is the simplest: $k$ is the antialiasing filter of
# **MATLAB's bicubic `imresize`**, $s = 4$, no noise. The network learns the inverse of *that*
# operator, so we make the training inputs exactly that way
# (`imgsynth_edu.data.bicubic_downscale`, lesson 00 shows why MATLAB's bicubic and not PIL's).
# Each side must be a multiple of $s$ so that low- and high-resolution pixels line up.

# %%
# NBVAL_CHECK_OUTPUT
scale = 4
photo = crop_to_multiple(load_photo("astronaut")[None], scale)  # 1×3×512×512, a *training* photo
low_res = bicubic_downscale(photo, scale)  # 1×3×128×128
enlarged = bicubic_upscale(low_res, scale)  # 1×3×512×512: the bicubic baseline
print("high-res", tuple(photo.shape), "| low-res", tuple(low_res.shape), "| bicubic ×4", tuple(enlarged.shape))

# %%
zoom = (60, 180, 96, 96)  # (top, left, height, width): the face
fig = viz.compare({"high-res x": photo[0], "low-res y (shown enlarged)": low_res[0], "bicubic ×4": enlarged[0]},
                  captions={"bicubic ×4": f"PSNR {psnr(enlarged, photo).item():.2f} dB"}, zoom=zoom)

# %% [markdown]
# ## 2 · Bicubic, the baseline every table starts with
#
# Bicubic interpolation fits a cubic through 4 neighbours in each direction (Keys 1981). It is
# fast, it never invents anything, and it is the first row of every SR table. Its PSNR falls
# quickly with the scale: each doubling of $s$ throws away three quarters of the pixels.

# %%
# NBVAL_CHECK_OUTPUT
face = load_photo("astronaut")[None, :, 20:260, 120:360]  # 1×3×240×240: 240 is a multiple of 2, 3 and 4
for s in (2, 3, 4):
    high = crop_to_multiple(face, s)
    restored = bicubic_upscale(bicubic_downscale(high, s), s)
    scores = sr_metrics(restored, high, s)
    print(f"x{s}: bicubic Y-PSNR {scores['psnr_y']:.2f} dB, Y-SSIM {scores['ssim_y']:.3f}")

# %% [markdown]
# ## 3 · SRResNet, piece by piece
#
# The generator of Ledig et al. (Fig. 4) does almost all of its work at the **low**
# resolution, which makes it cheap:
#
# * **head**: a 9×9 convolution + PReLU lifts RGB to 64 feature channels;
# * **body**: $B = 16$ residual blocks, each `conv3×3 – BN – PReLU – conv3×3 – BN` plus its
#   input ($h \mapsto h + F(h)$), then `conv – BN` and a **long skip** from the head;
# * **upsampler**: two stages of `conv3×3 (64 → 256) – PixelShuffle(2) – PReLU`. PixelShuffle
#   (Shi et al. 2016) reorders $N \times r^2C \times h \times w$ into $N \times C \times rh \times rw$:
#   each low-resolution position *predicts* an $r \times r$ block of output pixels;
# * **tail**: a 9×9 convolution back to RGB.
#
# Let us push one 24×24 patch through it and watch the shapes.

# %%
# NBVAL_CHECK_OUTPUT
paper_model = SRResNet(scale=4, num_blocks=16, channels=64)  # the paper's configuration
parameter_count = sum(p.numel() for p in paper_model.parameters())
print(f"parameters: {parameter_count:,}")
x = torch.rand(1, 3, 24, 24)
with torch.no_grad():
    h = paper_model.head(x)
    print("head      ", tuple(h.shape))
    b = h + paper_model.body(h)
    print("body+skip ", tuple(b.shape))
    u = paper_model.upsampler[0](b)
    print("upsample 1", tuple(u.shape))
    u = paper_model.upsampler[1](u)
    print("upsample 2", tuple(u.shape))
    print("tail      ", tuple(paper_model.tail(u).shape))

# %% [markdown]
# Ledig et al. do not print a parameter count; EDSR's comparison table (Lim et al. 2017,
# Table 1) lists SRResNet at 1.5 M, and counting ours agrees:

# %%
ise.claim("SRResNet with B = 16 and 64 channels has about 1.5 M parameters, as EDSR's Table 1 lists",
          1.45e6 < parameter_count < 1.65e6, measured=f"{parameter_count:,} parameters")

# %% [markdown]
# The library code is the same five lines (read `imgsynth_edu/models/srresnet.py` for the blocks):

# %%
print(inspect.getsource(SRResNet.forward))

# %% [markdown]
# Two options go beyond the paper, and the small bundled model uses both (its card says so):
# `batch_norm=False` removes BN, as EDSR (Lim et al. 2017) found better for PSNR, and
# `bicubic_skip=True` adds the bicubic enlargement to the output (VDSR's *global residual*,
# Kim et al. 2016), so the network only learns what bicubic misses and starts exactly at
# bicubic quality, which lets a small model trained for minutes on a CPU beat it.

# %% [markdown]
# ## 4 · Losses: pixels, features, and a critic
#
# SRResNet minimises a **pixel loss**. The paper's is the MSE (eq. 4),
# $l_{MSE} = \frac{1}{r^2WH}\sum_{x,y}(I^{HR}_{x,y} - G(I^{LR})_{x,y})^2$; later work (EDSR)
# trains with the L1 distance, which converges to a higher PSNR. Either way the minimiser is an
# *average* of all the sharp images consistent with the input: a slightly blurry one.
#
# SRGAN replaces it with a **perceptual loss** (eq. 3): a content term on VGG19 features
# $\phi_{5,4}$ (eq. 5) plus $10^{-3}$ times an adversarial term $-\log D(G(I^{LR}))$ (eq. 6),
# which rewards outputs the discriminator cannot tell from real photos:
#
# $$ l^{SR} = \underbrace{\tfrac{1}{WH}\textstyle\sum (\phi(I^{HR}) - \phi(G(I^{LR})))^2}_{\text{content}} + 10^{-3} \underbrace{\textstyle\sum -\log D(G(I^{LR}))}_{\text{adversarial}} $$

# %%
print(inspect.getsource(srgan_generator_loss))

# %% [markdown]
# ## 5 · Training
#
# Training pairs come from `PairedPatchDataset`: a random crop of a training photo, a random
# flip/rotation (8 symmetries), and its MATLAB-bicubic downscale, made on the fly. Item `i`
# depends only on `(seed, i)`, so the loop (`RestorationTrainer`) can resume a run *exactly*.
# The loop is the textbook one: predict, L1 against the target, Adam step; plus a progress
# bar, callbacks, checkpoints.
#
# **Quick mode** trains a tiny model for a few seconds: enough to see the loss fall. **Full mode**
# trains a larger one for a few minutes, enough to beat bicubic on the held-out photographs
# (checked below when it runs). The bundled model of §6 is the longer run.

# %%
train_photos = photo_set("train")  # never the held-out photos
pairs = PairedPatchDataset(train_photos, scale=4, patch_size=ise.quick_or_full(32, 64), seed=0)
low, high = pairs[0]
print("one pair:", tuple(low.shape), "->", tuple(high.shape))
ise.seed_everything(0)
student = SRResNet(scale=4, num_blocks=ise.quick_or_full(2, 4), channels=ise.quick_or_full(16, 32),
                   batch_norm=False, bicubic_skip=True)
trainer = RestorationTrainer(student, pairs, batch_size=ise.quick_or_full(8, 16), lr=1e-3, device=device, seed=0)
history = trainer.fit(ise.quick_or_full(60, 400))
fig = viz.plot_curves({"L1 loss": history.values["loss"]}, ylabel="L1", title="training SRResNet")

# %%
losses = history.values["loss"]
window = len(losses) // 4
first, last = sum(losses[:window]) / window, sum(losses[-window:]) / window
ise.claim("the L1 loss falls during training", last < first,
          measured=f"mean of the first {window} steps {first:.4f}, of the last {window} {last:.4f}")
if not quick:
    student_scores = evaluate_sr(student, photo_set("test"), 4, device=device)
    ise.claim("full mode: the student beats bicubic on the held-out photographs",
              student_scores["model"]["psnr_y"] > student_scores["bicubic"]["psnr_y"],
              measured=f"{student_scores['model']['psnr_y']:.2f} vs {student_scores['bicubic']['psnr_y']:.2f} dB")

# %% [markdown]
# **The full recipe (a Colab GPU, hours).** The paper trained SRResNet for $10^6$ steps on
# 350 k ImageNet images (batch 16, 96×96 high-resolution patches, Adam, learning rate
# $10^{-4}$), then SRGAN for $10^5$ steps at $10^{-4}$ and $10^5$ at $10^{-5}$. A practical
# course version on DIV2K (800 training images, `imgsynth_edu.data.image_sets.get_image_set("DIV2K", "train")`
# downloads and verifies them):
#
# ```bash
# # unpack DIV2K_train_HR/ (e.g. via get_image_set) and train the paper's model (hours on a GPU, not timed here;
# # 100 of the 800 images fit in Colab's RAM as float tensors):
# imgsynth-edu train srresnet --images DIV2K_train_HR --out srresnet-x4-div2k.pt \
#     --blocks 16 --channels 64 --batch-size 16 --patch-size 96 --lr 2e-4 --steps 200000 --checkpoint-every 2000
# imgsynth-edu train srgan --init-checkpoint srresnet-x4-div2k.pt --images DIV2K_train_HR \
#     --out srgan-x4-div2k.pt --content vgg54 --steps 100000 --lr 1e-4
# imgsynth-edu evaluate-sr --set set5 --scale 4 --checkpoint srresnet-x4-div2k.pt   # also set14, bsd100
# ```
#
# Compare your numbers with the paper's Table 2 (Set5, ×4, Y-PSNR): **bicubic 28.43 dB,
# SRResNet 32.05 dB, SRGAN 29.40 dB**. (`--resume` continues an interrupted run exactly.)

# %% [markdown]
# ## 6 · The bundled model
#
# `srresnet-x4` was trained by the command on its card, only on the training photographs; the
# five held-out photographs below have never been seen by it.

# %%
model = pretrained.load("srresnet-x4", device)
card = pretrained.card("srresnet-x4")
print(card["description"])
print("command:", card["command"])
print(f"steps: {card['steps']}, wall time: {card['wall_time_s'] / 60:.0f} min on {card['hardware']}")

# %% [markdown]
# ## 7 · The evaluation protocol, and why conventions matter
#
# An SR paper's number means: (1) crop the high-resolution image to a multiple of $s$,
# (2) make the input with MATLAB-bicubic and round it to 8 bits, (3) restore and round to
# 8 bits, (4) convert both to the **luma Y of BT.601** ($Y = 16 + 65.481R + 128.553G + 24.966B$
# on a 0–255 scale), (5) **crop a border of $s$ pixels**, where the network can only guess
# from padding, and (6) compute PSNR and SSIM there. `evaluate_sr` does exactly this, for
# bicubic and the model on the same images; so does the command line, which the card's
# scores come from:
#
# ```bash
# imgsynth-edu evaluate-sr --photos test --scale 4 --pretrained srresnet-x4 [--json]
# imgsynth-edu evaluate-sr --images my_folder/ --scale 4 --pretrained srresnet-x4
# ```

# %%
# NBVAL_CHECK_OUTPUT
held_out = photo_set("test")  # the five held-out photographs
result = evaluate_sr(model, held_out, 4, device=device)
print(f"{'photo':<12}{'bicubic Y-PSNR':>16}{'model Y-PSNR':>14}{'gain':>8}")
for row in result["images"]:
    gain = row["model"]["psnr_y"] - row["bicubic"]["psnr_y"]
    print(f"{row['name']:<12}{row['bicubic']['psnr_y']:>16.2f}{row['model']['psnr_y']:>14.2f}{gain:>+8.2f}")
bic, mod = result["bicubic"], result["model"]
print(f"{'mean':<12}{bic['psnr_y']:>16.2f}{mod['psnr_y']:>14.2f}{mod['psnr_y'] - bic['psnr_y']:>+8.2f}")
print(f"Y-SSIM: bicubic {bic['ssim_y']:.4f}, model {mod['ssim_y']:.4f}")
on_card = card["scores"]["held_out_photos"]
print(f"card: bicubic {on_card['bicubic']['psnr_y']:.2f} dB, model {on_card['model']['psnr_y']:.2f} dB "
      f"({on_card['gain_psnr_y_db']:+.2f} dB)")

# %%
gains = [row["model"]["psnr_y"] - row["bicubic"]["psnr_y"] for row in result["images"]]
ise.claim("srresnet-x4 beats bicubic on every held-out photograph", min(gains) > 0,
          measured=", ".join(f"{row['name']} {gain:+.2f} dB" for row, gain in zip(result["images"], gains)))
ise.claim("this run reproduces the card's mean Y-PSNR (to 0.01 dB)", abs(mod["psnr_y"] - on_card["model"]["psnr_y"]) < 0.01,
          measured=f"{mod['psnr_y']:.3f} dB here, {on_card['model']['psnr_y']:.3f} dB on the card")

# %% [markdown]
# The same outputs, four conventions. Y-PSNR comes out well above RGB-PSNR, here by about
# 1.4 dB, and mostly for a reason that has nothing to do with the picture: **studio swing**.
# BT.601's Y puts black at 16/255 and white at 235/255, so it spans only $219/255$ of the range
# while PSNR still divides by a peak of 1. Written with the full-range luma
# $Y' = 0.299R + 0.587G + 0.114B$ (the same weights: $65.481 = 219 \cdot 0.299$, ...),
# $Y = 16/255 + (219/255)\,Y'$: every error in $Y$ is $219/255$ of the error in $Y'$, so the MSE
# shrinks by $(219/255)^2$ and the PSNR grows by $20\log_{10}(255/219) \approx 1.32$ dB, for
# *any* image and any method. Only what is left after that comes from the picture: $Y'$ averages
# the three channels' errors, which may partly cancel (or not). The border is where a network can
# only guess from padding; cropping it moves the score by a smaller amount, in either direction
# depending on the image and the method. A paper that forgets to say which convention it used
# can be 1–2 dB off from another that did the same work: always compare numbers measured the
# same way.

# %%
# NBVAL_CHECK_OUTPUT
cat = crop_to_multiple(held_out["chelsea"][None], 4)
cat_low = (bicubic_downscale(cat, 4) * 255).round() / 255
outputs = {"bicubic": bicubic_upscale(cat_low, 4), "srresnet-x4": upscale_tiled(model, cat_low, 4)}
outputs = {name: (image * 255).round() / 255 for name, image in outputs.items()}
print(f"{'chelsea, x4':<14}{'RGB':>8}{'RGB crop':>10}{'Y':>8}{'Y crop':>8}")
for name, image in outputs.items():
    cells = [psnr(image, cat, y_channel=y, crop_border=b).item() for y in (False, True) for b in (0, 4)]
    print(f"{name:<14}" + "".join(f"{value:>8.2f}  " for value in cells))

# %% [markdown]
# The decomposition, measured: PSNR on the full-range luma $Y'$ sits between the two, and the
# step from $Y'$ to $Y$ is exactly $20\log_{10}(255/219)$.

# %%
# NBVAL_CHECK_OUTPUT
def full_range_luma(image: torch.Tensor) -> torch.Tensor:
    """Y' = 0.299 R + 0.587 G + 0.114 B in [0, 1]: BT.601's weights without the studio swing. N×3×H×W -> N×1×H×W."""
    return (image * image.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)


studio_swing_db = 20 * math.log10(255 / 219)
print(f"20·log10(255/219) = {studio_swing_db:.3f} dB")
for name, image in outputs.items():
    rgb, y = psnr(image, cat, crop_border=4).item(), psnr(image, cat, y_channel=True, crop_border=4).item()
    y_full = psnr(full_range_luma(image), full_range_luma(cat), crop_border=4).item()
    print(f"{name:<12} RGB {rgb:.2f} dB -> Y' {y_full:.2f} dB (channel averaging {y_full - rgb:+.2f}) "
          f"-> Y {y:.2f} dB (studio swing {y - y_full:+.2f})")
    ise.claim(f"{name}: the step from Y' to Y is 20·log10(255/219)", abs((y - y_full) - studio_swing_db) < 0.01,
              measured=f"{y - y_full:.3f} dB")
    ise.claim(f"{name}: studio swing is most of the gap between Y-PSNR and RGB-PSNR", studio_swing_db > 0.5 * (y - rgb),
              measured=f"{studio_swing_db:.2f} of {y - rgb:.2f} dB")

# %% [markdown]
# ## 8 · SRGAN and the perception–distortion trade-off
#
# SRGAN starts from a trained SRResNet (the paper: "to avoid undesired local optima") and
# fine-tunes it against a discriminator (`SRGANDiscriminator`: eight convolutions 64→512,
# LeakyReLU 0.2, a dense head). Each step trains the discriminator on real patches and
# *detached* fakes, then the generator on content $+\,\lambda\cdot$ adversarial.
#
# Blau & Michaeli (2018) proved that no restorer can be both *as close as possible* to the truth
# (distortion: MSE, PSNR) and *as realistic as possible* (perception: its outputs distributed
# like real images): the two goals trade off. SRResNet sits at the low-distortion end; SRGAN moves
# towards realism and pays in PSNR (paper, Set5 ×4: 32.05 → 29.40 dB), while human raters
# preferred it by a wide margin in the paper's mean-opinion-score test.
#
# **Measuring "looks real".** Human ratings are slow; the PIRM 2018 super-resolution challenge
# (Blau et al. 2018) placed methods on the perception–distortion plane with *no-reference*
# measures instead, among them **NIQE** (Mittal, Soundararajan & Bovik 2013). NIQE needs no
# ground truth: it normalises the luma by its local mean and contrast (the MSCN coefficients),
# describes every 96×96 block by 18 statistics of those coefficients at two scales, fits a
# multivariate Gaussian $\mathcal N(\nu_2, \Sigma_2)$ to the blocks, and measures its distance
# from a Gaussian $\mathcal N(\nu_1, \Sigma_1)$ fitted once to pristine natural photographs:
#
# $$\mathrm{NIQE} = \sqrt{(\nu_1 - \nu_2)^\top \Big(\tfrac{\Sigma_1 + \Sigma_2}{2}\Big)^{-1} (\nu_1 - \nu_2)}.$$
#
# Lower is more natural. It is a crude stand-in for a human (it has never seen a cat), but it
# measures what blur destroys: on the held-out cat, the truth scores best and bicubic worst.

# %%
from imgsynth_edu.metrics import niqe

cat_scores = {name: niqe(image, crop_border=4).item() for name, image in
              {"truth": cat, "bicubic": outputs["bicubic"], "srresnet-x4": outputs["srresnet-x4"]}.items()}
print("NIQE on chelsea (lower = more natural):", {name: round(value, 2) for name, value in cat_scores.items()})
ise.claim("NIQE ranks the truth best, then srresnet-x4, then bicubic",
          cat_scores["truth"] < cat_scores["srresnet-x4"] < cat_scores["bicubic"],
          measured=", ".join(f"{name} {value:.2f}" for name, value in cat_scores.items()))

# %% [markdown]
# **The fine-tuning loop**, a few steps of it from the bundled SRResNet with the recipe of the
# bundled `srgan-x4` (below). The content loss is the **L1 distance** between output and truth:
# the paper's VGG54 loss compares features of an ImageNet VGG19, whose weights (548 MB) are not
# bundled and cannot be downloaded offline, and a content loss must not need the network. With a
# pixel content loss this is the paper's "SRGAN-MSE" variant, with L1 for MSE (EDSR's choice).
# On Colab `VGGPerceptualLoss("relu5_4")` gives the paper's VGG54 (`--content vgg54` on the
# command line). Quick mode runs a handful of steps on tiny patches: the curves show the
# game, not a finished model.

# %%
import copy

srgan_card = pretrained.card("srgan-x4")
recipe = srgan_card["training"]
gan_generator = copy.deepcopy(model).train()
ise.seed_everything(0)
gan_trainer = SRGANTrainer(gan_generator, SRGANDiscriminator(base_channels=recipe["d_channels"]),
                           PairedPatchDataset(train_photos, scale=4, patch_size=ise.quick_or_full(32, recipe["patch_size"]),
                                              seed=1),
                           content_loss=l1_loss, adversarial_weight=recipe["adversarial_weight"],
                           batch_size=ise.quick_or_full(4, recipe["batch_size"]), lr=recipe["lr"], device=device, seed=0)
gan_history = gan_trainer.fit(ise.quick_or_full(10, 200))
gan_generator.eval()
fig = viz.plot_curves({"discriminator": gan_history.values["d_loss"],
                       "generator adversarial": gan_history.values["adversarial"]}, title="SRGAN fine-tuning")

# %% [markdown]
# ### The bundled `srgan-x4`
#
# `srgan-x4` was fine-tuned from `srresnet-x4` by the command on its card, on the training
# photographs only, on one CPU thread (the card gives the wall time). Its recipe differs from the paper's
# in three ways, each on the card: the L1 content loss (above); an adversarial weight of
# $5\cdot10^{-3}$, five times the paper's, because a pixel content loss pulls back towards the
# blurry average much harder than VGG54 does; and the saved weights are an **exponential moving
# average** of the generator's weights over the run, $\bar\theta \leftarrow 0.99\,\bar\theta +
# 0.01\,\theta$ after every step (Yazıcı et al. 2019): a GAN's generator keeps circling a good
# solution, and the average sits in the middle with fewer of any one step's artefacts. Its card
# holds its scores on the held-out photographs next to `srresnet-x4` and bicubic; we measure them
# again here.

# %%
gan = pretrained.load("srgan-x4", device)
print(srgan_card["description"])
print("command:", srgan_card["command"])
print(f"steps: {srgan_card['steps']}, wall time: {srgan_card['wall_time_s'] / 60:.0f} min on {srgan_card['hardware']}")

# %%
# NBVAL_CHECK_OUTPUT
plane = {"bicubic": evaluate_sr(None, held_out, 4, niqe=True)["bicubic"],
         "srresnet-x4": evaluate_sr(model, held_out, 4, niqe=True, baseline=False, device=device)["model"],
         "srgan-x4": evaluate_sr(gan, held_out, 4, niqe=True, baseline=False, device=device)["model"]}
print(f"{'held-out photos':<14}{'Y-PSNR':>8}{'Y-SSIM':>8}{'NIQE':>7}")
for name, row in plane.items():
    print(f"{name:<14}{row['psnr_y']:>8.2f}{row['ssim_y']:>8.3f}{row['niqe']:>7.2f}")

# %% [markdown]
# The trade-off, measured: `srgan-x4` gives up PSNR (it is further from the truth, pixel by
# pixel) and gains naturalness (lower NIQE) against the model it started from.

# %%
ise.claim("srgan-x4 has a lower Y-PSNR than srresnet-x4", plane["srgan-x4"]["psnr_y"] < plane["srresnet-x4"]["psnr_y"],
          measured=f"{plane['srgan-x4']['psnr_y']:.2f} vs {plane['srresnet-x4']['psnr_y']:.2f} dB")
ise.claim("srgan-x4 has a better (lower) NIQE than srresnet-x4", plane["srgan-x4"]["niqe"] < plane["srresnet-x4"]["niqe"],
          measured=f"{plane['srgan-x4']['niqe']:.2f} vs {plane['srresnet-x4']['niqe']:.2f}")
ise.claim("srresnet-x4 beats bicubic on both axes",
          plane["srresnet-x4"]["psnr_y"] > plane["bicubic"]["psnr_y"] and plane["srresnet-x4"]["niqe"] < plane["bicubic"]["niqe"],
          measured=f"{plane['srresnet-x4']['psnr_y']:.2f} dB / NIQE {plane['srresnet-x4']['niqe']:.2f} vs "
                   f"{plane['bicubic']['psnr_y']:.2f} dB / NIQE {plane['bicubic']['niqe']:.2f}")
on_card = srgan_card["scores"]["held_out_photos"]
ise.claim("this run reproduces srgan-x4's card (Y-PSNR to 0.01 dB, NIQE to 0.01)",
          abs(plane["srgan-x4"]["psnr_y"] - on_card["model"]["psnr_y"]) < 0.01
          and abs(plane["srgan-x4"]["niqe"] - on_card["model"]["niqe"]) < 0.01,
          measured=f"{plane['srgan-x4']['psnr_y']:.3f} dB / {plane['srgan-x4']['niqe']:.3f} here, "
                   f"{on_card['model']['psnr_y']:.3f} dB / {on_card['model']['niqe']:.3f} on the card")

# %% [markdown]
# ### Network interpolation: the knob between the two ends
#
# ESRGAN (Wang et al. 2018, Sec. 3.4) noticed that a GAN fine-tuned *from* a PSNR-trained network
# stays close to it in weight space, so the two can be blended weight by weight,
#
# $$\theta(\alpha) = (1 - \alpha)\,\theta_{\mathrm{SRResNet}} + \alpha\,\theta_{\mathrm{SRGAN}},$$
#
# and $\alpha$ becomes a knob from one end of the trade-off to the other, with no retraining
# (`interpolate_networks`). We measure every point: each $\alpha$ is a new network, scored on the
# held-out photographs like the others.

# %%
print(inspect.getsource(interpolate_state_dicts).split('"""')[-1])

# %%
alphas = ise.quick_or_full((0.0, 0.25, 0.5, 0.75, 1.0), tuple(i / 10 for i in range(11)))
curve = perception_distortion_curve(model, gan, held_out, 4, alphas, device=device)
for point in curve:
    print(f"α = {point['alpha']:.2f}: Y-PSNR {point['psnr_y']:.2f} dB, NIQE {point['niqe']:.2f}")
ax = plot_perception_distortion(curve, {"bicubic": plane["bicubic"]})

# %%
ise.claim("the curve's ends are srresnet-x4 and srgan-x4",
          abs(curve[0]["psnr_y"] - plane["srresnet-x4"]["psnr_y"]) < 1e-6 and abs(curve[-1]["niqe"] - plane["srgan-x4"]["niqe"]) < 1e-6,
          measured=f"α = 0: {curve[0]['psnr_y']:.2f} dB, α = 1: NIQE {curve[-1]['niqe']:.2f}")
ise.claim("moving α from 0 to 1 costs PSNR and gains NIQE overall",
          curve[-1]["psnr_y"] < curve[0]["psnr_y"] and curve[-1]["niqe"] < curve[0]["niqe"],
          measured=f"{curve[0]['psnr_y']:.2f} → {curve[-1]['psnr_y']:.2f} dB, NIQE {curve[0]['niqe']:.2f} → {curve[-1]['niqe']:.2f}")

# %% [markdown]
# Move **α**: the picture is restored by the blended network, next to the truth, and the star
# moves along the measured curve.

# %%
cat_face = crop_to_multiple(held_out["chelsea"][None, :, 40:232, 120:344], 4)  # 1×3×192×224
interpolation = NetworkInterpolation(model, gan, cat_face[0], 4, curve, references={"bicubic": plane["bicubic"]})
display(interpolation.widget)

# %%
fig = interpolation.static_figure()

# %% [markdown]
# ### Zoom in
#
# Move the **wipe** slider to slide between two methods, pick them with **left** and **right**,
# and move the **zoom** square over the fur, the eyes, the whiskers. The caption gives PSNR and
# SSIM of the zoomed region only: watch where the method that *looks* sharper loses the numbers.

# %%
comparison = SRComparison.from_models(cat_face[0], 4, {"SRResNet": model, "SRGAN": gan},
                                      left="SRResNet", right="SRGAN", zoom_size=48, zoom_top=40, zoom_left=60)
display(comparison.widget)

# %%
fig = comparison.static_figure()

# %% [markdown]
# "Sharper" can be measured too: the energy of the fine detail, what a Gaussian blur of 1 pixel
# removes, inside the zoom square. SRGAN puts back more of it than SRResNet; whether it is the
# *right* detail is what PSNR (lower) says.

# %%
def fine_detail(image: torch.Tensor) -> float:
    """Mean squared difference between an image and its 1-px Gaussian blur: the energy of its finest detail."""
    return (image - gaussian_blur(image, 1.0)).pow(2).mean().item()


top, left, size = comparison.zoom_region()
zoomed = {name: image[..., top:top + size, left:left + size] for name, image in comparison.results.items()}
detail = {name: fine_detail(image) for name, image in zoomed.items()}
print("fine-detail energy in the zoom:", {name: f"{value:.2e}" for name, value in detail.items()})
ise.claim("in the zoom, SRGAN has more fine detail than SRResNet, and SRResNet more than bicubic",
          detail["SRGAN"] > detail["SRResNet"] > detail["bicubic"],
          measured=", ".join(f"{name} {detail[name]:.2e}" for name in ("bicubic", "SRResNet", "SRGAN", "ground truth")))

# %% [markdown]
# ## 9 · Upscale your own photo
#
# `upscale_tiled` runs any restorer on overlapping tiles, so a 12-megapixel photo needs the
# memory of one tile, and the result equals a single pass (each tile gets a margin as wide as
# the network's receptive field). On your own computer, or on Colab after uploading a file:
#
# ```bash
# imgsynth-edu upscale my_photo.png my_photo_x4.png --scale 4 --pretrained srresnet-x4 --tile 256
# ```
#
# (RGB, greyscale, RGBA (the alpha channel is enlarged with bicubic) and 16-bit PNGs are
# supported; the output file is written atomically.) In Python: `read_image`, `upscale_tiled`,
# `write_image`. Here we use a held-out photograph in its place.

# %%
from pathlib import Path

from imgsynth_edu.data.image_io import read_image, write_image

my_photo_path = None  # e.g. "my_photo.png" after uploading it (Colab: files panel on the left)
if my_photo_path and Path(my_photo_path).is_file():
    my_photo = read_image(my_photo_path).pixels
else:
    my_photo = load_photo("motorcycle")[None, :, 100:196, 200:328]  # 1×3×96×128, a bundled stand-in
result_x4 = upscale_tiled(model, my_photo, 4, tile=48)  # tiles of 48×48 input pixels
write_image("my_photo_x4.png", result_x4)
print("input", tuple(my_photo.shape[-2:]), "-> output", tuple(result_x4.shape[-2:]), "written to my_photo_x4.png")
fig = viz.compare({"input (shown enlarged)": my_photo[0], "bicubic ×4": bicubic_upscale(my_photo, 4)[0],
                   "srresnet-x4": result_x4[0]}, zoom=(150, 200, 96, 96))

# %% [markdown]
# **A warning before you try it on your phone's photos.** `srresnet-x4` learned to invert *one*
# degradation: MATLAB-bicubic downscaling of a clean photo. A real photo has met others that it
# never saw in training: sensor noise, the blur of a cheap lens or of a shaking hand, and above
# all **JPEG compression** (every phone and every messaging app saves JPEGs). The network treats
# whatever it finds as detail to sharpen, so the 8×8 blocks and the ringing of a JPEG come out
# *sharper*, not removed. Here is that failure, measured on the stand-in photo: the same small
# image, once as a clean bicubic downscale and once saved as a JPEG of quality 40, restored by
# bicubic and by `srresnet-x4`, each against the truth.

# %%
truth = load_photo("motorcycle")[None, :, 100:292, 200:456]  # 1×3×192×256, a held-out crop
clean_input = (bicubic_downscale(truth, 4) * 255).round() / 255  # 1×3×48×64, what the model was trained on
jpeg_input = jpeg_compress(clean_input, 40)  # the same picture, saved as a JPEG of quality 40
restored = {}
for label, small in (("clean", clean_input), ("JPEG q40", jpeg_input)):
    for method, image in (("bicubic", bicubic_upscale(small, 4)), ("srresnet-x4", upscale_tiled(model, small, 4))):
        restored[f"{method}, {label}"] = image
jpeg_gains = {}
for label in ("clean", "JPEG q40"):
    bicubic_db = sr_metrics(restored[f"bicubic, {label}"], truth, 4)["psnr_y"].item()
    model_db = sr_metrics(restored[f"srresnet-x4, {label}"], truth, 4)["psnr_y"].item()
    jpeg_gains[label] = model_db - bicubic_db
    print(f"{label:<9} input: bicubic {bicubic_db:.2f} dB, srresnet-x4 {model_db:.2f} dB ({jpeg_gains[label]:+.2f} dB)")
fig = viz.compare({name: image[0] for name, image in restored.items()}, zoom=(40, 120, 64, 64))

# %%
ise.claim("on the clean input srresnet-x4 beats bicubic", jpeg_gains["clean"] > 0,
          measured=f"{jpeg_gains['clean']:+.2f} dB")
ise.claim("on the JPEG input it loses to bicubic: it sharpens the compression artefacts", jpeg_gains["JPEG q40"] < 0,
          measured=f"{jpeg_gains['JPEG q40']:+.2f} dB")

# %% [markdown]
# The cure is to train on the degradations the model will meet. Real-ESRGAN (Wang et al. 2021)
# and BSRGAN (Zhang et al. 2021) make their training inputs by a random chain of blur, resizing,
# noise and JPEG; `PairedPatchDataset(blur_sigma=..., noise_sigma=...)` is a first step in that
# direction.

# %% [markdown]
# ## Exercises
#
# SRResNet's upsampler, SRGAN's loss and the protocol, in code.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson05

# %% [markdown]
# **Exercise 1 · Pixel shuffle, by hand.** SRResNet's upsampler ends with `nn.PixelShuffle(r)`: it turns `N×(C·r²)×h×w` into `N×C×(r·h)×(r·w)`,
# and input channel $c\,r^2 + i\,r + j$ becomes the sub-pixel $(i, j)$ of output channel $c$. Write
# `pixel_shuffle(x, r)` with `reshape` and `permute` only (the check switches PyTorch's own off).
#
# <details><summary>Hint</summary>
#
# Split the channels into `(C, r, r)`, move the two `r` axes next to `h` and `w` (order `N, C, h, r, w, r`),
# and merge. A single `reshape` cannot do it: it never moves a value.
# </details>

# %%
def pixel_shuffle(x, r):
    """N×(C·r²)×h×w -> N×C×(h·r)×(w·r), as torch.nn.PixelShuffle(r) does."""
    raise NotImplementedError  # your code here

# %%
lesson05.check_pixel_shuffle(pixel_shuffle)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def pixel_shuffle(x, r):
#     n, channels, h, w = x.shape
#     c = channels // (r * r)
#     x = x.reshape(n, c, r, r, h, w)  # channel c·r² + i·r + j holds sub-pixel (i, j) of output channel c
#     x = x.permute(0, 1, 4, 2, 5, 3)  # (N, C, h, i, w, j): each sub-pixel next to its low-resolution pixel
#     return x.reshape(n, c, h * r, w * r)  # row h·r + i, column w·r + j
# ```
# </details>

# %% [markdown]
# **Exercise 2 · SRGAN's generator loss.** Write `srgan_generator_loss(super_resolved, high_res, fake_logits)`: the perceptual loss of Ledig et al.
# (2017, eq. 3) with the MSE as content term (their "SRGAN-MSE"),
#
# $$l^{SR} = \underbrace{\operatorname{mean}\big((I^{SR} - I^{HR})^2\big)}_{\text{content}} +
# 10^{-3}\,\underbrace{\operatorname{mean}\big(-\log D(I^{SR})\big)}_{\text{adversarial}},$$
#
# where the discriminator gave `fake_logits` ($D = \sigma(d)$) for the super-resolved batch.
#
# <details><summary>Hint</summary>
#
# $-\log\sigma(d)$ = `F.softplus(-d)`, as in lesson 01; the $10^{-3}$ multiplies the adversarial term only.
# </details>

# %%
import torch.nn.functional as F


def srgan_generator_loss(super_resolved, high_res, fake_logits):
    """Content (MSE) + 1e-3 · adversarial (-log D), one number."""
    raise NotImplementedError  # your code here

# %%
lesson05.check_srgan_generator_loss(srgan_generator_loss)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def srgan_generator_loss(super_resolved, high_res, fake_logits):
#     content = ((super_resolved - high_res) ** 2).mean()  # SRGAN-MSE's content term (eq. 4)
#     adversarial = F.softplus(-fake_logits).mean()  # -log D(G(I_LR)), non-saturating, on logits (eq. 6)
#     return content + 1e-3 * adversarial  # eq. 3: content + 10⁻³ · adversarial
# ```
# </details>

# %% [markdown]
# **Exercise 3 · A training pair, made as the papers make it.** Write `lr_hr_pair(photo, scale)` for one photograph `C×H×W` (as `load_photo` returns it): return
# `(low_res, high_res)`, where `high_res` is the photo as a `1×C×H'×W'` batch cut at the bottom and right
# to multiples of `scale`, and `low_res` its MATLAB-like bicubic downscale. The library has both steps.
#
# <details><summary>Hint</summary>
#
# `crop_to_multiple(photo[None], scale)`, then `bicubic_downscale(high_res, scale)` (from `imgsynth_edu.data`).
# `F.interpolate(..., mode="bicubic")` is not the same operator: it does not low-pass before shrinking.
# </details>

# %%
from imgsynth_edu.data import bicubic_downscale, crop_to_multiple


def lr_hr_pair(photo, scale):
    """(low_res, high_res) for a C×H×W photo: 1×C×h×w and 1×C×(h·scale)×(w·scale)."""
    raise NotImplementedError  # your code here

# %%
lesson05.check_lr_hr_pair(lr_hr_pair)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def lr_hr_pair(photo, scale):
#     high_res = crop_to_multiple(photo[None], scale)  # 1×C×H×W, H and W multiples of scale (bottom/right cut)
#     low_res = bicubic_downscale(high_res, scale)  # MATLAB-like bicubic, with its antialiasing
#     return low_res, high_res
# ```
# </details>

# %% [markdown]
# **Exercise 4 · A row of an SR table.** Compute the bicubic Y-PSNR of the held-out photograph `"clock"` at ×3 with the paper's protocol
# (crop to a multiple of 3, MATLAB-bicubic down and up, Y channel, a border of 3 pixels). Put your
# number in `bicubic_clock_x3`.
#
# <details><summary>Hint</summary>
#
# `sr_metrics(restored, high, 3)["psnr_y"]` does the Y conversion, the crop and the PSNR;
# `crop_to_multiple`, `bicubic_downscale` and `bicubic_upscale` do the rest.
# </details>

# %%
bicubic_clock_x3 = None  # your Y-PSNR in dB

# %%
lesson05.check_bicubic_clock_x3(bicubic_clock_x3)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# from imgsynth_edu.data import bicubic_downscale, bicubic_upscale, crop_to_multiple, load_photo
# from imgsynth_edu.metrics import sr_metrics
#
# high = crop_to_multiple(load_photo("clock")[None], 3)
# restored = bicubic_upscale(bicubic_downscale(high, 3), 3)
# bicubic_clock_x3 = sr_metrics(restored, high, 3)["psnr_y"].item()
# ```
# </details>

# %% [markdown]
# **Exercise 5 · Tiles without seams (open).** `upscale_tiled(..., overlap=0)` gives visible seams.
# Find the smallest overlap for which `model` (the bundled one) gives the untiled result within
# $10^{-5}$ on a 64×64 input with `tile=16`, and compare it with `receptive_field_radius(model)`.
# Why may the smallest working overlap be smaller than the radius?
#
# <details><summary>Hint</summary>
#
# The radius counts every convolution as if it ran at the low resolution; those after the
# upsampler cover fewer low-resolution pixels.
# </details>
#
# **Exercise 6 · The full recipe (on a GPU).** Run the DIV2K recipe of §5 for 20,000 steps, evaluate
# on Set5 with `imgsynth-edu evaluate-sr --set set5`, and place your result between the paper's
# bicubic (28.43 dB) and SRResNet (32.05 dB).

# %% [markdown]
# ## Summary
#
# * SR inverts a *known* degradation: MATLAB-bicubic downscaling (plus, optionally, blur and
#   noise). Make the training inputs exactly like the test inputs.
# * SRResNet works at low resolution and upsamples at the end with PixelShuffle; about 1.5 M
#   parameters at B = 16, 64 channels (counted above; EDSR's Table 1 lists 1.5 M).
# * Measure as the papers do: Y channel, border of $s$ pixels cropped, 8-bit rounding, bicubic
#   on the same images. Conventions alone move PSNR by 1–2 dB.
# * Pixel losses maximise PSNR and blur; SRGAN's content + adversarial loss puts back more fine
#   detail, scores a lower PSNR and a better NIQE: the perception–distortion trade-off, measured
#   on the held-out photographs with the bundled `srresnet-x4` and `srgan-x4`.
# * Network interpolation (ESRGAN) blends the two networks weight by weight: one knob, $\alpha$,
#   moves along the trade-off with no retraining.
# * A model trained on clean bicubic inputs sharpens the artefacts of degradations it never saw
#   (JPEG): train on the degradations you will meet.
#
# ## References
#
# * C. Ledig et al., *Photo-Realistic Single Image Super-Resolution Using a Generative
#   Adversarial Network*, CVPR 2017 (SRResNet, SRGAN; Table 2 for the Set5 numbers).
# * Y. Blau, T. Michaeli, *The Perception-Distortion Tradeoff*, CVPR 2018.
# * Y. Blau, R. Mechrez, R. Timofte, T. Michaeli, L. Zelnik-Manor, *The 2018 PIRM Challenge on
#   Perceptual Image Super-Resolution*, ECCV Workshops 2018 (the perception–distortion plane with
#   NIQE and Ma's score).
# * A. Mittal, R. Soundararajan, A. C. Bovik, *Making a "Completely Blind" Image Quality Analyzer*,
#   IEEE Signal Processing Letters 20(3), 2013 (NIQE).
# * X. Wang et al., *ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks*, ECCV
#   Workshops 2018 (Sec. 3.4, network interpolation).
# * Y. Yazıcı et al., *The Unusual Effectiveness of Averaging in GAN Training*, ICLR 2019 (the
#   moving average of the generator's weights that `srgan-x4` saves).
# * W. Shi et al., *Real-Time Single Image and Video Super-Resolution Using an Efficient
#   Sub-Pixel Convolutional Neural Network*, CVPR 2016 (PixelShuffle).
# * J. Kim, J. K. Lee, K. M. Lee, *Accurate Image Super-Resolution Using Very Deep
#   Convolutional Networks* (VDSR), CVPR 2016 (global residual learning).
# * B. Lim et al., *Enhanced Deep Residual Networks for Single Image Super-Resolution* (EDSR),
#   CVPRW 2017 (no batch norm, L1 loss).
# * C. Dong et al., *Image Super-Resolution Using Deep Convolutional Networks* (SRCNN), 2014
#   (the Y-channel, border-crop protocol).
# * X. Wang, L. Xie, C. Dong, Y. Shan, *Real-ESRGAN: Training Real-World Blind Super-Resolution
#   with Pure Synthetic Data*, ICCVW 2021; K. Zhang, J. Liang, L. Van Gool, R. Timofte,
#   *Designing a Practical Degradation Model for Deep Blind Image Super-Resolution* (BSRGAN),
#   ICCV 2021 (training on random real-world degradations).
# * R. Keys, *Cubic convolution interpolation for digital image processing*, IEEE TASSP 1981.
