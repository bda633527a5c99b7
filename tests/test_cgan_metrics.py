"""Metrics of conditional generation: conditional accuracy, per-class scores, hole PSNR / SSIM."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from imgsynth_edu.data.masks import centre_box_masks
from imgsynth_edu.metrics.conditional import (
    conditional_accuracy,
    hole_psnr,
    hole_sharpness,
    hole_ssim,
    per_class_scores,
    sample_per_class,
)


class _BrightnessClassifier(nn.Module):
    """Class = mean brightness quantised into 10 bins: a judge whose verdict we know in advance."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, images):
        level = (images.mean(dim=(1, 2, 3)) * 10).clamp(max=9.999).floor().long()
        return nn.functional.one_hot(level, 10).float() + 0 * self.dummy


class _ConstantGenerator(nn.Module):
    """A 'generator' that draws class k as a flat image of brightness (k + 0.5) / 10, except class 3 -> 0.05."""

    num_classes, latent_dim = 10, 1

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def sample(self, n, labels=None, generator=None):
        levels = (labels.float() + 0.5) / 10
        levels[labels == 3] = 0.05
        return levels.view(-1, 1, 1, 1).expand(n, 1, 28, 28).clone()


def test_conditional_accuracy_counts_the_right_answers():
    images, labels = sample_per_class(_ConstantGenerator(), n_per_class=4)
    assert images.shape == (40, 1, 28, 28) and labels.tolist()[:5] == [0, 0, 0, 0, 1]
    result = conditional_accuracy(images, labels, _BrightnessClassifier())
    assert result["accuracy"] == pytest.approx(0.9)  # every class right except 3
    assert result["per_class"][3] == 0.0 and result["per_class"][4] == 1.0
    assert result["confusion"][3, 0] == 4  # the 3s were all called 0


def test_conditional_accuracy_bad_labels():
    images = torch.rand(4, 1, 28, 28)
    with pytest.raises(ValueError, match="labels"):
        conditional_accuracy(images, torch.tensor([0, 1, 2]), _BrightnessClassifier())
    with pytest.raises(ValueError, match=r"\[0, 9\]"):
        conditional_accuracy(images, torch.tensor([0, 1, 2, 12]), _BrightnessClassifier())


def test_per_class_scores_compare_class_by_class():
    real = torch.cat([torch.full((5, 1, 4, 4), 0.2), torch.full((5, 1, 4, 4), 0.8)])
    real_labels = torch.tensor([0] * 5 + [1] * 5)
    fake = torch.cat([torch.full((5, 1, 4, 4), 0.2), torch.full((5, 1, 4, 4), 0.5)])
    scores = per_class_scores(fake, real_labels, real, real_labels,
                              lambda r, f: float((r.mean() - f.mean()).abs()), num_classes=2)
    assert scores == pytest.approx([0.0, 0.3])
    with pytest.raises(ValueError, match="class 1 needs"):
        per_class_scores(fake[:6], real_labels[:6], real, real_labels, lambda r, f: 0.0, num_classes=2)


def test_hole_psnr_ignores_the_known_pixels():
    target = torch.full((2, 1, 10, 10), 0.5)
    masks = centre_box_masks(2, 10, box_fraction=0.4)
    pred = target.clone()
    pred[masks.bool().expand_as(pred)] += 0.1  # error 0.1 in the hole only
    assert float(hole_psnr(pred, target, masks)) == pytest.approx(20.0, abs=1e-4)  # 10·log10(1 / 0.01)
    outside = target.clone()
    outside[..., 0, 0] = 0.0  # an error outside the hole does not count
    assert math.isinf(float(hole_psnr(outside, target, masks)))
    per_image = hole_psnr(pred, target, masks, reduction="none")
    assert per_image.shape == (2,) and torch.allclose(per_image, torch.tensor([20.0, 20.0]), atol=1e-4)


def test_hole_psnr_pooled_stays_finite_when_one_hole_is_exact():
    target = torch.full((2, 1, 10, 10), 0.5)
    masks = centre_box_masks(2, 10, box_fraction=0.4)
    pred = target.clone()
    pred[0][masks[0].bool().expand_as(pred[0])] += 0.1  # image 0 wrong in its hole, image 1 exact
    assert math.isinf(float(hole_psnr(pred, target, masks, reduction="mean")))
    pooled = float(hole_psnr(pred, target, masks))
    assert pooled == pytest.approx(10 * math.log10(1 / 0.005), abs=1e-4)  # half the hole values wrong by 0.1


def test_hole_metrics_bad_masks():
    images = torch.rand(2, 1, 10, 10)
    with pytest.raises(ValueError, match="binary"):
        hole_psnr(images, images, torch.full((2, 1, 10, 10), 0.5))
    with pytest.raises(ValueError, match="2×1×10×10"):
        hole_psnr(images, images, torch.ones(2, 1, 8, 8))
    with pytest.raises(ValueError, match="at least one hole pixel"):
        hole_psnr(images, images, torch.zeros(2, 1, 10, 10))
    with pytest.raises(ValueError, match="binary"):
        hole_ssim(images, images, torch.full((2, 1, 10, 10), 0.5))


def test_hole_ssim_orders_fills_by_quality():
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(3, 1, 28, 28, generator=generator)
    masks = centre_box_masks(3, 28, box_fraction=0.4)
    exact = hole_ssim(target, target, masks)
    slightly = target.clone()
    slightly[masks.bool().expand_as(target)] = (slightly[masks.bool().expand_as(target)] * 0.9 + 0.05)
    flat = target * (1 - masks) + 0.5 * masks
    assert float(exact) == pytest.approx(1.0, abs=1e-5)
    assert 1.0 > float(hole_ssim(slightly, target, masks)) > float(hole_ssim(flat, target, masks))


def test_hole_sharpness_of_a_known_edge_and_only_inside_the_hole():
    """A vertical black-to-white edge: the mean gradient magnitude is known by counting."""
    images = torch.zeros(1, 1, 6, 6)
    images[..., 3:] = 1.0  # one jump of 1 between columns 2 and 3, on every row
    masks = torch.ones(1, 1, 6, 6)
    # 5x5 interior positions, 5 horizontal jumps of 1, no vertical ones: 5 / (2 * 25)
    assert hole_sharpness(images, masks) == pytest.approx(5 / 50)
    away = torch.zeros(1, 1, 6, 6)
    away[..., 4:, :2] = 1  # a hole that does not touch the edge
    assert hole_sharpness(images, away) == 0.0


def test_hole_sharpness_ranks_a_blurred_fill_below_a_crisp_one():
    generator = torch.Generator().manual_seed(0)
    crisp = (torch.rand(4, 1, 28, 28, generator=generator) > 0.7).float()
    blurred = torch.nn.functional.avg_pool2d(crisp, 3, stride=1, padding=1, count_include_pad=False)
    masks = centre_box_masks(4, 28, box_fraction=0.5)
    assert hole_sharpness(crisp, masks) > 1.5 * hole_sharpness(blurred, masks)


def test_hole_sharpness_bad_input():
    images = torch.rand(2, 1, 10, 10)
    with pytest.raises(ValueError, match="binary"):
        hole_sharpness(images, torch.full((2, 1, 10, 10), 0.5))
    with pytest.raises(ValueError, match="hole pixel"):
        hole_sharpness(images, torch.zeros(2, 1, 10, 10))
    with pytest.raises(ValueError, match="images"):
        hole_sharpness(images * 3, torch.ones(2, 1, 10, 10))
