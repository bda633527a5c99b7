"""A small digit classifier: a judge for generated digits, and a feature network for FID.

A GAN that draws MNIST digits is judged in two ways that both need a network
that has *learned what digits look like*:

* **conditional accuracy** - does a conditional generator asked for a "7"
  draw something a classifier calls a 7?
* **FID / KID / precision-recall on digits** - InceptionV3 was trained on
  ImageNet photographs and knows nothing about 28×28 strokes; a digit
  classifier's penultimate layer is the customary feature space for MNIST
  (as in the "FID on MNIST" of many GAN papers).

The network (a LeNet-style CNN, 1×28×28 -> 10 logits)::

    conv 3×3, 32  -> ReLU -> max-pool 2   # 32×14×14
    conv 3×3, 64  -> ReLU -> max-pool 2   # 64×7×7
    flatten -> linear 128 -> ReLU         # the 128-d embedding: features(x)
    linear 10                             # the logits: forward(x)

It is trained by ``imgsynth-edu train classifier`` (the loop:
:func:`imgsynth_edu.training.classifier.train_classifier`) on the bundled
``mnist-5k`` train split (see the card ``pretrained/weights/digit-classifier.json``
for the exact command and the measured test accuracy) and loaded with
``imgsynth_edu.pretrained.load("digit-classifier")``.

Lesson: ``04_measuring_quality.ipynb`` (FID on digit features).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .._checks import check_images, check_positive_int


class DigitClassifier(nn.Module):
    """LeNet-style CNN for ``N×1×28×28`` digits in ``[0, 1]``.

    Args:
        num_classes: number of classes (10 digits).
        width: channels of the first convolution (the second has ``2·width``).
        embedding_dim: size of the penultimate layer returned by :meth:`features`.
    """

    image_shape = (1, 28, 28)

    def __init__(self, num_classes: int = 10, width: int = 32, embedding_dim: int = 128):
        super().__init__()
        self.num_classes = check_positive_int(num_classes, "num_classes")
        check_positive_int(width, "width")
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        self.conv1 = nn.Conv2d(1, width, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, kernel_size=3, padding=1)
        self.embed = nn.Linear(2 * width * 7 * 7, embedding_dim)
        self.head = nn.Linear(embedding_dim, num_classes)

    def _check(self, images: torch.Tensor) -> None:
        check_images(images, "images", channels=(1,))
        if tuple(images.shape[-2:]) != (28, 28):
            raise ValueError(
                f"images must be 28×28 digits (N×1×28×28), got {tuple(images.shape[-2:])}; "
                "resize them first (e.g. torch.nn.functional.interpolate(..., size=28, mode='bilinear'))"
            )

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The penultimate embedding, ``N×1×28×28`` -> ``N×embedding_dim`` (FID/KID features)."""
        self._check(images)
        x = (images - 0.5) / 0.5  # [0, 1] -> [-1, 1]
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N, w, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, 2w, 7, 7)
        return F.relu(self.embed(x.flatten(1)))  # (N, embedding_dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits, ``N×1×28×28`` -> ``N×num_classes``."""
        return self.head(self.features(images))  # (N, num_classes)

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Predicted labels (``N`` int64), computed in batches without gradients."""
        check_positive_int(batch_size, "batch_size")
        labels = [self(images[i : i + batch_size]).argmax(dim=1) for i in range(0, len(images), batch_size)]
        return torch.cat(labels)  # (N,)
