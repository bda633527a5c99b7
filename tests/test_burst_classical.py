"""Classical burst restoration: phase correlation (vs scikit-image), shift-and-add, robust merge, input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.registration import phase_cross_correlation

from imgsynth_edu.classical import (
    as_burst,
    estimate_shifts,
    phase_correlation,
    robust_merge,
    shift_and_add,
)
from imgsynth_edu.data.bursts import synthetic_burst
from imgsynth_edu.data.degradations import bicubic_upscale
from imgsynth_edu.data.photos import load_photo
from imgsynth_edu.metrics.image import psnr


@pytest.fixture(scope="module")
def test_bursts():
    """Default-noise ×4 bursts of three held-out photographs (crops, to stay fast)."""
    crops = {
        "chelsea": load_photo("chelsea")[:, :256, :384],
        "gravel": load_photo("gravel")[:, :256, :256],
        "motorcycle": load_photo("motorcycle")[:, 100:356, 200:456],
    }
    return {name: synthetic_burst(image, 8, 4, seed=index) for index, (name, image) in enumerate(crops.items())}


def test_agrees_with_scikit_image_within_a_tenth_of_a_pixel(test_bursts):
    for burst in test_bursts.values():
        reference = burst.frames[0]
        for frame in burst.frames[1:]:
            ours = phase_correlation(reference, frame, upsample=20)
            theirs, _, _ = phase_cross_correlation(
                reference.mean(0).double().numpy(), frame.mean(0).double().numpy(), upsample_factor=20
            )
            # Sign convention: scikit-image returns the shift that registers `moving` back, i.e. -d.
            assert np.abs(ours.numpy() + theirs).max() <= 0.1


def test_recovers_the_true_shifts(test_bursts):
    for name, burst in test_bursts.items():
        estimated = estimate_shifts(burst.frames)[0]  # F×2
        assert torch.equal(estimated[0], torch.zeros(2))
        error = (estimated - burst.shifts).abs().max().item()
        assert error < 0.2, f"{name}: largest shift error {error:.3f} px"


def test_integer_circular_shift_is_exact():
    image = torch.rand(1, 64, 80, generator=torch.Generator().manual_seed(0))
    moved = torch.roll(image, shifts=(3, -5), dims=(1, 2))  # content moves by (+3, -5)
    torch.testing.assert_close(phase_correlation(image, moved), torch.tensor([3.0, -5.0]))
    torch.testing.assert_close(phase_correlation(image, moved, upsample=1), torch.tensor([3.0, -5.0]))


def test_batched_equals_one_by_one(test_bursts):
    burst = test_bursts["chelsea"]
    reference = burst.frames[:1].expand(7, -1, -1, -1)
    batched = phase_correlation(reference, burst.frames[1:])
    single = torch.stack([phase_correlation(burst.frames[0], frame) for frame in burst.frames[1:]])
    torch.testing.assert_close(batched, single)


def test_phase_correlation_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        phase_correlation(torch.rand(8, 8), torch.rand(8, 9))
    bad = torch.rand(8, 8)
    bad[1, 1] = float("nan")
    with pytest.raises(ValueError, match="moving contains NaN"):
        phase_correlation(torch.rand(8, 8), bad)
    with pytest.raises(ValueError, match="upsample"):
        phase_correlation(torch.rand(8, 8), torch.rand(8, 8), upsample=0)
    with pytest.raises(TypeError, match="reference"):
        phase_correlation(np.zeros((8, 8)), torch.rand(8, 8))


def test_shift_and_add_beats_bicubic_of_one_noisy_frame(test_bursts):
    for name, burst in test_bursts.items():
        merged = shift_and_add(burst.frames[None], burst.shifts[None], scale=4)
        assert merged.shape == (1, *burst.target.shape)
        assert merged.min() >= 0 and merged.max() <= 1
        bicubic = bicubic_upscale(burst.frames[:1], 4)
        gain = (psnr(merged, burst.target[None], crop_border=4) - psnr(bicubic, burst.target[None], crop_border=4)).item()
        assert gain > 0.3, f"{name}: shift-and-add gains only {gain:.2f} dB over bicubic"


def test_more_frames_help_shift_and_add(test_bursts):
    burst = test_bursts["chelsea"]
    scores = [
        psnr(shift_and_add(burst.frames[None, :count], burst.shifts[None, :count], 4), burst.target[None], crop_border=4).item()
        for count in (2, 4, 8)
    ]
    assert scores[0] < scores[1] < scores[2]


def test_shift_and_add_of_a_constant_is_that_constant():
    burst = torch.full((1, 4, 3, 12, 12), 0.3)
    shifts = torch.tensor([[[0.0, 0.0], [0.4, -0.3], [1.2, 0.7], [-0.5, -1.1]]])
    merged = shift_and_add(burst, shifts, scale=2)
    torch.testing.assert_close(merged, torch.full((1, 3, 24, 24), 0.3))


def test_robust_merge_refuses_an_outlier_frame(test_bursts):
    burst = test_bursts["chelsea"]
    frames = burst.frames.clone()
    frames[3, :, 10:50, 20:70] = 1.0  # something bright passed through frame 3
    plain = shift_and_add(frames[None], burst.shifts[None], 4)
    robust, weights = robust_merge(frames[None], burst.shifts[None], 4, return_weights=True)
    target = burst.target[None]
    assert psnr(robust, target, crop_border=4) > psnr(plain, target, crop_border=4) + 1.0
    assert weights.shape == (1, 8, 64, 96)
    assert weights[0, 3, 15:45, 25:65].mean() < 0.2 < weights[0, 2, 15:45, 25:65].mean()


def test_merge_arguments_are_checked(test_bursts):
    frames = test_bursts["chelsea"].frames[None]
    with pytest.raises(ValueError, match="shifts must have shape"):
        shift_and_add(frames, torch.zeros(1, 7, 2), 4)
    with pytest.raises(ValueError, match=r"scale must be one of \(2, 3, 4, 8\)"):
        shift_and_add(frames, None, 5)
    with pytest.raises(ValueError, match="sigma"):
        robust_merge(frames, None, 4, sigma=0.0)
    with pytest.raises(ValueError, match="tuning"):
        robust_merge(frames, None, 4, tuning=0.0)


def test_as_burst_bad_input():
    with pytest.raises(ValueError, match="same size"):
        as_burst([torch.rand(3, 8, 8), torch.rand(3, 8, 9)])
    with pytest.raises(ValueError, match="zero frames"):
        as_burst([])
    with pytest.raises(ValueError, match="zero frames"):
        as_burst(torch.rand(1, 0, 3, 8, 8))
    nan_burst = torch.rand(1, 2, 3, 8, 8)
    nan_burst[0, 1, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="burst contains NaN"):
        as_burst(nan_burst)
    with pytest.raises(ValueError, match="5 dims"):
        as_burst(torch.rand(3, 8, 8))
    assert as_burst([torch.rand(3, 8, 8)] * 3).shape == (1, 3, 3, 8, 8)
