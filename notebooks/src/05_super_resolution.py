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
# Time: quick mode (what the tests and the book run) took about 12 s on a 2-core CPU, measured
# by nbval. The full run's time has not been measured yet (no GPU was available when this
# lesson was written); expect longer, and see the pretrained models' cards for full trainings.

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("05_super_resolution"))
device = ise.get_device()
ise.seed_everything(0)

# %%
import inspect

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from imgsynth_edu import pretrained, viz
from imgsynth_edu.data import bicubic_downscale, bicubic_upscale, crop_to_multiple, load_photo, photo_set
from imgsynth_edu.data.patches import PairedPatchDataset
from imgsynth_edu.losses import l1_loss, srgan_generator_loss
from imgsynth_edu.metrics import psnr, sr_metrics, ssim
from imgsynth_edu.models.srresnet import SRGANDiscriminator, SRResNet, upscale_tiled
from imgsynth_edu.evaluation import evaluate_sr
from imgsynth_edu.training.sr import RestorationTrainer, SRGANTrainer
from imgsynth_edu.widgets.sr import SRComparison

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
print(f"parameters: {sum(p.numel() for p in paper_model.parameters()):,}")  # 1.55 M, as in the paper
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
# **Quick mode** trains a tiny model for a few seconds: enough to see the loss fall, not enough
# to beat bicubic. **Full mode** trains longer.

# %%
train_photos = photo_set("train")  # never the held-out photos
pairs = PairedPatchDataset(train_photos, scale=4, patch_size=ise.quick_or_full(32, 64), seed=0)
low, high = pairs[0]
print("one pair:", tuple(low.shape), "->", tuple(high.shape))
ise.seed_everything(0)
student = SRResNet(scale=4, num_blocks=ise.quick_or_full(2, 8), channels=ise.quick_or_full(16, 32),
                   batch_norm=False, bicubic_skip=True)
trainer = RestorationTrainer(student, pairs, batch_size=ise.quick_or_full(4, 16), lr=1e-3, device=device, seed=0)
history = trainer.fit(ise.quick_or_full(30, 600))
fig = viz.plot_curves({"L1 loss": history.values["loss"]}, ylabel="L1", title="training SRResNet")

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
held_out = photo_set("test")
# quick mode skips the two largest photos; the card holds the scores on all five
measured = {name: held_out[name] for name in ise.quick_or_full(("chelsea", "gravel", "clock"), tuple(held_out))}
result = evaluate_sr(model, measured, 4, device=device)
print(f"{'photo':<12}{'bicubic Y-PSNR':>16}{'model Y-PSNR':>14}{'gain':>8}")
for row in result["images"]:
    gain = row["model"]["psnr_y"] - row["bicubic"]["psnr_y"]
    print(f"{row['name']:<12}{row['bicubic']['psnr_y']:>16.2f}{row['model']['psnr_y']:>14.2f}{gain:>+8.2f}")
bic, mod = result["bicubic"], result["model"]
print(f"{'mean':<12}{bic['psnr_y']:>16.2f}{mod['psnr_y']:>14.2f}{mod['psnr_y'] - bic['psnr_y']:>+8.2f}")
print(f"Y-SSIM: bicubic {bic['ssim_y']:.4f}, model {mod['ssim_y']:.4f}")
on_card = card["scores"]["held_out_photos"]
print(f"card, all five photos: bicubic {on_card['bicubic']['psnr_y']:.2f} dB, model {on_card['model']['psnr_y']:.2f} dB "
      f"({on_card['gain_psnr_y_db']:+.2f} dB)")

# %% [markdown]
# The same outputs, four conventions. Y is a weighted average of R, G and B, so the
# independent errors of the three channels partly cancel in it: Y-PSNR comes out well above
# RGB-PSNR, here by about 1.4 dB. The border is where a network can only guess from padding;
# cropping it moves the score by a smaller amount, in either direction depending on the image
# and the method. A paper that forgets to say which convention it used can be 1–2 dB off from
# another that did the same work: always compare numbers measured the same way.

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
# ## 8 · SRGAN and the perception–distortion trade-off
#
# SRGAN starts from a trained SRResNet (the paper: "to avoid undesired local optima") and
# fine-tunes it against a discriminator (`SRGANDiscriminator`: eight convolutions 64→512,
# LeakyReLU 0.2, a dense head). Each step trains the discriminator on real patches and
# *detached* fakes, then the generator on content $+\,10^{-3}\cdot$ adversarial.
#
# Blau & Michaeli (2018) proved that no restorer can be both *as close as possible* to the truth
# (distortion: MSE, PSNR) and *as realistic as possible* (perception: indistinguishable from
# real images): the two goals trade off. SRResNet sits at the low-distortion end; SRGAN moves
# towards realism and pays in PSNR (paper, Set5 ×4: 32.05 → 29.40 dB), while human raters
# preferred it by a wide margin in the paper's mean-opinion-score test.
#
# The VGG content loss needs ImageNet weights (548 MB). Offline, or in quick mode, we fine-tune
# with the L1 content loss instead ("SRGAN-L1"), and say so; quick mode runs only a few steps,
# so its SRGAN is barely different from its starting point. The widget below compares whatever
# you trained; on Colab, run the full mode.

# %%
import copy

from imgsynth_edu.losses import VGGPerceptualLoss, WeightsUnavailableError

content_loss = l1_loss
if not quick:
    try:
        content_loss = VGGPerceptualLoss("relu5_4").to(device)
        print("content loss: VGG54 (as in the paper)")
    except WeightsUnavailableError as error:
        print("VGG19 weights unavailable, using the L1 content loss instead:", str(error).split(". ")[0])
else:
    print("quick mode: L1 content loss, a few steps only")
gan_generator = copy.deepcopy(model).train()
gan_trainer = SRGANTrainer(gan_generator, SRGANDiscriminator(base_channels=ise.quick_or_full(8, 64)),
                           PairedPatchDataset(train_photos, scale=4, patch_size=ise.quick_or_full(32, 96), seed=1),
                           content_loss=content_loss, batch_size=ise.quick_or_full(4, 16), lr=1e-4,
                           device=device, seed=0)
gan_history = gan_trainer.fit(ise.quick_or_full(10, 1000))
gan_generator.eval()
fig = viz.plot_curves({"discriminator": gan_history.values["d_loss"],
                       "generator adversarial": gan_history.values["adversarial"]}, title="SRGAN fine-tuning")

# %% [markdown]
# Move the **wipe** slider to slide between two methods, pick them with **left** and **right**,
# and move the **zoom** square over the fur, the eyes, the whiskers. The caption gives PSNR and
# SSIM of the zoomed region only: watch where the method that *looks* sharper loses the numbers.

# %%
crop = crop_to_multiple(held_out["chelsea"][None, :, 40:232, 120:344], 4)  # the cat's face, 192×224
comparison = SRComparison.from_models(crop[0], 4, {"SRResNet": model, "SRGAN": gan_generator},
                                      left="bicubic", right="SRResNet", zoom_size=48)
display(comparison.widget)

# %%
fig = comparison.static_figure()

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
# ## 10 · Exercises
#
# **Exercise 1.** Compute the bicubic Y-PSNR of the held-out photograph `"clock"` at ×3 with
# the paper's protocol (crop to a multiple of 3, MATLAB-bicubic down and up, Y channel, border
# of 3 pixels). Put your number in `answer_1`.
#
# <details><summary>Hint</summary>
#
# `sr_metrics(restored, high, 3)["psnr_y"]` implements steps 4–6; `crop_to_multiple`,
# `bicubic_downscale` and `bicubic_upscale` do the rest.
# </details>

# %%
answer_1 = None  # your Y-PSNR in dB

# %%
def check_exercise_1(answer):
    high = crop_to_multiple(load_photo("clock")[None], 3)
    expected = sr_metrics(bicubic_upscale(bicubic_downscale(high, 3), 3), high, 3)["psnr_y"].item()
    if answer is None:
        return "not answered yet: set answer_1 above"
    return "correct!" if abs(answer - expected) < 0.01 else f"not quite: {answer:.2f} dB (check the crop and Y)"


print(check_exercise_1(answer_1))

# %% [markdown]
# **Exercise 2.** `upscale_tiled(..., overlap=0)` gives visible seams. Find the smallest overlap
# for which `model` (the bundled one) gives the untiled result within $10^{-5}$ on a 64×64
# input with `tile=16`, and compare it with `receptive_field_radius(model)`. Why may the
# smallest working overlap be smaller than the radius?
#
# <details><summary>Hint</summary>
#
# The radius counts every convolution as if it ran at the low resolution; those after the
# upsampler cover fewer low-resolution pixels.
# </details>
#
# **Exercise 3 (Colab).** Run the full recipe of §5 for 20,000 steps, evaluate on Set5 with
# `imgsynth-edu evaluate-sr --set set5`, and place your result between the paper's bicubic
# (28.43 dB) and SRResNet (32.05 dB).

# %% [markdown]
# ## Summary
#
# * SR inverts a *known* degradation: MATLAB-bicubic downscaling (plus, optionally, blur and
#   noise). Make the training inputs exactly like the test inputs.
# * SRResNet works at low resolution and upsamples at the end with PixelShuffle; 1.55 M
#   parameters at B = 16, 64 channels.
# * Measure as the papers do: Y channel, border of $s$ pixels cropped, 8-bit rounding, bicubic
#   on the same images. Conventions alone move PSNR by 1–2 dB.
# * Pixel losses maximise PSNR and blur; SRGAN's perceptual + adversarial loss looks sharper
#   and scores lower: the perception–distortion trade-off.
#
# ## References
#
# * C. Ledig et al., *Photo-Realistic Single Image Super-Resolution Using a Generative
#   Adversarial Network*, CVPR 2017 (SRResNet, SRGAN; Table 2 for the Set5 numbers).
# * Y. Blau, T. Michaeli, *The Perception-Distortion Tradeoff*, CVPR 2018.
# * W. Shi et al., *Real-Time Single Image and Video Super-Resolution Using an Efficient
#   Sub-Pixel Convolutional Neural Network*, CVPR 2016 (PixelShuffle).
# * J. Kim, J. K. Lee, K. M. Lee, *Accurate Image Super-Resolution Using Very Deep
#   Convolutional Networks* (VDSR), CVPR 2016 (global residual learning).
# * B. Lim et al., *Enhanced Deep Residual Networks for Single Image Super-Resolution* (EDSR),
#   CVPRW 2017 (no batch norm, L1 loss).
# * C. Dong et al., *Image Super-Resolution Using Deep Convolutional Networks* (SRCNN), 2014
#   (the Y-channel, border-crop protocol).
# * R. Keys, *Cubic convolution interpolation for digital image processing*, IEEE TASSP 1981.
