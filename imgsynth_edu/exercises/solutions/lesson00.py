"""Solutions of lesson 00 (tour): PSNR, Gaussian noise, an image in the course's convention."""

import torch


def psnr(pred, target):
    mse = ((pred - target) ** 2).mean(dim=(1, 2, 3))  # (N,): one mean squared error per image
    return 10 * torch.log10(1.0 / mse)  # (N,); MAX = 1 for images in [0, 1]; MSE = 0 gives inf


def add_gaussian_noise(images, sigma, generator):
    noise = torch.randn(images.shape, generator=generator)  # N(0, 1), one value per pixel and channel
    return (images + sigma * noise).clamp(0.0, 1.0)  # a sensor saturates: clamp once, after adding


def to_nchw(array):
    if array.ndim == 2:  # greyscale H×W -> H×W×1
        array = array[:, :, None]
    image = torch.from_numpy(array).permute(2, 0, 1)  # H×W×C -> C×H×W (moves the axis, keeps the pixels)
    return (image.float() / 255.0)[None]  # 1×C×H×W, float32 in [0, 1]


sigma_for_30_db = 10 ** (-30 / 20)  # 30 = -20·log10 σ
