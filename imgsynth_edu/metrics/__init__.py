"""Metrics: PSNR, SSIM, MS-SSIM, FID, KID, precision/recall, feature extractors.

* :mod:`.image` - full-reference metrics for restoration: :func:`psnr`,
  :func:`ssim`, :func:`ms_ssim`, :func:`rgb_to_y`, :func:`sr_metrics`.
* :mod:`.distribution` - metrics for generators on features:
  :func:`frechet_distance`, :func:`fid`, :func:`kid`, :func:`precision_recall`,
  and the streaming :class:`FeatureStatistics` / :func:`compute_statistics`.
* :mod:`.inception` - :class:`InceptionFeatures`, the FID InceptionV3 (pytorch-fid's
  weights, downloaded and checksum-verified on first use). For digits, use the bundled
  classifier instead: ``pretrained.load("digit-classifier").features``.

Lesson: ``04_measuring_quality.ipynb``.
"""

from .distribution import (
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
from .image import MS_SSIM_WEIGHTS, ms_ssim, psnr, rgb_to_y, sr_metrics, ssim
from .inception import FIDInceptionV3, InceptionFeatures, InceptionWeightsUnavailableError

__all__ = [
    "MS_SSIM_WEIGHTS",
    "FIDInceptionV3",
    "FeatureStatistics",
    "InceptionFeatures",
    "InceptionWeightsUnavailableError",
    "compute_statistics",
    "extract_features",
    "fid",
    "fid_bias_curve",
    "fid_from_statistics",
    "frechet_distance",
    "kid",
    "ms_ssim",
    "precision_recall",
    "psnr",
    "rgb_to_y",
    "sr_metrics",
    "ssim",
]
