"""Latent directions by PCA of a generator's early activations (GANSpace, Härkönen et al. 2020).

A generator maps noise ``z`` to an image; some directions in ``z``-space
change the image in a way a person can name (thickness, slant, which digit).
GANSpace (Härkönen, Hertzmann, Lehtinen & Paris, NeurIPS 2020, Sec. 2) finds
candidates without labels:

1. sample many ``z_j ~ N(0, I)`` and record an early layer's activations
   ``y_j = G_layer(z_j)`` (flattened: for ``dcgan-mnist``'s first block,
   64 channels × 7 × 7 = 3136 numbers);
2. PCA of the ``y_j``: mean ``μ``, principal directions ``V = (v_1 .. v_K)``,
   coordinates ``x_j = Vᵀ (y_j - μ)``; component ``k`` explains the fraction
   ``σ_k² / Σ_i σ_i²`` of the layer's variance;
3. the directions live in activation space, but we edit ``z``: transfer them
   back by linear regression, ``U = argmin_U Σ_j ‖U x_j - z_j‖²``; column
   ``u_k`` is the latent direction that moves the layer along ``v_k``
   (the paper's BigGAN recipe; for StyleGAN it runs PCA on ``w`` directly).

Editing is ``z' = z + t · u_k / ‖u_k‖``: since ``z ~ N(0, I)``, ``t`` is in
standard deviations of the latent distribution along that line.

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .._checks import check_images, check_non_negative, check_positive_int
from .activations import record_activations


@dataclass(frozen=True)
class LatentDirections:
    """The result of :func:`ganspace_directions`.

    Attributes:
        directions: ``(K, Z)`` unit vectors in latent space, most variance first.
        explained_variance_ratio: ``(K,)`` fraction of the layer's total
            activation variance along each principal component.
        components: ``(K, D)`` the principal directions ``v_k`` in activation space.
        layer: the layer whose activations were analysed.
    """

    directions: torch.Tensor
    explained_variance_ratio: torch.Tensor
    components: torch.Tensor
    layer: str


def _generator_latent_dim(generator: nn.Module) -> int:
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise TypeError(
            f"generator must be a torch.nn.Module with a positive int attribute latent_dim "
            f"(as every course generator has), got {type(generator).__name__} with latent_dim={latent_dim!r}"
        )
    return latent_dim


def ganspace_directions(
    generator: nn.Module,
    layer: str,
    *,
    n_samples: int = 2000,
    n_components: int = 10,
    seed: int = 0,
    batch_size: int = 500,
) -> LatentDirections:
    """Principal latent directions of ``generator`` at ``layer`` (GANSpace, Härkönen et al. 2020, Sec. 2).

    .. math::
        Y - \\mu = S\\, \\Sigma\\, V^\\top \\;(\\text{SVD}),\\quad
        x_j = V_K^\\top (y_j - \\mu),\\quad
        U = \\arg\\min_U \\sum_j \\lVert U x_j - z_j \\rVert^2

    See the module docstring for the steps. The generator runs in ``eval()``
    mode (batch norm with its running statistics) and is left as it was.
    The sign of each direction is fixed so that the largest entry of its
    principal component ``v_k`` is positive (PCA alone does not fix it).

    Args:
        generator: a generator ``z (N, Z) -> images``, with ``latent_dim``
            (``pretrained.load("dcgan-mnist")``).
        layer: the layer whose output is analysed, e.g. ``"net.2"``, the first
            ReLU of a course DCGAN (``(N, 64, 7, 7)`` for ``dcgan-mnist``).
        n_samples: number of ``z`` to sample (the paper uses 10⁶ for BigGAN;
            a few thousand suffice for a small DCGAN).
        n_components: ``K``, the directions to return.
        seed: seeds the samples.
        batch_size: latents per forward pass.

    Returns :class:`LatentDirections`.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    latent_dim = _generator_latent_dim(generator)
    check_positive_int(n_samples, "n_samples")
    check_positive_int(n_components, "n_components")
    check_positive_int(batch_size, "batch_size")
    if n_components > min(n_samples, latent_dim):
        raise ValueError(
            f"n_components must be at most min(n_samples, latent_dim) = {min(n_samples, latent_dim)}, "
            f"got {n_components}"
        )
    device = next(generator.parameters()).device
    latents = torch.randn(n_samples, latent_dim, generator=torch.Generator().manual_seed(seed)).to(device)  # (n, Z)
    batches = []
    was_training = generator.training
    generator.eval()
    try:
        with record_activations(generator, [layer]) as recorded, torch.no_grad():
            for first in range(0, n_samples, batch_size):
                generator(latents[first : first + batch_size])
                batches.append(recorded[layer].flatten(1).double())  # (B, D)
    finally:
        generator.train(was_training)
    activations = torch.cat(batches)  # (n, D)
    centred = activations - activations.mean(0)  # (n, D): y_j - μ
    # PCA: the top-K right singular vectors of the centred data. torch.svd_lowrank finds them
    # without the full n×D decomposition (randomised SVD, Halko et al. 2011; 20 extra vectors and
    # 4 power iterations make it agree with the full SVD to ~1e-7 here).
    rank = min(n_components + 20, *centred.shape)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _, singular_values, right_vectors = torch.svd_lowrank(centred, q=rank, niter=4)  # (q,), (D, q)
    components = right_vectors[:, :n_components].T  # (K, D): v_1 .. v_K as rows
    largest = components.abs().argmax(dim=1)  # (K,)
    signs = torch.sign(components[torch.arange(n_components), largest])  # (K,)
    components = components * signs[:, None]  # (K, D), largest entry positive
    explained = singular_values.pow(2) / centred.pow(2).sum()  # (q,): σ_k² / total variance (both ×(n-1))
    coordinates = centred @ components.T  # (n, K): x_j
    regression = torch.linalg.lstsq(coordinates, latents.double()).solution  # (K, Z): z_j ≈ x_j · regression
    directions = regression / regression.norm(dim=1, keepdim=True)  # (K, Z): row k is u_k / ‖u_k‖
    return LatentDirections(
        directions=directions.float(),
        explained_variance_ratio=explained[:n_components].float(),
        components=components.float(),
        layer=layer,
    )


def walk_latent_direction(
    generator: nn.Module,
    direction: torch.Tensor,
    *,
    latents: torch.Tensor | None = None,
    n_rows: int = 1,
    steps: int = 7,
    extent: float = 3.0,
    seed: int = 0,
) -> torch.Tensor:
    """Images along a latent direction: row ``r`` shows ``G(z_r + t·u)`` for ``t`` from ``-extent`` to ``+extent``.

    .. math::
        z_{r,s} = z_r + t_s \\frac{u}{\\lVert u \\rVert},\\qquad
        t_s = -e + \\frac{2e\\,s}{S - 1},\\; s = 0 .. S-1

    Args:
        generator: a course generator (with ``latent_dim`` and ``decode``).
        direction: ``(Z,)`` a latent direction (e.g. ``ganspace_directions(...).directions[k]``).
        latents: ``(R, Z)`` starting points; default ``n_rows`` seeded samples.
        steps: ``S`` images per row (odd puts ``t = 0``, the unedited sample, in the middle).
        extent: ``e``, how far to go, in standard deviations of ``z``.

    Returns images ``(R·S, C, H, W)`` in ``[0, 1]``, row by row (show with
    ``imgsynth_edu.viz.show_grid(images, nrow=steps)``).

    Lesson: ``08_what_networks_see.ipynb``.
    """
    latent_dim = _generator_latent_dim(generator)
    if not isinstance(direction, torch.Tensor) or tuple(direction.shape) != (latent_dim,):
        shape = tuple(direction.shape) if isinstance(direction, torch.Tensor) else type(direction).__name__
        raise ValueError(f"direction must be a tensor of shape ({latent_dim},), got {shape}")
    norm = direction.norm()
    if not torch.isfinite(norm) or norm == 0:
        raise ValueError("direction must be finite and non-zero")
    check_positive_int(steps, "steps")
    extent = check_non_negative(extent, "extent")
    if latents is None:
        check_positive_int(n_rows, "n_rows")
        latents = torch.randn(n_rows, latent_dim, generator=torch.Generator().manual_seed(seed))  # (R, Z)
    elif not isinstance(latents, torch.Tensor) or latents.ndim != 2 or latents.shape[1] != latent_dim:
        shape = tuple(latents.shape) if isinstance(latents, torch.Tensor) else type(latents).__name__
        raise ValueError(f"latents must be a tensor of shape (R, {latent_dim}), got {shape}")
    device = next(generator.parameters()).device
    offsets = torch.linspace(-extent, extent, steps) if steps > 1 else torch.zeros(1)  # (S,)
    unit = (direction / norm).detach().cpu()  # (Z,)
    walked = latents.detach().cpu()[:, None, :] + offsets[None, :, None] * unit  # (R, S, Z)
    flat = walked.reshape(-1, latent_dim).to(device)  # (R·S, Z)
    if hasattr(generator, "decode"):
        images = generator.decode(flat)  # (R·S, C, H, W) in [0, 1], eval mode
    else:
        with torch.no_grad():
            images = generator(flat)
    return check_images(images, "the generator's images")


__all__ = ["LatentDirections", "ganspace_directions", "walk_latent_direction"]
