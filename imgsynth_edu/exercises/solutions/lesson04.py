"""Solutions of lesson 04 (measuring quality): Y-PSNR with the border crop, SSIM from statistics, KID."""

import math

import torch


def y_psnr(pred, target, scale):
    weights = torch.tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1) / 255  # BT.601, studio swing
    pred_y = (pred * weights).sum(dim=1) + 16 / 255  # (N, H, W), Y in [16/255, 235/255]
    target_y = (target * weights).sum(dim=1) + 16 / 255
    pred_y = pred_y[:, scale:-scale, scale:-scale]  # drop a border of `scale` pixels
    target_y = target_y[:, scale:-scale, scale:-scale]
    mse = ((pred_y - target_y) ** 2).mean(dim=(1, 2))  # (N,): one MSE per image
    return (10 * torch.log10(1.0 / mse)).mean()  # the mean of the per-image PSNRs


def ssim_map(mu_x, mu_y, var_x, var_y, cov_xy, data_range=1.0):
    c1 = (0.01 * data_range) ** 2  # keeps the luminance term finite where both means are ~0
    c2 = (0.03 * data_range) ** 2  # ... and the contrast-structure term where both patches are flat
    luminance = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
    contrast_structure = (2 * cov_xy + c2) / (var_x + var_y + c2)
    return luminance * contrast_structure


def kid_mmd2(real, fake):
    m, d = real.shape
    k_rr = (real @ real.T / d + 1) ** 3  # (m, m): the cubic kernel between every pair of reals
    k_ff = (fake @ fake.T / d + 1) ** 3  # (m, m)
    k_rf = (real @ fake.T / d + 1) ** 3  # (m, m)
    same_real = (k_rr.sum() - k_rr.diagonal().sum()) / (m * (m - 1))  # pairs i ≠ j only: unbiased
    same_fake = (k_ff.sum() - k_ff.diagonal().sum()) / (m * (m - 1))
    cross = k_rf.sum() / (m * m)  # a real and a fake are never the same sample: keep every pair
    return same_real + same_fake - 2 * cross


studio_swing_db = 20 * math.log10(255 / 219)  # every error shrinks by 219/255
covariance_rank = 49  # n - 1: the 50 centred vectors sum to zero
