"""FID, KID, precision/recall and the streaming statistics: properties, references, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from imgsynth_edu.metrics import (
    FeatureStatistics,
    compute_statistics,
    extract_features,
    fid,
    fid_bias_curve,
    fid_from_statistics,
    frechet_distance,
    kid,
    precision_recall,
)


def _gaussian_features(n, d, seed, shift=0.0, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=generator, dtype=torch.float64) * scale + shift


# ---------------------------------------------------------------- Fréchet distance
def test_frechet_distance_of_1d_gaussians_has_the_closed_form():
    # d² = (μ1-μ2)² + (σ1-σ2)² in one dimension
    value = frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[9.0]]))
    assert value == pytest.approx(3.0**2 + (2.0 - 3.0) ** 2, rel=1e-12)


def test_frechet_distance_of_commuting_covariances_is_sum_of_sqrt_differences():
    # diagonal covariances commute: tr(Σ1+Σ2-2(Σ1Σ2)^½) = Σ (√a - √b)²
    a = torch.tensor([1.0, 4.0, 0.25, 9.0], dtype=torch.float64)
    b = torch.tensor([4.0, 1.0, 1.0, 9.0], dtype=torch.float64)
    mu = torch.zeros(4, dtype=torch.float64)
    expected = ((a.sqrt() - b.sqrt()) ** 2).sum().item()
    assert frechet_distance(mu, torch.diag(a), mu, torch.diag(b)) == pytest.approx(expected, rel=1e-12)


def test_frechet_distance_with_a_singular_covariance_uses_the_eigh_route():
    # exact zeros make the Cholesky factorisation fail; Σ1^½ then comes from eigh
    a = torch.tensor([0.0, 4.0, 0.0, 9.0], dtype=torch.float64)
    b = torch.tensor([4.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    mu = torch.zeros(4, dtype=torch.float64)
    assert torch.linalg.cholesky_ex(torch.diag(a)).info.item() != 0
    expected = ((a.sqrt() - b.sqrt()) ** 2).sum().item()
    assert frechet_distance(mu, torch.diag(a), mu, torch.diag(b)) == pytest.approx(expected, rel=1e-12)
    rotation, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    rotated_a, rotated_b = rotation @ torch.diag(a) @ rotation.T, rotation @ torch.diag(b) @ rotation.T
    # rotated, the zero eigenvalues become ±1e-16 and their square roots ~1e-8: that is the precision
    assert frechet_distance(mu, rotated_a, mu, rotated_b) == pytest.approx(expected, abs=1e-6)


def test_frechet_distance_is_symmetric_and_zero_on_itself():
    features = _gaussian_features(300, 16, 0)
    other = _gaussian_features(300, 16, 1, shift=0.3, scale=1.5)
    m1, s1 = features.mean(0), torch.cov(features.T)
    m2, s2 = other.mean(0), torch.cov(other.T)
    assert frechet_distance(m1, s1, m1, s1) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(frechet_distance(m2, s2, m1, s1), rel=1e-9)
    assert frechet_distance(m1, s1, m2, s2) > 1.0


def test_fid_grows_with_the_shift():
    real = _gaussian_features(500, 8, 0)
    near = _gaussian_features(500, 8, 1, shift=0.1)
    far = _gaussian_features(500, 8, 2, shift=1.0)
    assert fid(real, near) < fid(real, far)
    assert fid(real, far) == pytest.approx(8 * 1.0**2, rel=0.15)  # ‖Δμ‖² dominates


def test_fid_warns_when_covariance_is_singular_and_points_to_kid():
    real = _gaussian_features(40, 64, 0)
    fake = _gaussian_features(40, 64, 1)
    with pytest.warns(UserWarning) as record:
        fid(real, fake)
    messages = [str(w.message) for w in record]
    assert any("real_features has 40 samples for 64 feature dimensions" in m and "kid()" in m for m in messages)
    assert any(m.startswith("fake_features has 40 samples") for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fid(_gaussian_features(100, 8, 0), _gaussian_features(100, 8, 1))  # no warning when N > D


# ---------------------------------------------------------------- streaming statistics
def test_feature_statistics_equal_numpy_over_uneven_batches():
    features = _gaussian_features(1003, 12, 0, shift=1000.0)  # a large mean: cancellation would show
    statistics = FeatureStatistics()
    for chunk in features.split(97):
        statistics.update(chunk)
    assert statistics.count == 1003
    assert np.allclose(statistics.mean.numpy(), features.numpy().mean(0), rtol=0, atol=1e-10)
    assert np.allclose(statistics.covariance.numpy(), np.cov(features.numpy(), rowvar=False), rtol=0, atol=1e-9)


def test_compute_statistics_streams_batches_through_the_extractor(generator):
    images = torch.rand(70, 1, 4, 4, generator=generator)
    extractor = lambda batch: batch.flatten(1)[:, :5] * 2  # noqa: E731  (B, 5)
    from_tensor = compute_statistics(images, extractor, batch_size=16)
    from_loader = compute_statistics(((images[i : i + 9], None) for i in range(0, 70, 9)), extractor)
    reference = images.flatten(1)[:, :5].double() * 2
    assert from_tensor.count == from_loader.count == 70
    assert torch.allclose(from_tensor.mean, reference.mean(0))
    assert torch.allclose(from_loader.covariance, torch.cov(reference.T))
    all_features = extract_features(images, extractor, batch_size=32)
    assert all_features.shape == (70, 5)
    assert fid_from_statistics(from_tensor, from_loader) == pytest.approx(0.0, abs=1e-9)


def test_compute_statistics_bad_input():
    with pytest.raises(TypeError, match="feature_extractor must be callable"):
        compute_statistics(torch.rand(4, 1, 4, 4), "inception")
    with pytest.raises(ValueError, match="feature_extractor must return a B×D tensor"):
        compute_statistics(torch.rand(4, 1, 4, 4), lambda batch: batch)
    with pytest.raises(ValueError, match="images must have values"):
        compute_statistics(torch.rand(4, 1, 4, 4) * 2, lambda batch: batch.flatten(1))
    with pytest.raises(ValueError, match="at least 2"):
        FeatureStatistics().update(torch.ones(1, 3)).covariance  # noqa: B018


# ---------------------------------------------------------------- KID
def test_kid_matches_its_formula_on_a_small_case():
    real = _gaussian_features(5, 3, 0)
    fake = _gaussian_features(5, 3, 1, shift=0.5)
    kernel = lambda a, b: (a @ b.T / 3 + 1) ** 3  # noqa: E731
    k_rr, k_ff, k_rf = kernel(real, real), kernel(fake, fake), kernel(real, fake)
    expected = 0.0
    for i in range(5):
        for j in range(5):
            if i != j:
                expected += (k_rr[i, j] + k_ff[i, j]).item() / 20
            expected -= 2 * k_rf[i, j].item() / 25
    mean, std = kid(real, fake, subset_size=5, num_subsets=1)
    assert mean == pytest.approx(expected, rel=1e-12)
    assert std == 0.0


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    real = _gaussian_features(400, 16, 0)
    same = _gaussian_features(400, 16, 1)
    other = _gaussian_features(400, 16, 2, shift=0.5)
    same_mean, same_std = kid(real, same, subset_size=200, num_subsets=20, generator=torch.Generator().manual_seed(0))
    other_mean, _ = kid(real, other, subset_size=200, num_subsets=20, generator=torch.Generator().manual_seed(0))
    assert abs(same_mean) < 3 * same_std + 1e-3
    assert other_mean > 10 * abs(same_mean)


def test_kid_is_reproducible_with_a_generator():
    real, fake = _gaussian_features(100, 4, 0), _gaussian_features(100, 4, 1, shift=0.2)
    first = kid(real, fake, subset_size=50, num_subsets=5, generator=torch.Generator().manual_seed(3))
    second = kid(real, fake, subset_size=50, num_subsets=5, generator=torch.Generator().manual_seed(3))
    assert first == second


# ---------------------------------------------------------------- precision / recall
def _mixture(n, seed, modes=(0, 1, 2, 3), d=8):
    """A mixture of 4 well-separated Gaussians in d dims; ``modes`` picks which to sample."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.eye(4, d, dtype=torch.float64) * 10  # (4, d)
    picks = torch.tensor(modes)[torch.randint(len(modes), (n,), generator=generator)]
    return centres[picks] + torch.randn(n, d, generator=generator, dtype=torch.float64)


def test_precision_recall_of_a_sample_against_itself_is_one():
    real = _mixture(500, 0)
    precision, recall = precision_recall(real, real.clone(), k=3)
    assert precision == 1.0 and recall == 1.0


def test_precision_recall_of_a_fresh_sample_is_high():
    # a second sample of the same distribution: k = 3 balls miss a few points, so ≈0.85-0.9, not 1
    precision, recall = precision_recall(_mixture(500, 0), _mixture(500, 1), k=3)
    assert precision > 0.8 and recall > 0.8


def test_collapsed_fake_has_high_precision_and_low_recall():
    precision, recall = precision_recall(_mixture(600, 0), _mixture(600, 1, modes=(2,)), k=3)
    assert precision > 0.8  # as high as a fresh sample's (previous test): every fake is a good one
    assert recall < 0.35  # one mode of four covers about a quarter of the reals


def test_shifted_fake_has_low_precision():
    shifted = _mixture(500, 1) + 6.0
    precision, _ = precision_recall(_mixture(500, 0), shifted, k=3)
    assert precision < 0.1


# ---------------------------------------------------------------- FID bias
def test_fid_bias_curve_falls_with_the_sample_size():
    real = _gaussian_features(2000, 16, 0)
    fake = _gaussian_features(2000, 16, 1)  # same distribution: the true FID is 0
    values = fid_bias_curve(real, fake, [20, 100, 2000], generator=torch.Generator().manual_seed(0))
    assert values[0] > values[1] > values[2] > 0


# ---------------------------------------------------------------- bad input
def test_bad_feature_inputs_raise_naming_the_argument():
    good = _gaussian_features(20, 4, 0)
    with pytest.raises(ValueError, match="same feature dimension"):
        fid(good, _gaussian_features(20, 5, 1))
    with pytest.raises(ValueError, match="real_features must be a matrix"):
        kid(good[0], good, subset_size=2)
    with pytest.raises(TypeError, match="fake_features must be a torch.Tensor or numpy.ndarray"):
        precision_recall(good, good.tolist())
    nan = good.clone()
    nan[3, 1] = float("nan")
    with pytest.raises(ValueError, match="fake_features contains NaN"):
        fid(good, nan)
    with pytest.raises(ValueError, match="at least 2 samples"):
        fid(good, good[:1])
    with pytest.raises(ValueError, match="subset_size=50 is larger than the smaller set"):
        kid(good, good, subset_size=50)
    with pytest.raises(ValueError, match="k=20 must be smaller"):
        precision_recall(good, good, k=20)
    with pytest.raises(ValueError, match="sigma2 must have shape"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))
    with pytest.raises(ValueError, match="sigma1 must be a symmetric"):
        frechet_distance(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="sigma1 is not a covariance matrix"):
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))
