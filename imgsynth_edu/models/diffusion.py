"""Denoising diffusion: DDPM (Ho et al. 2020) and DDIM (Song et al. 2021), with classifier-free guidance.

The idea in five bullets:

* **forward process**: destroy the data in ``T`` small Gaussian steps,
  ``q(x_t | x_{t-1}) = N(√(1-β_t) x_{t-1}, β_t I)`` (Ho eq. 2); in closed form
  ``q(x_t | x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I)`` with ``ᾱ_t = Π_{s≤t} (1-β_s)`` (Ho eq. 4),
  so any ``x_t`` is one draw away from ``x_0``;
* **denoiser**: a network ``ε_θ(x_t, t [, y])`` predicts the noise ``ε`` that made
  ``x_t``; it is trained by the simple loss ``‖ε - ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)‖²`` (Ho eq. 14);
* **sampling** runs the process backwards from ``x_T ~ N(0, I)``: each step estimates
  ``x̂_0`` from ``ε_θ`` and draws from the posterior ``q(x_{t-1} | x_t, x̂_0)`` (Ho eq. 6-7,
  Algorithm 2, *ancestral DDPM*), or jumps along a short sub-sequence of steps
  (Song eq. 12, *DDIM*: deterministic with ``η = 0``, stochastic like DDPM with ``η = 1``);
* **classifier-free guidance** (Ho & Salimans 2022): one network learns ``p(x | y)``
  and ``p(x)`` (the label is replaced by a "null" class 10 % of the time); sampling
  uses ``ε̃ = (1 + w) ε(x, y) - w ε(x, ∅)``: ``w = 0`` is the plain conditional model,
  ``w > 0`` trades diversity for fidelity to the label;
* **likelihood**: unlike a GAN, a diffusion model has a bound on ``-log p(x_0)``,
  ``L_T + Σ_{t≥2} L_{t-1} + L_0`` (Ho eq. 5), reported in bits per dimension.

**Index convention** (the classic off-by-one): timesteps are the paper's
``t = 1, ..., T``. Every table of :class:`NoiseSchedule` has ``T + 1`` entries and
entry ``0`` means "no noise" (``ᾱ_0 = 1``, ``β_0 = 0``), so ``schedule.alpha_bars[t]``
*is* the paper's ``ᾱ_t`` - no ``t - 1`` anywhere.

**Spaces**: the networks work in *model space*: images in ``[-1, 1]`` (``2x - 1``),
2-D points as they are. :class:`ImageDiffusion` and :class:`PointDiffusion`
convert at their edge; their :meth:`~GaussianDiffusion.sample` returns images in
``[0, 1]`` (the course's convention) or points.

Shapes: ``N`` batch, ``C`` channels, ``H×W`` image side, ``D`` point dimension,
``E`` embedding width. Lesson: ``07_diffusion_vs_gan.ipynb``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import (
    check_choice,
    check_images,
    check_labels,
    check_non_negative,
    check_positive_int,
)

SCHEDULES = ("linear", "cosine")
SAMPLERS = ("ddpm", "ddim")
#: ``σ_t²`` of the reverse step: ``β_t`` or the posterior's ``β̃_t`` (Ho Sec. 3.2: both work).
VARIANCES = ("beta", "beta_tilde")


# ============================================================================
# The forward process: noise schedules (Ho eq. 2, 4, 6-7)
# ============================================================================


class NoiseSchedule:
    """``β_t``, ``α_t = 1 - β_t`` and ``ᾱ_t = Π_{s=1}^t α_s`` for ``t = 0, ..., T`` (entry 0: no noise).

    Build one with :meth:`linear` or :meth:`cosine`. The tables are ``float64``
    tensors on the CPU; :meth:`at` picks ``table[t]`` for a batch of timesteps and
    shapes it to broadcast against ``x``, on ``x``'s device and in ``x``'s dtype.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """

    def __init__(self, betas: torch.Tensor, name: str = "custom"):
        betas = torch.as_tensor(betas, dtype=torch.float64)
        if betas.ndim != 1 or len(betas) < 1:
            raise ValueError(f"betas must be a 1-D tensor of T >= 1 values, got shape {tuple(betas.shape)}")
        if not ((betas > 0) & (betas < 1)).all():
            raise ValueError(f"betas must lie in (0, 1), got min {betas.min().item():.3g} and max {betas.max().item():.3g}")
        self.name = name
        self.T = len(betas)
        self.betas = torch.cat([torch.zeros(1, dtype=torch.float64), betas])  # (T+1,), β_0 = 0
        self.alphas = 1.0 - self.betas  # (T+1,), α_0 = 1
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)  # (T+1,), ᾱ_0 = 1 (Ho eq. 4)
        # posterior variance β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) · β_t (Ho eq. 7); β̃_0 := 0 and β̃_1 = 0
        previous = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])  # (T+1,), ᾱ_{t-1}
        self.alpha_bars_previous = previous
        self.posterior_variances = torch.zeros(self.T + 1, dtype=torch.float64)
        self.posterior_variances[1:] = (1 - previous[1:]) / (1 - self.alpha_bars[1:]) * self.betas[1:]
        self._cache: dict = {}

    # -- the two schedules of the course ------------------------------------

    @classmethod
    def linear(cls, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> NoiseSchedule:
        """Ho et al. 2020 (Sec. 4): ``β_t`` linear from ``1e-4`` to ``0.02`` over ``T = 1000`` steps.

        For another ``T`` both ends are scaled by ``1000 / T`` (as in Nichol &
        Dhariwal's code), so that ``ᾱ_T ≈ 4·10⁻⁵`` whatever ``T``: the last
        step is (almost) pure noise, as the prior ``p(x_T) = N(0, I)`` assumes.
        """
        check_positive_int(T, "T")
        scale = 1000 / T
        betas = torch.linspace(beta_start * scale, beta_end * scale, T, dtype=torch.float64)  # (T,)
        if betas.max() >= 1:
            raise ValueError(f"T={T} is too small for the linear schedule: β_T = {betas.max().item():.3g} >= 1")
        return cls(betas, "linear")

    @classmethod
    def cosine(cls, T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> NoiseSchedule:
        """Nichol & Dhariwal 2021, eq. 17: ``ᾱ_t = f(t) / f(0)``, ``f(t) = cos²((t/T + s) / (1 + s) · π/2)``.

        ``β_t = 1 - ᾱ_t / ᾱ_{t-1}``, clipped to ``max_beta = 0.999`` (their
        Sec. 3.2) to avoid the singularity at ``t = T``. Compared with the linear
        schedule, ``ᾱ_t`` falls slowly at both ends, so fewer steps are spent
        on (almost) pure noise; their Fig. 3 shows the difference at 64 px.
        """
        check_positive_int(T, "T")
        steps = torch.arange(T + 1, dtype=torch.float64)  # (T+1,): t = 0..T
        f = torch.cos((steps / T + s) / (1 + s) * math.pi / 2) ** 2  # (T+1,)
        alpha_bars = f / f[0]  # (T+1,), ᾱ_0 = 1
        betas = (1 - alpha_bars[1:] / alpha_bars[:-1]).clamp(max=max_beta)  # (T,)
        return cls(betas, "cosine")

    @classmethod
    def by_name(cls, name: str, T: int = 1000) -> NoiseSchedule:
        """``"linear"`` or ``"cosine"`` with ``T`` steps."""
        check_choice(name, "schedule", set(SCHEDULES))
        return cls.linear(T) if name == "linear" else cls.cosine(T)

    # -- reading the tables ----------------------------------------------------

    def at(self, table: str, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """``self.<table>[t]`` shaped ``(N, 1, ..., 1)`` to broadcast against ``like`` (its device and dtype)."""
        key = (table, like.device, like.dtype)
        if key not in self._cache:  # one copy per device and dtype, made once
            self._cache[key] = getattr(self, table).to(like.dtype).to(like.device)
        values = self._cache[key][t.to(like.device)]  # (N,)
        return values.view(-1, *([1] * (like.ndim - 1)))  # (N, 1, ..., 1)

    def check_timesteps(self, t, count: int) -> torch.Tensor:
        """``t`` as an ``int64`` tensor of ``count`` timesteps in ``[1, T]``; clear errors otherwise."""
        if isinstance(t, int) and not isinstance(t, bool):
            t = torch.full((count,), t, dtype=torch.long)
        if not isinstance(t, torch.Tensor) or t.is_floating_point() or t.dtype == torch.bool:
            raise TypeError(f"t must be an int or an integer tensor of timesteps, got {type(t).__name__}"
                            f"{' of dtype ' + str(t.dtype) if isinstance(t, torch.Tensor) else ''}")
        if t.shape != (count,):
            raise ValueError(f"t must hold one timestep per sample: expected shape ({count},), got {tuple(t.shape)}")
        # the range is checked on the CPU only: on a GPU, reading t.min() would stall the pipeline every step
        if count and t.device.type == "cpu" and (t.min() < 1 or t.max() > self.T):
            raise ValueError(f"t must be timesteps in [1, T={self.T}], got min {int(t.min())} and max {int(t.max())}")
        return t.long()

    # -- the forward process ------------------------------------------------------

    def q_mean_variance(self, x0: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``√ᾱ_t x_0`` and variance ``1 - ᾱ_t`` of ``q(x_t | x_0)`` (Ho eq. 4); shapes ``x0``'s and ``(N, 1, ...)``."""
        t = self.check_timesteps(t, len(x0))
        return self.at("alpha_bars", t, x0).sqrt() * x0, 1 - self.at("alpha_bars", t, x0)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """``x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε``: a draw from ``q(x_t | x_0)`` (Ho eq. 4, reparametrised as in eq. 9).

        Lesson: ``07_diffusion_vs_gan.ipynb``.
        """
        if noise.shape != x0.shape:
            raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)}, got {tuple(noise.shape)}")
        mean, variance = self.q_mean_variance(x0, t)
        return mean + variance.sqrt() * noise  # same shape as x0

    def posterior_mean_variance(self, x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor):
        """``q(x_{t-1} | x_t, x_0) = N(μ̃_t, β̃_t I)`` (Ho eq. 6-7), for ``t >= 1``.

        .. math::
            \\tilde\\mu_t = \\frac{\\sqrt{\\bar\\alpha_{t-1}}\\,\\beta_t}{1-\\bar\\alpha_t} x_0
                         + \\frac{\\sqrt{\\alpha_t}\\,(1-\\bar\\alpha_{t-1})}{1-\\bar\\alpha_t} x_t,
            \\qquad
            \\tilde\\beta_t = \\frac{1-\\bar\\alpha_{t-1}}{1-\\bar\\alpha_t}\\,\\beta_t

        Returns ``(mean, variance)``: ``mean`` has ``x0``'s shape, ``variance`` is ``(N, 1, ...)``.
        At ``t = 1``, ``ᾱ_0 = 1`` makes the mean ``x_0`` and the variance 0.

        Lesson: ``07_diffusion_vs_gan.ipynb``.
        """
        t = self.check_timesteps(t, len(x0))
        alpha_bar = self.at("alpha_bars", t, x0)  # (N, 1, ...)
        alpha_bar_previous = self.at("alpha_bars_previous", t, x0)
        beta, alpha = self.at("betas", t, x0), self.at("alphas", t, x0)
        coefficient_x0 = alpha_bar_previous.sqrt() * beta / (1 - alpha_bar)  # (N, 1, ...)
        coefficient_xt = alpha.sqrt() * (1 - alpha_bar_previous) / (1 - alpha_bar)
        mean = coefficient_x0 * x0 + coefficient_xt * xt  # x0's shape
        return mean, self.at("posterior_variances", t, x0)

    def predict_x0(self, xt: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """``x̂_0 = (x_t - √(1 - ᾱ_t) ε̂) / √ᾱ_t``: eq. 4 solved for ``x_0`` (Ho eq. 9, inside the brackets)."""
        alpha_bar = self.at("alpha_bars", t, xt)
        return (xt - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()  # xt's shape

    def predict_eps(self, xt: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """``ε̂ = (x_t - √ᾱ_t x̂_0) / √(1 - ᾱ_t)``: the noise that takes ``x̂_0`` to ``x_t`` (eq. 4 solved for ``ε``)."""
        alpha_bar = self.at("alpha_bars", t, xt)
        return (xt - alpha_bar.sqrt() * x0) / (1 - alpha_bar).sqrt()  # xt's shape

    def reverse_variance(self, t: torch.Tensor, like: torch.Tensor, variance: str) -> torch.Tensor:
        """``σ_t²`` of the reverse step ``p_θ(x_{t-1} | x_t)``: ``β_t`` or ``β̃_t`` (Ho Sec. 3.2), ``(N, 1, ...)``."""
        check_choice(variance, "variance", set(VARIANCES))
        return self.at("betas" if variance == "beta" else "posterior_variances", t, like)

    def __repr__(self) -> str:
        return f"NoiseSchedule({self.name!r}, T={self.T}, ᾱ_T={self.alpha_bars[-1].item():.2e})"


# ============================================================================
# Denoisers: ε_θ(x_t, t [, y])
# ============================================================================


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (Vaswani et al. 2017, Sec. 3.5; Ho et al. 2020, Sec. 4).

    ``e(t)_i = cos(t·ω_i)`` for the first half and ``sin(t·ω_i)`` for the second,
    ``ω_i = max_period^(-i / (dim/2))``: a fixed code in which nearby ``t`` look alike.
    ``t`` ``(N,)`` -> ``(N, dim)``.
    """
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)  # (dim/2,)
    angles = t.float()[:, None] * frequencies[None, :]  # (N, dim/2)
    embedding = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)  # (N, 2·(dim/2))
    if dim % 2:
        embedding = F.pad(embedding, (0, 1))  # (N, dim)
    return embedding


class MLPDenoiser(nn.Module):
    """``ε_θ(x_t, t)`` for points ``(N, D)``: an MLP whose every hidden layer hears the time.

    ::

        e = MLP(sinusoid(t))                     (N, hidden)
        h = Linear(x_t)                          (N, hidden)
        h = Linear(SiLU(h + Linear(e)))  × n_hidden  (N, hidden)   # time added before each layer
        ε = Linear(SiLU(h))                      (N, D)

    Args:
        data_dim: ``D`` (2 for the toys of lesson 01).
        hidden_dim, n_hidden: width and number of hidden layers.
        time_dim: size of the sinusoidal time code.
    """

    conditional = False

    def __init__(self, data_dim: int = 2, hidden_dim: int = 128, n_hidden: int = 3, time_dim: int = 32):
        super().__init__()
        self.data_dim = check_positive_int(data_dim, "data_dim")
        check_positive_int(hidden_dim, "hidden_dim")
        check_positive_int(n_hidden, "n_hidden")
        self.time_dim = check_positive_int(time_dim, "time_dim")
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, hidden_dim), nn.SiLU(), nn.Linear(hidden_dim, hidden_dim))
        self.input = nn.Linear(data_dim, hidden_dim)
        self.time_projections = nn.ModuleList(nn.Linear(hidden_dim, hidden_dim) for _ in range(n_hidden))
        self.hidden = nn.ModuleList(nn.Linear(hidden_dim, hidden_dim) for _ in range(n_hidden))
        self.output = nn.Linear(hidden_dim, data_dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"x must have shape (N, {self.data_dim}), got {tuple(x.shape)}")
        if labels is not None:
            raise ValueError("MLPDenoiser is unconditional: pass labels=None")
        e = self.time_mlp(timestep_embedding(t, self.time_dim))  # (N, hidden)
        h = self.input(x)  # (N, D) -> (N, hidden)
        for layer, project in zip(self.hidden, self.time_projections):
            h = layer(F.silu(h + project(e)))  # (N, hidden)
        return self.output(F.silu(h))  # (N, hidden) -> (N, D)


def _norm(channels: int) -> nn.GroupNorm:
    """Group normalisation with 8 groups (Wu & He 2018), as in the DDPM U-Net (Ho et al. 2020, App. B)."""
    return nn.GroupNorm(8, channels)


class ResidualBlock(nn.Module):
    """A wide-ResNet block that hears the time (and class) embedding (Ho et al. 2020, App. B)::

        h = Conv3×3(SiLU(GroupNorm(x)))                 (N, out, H, W)
        h = h + Linear(SiLU(emb))[:, :, None, None]     the embedding shifts every channel
        h = Conv3×3(Dropout(SiLU(GroupNorm(h))))        (N, out, H, W)
        return skip(x) + h                              skip: 1×1 conv when in != out
    """

    def __init__(self, in_channels: int, out_channels: int, embedding_dim: int, dropout: float = 0.0):
        super().__init__()
        self.norm1 = _norm(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.embedding = nn.Linear(embedding_dim, out_channels)
        self.norm2 = _norm(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)  # the block starts as the identity (its residual is 0)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (N, in, H, W) -> (N, out, H, W)
        h = h + self.embedding(F.silu(emb))[:, :, None, None]  # (N, E) -> (N, out, 1, 1), broadcast
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))  # (N, out, H, W)
        return self.skip(x) + h  # (N, out, H, W)


class SelfAttention(nn.Module):
    """Single-head self-attention over the pixels of a small feature map (Ho et al. 2020 use it at 16×16).

    Every pixel attends to every other, ``softmax(QKᵀ/√C) V`` (Vaswani et al. 2017,
    eq. 1), so the two ends of a digit's stroke can agree; added as a residual.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.norm = _norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)  # starts as the identity
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).flatten(2).chunk(3, dim=1)  # 3 × (N, C, H·W)
        weights = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(c), dim=-1)  # (N, H·W, H·W)
        attended = (v @ weights.transpose(1, 2)).view(n, c, h, w)  # (N, C, H·W) -> (N, C, H, W)
        return x + self.out(attended)  # (N, C, H, W)


class UNetDenoiser(nn.Module):
    """``ε_θ(x_t, t, y)`` for images: a small U-Net with time and optional class embedding.

    The DDPM U-Net (Ho et al. 2020, App. B; Ronneberger et al. 2015), shrunk for 28×28
    digits. With ``channel_mults = (1, 2, 2)`` and ``base_channels = C``::

        emb = MLP(sinusoid(t)) [+ ClassEmbedding(y)]         (N, 4C)
        x (N, 1, 28, 28) -> Conv3×3                          (N, C, 28, 28)
          down: ResBlocks at 28×28 (C)   --skip-->   up: ResBlocks at 28×28 (C)  -> GroupNorm, SiLU, Conv3×3 -> ε (N, 1, 28, 28)
                Conv /2 -> 14×14                              Upsample ×2 (nearest) + Conv
                ResBlocks at 14×14 (2C) --skip-->         ResBlocks at 14×14 (2C)
                Conv /2 -> 7×7                                Upsample ×2 + Conv
                ResBlocks at 7×7 (2C)   --skip-->         ResBlocks at 7×7 (2C)
                          middle: ResBlock, SelfAttention, ResBlock at 7×7

    Every ResBlock hears ``emb``. The class table has ``num_classes + 1`` rows: the
    last one is the *null* label ``∅`` of classifier-free guidance (``labels=None``
    means ``∅`` for every image).

    Args:
        image_size: side ``S`` (divisible by ``2^(len(channel_mults) - 1)``); channels: ``C_img``.
        base_channels: ``C`` (a multiple of 8, for GroupNorm's 8 groups).
        channel_mults: width of each resolution level, in units of ``C``.
        blocks_per_level: ResBlocks per level on the way down (one more on the way up).
        attention: self-attention in the middle (lowest resolution).
        num_classes: ``None`` (unconditional) or the number of classes ``K``.
        dropout: in the ResBlocks (Ho et al. used 0.1 on CIFAR-10).
    """

    def __init__(self, image_size: int = 28, channels: int = 1, base_channels: int = 32,
                 channel_mults=(1, 2, 2), blocks_per_level: int = 1, attention: bool = True,
                 num_classes: int | None = None, dropout: float = 0.0):
        super().__init__()
        self.image_size = check_positive_int(image_size, "image_size")
        self.channels = check_positive_int(channels, "channels")
        check_positive_int(base_channels, "base_channels")
        if base_channels % 8:
            raise ValueError(f"base_channels must be a multiple of 8 (GroupNorm uses 8 groups), got {base_channels}")
        mults = tuple(channel_mults)
        if not mults or any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in mults):
            raise ValueError(f"channel_mults must be a non-empty sequence of positive ints, got {channel_mults!r}")
        if image_size % 2 ** (len(mults) - 1):
            raise ValueError(f"image_size must be divisible by 2^{len(mults) - 1} = {2 ** (len(mults) - 1)} "
                             f"for channel_mults={mults}, got {image_size}")
        check_positive_int(blocks_per_level, "blocks_per_level")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.num_classes = None if num_classes is None else check_positive_int(num_classes, "num_classes")
        self.conditional = num_classes is not None
        self.base_channels = base_channels
        widths = [base_channels * m for m in mults]
        embedding_dim = 4 * base_channels

        self.time_mlp = nn.Sequential(nn.Linear(base_channels, embedding_dim), nn.SiLU(),
                                      nn.Linear(embedding_dim, embedding_dim))
        if self.conditional:
            self.class_embedding = nn.Embedding(num_classes + 1, embedding_dim)  # row K is the null label ∅

        self.stem = nn.Conv2d(channels, widths[0], 3, padding=1)
        # encoder: at each level some ResBlocks, then a stride-2 conv (not after the last level)
        self.down_blocks = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        skip_widths, width = [widths[0]], widths[0]
        for level, level_width in enumerate(widths):
            blocks = nn.ModuleList()
            for _ in range(blocks_per_level):
                blocks.append(ResidualBlock(width, level_width, embedding_dim, dropout))
                width = level_width
                skip_widths.append(width)
            self.down_blocks.append(blocks)
            if level < len(widths) - 1:
                self.downsamples.append(nn.Conv2d(width, width, 3, stride=2, padding=1))
                skip_widths.append(width)
        self.middle = nn.ModuleList([ResidualBlock(width, width, embedding_dim, dropout),
                                     SelfAttention(width) if attention else nn.Identity(),
                                     ResidualBlock(width, width, embedding_dim, dropout)])
        # decoder: at each level one more ResBlock than the encoder, each eating one skip
        self.up_blocks = nn.ModuleList()
        self.upsamples = nn.ModuleList()
        for level in reversed(range(len(widths))):
            blocks = nn.ModuleList()
            for _ in range(blocks_per_level + 1):
                blocks.append(ResidualBlock(width + skip_widths.pop(), widths[level], embedding_dim, dropout))
                width = widths[level]
            self.up_blocks.append(blocks)
            if level > 0:
                self.upsamples.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                                    nn.Conv2d(width, width, 3, padding=1)))
        self.head = nn.Sequential(_norm(width), nn.SiLU(), nn.Conv2d(width, channels, 3, padding=1))
        nn.init.zeros_(self.head[-1].weight)  # ε̂ = 0 at the start: the loss starts at E‖ε‖² = 1
        nn.init.zeros_(self.head[-1].bias)

    def embed(self, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """``MLP(sinusoid(t)) + ClassEmbedding(y)``: ``(N,)`` timesteps (and labels) -> ``(N, 4C)``."""
        emb = self.time_mlp(timestep_embedding(t, self.base_channels))  # (N, 4C)
        if self.conditional:
            if labels is None:
                labels = torch.full_like(t, self.num_classes)  # ∅ for every image
            emb = emb + self.class_embedding(labels)  # (N, 4C)
        elif labels is not None:
            raise ValueError("this UNetDenoiser is unconditional (num_classes=None): pass labels=None")
        return emb

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, expected))}), got {tuple(x.shape)}")
        emb = self.embed(t, labels)  # (N, 4C)
        h = self.stem(x)  # (N, C_img, S, S) -> (N, C, S, S)
        skips = [h]
        for level, blocks in enumerate(self.down_blocks):
            for block in blocks:
                h = block(h, emb)  # (N, width_level, s, s)
                skips.append(h)
            if level < len(self.downsamples):
                h = self.downsamples[level](h)  # (N, w, s, s) -> (N, w, s/2, s/2)
                skips.append(h)
        h = self.middle[0](h, emb)
        h = self.middle[1](h)
        h = self.middle[2](h, emb)  # (N, w, S/2^L, S/2^L)
        for level, blocks in enumerate(self.up_blocks):
            for block in blocks:
                h = block(torch.cat([h, skips.pop()], dim=1), emb)  # (N, w + w_skip, s, s) -> (N, w_level, s, s)
            if level < len(self.upsamples):
                h = self.upsamples[level](h)  # (N, w, s, s) -> (N, w, 2s, 2s)
        return self.head(h)  # (N, C, S, S) -> (N, C_img, S, S)


# ============================================================================
# Training: the simple loss (Ho eq. 14), with label dropout for guidance
# ============================================================================


def _randn(shape, generator: torch.Generator | None, device) -> torch.Tensor:
    """``N(0, I)`` noise drawn from ``generator`` (on its own device) and moved to ``device``."""
    where = generator.device if generator is not None else device
    return torch.randn(shape, generator=generator, device=where).to(device)


def diffusion_loss(denoiser: nn.Module, schedule: NoiseSchedule, x0: torch.Tensor,
                   labels: torch.Tensor | None = None, *, label_dropout: float = 0.0,
                   null_label: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """The simple loss of Ho et al. 2020 (eq. 14; Algorithm 1), in model space.

    .. math::
        L_{simple} = \\mathbb{E}_{t \\sim U\\{1..T\\},\\, x_0,\\, \\varepsilon \\sim N(0, I)}
        \\left\\| \\varepsilon - \\varepsilon_\\theta\\big(\\sqrt{\\bar\\alpha_t} x_0
        + \\sqrt{1-\\bar\\alpha_t}\\,\\varepsilon,\\ t\\big) \\right\\|^2

    (here the mean over pixels rather than the sum: the same minimiser). It is
    the bound's ``L_{t-1}`` (eq. 12) without its weights, which favours the
    noisier ``t`` and gives better samples (Ho Sec. 3.4).

    ``label_dropout`` replaces each label by ``null_label`` with that probability
    (Ho & Salimans 2022, Algorithm 1: ``p_uncond``), so the same network also learns
    the unconditional ``ε_θ(x_t, t, ∅)`` that guidance needs. The draws of ``t``,
    ``ε`` and the dropout come from ``generator`` if given (else torch's global RNG).

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    n = len(x0)
    where = generator.device if generator is not None else x0.device
    t = torch.randint(1, schedule.T + 1, (n,), generator=generator, device=where).to(x0.device)  # (N,), t ~ U{1..T}
    noise = _randn(x0.shape, generator, x0.device)  # ε, x0's shape
    xt = schedule.q_sample(x0, t, noise)  # x_t (eq. 4)
    if labels is not None and label_dropout > 0:
        if null_label is None:
            raise ValueError("label_dropout > 0 needs null_label (the index of the null class ∅)")
        drop = torch.rand(n, generator=generator, device=where).to(x0.device) < label_dropout  # (N,)
        labels = torch.where(drop, torch.full_like(labels, null_label), labels)  # (N,)
    return F.mse_loss(denoiser(xt, t, labels), noise)  # mean of (ε - ε_θ)²


# ============================================================================
# Sampling: guidance, ancestral DDPM (Ho Algorithm 2), DDIM (Song eq. 12)
# ============================================================================


def guided_epsilon(denoiser: nn.Module, xt: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None,
                   guidance_scale: float, null_label: int | None = None) -> torch.Tensor:
    """Classifier-free guidance (Ho & Salimans 2022, eq. 6): ``ε̃ = (1 + w) ε_θ(x_t, y) - w ε_θ(x_t, ∅)``.

    Convention: ``w = guidance_scale``. ``w = 0`` is the plain conditional model
    (one pass, no unconditional term); ``w > 0`` pushes the sample away from what
    the unconditional model expects, towards what makes the label likely. (Other
    libraries write ``s = 1 + w``: their ``s = 3`` is our ``w = 2``.) With
    ``labels=None`` the model is run unconditionally and ``w`` is ignored.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    if labels is None or guidance_scale == 0:
        return denoiser(xt, t, labels)  # (N, ...)
    if null_label is None:
        raise ValueError("guidance_scale != 0 needs null_label (the index of the null class ∅)")
    both = denoiser(torch.cat([xt, xt]), torch.cat([t, t]),  # one pass of 2N: (y, ∅)
                    torch.cat([labels, torch.full_like(labels, null_label)]))  # (2N, ...)
    eps_conditional, eps_unconditional = both.chunk(2)  # 2 × (N, ...)
    return (1 + guidance_scale) * eps_conditional - guidance_scale * eps_unconditional


def _denoise(denoiser, schedule, xt, t, labels, guidance_scale, null_label, clip):
    """``(ε̂, x̂_0)`` at step ``t``; ``x̂_0`` clipped to ``clip`` (and ``ε̂`` made consistent with it)."""
    eps = guided_epsilon(denoiser, xt, t, labels, guidance_scale, null_label)  # (N, ...)
    x0 = schedule.predict_x0(xt, t, eps)  # (N, ...)
    if clip is not None:
        # At large t, x̂_0 divides by √ᾱ_t ≈ 0.01: a small error in ε̂ puts x̂_0 far outside
        # the data range. The data are known to lie in [-1, 1], so project x̂_0 back there
        # (Ho et al.'s code does the same); ε̂ is recomputed to agree with the clipped x̂_0.
        x0 = x0.clamp(*clip)
        eps = schedule.predict_eps(xt, t, x0)
    return eps, x0


def _start(schedule, shape, labels, generator, device):
    n = shape[0]
    if labels is not None:
        labels = labels.to(device)
        if len(labels) != n:
            raise ValueError(f"labels must hold one class per sample: expected {n}, got {len(labels)}")
    return _randn(shape, generator, device), labels  # x_T ~ N(0, I)


@torch.no_grad()
def ddpm_sample(denoiser: nn.Module, schedule: NoiseSchedule, shape, *, labels: torch.Tensor | None = None,
                guidance_scale: float = 0.0, null_label: int | None = None, clip: tuple[float, float] | None = (-1.0, 1.0),
                variance: str = "beta_tilde", generator: torch.Generator | None = None, device=None,
                callback: Callable | None = None) -> torch.Tensor:
    """Ancestral sampling, Ho et al. 2020 Algorithm 2: ``T`` stochastic steps from ``x_T ~ N(0, I)``.

    For ``t = T, ..., 1``::

        ε̂   = ε_θ(x_t, t, y)  (guided, see guided_epsilon)
        x̂_0 = (x_t - √(1-ᾱ_t) ε̂) / √ᾱ_t                  (eq. 4 solved), clipped to the data range
        x_{t-1} = μ̃_t(x_t, x̂_0) + σ_t z,  z ~ N(0, I)      (eq. 6-7; no noise at t = 1)

    Without clipping, ``μ̃_t(x_t, x̂_0)`` equals Algorithm 2's
    ``(x_t - β_t/√(1-ᾱ_t) ε̂) / √α_t`` (eq. 11). ``σ_t² = β̃_t`` or ``β_t``
    (``variance``). The last step returns ``x̂_0`` itself (at ``t = 1``,
    ``μ̃_1 = x̂_0`` because ``ᾱ_0 = 1``).

    Args:
        shape: ``(N, ...)`` in model space. ``labels``: ``(N,)`` class indices or ``None``.
        guidance_scale: ``w`` of :func:`guided_epsilon`; ``null_label``: index of ``∅``.
        clip: the data range to clip ``x̂_0`` to, or ``None`` (points).
        generator: a ``torch.Generator`` for reproducible noise (``x_T`` and every ``z``).
        callback: called as ``callback(t, x_t, x̂_0)`` at every step (for pictures).

    Returns ``x_0`` ``(N, ...)`` in model space. Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    device = torch.device(device) if device is not None else next(denoiser.parameters()).device
    x, labels = _start(schedule, shape, labels, generator, device)  # x_T
    for step in range(schedule.T, 0, -1):
        t = torch.full((shape[0],), step, dtype=torch.long, device=device)  # (N,)
        _, x0 = _denoise(denoiser, schedule, x, t, labels, guidance_scale, null_label, clip)
        if callback is not None:
            callback(step, x, x0)
        if step == 1:
            return x0  # μ̃_1(x_1, x̂_0) = x̂_0 (ᾱ_0 = 1), σ_1 = 0 (Algorithm 2: z = 0 at t = 1)
        mean, _ = schedule.posterior_mean_variance(x0, x, t)  # μ̃_t (eq. 7)
        sigma = schedule.reverse_variance(t, x, variance).sqrt()  # (N, 1, ...)
        x = mean + sigma * _randn(x.shape, generator, device)  # x_{t-1}
    raise AssertionError("unreachable")  # pragma: no cover


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """The sub-sequence ``τ`` of DDIM (Song et al. 2021, Sec. 4.2): ``steps`` timesteps from ``T`` down to 1, evenly spaced.

    ``steps = T`` gives every step ``T, T-1, ..., 1``; ``steps = 1`` gives ``[T]``
    (one jump from pure noise to ``x̂_0``).
    """
    check_positive_int(steps, "steps")
    if steps > T:
        raise ValueError(f"steps must be at most T={T}, got {steps}")
    if steps == 1:
        return [T]
    return [T - (i * (T - 1)) // (steps - 1) for i in range(steps)]  # integer spacing >= 1: strictly decreasing


@torch.no_grad()
def ddim_sample(denoiser: nn.Module, schedule: NoiseSchedule, shape, *, steps: int = 50,
                labels: torch.Tensor | None = None, guidance_scale: float = 0.0, null_label: int | None = None,
                clip: tuple[float, float] | None = (-1.0, 1.0), eta: float = 0.0,
                generator: torch.Generator | None = None, device=None, callback: Callable | None = None) -> torch.Tensor:
    """DDIM sampling (Song, Meng & Ermon 2021, eq. 12) along ``steps`` timesteps ``τ`` (:func:`ddim_timesteps`).

    From ``t`` to the previous kept timestep ``s`` (``s = 0`` after the last)::

        x̂_0 = (x_t - √(1-ᾱ_t) ε̂) / √ᾱ_t                       "predicted x_0"
        x_s = √ᾱ_s x̂_0 + √(1 - ᾱ_s - σ²) ε̂ + σ z               "direction to x_t" + noise

    with ``σ = η √((1-ᾱ_s)/(1-ᾱ_t)) √(1 - ᾱ_t/ᾱ_s)`` (Song eq. 16). ``η = 0`` (the
    default) is the deterministic DDIM: the same ``x_T`` always gives the same
    image, and 20-50 steps already give good samples. ``η = 1`` with every step
    is ancestral DDPM with ``σ_t² = β̃_t``. The same model serves both: DDIM
    changes the sampler, not the training.

    Arguments as :func:`ddpm_sample`. Returns ``x_0`` in model space.
    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    eta = check_non_negative(eta, "eta")
    device = torch.device(device) if device is not None else next(denoiser.parameters()).device
    timesteps = ddim_timesteps(schedule.T, steps)
    x, labels = _start(schedule, shape, labels, generator, device)  # x_T
    for i, step in enumerate(timesteps):
        previous = timesteps[i + 1] if i + 1 < len(timesteps) else 0  # s
        t = torch.full((shape[0],), step, dtype=torch.long, device=device)  # (N,)
        eps, x0 = _denoise(denoiser, schedule, x, t, labels, guidance_scale, null_label, clip)
        if callback is not None:
            callback(step, x, x0)
        if previous == 0:
            return x0  # ᾱ_0 = 1: x_0 = x̂_0
        alpha_bar = schedule.alpha_bars[step].item()
        alpha_bar_previous = schedule.alpha_bars[previous].item()
        sigma = eta * math.sqrt((1 - alpha_bar_previous) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_previous))
        x = math.sqrt(alpha_bar_previous) * x0 + math.sqrt(1 - alpha_bar_previous - sigma**2) * eps  # eq. 12
        if sigma > 0:
            x = x + sigma * _randn(x.shape, generator, device)
    raise AssertionError("unreachable")  # pragma: no cover


# ============================================================================
# Likelihood: the variational bound in bits per dimension (Ho eq. 5, 13)
# ============================================================================


def _gaussian_kl(mean_q, variance_q, mean_p, variance_p) -> torch.Tensor:
    """``KL(N(μ_q, v_q) || N(μ_p, v_p))`` per element: ``½(log v_p/v_q + (v_q + (μ_q-μ_p)²)/v_p - 1)``."""
    return 0.5 * (torch.log(variance_p / variance_q) + (variance_q + (mean_q - mean_p) ** 2) / variance_p - 1)


def _log_normal_interval(lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """``log(Φ(upper) - Φ(lower))`` for the standard normal, accurate in both tails (``±inf`` allowed)."""
    flip = lower > 0  # right tail: Φ(b) - Φ(a) = Φ(-a) - Φ(-b), computed where Φ is not ≈ 1
    a, b = torch.where(flip, -upper, lower), torch.where(flip, -lower, upper)
    log_a, log_b = torch.special.log_ndtr(a), torch.special.log_ndtr(b)
    return log_b + torch.log1p(-torch.exp(log_a - log_b))


def discretized_gaussian_log_likelihood(x0: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``log p(x_0 | x_1)`` per pixel for data on 256 levels in ``[-1, 1]`` (Ho et al. 2020, eq. 13).

    Each pixel value ``x`` stands for the bin ``[x - 1/255, x + 1/255]``; the bins of
    ``-1`` and ``1`` extend to ``-∞`` and ``+∞``:

    .. math::
        p_\\theta(x_0 | x_1) = \\prod_i \\int_{\\delta_-(x_0^i)}^{\\delta_+(x_0^i)}
        \\mathcal{N}(x;\\, \\mu_\\theta^i(x_1, 1),\\, \\sigma_1^2)\\, dx

    so the bound is a true (discrete) log-likelihood of 8-bit images. Returns ``x0``'s shape.
    """
    lower = torch.where(x0 <= -1 + 1e-6, torch.full_like(x0, -math.inf), (x0 - 1 / 255 - mean) / std)
    upper = torch.where(x0 >= 1 - 1e-6, torch.full_like(x0, math.inf), (x0 + 1 / 255 - mean) / std)
    return _log_normal_interval(lower, upper)


@torch.no_grad()
def variational_bound(denoiser: nn.Module, schedule: NoiseSchedule, x0: torch.Tensor,
                      labels: torch.Tensor | None = None, *, timesteps: int | None = None,
                      clip: tuple[float, float] | None = (-1.0, 1.0), variance: str = "beta_tilde",
                      generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The variational bound on ``-log p_θ(x_0)`` in bits per dimension (Ho et al. 2020, eq. 5 and 13).

    .. math::
        L = \\underbrace{D_{KL}(q(x_T|x_0) \\| N(0, I))}_{L_T}
          + \\sum_{t=2}^{T} \\underbrace{D_{KL}(q(x_{t-1}|x_t,x_0) \\| p_\\theta(x_{t-1}|x_t))}_{L_{t-1}}
          \\underbrace{- \\log p_\\theta(x_0|x_1)}_{L_0},
        \\qquad \\text{bits/dim} = \\frac{L}{D \\ln 2}

    * ``L_T``: exact (both Gaussians are known); tiny when ``ᾱ_T ≈ 0``.
    * ``L_{t-1}``: ``q`` is the posterior ``N(μ̃_t(x_t, x_0), β̃_t)`` (eq. 6-7);
      ``p_θ`` is the sampler's step ``N(μ̃_t(x_t, x̂_0), σ_t²)`` with ``x̂_0`` from
      ``ε_θ`` (clipped to ``clip``, as when sampling) and ``σ_t²`` per ``variance``.
      Each term is evaluated at one draw ``x_t ~ q(x_t | x_0)``: the bound is an
      expectation over ``q``, and one draw per term is an unbiased estimate of it.
    * ``L_0``: the discrete decoder (eq. 13), mean ``x̂_0`` (= ``μ̃_1``), ``σ_1² = β_1``
      (``β̃_1 = 0`` would make the decoder a point mass).

    ``timesteps=None`` sums all ``T - 1`` terms (``T`` network passes per image).
    ``timesteps=k`` is an *unbiased estimate* of the sum from ``k`` timesteps drawn
    uniformly from ``{2, ..., T}`` per image: ``(T - 1) · mean_k L_{t-1}`` - cheaper,
    noisier (report its standard error).

    ``x0``: model space (``[-1, 1]``) on the 256 levels ``2k/255 - 1``.
    Returns a dict of ``(N,)`` tensors in bits/dim: ``"bits_per_dim"`` (the total),
    ``"prior"`` (``L_T``), ``"diffusion"`` (``Σ L_{t-1}``), ``"decoder"`` (``L_0``).

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    n, dims = len(x0), x0[0].numel()
    device = x0.device
    high = torch.float64 if device.type != "mps" else torch.float32  # precision for the sums
    x0 = x0.to(high)
    per_image = lambda values: values.flatten(1).sum(dim=1)  # noqa: E731 - (N, ...) -> (N,)

    def ones(step):
        return torch.full((n,), step, dtype=torch.long, device=device)

    def reverse_kl(t):  # L_{t-1} for each image at timesteps t (N,), t >= 2
        noise = _randn(x0.shape, generator, device).to(high)
        xt = schedule.q_sample(x0, t, noise)  # (N, ...) ~ q(x_t | x_0)
        mean_q, variance_q = schedule.posterior_mean_variance(x0, xt, t)  # true posterior
        eps = guided_epsilon(denoiser, xt.float(), t, labels, 0.0).to(high)
        x0_predicted = schedule.predict_x0(xt, t, eps)
        if clip is not None:
            x0_predicted = x0_predicted.clamp(*clip)
        mean_p, _ = schedule.posterior_mean_variance(x0_predicted, xt, t)  # the model's step
        variance_p = schedule.reverse_variance(t, xt, variance)
        return per_image(_gaussian_kl(mean_q, variance_q, mean_p, variance_p))  # (N,) nats

    # L_T: KL(N(√ᾱ_T x_0, 1-ᾱ_T) || N(0, 1)) per dimension
    mean_T, variance_T = schedule.q_mean_variance(x0, ones(schedule.T))
    prior = per_image(_gaussian_kl(mean_T, variance_T, torch.zeros_like(x0), torch.ones_like(x0)))  # (N,)

    # Σ_{t=2}^T L_{t-1}: every term, or an unbiased estimate from sampled t
    diffusion = torch.zeros(n, dtype=high, device=device)
    if schedule.T >= 2:
        if timesteps is None:
            for step in range(2, schedule.T + 1):
                diffusion += reverse_kl(ones(step))
        else:
            check_positive_int(timesteps, "timesteps")
            where = generator.device if generator is not None else device
            for _ in range(timesteps):
                t = torch.randint(2, schedule.T + 1, (n,), generator=generator, device=where).to(device)
                diffusion += reverse_kl(t)
            diffusion *= (schedule.T - 1) / timesteps

    # L_0: -log p(x_0 | x_1), the discrete decoder with mean x̂_0(x_1) and σ_1² = β_1
    t1 = ones(1)
    x1 = schedule.q_sample(x0, t1, _randn(x0.shape, generator, device).to(high))
    eps = guided_epsilon(denoiser, x1.float(), t1, labels, 0.0).to(high)
    x0_predicted = schedule.predict_x0(x1, t1, eps)
    if clip is not None:
        x0_predicted = x0_predicted.clamp(*clip)
    std = schedule.at("betas", t1, x1).sqrt()
    decoder = -per_image(discretized_gaussian_log_likelihood(x0, x0_predicted, std))  # (N,) nats

    to_bits = 1 / (dims * math.log(2))
    return {"bits_per_dim": (prior + diffusion + decoder) * to_bits, "prior": prior * to_bits,
            "diffusion": diffusion * to_bits, "decoder": decoder * to_bits}


# ============================================================================
# The model: denoiser + schedule + sampler, with the course's sample() convention
# ============================================================================


class GaussianDiffusion(nn.Module):
    """A denoiser with its schedule and sampler: ``loss``, ``sample``, ``bits_per_dim``.

    The course's generator convention: :meth:`sample` ``(n, labels=None,
    generator=None)`` returns images ``N×C×H×W`` in ``[0, 1]`` (or points), so the
    evaluation code that scores ``dcgan-mnist`` and ``cgan-mnist`` scores this too.

    * ``labels=None`` -> unconditional samples (the null label ``∅``: the same
      network with the label dropped);
    * ``labels`` given -> class-conditional samples, guided with ``guidance_scale``.

    Subclasses (:class:`ImageDiffusion`, :class:`PointDiffusion`) build the denoiser
    from plain arguments, so a bundled checkpoint's card can rebuild them.
    """

    data_range: tuple[float, float] | None = (-1.0, 1.0)  # model space of the data (None: unbounded points)

    def __init__(self, denoiser: nn.Module, schedule: str = "cosine", timesteps: int = 1000, *,
                 sampler: str = "ddim", sample_steps: int = 50, eta: float = 0.0, guidance_scale: float = 0.0,
                 variance: str = "beta_tilde"):
        super().__init__()
        check_choice(sampler, "sampler", set(SAMPLERS))
        check_choice(variance, "variance", set(VARIANCES))
        self.denoiser = denoiser
        self.schedule = NoiseSchedule.by_name(schedule, check_positive_int(timesteps, "timesteps"))
        self.sampler, self.variance = sampler, variance
        self.sample_steps = check_positive_int(sample_steps, "sample_steps")
        if sample_steps > timesteps:
            raise ValueError(f"sample_steps must be at most timesteps={timesteps}, got {sample_steps}")
        self.eta = check_non_negative(eta, "eta")
        self.guidance_scale = check_non_negative(guidance_scale, "guidance_scale")
        self.num_classes = getattr(denoiser, "num_classes", None)

    @property
    def null_label(self) -> int | None:
        """Index of the null class ``∅`` (``num_classes``), or ``None`` for an unconditional model."""
        return self.num_classes

    # -- the edge between the course's space and model space ---------------------

    def to_model_space(self, data: torch.Tensor) -> torch.Tensor:
        return data

    def from_model_space(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def check_data(self, data: torch.Tensor, name: str = "x0") -> torch.Tensor:
        raise NotImplementedError

    def data_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _labels(self, labels, n: int, name: str = "labels") -> torch.Tensor | None:
        if labels is None:
            return None
        if self.num_classes is None:
            raise ValueError(f"{name} were given, but this model is unconditional: pass {name}=None")
        if isinstance(labels, int) and not isinstance(labels, bool):
            labels = torch.full((n,), labels, dtype=torch.long)
        elif not isinstance(labels, torch.Tensor):
            labels = torch.as_tensor(list(labels))
        return check_labels(labels, n, self.num_classes, name)

    # -- training ----------------------------------------------------------------------

    def forward(self, xt: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``ε_θ(x_t, t, y)`` in model space (``labels`` may hold the null class ``num_classes``)."""
        return self.denoiser(xt, t, labels)

    def loss(self, data: torch.Tensor, labels: torch.Tensor | None = None, *, label_dropout: float = 0.0,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """:func:`diffusion_loss` on a batch in the course's space (images in ``[0, 1]``).

        ``labels`` of an unconditional model are ignored (the batch of a labelled
        dataset may carry them). Lesson: ``07_diffusion_vs_gan.ipynb``.
        """
        self.check_data(data, "data")
        if labels is not None and self.num_classes is not None:
            labels = check_labels(labels, len(data), self.num_classes, "labels")
        else:
            labels = None
        if not 0.0 <= label_dropout <= 1.0:
            raise ValueError(f"label_dropout must be in [0, 1], got {label_dropout!r}")
        return diffusion_loss(self.denoiser, self.schedule, self.to_model_space(data), labels,
                              label_dropout=label_dropout, null_label=self.null_label, generator=generator)

    # -- sampling ----------------------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int, labels=None, generator: torch.Generator | None = None, *, steps: int | None = None,
               sampler: str | None = None, guidance_scale: float | None = None, eta: float | None = None,
               callback: Callable | None = None) -> torch.Tensor:
        """``n`` samples in the course's space: images ``(n, C, H, W)`` in ``[0, 1]`` (or points ``(n, D)``).

        Args:
            labels: ``None`` (unconditional: the null label), one ``int``, or ``n`` class indices.
            generator: a ``torch.Generator`` that makes the noise reproducible.
            steps: DDIM steps (default ``sample_steps``; DDPM always takes all ``T``).
            sampler: ``"ddim"`` or ``"ddpm"`` (default: the model's ``sampler``).
            guidance_scale: ``w`` of :func:`guided_epsilon` (default: the model's).
            eta: DDIM's ``η`` (default: the model's).
            callback: ``callback(t, x_t, x̂_0)`` at every step, in model space.

        Runs in eval mode (restored afterwards). The result of an image model is
        ``x̂_0`` of the last step, which was clipped to the data range: the last
        step is Ho's decoder (eq. 13), whose end bins reach to ``±∞``, so a value
        beyond ``1`` *is* white. Lesson: ``07_diffusion_vs_gan.ipynb``.
        """
        check_positive_int(n, "n")
        labels = self._labels(labels, n)
        sampler = self.sampler if sampler is None else sampler
        check_choice(sampler, "sampler", set(SAMPLERS))
        guidance = self.guidance_scale if guidance_scale is None else check_non_negative(guidance_scale, "guidance_scale")
        device = next(self.parameters()).device
        common = dict(labels=labels, guidance_scale=guidance, null_label=self.null_label, clip=self.data_range,
                      generator=generator, device=device, callback=callback)
        was_training = self.training
        self.eval()
        try:
            if sampler == "ddpm":
                x0 = ddpm_sample(self.denoiser, self.schedule, (n, *self.data_shape()), variance=self.variance, **common)
            else:
                x0 = ddim_sample(self.denoiser, self.schedule, (n, *self.data_shape()),
                                 steps=self.sample_steps if steps is None else steps,
                                 eta=self.eta if eta is None else eta, **common)
        finally:
            self.train(was_training)
        return self.from_model_space(x0)

    # -- likelihood -----------------------------------------------------------------------

    @torch.no_grad()
    def bits_per_dim(self, data: torch.Tensor, labels=None, *, timesteps: int | None = None,
                     generator: torch.Generator | None = None, batch_size: int = 500) -> dict[str, torch.Tensor]:
        """:func:`variational_bound` of ``data`` (course space), per item, in bits/dim, in eval mode.

        ``labels=None`` bounds ``-log p(x)`` (unconditional); with labels, ``-log p(x | y)``.
        Lesson: ``07_diffusion_vs_gan.ipynb``.
        """
        self.check_data(data, "data")
        labels = self._labels(labels, len(data))
        check_positive_int(batch_size, "batch_size")
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        parts = []
        try:
            for start in range(0, len(data), batch_size):
                chunk = self.to_model_space(data[start:start + batch_size].to(device))
                chunk_labels = None if labels is None else labels[start:start + batch_size].to(device)
                parts.append(variational_bound(self.denoiser, self.schedule, chunk, chunk_labels, timesteps=timesteps,
                                               clip=self.data_range, variance=self.variance, generator=generator))
        finally:
            self.train(was_training)
        return {key: torch.cat([part[key] for part in parts]).cpu() for key in parts[0]}


class ImageDiffusion(GaussianDiffusion):
    """A diffusion model of images: :class:`UNetDenoiser` + schedule + sampler, buildable from plain arguments.

    Images are ``N×C×H×W`` in ``[0, 1]`` at the boundary and ``2x - 1`` in ``[-1, 1]``
    inside. ``num_classes=K`` makes it class-conditional with classifier-free
    guidance (train with ``label_dropout > 0``); the unconditional model is the
    same network with the null label.

    Args (U-Net): ``image_size``, ``channels``, ``base_channels``, ``channel_mults``,
    ``blocks_per_level``, ``attention``, ``num_classes``, ``dropout`` (see :class:`UNetDenoiser`).
    Args (process): ``schedule`` (``"linear"``/``"cosine"``), ``timesteps`` ``T``,
    ``sampler`` (``"ddim"``/``"ddpm"``), ``sample_steps`` (DDIM), ``eta`` (DDIM),
    ``guidance_scale`` ``w``, ``variance`` (DDPM's ``σ_t²``: ``"beta"``/``"beta_tilde"``).

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """

    def __init__(self, image_size: int = 28, channels: int = 1, base_channels: int = 32, channel_mults=(1, 2, 2),
                 blocks_per_level: int = 1, attention: bool = True, num_classes: int | None = None,
                 dropout: float = 0.0, schedule: str = "cosine", timesteps: int = 1000, sampler: str = "ddim",
                 sample_steps: int = 50, eta: float = 0.0, guidance_scale: float = 0.0, variance: str = "beta_tilde"):
        denoiser = UNetDenoiser(image_size, channels, base_channels, tuple(channel_mults), blocks_per_level,
                                attention, num_classes, dropout)
        super().__init__(denoiser, schedule, timesteps, sampler=sampler, sample_steps=sample_steps, eta=eta,
                         guidance_scale=guidance_scale, variance=variance)

    def data_shape(self) -> tuple[int, ...]:
        return (self.denoiser.channels, self.denoiser.image_size, self.denoiser.image_size)

    def check_data(self, data: torch.Tensor, name: str = "images") -> torch.Tensor:
        check_images(data, name, channels=(self.denoiser.channels,))
        if tuple(data.shape[1:]) != self.data_shape():
            raise ValueError(f"{name} must have shape (N, {', '.join(map(str, self.data_shape()))}), got {tuple(data.shape)}")
        return data

    def to_model_space(self, data: torch.Tensor) -> torch.Tensor:
        return data * 2 - 1  # [0, 1] -> [-1, 1]

    def from_model_space(self, x: torch.Tensor) -> torch.Tensor:
        return (x + 1) / 2  # [-1, 1] -> [0, 1]; x̂_0 was clipped to [-1, 1] (see sample)

    def bits_per_dim(self, data: torch.Tensor, labels=None, **kwargs) -> dict[str, torch.Tensor]:
        """The bound (:func:`variational_bound`) of 8-bit images: ``data`` must lie on the 256 levels ``k/255``."""
        self.check_data(data, "data")
        levels = data * 255
        if (levels - levels.round()).abs().max() > 1e-4:
            raise ValueError("data must be 8-bit images (values k/255): the bound of Ho et al.'s discrete decoder "
                             "(eq. 13) is a likelihood of 256-level pixels")
        return super().bits_per_dim(levels.round() / 255, labels, **kwargs)


class PointDiffusion(GaussianDiffusion):
    """A diffusion model of points ``(N, D)`` (the 2-D toys): :class:`MLPDenoiser` + schedule + sampler.

    Points are used as they are (no clipping of ``x̂_0``: their range is not bounded).
    Args: ``data_dim``, ``hidden_dim``, ``n_hidden``, ``time_dim`` (see :class:`MLPDenoiser`),
    and the process arguments of :class:`ImageDiffusion`.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """

    data_range = None

    def __init__(self, data_dim: int = 2, hidden_dim: int = 128, n_hidden: int = 3, time_dim: int = 32,
                 schedule: str = "cosine", timesteps: int = 1000, sampler: str = "ddpm", sample_steps: int = 50,
                 eta: float = 0.0, variance: str = "beta_tilde"):
        super().__init__(MLPDenoiser(data_dim, hidden_dim, n_hidden, time_dim), schedule, timesteps,
                         sampler=sampler, sample_steps=sample_steps, eta=eta, variance=variance)

    def data_shape(self) -> tuple[int, ...]:
        return (self.denoiser.data_dim,)

    def check_data(self, data: torch.Tensor, name: str = "points") -> torch.Tensor:
        if not isinstance(data, torch.Tensor) or not data.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor of points, got "
                            f"{data.dtype if isinstance(data, torch.Tensor) else type(data).__name__}")
        if data.ndim != 2 or data.shape[1] != self.denoiser.data_dim:
            raise ValueError(f"{name} must have shape (N, {self.denoiser.data_dim}), got {tuple(data.shape)}")
        if not torch.isfinite(data).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        return data

    def bits_per_dim(self, *args, **kwargs):
        raise NotImplementedError("bits_per_dim needs data on 256 levels (images); points have no discrete decoder here")


__all__ = [
    "GaussianDiffusion",
    "ImageDiffusion",
    "MLPDenoiser",
    "NoiseSchedule",
    "PointDiffusion",
    "ResidualBlock",
    "SelfAttention",
    "UNetDenoiser",
    "ddim_sample",
    "ddim_timesteps",
    "ddpm_sample",
    "diffusion_loss",
    "discretized_gaussian_log_likelihood",
    "guided_epsilon",
    "timestep_embedding",
    "variational_bound",
]
