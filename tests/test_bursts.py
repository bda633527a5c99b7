"""Synthetic bursts: shapes, determinism, the returned shifts, the noise models, the training augmentation, bad input."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from imgsynth_edu.data.bursts import (
    AUGMENT_GAIN_RANGE,
    AUGMENT_NOISE_FACTOR_RANGE,
    DEFAULT_NOISE,
    BurstAugmentation,
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
    with pytest.raises(ValueError, match="augment"):
        BurstDataset([photo], patch_size=32, augment="yes")


# ----------------------------------------------------------------------------
# The training augmentation (augment=True)
# ----------------------------------------------------------------------------
def test_augmented_items_are_deterministic(photo):
    dataset = BurstDataset([photo, photo.flip(-2)], frames=3, scale=4, patch_size=32, length=20, seed=7, augment=True)
    again = BurstDataset([photo, photo.flip(-2)], frames=3, scale=4, patch_size=32, length=20, seed=7, augment=True)
    other = BurstDataset([photo, photo.flip(-2)], frames=3, scale=4, patch_size=32, length=20, seed=8, augment=True)
    for index in (0, 5, 19):
        frames, target = dataset[index]
        again_frames, again_target = again[index]
        assert torch.equal(frames, again_frames) and torch.equal(target, again_target)
        assert dataset.augmentation(index) == again.augmentation(index)
    assert not torch.equal(dataset[5][1], other[5][1])


def test_augmentation_happens_with_the_stated_probabilities(photo):
    count = 2000
    dataset = BurstDataset([photo], frames=2, scale=4, patch_size=32, length=count, seed=0, augment=True)
    draws = [dataset.augmentation(index) for index in range(count)]  # no bursts are made: cheap
    tolerance = 4 * math.sqrt(0.25 / count)  # 4 standard deviations of a frequency near 1/2
    assert abs(sum(d.flip_horizontal for d in draws) / count - 0.5) < tolerance
    assert abs(sum(d.flip_vertical for d in draws) / count - 0.5) < tolerance
    for turns in range(4):
        assert abs(sum(d.quarter_turns == turns for d in draws) / count - 0.25) < tolerance
    orders = [d.channel_order for d in draws]
    assert set(orders) == {(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)}
    assert abs(orders.count((0, 1, 2)) / count - 1 / 6) < tolerance
    gains = torch.tensor([d.channel_gains for d in draws])  # count×3
    assert AUGMENT_GAIN_RANGE[0] <= float(gains.min()) and float(gains.max()) <= AUGMENT_GAIN_RANGE[1] <= 1.0
    assert float(gains.mean()) == pytest.approx(sum(AUGMENT_GAIN_RANGE) / 2, abs=0.01)  # uniform
    factors = torch.tensor([d.noise_factor for d in draws], dtype=torch.float64)
    low, high = AUGMENT_NOISE_FACTOR_RANGE
    assert low <= float(factors.min()) and float(factors.max()) <= high
    # log-uniform in [1/2, 2]: half the bursts darker than the default, half lighter; log evenly spread
    assert abs(float((factors < 1).double().mean()) - 0.5) < tolerance
    assert float(factors.log().std()) == pytest.approx((math.log(high) - math.log(low)) / math.sqrt(12), rel=0.1)
    # the old data: a horizontal flip only
    plain = BurstDataset([photo], frames=2, scale=4, patch_size=32, length=200, seed=0)
    plain_draws = [plain.augmentation(index) for index in range(200)]
    assert 0 < sum(d.flip_horizontal for d in plain_draws) < 200
    assert not any(d.flip_vertical or d.quarter_turns or d.noise_factor != 1.0 for d in plain_draws)
    assert all(d.channel_order == (0, 1, 2) and d.channel_gains == (1.0, 1.0, 1.0) for d in plain_draws)


def test_augmentation_geometry_by_hand():
    square = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])  # 1×2×2: [[a, b], [c, d]]
    same = {"channel_order": (0,), "channel_gains": (1.0,), "noise_factor": 1.0}
    mirror = BurstAugmentation(True, False, 0, **same).apply(square)
    assert mirror.tolist() == [[[2.0, 1.0], [4.0, 3.0]]]
    upside_down = BurstAugmentation(False, True, 0, **same).apply(square)
    assert upside_down.tolist() == [[[3.0, 4.0], [1.0, 2.0]]]
    # mirror, then a quarter turn (torch.rot90: the first column becomes the last row): the transpose
    assert BurstAugmentation(True, False, 1, **same).apply(square).tolist() == [[[1.0, 3.0], [2.0, 4.0]]]
    assert BurstAugmentation(False, False, 2, **same).apply(square).tolist() == [[[4.0, 3.0], [2.0, 1.0]]]


def test_colour_augmentation_keeps_the_range_without_clipping():
    image = torch.zeros(3, 4, 4)
    image[0] = 1.0  # a pure red image: values at both ends of [0, 1]
    image[1, 0, 0] = 0.5
    augmentation = BurstAugmentation(False, False, 0, channel_order=(1, 2, 0), channel_gains=(0.9, 0.8, 0.85),
                                     noise_factor=1.0)
    coloured = augmentation.apply(image)
    assert coloured.min() >= 0 and coloured.max() <= 1
    # channel 2 now holds the old red, times its gain: 0.85 exactly, not clipped to 1
    assert torch.allclose(coloured[2], torch.full((4, 4), 0.85))
    assert float(coloured[0, 0, 0]) == pytest.approx(0.45) and float(coloured[1].abs().max()) == 0.0


def test_augmented_frames_and_target_agree(photo):
    """With no motion and no noise every frame is the target shrunk: true only if both got the same flips and turns."""
    dataset = BurstDataset([photo], frames=3, scale=4, patch_size=64, length=24, seed=0, augment=True,
                           max_shift=0.0, noise="none")
    draws = [dataset.augmentation(index) for index in range(24)]
    assert any(d.flip_vertical for d in draws) and any(d.quarter_turns % 2 for d in draws)  # the test sees turns
    assert any(d.flip_horizontal for d in draws)
    for index in range(24):
        frames, target = dataset[index]
        assert frames.min() >= 0 and frames.max() <= 1 and target.min() >= 0 and target.max() <= 1
        shrunk = bicubic_downscale(target[None], 4)[0]  # 3×16×16
        # away from the edges (where the frame saw the margin and the shrunk target did not) they agree
        for frame in frames:
            assert torch.allclose(frame[:, 3:-3, 3:-3], shrunk[:, 3:-3, 3:-3], atol=1e-4)
    # the same check fails for a frame that was turned and the target not: the photo is not symmetric
    frames, target = dataset[[d.quarter_turns % 2 for d in draws].index(True)]
    turned_back = torch.rot90(frames[0], 1, dims=(-2, -1))
    shrunk = bicubic_downscale(target[None], 4)[0]
    assert not torch.allclose(turned_back[:, 3:-3, 3:-3], shrunk[:, 3:-3, 3:-3], atol=1e-2)


def test_augmented_noise_level_follows_the_drawn_factor():
    grey = torch.full((3, 128, 128), 0.5)  # flat: the frames' spread is the noise alone
    dataset = BurstDataset([grey], frames=8, scale=4, patch_size=64, length=40, seed=1, augment=True)
    factors = [dataset.augmentation(index).noise_factor for index in range(40)]
    darkest, lightest = max(range(40), key=factors.__getitem__), min(range(40), key=factors.__getitem__)
    assert factors[darkest] > 1.6 and factors[lightest] < 0.65  # the draw spans most of the range
    for index in (darkest, lightest):
        augmentation = dataset.augmentation(index)
        frames, _ = dataset[index]  # 8×3×16×16
        for channel in range(3):
            level = 0.5 * augmentation.channel_gains[channel]
            expected = (DEFAULT_NOISE["read_noise"] + DEFAULT_NOISE["shot_noise"] * level) * augmentation.noise_factor
            measured = float(frames[:, channel].var())
            assert measured == pytest.approx(expected, rel=0.15), (index, channel)


def test_noise_arguments_are_checked():
    with pytest.raises(ValueError, match="shot_noise"):
        add_shot_read_noise(torch.rand(1, 3, 8, 8), -1.0, 0.0)
    assert math.isclose(float(add_shot_read_noise(torch.zeros(1, 1, 4, 4), 0.0, 0.0).sum()), 0.0)
