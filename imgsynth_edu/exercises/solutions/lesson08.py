"""Solutions of lesson 08 (what the networks see): saliency, integrated gradients, the randomisation verdict."""

import torch
from scipy.stats import spearmanr

from imgsynth_edu.metrics import ssim


def gradient_saliency(model, images, classes):
    images = images.detach().clone().requires_grad_(True)  # (N, C, H, W), a leaf that collects gradients
    logits = model(images)  # (N, K)
    chosen = logits[torch.arange(len(images)), classes]  # (N,): each image's own class score, not a probability
    (gradient,) = torch.autograd.grad(chosen.sum(), images)  # the images are independent: sum, then one backward
    return gradient.abs()  # (N, C, H, W)


def integrated_gradients_riemann(model, image, target, baseline, steps):
    total = torch.zeros_like(image)  # (N, C, H, W)
    for k in range(1, steps + 1):  # the paper's right Riemann sum: alpha = 1/m, 2/m, ..., 1
        point = (baseline + k / steps * (image - baseline)).detach().requires_grad_(True)
        score = model(point)[:, target].sum()
        (gradient,) = torch.autograd.grad(score, point)
        total += gradient
    return (image - baseline) * total / steps  # (x - x') times the average gradient along the path


def passes_randomisation(original_map, randomised_map):
    def normalised(attribution):  # |A|, maximum over channels, divided by its maximum
        magnitude = attribution.detach().abs().amax(dim=1, keepdim=True)  # (1, 1, H, W)
        return magnitude / magnitude.max()

    a, b = normalised(original_map), normalised(randomised_map)
    structure = float(ssim(b, a, data_range=1.0))
    ranks = spearmanr(a.flatten().numpy(), b.flatten().numpy()).statistic
    return bool(structure < 0.5 and ranks < 0.5)  # both similarities low: the map followed the weights
