"""The graded exercises: every check accepts its solution, rejects typical wrong answers by name,
and lets an untouched stub through with "not attempted yet".

For every exercise the test runs exactly what a lesson shows (the stub cell, the solution folded
under the check, the check cell, from ``lessonNN.cells()``), and for every code exercise at least
two wrong answers (the ones popular tutorials publish among them) must raise an ``ExerciseError``
whose message names that mistake.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imgsynth_edu import losses
from imgsynth_edu.data import bicubic_downscale, crop_to_multiple
from imgsynth_edu.exercises import ExerciseError

REPO = Path(__file__).resolve().parents[1]
LESSON_NUMBERS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09")
MODULES = {number: importlib.import_module(f"imgsynth_edu.exercises.lesson{number}") for number in LESSON_NUMBERS}
ALL_EXERCISES = [(number, item) for number, module in MODULES.items() for item in module.EXERCISES]


def _id(case) -> str:
    number, item = case
    return f"lesson{number}-{item.name}"


def _python_block(markdown: str) -> str:
    """The code of the ```python block in a solution's markdown."""
    match = re.search(r"```python\n(.*?)```", markdown, flags=re.S)
    assert match, f"no ```python block in:\n{markdown}"
    return match.group(1)


def _run_cells(number: str, *sources: str) -> str:
    """Run code cells in one fresh namespace, as a notebook would; return what they printed."""
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(f"from imgsynth_edu.exercises import lesson{number}", namespace)  # the section's first cell
        for source in sources:
            exec(source, namespace)
    return printed.getvalue()


# ----------------------------------------------------------------------------
# What the issues ask for: >= 3 exercises per lesson, >= 2 of them code a check judges
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("number", LESSON_NUMBERS)
def test_each_lesson_has_three_exercises_two_of_them_code(number):
    exercises = MODULES[number].EXERCISES
    code = [item for item in exercises if callable(item.solution)]
    assert len(exercises) >= 3 and len(code) >= 2
    for item in exercises:
        check = getattr(MODULES[number], f"check_{item.name}")
        assert check.exercise_name == item.name
        assert f"check_{item.name}(" in item.check_call
        if callable(item.solution):
            assert getattr(MODULES[number].solutions, item.name) is item.solution
        elif (number, item.name) != ("05", "bicubic_clock_x3"):  # that one is measured, not a constant
            assert hasattr(MODULES[number].solutions, item.name)
        assert item.stub.lstrip().startswith((f"def {item.name}(", f"{item.name} = ")) or f"\ndef {item.name}(" in item.stub


# ----------------------------------------------------------------------------
# The cells a lesson shows: the solution passes, the untouched stub is "not attempted yet"
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", ALL_EXERCISES, ids=_id)
def test_the_solution_shown_passes_its_check(case):
    number, item = case
    printed = _run_cells(number, item.stub, _python_block(item.solution_markdown()), item.check_call)
    assert printed.startswith(f"✓ {item.name}: correct ("), printed


@pytest.mark.parametrize("case", ALL_EXERCISES, ids=_id)
def test_the_untouched_stub_is_not_attempted_and_does_not_raise(case):
    number, item = case
    printed = _run_cells(number, item.stub, item.check_call)
    assert printed.startswith(f"… {item.name}: not attempted yet"), printed
    assert printed.count("\n") == 1  # one line


@pytest.mark.parametrize("case", [c for c in ALL_EXERCISES if callable(c[1].solution)], ids=_id)
def test_the_solutions_module_passes(case, capsys):
    number, item = case
    module = MODULES[number]
    assert getattr(module, f"check_{item.name}")(getattr(module.solutions, item.name)) is None
    assert capsys.readouterr().out.startswith(f"✓ {item.name}: correct")


# ----------------------------------------------------------------------------
# Wrong answers, each rejected with a message that names the mistake
# ----------------------------------------------------------------------------
def _psnr_with(peak=1.0, epsilon=0.0, pooled=False):
    def psnr(pred, target):
        squared = (pred - target) ** 2
        mse = squared.mean() if pooled else squared.mean(dim=(1, 2, 3))
        return 10 * torch.log10(peak**2 / (mse + epsilon))
    return psnr


def _noise_with(scale=1.0, clamp=True, uniform=False, use_generator=True, variance=False):
    def add_gaussian_noise(images, sigma, generator):
        draw = torch.rand if uniform else torch.randn
        noise = draw(images.shape, generator=generator) if use_generator else draw(images.shape)
        noisy = images + scale * (sigma**2 if variance else sigma) * noise
        return noisy.clamp(0, 1) if clamp else noisy
    return add_gaussian_noise


def _nchw_reshape(array):  # reshape instead of permute: right shape, scrambled pixels
    array = array.reshape(array.shape[0], array.shape[1], -1)
    return (torch.from_numpy(array.copy()).reshape(1, array.shape[2], array.shape[0], array.shape[1]).float() / 255)


def _nchw_channels_last(array):
    array = array.reshape(array.shape[0], array.shape[1], -1)
    return torch.from_numpy(array.copy()).float()[None] / 255


def _nchw_not_scaled(array):
    array = array.reshape(array.shape[0], array.shape[1], -1)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float()[None]


def _nchw_float64(array):
    array = array.reshape(array.shape[0], array.shape[1], -1)
    return torch.from_numpy(array / 255.0).permute(2, 0, 1)[None]


def _step(d_loss_of, g_loss_of, *, detach=True, zero_d=True, zero_g=True, g_optimizer="g", reuse=False):
    """A training step with one thing changed at a time (the rest as Algorithm 1)."""
    def training_step(generator, discriminator, opt_g, opt_d, real, latent_dim):
        z = torch.randn(len(real), latent_dim)
        fake = generator(z)
        d_loss = d_loss_of(discriminator(real), discriminator(fake.detach() if detach else fake))
        if zero_d:
            opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        if not reuse:
            fake = generator(torch.randn(len(real), latent_dim))
        g_loss = g_loss_of(discriminator(fake))
        if zero_g:
            opt_g.zero_grad()
        g_loss.backward()
        (opt_g if g_optimizer == "g" else opt_d).step()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
    return training_step


D_LOSS, G_LOSS = losses.d_loss_minimax, losses.g_loss_non_saturating


def _dcgan_tutorial_step(generator, discriminator, opt_g, opt_d, real, latent_dim):
    """The PyTorch DCGAN tutorial's correct pattern: one fake batch, detached for D, reused for G."""
    bce = torch.nn.BCEWithLogitsLoss()
    discriminator.zero_grad()
    output = discriminator(real)
    bce(output, torch.ones_like(output)).backward()
    fake = generator(torch.randn(len(real), latent_dim))
    output = discriminator(fake.detach())
    bce(output, torch.zeros_like(output)).backward()
    opt_d.step()
    generator.zero_grad()
    output = discriminator(fake)
    g_loss = bce(output, torch.ones_like(output))
    g_loss.backward()
    opt_g.step()
    return {"d_loss": 0.0, "g_loss": g_loss.item()}


def _step_on_module(generator, discriminator, opt_g, opt_d, real, latent_dim):
    d_loss = D_LOSS(discriminator(real), discriminator(generator(torch.randn(len(real), latent_dim)).detach()))
    opt_d.zero_grad()
    d_loss.backward()
    discriminator.step()


def _slerp_lerp(z0, z1, t):
    return (1 - t) * z0 + t * z1


def _slerp_unnormalised(z0, z1, t):  # acos of the raw dot product
    omega = torch.acos((z0 * z1).sum(dim=1, keepdim=True).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def _slerp_no_fallback(z0, z1, t):
    cos = (z0 * z1).sum(dim=1, keepdim=True) / (z0.norm(dim=1, keepdim=True) * z1.norm(dim=1, keepdim=True))
    omega = torch.acos(cos.clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def _y_psnr_with(weights, offset, *, crop=True, rgb=False):
    def y_psnr(pred, target, scale):
        if rgb:
            pred_y, target_y = pred, target
        else:
            w = torch.tensor(weights).view(1, 3, 1, 1)
            pred_y, target_y = (pred * w).sum(1, keepdim=True) + offset, (target * w).sum(1, keepdim=True) + offset
        if crop:
            pred_y, target_y = pred_y[..., scale:-scale, scale:-scale], target_y[..., scale:-scale, scale:-scale]
        return (10 * torch.log10(1 / ((pred_y - target_y) ** 2).mean(dim=(1, 2, 3)))).mean()
    return y_psnr


STUDIO = (65.481 / 255, 128.553 / 255, 24.966 / 255)


def _ssim_with(c1, c2, *, use_range=True):
    def ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range=1.0):
        r = data_range if use_range else 1.0
        k1, k2 = c1(r), c2(r)
        return ((2 * mu_x * mu_y + k1) / (mu_x**2 + mu_y**2 + k1)) * ((2 * cov_xy + k2) / (var_x + var_y + k2))
    return ssim_map


def _kid_with(*, biased=False, by_dimension=True):
    def kid_mmd2(real, fake):
        m, d = real.shape
        d = d if by_dimension else 1
        k = lambda a, b: (a @ b.T / d + 1) ** 3  # noqa: E731
        k_rr, k_ff = k(real, real), k(fake, fake)
        if biased:
            same = (k_rr.sum() + k_ff.sum()) / m**2
        else:
            same = (k_rr.sum() - k_rr.diagonal().sum() + k_ff.sum() - k_ff.diagonal().sum()) / (m * (m - 1))
        return same - 2 * k(real, fake).sum() / m**2
    return kid_mmd2


def _pixel_shuffle_transposed(x, r):
    n, channels, h, w = x.shape
    c = channels // (r * r)
    return x.reshape(n, c, r, r, h, w).permute(0, 1, 4, 3, 5, 2).reshape(n, c, h * r, w * r)


def _pair_interpolate(photo, scale):
    high = crop_to_multiple(photo[None], scale)
    return F.interpolate(high, scale_factor=1 / scale, mode="bicubic", align_corners=False), high


def _pair_box(photo, scale):
    high = crop_to_multiple(photo[None], scale)
    return F.avg_pool2d(high, scale), high


def _pair_swapped(photo, scale):
    high = crop_to_multiple(photo[None], scale)
    return high, bicubic_downscale(high, scale)


def _phase_correlation_with(*, normalise=True, wrap=True, sign=1, row_length="width"):
    def phase_correlation(reference, moving):
        cross = torch.fft.fft2(moving) * torch.fft.fft2(reference).conj()
        if normalise:
            cross = cross / cross.abs().clamp_min(1e-15)
        surface = torch.fft.ifft2(cross).abs()
        height, width = surface.shape
        index = int(surface.argmax())
        length = width if row_length == "width" else height
        dy, dx = index // length, index % length
        if wrap:
            dy, dx = (dy - height if dy > height // 2 else dy), (dx - width if dx > width // 2 else dx)
        return sign * dy, sign * dx
    return phase_correlation


def _positions_with(*, sign=-1.0, half=0.5):
    def fine_grid_positions(shifts, height, width, scale):
        rows = torch.arange(height, dtype=torch.float32)[None, :, None]
        cols = torch.arange(width, dtype=torch.float32)[None, None, :]
        hr_y = scale * (rows + sign * shifts[:, 0, None, None] + half) - half
        hr_x = scale * (cols + sign * shifts[:, 1, None, None] + half) - half
        return hr_y.expand(len(shifts), height, width), hr_x.expand(len(shifts), height, width)
    return fine_grid_positions


# lesson 08: wrong answers built from the right one with one thing changed
def _input_gradient(model, images, score):
    leaf = images.clone().requires_grad_(True)
    return torch.autograd.grad(score(model(leaf)).sum(), leaf)[0]


def _riemann_with(first=1, times="difference", average=True):
    def integrated_gradients_riemann(model, image, target, baseline, steps):
        total = torch.zeros_like(image)
        for k in range(first, first + steps):
            point = (baseline + k / steps * (image - baseline)).detach()
            total += _input_gradient(model, point, lambda out: out[:, target])
        mean = total / steps if average else total
        return {"difference": (image - baseline) * mean, "image": image * mean, "nothing": mean}[times]

    return integrated_gradients_riemann


def _verdict_with(combine="and", absolute=True):
    def passes_randomisation(original_map, randomised_map):
        from scipy.stats import spearmanr

        from imgsynth_edu.metrics import ssim

        def normalised(attribution):
            magnitude = (attribution.abs() if absolute else attribution).amax(dim=1, keepdim=True)
            return (magnitude / attribution.abs().max()).clamp(0, 1)

        a, b = normalised(original_map), normalised(randomised_map)
        low_structure = float(ssim(b, a, data_range=1.0)) < 0.5
        low_ranks = spearmanr(a.flatten().numpy(), b.flatten().numpy()).statistic < 0.5
        return bool(low_structure and low_ranks) if combine == "and" else bool(low_structure or low_ranks)

    return passes_randomisation


def _data_parallel_with(divide=True, ranks=None, reduction="mean", zero_grad=True, whole_batch=False):
    """lesson 09's DDP gradient with one thing changed: no division, one rank, summed loss, no zero_grad, no sharding."""
    def data_parallel_gradient(model, loss_function, inputs, targets, world_size):
        if whole_batch:
            loss = loss_function(model(inputs), targets)
            return [g / 1 for g in torch.autograd.grad(loss, list(model.parameters()))]
        collected = []
        for rank in range(ranks or world_size):
            if zero_grad:
                model.zero_grad()
            output = model(inputs[rank::world_size])
            loss = F.mse_loss(output, targets[rank::world_size], reduction=reduction)
            loss.backward()
            collected.append([p.grad.clone() for p in model.parameters()])
        total = [sum(same) for same in zip(*collected)]
        return [t / len(collected) for t in total] if divide else total
    return data_parallel_gradient


def _int8_with(rounding=True, clamping=True, scale_from="max", low=-127):
    """lesson 09's int8 fake quantisation with one thing changed."""
    def fake_quantize_int8(values, calibration):
        source = values if scale_from == "values" else calibration
        scale = (source.abs().mean() if scale_from == "mean" else source.abs().max()) / 127
        codes = values / scale
        codes = torch.round(codes) if rounding else codes
        codes = codes.clamp(low, 127) if clamping else codes
        return codes * scale
    return fake_quantize_int8


#: (lesson, exercise, wrong answer, words its message must contain)
WRONG_ANSWERS = [
    # lesson 00
    ("00", "psnr", _psnr_with(peak=255.0), "MAX = 255"),
    ("00", "psnr", _psnr_with(epsilon=1e-10), "expected inf"),
    ("00", "psnr", _psnr_with(pooled=True), "one number"),
    ("00", "psnr", lambda p, t: 10 * torch.log10(((p - t) ** 2).mean(dim=(1, 2, 3))), "wrong sign"),
    ("00", "add_gaussian_noise", _noise_with(clamp=False), "outside [0, 1]"),
    ("00", "add_gaussian_noise", _noise_with(scale=255.0), "0–255"),
    ("00", "add_gaussian_noise", _noise_with(variance=True), "σ²"),
    ("00", "add_gaussian_noise", _noise_with(uniform=True), "not zero-mean"),
    ("00", "add_gaussian_noise", _noise_with(use_generator=False), "generator is ignored"),
    ("00", "to_nchw", _nchw_channels_last, "channels last"),
    ("00", "to_nchw", _nchw_reshape, "wrong places"),
    ("00", "to_nchw", _nchw_not_scaled, "up to 255"),
    ("00", "to_nchw", _nchw_float64, "float64"),
    ("00", "sigma_for_30_db", 1e-3, "−10·log10 σ"),
    ("00", "sigma_for_30_db", 255 * 10 ** -1.5, "0–255"),
    # lesson 01: the generator's loss
    ("01", "generator_loss", lambda d: -F.softplus(d).mean(), "saturating"),
    ("01", "generator_loss", lambda d: F.binary_cross_entropy_with_logits(d, torch.zeros_like(d)), "fake label"),
    ("01", "generator_loss", lambda d: -torch.log(torch.sigmoid(d)).mean(), "underflows"),
    ("01", "generator_loss", lambda d: F.binary_cross_entropy(torch.sigmoid(d), torch.ones_like(d)), "clamps log"),
    ("01", "generator_loss", lambda d: -d.mean(), "raw scores"),
    ("01", "generator_loss", lambda d: F.softplus(-d).mean().item(), "return a tensor"),
    # lesson 01: the training step (the tutorials' mistakes)
    ("01", "training_step", _step(D_LOSS, G_LOSS, detach=False), "not detached"),
    ("01", "training_step", _step(D_LOSS, G_LOSS, g_optimizer="d"), "opt_g.step() never"),
    ("01", "training_step", _step(D_LOSS, lambda s: F.binary_cross_entropy_with_logits(s, torch.zeros_like(s))),
     "descends the discriminator's loss"),
    ("01", "training_step", _step(D_LOSS, losses.g_loss_saturating), "minimax (saturating)"),
    ("01", "training_step", _step(D_LOSS, G_LOSS, zero_d=False), "zero_grad() was forgotten"),
    ("01", "training_step", _step(D_LOSS, G_LOSS, zero_g=False), "G's gradients still held leftovers"),
    ("01", "training_step", _step(lambda r, f: f.mean() - r.mean(), lambda s: -s.mean()), "raw D outputs"),
    ("01", "training_step", _step(lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(), G_LOSS), "labels are swapped"),
    ("01", "training_step", _step_on_module, "belongs to the optimizer"),
    ("01", "training_step", _step(D_LOSS, lambda s: F.softplus(-s).sum()), "sum over the batch"),
    ("01", "training_step", _step(D_LOSS, lambda s: -s.mean()), "raw D outputs"),
    ("01", "optimal_discriminator", lambda p_data, p_g: p_g / (p_data + p_g), "fake"),
    ("01", "optimal_discriminator", lambda p_data, p_g: p_data / p_g, "density ratio"),
    ("01", "larger_gradient", "non-saturating", "0.90 (saturating)"),
    ("01", "larger_gradient", "both", "answer 'saturating' or 'non-saturating'"),
    # lesson 02
    ("02", "transposed_conv_output_size", lambda s, k, st, p, op=0: (s + 2 * p - k) // st + 1, "ordinary convolution"),
    ("02", "transposed_conv_output_size", lambda s, k, st, p, op=0: (s - 1) * st + 2 * p + k + op, "wrong sign"),
    ("02", "transposed_conv_output_size", lambda s, k, st, p, op=0: (s - 1) * st - 2 * p + k, "output_padding"),
    ("02", "transposed_conv_output_size", lambda s, k, st, p, op=0: s * st, "ignores the kernel"),
    ("02", "slerp", _slerp_lerp, "linear interpolation"),
    ("02", "slerp", _slerp_unnormalised, "NaN"),
    ("02", "slerp", _slerp_no_fallback, "parallel latents"),
    ("02", "slerp", lambda z0, z1, t: importlib.import_module("imgsynth_edu.models.gan").slerp(z1, z0, t), "swapped"),
    ("02", "digit_shares", lambda logits: torch.bincount(logits.argmax(1), minlength=10), "counts"),
    ("02", "digit_shares", lambda logits: torch.unique(logits.argmax(1), return_counts=True)[1] / len(logits),
     "never drawn"),
    ("02", "digit_shares", lambda logits: logits.softmax(dim=1).mean(dim=0), "averaged the probabilities"),
    # lesson 03
    ("03", "conditional_input", lambda z, labels, e: z + e(labels), "adding z and e(y)"),
    ("03", "conditional_input", lambda z, labels, e: torch.cat([z, e(labels)], dim=0), "along the batch"),
    ("03", "conditional_input", lambda z, labels, e: torch.cat([e(labels), z], dim=1), "order is swapped"),
    ("03", "conditional_input", lambda z, labels, e: torch.cat([z, F.one_hot(labels, 10).float()], dim=1), "one-hot"),
    ("03", "projection_logit", lambda phi, y, psi, e: psi(phi) + (e(y) * phi).sum(dim=1), "squeeze(1)"),
    ("03", "projection_logit", lambda phi, y, psi, e: psi(phi).squeeze(1) + e(y) @ phi.T, "every label against every image"),
    ("03", "projection_logit", lambda phi, y, psi, e: (e(y) * phi).sum(dim=1), "ψ(φ(x))"),
    ("03", "projection_logit", lambda phi, y, psi, e: psi(phi).squeeze(1), "ignore the label"),
    ("03", "masked_l1", lambda f, t, m: (m * (f - t).abs()).mean(), "every pixel"),
    ("03", "masked_l1", lambda f, t, m: ((1 - m) * (f - t).abs()).sum() / (1 - m).expand_as(f).sum(), "known pixels"),
    ("03", "masked_l1", lambda f, t, m: (m * (f - t) ** 2).sum() / m.expand_as(f).sum(), "squared error"),
    ("03", "masked_l1", lambda f, t, m: (m * (f - t).abs()).sum() / m.sum(), "pixels × channels"),
    ("03", "l1_l2_minimisers", (0.7, 0.7), "median"),
    ("03", "l1_l2_minimisers", (0.7, 1.0), "swapped"),
    # lesson 04
    ("04", "y_psnr", _y_psnr_with(STUDIO, 16 / 255, rgb=True), "RGB channels"),
    ("04", "y_psnr", _y_psnr_with(STUDIO, 16 / 255, crop=False), "no border crop"),
    ("04", "y_psnr", _y_psnr_with((0.299, 0.587, 0.114), 0.0), "full-range Y"),
    ("04", "ssim_map", _ssim_with(lambda r: 0.0, lambda r: 0.0), "C1 and C2 are missing"),
    ("04", "ssim_map", _ssim_with(lambda r: 0.01 * r, lambda r: 0.03 * r), "not squared"),
    ("04", "ssim_map", _ssim_with(lambda r: (0.01 * r) ** 2, lambda r: (0.03 * r) ** 2, use_range=False),
     "data_range is ignored"),
    ("04", "kid_mmd2", _kid_with(biased=True), "biased"),
    ("04", "kid_mmd2", _kid_with(by_dimension=False), "dimension d"),
    ("04", "studio_swing_db", -20 * math.log10(255 / 219), "sign is wrong"),
    ("04", "studio_swing_db", 10 * math.log10(255 / 219), "half"),
    ("04", "covariance_rank", 50, "sum to zero"),
    ("04", "covariance_rank", 128, "cannot have full rank"),
    # lesson 05
    ("05", "pixel_shuffle", lambda x, r: x.reshape(x.shape[0], x.shape[1] // r**2, x.shape[2] * r, x.shape[3] * r),
     "plain reshape"),
    ("05", "pixel_shuffle", _pixel_shuffle_transposed, "transposed"),
    ("05", "pixel_shuffle", lambda x, r: torch.nn.PixelShuffle(r)(x), "switched off"),
    ("05", "srgan_generator_loss", lambda sr, hr, d: ((sr - hr) ** 2).mean() + F.softplus(-d).mean(), "weight 1"),
    ("05", "srgan_generator_loss", lambda sr, hr, d: ((sr - hr) ** 2).mean() - 1e-3 * F.softplus(d).mean(), "saturating"),
    ("05", "srgan_generator_loss", lambda sr, hr, d: ((sr - hr) ** 2).mean(), "SRResNet's loss"),
    ("05", "lr_hr_pair", _pair_interpolate, "does not low-pass"),
    ("05", "lr_hr_pair", _pair_box, "box average"),
    ("05", "lr_hr_pair", _pair_swapped, "swapped"),
    ("05", "lr_hr_pair", lambda photo, scale: (bicubic_downscale(photo[None], scale), photo[None]), "crop_to_multiple"),
    # lesson 06
    ("06", "cross_power_spectrum", lambda r, m: torch.fft.fft2(m) * torch.fft.fft2(r).conj(), "not normalised"),
    ("06", "cross_power_spectrum", lambda r, m: importlib.import_module(
        "imgsynth_edu.exercises.solutions.lesson06").cross_power_spectrum(m, r), "conjugate is on the wrong spectrum"),
    ("06", "phase_correlation", _phase_correlation_with(sign=-1), "scikit-image's convention"),
    ("06", "phase_correlation", _phase_correlation_with(normalise=False), "plain cross-correlation"),
    ("06", "phase_correlation", _phase_correlation_with(wrap=False), "negative shifts"),
    ("06", "phase_correlation", _phase_correlation_with(row_length="height"), "divide by the width"),
    ("06", "fine_grid_positions", _positions_with(sign=1.0), "p + d_f"),
    ("06", "fine_grid_positions", _positions_with(half=0.0), "off by 1.5 fine pixels"),
    ("06", "skimage_shift", (0.5, -1.25), "course's convention"),
    # lesson 07
    ("07", "noisy_sample", lambda x0, t, e, a: _alpha_bar(a, t, x0) * x0 + (1 - _alpha_bar(a, t, x0)) * e, "variances"),
    ("07", "noisy_sample", lambda x0, t, e, a: _alpha_bar(a, t - 1, x0).sqrt() * x0
     + (1 - _alpha_bar(a, t - 1, x0)).sqrt() * e, "one step off"),
    ("07", "noisy_sample", lambda x0, t, e, a: _alpha_bar(a, t, x0).sqrt() * x0 + (1 - _alpha_bar(a, t, x0).sqrt()) * e,
     "not sum to 1"),
    ("07", "noisy_sample", lambda x0, t, e, a: a[t].sqrt() * x0 + (1 - a[t]).sqrt() * e, "shape"),
    ("07", "simple_loss", lambda d, x0, t, e, a: F.mse_loss(d(_noisy(x0, t, e, a), t), x0), "predicts the noise"),
    ("07", "simple_loss", lambda d, x0, t, e, a: F.mse_loss(d(x0, t), e), "clean x_0"),
    ("07", "simple_loss", lambda d, x0, t, e, a: ((d(_noisy(x0, t, e, a), t) - e) ** 2).sum(), "summed"),
    ("07", "simple_loss", lambda d, x0, t, e, a: F.mse_loss(d(_noisy(x0, t, e, a), t), e).item(), "one number"),
    ("07", "ddim_step", lambda xt, e, t, s, a: (xt - (1 - a[t]).sqrt() * e) / a[t].sqrt(), "predicted x_0"),
    ("07", "ddim_step", lambda xt, e, t, s, a: a[s].sqrt() * (xt + (1 - a[t]).sqrt() * e) / a[t].sqrt()
     + (1 - a[s]).sqrt() * e, "wrong sign"),
    ("07", "ddim_step", lambda xt, e, t, s, a: a[s].sqrt() * (xt - (1 - a[t]).sqrt() * e) / a[t].sqrt(),
     "direction to x_t"),
    ("07", "guided_evaluations", 50, "*and*"),
    ("07", "guided_evaluations", 1000, "jumps along 50"),
    # lesson 08
    ("08", "gradient_saliency", lambda m, x, c: _input_gradient(m, x, lambda out: out[torch.arange(len(x)), c]),
     "keeps the gradient's sign"),
    ("08", "gradient_saliency", lambda m, x, c: _input_gradient(
        m, x, lambda out: out.softmax(1)[torch.arange(len(x)), c]).abs(), "softmax probability"),
    ("08", "gradient_saliency", lambda m, x, c: _input_gradient(m, x, lambda out: out.sum(1)).abs(),
     "sum of all class scores"),
    ("08", "gradient_saliency", lambda m, x, c: (x * _input_gradient(
        m, x, lambda out: out[torch.arange(len(x)), c])).abs(), "gradient × input"),
    ("08", "integrated_gradients_riemann", _riemann_with(first=0), "left Riemann sum"),
    ("08", "integrated_gradients_riemann", _riemann_with(times="nothing"), "multiply the average gradient by (x − x')"),
    ("08", "integrated_gradients_riemann", _riemann_with(times="image"), "not by x"),
    ("08", "integrated_gradients_riemann", _riemann_with(average=False), "8× too large"),
    ("08", "passes_randomisation", _verdict_with(combine="or"), "pair 'same ranks'"),
    ("08", "passes_randomisation", _verdict_with(absolute=False), "pair 'negated and scaled'"),
    # lesson 09
    ("09", "data_parallel_gradient", _data_parallel_with(divide=False), "summed, not averaged"),
    ("09", "data_parallel_gradient", _data_parallel_with(ranks=1), "rank 0's gradient alone"),
    ("09", "data_parallel_gradient", _data_parallel_with(reduction="sum"), "*mean* over its items"),
    ("09", "data_parallel_gradient", _data_parallel_with(zero_grad=False), "not zeroed"),
    ("09", "data_parallel_gradient", _data_parallel_with(whole_batch=True), "saw all 12 items at once"),
    ("09", "fake_quantize_int8", _int8_with(rounding=False), "not rounded"),
    ("09", "fake_quantize_int8", _int8_with(clamping=False), "saturate"),
    ("09", "fake_quantize_int8", _int8_with(scale_from="mean"), "not from its mean"),
    ("09", "fake_quantize_int8", _int8_with(scale_from="values"), "not from the values being quantised"),
    ("09", "fake_quantize_int8", _int8_with(low=-128), "−128 is left out"),
    ("09", "global_batch_and_lr", (16, 1e-4), "*global* batch"),
    ("09", "global_batch_and_lr", (64, 1e-4), "linear scaling"),
    ("09", "global_batch_and_lr", (64, 2e-4), "square-root rule"),
]


def _alpha_bar(alpha_bars, t, like):
    return alpha_bars[t].view(-1, *([1] * (like.ndim - 1)))  # (N, 1, ...)


def _noisy(x0, t, noise, alpha_bars):
    return _alpha_bar(alpha_bars, t, x0).sqrt() * x0 + (1 - _alpha_bar(alpha_bars, t, x0)).sqrt() * noise


@pytest.mark.parametrize(
    "number, name, wrong, words", WRONG_ANSWERS,
    ids=[f"lesson{n}-{name}-{i}" for i, (n, name, _, _) in enumerate(WRONG_ANSWERS)],
)
def test_a_wrong_answer_is_rejected_and_named(number, name, wrong, words, capsys):
    check = getattr(MODULES[number], f"check_{name}")
    with pytest.raises(ExerciseError) as caught:
        check(wrong)
    message = str(caught.value)
    assert message.startswith(f"✗ {name}: ")
    assert words in message, message
    assert isinstance(caught.value, AssertionError)  # so the notebook cell fails
    assert "correct" not in capsys.readouterr().out


@pytest.mark.parametrize("key, words", [("psnr_rgb", "RGB PSNR (with the crop)"), ("psnr_y_no_crop", "without the border crop"),
                                        ("psnr_rgb_no_crop", "RGB PSNR of the whole image")])
def test_a_wrong_convention_for_the_clock_row_is_named(key, words):
    """The same bicubic pixels under another convention (values measured, so built here, not at collection)."""
    value = MODULES["05"]._clock_x3()[key]
    with pytest.raises(ExerciseError, match=re.escape(words)):
        MODULES["05"].check_bicubic_clock_x3(value)


#: Value exercises whose wrong answers are tested by a test of their own.
WRONG_ANSWERS_ELSEWHERE = {("05", "bicubic_clock_x3"): 3}


def test_every_code_exercise_is_tested_against_two_wrong_answers_or_more():
    for number, item in ALL_EXERCISES:
        count = sum(1 for n, name, _, _ in WRONG_ANSWERS if (n, name) == (number, item.name))
        count += WRONG_ANSWERS_ELSEWHERE.get((number, item.name), 0)
        assert count >= (2 if callable(item.solution) else 1), f"lesson{number}.{item.name}: {count} wrong answers"


def test_the_dcgan_tutorials_correct_pattern_passes(capsys):
    """One fake batch, detached for D and reused (not detached) for G: also Algorithm 1."""
    MODULES["01"].check_training_step(_dcgan_tutorial_step)
    assert "on the D step's fake batch" in capsys.readouterr().out


# ----------------------------------------------------------------------------
# The judge
# ----------------------------------------------------------------------------
def test_a_function_that_returns_none_is_not_attempted_with_a_reminder(capsys):
    def psnr(pred, target):
        10 * torch.log10(1 / ((pred - target) ** 2).mean(dim=(1, 2, 3)))  # forgot `return`

    MODULES["00"].check_psnr(psnr)
    assert "forget `return`" in capsys.readouterr().out


def test_a_crash_is_explained_and_keeps_the_students_traceback():
    def psnr(pred, target):
        raise ValueError("my own bug")

    with pytest.raises(ExerciseError, match="your code raised ValueError: my own bug") as caught:
        MODULES["00"].check_psnr(psnr)
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_value_that_is_not_a_function_is_explained():
    with pytest.raises(ExerciseError, match="expected a function"):
        MODULES["00"].check_psnr(42)


def test_checks_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    MODULES["01"].check_training_step(MODULES["01"].solutions.training_step)
    MODULES["03"].check_conditional_input(MODULES["03"].solutions.conditional_input)
    assert torch.equal(torch.get_rng_state(), state)


def test_the_builtin_pixel_shuffle_is_restored_after_the_check():
    original = F.pixel_shuffle
    with pytest.raises(ExerciseError):
        MODULES["05"].check_pixel_shuffle(lambda x, r: F.pixel_shuffle(x, r))
    assert F.pixel_shuffle is original and torch.pixel_shuffle is original
    assert F.pixel_shuffle(torch.zeros(1, 4, 1, 1), 2).shape == (1, 1, 2, 2)


def test_the_fine_grid_formula_is_the_librarys():
    """The positions the exercise teaches are where classical.shift_and_add splats each sample."""
    from imgsynth_edu.classical import _positions_of_global_shifts

    shifts = torch.tensor([[0.0, 0.0], [0.3, -1.2], [-0.8, 1.9]])
    expected_y, expected_x = _positions_of_global_shifts(shifts[None], 4, 6, 4)  # (1, F, h, w) each
    hr_y, hr_x = MODULES["06"].solutions.fine_grid_positions(shifts, 4, 6, 4)
    assert torch.allclose(hr_y, expected_y[0]) and torch.allclose(hr_x, expected_x[0])


def test_the_plain_correlation_really_fails_on_the_checks_scene():
    """The scene must make the un-normalised correlation miss, or that wrong answer would pass."""
    module = MODULES["06"]
    misses = [shift for shift in module._SHIFTS if module._plain_correlation_peak(*module._crops(*shift)) != shift]
    assert len(misses) >= 4


def test_the_exercises_package_imports_no_lesson_and_no_scikit_image():
    code = ("import sys, imgsynth_edu.exercises as e; "
            "print(sorted(m for m in sys.modules if m.startswith('imgsynth_edu.exercises.') or m == 'skimage'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.strip() == "['imgsynth_edu.exercises._judge']"


# ----------------------------------------------------------------------------
# The pages the lesson authors paste from
# ----------------------------------------------------------------------------
def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("number", LESSON_NUMBERS)
def test_the_snippet_page_is_up_to_date(number):
    page = REPO / "notebooks" / "exercises" / f"{number}.md"
    assert page.read_text(encoding="utf-8") == _load_tool("exercise_snippets").render(number), (
        "run: python tools/exercise_snippets.py")


@pytest.mark.parametrize("number", LESSON_NUMBERS)
def test_the_snippet_becomes_the_cells_the_lesson_shows(number):
    """tools/notebook.py turns the pasted block back into exactly ``cells()``."""
    page = (REPO / "notebooks" / "exercises" / f"{number}.md").read_text(encoding="utf-8")
    block = page.split("````python\n", 1)[1].rsplit("````", 1)[0]
    parsed = _load_tool("notebook").parse_percent(block)
    assert [(cell.cell_type, cell.source) for cell in parsed] == [
        (kind, source.strip()) for kind, source in MODULES[number].cells()]


def test_numpy_inputs_work_for_the_optimal_discriminator(capsys):
    """The lesson computes densities with NumPy; a NumPy answer is read as numbers."""
    MODULES["01"].check_optimal_discriminator(lambda p_data, p_g: np.asarray(p_data / (p_data + p_g)))
    assert capsys.readouterr().out.startswith("✓")
