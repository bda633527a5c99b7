"""Unit tests of PSNR, SSIM, MS-SSIM, rgb_to_y and the SR protocol: properties and bad input."""

from __future__ import annotations

import math

import pytest
import torch

from imgsynth_edu.metrics import ms_ssim, psnr, rgb_to_y, sr_metrics, ssim


@pytest.fixture
def pair(generator):
    target = torch.rand(4, 3, 32, 40, generator=generator)
    pred = (target + 0.05 * torch.randn(target.shape, generator=generator)).clamp(0, 1)
    return pred, target


def test_psnr_matches_its_formula(pair):
    pred, target = pair
    mse = ((pred.double() - target.double()) ** 2).flatten(1).mean(1)
    expected = 10 * torch.log10(1.0 / mse)
    assert torch.allclose(psnr(pred, target, reduction="none").double(), expected, atol=1e-5)
    assert psnr(pred, target).item() == pytest.approx(expected.mean().item(), abs=1e-5)


def test_psnr_of_identical_images_is_infinite(pair):
    _, target = pair
    assert math.isinf(psnr(target, target).item())


def test_psnr_data_range_scales_consistently(pair):
    pred, target = pair
    assert psnr(pred * 255, target * 255, data_range=255).item() == pytest.approx(
        psnr(pred, target).item(), abs=1e-3
    )


def test_ssim_is_one_for_identical_and_lower_for_noise(pair):
    pred, target = pair
    assert ssim(target, target).item() == pytest.approx(1.0, abs=1e-6)
    values = ssim(pred, target, reduction="none")
    assert values.shape == (4,)
    assert (values < 0.99).all()
    assert ssim(pred, target).item() == pytest.approx(values.mean().item(), abs=1e-7)


def test_ssim_is_symmetric(pair):
    pred, target = pair
    assert ssim(pred, target).item() == pytest.approx(ssim(target, pred).item(), abs=1e-6)


def test_ssim_more_noise_scores_lower(generator):
    target = torch.rand(2, 1, 48, 48, generator=generator)
    noise = torch.randn(target.shape, generator=generator)
    light = (target + 0.02 * noise).clamp(0, 1)
    heavy = (target + 0.2 * noise).clamp(0, 1)
    assert ssim(light, target).item() > ssim(heavy, target).item()
    assert psnr(light, target).item() > psnr(heavy, target).item()


def test_ms_ssim_identical_is_one_and_noise_lower(generator):
    target = torch.rand(2, 3, 161, 165, generator=generator)
    assert ms_ssim(target, target).item() == pytest.approx(1.0, abs=1e-5)
    noisy = (target + 0.1 * torch.randn(target.shape, generator=generator)).clamp(0, 1)
    assert ms_ssim(noisy, target, reduction="none").shape == (2,)
    assert ms_ssim(noisy, target).item() < 0.99


def test_rgb_to_y_bt601_values():
    white = torch.ones(1, 3, 2, 2)
    black = torch.zeros(1, 3, 2, 2)
    assert torch.allclose(rgb_to_y(white), torch.full((1, 1, 2, 2), 235 / 255), atol=1e-6)
    assert torch.allclose(rgb_to_y(black), torch.full((1, 1, 2, 2), 16 / 255), atol=1e-6)
    red = torch.zeros(1, 3, 1, 1)
    red[:, 0] = 1
    assert rgb_to_y(red).item() == pytest.approx((16 + 65.481) / 255, abs=1e-6)


def test_crop_border_ignores_the_border(pair):
    pred, target = pair
    damaged = pred.clone()
    damaged[..., :3, :] = 1 - damaged[..., :3, :]  # ruin the top 3 rows only
    assert psnr(damaged, pred).item() < 40
    assert math.isinf(psnr(damaged, pred, crop_border=3).item())
    assert ssim(damaged, pred, crop_border=3).item() == pytest.approx(1.0, abs=1e-6)


def test_sr_metrics_equal_y_channel_cropped_metrics(generator):
    target = torch.rand(2, 3, 40, 40, generator=generator)
    pred = (target + 0.03 * torch.randn(target.shape, generator=generator)).clamp(0, 1)
    result = sr_metrics(pred, target, scale=4)
    y_pred, y_target = rgb_to_y(pred)[..., 4:-4, 4:-4], rgb_to_y(target)[..., 4:-4, 4:-4]
    assert result["psnr_y"].item() == pytest.approx(psnr(y_pred, y_target).item(), abs=1e-5)
    assert result["ssim_y"].item() == pytest.approx(ssim(y_pred, y_target).item(), abs=1e-6)
    rgb = psnr(pred[..., 4:-4, 4:-4], target[..., 4:-4, 4:-4]).item()
    assert result["psnr_rgb"].item() == pytest.approx(rgb, abs=1e-5)
    assert result["psnr_y"].item() != pytest.approx(rgb, abs=1e-3)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("metric", [psnr, ssim, ms_ssim])
def test_bad_inputs_raise_naming_the_argument(metric):
    good = torch.rand(2, 3, 170, 170)
    with pytest.raises(ValueError, match="same shape"):
        metric(good, good[:, :, :, :169])
    with pytest.raises(ValueError, match="pred must have shape N×C×H×W"):
        metric(good[0], good[0])
    with pytest.raises(TypeError, match="pred must be a floating-point"):
        metric((good * 255).to(torch.uint8), good)
    with pytest.raises(ValueError, match=r"target must have values in \[0, 1\]"):
        metric(good, good * 1.5)
    with pytest.raises(ValueError, match="pred must have values"):
        metric(good - 0.5, good)
    nan = good.clone()
    nan[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="pred contains NaN"):
        metric(nan, good)
    with pytest.raises(ValueError, match="reduction"):
        metric(good, good, reduction="sum")
    with pytest.raises(ValueError, match="data_range"):
        metric(good, good, data_range=0)
    with pytest.raises(TypeError, match="pred must be a torch.Tensor"):
        metric(good.numpy(), good)


def test_ssim_rejects_images_smaller_than_the_window():
    small = torch.rand(1, 1, 10, 30)
    with pytest.raises(ValueError, match="window_size=11"):
        ssim(small, small)
    assert ssim(small, small, window_size=7).item() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="window_size must be odd"):
        ssim(small, small, window_size=8)
    with pytest.raises(ValueError, match="sigma"):
        ssim(small, small, window_size=7, sigma=0)


def test_ms_ssim_rejects_images_too_small_for_five_scales():
    small = torch.rand(1, 3, 160, 300)
    with pytest.raises(ValueError, match="at least 161×161 pixels for 5-scale MS-SSIM"):
        ms_ssim(small, small)


def test_rgb_to_y_and_crop_border_bad_input():
    with pytest.raises(ValueError, match="img must have 3 channels"):
        rgb_to_y(torch.rand(1, 1, 4, 4))
    grey = torch.rand(1, 1, 20, 20)
    with pytest.raises(ValueError, match="y_channel=True needs RGB"):
        psnr(grey, grey, y_channel=True)
    with pytest.raises(ValueError, match="crop_border"):
        psnr(grey, grey, crop_border=10)
    with pytest.raises(ValueError, match="crop_border"):
        psnr(grey, grey, crop_border=-1)
    with pytest.raises(ValueError, match="scale"):
        sr_metrics(grey, grey, scale=0)
