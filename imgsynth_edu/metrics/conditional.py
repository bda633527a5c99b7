"""Metrics for conditional generation: did it draw what was asked, and how well did it fill the hole?

* :func:`conditional_accuracy` - the share of generated images that a fixed
  classifier assigns to the *requested* class (the "classification accuracy"
  of class-conditional GANs, e.g. Miyato & Koyama 2018, sec. 5; Odena et al.
  2017, AC-GAN). It measures whether the label is obeyed, not whether the
  images are good: pair it with a distribution metric such as FID per class.
* :func:`per_class_scores` - FID (or any set-to-set metric, e.g. KID) computed
  separately for each class: generated 7s against real 7s, and so on.
* :func:`hole_psnr` / :func:`hole_ssim` - PSNR and SSIM *inside the hole* of an
  inpainting mask. Over the whole image the known pixels (identical in the
  result and the truth) would inflate both scores and hide the difference
  between methods.

The protocols that turn a conditional generator into the numbers on its card
(:func:`~imgsynth_edu.evaluation.evaluate_class_conditional`,
:func:`~imgsynth_edu.evaluation.evaluate_inpainting`) are in :mod:`imgsynth_edu.evaluation`.

Lesson: ``03_conditional_gan.ipynb``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .._checks import check_images, check_labels, check_masks, check_positive_int, check_same_shape
from .image import ssim


@torch.no_grad()
def classify(images: torch.Tensor, classifier: torch.nn.Module, batch_size: int = 250) -> torch.Tensor:
    """The classifier's predicted class for each image (``N`` class indices).

    ``classifier`` maps ``N×C×H×W`` images in ``[0, 1]`` to ``N×K`` logits
    (the bundled ``pretrained.load("digit-classifier")`` does, for 28×28 digits).
    """
    check_images(images, "images")
    check_positive_int(batch_size, "batch_size")
    was_training = classifier.training
    classifier.eval()
    device = next(classifier.parameters()).device
    predictions = [classifier(chunk.to(device)).argmax(dim=1).cpu() for chunk in images.split(batch_size)]
    classifier.train(was_training)
    return torch.cat(predictions)  # (N,)


def conditional_accuracy(
    images: torch.Tensor, labels: torch.Tensor, classifier: torch.nn.Module, num_classes: int = 10
) -> dict:
    """Share of ``images`` that ``classifier`` assigns to their requested ``labels``.

    .. math:: \\mathrm{acc} = \\frac{1}{N}\\sum_{i=1}^{N} [\\arg\\max_k c_k(G(z_i, y_i)) = y_i]

    Returns ``{"accuracy": float, "per_class": [float] * num_classes,
    "confusion": K×K tensor}`` (row: requested class, column: classifier's
    verdict). A class with no images gets ``nan``.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    check_images(images, "images")
    labels = check_labels(labels, len(images), num_classes)
    predicted = classify(images, classifier)  # (N,)
    if int(predicted.max()) >= num_classes:
        raise ValueError(f"classifier predicts classes up to {int(predicted.max())}, more than num_classes={num_classes}")
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
    confusion.index_put_((labels.cpu(), predicted), torch.ones_like(predicted), accumulate=True)
    counts = confusion.sum(dim=1)  # (K,)
    per_class = [float(confusion[k, k] / counts[k]) if counts[k] else math.nan for k in range(num_classes)]
    return {
        "accuracy": float(confusion.diagonal().sum() / len(labels)),
        "per_class": per_class,
        "confusion": confusion,
    }


def sample_per_class(
    generator_model, n_per_class: int = 100, num_classes: int = 10, seed: int = 0, batch_size: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_per_class`` samples of each class from a class-conditional generator (seeded).

    Returns ``(images N×C×H×W in [0, 1], labels N)`` with ``N = n_per_class × num_classes``,
    ordered class by class.
    """
    check_positive_int(n_per_class, "n_per_class")
    labels = torch.arange(num_classes).repeat_interleave(n_per_class)  # (K·n,)
    noise = torch.Generator().manual_seed(seed)
    images = torch.cat([generator_model.sample(len(chunk), labels=chunk, generator=noise)
                        for chunk in labels.split(batch_size)]).cpu()
    return images, labels


def per_class_scores(
    fake_images: torch.Tensor,
    fake_labels: torch.Tensor,
    real_images: torch.Tensor,
    real_labels: torch.Tensor,
    score: Callable[[torch.Tensor, torch.Tensor], float],
    num_classes: int = 10,
) -> list[float]:
    """``score(real_k, fake_k)`` for each class ``k``: e.g. FID per class.

    ``score`` is any set-to-set metric taking ``(real images, fake images)``,
    for example ``lambda real, fake: fid(real, fake, features=...)`` from
    :mod:`imgsynth_edu.metrics`. A model that draws perfect 1s and poor 8s has
    a good overall FID but a bad FID for 8: the per-class list shows it.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    check_images(fake_images, "fake_images")
    check_images(real_images, "real_images")
    fake_labels = check_labels(fake_labels, len(fake_images), num_classes, "fake_labels")
    real_labels = check_labels(real_labels, len(real_images), num_classes, "real_labels")
    scores = []
    for k in range(num_classes):
        real_k, fake_k = real_images[real_labels == k], fake_images[fake_labels == k]
        if len(real_k) < 2 or len(fake_k) < 2:
            raise ValueError(f"class {k} needs at least 2 real and 2 fake images, got {len(real_k)} and {len(fake_k)}")
        scores.append(float(score(real_k, fake_k)))
    return scores


def hole_psnr(pred: torch.Tensor, target: torch.Tensor, masks: torch.Tensor, data_range: float = 1.0,
              reduction: str = "pooled") -> torch.Tensor:
    """PSNR over the hole's pixels only (``mask = 1``).

    .. math::
        \\mathrm{MSE}_{hole} = \\frac{\\sum_{p} m_p \\,\\|\\hat x_p - x_p\\|^2}{C\\sum_p m_p},
        \\qquad \\mathrm{PSNR}_{hole} = 10 \\log_{10} \\frac{R^2}{\\mathrm{MSE}_{hole}}

    ``reduction``: ``"pooled"`` (default) - one PSNR from the squared errors
    of all hole pixels of all images (a hole that falls on a plain background,
    filled exactly, would give one image an infinite PSNR and make a per-image
    mean infinite); ``"mean"`` - the mean of per-image PSNRs; ``"none"`` -
    the per-image PSNRs (``inf`` where a hole is filled exactly). An image
    whose mask is empty is an error.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    check_images(pred, "pred", data_range=data_range)
    check_images(target, "target", data_range=data_range)
    check_same_shape(pred, target, "pred", "target")
    masks = check_masks(masks, target, "masks")
    if reduction not in ("pooled", "mean", "none"):
        raise ValueError(f"reduction must be 'pooled', 'mean' or 'none', got {reduction!r}")
    area = masks.flatten(1).sum(dim=1) * pred.shape[1]  # (N,): number of hole values per image
    if (area == 0).any():
        raise ValueError("masks must have at least one hole pixel in every image")
    squared_error = (masks * (pred - target) ** 2).flatten(1).sum(dim=1)  # (N,): summed over the hole
    if reduction == "pooled":
        return 10 * torch.log10(data_range**2 / (squared_error.sum() / area.sum()))
    values = 10 * torch.log10(data_range**2 / (squared_error / area))  # (N,); inf where equal
    return values if reduction == "none" else values.mean()


def hole_sharpness(images: torch.Tensor, masks: torch.Tensor) -> float:
    """Mean absolute difference between neighbouring pixels inside the hole: how crisp a fill is.

    .. math::
        S = \\frac{1}{2\\sum_p m_p} \\sum_p m_p \\big(|x_p - x_{p - e_1}| + |x_p - x_{p - e_2}|\\big)

    where ``p`` runs over pixels that have a left and an upper neighbour, ``e_1`` and ``e_2`` are
    one pixel up and one pixel left, and ``m`` is the mask (1 in the hole); the sums also run over
    images and channels. It is the mean gradient magnitude (the anisotropic total variation per
    pixel) of the hole: a blurred fill, whose strokes fade into grey, scores low; crisp
    black-on-white strokes score high. It says nothing about *correctness* (noise scores high
    too), so compare it with the real images' value and read it beside the hole PSNR.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    check_images(images, "images")
    masks = check_masks(masks, images, "masks")
    if masks[..., 1:, 1:].sum() == 0:
        raise ValueError("masks must have at least one hole pixel away from the top row and left column")
    step_x = (images[..., 1:, 1:] - images[..., 1:, :-1]).abs()  # (N, C, H-1, W-1): |x_p - x_{p - e_2}|
    step_y = (images[..., 1:, 1:] - images[..., :-1, 1:]).abs()  # (N, C, H-1, W-1): |x_p - x_{p - e_1}|
    inside = masks[..., 1:, 1:].expand_as(step_x)  # (N, C, H-1, W-1)
    return float(((step_x + step_y) * inside).sum() / (2 * inside.sum()))


def hole_box(mask: torch.Tensor, margin: int = 5) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of the hole's bounding box, widened by ``margin`` (``1×H×W`` mask)."""
    rows = torch.nonzero(mask[0].any(dim=1)).flatten()
    columns = torch.nonzero(mask[0].any(dim=0)).flatten()
    if len(rows) == 0:
        raise ValueError("mask has no hole pixel")
    height, width = mask.shape[-2:]
    return (max(int(rows[0]) - margin, 0), min(int(rows[-1]) + 1 + margin, height),
            max(int(columns[0]) - margin, 0), min(int(columns[-1]) + 1 + margin, width))


def hole_ssim(pred: torch.Tensor, target: torch.Tensor, masks: torch.Tensor, window_size: int = 7,
              reduction: str = "mean") -> torch.Tensor:
    """SSIM over the hole's bounding box, widened by half a window, per image.

    SSIM (Wang et al. 2004, eq. 13; :func:`imgsynth_edu.metrics.ssim`) needs
    windows, so it is computed on the smallest rectangle holding the hole plus
    ``window_size // 2`` pixels around it (so each hole pixel's window fits),
    grown to at least ``window_size`` per side. Pixels of the widening ring are
    known and identical in both images; they raise both methods' scores
    equally, so comparisons stay fair. A 7-pixel window suits 28×28 digits.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    check_images(pred, "pred")
    check_images(target, "target")
    check_same_shape(pred, target, "pred", "target")
    masks = check_masks(masks, target, "masks")
    height, width = target.shape[-2:]
    if min(height, width) < window_size:
        raise ValueError(f"images must be at least window_size={window_size} pixels per side")
    values = []
    for p, t, m in zip(pred, target, masks):
        top, bottom, left, right = hole_box(m, window_size // 2)
        top, bottom = _grow(top, bottom, window_size, height)
        left, right = _grow(left, right, window_size, width)
        crop = (slice(None), slice(top, bottom), slice(left, right))
        values.append(ssim(p[crop][None], t[crop][None], window_size=window_size, reduction="none")[0])
    values = torch.stack(values)  # (N,)
    if reduction == "none":
        return values
    if reduction != "mean":
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    return values.mean()


def _grow(start: int, stop: int, minimum: int, limit: int) -> tuple[int, int]:
    """Widen ``[start, stop)`` to at least ``minimum`` long, staying inside ``[0, limit)``."""
    while stop - start < minimum:
        if start > 0:
            start -= 1
        if stop - start < minimum and stop < limit:
            stop += 1
    return start, stop
