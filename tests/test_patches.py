"""Paired patch dataset: on-the-fly bicubic degradation, augmentation, seeding."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu.data import bicubic_downscale
from imgsynth_edu.data.patches import PairedPatchDataset, augment_dihedral


@pytest.fixture
def images():
    generator = torch.Generator().manual_seed(0)
    return {"a": torch.rand(3, 40, 50, generator=generator), "b": torch.rand(3, 64, 32, generator=generator)}


def test_items_are_aligned_bicubic_pairs(images):
    dataset = PairedPatchDataset(images, scale=4, patch_size=24, augment=False)
    low_res, high_res = dataset[3]
    assert low_res.shape == (3, 6, 6) and high_res.shape == (3, 24, 24)
    assert low_res.dtype == high_res.dtype == torch.float32
    assert torch.equal(low_res, bicubic_downscale(high_res[None], 4)[0])
    # the high-resolution patch is a crop of one of the images
    found = False
    for image in images.values():
        windows = image.unfold(1, 24, 1).unfold(2, 24, 1)  # 3×h'×w'×24×24
        found |= bool((windows == high_res[:, None, None]).flatten(3).all(-1).all(0).any())
    assert found


def test_item_depends_only_on_seed_and_index(images):
    first = PairedPatchDataset(images, scale=2, patch_size=16, seed=7)
    again = PairedPatchDataset(images, scale=2, patch_size=16, seed=7)
    other_seed = PairedPatchDataset(images, scale=2, patch_size=16, seed=8)
    assert all(torch.equal(first[i][1], again[i][1]) for i in range(5))
    assert not torch.equal(first[0][1], first[1][1])
    assert not all(torch.equal(first[i][1], other_seed[i][1]) for i in range(5))


def test_both_images_are_sampled(images):
    dataset = PairedPatchDataset(images, scale=2, patch_size=16, augment=False, length=200)
    means = {round(img.mean().item(), 6) for img in images.values()}
    assert len(means) == 2
    heights = set()
    for i in range(40):
        _, patch = dataset[i]
        for name, image in images.items():
            if (image.unfold(1, 16, 1).unfold(2, 16, 1) == patch[:, None, None]).flatten(3).all(-1).all(0).any():
                heights.add(name)
    assert heights == {"a", "b"}


def test_dihedral_augmentation_is_the_group_of_the_square():
    square = torch.arange(9.0).view(1, 3, 3)
    results = [augment_dihedral(square, k) for k in range(8)]
    assert torch.equal(results[0], square)
    assert len({tuple(r.flatten().tolist()) for r in results}) == 8  # eight distinct symmetries
    assert torch.equal(results[1], square.flip(-1))
    assert torch.equal(results[2], torch.rot90(square, 1, dims=(-2, -1)))
    with pytest.raises(ValueError, match="which"):
        augment_dihedral(square, 8)


def test_blur_and_noise_change_the_input_not_the_target(images):
    plain = PairedPatchDataset(images, scale=2, patch_size=16, seed=1)
    blurred = PairedPatchDataset(images, scale=2, patch_size=16, seed=1, blur_sigma=1.0)
    noisy = PairedPatchDataset(images, scale=2, patch_size=16, seed=1, noise_sigma=0.1)
    (low, high), (low_b, high_b), (low_n, high_n) = plain[0], blurred[0], noisy[0]
    assert torch.equal(high, high_b) and torch.equal(high, high_n)
    assert low_b.std() < low.std()  # blur removes detail
    assert (low_n - low).abs().mean() > 0.03  # noise added
    assert 0 <= low_n.min() and low_n.max() <= 1


@pytest.mark.parametrize("kwargs, message", [
    ({"patch_size": 18, "scale": 4}, "multiple of scale"),
    ({"patch_size": 128}, "at least 128"),
    ({"blur_sigma": -1.0}, "blur_sigma"),
    ({"length": 0}, "length"),
])
def test_bad_arguments_are_named(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        PairedPatchDataset(images, **kwargs)


def test_rejects_out_of_range_images_and_bad_indices(images):
    with pytest.raises(ValueError, match=r"images\[0\]"):
        PairedPatchDataset([torch.rand(3, 32, 32) * 2], scale=2, patch_size=16)
    dataset = PairedPatchDataset(images, scale=2, patch_size=16, length=10)
    with pytest.raises(IndexError):
        dataset[10]
