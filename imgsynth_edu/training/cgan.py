"""Conditional GANs through the one GAN loop: two tasks for :class:`~imgsynth_edu.training.gan.GANTrainer`.

The loop of :mod:`imgsynth_edu.training.gan` never looks inside a batch; a
:class:`~imgsynth_edu.training.gan.GANTask` says what real, fake and scored
mean. Conditioning changes exactly those answers, so it is two small tasks,
not a second loop:

* :class:`ClassConditionalTask` - batches of ``(images, labels)``. The fake of a
  batch is ``G(z, y)`` with the *batch's* labels, and the discriminator scores
  every image together with its label, ``D(x, y)``. The objective
  (Mirza & Osindero 2014, eq. 2) puts the condition in both players:

  .. math::
      \\min_G \\max_D \\; \\mathbb{E}_{x,y \\sim p_{data}}[\\log D(x, y)]
      + \\mathbb{E}_{z \\sim p_z,\\, y \\sim p_{data}}[\\log(1 - D(G(z, y), y))]

* :class:`InpaintingTask` - batches of ``(masked image, mask, target)`` (an
  :class:`~imgsynth_edu.data.masks.InpaintingDataset`). The generator fills the
  hole; the PatchGAN discriminator judges ``(condition, image)`` pairs; the
  generator's loss adds ``λ·L1`` (Isola et al. 2017, eq. 4):

  .. math::
      G^* = \\arg\\min_G \\max_D \\; \\mathcal{L}_{cGAN}(G, D) + \\lambda\\,
      \\mathbb{E}_{x,y}\\left[\\lVert y - G(x) \\rVert_1\\right]

  ``adversarial_weight=0`` turns it into the L1-only regression baseline,
  trained by the very same loop, for the blur-versus-sharp comparison.

Lesson: ``03_conditional_gan.ipynb``.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_labels, check_non_negative, check_positive_int
from .gan import GANTask


class ClassConditionalTask(GANTask):
    """Class-conditional GAN: ``G(z, y)`` against ``D(x, y)``; batches are ``(images, labels)``.

    Real images arrive in ``[0, 1]`` and are mapped to ``[-1, 1]``; the fakes
    of a batch are drawn for the same labels as its real images, so real and
    fake share one class distribution.
    """

    def __init__(self, latent_dim: int, num_classes: int):
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.num_classes = check_positive_int(num_classes, "num_classes")

    @classmethod
    def for_generator(cls, generator: nn.Module) -> ClassConditionalTask:
        """The task for a :class:`~imgsynth_edu.models.cgan.ConditionalDCGANGenerator`."""
        return cls(generator.latent_dim, generator.num_classes)

    def _split(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise ValueError("a class-conditional GAN needs batches of (images, labels): pass a labelled dataset")
        images, labels = batch
        return images, check_labels(labels, len(images), self.num_classes, "batch labels")

    def real_images(self, batch) -> torch.Tensor:
        images, _ = self._split(batch)
        return images * 2 - 1  # [0, 1] -> [-1, 1]

    def generate(self, generator: nn.Module, batch) -> torch.Tensor:
        images, labels = self._split(batch)
        z = torch.randn(len(images), self.latent_dim, device=images.device)  # (N, Z)
        return generator(z, labels)  # (N, C, H, W) in [-1, 1]

    def discriminate(self, discriminator: nn.Module, images: torch.Tensor, batch) -> torch.Tensor:
        _, labels = self._split(batch)
        return discriminator(images, labels)  # (N,): D(x, y)

    def fixed_inputs(self, n: int, rng: torch.Generator):
        z = torch.randn(n, self.latent_dim, generator=rng)  # (n, Z)
        labels = torch.arange(n) % self.num_classes  # 0, 1, ..., 9, 0, 1, ... : every class in the grid
        return z, labels

    @torch.no_grad()
    def preview(self, generator: nn.Module, fixed) -> torch.Tensor:
        z, labels = fixed
        device = next(generator.parameters()).device
        was_training = generator.training
        generator.eval()
        try:
            images = generator(z.to(device), labels.to(device))
        finally:
            generator.train(was_training)
        return (images + 1) / 2


class InpaintingTask(GANTask):
    """pix2pix for inpainting: batches are ``(masked images, masks, targets)``.

    * real: the target in ``[-1, 1]``; fake: the generator's completed image
      (known pixels kept, the hole invented) in ``[-1, 1]``;
    * ``D(condition, image)`` with ``condition = [masked image, mask]``;
    * extra generator loss ``{"l1": l1_weight · mean|fake - real|}`` (pix2pix
      uses ``λ = 100``); only the hole differs, so this is an L1 on the hole;
    * ``adversarial_weight`` scales the adversarial term (0: L1 only);
    * ``preview_batch``: held-out ``(masked, masks, targets)`` shown in the
      trainer's previews as ``[input | completed | target]`` triples.
    """

    def __init__(self, l1_weight: float = 100.0, adversarial_weight: float = 1.0, preview_batch=None):
        self.l1_weight = check_non_negative(l1_weight, "l1_weight")
        self.adversarial_weight = check_non_negative(adversarial_weight, "adversarial_weight")
        self.preview_batch = None if preview_batch is None else tuple(self._split(preview_batch))

    @staticmethod
    def _split(batch):
        if not isinstance(batch, (tuple, list)) or len(batch) != 3:
            raise ValueError("an inpainting GAN needs batches of (masked images, masks, targets): "
                             "wrap the dataset in imgsynth_edu.data.masks.InpaintingDataset")
        return batch

    def real_images(self, batch) -> torch.Tensor:
        _, _, targets = self._split(batch)
        return targets * 2 - 1  # [0, 1] -> [-1, 1]

    def generate(self, generator: nn.Module, batch) -> torch.Tensor:
        masked, masks, _ = self._split(batch)
        return generator(masked, masks) * 2 - 1  # completed image, [0, 1] -> [-1, 1]

    def discriminate(self, discriminator: nn.Module, images: torch.Tensor, batch) -> torch.Tensor:
        masked, masks, _ = self._split(batch)
        condition = torch.cat([masked * 2 - 1, masks], dim=1)  # (N, C+1, H, W)
        return discriminator(condition, images)  # (N, 1, h, w): one logit per patch

    def extra_generator_losses(self, fake: torch.Tensor, batch) -> dict[str, torch.Tensor]:
        real = self.real_images(batch)
        return {"l1": self.l1_weight * (fake - real).abs().mean()}

    def fixed_inputs(self, n: int, rng: torch.Generator):
        if self.preview_batch is None:
            return None
        return tuple(part[:n] for part in self.preview_batch)

    @torch.no_grad()
    def preview(self, generator: nn.Module, fixed) -> torch.Tensor:
        """Rows of ``[masked input | completed | target]`` for the fixed ``preview_batch``, in ``[0, 1]``."""
        if fixed is None:
            raise ValueError("this InpaintingTask has no preview_batch: pass preview_batch=(masked, masks, targets)")
        masked, masks, targets = fixed
        device = next(generator.parameters()).device
        was_training = generator.training
        generator.eval()
        try:
            completed = generator(masked.to(device), masks.to(device)).cpu()  # (n, C, H, W)
        finally:
            generator.train(was_training)
        return torch.stack([masked, completed, targets], dim=1).flatten(0, 1)  # (3n, C, H, W)
