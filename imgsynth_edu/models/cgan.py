"""Conditional GANs: "draw me a 7" (a class label) and "fill in this hole" (an image).

Two kinds of condition, two families of models:

* **Class-conditional DCGAN** (Mirza & Osindero 2014, "Conditional Generative
  Adversarial Nets"): the label ``y`` goes into *both* players.

  - :class:`ConditionalDCGANGenerator` - ``G(z, y)``: a learned label
    embedding is concatenated to the noise ``z``, then the DCGAN stack of
    transposed convolutions (Radford et al. 2016) draws the image.
  - :class:`ConcatDiscriminator` - ``D(x, y)`` by **concatenation**: the label,
    as one-hot planes, is stacked onto the image's channels before the first
    convolution.
  - :class:`ProjectionDiscriminator` - ``D(x, y)`` by **projection** (Miyato &
    Koyama 2018, "cGANs with Projection Discriminator", eq. 3):
    ``f(x, y) = ψ(φ(x)) + e(y)ᵀ φ(x)``, an inner product between the image's
    features and a learned class embedding. Usually the better variant.

* **Image-conditional GAN** (Isola et al. 2017, "pix2pix"), here for inpainting:

  - :class:`UNetGenerator` - an encoder-decoder whose skip connections carry
    the fine detail of the input straight to the output.
  - :class:`InpaintingGenerator` - a U-Net that takes the masked image and the
    mask and returns the completed image (known pixels kept exactly).
  - :class:`PatchDiscriminator` - PatchGAN: a fully convolutional ``D(x, y)``
    that judges every overlapping patch as real or fake, so the adversarial
    term sharpens texture while an L1 term keeps the colours right.

Conventions: images at the boundary are ``float32`` ``N×C×H×W`` in ``[0, 1]``;
labels are ``int64`` tensors of ``N`` class indices in ``[0, num_classes)``.
Generators work in ``[-1, 1]`` internally (tanh) and their ``sample(...)``
returns ``[0, 1]``. Discriminators take images in ``[-1, 1]`` (what the
generator emits; convert real images with ``2 x - 1``) and return logits.

Lesson: ``03_conditional_gan.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .._checks import check_images, check_labels, check_masks, check_positive_int
from .gan import DCGANGenerator, dcgan_init, dcgan_layout


# ============================================================================
# Class-conditional DCGAN (Mirza & Osindero 2014; Radford et al. 2016)
# ============================================================================
class ConditionalDCGANGenerator(nn.Module):
    """``G(z, y)``: noise ``z`` and a class ``y`` -> an image of class ``y``.

    The label is looked up in a learned embedding table (``num_classes ×
    embed_dim``) and concatenated to ``z``; from there it is the DCGAN
    generator of lesson 02 (:class:`imgsynth_edu.models.gan.DCGANGenerator`)::

        [z ; e(y)]                          (N, latent_dim + embed_dim)
        -> ConvT s×s -> BN, ReLU            (N, C·2^(k-1), s, s), s = 7 for 28×28, 4 for 32 and 64
        -> (ConvT 4×4 /2, BN, ReLU) × (k-1) each doubles the side, halves channels
        -> ConvT 4×4 /2 -> tanh             (N, channels, image_size, image_size)

    Noise carries *style* (slant, thickness), the label carries *content*
    (which digit): fix ``z`` and change ``y`` to see it.

    Args:
        latent_dim: size of ``z``.
        num_classes: number of classes ``y`` can take.
        image_size: 28, 32 or 64.
        channels: 1 (grey) or 3 (RGB).
        base_channels: channels of the last hidden feature map (DCGAN's ``ngf``).
        embed_dim: size of the label embedding (default: ``num_classes``).

    Lesson: ``03_conditional_gan.ipynb``.
    """

    def __init__(self, latent_dim: int = 64, num_classes: int = 10, image_size: int = 28, channels: int = 1,
                 base_channels: int = 32, embed_dim: int | None = None):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.image_size = image_size
        self.channels = check_positive_int(channels, "channels")
        check_positive_int(base_channels, "base_channels")
        self.embed_dim = check_positive_int(embed_dim if embed_dim is not None else num_classes, "embed_dim")
        dcgan_layout(image_size)
        self.label_embedding = nn.Embedding(num_classes, self.embed_dim)
        # the DCGAN generator of lesson 02, fed the code [z ; e(y)] instead of z alone
        self.body = DCGANGenerator(latent_dim + self.embed_dim, image_size, channels, width=base_channels)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images in ``[-1, 1]`` of shape ``N × channels × image_size × image_size``."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape N×{self.latent_dim}, got {tuple(z.shape)}")
        labels = check_labels(labels, len(z), self.num_classes)
        code = torch.cat([z, self.label_embedding(labels)], dim=1)  # (N, latent_dim + embed_dim)
        return self.body(code)  # (N, channels, image_size, image_size), tanh

    def sample(self, n: int, labels=None, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` images in ``[0, 1]`` of the classes ``labels``.

        ``labels``: ``None`` (classes ``0, 1, ..., num_classes-1, 0, 1, ...`` in
        turn, so every class is equally represented), one ``int`` (all ``n`` of
        that class), or a sequence / tensor of ``n`` class indices. The noise is
        drawn from ``generator`` (a ``torch.Generator``) when given.
        """
        check_positive_int(n, "n")
        labels = self._labels_for(n, labels)
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator).to(device)
        was_training = self.training
        self.eval()
        with torch.no_grad():
            images = self(z, labels.to(device))
        self.train(was_training)
        return (images + 1) / 2

    def _labels_for(self, n: int, labels) -> torch.Tensor:
        if labels is None:
            return torch.arange(n) % self.num_classes
        if isinstance(labels, bool):
            raise TypeError("labels must be an int, a sequence of ints or a tensor, got a bool")
        if isinstance(labels, int):
            labels = torch.full((n,), labels, dtype=torch.long)
        elif not isinstance(labels, torch.Tensor):
            labels = torch.as_tensor(list(labels))
        return check_labels(labels, n, self.num_classes)


class _ConvTrunk(nn.Sequential):
    """``φ(x)``: the shared convolutional feature extractor of both discriminators.

    DCGAN's discriminator without its last layer: ``(Conv 4×4 /2, [BN],
    LeakyReLU 0.2) × k`` halves the side and doubles the channels each time
    (no batch norm on the first layer, Radford et al. 2016), down to ``s×s``
    (7 for 28×28 images). ``spectral_norm=True`` replaces batch norm by
    spectral normalisation (Miyato et al. 2018), which the projection paper used.
    """

    def __init__(self, in_channels: int, base_channels: int, image_size: int, spectral_norm: bool):
        start, downs = dcgan_layout(image_size)
        layers, width = [], in_channels
        for i in range(downs):
            out = base_channels * 2**i
            layers.append(_maybe_spectral(nn.Conv2d(width, out, 4, stride=2, padding=1), spectral_norm))  # side ÷2
            if i > 0 and not spectral_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width = out
        super().__init__(*layers)
        self.out_features = width * start * start  # size of the flattened φ(x)


def _maybe_spectral(layer: nn.Module, spectral_norm: bool) -> nn.Module:
    """``layer`` with spectral normalisation ``W / σ(W)`` (Miyato et al. 2018) when asked, else unchanged."""
    return nn.utils.spectral_norm(layer) if spectral_norm else layer


class _LabelledDiscriminator(nn.Module):
    """What both class-conditional discriminators share: their arguments, the trunk ``φ``, the input checks.

    ``label_planes=True`` widens the trunk's input by ``num_classes`` channels
    for the one-hot label planes of :class:`ConcatDiscriminator`.
    """

    def __init__(self, num_classes: int, image_size: int, channels: int, base_channels: int, spectral_norm: bool,
                 label_planes: bool):
        super().__init__()
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.channels = check_positive_int(channels, "channels")
        self.image_size = image_size
        check_positive_int(base_channels, "base_channels")
        trunk_channels = channels + num_classes if label_planes else channels
        self.features = _ConvTrunk(trunk_channels, base_channels, image_size, spectral_norm)

    def check_inputs(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Raise unless ``images`` is ``N×channels×image_size×image_size``; returns the checked ``labels``."""
        if not isinstance(images, torch.Tensor) or images.ndim != 4:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"images must be an N×C×H×W tensor, got {shape}")
        expected = (self.channels, self.image_size, self.image_size)
        if tuple(images.shape[1:]) != expected:
            raise ValueError(
                f"images must have shape N×{self.channels}×{self.image_size}×{self.image_size}, "
                f"got {tuple(images.shape)}"
            )
        return check_labels(labels, len(images), self.num_classes)


class ConcatDiscriminator(_LabelledDiscriminator):
    """``D(x, y)`` by concatenation: the label enters as ``num_classes`` one-hot planes.

    The simplest way to give the discriminator the condition (Mirza & Osindero
    2014, sec. 4): ``x`` (``N×C×H×W``) and ``onehot(y)`` broadcast to ``N×K×H×W``
    are stacked into ``N×(C+K)×H×W`` and judged together. The network must learn
    by itself how the label relates to the pixels.

    Returns one logit per image (``N``); ``σ(logit)`` is the probability that
    ``x`` is a real image *of class* ``y``.

    Lesson: ``03_conditional_gan.ipynb``.
    """

    def __init__(self, num_classes: int = 10, image_size: int = 28, channels: int = 1, base_channels: int = 32,
                 spectral_norm: bool = False):
        super().__init__(num_classes, image_size, channels, base_channels, spectral_norm, label_planes=True)
        self.to_logit = _maybe_spectral(nn.Linear(self.features.out_features, 1), spectral_norm)
        self.apply(dcgan_init)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        labels = self.check_inputs(images, labels)
        planes = F.one_hot(labels, self.num_classes).to(images.dtype)  # (N, K)
        planes = planes[:, :, None, None].expand(-1, -1, *images.shape[-2:])  # (N, K, H, W)
        h = self.features(torch.cat([images, planes], dim=1)).flatten(1)  # (N, F) = (N, C'·s·s)
        return self.to_logit(h).squeeze(1)  # (N,)


class ProjectionDiscriminator(_LabelledDiscriminator):
    """``D(x, y)`` by projection (Miyato & Koyama 2018, eq. 3).

    .. math::
        f(x, y) = \\underbrace{\\psi(\\phi(x))}_{\\text{is it real?}}
                 + \\underbrace{e(y)^\\top \\phi(x)}_{\\text{is it a } y\\text{?}}

    ``φ`` is the convolutional trunk (features ``N×F``), ``ψ`` a linear layer
    (one unconditional logit) and ``e`` a learned ``num_classes × F`` embedding.
    The form follows from writing the optimal discriminator's logit,
    ``log p_data(x|y)/p_G(x|y)``, for a log-linear class model: the label is
    compared with the image's *features*, not its raw pixels, which trains
    faster and gives higher class accuracy than concatenation.

    Returns one logit per image (``N``).

    Lesson: ``03_conditional_gan.ipynb``.
    """

    def __init__(self, num_classes: int = 10, image_size: int = 28, channels: int = 1, base_channels: int = 32,
                 spectral_norm: bool = False):
        super().__init__(num_classes, image_size, channels, base_channels, spectral_norm, label_planes=False)
        self.psi = _maybe_spectral(nn.Linear(self.features.out_features, 1), spectral_norm)
        self.class_embedding = _maybe_spectral(nn.Embedding(num_classes, self.features.out_features), spectral_norm)
        self.apply(dcgan_init)
        nn.init.normal_(self.class_embedding.weight, 0.0, 0.02)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        labels = self.check_inputs(images, labels)
        phi = self.features(images).flatten(1)  # (N, F): φ(x), the flattened feature map
        unconditional = self.psi(phi).squeeze(1)  # (N,): ψ(φ(x))
        projection = (self.class_embedding(labels) * phi).sum(dim=1)  # (N,): e(y)ᵀ φ(x)
        return unconditional + projection  # (N,)


# ============================================================================
# Image-conditional GAN: pix2pix (Isola et al. 2017)
# ============================================================================
class UNetGenerator(nn.Module):
    """A small U-Net (Ronneberger et al. 2015) as used by pix2pix's generator.

    The encoder halves the side ``depth`` times; the decoder doubles it back
    and, at every scale, concatenates the encoder's feature map of the same
    size (the *skip connection*), so detail that the input already has does
    not have to squeeze through the bottleneck::

        x (N, in, H, W) -> Conv 3×3 -> C          --skip-->  concat -> Conv -> tanh (N, out, H, W)
          -> Conv 4×4 /2 -> 2C   (H/2)            --skip-->  concat <- ConvT ×2
          ...                                                 ...
          -> bottleneck (H / 2**depth)                       -> ConvT ×2

    Input and output are in ``[-1, 1]``. pix2pix injects its noise ``z`` as
    dropout in the decoder (Isola et al. 2017, sec. 3.1); ``dropout`` does that.

    Args:
        in_channels / out_channels: channels of the condition and of the result.
        base_channels: channels at full resolution (doubled at every level).
        depth: number of ×2 downsamplings; ``H`` and ``W`` must be divisible by ``2**depth``.
        dropout: dropout probability in the decoder (0 disables it).

    Lesson: ``03_conditional_gan.ipynb``.
    """

    def __init__(self, in_channels: int = 2, out_channels: int = 1, base_channels: int = 32,
                 depth: int = 2, dropout: float = 0.0):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        check_positive_int(base_channels, "base_channels")
        self.depth = check_positive_int(depth, "depth")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        widths = [base_channels * 2**i for i in range(depth + 1)]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1), nn.LeakyReLU(0.2, inplace=True))
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1, bias=False),
                          nn.BatchNorm2d(widths[i + 1]), nn.LeakyReLU(0.2, inplace=True))
            for i in range(depth)
        )
        self.bottleneck = nn.Sequential(nn.Conv2d(widths[-1], widths[-1], 3, padding=1, bias=False),
                                        nn.BatchNorm2d(widths[-1]), nn.ReLU(inplace=True))
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(widths[i + 1], widths[i], 4, stride=2, padding=1, bias=False),
                          nn.BatchNorm2d(widths[i]), nn.ReLU(inplace=True),
                          *([nn.Dropout(dropout)] if dropout > 0 else []))
            for i in reversed(range(depth))
        )
        self.merge = nn.ModuleList(
            nn.Sequential(nn.Conv2d(2 * widths[i], widths[i], 3, padding=1, bias=False),
                          nn.BatchNorm2d(widths[i]), nn.ReLU(inplace=True))
            for i in reversed(range(depth))
        )
        self.to_image = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must have shape N×{self.in_channels}×H×W, got {tuple(x.shape)}")
        multiple = 2**self.depth
        if x.shape[-2] % multiple or x.shape[-1] % multiple:
            raise ValueError(
                f"x's height and width must be divisible by 2**depth = {multiple}, got {tuple(x.shape[-2:])}"
            )
        skips = [self.stem(x)]  # [(N, C, H, W)]
        for down in self.down:
            skips.append(down(skips[-1]))  # (N, 2^i C, H/2^i, W/2^i)
        h = self.bottleneck(skips.pop())  # (N, 2^depth C, H/2^depth, W/2^depth)
        for up, merge in zip(self.up, self.merge):
            h = up(h)  # side ×2, channels ÷2
            h = merge(torch.cat([h, skips.pop()], dim=1))  # skip connection: (N, 2·C_i, ...) -> (N, C_i, ...)
        return torch.tanh(self.to_image(h))  # (N, out_channels, H, W)


class InpaintingGenerator(nn.Module):
    """Fill the hole of an image: ``G(x ⊙ (1 - m), m)`` -> the completed image.

    ``mask`` is 1 in the hole (the pixels to invent) and 0 where the image is
    known, as in ``skimage.restoration.inpaint_biharmonic``. The U-Net sees the
    masked image and the mask (``channels + 1`` input planes) and predicts every
    pixel; the result keeps the known pixels exactly and takes only the hole
    from the network:

    .. math:: \\hat{x} = m \\odot G(x \\odot (1-m), m) + (1-m) \\odot x

    Args:
        channels: 1 (grey) or 3 (RGB).
        base_channels, depth, dropout: of the :class:`UNetGenerator`.

    Lesson: ``03_conditional_gan.ipynb``.
    """

    def __init__(self, channels: int = 1, base_channels: int = 32, depth: int = 2, dropout: float = 0.0):
        super().__init__()
        self.channels = check_positive_int(channels, "channels")
        self.unet = UNetGenerator(channels + 1, channels, base_channels, depth, dropout)

    def forward(self, masked_images: torch.Tensor, masks: torch.Tensor, composite: bool = True) -> torch.Tensor:
        """Completed images in ``[0, 1]`` (``N×C×H×W``).

        ``composite=False`` returns the network's raw prediction for every
        pixel (what the L1 and adversarial losses of training may also use).
        """
        check_images(masked_images, "masked_images", channels=(self.channels,))
        masks = check_masks(masks, masked_images, "masks")
        condition = torch.cat([masked_images * 2 - 1, masks], dim=1)  # (N, C+1, H, W)
        prediction = (self.unet(condition) + 1) / 2  # (N, C, H, W) in [0, 1]
        if not composite:
            return prediction
        return masks * prediction + (1 - masks) * masked_images  # known pixels kept exactly


class PatchDiscriminator(nn.Module):
    """PatchGAN ``D(x, y)`` (Isola et al. 2017, sec. 3.2.2): one logit per patch.

    The condition ``x`` and the (real or generated) image ``y`` are stacked on
    the channel axis and judged by a fully convolutional net; its output is a
    map of logits, each looking at one overlapping patch (its receptive field).
    Averaging the per-patch losses makes ``D`` a texture/sharpness critic, while
    the L1 term of the generator's loss takes care of the low frequencies.

    ``(Conv 4×4 /2, [BN], LeakyReLU) × n_downsample``, then two ``Conv 4×4 /1``:
    for a 28×28 input and ``n_downsample=2`` the map is 5×5, each logit sees
    a 34×34 window.

    Args:
        in_channels: channels of the condition plus those of the image.
        base_channels: channels of the first layer (doubled at every layer).
        n_downsample: number of stride-2 layers.

    Lesson: ``03_conditional_gan.ipynb``.
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 32, n_downsample: int = 2):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        check_positive_int(base_channels, "base_channels")
        check_positive_int(n_downsample, "n_downsample")
        layers = [nn.Conv2d(in_channels, base_channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        width = base_channels
        for _ in range(n_downsample - 1):
            layers += [nn.Conv2d(width, width * 2, 4, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2, inplace=True)]
            width *= 2
        layers += [nn.Conv2d(width, width * 2, 4, stride=1, padding=1, bias=False),
                   nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2, inplace=True),
                   nn.Conv2d(width * 2, 1, 4, stride=1, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, condition: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        """Logit map ``N×1×h×w`` for ``images`` (``[-1, 1]``) given ``condition``."""
        if condition.ndim != 4 or images.ndim != 4 or condition.shape[0] != images.shape[0] \
                or condition.shape[-2:] != images.shape[-2:]:
            raise ValueError(
                f"condition and images must be N×C×H×W with the same N, H and W, "
                f"got {tuple(condition.shape)} and {tuple(images.shape)}"
            )
        if condition.shape[1] + images.shape[1] != self.in_channels:
            raise ValueError(
                f"condition and images must have {self.in_channels} channels together, "
                f"got {condition.shape[1]} + {images.shape[1]}"
            )
        return self.net(torch.cat([condition, images], dim=1))  # (N, 1, h, w)
