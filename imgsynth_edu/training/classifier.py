"""The digit classifier's training loop: Adam on cross-entropy, with small random shifts.

The network is :class:`imgsynth_edu.models.classifier.DigitClassifier`; the
bundled ``digit-classifier`` was trained by ``imgsynth-edu train classifier``,
which calls :func:`train_classifier` (the exact command is on its card).

Lesson: ``04_measuring_quality.ipynb`` (FID on digit features).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .._checks import check_images, check_positive_int
from ..models.classifier import DigitClassifier

__all__ = ["train_classifier"]


def train_classifier(
    model: DigitClassifier,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    epochs: int = 8,
    batch_size: int = 64,
    lr: float = 1e-3,
    max_shift: int = 2,
    generator: torch.Generator | None = None,
    progress: bool = True,
) -> dict:
    """Train with Adam on cross-entropy; returns ``{"losses": [...], "steps", "wall_time_s"}``.

    Each batch is shifted by up to ``max_shift`` pixels (random translation,
    padding with black), a cheap augmentation that makes the features less
    sensitive to where a generator puts its stroke.

    Lesson: ``04_measuring_quality.ipynb``.
    """
    check_images(images, "images", channels=(1,))
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), got {tuple(labels.shape)}")
    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses, start, steps = [], time.perf_counter(), 0
    model.train()
    for _ in tqdm(range(epochs), desc="classifier epochs", disable=not progress):
        order = torch.randperm(len(images), generator=generator)
        for first in range(0, len(images), batch_size):
            index = order[first : first + batch_size]
            batch = _random_shift(images[index], max_shift, generator).to(device)  # (B, 1, 28, 28)
            loss = F.cross_entropy(model(batch), labels[index].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            steps += 1
    model.eval()
    return {"losses": losses, "steps": steps, "wall_time_s": time.perf_counter() - start}


def _random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator | None) -> torch.Tensor:
    """Translate the whole batch by one random offset in ``[-max_shift, max_shift]²`` (zero fill)."""
    if max_shift == 0:
        return images
    dy, dx = torch.randint(-max_shift, max_shift + 1, (2,), generator=generator).tolist()
    padded = F.pad(images, (max_shift, max_shift, max_shift, max_shift))  # (B, 1, H+2s, W+2s)
    height, width = images.shape[-2:]
    top, left = max_shift + dy, max_shift + dx
    return padded[..., top : top + height, left : left + width]  # (B, 1, H, W)
