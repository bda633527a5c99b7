"""Degradations: shapes, ranges, determinism by seed, bad inputs, and the MATLAB-like bicubic rule."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from imgsynth_edu.data import (
    add_gaussian_noise,
    add_poisson_noise,
    bicubic_downscale,
    bicubic_resize,
    bicubic_upscale,
    change_brightness,
    crop_to_multiple,
    degrade,
    gaussian_blur,
    jpeg_compress,
    shift_right,
)
from imgsynth_edu.data.degradations import cubic_kernel


@pytest.fixture
def images() -> torch.Tensor:
    return torch.rand(2, 3, 24, 36, generator=torch.Generator().manual_seed(1))


# Every degradation, as "images -> degraded images", with a valid setting.
DEGRADATIONS = {
    "bicubic_downscale": lambda x: bicubic_downscale(x, 2),
    "bicubic_upscale": lambda x: bicubic_upscale(x, 2),
    "bicubic_resize": lambda x: bicubic_resize(x, (10, 14)),
    "gaussian_blur": lambda x: gaussian_blur(x, 1.5),
    "add_gaussian_noise": lambda x: add_gaussian_noise(x, 0.1, generator=torch.Generator().manual_seed(0)),
    "add_poisson_noise": lambda x: add_poisson_noise(x, 30.0, generator=torch.Generator().manual_seed(0)),
    "jpeg_compress": lambda x: jpeg_compress(x, 30),
}
EXPECTED_SIZE = {"bicubic_downscale": (12, 18), "bicubic_upscale": (48, 72), "bicubic_resize": (10, 14)}


@pytest.mark.parametrize("name", DEGRADATIONS)
def test_shape_dtype_and_range(images, name):
    out = DEGRADATIONS[name](images)
    assert out.shape == (2, 3, *EXPECTED_SIZE.get(name, (24, 36)))
    assert out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    if out.shape == images.shape:
        assert (out - images).abs().max() > 0.01  # it did degrade something
    assert torch.equal(images, torch.rand(2, 3, 24, 36, generator=torch.Generator().manual_seed(1)))  # input kept


# ----------------------------------------------------------------------------
# Bad inputs raise, naming the argument
# ----------------------------------------------------------------------------
BAD_IMAGES = {
    "wrong rank": (torch.rand(3, 8, 8), ValueError, "N×C×H×W"),
    "above 1": (torch.rand(1, 3, 8, 8) + 1.0, ValueError, r"\[0, 1\]"),
    "below 0": (torch.rand(1, 3, 8, 8) - 1.0, ValueError, r"\[0, 1\]"),
    "integer dtype": ((torch.rand(1, 3, 8, 8) * 255).to(torch.uint8), TypeError, "floating-point"),
    "NaN": (torch.full((1, 3, 8, 8), float("nan")), ValueError, "NaN"),
}


@pytest.mark.parametrize("name", DEGRADATIONS)
@pytest.mark.parametrize("case", BAD_IMAGES)
def test_bad_images_are_refused_naming_the_argument(name, case):
    bad, error, what = BAD_IMAGES[case]
    with pytest.raises(error, match=rf"^images .*{what}"):
        DEGRADATIONS[name](bad)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda x: bicubic_downscale(x, 5), "scale"),  # 5 divides neither 24 nor 36
        (lambda x: bicubic_downscale(x, 0), "scale"),
        (lambda x: bicubic_downscale(x, 2.0), "scale"),
        (lambda x: bicubic_upscale(x, -2), "scale"),
        (lambda x: bicubic_resize(x, (0, 4)), "size"),
        (lambda x: bicubic_resize(x, 12), "size"),
        (lambda x: gaussian_blur(x, -0.5), "sigma"),
        (lambda x: gaussian_blur(x, float("nan")), "sigma"),
        (lambda x: gaussian_blur(x, 30.0), "sigma"),  # kernel larger than the image
        (lambda x: gaussian_blur(x, 1.0, kernel_size=4), "kernel_size"),
        (lambda x: add_gaussian_noise(x, -0.1), "sigma"),
        (lambda x: add_gaussian_noise(x, float("inf")), "sigma"),
        (lambda x: add_poisson_noise(x, -5.0), "peak"),
        (lambda x: add_poisson_noise(x, 0), "peak"),
        (lambda x: jpeg_compress(x, 0), "quality"),
        (lambda x: jpeg_compress(x, 101), "quality"),
        (lambda x: jpeg_compress(x, 50.0), "quality"),
        (lambda x: jpeg_compress(x[:, :2], 50), "images"),  # two channels: not a JPEG
        (lambda x: crop_to_multiple(x, 40), "multiple"),
        (lambda x: crop_to_multiple(x, 0), "multiple"),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(images, call, argument):
    with pytest.raises((ValueError, TypeError), match=rf"\b{argument}\b"):
        call(images)


# ----------------------------------------------------------------------------
# Random degradations: determinism, and the right statistics
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "noise", [lambda x, g: add_gaussian_noise(x, 0.1, generator=g), lambda x, g: add_poisson_noise(x, 20.0, generator=g)]
)
def test_noise_is_deterministic_under_a_seeded_generator(images, noise):
    first = noise(images, torch.Generator().manual_seed(7))
    again = noise(images, torch.Generator().manual_seed(7))
    other = noise(images, torch.Generator().manual_seed(8))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_gaussian_noise_has_the_requested_sigma_and_is_clipped_only_on_request():
    grey = torch.full((4, 3, 64, 64), 0.5)
    noisy = add_gaussian_noise(grey, 0.05, generator=torch.Generator().manual_seed(0), clip=False)
    noise = noisy - grey
    assert abs(noise.mean().item()) < 0.002 and abs(noise.std().item() - 0.05) < 0.001
    white = torch.ones(1, 3, 32, 32)
    raw = add_gaussian_noise(white, 0.1, generator=torch.Generator().manual_seed(0), clip=False)
    assert raw.max() > 1.1  # not clipped when clip=False
    assert add_gaussian_noise(white, 0.1, generator=torch.Generator().manual_seed(0)).max() == 1.0


def test_poisson_noise_mean_and_variance_follow_the_photon_count():
    level, peak = 0.4, 50.0
    flat = torch.full((4, 1, 64, 64), level)
    noisy = add_poisson_noise(flat, peak, generator=torch.Generator().manual_seed(0), clip=False)
    assert abs(noisy.mean().item() - level) < 0.005
    assert abs(noisy.var().item() - level / peak) < 0.0008  # Var[Poisson(peak·x)/peak] = x/peak
    assert torch.allclose(noisy * peak, (noisy * peak).round(), atol=1e-4)  # whole photon counts


def test_gaussian_blur_keeps_constants_and_sigma_zero_is_identity(images):
    flat = torch.full((1, 3, 20, 20), 0.3)
    assert torch.allclose(gaussian_blur(flat, 2.0), flat, atol=1e-6)
    assert torch.equal(gaussian_blur(images, 0.0), images)
    assert gaussian_blur(images, 2.0).std() < 0.5 * images.std()  # blur removes detail


def test_jpeg_quality_orders_the_error_and_output_is_8_bit(images):
    smooth = gaussian_blur(images, 1.0)
    err_high = (jpeg_compress(smooth, 95) - smooth).abs().mean()
    err_low = (jpeg_compress(smooth, 5) - smooth).abs().mean()
    assert err_high < err_low
    out = jpeg_compress(images[:, :1], 50)  # greyscale works too
    assert out.shape == (2, 1, 24, 36)
    assert torch.allclose(out * 255, (out * 255).round(), atol=1e-4)


def test_crop_to_multiple_crops_bottom_right(images):
    cropped = crop_to_multiple(images[..., :23, :35], 4)
    assert cropped.shape == (2, 3, 20, 32)
    assert torch.equal(cropped, images[..., :20, :32])


# ----------------------------------------------------------------------------
# The MATLAB-like bicubic
# ----------------------------------------------------------------------------
def test_cubic_kernel_values():
    # Keys (1981) with a = -0.5: k(0)=1, k(1)=k(2)=0, k(0.5)=0.5625, k(1.5)=-0.0625
    x = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, -0.5])
    assert torch.allclose(cubic_kernel(x), torch.tensor([1.0, 0.5625, 0.0, -0.0625, 0.0, 0.0, 0.5625]))


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_constant_image_stays_constant(scale):
    flat = torch.full((1, 3, 24, 36), 0.7)
    assert torch.allclose(bicubic_downscale(flat, scale, clip=False), torch.full((1, 3, 24 // scale, 36 // scale), 0.7),
                          atol=1e-6)
    assert torch.allclose(bicubic_upscale(flat, scale, clip=False), torch.full((1, 3, 24 * scale, 36 * scale), 0.7),
                          atol=1e-6)


def _torch_antialiased(x: torch.Tensor, size) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_downscale_interior_matches_torch_antialiased_bicubic_and_borders_differ(scale):
    x = torch.rand(1, 3, 48, 60, generator=torch.Generator().manual_seed(scale))
    ours = bicubic_downscale(x, scale, clip=False)
    reference = _torch_antialiased(x, ours.shape[-2:])
    margin = 2  # output pixels whose (stretched) kernel reaches past the border
    interior = (ours - reference)[..., margin:-margin, margin:-margin].abs().max()
    assert interior < 1e-5
    # at the border MATLAB mirrors the image (symmetric padding); torch/PIL renormalise the weights
    assert (ours - reference)[..., 0, :].abs().max() > 1e-3
    assert (ours - reference)[..., :, 0].abs().max() > 1e-3


@pytest.mark.parametrize("scale", [2, 3])
def test_upscale_interior_matches_torch_antialiased_bicubic_and_borders_differ(scale):
    x = torch.rand(1, 3, 12, 15, generator=torch.Generator().manual_seed(10 + scale))
    ours = bicubic_upscale(x, scale, clip=False)
    reference = _torch_antialiased(x, ours.shape[-2:])
    margin = 2 * scale
    assert (ours - reference)[..., margin:-margin, margin:-margin].abs().max() < 1e-5
    assert (ours - reference)[..., 0, :].abs().max() > 1e-3


# Kernel weights at the distances that occur for ×2 (from Keys' formula with a = -0.5, by hand):
K025, K075, K125, K175 = 0.8671875, 0.2265625, -0.0703125, -0.0234375


def test_hand_computed_1d_upscale():
    """×2 enlargement of [x0 x1 x2 x3]: output 3 sits at input coordinate 1.25."""
    signal = torch.tensor([0.1, 0.9, 0.4, 0.2])
    enlarged = bicubic_upscale(signal.view(1, 1, 1, 4), 2, clip=False)
    assert enlarged.shape == (1, 1, 2, 8)
    assert torch.equal(enlarged[0, 0, 0], enlarged[0, 0, 1])  # a single row, mirrored, stays one row
    out = enlarged[0, 0, 0]
    x0, x1, x2, x3 = signal.tolist()
    expected_3 = K125 * x0 + K025 * x1 + K075 * x2 + K175 * x3  # taps at distances 1.25, 0.25, 0.75, 1.75
    assert math.isclose(out[3].item(), expected_3, abs_tol=1e-6)


def test_hand_computed_1d_downscale_with_symmetric_border():
    """×2 shrinking of 8 samples: the kernel is stretched ×2 and taps past the edge are mirrored."""
    x = [0.1, 0.9, 0.4, 0.2, 0.6, 0.3, 0.8, 0.5]
    two_equal_rows = torch.tensor(x).view(1, 1, 1, 8).repeat(1, 1, 2, 1)  # height 2: a 1-D signal in 2-D
    out = bicubic_downscale(two_equal_rows, 2, clip=False).flatten().tolist()
    assert len(out) == 4
    # output 1 sits at input 2.5; taps -1..6 at distances 3.5 .. 0.5 .. 3.5, halved: 1.75 1.25 0.75 0.25 ...
    # tap -1 is mirrored onto x[0] (MATLAB's symmetric padding)
    expected_1 = (K175 * (x[0] + x[6]) + K125 * (x[0] + x[5]) + K075 * (x[1] + x[4]) + K025 * (x[2] + x[3])) / 2
    # output 0 sits at input 0.5; taps -3..4, mirrored: -3 -> x[2], -2 -> x[1], -1 -> x[0]
    expected_0 = (K175 * (x[2] + x[4]) + K125 * (x[1] + x[3]) + K075 * (x[0] + x[2]) + K025 * (x[0] + x[1])) / 2
    assert math.isclose(out[1], expected_1, abs_tol=1e-6)
    assert math.isclose(out[0], expected_0, abs_tol=1e-6)


def test_bicubic_clips_overshoot_only_by_default():
    edge = torch.zeros(1, 1, 8, 8)
    edge[..., 4:] = 1.0
    raw = bicubic_upscale(edge, 2, clip=False)
    assert raw.min() < 0 and raw.max() > 1  # the negative lobes ring at a sharp edge
    clipped = bicubic_upscale(edge, 2)
    assert clipped.min() == 0 and clipped.max() == 1


def test_degrade_is_each_degradation_in_a_fixed_order(images):
    assert torch.equal(degrade(images), images) and degrade(images) is not images
    assert torch.equal(degrade(images, blur=1.0), gaussian_blur(images, 1.0))
    assert torch.equal(degrade(images, scale=3), bicubic_upscale(bicubic_downscale(images, 3), 3))
    noise = torch.Generator().manual_seed(4)
    assert torch.equal(degrade(images, noise=0.1, seed=4), add_gaussian_noise(images, 0.1, generator=noise))
    photons = torch.Generator().manual_seed(0)
    assert torch.equal(degrade(images, photons=30.0), add_poisson_noise(images, 30.0, generator=photons))
    assert torch.equal(degrade(images, jpeg=20), jpeg_compress(images, 20))
    assert torch.equal(degrade(images, shift=2), shift_right(images, 2))
    assert torch.equal(degrade(images, brightness=-0.2), change_brightness(images, -0.2))
    both = degrade(images, blur=1.0, jpeg=20)  # blur first, then the file is written
    assert torch.equal(both, jpeg_compress(gaussian_blur(images, 1.0), 20))


def test_degrade_refuses_bad_settings(images):
    for settings, message in (({"blur": -1.0}, "blur"), ({"scale": 0}, "scale"), ({"jpeg": 101}, "jpeg"),
                              ({"jpeg": 5.5}, "jpeg"), ({"shift": -1}, "pixels"), ({"brightness": 2.0}, "amount")):
        with pytest.raises((ValueError, TypeError), match=message):
            degrade(images, **settings)
    with pytest.raises(TypeError, match="unexpected keyword"):
        degrade(images, motion=1.0)
