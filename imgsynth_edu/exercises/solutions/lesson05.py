"""Solutions of lesson 05 (super-resolution): pixel shuffle, SRGAN's generator loss, a training pair."""

import torch.nn.functional as F

from imgsynth_edu.data import bicubic_downscale, crop_to_multiple


def pixel_shuffle(x, r):
    n, channels, h, w = x.shape
    c = channels // (r * r)
    x = x.reshape(n, c, r, r, h, w)  # channel c·r² + i·r + j holds sub-pixel (i, j) of output channel c
    x = x.permute(0, 1, 4, 2, 5, 3)  # (N, C, h, i, w, j): each sub-pixel next to its low-resolution pixel
    return x.reshape(n, c, h * r, w * r)  # row h·r + i, column w·r + j


def srgan_generator_loss(super_resolved, high_res, fake_logits):
    content = ((super_resolved - high_res) ** 2).mean()  # SRGAN-MSE's content term (eq. 4)
    adversarial = F.softplus(-fake_logits).mean()  # -log D(G(I_LR)), non-saturating, on logits (eq. 6)
    return content + 1e-3 * adversarial  # eq. 3: content + 10⁻³ · adversarial


def lr_hr_pair(photo, scale):
    high_res = crop_to_multiple(photo[None], scale)  # 1×C×H×W, H and W multiples of scale (bottom/right cut)
    low_res = bicubic_downscale(high_res, scale)  # MATLAB-like bicubic, with its antialiasing
    return low_res, high_res
