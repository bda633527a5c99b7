"""Distribution metrics for generators: FID, KID, precision and recall, on features.

A generator is good when the *set* of its images looks like the set of real
images. Pixels are a poor space to compare sets in, so each image is first
mapped to a feature vector by a trained network (InceptionV3's 2048-d pool
features for photographs, the bundled digit classifier's 128-d embedding for
digits), and the two clouds of feature vectors are compared:

* :func:`frechet_distance` / :func:`fid` - fit a Gaussian to each cloud and
  measure the Fréchet (2-Wasserstein) distance between the two Gaussians
  (Heusel et al. 2017). Cheap, standard, but biased: it grows when fewer
  samples are used, and it needs many more samples than feature dimensions.
* :func:`kid` - the squared maximum mean discrepancy with a cubic polynomial
  kernel (Bińkowski et al. 2018): an *unbiased* estimate, usable with a few
  hundred samples.
* :func:`precision_recall` - k-nearest-neighbour manifolds (Kynkäänniemi et
  al. 2019): *precision* is the share of fakes that land on the real
  manifold (fidelity), *recall* the share of reals that the fake manifold
  covers (diversity). One number (FID) cannot separate the two.
* :class:`FeatureStatistics`, :func:`compute_statistics` and
  :func:`extract_features` stream images in batches through a feature network,
  so FID over 10,000 images never holds the images in memory at once.

Everything is computed in float64.

Lesson: ``04_measuring_quality.ipynb``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np
import torch

from .._checks import check_images, check_positive_int


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------
def _as_float64(array, name: str, ndim: int) -> torch.Tensor:
    """A float64 CPU tensor from a tensor or NumPy array, checked for rank and finiteness."""
    if isinstance(array, np.ndarray):
        array = torch.from_numpy(array)
    if not isinstance(array, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(array).__name__}")
    if not (array.is_floating_point() or array.dtype in (torch.int32, torch.int64)):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        expected = {1: "a vector (D,)", 2: "a matrix"}[ndim]
        raise ValueError(f"{name} must be {expected}, got shape {tuple(array.shape)}")
    array = array.detach().to("cpu", torch.float64)
    if not torch.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _check_features(features, name: str) -> torch.Tensor:
    """Features must be an ``N×D`` matrix with ``N >= 2``."""
    features = _as_float64(features, name, 2)
    if len(features) < 2:
        raise ValueError(f"{name} must hold at least 2 samples (rows), got {len(features)}")
    return features


def _check_feature_pair(real_features, fake_features) -> tuple[torch.Tensor, torch.Tensor]:
    real = _check_features(real_features, "real_features")
    fake = _check_features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real_features and fake_features must have the same feature dimension, "
            f"got {real.shape[1]} and {fake.shape[1]}"
        )
    return real, fake


def _warn_if_singular(count: int, dims: int, name: str) -> None:
    if count <= dims:
        warnings.warn(
            f"{name} has {count} samples for {dims} feature dimensions: its covariance has rank "
            f"at most {count - 1} < {dims} (singular), so FID is dominated by estimation error "
            f"and strongly biased upwards. Use at least several times {dims} samples, or use "
            "kid(), which is unbiased and works with a few hundred samples.",
            UserWarning,
            stacklevel=3,
        )


# ----------------------------------------------------------------------------
# Fréchet distance and FID
# ----------------------------------------------------------------------------
def _symmetric_sqrt(matrix: torch.Tensor, name: str) -> torch.Tensor:
    """``A^½`` of a symmetric positive semi-definite matrix through its eigendecomposition."""
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)  # A = V diag(λ) Vᵀ
    _check_psd(eigenvalues, name)
    roots = eigenvalues.clamp(min=0).sqrt()  # rounding can make a zero eigenvalue -1e-17
    return (eigenvectors * roots) @ eigenvectors.T  # V diag(√λ) Vᵀ


def _check_psd(eigenvalues: torch.Tensor, name: str) -> None:
    scale = max(eigenvalues.abs().max().item(), 1e-300)
    if eigenvalues.min().item() < -1e-6 * scale:
        raise ValueError(
            f"{name} is not a covariance matrix: it has a negative eigenvalue "
            f"{eigenvalues.min().item():.3g} (largest magnitude {scale:.3g})"
        )


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)`` (float64).

    .. math::
        d^2 = \\lVert\\mu_1 - \\mu_2\\rVert^2 + \\operatorname{tr}\\Sigma_1 + \\operatorname{tr}\\Sigma_2
              - 2\\operatorname{tr}\\big(\\Sigma_1^{1/2}\\,\\Sigma_2\\,\\Sigma_1^{1/2}\\big)^{1/2}

    (Dowson & Landau 1982; FID: Heusel et al. 2017, eq. 6). The usual form
    writes ``tr (Σ1 Σ2)^½``; it has the same value, because ``Σ1Σ2`` and
    ``Σ1^½ Σ2 Σ1^½`` are similar matrices. But ``Σ1Σ2`` is not symmetric, and
    ``scipy.linalg.sqrtm`` of it (pytorch-fid's route) goes through a complex
    Schur decomposition that is slow and, for nearly singular covariances,
    returns complex values or NaNs. The symmetric form needs only symmetric
    factorisations, real, stable and fast: with the Cholesky factor
    ``Σ1 = L Lᵀ``, the matrix ``Lᵀ Σ2 L`` has the same eigenvalues again, so
    one ``cholesky`` and one ``eigvalsh`` suffice; when ``Σ1`` is singular
    (fewer samples than dimensions) ``Σ1^½`` comes from ``eigh`` instead.

    ``mu1, mu2`` are ``(D,)`` vectors and ``sigma1, sigma2`` ``(D, D)``
    covariances (tensors or NumPy arrays). Lesson: ``04_measuring_quality``.
    """
    mu1, mu2 = _as_float64(mu1, "mu1", 1), _as_float64(mu2, "mu2", 1)
    sigma1, sigma2 = _as_float64(sigma1, "sigma1", 2), _as_float64(sigma2, "sigma2", 2)
    dims = mu1.shape[0]
    for name, value in (("mu2", mu2), ("sigma1", sigma1), ("sigma2", sigma2)):
        expected = (dims,) if name == "mu2" else (dims, dims)
        if tuple(value.shape) != expected:
            raise ValueError(f"{name} must have shape {expected} to match mu1 of shape ({dims},), got {tuple(value.shape)}")
    for name, sigma in (("sigma1", sigma1), ("sigma2", sigma2)):
        if not torch.allclose(sigma, sigma.T, rtol=1e-5, atol=1e-8 * max(sigma.abs().max().item(), 1.0)):
            raise ValueError(f"{name} must be a symmetric covariance matrix")
    sigma1, sigma2 = (sigma1 + sigma1.T) / 2, (sigma2 + sigma2.T) / 2  # exactly symmetric
    factor, info = torch.linalg.cholesky_ex(sigma1)  # Σ1 = L Lᵀ, a third of the work of eigh
    if info.item() == 0:
        inner = factor.T @ sigma2 @ factor  # Lᵀ Σ2 L: same eigenvalues as Σ1^½ Σ2 Σ1^½, (D, D)
    else:  # Σ1 singular to working precision: take Σ1^½ from its eigendecomposition
        root1 = _symmetric_sqrt(sigma1, "sigma1")  # Σ1^½, (D, D)
        inner = root1 @ sigma2 @ root1  # Σ1^½ Σ2 Σ1^½, symmetric PSD, (D, D)
    inner = (inner + inner.T) / 2
    eigenvalues = torch.linalg.eigvalsh(inner)  # (D,)
    _check_psd(eigenvalues, "sigma2")
    trace_sqrt = eigenvalues.clamp(min=0).sqrt().sum()  # tr (Σ1^½ Σ2 Σ1^½)^½
    mean_term = (mu1 - mu2).pow(2).sum()
    distance = mean_term + sigma1.trace() + sigma2.trace() - 2 * trace_sqrt
    return float(distance)


def _mean_and_covariance(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean = features.mean(dim=0)  # (D,)
    centred = features - mean  # (N, D)
    covariance = centred.T @ centred / (len(features) - 1)  # (D, D), unbiased as numpy.cov
    return mean, covariance


def fid(real_features, fake_features) -> float:
    """Fréchet Inception Distance between two sets of features (``N×D`` each), in float64.

    .. math:: \\mathrm{FID} = d^2\\big(\\mathcal N(\\hat\\mu_r, \\hat\\Sigma_r),\\,\\mathcal N(\\hat\\mu_g, \\hat\\Sigma_g)\\big)

    with the sample means and (unbiased) covariances of the features
    (Heusel et al. 2017, eq. 6; see :func:`frechet_distance`). "Inception"
    refers to the feature network of the paper; any network's features can be
    used (the digit classifier's for MNIST), but only numbers computed with
    the *same* network and sample size are comparable. FID is biased upwards
    at small ``N``; with fewer samples than dimensions the covariance is
    singular and a warning points to :func:`kid`.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    real, fake = _check_feature_pair(real_features, fake_features)
    _warn_if_singular(len(real), real.shape[1], "real_features")
    _warn_if_singular(len(fake), fake.shape[1], "fake_features")
    mu_r, sigma_r = _mean_and_covariance(real)
    mu_g, sigma_g = _mean_and_covariance(fake)
    return frechet_distance(mu_r, sigma_r, mu_g, sigma_g)


# ----------------------------------------------------------------------------
# Streaming statistics
# ----------------------------------------------------------------------------
class FeatureStatistics:
    """Running count, mean and covariance of feature vectors, updated batch by batch.

    Uses the pairwise update of Chan, Golub & LeVeque (1979): for a running
    set ``A`` and a new batch ``B``,

    .. math::
        \\delta = \\bar x_B - \\bar x_A,\\quad
        M_{AB} = M_A + M_B + \\delta\\delta^\\top \\frac{n_A n_B}{n_A + n_B}

    where ``M`` is the sum of outer products of centred vectors, so the
    covariance ``M / (n - 1)`` never suffers the cancellation of
    ``E[xxᵀ] - E[x]E[x]ᵀ``. Float64 throughout.

        stats = FeatureStatistics()
        for batch in loader:
            stats.update(network.features(batch))
        fid_from_statistics(real_stats, stats)
    """

    def __init__(self):
        self.count = 0
        self._mean: torch.Tensor | None = None
        self._scatter: torch.Tensor | None = None  # M: sum of centred outer products, (D, D)

    def update(self, features) -> FeatureStatistics:
        """Add a batch of feature vectors (``B×D``); returns ``self``."""
        batch = _as_float64(features, "features", 2)
        if len(batch) == 0:
            return self
        if self._mean is not None and batch.shape[1] != self._mean.shape[0]:
            raise ValueError(f"features must have {self._mean.shape[0]} dimensions like earlier batches, got {batch.shape[1]}")
        batch_mean = batch.mean(dim=0)  # (D,)
        centred = batch - batch_mean  # (B, D)
        batch_scatter = centred.T @ centred  # (D, D)
        if self._mean is None:
            self._mean, self._scatter, self.count = batch_mean, batch_scatter, len(batch)
            return self
        total = self.count + len(batch)
        delta = batch_mean - self._mean  # (D,)
        self._scatter = self._scatter + batch_scatter + torch.outer(delta, delta) * (self.count * len(batch) / total)
        self._mean = self._mean + delta * (len(batch) / total)
        self.count = total
        return self

    @property
    def dims(self) -> int:
        self._require(1)
        return int(self._mean.shape[0])

    @property
    def mean(self) -> torch.Tensor:
        """The sample mean ``(D,)`` (float64)."""
        self._require(1)
        return self._mean.clone()

    @property
    def covariance(self) -> torch.Tensor:
        """The unbiased sample covariance ``(D, D)`` (float64, divides by ``n - 1`` like ``numpy.cov``)."""
        self._require(2)
        return self._scatter / (self.count - 1)

    def _require(self, count: int) -> None:
        if self.count < count:
            raise ValueError(f"FeatureStatistics needs at least {count} feature vector(s), has {self.count}")

    def __repr__(self) -> str:
        dims = self._mean.shape[0] if self._mean is not None else "?"
        return f"FeatureStatistics(count={self.count}, dims={dims})"


def fid_from_statistics(real: FeatureStatistics, fake: FeatureStatistics) -> float:
    """FID from two :class:`FeatureStatistics` (warns if either covariance is singular)."""
    for name, stats in (("real", real), ("fake", fake)):
        if not isinstance(stats, FeatureStatistics):
            raise TypeError(f"{name} must be a FeatureStatistics, got {type(stats).__name__}")
        _warn_if_singular(stats.count, stats.dims, name)
    if real.dims != fake.dims:
        raise ValueError(f"real and fake statistics have different dimensions: {real.dims} and {fake.dims}")
    return frechet_distance(real.mean, real.covariance, fake.mean, fake.covariance)


def _batches(images, batch_size: int) -> Iterable[torch.Tensor]:
    """Batches of images from a tensor, or from an iterable of tensors or ``(images, labels)`` pairs."""
    if isinstance(images, torch.Tensor):
        check_images(images, "images")
        yield from images.split(batch_size)
        return
    if not isinstance(images, Iterable):
        raise TypeError(f"images must be an N×C×H×W tensor or an iterable of batches, got {type(images).__name__}")
    for batch in images:
        if isinstance(batch, (tuple, list)):
            batch = batch[0]  # a DataLoader's (images, labels)
        check_images(batch, "images (a batch)")
        yield batch


@torch.no_grad()
def _stream_features(images, feature_extractor: Callable, batch_size: int, device) -> Iterable[torch.Tensor]:
    check_positive_int(batch_size, "batch_size")
    if not callable(feature_extractor):
        raise TypeError(f"feature_extractor must be callable (images -> N×D features), got {type(feature_extractor).__name__}")
    if device is None:
        owner = getattr(feature_extractor, "__self__", feature_extractor)
        parameters = owner.parameters() if isinstance(owner, torch.nn.Module) else iter(())
        device = next(parameters, torch.empty(0)).device
    for batch in _batches(images, batch_size):
        features = feature_extractor(batch.to(device))  # (B, D)
        if not isinstance(features, torch.Tensor) or features.ndim != 2 or len(features) != len(batch):
            raise ValueError(
                f"feature_extractor must return a B×D tensor for B images, got "
                f"{getattr(features, 'shape', type(features).__name__)} for {len(batch)} images"
            )
        yield features.detach().to("cpu", torch.float64)


def compute_statistics(
    images, feature_extractor: Callable, batch_size: int = 250, device=None
) -> FeatureStatistics:
    """Stream ``images`` through ``feature_extractor`` and accumulate mean and covariance.

    ``images`` is an ``N×C×H×W`` tensor in ``[0, 1]`` or any iterable of
    batches (e.g. a ``DataLoader``, or a generator function that samples on
    the fly), so only one batch is ever in memory. ``feature_extractor`` maps
    a batch to ``B×D`` features, e.g. ``pretrained.load("digit-classifier").features``
    or an :class:`~imgsynth_edu.metrics.inception.InceptionFeatures`.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    statistics = FeatureStatistics()
    for features in _stream_features(images, feature_extractor, batch_size, device):
        statistics.update(features)
    return statistics


def extract_features(images, feature_extractor: Callable, batch_size: int = 250, device=None) -> torch.Tensor:
    """All features of ``images`` as one ``N×D`` float64 tensor (batched; for KID and precision/recall)."""
    return torch.cat(list(_stream_features(images, feature_extractor, batch_size, device)))  # (N, D)


# ----------------------------------------------------------------------------
# KID
# ----------------------------------------------------------------------------
def _polynomial_kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``k(x, y) = (xᵀy / D + 1)³`` for all pairs of rows: ``(m, D), (n, D) -> (m, n)``."""
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def _unbiased_mmd2(real: torch.Tensor, fake: torch.Tensor) -> float:
    m = len(real)
    k_rr = _polynomial_kernel(real, real)  # (m, m)
    k_ff = _polynomial_kernel(fake, fake)  # (m, m)
    k_rf = _polynomial_kernel(real, fake)  # (m, m)
    same_real = (k_rr.sum() - k_rr.diagonal().sum()) / (m * (m - 1))  # i ≠ j only: unbiased
    same_fake = (k_ff.sum() - k_ff.diagonal().sum()) / (m * (m - 1))
    cross = k_rf.sum() / (m * m)
    return float(same_real + same_fake - 2 * cross)


def kid(
    real_features,
    fake_features,
    subset_size: int = 1000,
    num_subsets: int = 100,
    generator: torch.Generator | None = None,
) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD² with a cubic polynomial kernel; ``(mean, std)``.

    .. math::
        k(x, y) = \\left(\\tfrac{1}{D}x^\\top y + 1\\right)^3,\\qquad
        \\widehat{\\mathrm{MMD}}^2 = \\frac{1}{m(m-1)}\\sum_{i \\ne j}\\big[k(x_i,x_j) + k(y_i,y_j)\\big]
        - \\frac{2}{m^2}\\sum_{i,j} k(x_i, y_j)

    (Bińkowski et al. 2018, "Demystifying MMD GANs", eq. 2 and Sec. 4). The
    estimate is unbiased, so unlike FID its expected value does not depend on
    the number of samples, and it can be slightly negative when the two sets
    come from the same distribution. It is averaged over ``num_subsets``
    random subsets of ``subset_size`` samples drawn without replacement from
    each set; returns the mean and the (population) standard deviation over
    subsets. ``generator`` seeds the subset draws.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    real, fake = _check_feature_pair(real_features, fake_features)
    check_positive_int(subset_size, "subset_size")
    check_positive_int(num_subsets, "num_subsets")
    if subset_size < 2:
        raise ValueError(f"subset_size must be at least 2 (the estimate needs pairs i ≠ j), got {subset_size}")
    if subset_size > min(len(real), len(fake)):
        raise ValueError(
            f"subset_size={subset_size} is larger than the smaller set "
            f"({len(real)} real, {len(fake)} fake features); pass subset_size <= {min(len(real), len(fake))}"
        )
    values = []
    for _ in range(num_subsets):
        real_index = torch.randperm(len(real), generator=generator)[:subset_size]
        fake_index = torch.randperm(len(fake), generator=generator)[:subset_size]
        values.append(_unbiased_mmd2(real[real_index], fake[fake_index]))
    values = np.asarray(values)
    return float(values.mean()), float(values.std())


# ----------------------------------------------------------------------------
# Precision and recall
# ----------------------------------------------------------------------------
def _kth_neighbour_radii(features: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """Distance from each row to its ``k``-th nearest *other* row, ``(N,)``."""
    radii = []
    for rows in features.split(chunk):
        distances = torch.cdist(rows, features)  # (chunk, N); each row's distance 0 to itself
        radii.append(distances.kthvalue(k + 1, dim=1).values)  # k+1: skip the point itself
    return torch.cat(radii)  # (N,)


def _inside_manifold(queries: torch.Tensor, support: torch.Tensor, radii: torch.Tensor, chunk: int) -> torch.Tensor:
    """For each query: is it inside at least one ball ``B(support_i, radii_i)``? ``(Q,)`` bool."""
    inside = []
    for rows in queries.split(chunk):
        distances = torch.cdist(rows, support)  # (chunk, N)
        inside.append((distances <= radii[None, :]).any(dim=1))
    return torch.cat(inside)


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019, eq. 1-3); ``(precision, recall)``.

    Each set's *manifold* is the union of balls around its samples, each ball
    reaching the sample's ``k``-th nearest neighbour in the same set:

    .. math::
        f(\\phi, \\Phi) = [\\exists\\, \\phi' \\in \\Phi:\\ \\lVert\\phi - \\phi'\\rVert_2
        \\le \\lVert\\phi' - \\mathrm{NN}_k(\\phi', \\Phi)\\rVert_2],\\quad
        \\mathrm{precision} = \\frac{1}{|\\Phi_g|}\\sum_{\\phi_g} f(\\phi_g, \\Phi_r),\\quad
        \\mathrm{recall} = \\frac{1}{|\\Phi_r|}\\sum_{\\phi_r} f(\\phi_r, \\Phi_g)

    *Precision* (fidelity): the share of fakes on the real manifold.
    *Recall* (diversity): the share of reals on the fake manifold. A generator
    that draws only one kind of digit beautifully has high precision and low
    recall; FID alone would only say "worse". The paper uses ``k = 3``.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    real, fake = _check_feature_pair(real_features, fake_features)
    check_positive_int(k, "k")
    if k >= min(len(real), len(fake)):
        raise ValueError(f"k={k} must be smaller than both set sizes ({len(real)} real, {len(fake)} fake)")
    chunk = max(1, min(1024, int(2**24 // max(len(real), len(fake)))))
    real_radii = _kth_neighbour_radii(real, k, chunk)  # (N_r,)
    fake_radii = _kth_neighbour_radii(fake, k, chunk)  # (N_g,)
    precision = _inside_manifold(fake, real, real_radii, chunk).double().mean().item()
    recall = _inside_manifold(real, fake, fake_radii, chunk).double().mean().item()
    return precision, recall


def fid_bias_curve(real_features, fake_features, sizes, generator: torch.Generator | None = None) -> list[float]:
    """FID of random subsets of ``sizes[i]`` real and fake features each: the bias of FID vs ``N``.

    FID's expected value falls roughly like ``a + b/N`` (Chong & Forsyth 2020,
    "Effectively Unbiased FID"): a model looks better when scored on more
    samples. Used for the lesson's plot. Singular-covariance warnings are
    silenced here (small sizes are the point of the experiment).
    """
    real, fake = _check_feature_pair(real_features, fake_features)
    values = []
    for size in sizes:
        check_positive_int(size, "sizes[i]")
        if size > min(len(real), len(fake)) or size < 2:
            raise ValueError(f"each size must lie in [2, {min(len(real), len(fake))}], got {size}")
        real_index = torch.randperm(len(real), generator=generator)[:size]
        fake_index = torch.randperm(len(fake), generator=generator)[:size]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            values.append(fid(real[real_index], fake[fake_index]))
    return values
