"""Solutions of lesson 06 (multi-frame restoration): phase correlation and where samples go on the fine grid."""

import torch


def cross_power_spectrum(reference, moving):
    cross = torch.fft.fft2(moving) * torch.fft.fft2(reference).conj()  # (h, w) complex
    return cross / cross.abs().clamp_min(1e-15)  # keep the phase only: |R| = 1 everywhere


def phase_correlation(reference, moving):
    cross = torch.fft.fft2(moving) * torch.fft.fft2(reference).conj()
    spectrum = cross / cross.abs().clamp_min(1e-15)  # R, as in the exercise before
    correlation = torch.fft.ifft2(spectrum).abs()  # (h, w): one sharp peak at the shift (mod h, w)
    height, width = correlation.shape
    peak = int(correlation.argmax())  # index into the flattened (h, w) surface
    dy, dx = peak // width, peak % width
    if dy > height // 2:  # past the middle: a negative shift (the FFT is periodic)
        dy -= height
    if dx > width // 2:
        dx -= width
    return dy, dx


def fine_grid_positions(shifts, height, width, scale):
    rows = torch.arange(height, dtype=torch.float32)[None, :, None]  # (1, h, 1)
    cols = torch.arange(width, dtype=torch.float32)[None, None, :]  # (1, 1, w)
    scene_y = rows - shifts[:, 0, None, None]  # (F, h, 1): frame f's pixel p saw the scene at p - d_f
    scene_x = cols - shifts[:, 1, None, None]  # (F, 1, w)
    hr_y = scale * (scene_y + 0.5) - 0.5  # the centre of a low-resolution pixel, in fine pixels
    hr_x = scale * (scene_x + 0.5) - 0.5
    frames = len(shifts)
    return hr_y.expand(frames, height, width), hr_x.expand(frames, height, width)  # (F, h, w) each


skimage_shift = (-0.5, 1.25)  # scikit-image returns -d_f, the shift that moves frame f back onto the reference
