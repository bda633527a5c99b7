"""2-D toy distributions for GANs, and how to score a generator on them.

A GAN on 2-D points is small enough to train in seconds and to *look at*:
the real distribution, the generated points and the discriminator's
decision surface fit in one picture. The two classic toys:

* **8-Gaussians ring** (Metz et al. 2017, Unrolled GANs, Sec. 3.1): eight
  Gaussians on a circle of radius 2;
* **25-Gaussians grid** (Srivastava et al. 2017, VEEGAN, Sec. 5.1): a 5×5
  grid at ``{-4, -2, 0, 2, 4}²``.

Each mode has standard deviation ``std`` (default 0.05; Metz et al. use 0.02
for the ring: pass ``std=0.02``). A generator is scored as in those papers
(and PacGAN, Lin et al. 2018, Sec. 5): a sample is **high quality** if it lies
within ``3·std`` of its nearest mode; a mode is **covered** if at least
``min_count`` high-quality samples are registered to it (PacGAN: 20 of 2,500,
i.e. 0.8 %, the default). Mode collapse shows as few modes covered. The
picture (real points, generated points, ``D``'s surface) is drawn by
:func:`imgsynth_edu.viz.plot_toy`.

Lesson: ``01_gan_from_scratch.ipynb``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .._checks import check_positive_int


@dataclass
class ToyDistribution:
    """An equal-weight mixture of isotropic Gaussians at ``centers`` (``(K, 2)``) with standard deviation ``std``."""

    name: str
    centers: torch.Tensor  # (K, 2)
    std: float

    @property
    def n_modes(self) -> int:
        return len(self.centers)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` points ``(n, 2)``: a uniformly chosen mode plus ``N(0, std²·I)`` noise."""
        check_positive_int(n, "n")
        modes = torch.randint(self.n_modes, (n,), generator=generator)  # (n,)
        noise = torch.randn(n, 2, generator=generator) * self.std  # (n, 2)
        return self.centers[modes] + noise  # (n, 2)

    def evaluate(self, samples: torch.Tensor, min_count: int | None = None) -> dict:
        """Modes covered and share of high-quality samples (see :func:`mode_coverage`)."""
        return mode_coverage(samples, self.centers, self.std, min_count)


def ring_of_gaussians(n_modes: int = 8, radius: float = 2.0, std: float = 0.05) -> ToyDistribution:
    """The ring: ``n_modes`` Gaussians at angles ``2πk/n_modes`` on a circle of ``radius`` (Metz et al. 2017)."""
    check_positive_int(n_modes, "n_modes")
    if not radius > 0 or not std > 0:
        raise ValueError(f"radius and std must be > 0, got radius={radius!r}, std={std!r}")
    angles = torch.arange(n_modes, dtype=torch.float32) * (2 * math.pi / n_modes)  # (K,)
    centers = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (K, 2)
    return ToyDistribution(f"{n_modes}-Gaussians ring", centers, float(std))


def grid_of_gaussians(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> ToyDistribution:
    """The grid: ``side × side`` Gaussians ``spacing`` apart, centred on 0 (VEEGAN: 5×5 at ``{-4,...,4}²``)."""
    check_positive_int(side, "side")
    if not spacing > 0 or not std > 0:
        raise ValueError(f"spacing and std must be > 0, got spacing={spacing!r}, std={std!r}")
    axis = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing  # (side,)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    centers = torch.stack([xx.flatten(), yy.flatten()], dim=1)  # (side², 2)
    return ToyDistribution(f"{side * side}-Gaussians grid", centers, float(std))


def mode_coverage(samples: torch.Tensor, centers: torch.Tensor, std: float, min_count: int | None = None) -> dict:
    """Score generated 2-D points against mixture modes (Metz et al. 2017; VEEGAN; PacGAN).

    A sample is *high quality* if ``min_k ‖x - c_k‖ ≤ 3·std``; it is registered
    to that nearest mode. A mode is *covered* if it has at least ``min_count``
    high-quality samples (default ``ceil(0.008·N)``, PacGAN's 20 of 2,500).

    Returns ``{"modes_covered", "n_modes", "high_quality" (share in [0, 1]),
    "counts" (high-quality samples per mode, a list)}``.
    """
    if not isinstance(samples, torch.Tensor) or samples.ndim != 2 or samples.shape[1] != 2:
        shape = tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise ValueError(f"samples must be a tensor of shape (N, 2), got {shape}")
    if len(samples) == 0:
        raise ValueError("samples is empty")
    if not torch.isfinite(samples).all():
        raise ValueError("samples contains NaN or infinite values")
    if min_count is None:
        min_count = max(1, math.ceil(0.008 * len(samples)))
    check_positive_int(min_count, "min_count")
    samples = samples.detach().float().cpu()
    distances = torch.cdist(samples, centers.float())  # (N, K)
    nearest_distance, nearest_mode = distances.min(dim=1)  # (N,), (N,)
    good = nearest_distance <= 3 * std  # (N,)
    counts = torch.bincount(nearest_mode[good], minlength=len(centers))  # (K,)
    return {
        "modes_covered": int((counts >= min_count).sum()),
        "n_modes": len(centers),
        "high_quality": float(good.float().mean()),
        "counts": counts.tolist(),
    }


__all__ = ["ToyDistribution", "grid_of_gaussians", "mode_coverage", "ring_of_gaussians"]
