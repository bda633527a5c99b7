"""Solutions of lesson 02 (DCGAN): a transposed convolution's output size, slerp, digit shares."""

import torch


def transposed_conv_output_size(size, kernel, stride, padding, output_padding=0):
    # a convolution maps (size_out - 1)·stride - 2·padding + kernel back to size_out; the transposed one runs it backwards
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def slerp(z0, z1, t):
    cos_omega = (z0 * z1).sum(dim=1) / (z0.norm(dim=1) * z1.norm(dim=1))  # (N,): the angle between each pair
    omega = torch.acos(cos_omega.clamp(-1.0, 1.0))[:, None]  # (N, 1)
    sin_omega = torch.sin(omega)
    spherical = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / sin_omega  # (N, Z)
    linear = (1 - t) * z0 + t * z1  # parallel latents (sin Ω = 0): the great circle is a straight line
    return torch.where(sin_omega.abs() < 1e-6, linear, spherical)


def digit_shares(logits):
    predicted = logits.argmax(dim=1)  # (N,): the classifier's decision for each sample
    counts = torch.bincount(predicted, minlength=logits.shape[1])  # (K,): a digit never drawn counts 0
    return counts.float() / len(predicted)  # (K,), sums to 1
