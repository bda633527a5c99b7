"""Metrics: PSNR, SSIM, MS-SSIM, FID, KID, precision/recall, feature extractors.

* :mod:`.image` - full-reference metrics for restoration: :func:`psnr`,
  :func:`ssim`, :func:`ms_ssim`, :func:`rgb_to_y`, :func:`sr_metrics`.
* :mod:`.niqe` - a no-reference measure of how natural a picture looks:
  :func:`niqe` (Mittal et al. 2013), with the authors' bundled pristine model.
* :mod:`.distribution` - metrics for generators on features:
  :func:`frechet_distance`, :func:`fid`, :func:`kid`, :func:`precision_recall`,
  and the streaming :class:`FeatureStatistics` / :func:`compute_statistics`.
* :mod:`.conditional` - conditional generation: :func:`conditional_accuracy`,
  per-class scores, PSNR/SSIM inside an inpainting hole.
* :mod:`.inception` - :class:`InceptionFeatures`, the FID InceptionV3 (pytorch-fid's
  weights, downloaded and checksum-verified on first use). For digits, use the bundled
  classifier instead: ``pretrained.load("digit-classifier").features``.

A metric compares images or features; a *protocol* (which images, which
model, which seeds: the numbers on a card) is in :mod:`imgsynth_edu.evaluation`.

Lesson: ``04_measuring_quality.ipynb``.
"""

from .conditional import (
    conditional_accuracy,
    hole_psnr,
    hole_sharpness,
    hole_ssim,
    per_class_scores,
    sample_per_class,
)
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
from .niqe import niqe

__all__ = [
    "MS_SSIM_WEIGHTS",
    "FIDInceptionV3",
    "FeatureStatistics",
    "InceptionFeatures",
    "InceptionWeightsUnavailableError",
    "compute_statistics",
    "conditional_accuracy",
    "extract_features",
    "fid",
    "fid_bias_curve",
    "fid_from_statistics",
    "frechet_distance",
    "hole_psnr",
    "hole_sharpness",
    "hole_ssim",
    "kid",
    "ms_ssim",
    "niqe",
    "per_class_scores",
    "precision_recall",
    "psnr",
    "rgb_to_y",
    "sample_per_class",
    "sr_metrics",
    "ssim",
]
