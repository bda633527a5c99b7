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
# Time: quick mode (what the tests and the book run) took about 14 s on a 2-core CPU, measured
# by nbval. The full run's time has not been measured yet (no GPU was available when this
# lesson was written); expect longer, and see the pretrained models' cards for full trainings.

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("06_multi_frame_restoration"))
device = ise.get_device()
ise.seed_everything(0)

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from imgsynth_edu import pretrained, viz
from imgsynth_edu.classical import estimate_shifts, phase_correlation, robust_merge, shift_and_add
from imgsynth_edu.data import bicubic_upscale, load_photo, photo_set
from imgsynth_edu.data.bursts import DEFAULT_NOISE, BurstDataset, synthetic_burst
from imgsynth_edu.evaluation import evaluate_burst
from imgsynth_edu.metrics.image import sr_metrics
from imgsynth_edu.models.burst import BurstSR
from imgsynth_edu.training.sr import RestorationTrainer
from imgsynth_edu.widgets.burst import BurstExplorer

quick = ise.is_quick_mode()

# %% [markdown]
# ## 1 · Why several frames beat one: a 1-D picture
#
# Take a signal with detail finer than the sensor: a sine of frequency $f = 0.35$ cycles per
# fine sample, recorded by a sensor that keeps one sample in $s = 4$. The coarse samples are
# $1/s = 0.25$ apart in frequency terms, so they can only represent frequencies up to the
# Nyquist limit $1/(2s) = 0.125$: the sine is **aliased**, it shows up as a slow false wave of
# frequency $|0.35 - 0.25| = 0.1$ (the fold $f \to |f - k/s|$). No amount of cleverness
# recovers the true sine from *those* samples alone: a slow wave fits them exactly.
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
# Two more things make the 2-D story less rosy, and the rest of the lesson is about them:
#
# * each sensor pixel does not *point*-sample the scene: it averages the light over its area
#   (and the lens blurs first). Merging frames puts these *blurred* samples on the fine grid;
#   it undoes the aliasing but not the blur;
# * every frame is noisy. Averaging $F$ frames divides the noise variance by $F$.
#
# ## 2 · Generating bursts
#
# We follow the synthetic pipeline of Bhat et al. (2021, *Deep Burst Super-Resolution*, Sec. 4):
# frame $f$ of a burst made from a high-resolution image $x$ is
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

# %% [markdown]
# ## 4 · Shift-and-add, and its limits
#
# Knowing the shifts, every low-resolution sample $y_f(p)$ goes back where it was taken: at
# fine-grid position $q_{fp} = s\,(p - d_f + \tfrac12) - \tfrac12$. Splat each sample there
# with a small Gaussian kernel $k$ and normalise (normalised convolution; Farsiu et al. 2004):
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

# %% [markdown]
# ## 5 · A learned burst restorer, piece by piece
#
# `BurstSR` follows the design of Bhat et al. (2021, Fig. 2), shrunk to train on a CPU:
#
# 1. a shared **encoder** turns every frame into features (a convolution and two residual blocks);
# 2. **alignment**: a small flow network looks at a frame's features next to the reference's and
#    predicts, per pixel, a correction to the phase-correlation shift; `grid_sample` reads the
#    frame's features at $p + d_f + \Delta(p)$, which lands them on the reference;
# 3. **fusion**: a per-pixel logit for every frame, from the aligned features, the reference's,
#    their difference and the sub-pixel part of the flow; a softmax across frames turns logits
#    into weights $w_f(p) \ge 0$, $\sum_f w_f(p) = 1$, and the fused features are
#    $\sum_f w_f\,\phi_f$. Nothing depends on the number of frames: one frame works too.
# 4. a **decoder** (residual blocks, two PixelShuffle ×2 stages) predicts the *residual* on top
#    of a skip from the upsampled reference: the classical shift-and-add merge of the burst
#    (bicubic when there is a single frame). The decoder's last layer starts at zero, so the
#    untrained model *is* shift-and-add, and training only has to add what it cannot do.

# %%
model_pieces = BurstSR(scale=4, features=24)
for name, child in model_pieces.named_children():
    print(f"{name:<10} {sum(p.numel() for p in child.parameters()):>7,} parameters")
source = inspect.getsource(BurstSR.forward)
print(source[source.index("        features = self.encoder"):source.index("        if return_details")])

# %% [markdown]
# ## 6 · Training (quick here; the bundled model ran the full recipe)
#
# The training data are random 80×80 patches of the **training** photographs, each turned into a
# fresh 8-frame burst; the loss is L1; the loop is the restoration trainer of lesson 05, which
# takes bursts (`N×F×C×h×w`) as they are. Quick mode runs a few steps of a tiny model to show
# the loop; the bundled `burst-x4` was trained by the command on its card.

# %%
steps = ise.quick_or_full(20, 600)
features = ise.quick_or_full(8, 24)
train_set = BurstDataset(photo_set("train"), frames=8, scale=4, patch_size=ise.quick_or_full(48, 80), length=10_000)
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
# ## 9 · Exercises
#
# **Exercise 1.** With the shift convention of this course, frame $f$ satisfies
# $y_f(p) \approx y_0(p - d_f)$. What does scikit-image's `phase_cross_correlation(y_0, y_f)`
# return for a frame with $d_f = (0.5, -1.25)$? Put your answer below; the check cell runs it.
#
# <details><summary>Hint</summary>
#
# scikit-image returns the shift that *registers the moving image back onto the reference*:
# the opposite of the motion, so $(-0.5, 1.25)$.
# </details>

# %%
skimage_answer = None  # your answer, e.g. (0.0, 0.0)

# %%
def check_exercise_1(answer):
    if answer is None:
        print("Exercise 1: not answered yet (set skimage_answer above and re-run this cell).")
        return
    test = synthetic_burst(crop, frames=2, scale=4, noise="none", max_shift=0.0, seed=0)
    from imgsynth_edu.data.bursts import warp_image
    from imgsynth_edu.data import bicubic_downscale
    moved = bicubic_downscale(warp_image(crop, (0.5 * 4, -1.25 * 4))[None], 4)[0]
    measured = phase_cross_correlation(test.frames[0].mean(0).numpy(), moved.mean(0).numpy(), upsample_factor=20)[0]
    ok = np.allclose(np.asarray(answer, dtype=float), measured, atol=0.15)
    print(f"Exercise 1: {'correct' if ok else 'not quite'}: scikit-image returns {np.round(measured, 2)}.")


check_exercise_1(skimage_answer)

# %% [markdown]
# **Exercise 2.** Without noise and with box downsampling, shift-and-add of 8 frames only
# matched bicubic. Predict: with the default *noise* (and box downsampling), does shift-and-add
# beat bicubic of frame 0? Set `noisy_box_beats_bicubic` to `True` or `False`.
#
# <details><summary>Hint</summary>
#
# Averaging 8 frames divides the noise variance by about 8, and bicubic of one frame keeps all
# of it. The blur is the same for both.
# </details>

# %%
noisy_box_beats_bicubic = None  # True or False

# %%
def check_exercise_2(answer):
    if answer is None:
        print("Exercise 2: not answered yet (set noisy_box_beats_bicubic above and re-run this cell).")
        return
    noisy = synthetic_burst(crop, frames=8, scale=4, downsampling="box", seed=0)
    merged = float(sr_metrics(shift_and_add(noisy.frames[None], noisy.shifts[None], 4), noisy.target[None], 4)["psnr_y"])
    single = float(sr_metrics(bicubic_upscale(noisy.frames[:1], 4), noisy.target[None], 4)["psnr_y"])
    truth = merged > single
    print(f"Exercise 2: {'correct' if answer == truth else 'not quite'}: shift-and-add {merged:.2f} dB, "
          f"bicubic {single:.2f} dB.")


check_exercise_2(noisy_box_beats_bicubic)

# %% [markdown]
# **Exercise 3** (open). In the explorer, set one frame and then two: which method gains most
# from the second frame, and why? Then raise the noise to ×4: at what number of frames does the
# burst model stop gaining?
#
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
