"""Evaluation protocols: how a model and data become the numbers on its card, in a lesson, in a command.

A *metric* (:mod:`imgsynth_edu.metrics`) compares two images or two sets of
features. A *protocol* fixes everything else that a reported number depends
on: which images, how the input is made from them, which seeds, which
feature network, how the scores are rounded. Each protocol of the course is
here, once; the command line (``imgsynth-edu evaluate-* ...``, the scores a
``train`` command writes on its card), the tests that re-measure the cards
and the lessons all call these functions.

* **GANs on digits** - :func:`digit_gan_scores`: FID, KID and precision/recall
  in the bundled digit classifier's feature space, and each digit's share
  among the samples (mode collapse); :class:`RealDigits` scores real digits the
  same way (the floor); :func:`digit_gan_card_scores` both. Card: ``dcgan-mnist``.
* **The classifier itself** - :func:`classifier_accuracy`. Card: ``digit-classifier``.
* **Class-conditional GANs** - :func:`evaluate_class_conditional`: conditional
  accuracy and FID / KID per class. Card: ``cgan-mnist``.
* **Inpainting** - :func:`evaluate_inpainting`: PSNR / SSIM inside the hole,
  model against the biharmonic baseline, per mask kind. Card: ``inpaint-digits``.
* **Super-resolution** - :func:`evaluate_sr`: the protocol of SR papers
  (MATLAB-like bicubic input rounded to 8 bits, Y channel, border crop). Card: ``srresnet-x4``.
* **Bursts** - :func:`evaluate_burst`: bicubic, single-image SR, shift-and-add
  and a burst model on seeded synthetic bursts. Card: ``burst-x4``.
* **Diffusion on digits** - :func:`digit_diffusion_scores`: the GAN protocols above
  applied to a class-conditional diffusion model (unconditional and guided
  samples, conditional accuracy), its bound in bits per dimension
  (:func:`diffusion_bits_per_dim`) and its sampling speed
  (:func:`diffusion_samples_per_second`). Card: ``ddpm-mnist``.

Only numbers computed with the same protocol are comparable: FID depends on
the feature network and the sample size, PSNR on the colour channel and the
border crop (lesson 04).

Lessons: ``02_dcgan.ipynb`` ... ``07_diffusion_vs_gan.ipynb`` (each protocol where its model is).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Mapping

import torch
from torch import nn

from . import pretrained
from ._checks import check_images, check_labels, check_positive_int
from .classical import inpaint_biharmonic, shift_and_add
from .data import get_dataset, stack_dataset
from .data.bursts import synthetic_burst
from .data.degradations import bicubic_downscale, bicubic_upscale, crop_to_multiple
from .data.masks import InpaintingDataset
from .metrics.conditional import (
    conditional_accuracy,
    hole_psnr,
    hole_sharpness,
    hole_ssim,
    sample_per_class,
)
from .metrics.distribution import extract_features, fid, kid, precision_recall
from .metrics.image import sr_metrics
from .metrics.niqe import niqe as niqe_score
from .models.srresnet import interpolate_networks, upscale_tiled

__all__ = [
    "BURST_METHODS",
    "ClassBalanced",
    "RealDigits",
    "classifier_accuracy",
    "diffusion_bits_per_dim",
    "diffusion_samples_per_second",
    "digit_diffusion_scores",
    "digit_gan_card_scores",
    "digit_gan_scores",
    "evaluate_burst",
    "evaluate_class_conditional",
    "evaluate_inpainting",
    "evaluate_sr",
]

#: The methods :func:`evaluate_burst` reports, in order.
BURST_METHODS = ("bicubic", "srresnet", "shift_and_add", "burst")


# ----------------------------------------------------------------------------
# Digits: the classifier, unconditional and class-conditional GANs, inpainting
# ----------------------------------------------------------------------------
def classifier_accuracy(classifier: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``images`` whose class ``classifier`` predicts to be ``labels`` (the card's ``test_accuracy``).

    The same count as :func:`~imgsynth_edu.metrics.conditional_accuracy`, for
    real images with their true labels.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    return conditional_accuracy(images, labels, classifier, classifier.num_classes)["accuracy"]


def digit_gan_scores(generator, n: int = 1000, seed: int = 0, real_images: torch.Tensor | None = None,
                     classifier=None, kid_subset: int = 500) -> dict:
    """FID, KID, precision/recall (k=3) and per-digit shares of ``n`` samples of a 1×28×28 generator.

    Args:
        generator: has ``sample(n, generator=...)`` returning ``N×1×28×28`` in ``[0, 1]``.
        n: samples to draw (the card uses 1,000 against the 1,000 held-out real digits).
        seed: seeds the samples and the KID subsets.
        real_images: the reference digits (default: ``mnist-5k`` test split).
        classifier: a :class:`~imgsynth_edu.models.classifier.DigitClassifier` (default: the bundled one).

    Returns ``{"fid", "kid", "kid_std", "precision", "recall", "digit_shares",
    "min_digit_share", ...}`` (rounded as on the card).

    Lesson: ``02_dcgan.ipynb`` (FID/KID/precision-recall over training).
    """
    check_positive_int(n, "n")
    if real_images is None:
        real_images, _ = stack_dataset(get_dataset("mnist-5k", "test"))
    if classifier is None:
        classifier = pretrained.load("digit-classifier")
    classifier = classifier.cpu().eval()
    with torch.no_grad():
        fake = torch.cat([generator.sample(min(500, n - i), generator=torch.Generator().manual_seed(seed * 1000 + i))
                          for i in range(0, n, 500)]).cpu()  # (n, 1, 28, 28)
        real_features = extract_features(real_images, classifier.features)  # (R, 128)
        fake_features = extract_features(fake, classifier.features)  # (n, 128)
        labels = classifier.predict(fake)  # (n,)
    subset = min(kid_subset, len(real_features), len(fake_features))
    kid_mean, kid_std = kid(real_features, fake_features, subset_size=subset, num_subsets=50,
                            generator=torch.Generator().manual_seed(seed))
    precision, recall = precision_recall(real_features, fake_features, k=3)
    shares = torch.bincount(labels, minlength=classifier.num_classes).float() / n
    return {
        "fid": round(fid(real_features, fake_features), 3),
        "kid": round(kid_mean, 5),
        "kid_std": round(kid_std, 5),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "digit_shares": [round(float(s), 4) for s in shares],
        "min_digit_share": round(float(shares.min()), 4),
        "n_samples": n,
        "n_real": len(real_images),
        "features": "digit-classifier 128-d embedding",
        "real": "mnist-5k test split",
    }


def digit_gan_card_scores(generator, n: int = 1000, seed: int = 0) -> dict:
    """The scores on a digit GAN's card: :func:`digit_gan_scores`, plus the same scores of real digits.

    ``"reference_real_train_vs_test"`` holds FID, KID, precision, recall and the
    smallest digit share of ``n`` real *train* digits (:class:`RealDigits`)
    against the same held-out test digits: what a perfect generator would score
    with this feature network and this ``n``.

    Lesson: ``02_dcgan.ipynb``.
    """
    scores = digit_gan_scores(generator, n=n, seed=seed)
    real_reference = digit_gan_scores(RealDigits(), n=n, seed=seed)
    scores["reference_real_train_vs_test"] = {
        key: real_reference[key] for key in ("fid", "kid", "precision", "recall", "min_digit_share")
    }
    return scores


class RealDigits:
    """Real ``mnist-5k`` *train* digits posing as a generator: the floor the scores can reach."""

    def __init__(self):
        self.images, _ = stack_dataset(get_dataset("mnist-5k", "train"))

    def sample(self, n, labels=None, generator=None):
        """``n`` distinct real train digits, drawn by ``generator`` (``labels`` is ignored)."""
        index = torch.randperm(len(self.images), generator=generator)[:n]
        return self.images[index]


def evaluate_class_conditional(
    generator_model,
    real_images: torch.Tensor,
    real_labels: torch.Tensor,
    n_per_class: int = 100,
    seed: int = 0,
    classifier: torch.nn.Module | None = None,
    num_classes: int = 10,
) -> dict:
    """Conditional accuracy, and FID / KID per class, of a class-conditional digit generator.

    Draws ``n_per_class`` samples of each class (seeded), classifies them with
    ``classifier`` (default: the bundled ``digit-classifier``) and compares each
    class's samples with the real images of that class in the classifier's
    128-d feature space (FID, Heusel et al. 2017; KID, Bińkowski et al. 2018).
    With ~100 images per class FID is biased upwards (more so than KID): compare
    the numbers with each other, not with FIDs of papers computed on 50,000
    Inception features.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    classifier = classifier if classifier is not None else pretrained.load("digit-classifier")
    check_images(real_images, "real_images")
    real_labels = check_labels(real_labels, len(real_images), num_classes, "real_labels")
    images, labels = sample_per_class(generator_model, n_per_class, num_classes, seed)
    accuracy = conditional_accuracy(images, labels, classifier, num_classes)
    fake_features = extract_features(images, classifier.features)  # (K·n, 128)
    real_features = extract_features(real_images, classifier.features)  # (M, 128)
    fids, kids = [], []
    for k in range(num_classes):
        real_k, fake_k = real_features[real_labels == k], fake_features[labels == k]
        with warnings.catch_warnings():  # fewer samples than dimensions: the warning is the docstring's caveat
            warnings.simplefilter("ignore")
            fids.append(round(fid(real_k, fake_k), 3))
        subset = min(len(real_k), len(fake_k), 50)
        kids.append(round(kid(real_k, fake_k, subset_size=subset, num_subsets=50,
                              generator=torch.Generator().manual_seed(seed))[0], 5))
    return {
        "conditional_accuracy": round(accuracy["accuracy"], 4),
        "per_class_accuracy": [round(a, 3) for a in accuracy["per_class"]],
        "fid_per_class": fids,
        "kid_per_class": kids,
        "n_per_class": n_per_class,
        "judge": "bundled digit-classifier (accuracy: its prediction; FID/KID: its 128-d features)",
        "real_reference": f"held-out real images of each class ({len(real_images)} in all)",
    }


@torch.no_grad()
def evaluate_inpainting(
    model: torch.nn.Module,
    dataset,
    kinds: tuple[str, ...] = ("centre", "boxes", "strokes"),
    seed: int = 1,
    limit: int | None = None,
    batch_size: int = 250,
) -> dict:
    """Hole PSNR / SSIM of an inpainting ``model`` and of the biharmonic baseline, per mask kind.

    For each kind, the held-out ``dataset`` is masked deterministically
    (:class:`~imgsynth_edu.data.masks.InpaintingDataset` with ``seed``), filled by
    ``model(masked, masks)`` and by the biharmonic baseline,
    :func:`~imgsynth_edu.classical.inpaint_biharmonic`, and scored inside the
    hole with :func:`hole_psnr`, :func:`hole_ssim` and :func:`hole_sharpness` (also measured on
    the true images, ``"truth"``, the sharpness a fill should have). Returns
    ``{kind: {"model": {...}, "biharmonic": {...}, "truth": {...}, "margin": {...}}}``.

    Lesson: ``03_conditional_gan.ipynb``.
    """
    model.eval()
    device = next(model.parameters()).device
    results = {}
    for kind in kinds:
        masked, masks, targets = InpaintingDataset(dataset, kind=kind, seed=seed).stacked(limit)
        filled = torch.cat([model(m.to(device), k.to(device)).cpu()
                            for m, k in zip(masked.split(batch_size), masks.split(batch_size))])
        baseline = inpaint_biharmonic(masked, masks)
        scores = {}
        for name, images in (("model", filled), ("biharmonic", baseline)):
            scores[name] = {"hole_psnr": round(float(hole_psnr(images, targets, masks)), 3),
                            "hole_ssim": round(float(hole_ssim(images, targets, masks)), 4),
                            "hole_sharpness": round(hole_sharpness(images, masks), 4)}
        scores["truth"] = {"hole_sharpness": round(hole_sharpness(targets, masks), 4)}
        scores["margin"] = {metric: round(scores["model"][metric] - scores["biharmonic"][metric], 4)
                            for metric in ("hole_psnr", "hole_ssim")}
        scores["n_images"] = len(targets)
        results[kind] = scores
    return results


# ----------------------------------------------------------------------------
# Restoration: the protocol of SR papers, and bursts
# ----------------------------------------------------------------------------
def _quantize_8bit(images: torch.Tensor) -> torch.Tensor:
    return (images.clamp(0, 1) * 255).round() / 255


def evaluate_sr(
    model: nn.Module | None,
    images: Mapping[str, torch.Tensor],
    scale: int,
    *,
    tile: int | None = 256,
    quantize: bool = True,
    device: str | torch.device | None = None,
    niqe: bool = False,
    baseline: bool = True,
) -> dict:
    """Score an upscaler (and the bicubic baseline) as SR papers do (SRCNN, Ledig et al. 2017, SwinIR).

    For each high-resolution image ``x`` (``C×H×W`` in ``[0, 1]``):

    1. crop it so both sides are multiples of ``scale`` (:func:`~imgsynth_edu.data.crop_to_multiple`);
    2. make the input ``y = bicubic_downscale(x, scale)`` (MATLAB-like bicubic),
       rounded to 8 bits as a saved image is (``quantize=True``);
    3. restore: the baseline ``bicubic_upscale(y)`` and ``model(y)`` (tiled,
       clamped to ``[0, 1]``, rounded to 8 bits);
    4. measure PSNR and SSIM on the BT.601 luma **Y** with a border of
       ``scale`` pixels cropped, and RGB PSNR with the same crop
       (:func:`~imgsynth_edu.metrics.sr_metrics`);
    5. with ``niqe=True``, also the no-reference NIQE of each restored image
       (:func:`~imgsynth_edu.metrics.niqe`, same border crop; lower looks more
       natural), the perception axis of the perception-distortion plane (the
       PIRM 2018 challenge scored perception with it).

    Greyscale images are repeated to 3 channels for an RGB model. ``model=None``
    scores only bicubic; ``baseline=False`` skips bicubic (for a caller that
    scores many models on the same images). Returns ``{"scale", "bicubic": {...},
    "model": {...}, "images": [{"name", "height", "width", "bicubic": {...},
    "model": {...}}]}`` with the means of ``psnr_y``, ``ssim_y``, ``psnr_rgb``
    (and ``niqe``) over the images.

    Lesson: ``05_super_resolution.ipynb`` (the evaluation protocol).
    """
    check_positive_int(scale, "scale")
    if not isinstance(images, Mapping) or not images:
        raise ValueError("images must be a non-empty dict {name: C×H×W tensor}")
    if model is None and not baseline:
        raise ValueError("nothing to score: model is None and baseline=False")
    if model is not None:
        model.eval()
        if device is not None:
            model.to(device)
    keep = _quantize_8bit if quantize else (lambda t: t)
    rows, methods = [], (["bicubic"] if baseline else []) + (["model"] if model is not None else [])
    for name, image in images.items():
        if not isinstance(image, torch.Tensor) or image.ndim != 3:
            raise ValueError(f"images[{name!r}] must be a C×H×W tensor, got {getattr(image, 'shape', type(image))}")
        high_res = crop_to_multiple(image.float(), scale)[None]  # 1×C×H×W, H and W multiples of scale
        if high_res.shape[1] == 1:
            high_res = high_res.expand(-1, 3, -1, -1)  # greyscale -> RGB
        low_res = keep(bicubic_downscale(high_res, scale))  # -> 1×C×(H/s)×(W/s)
        outputs = {"bicubic": keep(bicubic_upscale(low_res, scale))} if baseline else {}  # -> 1×C×H×W
        if model is not None:
            run = upscale_tiled(model, low_res, scale, tile=tile or max(low_res.shape[-2:]))
            outputs["model"] = keep(run.cpu())  # 1×C×H×W
        row = {"name": name, "height": high_res.shape[-2], "width": high_res.shape[-1]}
        for method, output in outputs.items():
            row[method] = {key: float(value) for key, value in sr_metrics(output, high_res, scale).items()}
            if niqe:
                row[method]["niqe"] = float(niqe_score(output, crop_border=scale)[0])
        rows.append(row)
    result = {"scale": scale}
    keys = ("psnr_y", "ssim_y", "psnr_rgb") + (("niqe",) if niqe else ())
    for method in methods:
        result[method] = {key: sum(row[method][key] for row in rows) / len(rows) for key in keys}
    result["images"] = rows
    return result


def perception_distortion_curve(
    psnr_model: nn.Module,
    gan_model: nn.Module,
    images: Mapping[str, torch.Tensor],
    scale: int,
    alphas=(0.0, 0.25, 0.5, 0.75, 1.0),
    *,
    device: str | torch.device | None = None,
) -> list[dict]:
    """Measure network interpolation between a PSNR-trained and a GAN-trained network, point by point.

    For each ``α``, the network ``θ(α) = (1 - α)·θ_psnr + α·θ_gan`` (ESRGAN,
    Wang et al. 2018, Sec. 3.4; :func:`~imgsynth_edu.models.srresnet.interpolate_networks`)
    is scored on ``images`` by :func:`evaluate_sr` with NIQE: one point of the
    perception-distortion plane (Blau & Michaeli 2018) per ``α``. Returns
    ``[{"alpha", "psnr_y", "ssim_y", "psnr_rgb", "niqe"}, ...]`` in the order of ``alphas``.

    Lesson: ``05_super_resolution.ipynb`` (the network-interpolation widget).
    """
    alphas = [float(alpha) for alpha in alphas]
    if not alphas:
        raise ValueError("alphas must hold at least one value in [0, 1]")
    curve = []
    for alpha in alphas:
        blended = interpolate_networks(psnr_model, gan_model, alpha)  # checks alpha and the two networks
        scores = evaluate_sr(blended, images, scale, device=device, niqe=True, baseline=False)["model"]
        curve.append({"alpha": alpha, **scores})
    return curve


def evaluate_burst(images: Mapping[str, torch.Tensor], model: nn.Module, frames: int = 8, scale: int = 4, seed: int = 0,
                   single_image_model: nn.Module | None = None, device: str | torch.device = "cpu",
                   progress: bool = False, per_image: bool = False) -> dict:
    """Mean SR-protocol scores of the four methods of :data:`BURST_METHODS` over one seeded burst per image.

    Image ``i`` of ``images`` (``{name: C×H×W}``) becomes one synthetic burst of
    ``frames`` frames (:func:`~imgsynth_edu.data.bursts.synthetic_burst`, default
    shot + read noise, seed ``seed + i``). Each method restores it at ×``scale``:
    ``bicubic`` upscaling of frame 0, ``srresnet`` (``single_image_model`` on
    frame 0), classical ``shift_and_add`` (shifts by phase correlation,
    :func:`~imgsynth_edu.classical.shift_and_add`) and the ``burst`` model.
    Scores: Y-PSNR and Y-SSIM against the burst's target (BT.601 luma, ``scale``
    pixels of border cropped; :func:`~imgsynth_edu.metrics.sr_metrics`), averaged
    over the images and rounded to 4 decimals.

    Returns ``{method: {"psnr_y", "ssim_y"} or None, "images": count}``;
    ``single_image_model=None`` gives ``"srresnet": None``. With
    ``per_image=True`` the report also holds ``"per_image": {name: {method:
    {"psnr_y", "ssim_y"}}}`` (rounded to 4 decimals): each image's own scores.

    Lesson: ``06_multi_frame_restoration.ipynb`` (quality against number of frames).
    """
    sums = {method: {"psnr_y": 0.0, "ssim_y": 0.0} for method in BURST_METHODS}
    each_image: dict[str, dict] = {}
    names = list(images)
    for index, name in enumerate(names):
        burst = synthetic_burst(images[name], frames, scale, seed=seed + index)
        target = burst.target[None]  # 1×C×H×W
        frames_batch = burst.frames[None].to(device)  # 1×F×C×h×w
        results = {
            "bicubic": bicubic_upscale(burst.frames[:1], scale),
            "shift_and_add": shift_and_add(burst.frames[None], None, scale).cpu(),
        }
        if single_image_model is not None:
            results["srresnet"] = upscale_tiled(single_image_model, burst.frames[:1].to(device), scale).cpu()
        with torch.no_grad():
            results["burst"] = model(frames_batch).clamp(0.0, 1.0).cpu()  # the model's raw output, shown as a picture
        each_image[name] = {}
        for method in BURST_METHODS:
            if method not in results:
                continue
            scores = sr_metrics(results[method], target, scale)
            sums[method]["psnr_y"] += float(scores["psnr_y"])
            sums[method]["ssim_y"] += float(scores["ssim_y"])
            each_image[name][method] = {key: round(float(scores[key]), 4) for key in ("psnr_y", "ssim_y")}
        if progress:
            print(f"  {name}: done", file=sys.stderr)
    report = {}
    for method in BURST_METHODS:
        if method == "srresnet" and single_image_model is None:
            report[method] = None
            continue
        report[method] = {key: round(value / len(names), 4) for key, value in sums[method].items()}
    report["images"] = len(names)
    if per_image:
        report["per_image"] = each_image
    return report


# ----------------------------------------------------------------------------
# Diffusion on digits: the GAN protocols, the bound, the sampling speed
# ----------------------------------------------------------------------------
class ClassBalanced:
    """A class-conditional model posing as an unconditional generator: ``n`` samples of classes 0..K-1 in turn.

    ``digit_gan_scores(ClassBalanced(model))`` scores the *guided* samples of a
    conditional model with the unconditional protocol (every digit equally often).
    """

    def __init__(self, model, num_classes: int = 10):
        self.model = model
        self.num_classes = num_classes

    def sample(self, n: int, labels=None, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples with labels ``0, 1, ..., K-1, 0, 1, ...`` (``labels`` is ignored)."""
        return self.model.sample(n, torch.arange(n) % self.num_classes, generator=generator)


def diffusion_samples_per_second(model, n: int = 100, labels: torch.Tensor | None = None,
                                 steps: int | None = None) -> float:
    """Throughput of DDIM sampling: ``n`` samples in one batch, wall clock, after one warm-up call.

    ``steps`` defaults to the model's ``sample_steps``. The number depends on the
    machine: report it with the hardware (:func:`imgsynth_edu.cli.cards.hardware`).

    Lesson: ``07_diffusion_vs_gan.ipynb`` (the cost of sampling).
    """
    check_positive_int(n, "n")
    steps = model.sample_steps if steps is None else steps
    on_gpu = next(model.parameters()).is_cuda
    with torch.no_grad():
        model.sample(min(n, 8), None if labels is None else labels[:8], sampler="ddim", steps=2)  # warm-up
        if on_gpu:
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.sample(n, labels, generator=torch.Generator().manual_seed(0), sampler="ddim", steps=steps)
        if on_gpu:
            torch.cuda.synchronize()
    return n / (time.perf_counter() - start)


def diffusion_bits_per_dim(model, images: torch.Tensor, seed: int = 0, timesteps: int | None = None) -> dict:
    """The variational bound of a digit diffusion model on ``images``, in bits per dimension, with its terms.

    ``-log p(x_0) ≤ L_T + Σ_{t≥2} L_{t-1} + L_0`` (Ho et al. 2020, eq. 5), divided by
    ``D·ln 2`` (``D = C·H·W``), unconditional (the null label). ``timesteps=None``:
    the exact sum over all ``T`` terms; else an unbiased estimate from that many
    uniformly sampled ``t`` per image (seeded by ``seed``).

    Lesson: ``07_diffusion_vs_gan.ipynb`` (a GAN gives no such number).
    """
    check_images(images, "images")
    start = time.perf_counter()
    with torch.no_grad():
        bound = model.bits_per_dim(images, timesteps=timesteps, generator=torch.Generator().manual_seed(seed))
    bits = bound["bits_per_dim"]  # (N,)
    return {
        "mean": round(float(bits.mean()), 4),
        "standard_error": round(float(bits.std() / len(bits) ** 0.5), 4),
        "prior_L_T": round(float(bound["prior"].mean()), 6),
        "diffusion_sum_L_t": round(float(bound["diffusion"].mean()), 4),
        "decoder_L_0": round(float(bound["decoder"].mean()), 4),
        "images": f"{len(images)} held-out mnist-5k digits, unconditional (null label)",
        "terms": "exact sum over all T terms" if timesteps is None
                 else f"unbiased estimate from {timesteps} uniformly sampled t per image",
        "seconds": round(time.perf_counter() - start, 1),
    }


def digit_diffusion_scores(model, n: int = 1000, seed: int = 0, *, bits: bool = True,
                           bits_timesteps: int | None = None, bits_images: int | None = None,
                           speed_samples: int = 100) -> dict:
    """Score a class-conditional digit diffusion model with the protocols of ``dcgan-mnist`` / ``cgan-mnist``.

    * ``unconditional`` and ``guided``: :func:`digit_gan_scores` (FID, KID,
      precision/recall with the bundled classifier's 128-d features; digit shares)
      of ``n`` samples (seed ``seed``) against the 1,000 held-out ``mnist-5k``
      digits. Unconditional: the null label (``labels=None``); guided: classes
      ``0..9`` in turn (:class:`ClassBalanced`), with the model's ``guidance_scale``.
    * ``conditional``: :func:`evaluate_class_conditional` (``n // 10`` per class):
      conditional accuracy by the bundled classifier, FID/KID per class.
    * ``bits_per_dim`` (unless ``bits=False``): :func:`diffusion_bits_per_dim` on
      the held-out digits (``bits_images`` of them, default all; ``bits_timesteps``
      as there).
    * ``samples_per_second``: :func:`diffusion_samples_per_second` at the model's
      ``sample_steps``, unconditional and guided, on the model's device.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    check_positive_int(n, "n")
    model.eval()
    real_images, real_labels = stack_dataset(get_dataset("mnist-5k", "test"))
    scores = {"protocol": f"{n} samples (seed {seed}) vs the {len(real_images)} held-out mnist-5k digits, "
                          "features of the bundled digit-classifier (imgsynth_edu.evaluation.digit_gan_scores)",
              "sampler": f"{model.sampler}, {model.sample_steps} steps, eta {model.eta}",
              "guidance_scale": model.guidance_scale}
    scores["unconditional"] = digit_gan_scores(model, n=n, seed=seed, real_images=real_images)
    scores["guided"] = digit_gan_scores(ClassBalanced(model, model.num_classes), n=n, seed=seed,
                                        real_images=real_images)
    with torch.no_grad():
        scores["conditional"] = evaluate_class_conditional(model, real_images, real_labels,
                                                           n_per_class=max(1, n // model.num_classes), seed=seed,
                                                           num_classes=model.num_classes)
    if bits:
        held_out = real_images if bits_images is None else real_images[:bits_images]
        scores["bits_per_dim"] = diffusion_bits_per_dim(model, held_out, seed, bits_timesteps)
    guided_labels = torch.arange(speed_samples) % model.num_classes  # (speed_samples,)
    scores["samples_per_second"] = {
        "unconditional": round(diffusion_samples_per_second(model, speed_samples), 2),
        "guided": round(diffusion_samples_per_second(model, speed_samples, guided_labels), 2),
        "setting": f"DDIM {model.sample_steps} steps, batch {speed_samples}",
    }
    return scores
