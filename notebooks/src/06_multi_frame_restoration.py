# %% [markdown]
# # 06 · Multi-frame restoration: many shifted, noisy frames are better than one
#
# {{COLAB_BADGE}}
#
# Your phone does not take one picture when you press the button: it takes a *burst* of
# several frames in a fraction of a second, while your hand shakes a little, and merges them.
# Each frame sees the scene through a slightly different sub-pixel offset and gets its own
# noise. Together they hold information that no single frame holds: detail finer than the
# sensor's pixels (which a single frame folds into false patterns, *aliasing*) and a much
# cleaner signal (noise averages away). Lesson 05 had to *guess* the missing detail from one
# image; here we can *measure* it.
#
# **Learning goals.** After this lesson you can
#
# 1. explain, with a 1-D picture, why sub-pixel shifted samples beat one set of samples;
# 2. make a synthetic burst (shifts, downsampling, shot + read noise) and say what each step models;
# 3. register frames by phase correlation, to a tenth of a pixel, and state its sign convention;
# 4. merge a burst by shift-and-add and a robust merge, and say what they cannot recover;
# 5. take apart a learned burst restorer (encoder, alignment, softmax fusion, decoder) and
#    read its quality-against-number-of-frames curve.
#
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("06_multi_frame_restoration"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch; the seeded generator it returns is not needed here

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from imgsynth_edu import pretrained, viz
from imgsynth_edu.classical import estimate_shifts, phase_correlation, robust_merge, shift_and_add
from imgsynth_edu.data import bicubic_upscale, get_image_set, load_photo, photo_set
from imgsynth_edu.data.bursts import DEFAULT_NOISE, BurstDataset, synthetic_burst
from imgsynth_edu.evaluation import evaluate_burst
from imgsynth_edu.metrics.image import sr_metrics
from imgsynth_edu.models.burst import BurstSR, warp_frames
from imgsynth_edu.training.sr import RestorationTrainer
from imgsynth_edu.widgets.burst import BurstExplorer

quick = ise.is_quick_mode()

# %% [markdown]
# ## 1 · Why several frames beat one: a 1-D picture
#
# Take a signal with detail finer than the sensor: a sine of frequency $f = 0.35$ cycles per
# fine sample, recorded by a sensor that keeps one sample in $s = 4$. The sensor's sampling
# rate is $1/s = 0.25$ samples per fine sample, so it can only represent frequencies up to its
# Nyquist limit $1/(2s) = 0.125$ cycles per fine sample. Samples taken at rate $1/s$ cannot tell
# a frequency $f$ from $f - k/s$ for any integer $k$, so the sine is **aliased**: it shows up as
# the frequency of that family inside $[0, 0.125]$, a slow false wave of frequency
# $|0.35 - 0.25| = 0.1$. No amount of cleverness recovers the true sine from *those* samples
# alone: a slow wave fits them exactly.
#
# Now take four frames, each shifted by one fine sample. Their samples interleave: together
# they sample the signal at the fine rate, and the sine is back. Real bursts have *random*
# sub-pixel shifts, so the samples interleave irregularly, which is why we must first
# **estimate** the shifts (registration) and then **merge** on the fine grid.

# %%
fine = np.arange(96)
signal = np.sin(2 * np.pi * 0.35 * fine)
scale_1d = 4
fig, axes = plt.subplots(1, 2, figsize=(12, 3), sharey=True)
for ax, offsets, title in ((axes[0], [0], "one frame: the sine looks like a slow wave (aliasing)"),
                           (axes[1], [0, 1, 2, 3], "four shifted frames: together they sample it finely")):
    ax.plot(fine, signal, color="0.8", label="scene")
    positions = np.sort(np.concatenate([fine[offset::scale_1d] for offset in offsets]))
    ax.plot(positions, signal[positions], "-", color="C1", lw=1, label="what the samples show")
    for offset in offsets:
        ax.plot(fine[offset::scale_1d], signal[offset::scale_1d], "o", ms=4, label=f"frame shifted by {offset}")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("fine position")
axes[0].legend(fontsize=7, loc="lower left")
fig.tight_layout()

# %% [markdown]
# The frequencies the samples contain, measured with an FFT of a longer stretch of the same
# sine (4,000 fine samples, so that 0.1 and 0.35 fall exactly on FFT bins):

# %%
def strongest_frequency(samples: np.ndarray, spacing: int) -> float:
    """The frequency (cycles per *fine* sample) of the largest FFT peak of samples taken every `spacing`."""
    spectrum = np.abs(np.fft.rfft(samples))
    frequencies = np.fft.rfftfreq(len(samples), d=spacing)  # cycles per fine sample
    return float(frequencies[spectrum.argmax()])


long_signal = np.sin(2 * np.pi * 0.35 * np.arange(4000))
one_frame = strongest_frequency(long_signal[::scale_1d], scale_1d)
four_frames = strongest_frequency(long_signal, 1)  # four frames shifted by 0, 1, 2, 3 interleave into every sample
ise.claim("one frame's samples show a false wave of frequency 0.1 instead of 0.35", abs(one_frame - 0.1) < 1e-9,
          measured=f"strongest frequency {one_frame:.3f} cycles per fine sample")
ise.claim("four shifted frames together show the true frequency 0.35", abs(four_frames - 0.35) < 1e-9,
          measured=f"strongest frequency {four_frames:.3f} cycles per fine sample")

# %% [markdown]
# Two more things make the 2-D story less rosy, and the rest of the lesson is about them:
#
# * each sensor pixel does not *point*-sample the scene: it averages the light over its area
#   (and the lens blurs first). Merging frames puts these *blurred* samples on the fine grid;
#   it undoes the aliasing but not the blur;
# * every frame is noisy. Averaging $F$ frames divides the noise variance by $F$.
#
# ## 2 · Generating bursts
#
# Our synthetic pipeline is **simplified from** that of Bhat et al. (2021, *Deep Burst
# Super-Resolution*, Sec. 4): frame $f$ of a burst made from a high-resolution image $x$ is
#
# $$y_f = \mathrm{noise}\Big(\mathrm{down}_s\big(\mathrm{warp}_{d_f,\theta_f}(x)\big)\Big),
#   \qquad d_0 = 0,\ \theta_0 = 0,$$
#
# with a random sub-pixel translation $d_f$ (here uniform in $\pm 2$ low-resolution pixels;
# optionally a rotation $\theta_f$ up to 1°), MATLAB-like bicubic downsampling by $s$ (the SR
# protocol of lesson 05, so the single-image model sees its own kind of input), and shot + read
# noise (Brooks et al. 2019): $y \sim \mathcal N(x, \lambda_{read} + \lambda_{shot}\,x)$,
# whose variance grows with the brightness. Frame 0 is the **reference**: the result is
# aligned with it. **Shift convention**: $d_f = (d_y, d_x)$ in low-resolution pixels means
# frame $f$ shows the reference's content moved by $+d_f$: $y_f(p) \approx y_0(p - d_f)$.
#
# What Bhat et al. do that we do not (each is a step towards a real camera, and each would make
# the lesson slower or harder to see):
#
# * **RAW, not sRGB.** They first *unprocess* the sRGB photo into linear sensor values (the
#   inverse camera pipeline of Brooks et al. 2019: inverse tone curve, gamma, colour matrix and
#   white-balance gains, drawn at random) and add the noise there; our frames are sRGB.
# * **Mosaicking.** Their frames are Bayer RGGB mosaics (one colour per pixel), so the network also
#   demosaics; ours keep all three colours at every pixel.
# * **Motion, frames, noise level.** They translate by up to ±24 high-resolution pixels (±6
#   low-resolution pixels at ×4) and rotate by up to 1°, in bursts of 14 frames, with the noise
#   level drawn at random per burst; we translate by ±2 low-resolution pixels, without rotation
#   by default, in bursts of 8, at one fixed noise level.
# * **Downsampling.** They shrink with bilinear interpolation; we use the MATLAB-like bicubic of
#   the single-image SR protocol (or, below, a box average).

# %%
print(inspect.getsource(synthetic_burst).split('"""')[0] + "...")
print("default noise:", DEFAULT_NOISE)

# %%
# NBVAL_CHECK_OUTPUT
photo = load_photo("chelsea")  # held out: never seen in training
crop = photo[:, 40:232, 100:292]  # 3×192×192
burst = synthetic_burst(crop, frames=8, scale=4, seed=0)
print("frames:", tuple(burst.frames.shape), "| target:", tuple(burst.target.shape))
print("true shifts (dy, dx) in low-resolution pixels:")
print(np.round(burst.shifts.numpy(), 2))

# %%
viz.show_grid(burst.frames, nrow=8, title="an 8-frame ×4 burst (48×48 each): frame 0 is the reference", size=12);

# %% [markdown]
# ## 3 · Registration by phase correlation
#
# Shift an image and its Fourier transform only changes phase: $\hat y_f(u) = \hat y_0(u)\,
# e^{-2\pi i\, u\cdot d_f}$ (the Fourier shift theorem). The *normalised cross-power
# spectrum* keeps only that phase,
#
# $$R(u) = \frac{\hat y_f(u)\,\overline{\hat y_0(u)}}{|\hat y_f(u)\,\overline{\hat y_0(u)}|}
#   = e^{-2\pi i\, u\cdot d_f}
#   \quad\Longrightarrow\quad \mathcal F^{-1}[R](p) = \delta(p - d_f),$$
#
# a single sharp peak at the shift (Kuglin & Hines 1975). Its integer position is found by
# `argmax`; to get a sub-pixel shift we evaluate the inverse DFT on a 20× finer grid, only in a
# 1.5-pixel neighbourhood of the peak, with two small matrix products (Guizar-Sicairos et al.
# 2008). A Hann window first tames the image borders, which the FFT treats as periodic.
# scikit-image implements the same algorithm, but returns the *opposite* sign: the shift that
# moves frame $f$ back onto the reference.

# %%
source = inspect.getsource(phase_correlation)
print(source[source.index("    cross = "): source.index("    shifts = shifts.float()")])

# %%
# NBVAL_CHECK_OUTPUT
from skimage.registration import phase_cross_correlation

estimated = estimate_shifts(burst.frames)[0]  # 8×2
ours_plain = torch.stack([phase_correlation(burst.frames[0], frame) for frame in burst.frames])
skimage_shifts = np.stack([
    -phase_cross_correlation(burst.frames[0].mean(0).double().numpy(), frame.mean(0).double().numpy(),
                             upsample_factor=20)[0]
    for frame in burst.frames
])
print("largest |ours - (-scikit-image)| (no window):", round(float(np.abs(ours_plain.numpy() - skimage_shifts).max()), 3), "px")
print("largest |estimated - true| (Hann window):   ", round(float((estimated - burst.shifts).abs().max()), 2), "px")

# %%
registration_error = float((estimated - burst.shifts).abs().max())
sign_difference = float(np.abs(ours_plain.numpy() - skimage_shifts).max())
ise.claim("phase correlation finds every shift of this noisy burst to a tenth of a pixel", registration_error < 0.1,
          measured=f"largest error {registration_error:.3f} low-resolution px")
ise.claim("scikit-image returns the same shifts with the opposite sign", sign_difference < 0.01,
          measured=f"largest |ours + scikit-image| {sign_difference:.3f} px")

# %% [markdown]
# ## 4 · Shift-and-add, and its limits
#
# Knowing the shifts, every low-resolution sample $y_f(p)$ goes back where it was taken: at
# fine-grid position $q_{fp} = s\,(p - d_f + \tfrac12) - \tfrac12$. Splat each sample there
# with a small Gaussian kernel $k$ and normalise: the *normalised convolution* of Knutsson &
# Westin (1993), here used as the shift-and-add merge of multi-frame super-resolution (Farsiu et
# al. 2004 analyse shift-and-add as the first, fast step of their method):
#
# $$\hat x(q) = \frac{\sum_{f,p} k(q - q_{fp})\,y_f(p)}{\sum_{f,p} k(q - q_{fp})}.$$
#
# A **robust merge** re-weights every sample by how well it agrees with the current estimate,
# $w = 1/(1 + (r/c)^2)$ with $r$ the residual and $c$ a multiple of the noise level (a Cauchy
# weight, iteratively reweighted least squares): noise-sized disagreements are averaged, a
# sample from something that moved is ignored.

# %%
source = inspect.getsource(shift_and_add)
print(source[source.index("    burst, shifts, sigma = "):])

# %%
# NBVAL_CHECK_OUTPUT
target = burst.target[None]
merges = {
    "bicubic (frame 0)": bicubic_upscale(burst.frames[:1], 4),
    "shift-and-add": shift_and_add(burst.frames[None], estimated[None], 4),
    "robust merge": robust_merge(burst.frames[None], estimated[None], 4),
}
merge_scores = {name: sr_metrics(image, target, 4) for name, image in merges.items()}
for name, scores in merge_scores.items():
    print(f"{name:<18} Y-PSNR {float(scores['psnr_y']):.2f} dB   Y-SSIM {float(scores['ssim_y']):.3f}")
merge_psnr = {name: float(scores["psnr_y"]) for name, scores in merge_scores.items()}
ise.claim("both merges of the 8 frames beat bicubic of frame 0", min(merge_psnr["shift-and-add"], merge_psnr["robust merge"]) > merge_psnr["bicubic (frame 0)"],
          measured=", ".join(f"{name} {value:.2f} dB" for name, value in merge_psnr.items()))

# %%
viz.compare({**{name: image[0] for name, image in merges.items()}, "truth": burst.target},
            captions={name: f"{float(s['psnr_y']):.2f} dB" for name, s in merge_scores.items()},
            zoom=(64, 64, 64, 64));

# %% [markdown]
# **What the classical merge cannot recover.** The gain above is mostly *denoising*: eight
# noisy frames average into one cleaner one. But look at the sharpness. Each sample is the scene
# *blurred* by the downsampling kernel, wherever it lands; merging many samples densely gives
# the blurred scene, not the sharp one (and the splatting kernel blurs a little more). The
# experiment below makes it stark: with **no noise** and **box** downsampling (each sensor pixel
# averages a 4×4 block), eight frames merged by shift-and-add are only a little better than
# bicubic interpolation of one frame (the unfolded aliasing is all they gain), and they are far
# closer to the *box-blurred* truth than to the truth: that blurred image is what the merge
# estimates. Recovering the sharp image would need a deconvolution, an ill-posed inverse that
# amplifies noise; a *learned* restorer learns a good one from data.

# %%
# NBVAL_CHECK_OUTPUT
import torch.nn.functional as F

box = synthetic_burst(crop, frames=8, scale=4, downsampling="box", noise="none", seed=0)
box_merged = shift_and_add(box.frames[None], box.shifts[None], 4)
box_blurred_truth = F.avg_pool2d(F.pad(box.target[None], (2, 1, 2, 1), mode="replicate"), 4, stride=1)  # 4×4 box blur
box_scores = {
    "bicubic (frame 0) vs truth": sr_metrics(bicubic_upscale(box.frames[:1], 4), box.target[None], 4)["psnr_y"],
    "shift-and-add vs truth": sr_metrics(box_merged, box.target[None], 4)["psnr_y"],
    "shift-and-add vs box-blurred truth": sr_metrics(box_merged, box_blurred_truth, 4)["psnr_y"],
}
for name, value in box_scores.items():
    print(f"noise-free box burst, 8 frames | {name:<36} Y-PSNR {float(value):.1f} dB")

# %%
box_bicubic, box_truth, box_blurred = (float(value) for value in box_scores.values())
ise.claim("without noise, 8 merged frames are only a little better than bicubic of one frame (by 0 to 1.5 dB)",
          0 < box_truth - box_bicubic < 1.5, measured=f"{box_truth:.2f} vs {box_bicubic:.2f} dB")
ise.claim("the merge is far closer to the box-blurred truth than to the truth (by more than 5 dB)",
          box_blurred - box_truth > 5, measured=f"{box_blurred:.2f} vs {box_truth:.2f} dB")

# %% [markdown]
# ## 5 · A learned burst restorer, piece by piece
#
# `BurstSR` follows the design of Bhat et al. (2021, Fig. 2: encode, align, fuse with learned
# weights, decode), shrunk to train on a CPU, with one change that matters when the network is
# small: the fusion is the **shift-and-add of section 3, done on learned features**.
#
# 1. a shared **encoder** turns every frame into features $\phi_f(p)$ on the frame's own grid
#    (a convolution and two residual blocks);
# 2. **alignment**: a small flow network looks at a frame's features next to the reference's
#    and predicts, per pixel, a correction $\Delta_f(p)$ to the phase-correlation shift: sample
#    $p$ of frame $f$ saw the scene at $p - d_f(p)$, $d_f(p) = d_f + \Delta_f(p)$, which says
#    where on the fine grid the sample belongs;
# 3. **weights**: a logit for every sample, from the frame's features, the reference's features
#    read where the sample landed, their difference and the sub-pixel part of $d_f(p)$; a
#    softmax across frames turns logits into weights $w_f(p) \ge 0$, $\sum_f w_f(p) = 1$;
# 4. **fusion**: every sample's feature vector is splatted onto the fine grid where it landed,
#    $\hat\phi(q) = \sum_{f,p} w_f(p)\,k(q - q_{fp})\,\phi_f(p) \,/\, (\sum_{f,p} w_f(p)\,k(q - q_{fp}) + \epsilon)$,
#    the normalised convolution of section 3 with learned features and learned weights; the
#    denominator (how much evidence landed at $q$) goes along as one more channel. Nothing depends
#    on the number of frames: one frame works too.
# 5. a **decoder** folds every 4×4 block of the fine grid into the channels of its
#    low-resolution pixel (space-to-depth, `PixelUnshuffle`), and with residual blocks and two
#    PixelShuffle ×2 stages predicts the *residual* on top of a skip from the upsampled
#    reference: the classical shift-and-add merge of the burst (bicubic when there is a single
#    frame). The decoder's last layer starts at zero, so the untrained model *is*
#    shift-and-add, and training only has to add what it cannot do.
#
# Why splat rather than warp each frame's features onto the reference grid (what Bhat et al.
# do, with a far larger network)? Reading features at a sub-pixel position interpolates between
# samples, and interpolation is a low-pass filter: it blurs away exactly the aliased detail that
# made the extra frame worth having. Splatting moves no sample; it only says where each one
# belongs.

# %%
model_pieces = BurstSR(scale=4, features=32)
for name, child in model_pieces.named_children():
    print(f"{name:<10} {sum(p.numel() for p in child.parameters()):>7,} parameters")
source = inspect.getsource(BurstSR.forward)
print(source[source.index("        features = self.encoder"):source.index("        if return_details")])

# %% [markdown]
# Two sentences of that description are claims; checked on this untrained model:

# %%
with torch.no_grad():
    untrained = model_pieces(burst.frames[None])  # 1×3×192×192
    classical = shift_and_add(burst.frames[None], estimate_shifts(burst.frames[None]), 4)  # the same merge
    single = model_pieces(burst.frames[None, :1])  # one frame: 1×3×192×192
ise.claim("the untrained model is shift-and-add", bool((untrained - classical).abs().max() < 1e-5),
          measured=f"largest difference {float((untrained - classical).abs().max()):.1e}")
ise.claim("one frame works too", tuple(single.shape) == tuple(untrained.shape),
          measured=f"one frame in, {tuple(single.shape)} out")

# %% [markdown]
# And the reason for splatting, measured on frame 1 of our burst: read it half a pixel off its
# grid with bilinear interpolation (`warp_frames`, what warping onto the reference does for a
# half-pixel shift) and compare its energy above half the Nyquist frequency with the frame's own.

# %%
def high_frequency_energy(image):  # C×h×w -> spectral energy at |frequency| > 1/4 cycle/pixel (either axis)
    spectrum = torch.fft.fft2(image - image.mean(dim=(-2, -1), keepdim=True)).abs() ** 2
    fy = torch.fft.fftfreq(image.shape[-2]).abs()[:, None]
    fx = torch.fft.fftfreq(image.shape[-1]).abs()[None, :]
    return float(spectrum[..., (fy > 0.25) | (fx > 0.25)].sum())


frame = burst.frames[1:2]  # 1×3×h×w
half_pixel = torch.full((1, 2, *frame.shape[-2:]), 0.5)
interior = (0, slice(None), slice(4, -4), slice(4, -4))  # away from the border that warping pads
kept = high_frequency_energy(warp_frames(frame, half_pixel)[interior]) / high_frequency_energy(frame[interior])
ise.claim("reading a frame half a pixel off its grid removes more than half of its high-frequency energy",
          kept < 0.5, measured=f"{kept:.0%} of it kept")

# %% [markdown]
# ## 6 · Training (quick here; the bundled model ran the full recipe)
#
# The training data are random 80×80 patches of the **training** photographs, each turned into a
# fresh 8-frame burst; the loss is L1; the loop is the restoration trainer of lesson 05, which
# takes bursts (`N×F×C×h×w`) as they are. Twelve photographs are few, so every patch is
# **augmented** before its burst is made (`augment=True`, the default of `imgsynth-edu train
# burst`): flipped left-right and top-bottom (each with probability 1/2), turned by a multiple of
# 90°, its colour channels reordered and each scaled by a gain in [0.8, 1] (no value leaves
# [0, 1], so nothing is clipped), and its noise variances multiplied by a factor between 1/2 and
# 2 (more or less light than the default). Because the frames are made *from* the augmented
# patch, frames and target always agree. Quick mode runs a few steps of a tiny model to show
# the loop; the bundled `burst-x4` was trained by the command on its card. Where downloads
# work, `imgsynth-edu train burst --images div2k-train` trains on DIV2K's 800 photographs
# instead (Agustsson & Timofte 2017; read one photo per burst, so they never all sit in memory).

# %%
steps = ise.quick_or_full(20, 600)
features = ise.quick_or_full(8, 24)
train_set = BurstDataset(photo_set("train"), frames=8, scale=4, patch_size=ise.quick_or_full(48, 80), length=10_000,
                         augment=True)
choice = train_set.augmentation(0)  # what item 0 was made with
print(f"item 0: flipped left-right {choice.flip_horizontal}, top-bottom {choice.flip_vertical}; "
      f"turned {choice.quarter_turns}×90°; channels in order {choice.channel_order}, "
      f"gains {[round(gain, 2) for gain in choice.channel_gains]}; noise variances × {choice.noise_factor:.2f}")
student = BurstSR(scale=4, features=features)
trainer = RestorationTrainer(student, train_set, batch_size=4, lr=1e-3, device=device, seed=0)
history = trainer.fit(steps)
viz.plot_curves({"L1 loss": history.values["loss"]}, title=f"training BurstSR ({steps} steps)");

# %%
card = pretrained.card("burst-x4")
print("bundled burst-x4 was trained with:\n ", card["command"])
print(f"  {card['steps']} steps, {card['wall_time_s'] / 60:.0f} min on {card['hardware']}")
burst_model = pretrained.load("burst-x4", device=device)

# %%
restored, details = burst_model(burst.frames[None].to(device), return_details=True)
restored = restored.clamp(0, 1).cpu()  # shown as a picture
fig, axes = plt.subplots(1, 5, figsize=(15, 3.2))
for index, ax in enumerate(axes[:4]):
    ax.imshow(details["weights"][0, index].cpu(), cmap="magma", vmin=0, vmax=1)
    ax.set_title(f"fusion weight, frame {index}", fontsize=9)
    ax.set_axis_off()
flow = details["flow"][0].cpu()  # F×2×h×w
axes[4].scatter(burst.shifts[:, 1], burst.shifts[:, 0], facecolors="none", edgecolors="C0", label="true shift")
axes[4].scatter(flow[:, 1].mean(dim=(1, 2)), flow[:, 0].mean(dim=(1, 2)), marker="x", color="C3", label="mean flow")
axes[4].invert_yaxis()
axes[4].set_title("alignment (LR px)", fontsize=9)
axes[4].legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# ## 7 · Quality against the number of frames, for every method
#
# The question of this lesson, measured: mean Y-PSNR (SR protocol) on the **held-out**
# photographs, one seeded burst per photo, for 1, 2, 4 and 8 frames. The single-image model is
# lesson 05's `srresnet-x4`, run on frame 0: it cannot use the other frames, and it was trained
# on noise-free inputs. Quick mode uses 128×128 crops of the photos; the full run (and the
# numbers on the model's card, from `imgsynth-edu evaluate-burst`) use the whole photos.

# %%
held_out = photo_set("test")
if quick:
    held_out = {name: image[:, :128, :128] for name, image in held_out.items()}
single_image = pretrained.load("srresnet-x4", device=device) if "srresnet-x4" in pretrained.available() else None
if single_image is None:
    print("srresnet-x4 is not bundled in this installation: the single-image curve is left out")
frame_counts = (1, 2, 4, 8)
curves = {}
for count in frame_counts:
    report = evaluate_burst(held_out, burst_model, frames=count, scale=4, seed=0,
                            single_image_model=single_image, device=device)
    for method in ("bicubic", "srresnet", "shift_and_add", "burst"):
        if report[method] is not None:
            curves.setdefault(method, []).append(report[method]["psnr_y"])

# %%
# NBVAL_CHECK_OUTPUT
print("mean Y-PSNR (dB) on", len(held_out), "held-out photos, frames", frame_counts)
for method, values in curves.items():
    print(f"{method:<14}", "  ".join(f"{value:6.2f}" for value in values))

# %%
fig, ax = plt.subplots(figsize=(6, 3.8))
for method, values in curves.items():
    ax.plot(frame_counts, values, "o-", label=method)
ax.set_xscale("log", base=2)
ax.set_xticks(frame_counts, [str(c) for c in frame_counts])
ax.set_xlabel("frames in the burst")
ax.set_ylabel("Y-PSNR (dB)")
ax.set_title("quality against the number of frames (held-out photos)")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

# %% [markdown]
# What the curves show, for the bundled `burst-x4` (the checks below read every number from the
# run above, so they hold or fail for whatever model is bundled):
#
# * the burst model gains with **every** added frame, and beats shift-and-add at every count:
#   it learned to merge better than the classical rule;
# * with **two or more** frames the burst model beats bicubic; with **one** frame both merges
#   fall *below* bicubic: the burst model was
#   trained on 8-frame bursts, and its one-frame skip is PyTorch's bicubic, not the MATLAB-like
#   bicubic of the baseline;
# * the single-image `srresnet-x4` gains almost nothing over bicubic here (less than 0.3 dB):
#   it was trained on clean inputs and meets noisy ones (lesson 05 shows the same failure).

# %%
burst_curve, merge_curve, bicubic_curve = (np.array(curves[m]) for m in ("burst", "shift_and_add", "bicubic"))
ise.claim("the burst model gains with every added frame", bool((np.diff(burst_curve) > 0).all()),
          measured=" → ".join(f"{value:.2f}" for value in burst_curve) + " dB")
ise.claim("the burst model beats shift-and-add at every frame count", bool((burst_curve > merge_curve).all()),
          measured=", ".join(f"{c}: {b:.2f} vs {m:.2f}" for c, b, m in zip(frame_counts, burst_curve, merge_curve)))
ise.claim("with two or more frames the burst model beats bicubic", bool((burst_curve[1:] > bicubic_curve[1:]).all()),
          measured=", ".join(f"{c}: {b:.2f} vs {i:.2f}" for c, b, i in zip(frame_counts[1:], burst_curve[1:], bicubic_curve[1:])) + " dB")
ise.claim("with one frame both fall below bicubic",
          bool(burst_curve[0] < bicubic_curve[0] and merge_curve[0] < bicubic_curve[0]),
          measured=f"burst {burst_curve[0]:.2f}, shift-and-add {merge_curve[0]:.2f}, bicubic {bicubic_curve[0]:.2f} dB")
if "srresnet" in curves:
    srresnet_gain = np.array(curves["srresnet"]) - bicubic_curve
    ise.claim("srresnet-x4 on a noisy frame gains less than 0.3 dB over bicubic", bool((srresnet_gain < 0.3).all()),
              measured=", ".join(f"{c}: {g:+.2f} dB" for c, g in zip(frame_counts, srresnet_gain)))

# %%
scores = card.get("scores", {})
if scores:
    lines = ["| frames | " + " | ".join(scores[next(iter(scores))]) + " |",
             "|---|" + "---|" * len(scores[next(iter(scores))])]
    for frames_key, row in scores.items():
        lines.append(f"| {frames_key} | " + " | ".join(
            "n/a" if value is None else f"{value['psnr_y']:.2f}" for value in row.values()) + " |")
    display(Markdown("**Full-size held-out photos, from the card of `burst-x4` (Y-PSNR, dB):**\n\n" + "\n".join(lines)))

# %% [markdown]
# ### Photographs from outside the bundled set
#
# The held-out photographs come from the same collection (scikit-image's) as the training ones.
# Does the burst model *transfer* to other photographs? scikit-learn ships two photographs of
# its own, `china` (a temple) and `flower`, JPEGs that no model of the course ever trained on
# (`get_image_set("outside")`, or `imgsynth-edu evaluate-burst --images outside`). The same
# protocol, per photograph (quick mode: a 128×128 crop from the middle of each):

# %%
outside = get_image_set("outside")  # {"china": 3×427×640, "flower": 3×427×640}
if quick:
    outside = {name: image[:, 150:278, 256:384] for name, image in outside.items()}
outside_curves, outside_per_photo = {}, None
for count in frame_counts:
    report = evaluate_burst(outside, burst_model, frames=count, scale=4, seed=0,
                            single_image_model=single_image, device=device, per_image=True)
    for method in ("bicubic", "srresnet", "shift_and_add", "burst"):
        if report[method] is not None:
            outside_curves.setdefault(method, []).append(report[method]["psnr_y"])
    if count == 8:
        outside_per_photo = report["per_image"]

# %%
# NBVAL_CHECK_OUTPUT
print("mean Y-PSNR (dB) on", len(outside), "outside photos, frames", frame_counts)
for method, values in outside_curves.items():
    print(f"{method:<14}", "  ".join(f"{value:6.2f}" for value in values))
print("\n8 frames, each photo (Y-PSNR, dB)")
for name, scores_of_photo in outside_per_photo.items():
    print(f"{name:<8}", "  ".join(f"{method} {value['psnr_y']:.2f}" for method, value in scores_of_photo.items()))

# %% [markdown]
# The model transfers, though less well: on the outside photographs it still gains with every
# added frame and still beats shift-and-add on **each** photograph, and its lead over the
# single-image `srresnet-x4` is smaller than on the held-out photographs. (The held-out mean is
# also lifted by one easy photograph, `clock`: the card's per-photo table shows it.) Issue #16
# asked for at least +1.5 dB over `srresnet-x4` at 8 frames on the full-size outside photographs
# too; the splatting model of section 5 reaches it on the mean of the two photographs (the table
# below gives each photograph's figures).

# %%
outside_burst = np.array(outside_curves["burst"])
ise.claim("on the outside photographs the burst model gains with every added frame",
          bool((np.diff(outside_burst) > 0).all()), measured=" → ".join(f"{value:.2f}" for value in outside_burst) + " dB")
margins = {name: s["burst"]["psnr_y"] - s["shift_and_add"]["psnr_y"] for name, s in outside_per_photo.items()}
ise.claim("with 8 frames it beats shift-and-add on each outside photograph", bool(min(margins.values()) > 0),
          measured=", ".join(f"{name} {margin:+.2f} dB" for name, margin in margins.items()))
if "srresnet" in curves:
    lead_held_out = curves["burst"][-1] - curves["srresnet"][-1]
    lead_outside = outside_curves["burst"][-1] - outside_curves["srresnet"][-1]
    ise.claim("its lead over srresnet-x4 at 8 frames is smaller on the outside photographs than on the held-out ones",
              bool(lead_outside < lead_held_out),
              measured=f"outside {lead_outside:+.2f} dB, held-out {lead_held_out:+.2f} dB")
    if quick:  # this run scored crops: the full-size figure is the card's (re-measured by tests/test_pretrained_claims.py)
        eight = card["scores_outside"]["8 frames"]
        lead_full, source = eight["burst"]["psnr_y"] - eight["srresnet"]["psnr_y"], "the card's evaluate-burst run"
    else:
        lead_full, source = lead_outside, "this run"
    ise.claim("on the full-size outside photographs it leads srresnet-x4 by at least 1.5 dB at 8 frames (issue #16)",
              bool(lead_full >= 1.5), measured=f"{lead_full:+.2f} dB, {source}")

# %%
if "scores_outside" in card:
    for images, means, title in (("photos-test", card["scores"], "held-out"), ("outside", card["scores_outside"], "outside")):
        eight = means["8 frames"]
        lines = ["| photo | " + " | ".join(eight) + " |", "|---|" + "---|" * len(eight)]
        for name, row in card["per_photo_8_frames_psnr_y"][images].items():
            lines.append(f"| {name} | " + " | ".join(f"{value:.2f}" for value in row.values()) + " |")
        lines.append("| **mean** | " + " | ".join(f"**{value['psnr_y']:.2f}**" for value in eight.values()) + " |")
        display(Markdown(f"**Full-size {title} photos, 8 frames, each photo, from the card of `burst-x4` "
                         "(Y-PSNR, dB):**\n\n" + "\n".join(lines)))

# %% [markdown]
# ## 8 · Explore: frames, noise, seed
#
# Move the sliders: with one frame every method is a single-image method; add frames and watch
# the estimated shifts (crosses) land on the true ones (circles), the fusion weights spread over
# the frames, and the merged results sharpen and clean up. Turn the noise up: the classical
# merge degrades gracefully, and the robust merge starts to matter.

# %%
explorer = BurstExplorer(burst_model, photo="chelsea", size=ise.quick_or_full(128, 192), frames=8)
display(explorer.widget)

# %%
explorer.static_figure(frames=8, noise=1.0, seed=0);

# %% [markdown]
# ## Exercises
#
# Registration and the fine grid, the two halves of align-and-merge.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson06

# %% [markdown]
# **Exercise 1 · The normalised cross-power spectrum.** Write `cross_power_spectrum(reference, moving)` for two greyscale images `h×w`: the normalised
# cross-power spectrum
#
# $$R(u) = \frac{\hat m(u)\,\overline{\hat r(u)}}{\lvert\hat m(u)\,\overline{\hat r(u)}\rvert},$$
#
# a complex `h×w` tensor with $|R| = 1$. For a motion $d$ (with `moving(p) = reference(p − d)`) it is
# the pure phase ramp $e^{-2\pi i\,u\cdot d}$.
#
# <details><summary>Hint</summary>
#
# `torch.fft.fft2` of each image; `.conj()` on the **reference's** spectrum; divide by `.abs()` (clamped
# away from 0 with `.clamp_min(1e-15)`).
# </details>

# %%
import torch


def cross_power_spectrum(reference, moving):
    """R = fft2(moving)·conj(fft2(reference)) / |…|: a complex h×w tensor of magnitude 1."""
    raise NotImplementedError  # your code here

# %%
lesson06.check_cross_power_spectrum(cross_power_spectrum)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def cross_power_spectrum(reference, moving):
#     cross = torch.fft.fft2(moving) * torch.fft.fft2(reference).conj()  # (h, w) complex
#     return cross / cross.abs().clamp_min(1e-15)  # keep the phase only: |R| = 1 everywhere
# ```
# </details>

# %% [markdown]
# **Exercise 2 · Phase correlation, to the nearest pixel.** Write `phase_correlation(reference, moving)`: the integer motion `(dy, dx)` with
# `moving(p) ≈ reference(p − d)`, the course's convention. The inverse FFT of $R$ is one sharp peak at
# $d$, modulo the image size. The check moves a camera over a scene (new content enters at the edges)
# and compares your answer with the library's.
#
# <details><summary>Hint</summary>
#
# `torch.fft.ifft2(R).abs()`, then `argmax()`: row `index // width`, column `index % width`. A peak
# past the middle means a negative motion: subtract the height (or the width).
# </details>

# %%
import torch


def phase_correlation(reference, moving):
    """The integer motion (dy, dx) with moving(p) ≈ reference(p - d)."""
    raise NotImplementedError  # your code here

# %%
lesson06.check_phase_correlation(phase_correlation)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def phase_correlation(reference, moving):
#     cross = torch.fft.fft2(moving) * torch.fft.fft2(reference).conj()
#     spectrum = cross / cross.abs().clamp_min(1e-15)  # R, as in the exercise before
#     correlation = torch.fft.ifft2(spectrum).abs()  # (h, w): one sharp peak at the shift (mod h, w)
#     height, width = correlation.shape
#     peak = int(correlation.argmax())  # index into the flattened (h, w) surface
#     dy, dx = peak // width, peak % width
#     if dy > height // 2:  # past the middle: a negative shift (the FFT is periodic)
#         dy -= height
#     if dx > width // 2:
#         dx -= width
#     return dy, dx
# ```
# </details>

# %% [markdown]
# **Exercise 3 · Where shift-and-add puts each sample.** Frame $f$ moved by $d_f = (d_y, d_x)$ low-resolution pixels, so its pixel $p$ saw the scene at
# $p - d_f$. On the `scale`-times finer grid, the centre of that sample is at
#
# $$q_{fp} = s\,(p - d_f + \tfrac12) - \tfrac12.$$
#
# Write `fine_grid_positions(shifts, height, width, scale)` for `shifts` of shape `(F, 2)`: return
# `(hr_y, hr_x)`, the fine-grid row and column of every sample, each of shape `(F, height, width)`.
#
# <details><summary>Hint</summary>
#
# `torch.arange(height)` as a column `(1, h, 1)` minus `shifts[:, 0]` as `(F, 1, 1)` broadcasts to `(F, h, 1)`;
# likewise for the columns with `shifts[:, 1]`; then `.expand(F, h, w)` both.
# </details>

# %%
import torch


def fine_grid_positions(shifts, height, width, scale):
    """(hr_y, hr_x): the fine-grid position of every sample of every frame, each (F, height, width)."""
    raise NotImplementedError  # your code here

# %%
lesson06.check_fine_grid_positions(fine_grid_positions)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def fine_grid_positions(shifts, height, width, scale):
#     rows = torch.arange(height, dtype=torch.float32)[None, :, None]  # (1, h, 1)
#     cols = torch.arange(width, dtype=torch.float32)[None, None, :]  # (1, 1, w)
#     scene_y = rows - shifts[:, 0, None, None]  # (F, h, 1): frame f's pixel p saw the scene at p - d_f
#     scene_x = cols - shifts[:, 1, None, None]  # (F, 1, w)
#     hr_y = scale * (scene_y + 0.5) - 0.5  # the centre of a low-resolution pixel, in fine pixels
#     hr_x = scale * (scene_x + 0.5) - 0.5
#     frames = len(shifts)
#     return hr_y.expand(frames, height, width), hr_x.expand(frames, height, width)  # (F, h, w) each
# ```
# </details>

# %% [markdown]
# **Exercise 4 · Another library's sign.** With the course's convention, frame $f$ satisfies $y_f(p) \approx y_0(p - d_f)$. What does
# scikit-image's `phase_cross_correlation(y_0, y_f)` return for a frame with $d_f = (0.5, -1.25)$?
# Set `skimage_shift = (dy, dx)`; the check runs scikit-image on such a frame.
#
# <details><summary>Hint</summary>
#
# scikit-image returns the shift that *registers the moving image back onto the reference*.
# </details>

# %%
skimage_shift = None  # your answer, e.g. (0.0, 0.0)

# %%
lesson06.check_skimage_shift(skimage_shift)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# skimage_shift = (-0.5, 1.25)
# ```
#
# The opposite of the motion. Before comparing shifts from two
# libraries, check each one's sign on a frame whose motion you know.
# </details>

# %% [markdown]
# **Exercise 5 · In the explorer (open).** Set one frame and then two: which method gains most
# from the second frame, and why? Then raise the noise to ×4: at what number of frames does the
# burst model stop gaining?

# %% [markdown]
# ## Summary
#
# * Several sub-pixel shifted frames sample the scene more densely than one: they undo
#   aliasing, and averaging them divides the noise variance by the number of frames.
# * A synthetic burst is warp → downsample → noise, with frame 0 as reference; the true shifts
#   come with it, so registration can be checked.
# * Phase correlation finds a global shift from the phase of the cross-power spectrum, to a
#   tenth of a pixel with an upsampled DFT; scikit-image returns the opposite sign.
# * Shift-and-add puts samples back on the fine grid; a robust merge ignores outliers. Neither
#   undoes the blur of the sensor pixel: without noise, box-downsampled bursts merge to about
#   bicubic quality.
# * A learned restorer aligns features, fuses them with per-pixel softmax weights and decodes a
#   residual on top of the classical merge; its quality rises with the number of frames.
#
# ## References
#
# * G. Bhat, M. Danelljan, L. Van Gool, R. Timofte. *Deep Burst Super-Resolution.* CVPR 2021.
# * T. Brooks, B. Mildenhall, T. Xue, J. Chen, D. Sharlet, J. T. Barron. *Unprocessing Images
#   for Learned Raw Denoising.* CVPR 2019 (the shot + read noise model).
# * C. D. Kuglin, D. C. Hines. *The phase correlation image alignment method.* IEEE Conf. on
#   Cybernetics and Society, 1975.
# * M. Guizar-Sicairos, S. T. Thurman, J. R. Fienup. *Efficient subpixel image registration
#   algorithms.* Optics Letters 33(2), 2008.
# * S. Farsiu, M. D. Robinson, M. Elad, P. Milanfar. *Fast and robust multiframe super
#   resolution.* IEEE TIP 13(10), 2004.
# * B. Wronski et al. *Handheld multi-frame super-resolution.* ACM TOG (SIGGRAPH) 2019.
# * M. Irani, S. Peleg. *Improving resolution by image registration.* CVGIP 53(3), 1991.
