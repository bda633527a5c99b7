"""The 2-D toy distributions and the modes-covered / high-quality metric."""

from __future__ import annotations

import math

import pytest
import torch

from imgsynth_edu.data.toy2d import grid_of_gaussians, mode_coverage, ring_of_gaussians
from imgsynth_edu.viz import plot_toy


def test_ring_geometry():
    ring = ring_of_gaussians()
    assert ring.n_modes == 8
    assert torch.allclose(ring.centers.norm(dim=1), torch.full((8,), 2.0))
    angles = torch.atan2(ring.centers[:, 1], ring.centers[:, 0]) % (2 * math.pi)
    assert torch.allclose(angles.sort().values, torch.arange(8) * math.pi / 4, atol=1e-5)


def test_grid_geometry():
    grid = grid_of_gaussians()
    assert grid.n_modes == 25
    assert sorted(set(grid.centers[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_real_samples_score_perfectly(generator):
    for toy in (ring_of_gaussians(), grid_of_gaussians()):
        samples = toy.sample(5000, generator)
        assert samples.shape == (5000, 2)
        scores = toy.evaluate(samples)
        assert scores["modes_covered"] == toy.n_modes
        # a 2-D Gaussian puts 1 - exp(-9/2) = 98.89 % of its mass within 3σ of its centre
        assert scores["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.006)
        assert sum(scores["counts"]) == round(scores["high_quality"] * 5000)


def test_collapsed_generator_covers_one_mode(generator):
    ring = ring_of_gaussians()
    collapsed = ring.centers[3] + 0.01 * torch.randn(1000, 2, generator=generator)
    scores = ring.evaluate(collapsed)
    assert scores["modes_covered"] == 1
    assert scores["counts"][3] == 1000
    far = torch.randn(1000, 2, generator=generator) * 0.01  # all at the centre, between modes
    assert ring.evaluate(far)["high_quality"] == 0.0


def test_min_count_threshold():
    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    samples = torch.cat([torch.zeros(95, 2), torch.tensor([[10.0, 0.0]] * 5)])
    assert mode_coverage(samples, centers, std=0.1, min_count=5)["modes_covered"] == 2
    assert mode_coverage(samples, centers, std=0.1, min_count=6)["modes_covered"] == 1


def test_bad_input():
    ring = ring_of_gaussians()
    with pytest.raises(ValueError, match="samples must"):
        ring.evaluate(torch.zeros(10, 3))
    with pytest.raises(ValueError, match="NaN"):
        ring.evaluate(torch.full((4, 2), float("nan")))
    with pytest.raises(ValueError, match="std"):
        ring_of_gaussians(std=0)
    with pytest.raises(ValueError, match="n must"):
        ring.sample(0)


def test_plot_toy_with_discriminator():
    from imgsynth_edu.models.gan import MLPDiscriminator

    ring = ring_of_gaussians()
    fig = plot_toy(ring, samples=torch.zeros(10, 2), discriminator=MLPDiscriminator((2,), 8, 1), title="t")
    assert len(fig.axes) == 2  # the plot and the colour bar of D(x)
