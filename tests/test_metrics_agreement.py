"""Agreement with the reference libraries the field trusts, on the same inputs.

PSNR/SSIM: scikit-image and torchmetrics; SSIM/MS-SSIM: pytorch-msssim (with
``data_range=1``: its default of 255 is a different, wrong-for-[0,1] setting).
Tolerance 1e-5 absolute throughout. Inputs: random images and natural
photographs degraded by blur, noise and JPEG; N = 4; grey and colour; sizes
from the smallest each metric allows up to 512.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imgsynth_edu.data import add_gaussian_noise, gaussian_blur, jpeg_compress, load_photo
from imgsynth_edu.metrics import ms_ssim, psnr, ssim

pytorch_msssim = pytest.importorskip("pytorch_msssim")
skimage_metrics = pytest.importorskip("skimage.metrics")
torchmetrics_functional = pytest.importorskip("torchmetrics.functional.image")

TOLERANCE = 1e-5


def _random_pair(shape, seed):
    generator = torch.Generator().manual_seed(seed)
    target = torch.rand(shape, generator=generator)
    pred = (target + 0.1 * torch.randn(shape, generator=generator)).clamp(0, 1)
    return pred, target


def _natural_pairs(size, channels):
    """Four degradations of one photograph (blur, noise, JPEG, all three), ``4×C×size×size``."""
    photo = load_photo("astronaut" if channels == 3 else "camera", rgb=channels == 3)
    top = (photo.shape[1] - size) // 2
    target = photo[None, :, top : top + size, top : top + size]  # (1, C, size, size)
    generator = torch.Generator().manual_seed(1)
    blurred = gaussian_blur(target, 1.5)
    noisy = add_gaussian_noise(target, 0.05, generator=generator)
    compressed = jpeg_compress(target, 20)
    everything = jpeg_compress(add_gaussian_noise(gaussian_blur(target, 1.0), 0.02, generator=generator), 40)
    pred = torch.cat([blurred, noisy, compressed, everything])  # (4, C, size, size)
    return pred, target.expand_as(pred).contiguous()


def _skimage_ssim(pred, target):
    values = []
    for a, b in zip(pred.double().numpy(), target.double().numpy()):
        values.append(
            skimage_metrics.structural_similarity(
                a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                data_range=1.0, channel_axis=0,
            )
        )
    return torch.tensor(values)


def _skimage_psnr(pred, target):
    return torch.tensor(
        [skimage_metrics.peak_signal_noise_ratio(b, a, data_range=1.0)
         for a, b in zip(pred.double().numpy(), target.double().numpy())]
    )


SSIM_CASES = [
    ("random", (4, 1, 11, 11)),  # the smallest image SSIM allows
    ("random", (4, 3, 11, 17)),
    ("random", (4, 3, 64, 48)),
    ("random", (4, 1, 200, 256)),
    ("natural", (1, 96)),
    ("natural", (3, 96)),
    ("natural", (3, 512)),
]


def _inputs(kind, spec, seed=0):
    if kind == "random":
        return _random_pair(spec, seed)
    channels, size = spec
    return _natural_pairs(size, channels)


@pytest.mark.parametrize(("kind", "spec"), SSIM_CASES)
def test_ssim_agrees_with_skimage_and_pytorch_msssim(kind, spec):
    pred, target = _inputs(kind, spec)
    ours = ssim(pred, target, reduction="none").double()
    reference_skimage = _skimage_ssim(pred, target)
    reference_msssim = pytorch_msssim.ssim(pred, target, data_range=1, win_size=11, size_average=False).double()
    assert torch.allclose(ours, reference_skimage, atol=TOLERANCE, rtol=0)
    assert torch.allclose(ours, reference_msssim, atol=TOLERANCE, rtol=0)
    assert ssim(pred, target).item() == pytest.approx(reference_skimage.mean().item(), abs=TOLERANCE)


@pytest.mark.parametrize(("kind", "spec"), SSIM_CASES)
def test_psnr_agrees_with_skimage_and_torchmetrics(kind, spec):
    pred, target = _inputs(kind, spec)
    ours = psnr(pred, target, reduction="none").double()
    reference_skimage = _skimage_psnr(pred, target)
    reference_torchmetrics = torchmetrics_functional.peak_signal_noise_ratio(
        pred.double(), target.double(), data_range=1.0, reduction="none", dim=(1, 2, 3)
    )
    assert torch.allclose(ours, reference_skimage, atol=TOLERANCE, rtol=0)
    assert torch.allclose(ours, reference_torchmetrics, atol=TOLERANCE, rtol=0)


MS_SSIM_CASES = [
    ("random", (4, 3, 161, 161)),  # the smallest image five scales allow
    ("random", (4, 1, 200, 175)),  # odd sides: the zero-padded 2×2 pooling
    ("random", (4, 1, 512, 512)),  # the largest size
    ("natural", (1, 256)),
    ("natural", (3, 199)),
]


@pytest.mark.parametrize(("kind", "spec"), MS_SSIM_CASES)
def test_ms_ssim_agrees_with_pytorch_msssim(kind, spec):
    pred, target = _inputs(kind, spec, seed=3)
    ours = ms_ssim(pred, target, reduction="none")
    reference = pytorch_msssim.ms_ssim(pred, target, data_range=1, win_size=11, size_average=False)
    assert torch.allclose(ours, reference, atol=TOLERANCE, rtol=0)


def test_pytorch_msssim_default_data_range_is_the_255_convention():
    """Not a bug of ours: their default ``data_range=255`` makes any [0, 1] pair look alike."""
    generator = torch.Generator().manual_seed(5)
    pred, target = torch.rand(2, 4, 3, 64, 64, generator=generator)  # unrelated images
    theirs_default = pytorch_msssim.ssim(pred, target).item()
    ours = ssim(pred, target).item()
    assert theirs_default > 0.99
    assert ours < 0.1
    assert ssim(pred * 255, target * 255, data_range=255).item() == pytest.approx(ours, abs=TOLERANCE)


def test_torchmetrics_ssim_differs_only_by_border_handling():
    """torchmetrics averages a map that still includes the border; on the valid region it agrees."""
    pred, target = _natural_pairs(96, 3)
    ours = ssim(pred, target, reduction="none")
    theirs = torchmetrics_functional.structural_similarity_index_measure(
        pred, target, data_range=1.0, reduction="none", return_full_image=True
    )
    theirs_mean, theirs_map = theirs
    assert not torch.allclose(ours, theirs_mean, atol=1e-4)  # the conventions differ ...
    valid = theirs_map[..., 5:-5, 5:-5].mean(dim=(1, 2, 3))  # ... only by the 5-pixel border
    assert torch.allclose(ours, valid, atol=TOLERANCE, rtol=0)
    assert np.isfinite(theirs_mean.numpy()).all()
