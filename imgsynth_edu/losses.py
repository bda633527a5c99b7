"""Losses: adversarial (GAN), pixel and perceptual (restoration).

Each loss is a short function whose docstring carries its formula and the
paper it comes from, so a lesson can put formula and code side by side.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F

from ._checks import check_pair

# ============================================================================
# Adversarial losses (GAN lessons 01-03)
# ============================================================================
#
# Every discriminator here outputs a raw score (a *logit*) ``ℓ``; for the
# classic losses ``D(x) = sigmoid(ℓ)`` is the probability "real". Writing the
# losses on logits (``log sigmoid(ℓ) = -softplus(-ℓ)``) is exact and never
# takes ``log(0)``. Each D loss takes the scores of a real batch and of a
# *detached* fake batch; each G loss the scores of a fake batch (not detached).
# Lesson: ``01_gan_from_scratch.ipynb`` (the game, the two generator losses),
# ``02_dcgan.ipynb`` (hinge, least squares, WGAN-GP).


def _check_scores(scores: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(scores, torch.Tensor) or not scores.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor of discriminator scores (logits)")
    if scores.numel() == 0:
        raise ValueError(f"{name} is empty")
    return scores


def d_loss_minimax(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Discriminator loss of the original GAN (Goodfellow et al. 2014, Eq. 1), as a loss to minimise.

    ``L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]`` with ``D = sigmoid(score)``,
    i.e. binary cross-entropy with label 1 for real and 0 for fake:
    ``softplus(-ℓ_real) + softplus(ℓ_fake)``. It is also the D loss used with
    the non-saturating generator loss. At the optimum ``D*(x) = p_data / (p_data + p_g)``
    and ``-L_D = 2·JS(p_data || p_g) - log 4`` (paper, Prop. 1 and Thm. 1).
    """
    _check_scores(real_scores, "real_scores")
    _check_scores(fake_scores, "fake_scores")
    return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()


def g_loss_saturating(fake_scores: torch.Tensor) -> torch.Tensor:
    """The minimax ("saturating") generator loss (Goodfellow et al. 2014, Eq. 1): ``L_G = E_z[log(1 - D(G(z)))]``.

    ``log(1 - sigmoid(ℓ)) = -softplus(ℓ)``. When D confidently rejects fakes
    (``ℓ ≪ 0``, early in training) ``∂L_G/∂ℓ = -sigmoid(ℓ) ≈ 0``: the generator
    gets almost no gradient. That is why the paper (Sec. 3) recommends
    :func:`g_loss_non_saturating` instead.
    """
    _check_scores(fake_scores, "fake_scores")
    return -F.softplus(fake_scores).mean()


def g_loss_non_saturating(fake_scores: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss (Goodfellow et al. 2014, Sec. 3): ``L_G = -E_z[log D(G(z))]``.

    ``-log sigmoid(ℓ) = softplus(-ℓ)``; ``∂L_G/∂ℓ = sigmoid(ℓ) - 1 ≈ -1`` when
    D rejects the fakes, so the generator learns fastest exactly when it is
    worst. Same fixed point as the minimax game, much stronger early gradients.
    """
    _check_scores(fake_scores, "fake_scores")
    return F.softplus(-fake_scores).mean()


def d_loss_hinge(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss (Lim & Ye 2017, Eq. 6; Miyato et al. 2018, Eq. 16).

    ``L_D = E_x[max(0, 1 - ℓ(x))] + E_z[max(0, 1 + ℓ(G(z)))]``.
    """
    _check_scores(real_scores, "real_scores")
    _check_scores(fake_scores, "fake_scores")
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def g_loss_hinge(fake_scores: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss (Lim & Ye 2017, Eq. 7): ``L_G = -E_z[ℓ(G(z))]``."""
    _check_scores(fake_scores, "fake_scores")
    return -fake_scores.mean()


def d_loss_least_squares(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Least-squares discriminator loss (Mao et al. 2017, LSGAN, Eq. 9 with ``a=0, b=1``).

    ``L_D = ½ E_x[(ℓ(x) - 1)²] + ½ E_z[ℓ(G(z))²]`` (``ℓ`` is the raw score, no sigmoid).
    """
    _check_scores(real_scores, "real_scores")
    _check_scores(fake_scores, "fake_scores")
    return 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores**2).mean()


def g_loss_least_squares(fake_scores: torch.Tensor) -> torch.Tensor:
    """Least-squares generator loss (Mao et al. 2017, Eq. 9 with ``c=1``): ``L_G = ½ E_z[(ℓ(G(z)) - 1)²]``."""
    _check_scores(fake_scores, "fake_scores")
    return 0.5 * ((fake_scores - 1) ** 2).mean()


def d_loss_wasserstein(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss (Arjovsky et al. 2017, Eq. 3; Gulrajani et al. 2017, Eq. 3 without the penalty).

    ``L_D = E_z[ℓ(G(z))] - E_x[ℓ(x)]``; ``-L_D`` estimates the Wasserstein-1
    distance when ``ℓ`` is 1-Lipschitz, which :func:`gradient_penalty` encourages.
    """
    _check_scores(real_scores, "real_scores")
    _check_scores(fake_scores, "fake_scores")
    return fake_scores.mean() - real_scores.mean()


def g_loss_wasserstein(fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss (Arjovsky et al. 2017; Gulrajani et al. 2017, Alg. 1): ``L_G = -E_z[ℓ(G(z))]``."""
    _check_scores(fake_scores, "fake_scores")
    return -fake_scores.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP's gradient penalty (Gulrajani et al. 2017, Eq. 3), without its weight ``λ``.

    ``GP = E_x̂[(‖∇_x̂ ℓ(x̂)‖₂ - 1)²]`` with ``x̂ = ε·x + (1 - ε)·G(z)``,
    ``ε ~ U[0, 1]`` per sample. The critic's loss is ``L_D + λ·GP`` (``λ = 10``
    in the paper). ``critic`` is any callable ``images -> scores (N,)`` (a
    conditional critic: ``lambda x: D(x, labels)``). ``fake`` should be detached.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    where = generator.device if generator is not None else real.device
    shape = (len(real),) + (1,) * (real.ndim - 1)  # one ε per sample, broadcast over the rest
    epsilon = torch.rand(shape, generator=generator, device=where).to(device=real.device, dtype=real.dtype)
    mixed = (epsilon * real.detach() + (1 - epsilon) * fake.detach()).requires_grad_(True)  # x̂, same shape as real
    scores = critic(mixed)  # (N,)
    (gradients,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)  # same shape as real
    norms = gradients.flatten(1).norm(2, dim=1)  # (N,)
    return ((norms - 1) ** 2).mean()


#: Name -> (discriminator loss, generator loss). ``"wgan-gp"`` also needs :func:`gradient_penalty`.
ADVERSARIAL_LOSSES = {
    "minimax": (d_loss_minimax, g_loss_saturating),
    "non-saturating": (d_loss_minimax, g_loss_non_saturating),
    "hinge": (d_loss_hinge, g_loss_hinge),
    "least-squares": (d_loss_least_squares, g_loss_least_squares),
    "wgan-gp": (d_loss_wasserstein, g_loss_wasserstein),
}


def adversarial_losses(name: str):
    """``(d_loss, g_loss)`` functions for a loss ``name`` in :data:`ADVERSARIAL_LOSSES`."""
    if name not in ADVERSARIAL_LOSSES:
        raise ValueError(f"loss must be one of {sorted(ADVERSARIAL_LOSSES)}, got {name!r}")
    return ADVERSARIAL_LOSSES[name]



# ============================================================================
# Pixel and perceptual losses (restoration lessons 05-06)
# ============================================================================
#
# Restoration compares a prediction with the one right answer (the
# high-resolution image), so its losses are distances. Pixel losses reward the
# *average* of all plausible answers (a blurry image scores well); a
# perceptual loss compares deep features instead, and with an adversarial term
# (SRGAN) rewards a sharp, plausible answer that may be further from the truth
# in pixels: the perception-distortion trade-off (Blau & Michaeli 2018).
# Lesson: ``05_super_resolution.ipynb``.


def l1_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error ``L1 = mean |ŷ - y|`` (EDSR, Lim et al. 2017, §4.2, trains with it).

    Less sensitive to outliers than MSE and, in practice, converges to a
    higher PSNR than training on MSE itself (Zhao et al. 2017).
    """
    check_pair(prediction, target, ("prediction", "target"))
    return (prediction - target).abs().mean()


def mse_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error ``MSE = mean (ŷ - y)²`` (Ledig et al. 2017, eq. 4: the pixel-wise MSE loss).

    Minimising it maximises PSNR ``= 10 log10(1 / MSE)``; its minimiser is the
    conditional *mean* of the plausible answers, hence the blur.
    """
    check_pair(prediction, target, ("prediction", "target"))
    return ((prediction - target) ** 2).mean()


#: torchvision's ImageNet VGG19 weights; the 8 hex digits are the start of the file's SHA-256.
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
VGG19_SHA256_PREFIX = "dcbb9e9d"
#: Index (in ``torchvision.models.vgg19().features``) of the ReLU that ends each named layer.
VGG19_LAYERS = {"relu1_2": 3, "relu2_2": 8, "relu3_4": 17, "relu4_4": 26, "relu5_4": 35}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be downloaded; the message says what to do instead."""


def vgg19_weights_path(download: bool = True):
    """The local path of torchvision's VGG19 weights, downloading them (548 MB) on first use.

    The file goes where torchvision keeps it (``torch.hub.get_dir()/checkpoints``),
    so a machine that already has it (Colab often does) never downloads twice.
    The download is verified against :data:`VGG19_SHA256_PREFIX` and written
    atomically (``torch.hub.download_url_to_file`` writes a temporary file and
    renames it only when the hash matches). Offline, raises
    :class:`WeightsUnavailableError` naming the URL, the folder to put the file
    in by hand, and the alternatives.
    """
    url, prefix = VGG19_URL, VGG19_SHA256_PREFIX
    target = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)
    if target.is_file():
        return target
    if not download:
        raise WeightsUnavailableError(f"VGG19 weights are not at {target} and download=False")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(target), hash_prefix=prefix, progress=True)
    except Exception as error:  # URLError, HTTPError, a hash mismatch (RuntimeError), ...
        raise WeightsUnavailableError(
            f"could not download the VGG19 weights from {url} ({type(error).__name__}: {error}). "
            f"Offline? Download that file on a connected machine and put it at {target}. "
            "Meanwhile: train with a pixel loss (l1_loss / mse_loss), or use "
            "VGGPerceptualLoss(weights=None) (random features: shapes only, not a perceptual loss)."
        ) from error
    return target


class VGGPerceptualLoss(torch.nn.Module):
    """The VGG ("perceptual", "content") loss of SRGAN (Ledig et al. 2017, eq. 5; Johnson et al. 2016).

    .. math::
        l_{VGG/i,j} = \\frac{1}{W_{i,j} H_{i,j}} \\sum_{x,y}
        \\big(\\phi_{i,j}(I^{HR})_{x,y} - \\phi_{i,j}(G(I^{LR}))_{x,y}\\big)^2

    where ``φ_{i,j}`` is the feature map after the ``j``-th convolution (and
    its ReLU) before the ``i``-th max-pool of an ImageNet VGG19: ``relu5_4`` is
    the paper's "VGG54", ``relu2_2`` its "VGG22". Inputs in ``[0, 1]`` are
    normalised with ImageNet's mean and std first; features are multiplied by
    ``feature_scale`` (the paper's 1/12.75, which brings the loss to the scale
    of the MSE). The network is frozen; gradients flow only to the prediction.

    Args:
        layer: one of :data:`VGG19_LAYERS`.
        weights: ``"imagenet"`` (downloaded on first use, see
            :func:`vgg19_weights_path`) or ``None`` for random weights (tests of
            shapes only: random features do not measure perception).
    """

    def __init__(self, layer: str = "relu5_4", weights: str | None = "imagenet", feature_scale: float = 1 / 12.75):
        super().__init__()
        from torchvision.models import vgg19

        if layer not in VGG19_LAYERS:
            raise ValueError(f"layer must be one of {sorted(VGG19_LAYERS)}, got {layer!r}")
        if weights not in ("imagenet", None):
            raise ValueError(f"weights must be 'imagenet' or None, got {weights!r}")
        network = vgg19(weights=None)
        if weights == "imagenet":
            state = torch.load(vgg19_weights_path(), map_location="cpu", weights_only=True)
            network.load_state_dict(state)
        self.features = network.features[: VGG19_LAYERS[layer] + 1].eval()
        for parameter in self.features.parameters():
            parameter.requires_grad_(False)
        self.layer, self.feature_scale = layer, float(feature_scale)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1))

    def train(self, mode: bool = True):
        super().train(mode)
        self.features.eval()  # a fixed feature extractor, whatever the trainer says
        return self

    def feature_map(self, images: torch.Tensor) -> torch.Tensor:
        """``φ(images)``: ``N×3×H×W`` in ``[0, 1]`` -> ``N×C_l×H/2^k×W/2^k`` (512×H/16×W/16 for relu5_4)."""
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"images must be N×3×H×W (or N×1×H×W), got shape {tuple(images.shape)}")
        images = images.expand(-1, 3, -1, -1)  # greyscale -> 3 identical channels
        return self.features((images - self.mean) / self.std) * self.feature_scale

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pair(prediction, target, ("prediction", "target"))
        return ((self.feature_map(prediction) - self.feature_map(target)) ** 2).mean()


def srgan_generator_loss(
    super_resolved: torch.Tensor,
    high_res: torch.Tensor,
    fake_scores: torch.Tensor,
    content_loss=mse_loss,
    adversarial_weight: float = 1e-3,
) -> dict[str, torch.Tensor]:
    """SRGAN's perceptual loss (Ledig et al. 2017, eq. 3): ``l^SR = l^SR_X + 10⁻³ · l^SR_Gen``.

    ``l^SR_X = content_loss(G(I^LR), I^HR)`` (the paper: VGG54, or MSE for
    "SRGAN-MSE") and ``l^SR_Gen = Σ -log D(G(I^LR))`` (eq. 6, the
    non-saturating generator loss, :func:`g_loss_non_saturating`, on the
    discriminator's logits ``fake_scores`` of the *not detached* prediction).
    Returns ``{"total", "content", "adversarial"}`` (the unweighted parts, for logging).
    """
    content = content_loss(super_resolved, high_res)
    adversarial = g_loss_non_saturating(fake_scores)
    return {"total": content + adversarial_weight * adversarial, "content": content, "adversarial": adversarial}
