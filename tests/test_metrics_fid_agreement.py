"""Agreement of the Fréchet distance and KID with pytorch-fid, torchmetrics and torch-fidelity.

Fréchet distance: 1e-4 relative against pytorch-fid's ``calculate_frechet_distance``
(SciPy ``sqrtm``) on 64-d and 2048-d statistics, including nearly singular
covariances. KID: 1e-5 absolute against torchmetrics' ``poly_mmd`` and
torch-fidelity's ``kid_features_to_metric`` given the same features, all samples
in one subset (so no random subset draw separates the implementations).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imgsynth_edu.metrics import frechet_distance, kid

fid_score = pytest.importorskip("pytorch_fid.fid_score")


def _statistics(n, d, seed, shift=0.0, scale=1.0, rank=None):
    rng = np.random.default_rng(seed)
    if rank is None:
        features = rng.normal(size=(n, d)) * scale + shift
    else:  # features in a rank-`rank` subspace plus a whisper of noise: nearly singular
        features = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, d)) + 1e-4 * rng.normal(size=(n, d)) + shift
    return features.mean(axis=0), np.cov(features, rowvar=False)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (dict(n=1000, d=64, seed=0), dict(n=1000, d=64, seed=1, shift=0.2, scale=1.3)),
        (dict(n=200, d=64, seed=2, rank=20), dict(n=200, d=64, seed=3, rank=20, shift=0.1)),
        (dict(n=60, d=64, seed=4), dict(n=60, d=64, seed=5, shift=0.05)),  # N < D: singular
    ],
    ids=["64d", "64d-nearly-singular", "64d-fewer-samples-than-dims"],
)
def test_frechet_distance_agrees_with_pytorch_fid_64d(first, second):
    mu1, sigma1 = _statistics(**first)
    mu2, sigma2 = _statistics(**second)
    ours = frechet_distance(mu1, sigma1, mu2, sigma2)
    reference = fid_score.calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    assert ours == pytest.approx(reference, rel=1e-4)


@pytest.mark.slow
def test_frechet_distance_agrees_with_pytorch_fid_2048d():
    mu1, sigma1 = _statistics(3000, 2048, 6)
    mu2, sigma2 = _statistics(3000, 2048, 7, shift=0.05, scale=1.1)
    ours = frechet_distance(mu1, sigma1, mu2, sigma2)
    reference = fid_score.calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    assert ours == pytest.approx(reference, rel=1e-4)


def _features(n, d, seed, shift=0.0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=generator, dtype=torch.float64) * 2 + shift  # non-negative, like pool features


@pytest.mark.parametrize(("n", "d", "shift"), [(100, 64, 0.0), (150, 64, 0.3), (120, 2048, 0.05)])
def test_kid_agrees_with_torchmetrics_and_torch_fidelity(n, d, shift):
    real, fake = _features(n, d, 0), _features(n, d, 1, shift)
    ours, _ = kid(real, fake, subset_size=n, num_subsets=1)
    torchmetrics_kid = pytest.importorskip("torchmetrics.image.kid")
    reference_torchmetrics = torchmetrics_kid.poly_mmd(real, fake).item()
    metric_kid = pytest.importorskip("torch_fidelity.metric_kid")
    reference_fidelity = metric_kid.kid_features_to_metric(
        real, fake, kid_subsets=1, kid_subset_size=n, verbose=False
    )["kernel_inception_distance_mean"]
    assert ours == pytest.approx(reference_torchmetrics, abs=1e-5)
    assert ours == pytest.approx(reference_fidelity, abs=1e-5)
    assert abs(ours) > 1e-4 or shift == 0.0  # a shift gives a clearly positive value
