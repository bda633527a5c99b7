"""GAN generators and discriminators: a small MLP pair and DCGAN (Radford et al., 2016).

The idea in five lines:

* a **generator** ``G`` maps noise ``z ~ N(0, I)`` (``latent_dim`` numbers) to a sample;
* a **discriminator** ``D`` maps a sample to one *logit* (a score; ``sigmoid(logit)``
  is the probability "real" for the classic losses);
* the MLP pair works on 2-D points (the toy of lesson 01) or on small flattened images;
* DCGAN replaces the MLP by (transposed) convolutions, batch norm, ReLU in ``G``,
  LeakyReLU(0.2) in ``D`` and a ``tanh`` output (paper, Sec. 3 "architecture guidelines");
* models work in ``[-1, 1]`` inside (``tanh``); :meth:`sample` and :meth:`decode`
  convert at the edge and return images in ``[0, 1]``, as everywhere in the course.

Shapes: ``N`` is the batch, ``Z`` the latent size, ``W`` the width (``ngf``/``ndf``
in the PyTorch DCGAN example). DCGAN at 28 px starts from a 7×7 map (28 = 7·2²);
at 32 and 64 px from 4×4 (32 = 4·2³, 64 = 4·2⁴).

Lessons: ``01_gan_from_scratch.ipynb`` (MLP), ``02_dcgan.ipynb`` (DCGAN).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_choice, check_positive_int

#: Image sizes DCGAN supports, and the side of the first feature map for each.
DCGAN_START_SIZE = {28: 7, 32: 4, 64: 4}


def _check_latent_dim(latent_dim) -> int:
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer (the size of the noise z), got {latent_dim!r}")
    return latent_dim


class _Generator(nn.Module):
    """What every unconditional generator shares: noise, ``sample`` and ``decode`` in ``[0, 1]``.

    Subclasses set ``latent_dim`` and ``output_kind`` (``"image"``: a ``tanh``
    output in ``[-1, 1]``; ``"points"``: unbounded numbers such as 2-D points).
    """

    latent_dim: int
    output_kind: str = "image"
    conditional: bool = False

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` latent vectors ``z ~ N(0, I)``: shape ``(n, Z)``, on the model's device."""
        check_positive_int(n, "n")
        device = next(self.parameters()).device
        where = generator.device if generator is not None else device
        return torch.randn(n, self.latent_dim, generator=generator, device=where).to(device)  # (n, Z)

    def to_unit(self, output: torch.Tensor) -> torch.Tensor:
        """Model space -> what the course shows: images ``[-1, 1] -> [0, 1]``; points unchanged."""
        if self.output_kind == "image":
            # tanh can round to exactly ±1; the affine map keeps [0, 1] (no clipping needed)
            return (output + 1) / 2
        return output

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Generate from given latents ``z`` (``(N, Z)``), in eval mode; images in ``[0, 1]``.

        The model's train/eval mode is restored afterwards, so decoding during
        training changes nothing (no batch-norm statistics are updated).
        """
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must be a tensor of shape (N, {self.latent_dim}), got {shape}")
        was_training = self.training
        self.eval()
        try:
            return self.to_unit(self(z.to(next(self.parameters()).device)))
        finally:
            self.train(was_training)

    def sample(self, n: int, labels=None, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples: images ``(n, C, H, W)`` in ``[0, 1]`` (or points ``(n, 2)``).

        ``generator`` (a ``torch.Generator``) makes the noise reproducible.
        ``labels`` is for conditional generators; this one is unconditional,
        so passing labels is an error (see ``imgsynth_edu.models.cgan``).
        """
        if labels is not None:
            raise ValueError(
                f"labels were given, but {type(self).__name__} is unconditional and ignores no input: "
                "pass labels=None, or use a class-conditional generator (imgsynth_edu.models.cgan)"
            )
        return self.decode(self.noise(n, generator))


# ----------------------------------------------------------------------------
# MLP pair: 2-D points (lesson 01) or small flattened images
# ----------------------------------------------------------------------------


def _mlp(sizes: list[int], activation: nn.Module) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(n_in, n_out), activation]  # (N, n_in) -> (N, n_out)
    layers.append(nn.Linear(sizes[-2], sizes[-1]))  # (N, sizes[-2]) -> (N, sizes[-1])
    return layers


def _check_data_shape(data_shape) -> tuple[int, ...]:
    data_shape = tuple(data_shape)
    if len(data_shape) not in (1, 3) or any(not isinstance(s, int) or s < 1 for s in data_shape):
        raise ValueError(f"data_shape must be (D,) for points or (C, H, W) for images, got {data_shape!r}")
    return data_shape


class MLPGenerator(_Generator):
    """``z (N, Z) -> x``: points ``(N, D)`` (linear output) or images ``(N, C, H, W)`` (tanh output).

    Args:
        latent_dim: size ``Z`` of the noise.
        data_shape: ``(D,)`` for points (e.g. ``(2,)``) or ``(C, H, W)`` for images.
        hidden_dim, n_hidden: width and number of hidden layers (ReLU).
    """

    def __init__(self, latent_dim: int = 2, data_shape=(2,), hidden_dim: int = 128, n_hidden: int = 3):
        super().__init__()
        self.latent_dim = _check_latent_dim(latent_dim)
        self.data_shape = _check_data_shape(data_shape)
        check_positive_int(hidden_dim, "hidden_dim")
        check_positive_int(n_hidden, "n_hidden")
        self.output_kind = "points" if len(self.data_shape) == 1 else "image"
        n_out = math.prod(self.data_shape)
        layers = _mlp([latent_dim] + [hidden_dim] * n_hidden + [n_out], nn.ReLU())
        if self.output_kind == "image":
            layers.append(nn.Tanh())  # pixels in [-1, 1]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        flat = self.net(z)  # (N, Z) -> (N, prod(data_shape))
        return flat.view(len(z), *self.data_shape)  # (N, D) or (N, C, H, W)


class MLPDiscriminator(nn.Module):
    """``x -> logit``: points ``(N, D)`` or images ``(N, C, H, W)`` -> ``(N,)``; LeakyReLU(0.2) hidden layers."""

    def __init__(self, data_shape=(2,), hidden_dim: int = 128, n_hidden: int = 3):
        super().__init__()
        self.data_shape = _check_data_shape(data_shape)
        check_positive_int(hidden_dim, "hidden_dim")
        check_positive_int(n_hidden, "n_hidden")
        self.net = nn.Sequential(*_mlp([math.prod(self.data_shape)] + [hidden_dim] * n_hidden + [1], nn.LeakyReLU(0.2)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.data_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.data_shape))}), got {tuple(x.shape)}")
        return self.net(x.flatten(1)).squeeze(1)  # (N, ...) -> (N, prod) -> (N, 1) -> (N,)


# ----------------------------------------------------------------------------
# DCGAN (Radford, Metz & Chintala, ICLR 2016, Fig. 1 and Sec. 3)
# ----------------------------------------------------------------------------


def dcgan_layout(image_size) -> tuple[int, int]:
    """``(start side, number of ×2 stages)`` of a DCGAN for ``image_size``: 28 -> (7, 2), 32 -> (4, 3), 64 -> (4, 4).

    The conditional GANs of :mod:`imgsynth_edu.models.cgan` use the same layout.

    Lesson: ``02_dcgan.ipynb``.
    """
    if image_size not in DCGAN_START_SIZE:
        raise ValueError(f"image_size must be one of {sorted(DCGAN_START_SIZE)} for DCGAN, got {image_size!r}")
    start = DCGAN_START_SIZE[image_size]
    return start, int(math.log2(image_size // start))


def _dcgan_plan(image_size, channels) -> tuple[int, int]:
    """:func:`dcgan_layout`, and a clear error unless ``channels`` is 1 or 3."""
    layout = dcgan_layout(image_size)
    check_choice(channels, "channels", {1, 3})
    return layout


class DCGANGenerator(_Generator):
    """DCGAN generator: ``z (N, Z) -> images (N, C, S, S)`` in ``[-1, 1]``, ``S`` in {28, 32, 64}.

    Project ``z`` to a ``start×start`` map with a transposed convolution, then
    each stage doubles the side and halves the channels (``ConvTranspose2d(4, 2, 1)``
    + BatchNorm + ReLU); the last stage outputs ``C`` channels through ``tanh``.

    Args:
        latent_dim: ``Z``; image_size: 28, 32 or 64; channels: 1 or 3;
        width: channels of the last hidden map (``ngf``); the first has ``width·2^(stages-1)``;
        batch_norm: False removes it (a failure-mode experiment of lesson 02).
    """

    def __init__(self, latent_dim: int = 100, image_size: int = 64, channels: int = 3, width: int = 64,
                 batch_norm: bool = True):
        super().__init__()
        self.latent_dim = _check_latent_dim(latent_dim)
        check_positive_int(width, "width")
        start, stages = _dcgan_plan(image_size, channels)
        self.image_size, self.channels = image_size, channels
        norm = nn.BatchNorm2d if batch_norm else (lambda c: nn.Identity())
        hidden = width * 2 ** (stages - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, hidden, start, 1, 0, bias=not batch_norm),  # (N, Z, 1, 1) -> (N, hidden, start, start)
            norm(hidden),
            nn.ReLU(True),
        ]
        side = start
        for _ in range(stages - 1):
            layers += [
                nn.ConvTranspose2d(hidden, hidden // 2, 4, 2, 1, bias=not batch_norm),  # (N, h, s, s) -> (N, h/2, 2s, 2s)
                norm(hidden // 2),
                nn.ReLU(True),
            ]
            hidden, side = hidden // 2, side * 2
        layers += [
            nn.ConvTranspose2d(hidden, channels, 4, 2, 1),  # (N, width, S/2, S/2) -> (N, C, S, S)
            nn.Tanh(),  # pixels in [-1, 1]
        ]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z[:, :, None, None])  # (N, Z) -> (N, Z, 1, 1) -> (N, C, S, S)


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: ``images (N, C, S, S)`` in ``[-1, 1]`` -> logits ``(N,)``.

    Strided convolutions halve the side and double the channels
    (``Conv2d(4, 2, 1)`` + BatchNorm + LeakyReLU(0.2), no batch norm on the
    first layer, as in the paper), down to ``start×start``; a final
    ``start×start`` convolution gives one logit. ``batch_norm=False`` is the
    right choice for WGAN-GP (its penalty is per sample; Gulrajani et al. 2017, Sec. 4).

    ``spectral_norm=True`` replaces batch norm by spectral normalisation on every
    convolution (Miyato et al. 2018, "Spectral Normalization for GANs"):
    ``W_SN = W / σ_max(W)``, with ``σ_max(W)`` the largest singular value of ``W``
    estimated by one power iteration per step. Each layer is then *roughly*
    1-Lipschitz, so D cannot grow arbitrarily sharp; ``dcgan-mnist`` is trained
    this way. Roughly: the estimate approaches ``σ_max`` from below, and for a
    convolution ``W`` is the kernel reshaped to ``C_out × (C_in·k·k)``, whose norm
    can be below the convolution's own Lipschitz constant (Tsuzuku et al. 2018).
    """

    def __init__(self, image_size: int = 64, channels: int = 3, width: int = 64, batch_norm: bool = True,
                 spectral_norm: bool = False):
        super().__init__()
        check_positive_int(width, "width")
        start, stages = _dcgan_plan(image_size, channels)
        self.image_size, self.channels = image_size, channels
        batch_norm = batch_norm and not spectral_norm  # spectral norm replaces batch norm
        norm = nn.BatchNorm2d if batch_norm else (lambda c: nn.Identity())
        layers: list[nn.Module] = [
            nn.Conv2d(channels, width, 4, 2, 1),  # (N, C, S, S) -> (N, width, S/2, S/2)
            nn.LeakyReLU(0.2, True),
        ]
        hidden = width
        for _ in range(stages - 1):
            layers += [
                nn.Conv2d(hidden, hidden * 2, 4, 2, 1, bias=not batch_norm),  # (N, h, s, s) -> (N, 2h, s/2, s/2)
                norm(hidden * 2),
                nn.LeakyReLU(0.2, True),
            ]
            hidden *= 2
        layers.append(nn.Conv2d(hidden, 1, start, 1, 0))  # (N, hidden, start, start) -> (N, 1, 1, 1)
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)
        if spectral_norm:  # after the init: W is kept as weight_orig, and W / σ(W) is used in forward
            for layer in self.net:
                if isinstance(layer, nn.Conv2d):
                    nn.utils.spectral_norm(layer)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must have shape (N, {', '.join(map(str, expected))}), got {tuple(images.shape)}")
        return self.net(images).flatten()  # (N, 1, 1, 1) -> (N,)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation (paper, Sec. 4): conv weights ~ N(0, 0.02); batch-norm scale ~ N(1, 0.02), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


# ----------------------------------------------------------------------------
# Walking the latent space (lesson 02)
# ----------------------------------------------------------------------------


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Linear interpolation ``(1 - t)·z0 + t·z1``.

    For Gaussian latents the midpoint has norm ``≈ 0.71·√Z`` instead of the
    typical ``√Z``: it leaves the shell where almost all of ``N(0, I)`` lives
    (White 2016, "Sampling Generative Networks", Sec. 2.1), which is why :func:`slerp` is preferred.
    """
    return torch.lerp(z0, z1, float(t))


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation (Shoemake 1985; White 2016, Sec. 2.1), row by row for ``(N, Z)`` latents.

    ``slerp(z0, z1; t) = sin((1-t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1`` with
    ``cos Ω = z0·z1 / (‖z0‖‖z1‖)``; it follows the great circle, so the norm
    stays typical. Falls back to :func:`lerp` where ``sin Ω ≈ 0`` (parallel latents).
    """
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t = float(t)
    cos_omega = torch.nn.functional.cosine_similarity(z0, z1, dim=-1).clamp(-1.0, 1.0)  # (N,)
    omega = torch.acos(cos_omega)[..., None]  # (N, 1)
    sin_omega = torch.sin(omega)  # (N, 1)
    parallel = sin_omega.abs() < 1e-6
    safe = torch.where(parallel, torch.ones_like(sin_omega), sin_omega)
    spherical = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / safe  # (N, Z)
    return torch.where(parallel, lerp(z0, z1, t), spherical)


def latent_directions(latent_dim: int, count: int, seed: int = 0) -> torch.Tensor:
    """``count`` random orthonormal directions in latent space, ``(count, Z)`` (seeded; QR of a Gaussian matrix)."""
    _check_latent_dim(latent_dim)
    check_positive_int(count, "count")
    if count > latent_dim:
        raise ValueError(f"count must be at most latent_dim={latent_dim}, got {count}")
    gaussian = torch.randn(latent_dim, count, generator=torch.Generator().manual_seed(seed))  # (Z, count)
    q, _ = torch.linalg.qr(gaussian)  # (Z, count), orthonormal columns
    return q.T.contiguous()  # (count, Z)


__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "dcgan_init",
    "latent_directions",
    "lerp",
    "slerp",
]
