"""Synthetic bursts: shapes, determinism, the returned shifts, the noise models, bad input."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from imgsynth_edu.data.bursts import (
    BurstDataset,
    add_shot_read_noise,
    synthetic_burst,
    warp_image,
)
from imgsynth_edu.data.degradations import bicubic_downscale
from imgsynth_edu.data.photos import load_photo


@pytest.fixture(scope="module")
def photo() -> torch.Tensor:
    return load_photo("astronaut")[:, 128:256, 192:320].contiguous()  # 3×128×128


def _blob(size: int = 128, center=(60.0, 70.0), width: float = 10.0) -> torch.Tensor:
    rows = torch.arange(size, dtype=torch.float64)[:, None]
    cols = torch.arange(size, dtype=torch.float64)[None, :]
    blob = torch.exp(-((rows - center[0]) ** 2 + (cols - center[1]) ** 2) / (2 * width**2))
    return blob.float()[None].expand(3, -1, -1).clone()  # 3×S×S


def _centroid(image: torch.Tensor) -> torch.Tensor:
    weights = image.mean(dim=0).double()  # h×w
    rows = torch.arange(weights.shape[0], dtype=torch.float64)[:, None]
    cols = torch.arange(weights.shape[1], dtype=torch.float64)[None, :]
    total = weights.sum()
    return torch.stack([(weights * rows).sum() / total, (weights * cols).sum() / total])


def test_shapes_and_reference(photo):
    burst = synthetic_burst(photo, frames=6, scale=4, seed=1)
    assert burst.frames.shape == (6, 3, 32, 32)
    assert burst.target.shape == (3, 128, 128)
    assert burst.shifts.shape == (6, 2) and burst.angles.shape == (6,)
    assert burst.frames.dtype == torch.float32
    assert torch.equal(burst.shifts[0], torch.zeros(2)) and burst.angles[0] == 0
    assert burst.shifts.abs().max() <= 2.0 and burst.shifts[1:].abs().sum() > 0
    assert burst.frames.min() >= 0 and burst.frames.max() <= 1
    assert torch.equal(burst.target, photo)


def test_deterministic_for_a_seed(photo):
    first = synthetic_burst(photo, 4, 2, seed=7, max_rotation=1.0)
    again = synthetic_burst(photo, 4, 2, seed=7, max_rotation=1.0)
    other = synthetic_burst(photo, 4, 2, seed=8, max_rotation=1.0)
    assert torch.equal(first.frames, again.frames) and torch.equal(first.shifts, again.shifts)
    assert not torch.equal(first.frames, other.frames)
    assert not torch.equal(first.shifts, other.shifts)


def test_noise_free_reference_is_the_bicubic_downscale(photo):
    burst = synthetic_burst(photo, 3, 4, noise="none", seed=0)
    torch.testing.assert_close(burst.frames[0], bicubic_downscale(photo[None], 4)[0])
    box = synthetic_burst(photo, 3, 4, noise="none", downsampling="box", seed=0)
    torch.testing.assert_close(box.frames[0], F.avg_pool2d(photo[None], 4)[0])


def test_returned_shifts_are_the_content_motion():
    # A smooth blob: its centroid in frame f minus that in frame 0 is +d_f (the shift convention).
    burst = synthetic_burst(_blob(), frames=6, scale=4, noise="none", downsampling="box", max_shift=2.0, seed=3)
    reference = _centroid(burst.frames[0])
    for index in range(1, 6):
        moved = _centroid(burst.frames[index]) - reference
        torch.testing.assert_close(moved.float(), burst.shifts[index], atol=0.02, rtol=0)


def test_warp_image_rotation_turns_about_the_centre():
    image = _blob(center=(64.0 - 0.5, 100.0))  # right of the centre (63.5, 63.5)
    turned = warp_image(image, (0.0, 0.0), angle_deg=90.0)
    y, x = _centroid(turned).tolist()
    # Rotating by +90° in image coordinates (y down) takes a point to the right onto the one below.
    assert abs(x - 63.5) < 0.5 and abs(y - (63.5 + 36.5)) < 0.5


def test_rotation_angles_are_bounded_and_zero_by_default(photo):
    assert torch.equal(synthetic_burst(photo, 5, 4, seed=0).angles, torch.zeros(5))
    angles = synthetic_burst(photo, 5, 4, seed=0, max_rotation=1.0).angles
    assert angles[0] == 0 and angles.abs().max() <= 1.0 and angles[1:].abs().sum() > 0


def test_shot_read_noise_has_the_model_variance():
    flat = torch.full((1, 1, 200, 200), 0.5)
    noisy = add_shot_read_noise(flat, shot_noise=1e-3, read_noise=1e-4, generator=torch.Generator().manual_seed(0))
    expected = 1e-4 + 1e-3 * 0.5
    assert abs(noisy.var().item() / expected - 1) < 0.05
    dark = add_shot_read_noise(torch.full((1, 1, 200, 200), 0.2), 1e-3, 0.0, generator=torch.Generator().manual_seed(0))
    assert abs(dark.var().item() / (1e-3 * 0.2) - 1) < 0.05  # variance grows with the signal


def test_gaussian_noise_level():
    flat = torch.full((3, 256, 256), 0.5)
    burst = synthetic_burst(flat, 2, 2, noise="gaussian", sigma=0.03, seed=0)
    assert abs(burst.frames.std().item() - 0.03) < 0.002


def test_border_crops_frames_and_target_together(photo):
    full = synthetic_burst(photo, 3, 4, seed=2)
    cut = synthetic_burst(photo, 3, 4, seed=2, border=3)
    assert cut.frames.shape == (3, 3, 26, 26) and cut.target.shape == (3, 104, 104)
    torch.testing.assert_close(cut.frames, full.frames[:, :, 3:-3, 3:-3])
    torch.testing.assert_close(cut.target, full.target[:, 12:-12, 12:-12])


def test_image_is_cropped_to_a_multiple_of_the_scale():
    burst = synthetic_burst(torch.rand(3, 70, 83), 2, 4, seed=0)
    assert burst.frames.shape == (2, 3, 17, 20) and burst.target.shape == (3, 68, 80)
    burst = synthetic_burst(torch.rand(3, 70, 83), 2, 3, seed=0)  # every scale of SUPPORTED_SCALES, ×3 included
    assert burst.frames.shape == (2, 3, 23, 27) and burst.target.shape == (3, 69, 81)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scale": 5}, r"scale must be one of \(2, 3, 4, 8\)"),
        ({"frames": 0}, "frames"),
        ({"noise": "salt"}, "noise"),
        ({"downsampling": "nearest"}, "downsampling"),
        ({"max_shift": -1.0}, "max_shift"),
        ({"sigma": float("nan")}, "sigma"),
        ({"border": 20}, "too small"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments(photo, kwargs, message):
    with pytest.raises(ValueError, match=message):
        synthetic_burst(photo, **{"frames": 4, "scale": 4, **kwargs})


def test_bad_images():
    with pytest.raises(ValueError, match="image"):
        synthetic_burst(torch.rand(1, 3, 64, 64))
    nan_image = torch.rand(3, 64, 64)
    nan_image[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        synthetic_burst(nan_image)
    with pytest.raises(ValueError, match="values in"):
        synthetic_burst(torch.rand(3, 64, 64) * 2)


def test_dataset_items_and_determinism(photo):
    dataset = BurstDataset([photo, photo.flip(-2)], frames=4, scale=4, patch_size=32, length=10, seed=5)
    frames, target = dataset[3]
    assert frames.shape == (4, 3, 8, 8) and target.shape == (3, 32, 32)
    again_frames, _ = BurstDataset([photo, photo.flip(-2)], 4, 4, 32, 10, seed=5)[3]
    assert torch.equal(frames, again_frames)
    assert not torch.equal(frames, dataset[4][0])
    assert len(dataset) == 10
    with pytest.raises(IndexError):
        dataset[10]
    batch = torch.utils.data.default_collate([dataset[0], dataset[1]])
    assert batch[0].shape == (2, 4, 3, 8, 8)


def test_dataset_bad_input(photo):
    with pytest.raises(ValueError, match="at least"):
        BurstDataset([photo[:, :40, :40]], patch_size=32, scale=4)
    with pytest.raises(ValueError, match="multiple"):
        BurstDataset([photo], patch_size=30, scale=4)
    with pytest.raises(ValueError, match="border"):
        BurstDataset([photo], patch_size=32, border=1)
    with pytest.raises(ValueError, match="noise"):
        BurstDataset([photo], patch_size=32, noise="salt")
    with pytest.raises(ValueError, match="at least one"):
        BurstDataset([])


def test_noise_arguments_are_checked():
    with pytest.raises(ValueError, match="shot_noise"):
        add_shot_read_noise(torch.rand(1, 3, 8, 8), -1.0, 0.0)
    assert math.isclose(float(add_shot_read_noise(torch.zeros(1, 1, 4, 4), 0.0, 0.0).sum()), 0.0)
