"""Inpainting masks, the masked dataset view, and the biharmonic baseline."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu._checks import check_masks
from imgsynth_edu.classical import inpaint_biharmonic
from imgsynth_edu.data import get_dataset
from imgsynth_edu.data.masks import (
    InpaintingDataset,
    apply_masks,
    centre_box_masks,
    free_form_masks,
    make_masks,
    random_box_masks,
)


def test_centre_box_is_where_it_should_be():
    masks = centre_box_masks(2, 28, box_fraction=0.5)
    assert masks.shape == (2, 1, 28, 28) and masks.dtype == torch.float32
    assert masks[0, 0].sum() == 14 * 14
    rows = torch.nonzero(masks[0, 0].any(dim=1)).flatten()
    assert rows.min() == 7 and rows.max() == 20
    moved = centre_box_masks(1, 28, box_fraction=0.5, offset=(-7, 7))
    assert moved[0, 0, 0, 27] == 1 and moved[0, 0, 27, 0] == 0
    with pytest.raises(ValueError, match="outside"):
        centre_box_masks(1, 28, box_fraction=0.5, offset=(8, 0))


@pytest.mark.parametrize("function", [random_box_masks, free_form_masks])
def test_random_masks_are_seeded_binary_and_varied(function):
    a = function(6, 32, generator=torch.Generator().manual_seed(1))
    b = function(6, 32, generator=torch.Generator().manual_seed(1))
    c = function(6, 32, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert ((a == 0) | (a == 1)).all()
    coverage = a.flatten(1).mean(dim=1)
    assert (coverage > 0).all() and (coverage < 0.9).all()
    assert len({tuple(m.flatten().tolist()) for m in a}) == 6  # every mask different


def test_free_form_strokes_are_connected_thick_lines():
    from scipy import ndimage

    masks = free_form_masks(20, 48, max_strokes=1, generator=torch.Generator().manual_seed(0))
    for mask in masks:
        _, components = ndimage.label(mask[0].numpy())
        assert components == 1  # one stroke is one connected region
    assert masks.sum() > 20 * 20  # brush has a width: more than a 1-pixel line


def test_make_masks_and_bad_options():
    assert torch.equal(make_masks("centre", 2, 16), centre_box_masks(2, 16))
    with pytest.raises(ValueError, match="kind"):
        make_masks("circle", 2, 16)
    with pytest.raises(ValueError, match="box_fraction"):
        centre_box_masks(1, 16, box_fraction=1.5)
    with pytest.raises(ValueError, match="min_fraction"):
        random_box_masks(1, 16, min_fraction=0.5, max_fraction=0.2)
    with pytest.raises(ValueError, match="size"):
        centre_box_masks(1, (16, 16, 3))


def test_check_masks_refuses_bad_masks():
    images = torch.rand(2, 3, 16, 16)
    good = torch.zeros(2, 1, 16, 16)
    assert check_masks(good, images) is good
    with pytest.raises(ValueError, match="N×1×H×W"):
        check_masks(torch.zeros(2, 3, 16, 16), images)
    with pytest.raises(ValueError, match="2×1×16×16"):
        check_masks(torch.zeros(2, 1, 8, 16), images)
    with pytest.raises(ValueError, match="2×1×16×16"):
        check_masks(torch.zeros(3, 1, 16, 16), images)
    with pytest.raises(ValueError, match="binary"):
        check_masks(torch.full((2, 1, 16, 16), 0.3), images)
    with pytest.raises(TypeError, match="float"):
        check_masks(torch.zeros(2, 1, 16, 16, dtype=torch.bool), images)


def test_apply_masks_fills_only_the_hole():
    images = torch.rand(1, 3, 8, 8)
    masks = torch.zeros(1, 1, 8, 8)
    masks[..., 2:4, 2:4] = 1
    out = apply_masks(images, masks, fill=0.5)
    assert (out[..., 2:4, 2:4] == 0.5).all()
    assert torch.equal(out[..., 5:, 5:], images[..., 5:, 5:])


def test_inpainting_dataset_view():
    base = get_dataset("mnist-5k", "test")
    view = InpaintingDataset(base, kind="strokes", seed=3)
    masked, mask, target = view[7]
    assert masked.shape == target.shape == (1, 28, 28) and mask.shape == (1, 28, 28)
    assert torch.equal(target, base[7][0])
    assert torch.equal(masked, target * (1 - mask))
    again = InpaintingDataset(base, kind="strokes", seed=3)[7]
    assert torch.equal(again[1], mask)  # deterministic by (seed, index)
    assert not torch.equal(view[8][1], mask)  # but different per index
    assert len(view) == len(base)
    with pytest.raises(ValueError, match="kind"):
        InpaintingDataset(base, kind="blob")


def test_biharmonic_fills_a_smooth_image_well_and_keeps_known_pixels():
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 32), indexing="ij")
    smooth = (0.2 + 0.3 * xx + 0.2 * yy)[None, None].repeat(1, 3, 1, 1)  # a linear ramp
    masks = centre_box_masks(1, 32, box_fraction=0.3)
    filled = inpaint_biharmonic(apply_masks(smooth, masks), masks)
    assert (filled - smooth).abs().max() < 1e-3  # a plane is biharmonic: recovered exactly
    assert torch.equal(filled[..., :5, :], smooth[..., :5, :].float())
    zero_filled_error = (apply_masks(smooth, masks) - smooth).abs().max()
    assert zero_filled_error > 0.3
