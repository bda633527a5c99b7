"""KernelSHAP on superpixels (Lundberg & Lee 2017): a fair share of ``f(x) - f(x')`` for each region.

Perturbation methods ask the model about *modified* images instead of taking
gradients. Pixels are too many and too small to switch on and off one by one,
so the image is cut into ``M`` **superpixels** (a grid for a 28×28 digit,
SLIC segments for a photograph) and each is either *kept* or replaced by the
baseline.

A **coalition** ``z ∈ {0, 1}^M`` says which superpixels are kept;
``v(z) = f(h_x(z))`` is the model's number on the image that keeps them. The
**Shapley value** of superpixel ``m`` is its average marginal contribution over
all coalitions (Shapley 1953):

.. math::
    \\phi_m = \\sum_{S \\subseteq \\{1..M\\} \\setminus \\{m\\}}
        \\frac{|S|!\\,(M - |S| - 1)!}{M!} \\big(v(S \\cup \\{m\\}) - v(S)\\big)

the only split of ``v(1) - v(0) = f(x) - f(x')`` that is *efficient*
(the shares sum to it), *symmetric*, *dummy-respecting* and *additive*.
KernelSHAP (Lundberg & Lee 2017, Theorem 2) gets the same numbers from a
weighted linear regression ``v(z) ≈ φ₀ + Σ_m φ_m z_m`` with the Shapley kernel

.. math::
    \\pi(z) = \\frac{M - 1}{\\binom{M}{|z|}\\, |z|\\, (M - |z|)}

and the two ends fixed: ``φ₀ = v(0)`` and ``φ₀ + Σ_m φ_m = v(1)`` (they get
infinite weight). With few superpixels (``2^M - 2 ≤ n_samples``) every
coalition is evaluated and the values are exact; otherwise ``n_samples``
coalitions are drawn with probability ``∝ π(z)`` and weighted equally.

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._checks import check_images, check_positive_int
from .attribution import _check_baseline, _evaluation_mode, _select_scalar, _target_for_image

# ----------------------------------------------------------------------------
# Superpixels
# ----------------------------------------------------------------------------


def grid_superpixels(height: int, width: int, cell: int | tuple[int, int]) -> torch.Tensor:
    """Square superpixels: label each pixel by the ``cell × cell`` block it falls in.

    For a 28×28 digit, ``cell=4`` gives a 7×7 grid of 49 superpixels (the last
    row/column of blocks is smaller when ``cell`` does not divide the side).
    Returns an ``(H, W)`` int64 tensor of labels ``0 .. M-1``, row by row.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_positive_int(height, "height")
    check_positive_int(width, "width")
    cell_h, cell_w = (cell, cell) if isinstance(cell, int) else tuple(cell)
    check_positive_int(cell_h, "cell")
    check_positive_int(cell_w, "cell")
    blocks_per_row = math.ceil(width / cell_w)
    block_row = torch.arange(height)[:, None] // cell_h  # (H, 1)
    block_col = torch.arange(width)[None, :] // cell_w  # (1, W)
    return block_row * blocks_per_row + block_col  # (H, W)


def slic_superpixels(image: torch.Tensor, n_segments: int = 50, compactness: float | None = None) -> torch.Tensor:
    """SLIC superpixels (Achanta et al. 2012) of one image, via ``skimage.segmentation.slic``.

    SLIC is k-means on (colour, position): each pixel joins the nearest of
    about ``n_segments`` centres, where ``compactness`` trades colour
    similarity (small) against square, regular regions (large). The default is
    10 for colour images (SLIC works in CIELAB there) and 0.1 for grey images
    in ``[0, 1]``.

    Args:
        image: ``(1, C, H, W)`` or ``(C, H, W)`` in ``[0, 1]``, C = 1 or 3.

    Returns an ``(H, W)`` int64 tensor of labels ``0 .. M-1`` (M is near, not
    always equal to, ``n_segments``).

    Lesson: ``08_what_networks_see.ipynb``.
    """
    from skimage.segmentation import slic

    if isinstance(image, torch.Tensor) and image.ndim == 3:
        image = image[None]  # (C, H, W) -> (1, C, H, W)
    check_images(image, "image", channels=(1, 3))
    if image.shape[0] != 1:
        raise ValueError(f"image must hold one image, got a batch of {image.shape[0]}")
    check_positive_int(n_segments, "n_segments")
    grey = image.shape[1] == 1
    if compactness is None:
        compactness = 0.1 if grey else 10.0
    array = image[0].detach().cpu().permute(1, 2, 0).double().numpy()  # (H, W, C)
    if grey:
        labels = slic(array[:, :, 0], n_segments=n_segments, compactness=compactness, channel_axis=None, start_label=0)
    else:
        labels = slic(array, n_segments=n_segments, compactness=compactness, channel_axis=-1, start_label=0)
    _, contiguous = np.unique(labels, return_inverse=True)  # labels 0 .. M-1 with no gaps
    return torch.from_numpy(contiguous.reshape(labels.shape).astype(np.int64))  # (H, W)


def _check_superpixels(superpixels, inputs: torch.Tensor) -> int:
    """``superpixels`` must be ``(H, W)`` integer labels ``0 .. M-1`` (all used); returns ``M``."""
    height, width = inputs.shape[-2:]
    if not isinstance(superpixels, torch.Tensor) or superpixels.dtype not in (torch.int64, torch.int32):
        raise TypeError("superpixels must be an int64 tensor of labels (see grid_superpixels, slic_superpixels)")
    if tuple(superpixels.shape) != (height, width):
        raise ValueError(
            f"superpixels must have shape (H, W) = ({height}, {width}), one label per pixel shared by every image, "
            f"got {tuple(superpixels.shape)}"
        )
    count = int(superpixels.max()) + 1
    if int(superpixels.min()) != 0 or torch.unique(superpixels).numel() != count:
        raise ValueError(f"superpixels must use every label 0 .. M-1 (got labels {superpixels.min()} .. {count - 1} with gaps)")
    return count


# ----------------------------------------------------------------------------
# Coalitions and their Shapley-kernel weights
# ----------------------------------------------------------------------------


def shapley_kernel(num_features: int, size: int) -> float:
    """The Shapley kernel ``π(z) = (M - 1) / (C(M, |z|) |z| (M - |z|))`` for ``0 < |z| < M``.

    Lundberg & Lee 2017, Theorem 2. Coalitions with few or many players get
    most weight: they say most about a single player's effect.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not 0 < size < num_features:
        raise ValueError(f"size must be in 1 .. M-1 = {num_features - 1} (the ends have infinite weight), got {size}")
    return (num_features - 1) / (math.comb(num_features, size) * size * (num_features - size))


def _all_coalitions(num_features: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every coalition except the empty and the full one, with its kernel weight: ``(2^M - 2, M)``, ``(2^M - 2,)``."""
    codes = torch.arange(1, 2**num_features - 1)  # (S,)
    coalitions = (codes[:, None] >> torch.arange(num_features)) & 1  # (S, M): the bits of each code
    weights = torch.tensor([shapley_kernel(num_features, int(size)) for size in coalitions.sum(1)])  # (S,)
    return coalitions.double(), weights.double()


def _sampled_coalitions(num_features: int, n_samples: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_samples`` coalitions drawn with probability ``∝ π(z)``, each of weight 1: ``(S, M)``, ``(S,)``.

    Summed over the ``C(M, s)`` coalitions of size ``s`` the kernel is
    ``(M - 1) / (s (M - s))``: draw a size from that, then a uniform subset of that size.
    """
    sizes = torch.arange(1, num_features)  # (M-1,)
    size_probabilities = (num_features - 1) / (sizes * (num_features - sizes)).double()  # (M-1,)
    drawn_sizes = sizes[torch.multinomial(size_probabilities, n_samples, replacement=True, generator=generator)]  # (S,)
    coalitions = torch.zeros(n_samples, num_features, dtype=torch.float64)  # (S, M)
    for row, size in enumerate(drawn_sizes.tolist()):
        coalitions[row, torch.randperm(num_features, generator=generator)[:size]] = 1.0
    return coalitions, torch.ones(n_samples, dtype=torch.float64)


def _constrained_weighted_regression(
    coalitions: torch.Tensor, weights: torch.Tensor, values: torch.Tensor, empty: float, full: float
) -> torch.Tensor:
    """Solve ``min Σ π(z) (v(z) - v(0) - Σ_m φ_m z_m)²`` subject to ``Σ_m φ_m = v(1) - v(0)``.

    The constraint is used to eliminate the last value,
    ``φ_M = Δ - Σ_{m<M} φ_m`` with ``Δ = v(1) - v(0)``, which leaves an
    ordinary weighted least-squares problem in ``φ_1 .. φ_{M-1}``:
    ``v(z) - v(0) - z_M Δ ≈ Σ_{m<M} φ_m (z_m - z_M)``.
    """
    total = full - empty  # Δ = f(x) - f(x')
    last = coalitions[:, -1:]  # (S, 1): z_M
    design = coalitions[:, :-1] - last  # (S, M-1): z_m - z_M
    response = values - empty - last[:, 0] * total  # (S,)
    root_weights = weights.sqrt()[:, None]  # (S, 1)
    solution = torch.linalg.lstsq(design * root_weights, response[:, None] * root_weights).solution  # (M-1, 1)
    first_values = solution[:, 0]  # (M-1,)
    return torch.cat([first_values, (total - first_values.sum())[None]])  # (M,)


# ----------------------------------------------------------------------------
# KernelSHAP
# ----------------------------------------------------------------------------


def shapley_values(
    model,
    inputs: torch.Tensor,
    superpixels: torch.Tensor,
    target=None,
    *,
    baseline: float | torch.Tensor = 0.0,
    n_samples: int = 2048,
    seed: int = 0,
    batch_size: int = 256,
) -> torch.Tensor:
    """KernelSHAP values of the superpixels, one row per image: ``(N, M)``.

    For each image ``x``: evaluate ``v(z) = f(z ⊙ x + (1 - z) ⊙ x')`` (``z``
    spread from superpixels to pixels) for the coalitions, and solve the
    Shapley-kernel regression of the module docstring (Lundberg & Lee 2017,
    Theorem 2) with the efficiency constraint. The values of each row sum to
    ``f(x) - f(x')`` exactly.

    Args:
        model, inputs, target: as in :func:`imgsynth_edu.interpret.saliency`.
        superpixels: ``(H, W)`` int64 labels ``0 .. M-1``, shared by the batch
            (:func:`grid_superpixels`; for :func:`slic_superpixels`, one image at a time).
        baseline: what a removed superpixel becomes: a number in ``[0, 1]`` or an image.
        n_samples: coalitions per image. If ``2^M - 2 <= n_samples`` all are
            used and the values are the exact Shapley values.
        seed: seeds the sampled coalitions.
        batch_size: perturbed images per forward pass.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    num_features = _check_superpixels(superpixels, inputs)
    check_positive_int(n_samples, "n_samples")
    check_positive_int(batch_size, "batch_size")
    baseline = _check_baseline(baseline, inputs)  # (N, C, H, W)
    if num_features == 1:  # one region takes everything: φ = f(x) - f(x')
        with _evaluation_mode(model), torch.no_grad():
            full = _select_scalar(model(inputs), target, len(inputs))  # (N,)
            empty = _select_scalar(model(baseline), target, len(inputs))  # (N,)
        return (full - empty)[:, None]  # (N, 1)
    if 2**num_features - 2 <= n_samples:
        coalitions, weights = _all_coalitions(num_features)  # (S, M), (S,)
    else:
        coalitions, weights = _sampled_coalitions(num_features, n_samples, torch.Generator().manual_seed(seed))
    labels = superpixels.to(inputs.device)  # (H, W)
    kept = coalitions.to(device=inputs.device, dtype=inputs.dtype)  # (S, M): 1 = kept
    values_per_image = []
    with _evaluation_mode(model), torch.no_grad():
        for index in range(len(inputs)):
            image, reference = inputs[index : index + 1], baseline[index : index + 1]  # (1, C, H, W) each
            image_target = _target_for_image(target, index)
            full = _select_scalar(model(image), image_target, 1).double().item()  # v(1) = f(x)
            empty = _select_scalar(model(reference), image_target, 1).double().item()  # v(0) = f(x')
            values = []
            for first in range(0, len(kept), batch_size):
                masks = kept[first : first + batch_size][:, labels][:, None]  # (B, M) -> (B, 1, H, W)
                perturbed = masks * image + (1 - masks) * reference  # (B, C, H, W)
                values.append(_select_scalar(model(perturbed), image_target, len(perturbed)).double().cpu())  # (B,)
            values = torch.cat(values)  # (S,)
            values_per_image.append(_constrained_weighted_regression(coalitions, weights, values, empty, full))
    return torch.stack(values_per_image).float().to(inputs.device)  # (N, M)


def paint_superpixels(values: torch.Tensor, superpixels: torch.Tensor, channels: int = 1) -> torch.Tensor:
    """Spread per-superpixel values ``(N, M)`` over the pixels: ``(N, channels, H, W)``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(values, torch.Tensor) or values.ndim != 2:
        raise ValueError(f"values must be a tensor of shape (N, M), got {getattr(values, 'shape', values)}")
    if int(superpixels.max()) + 1 != values.shape[1]:
        raise ValueError(f"values has {values.shape[1]} columns but superpixels has {int(superpixels.max()) + 1} labels")
    painted = values[:, superpixels.to(values.device)]  # (N, H, W)
    return painted[:, None].expand(-1, channels, -1, -1).clone()  # (N, channels, H, W)


def kernel_shap(
    model,
    inputs: torch.Tensor,
    target=None,
    *,
    superpixels: torch.Tensor,
    baseline: float | torch.Tensor = 0.0,
    n_samples: int = 2048,
    seed: int = 0,
    batch_size: int = 256,
) -> torch.Tensor:
    """KernelSHAP as an attribution map ``(N, C, H, W)``: each pixel holds its superpixel's Shapley value.

    The same numbers as :func:`shapley_values`, painted over the image so that
    the method has the shape and signature of the others (Captum's
    ``KernelShap`` with a ``feature_mask`` returns the same layout). Use
    ``functools.partial(kernel_shap, superpixels=...)`` to pass it where a
    ``method(model, inputs, target)`` is expected.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    values = shapley_values(model, inputs, superpixels, target, baseline=baseline, n_samples=n_samples,
                            seed=seed, batch_size=batch_size)  # (N, M)
    return paint_superpixels(values, superpixels, inputs.shape[1])  # (N, C, H, W)


__all__ = [
    "grid_superpixels",
    "kernel_shap",
    "paint_superpixels",
    "shapley_kernel",
    "shapley_values",
    "slic_superpixels",
]
