"""Class-conditional GAN through the one GAN loop: it learns the condition; resume is exact."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import TensorDataset

from imgsynth_edu import seed_everything
from imgsynth_edu.models.cgan import (
    ConcatDiscriminator,
    ConditionalDCGANGenerator,
    ProjectionDiscriminator,
)
from imgsynth_edu.training.cgan import ClassConditionalTask
from imgsynth_edu.training.gan import GANTrainer


def _two_class_data(n: int = 64) -> TensorDataset:
    """Class 0: the top half is bright; class 1: the bottom half. A little noise on both."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % 2
    images = torch.rand(n, 1, 28, 28, generator=generator) * 0.1
    images[labels == 0, :, :14] += 0.85
    images[labels == 1, :, 14:] += 0.85
    return TensorDataset(images, labels)


def _models(discriminator_class, seed: int = 0):
    seed_everything(seed)
    generator = ConditionalDCGANGenerator(latent_dim=8, num_classes=2, base_channels=8)
    discriminator = discriminator_class(num_classes=2, base_channels=8)
    return generator, discriminator


@pytest.mark.parametrize("discriminator_class", [ProjectionDiscriminator, ConcatDiscriminator])
def test_conditional_gan_learns_to_obey_the_label(discriminator_class):
    generator, discriminator = _models(discriminator_class)
    trainer = GANTrainer(generator, discriminator, _two_class_data(), task=ClassConditionalTask.for_generator(generator),
                         loss="non-saturating", steps=100, batch_size=16, lr_g=1e-3, lr_d=1e-3, progress=False,
                         device="cpu")

    def top_minus_bottom(label):
        images = generator.sample(32, labels=label, generator=torch.Generator().manual_seed(1))
        return float(images[:, :, :14].mean() - images[:, :, 14:].mean())

    before = (top_minus_bottom(0), top_minus_bottom(1))
    trainer.fit()
    after = (top_minus_bottom(0), top_minus_bottom(1))
    assert abs(before[0] - before[1]) < 0.05  # untrained: the label makes no visible difference
    assert after[0] > 0.3 and after[1] < -0.3  # trained: label 0 draws a bright top, label 1 a bright bottom
    assert set(trainer.history.values) >= {"d_loss", "g_loss", "d_real", "d_fake"}


def test_preview_grid_holds_every_class():
    generator, discriminator = _models(ProjectionDiscriminator)
    trainer = GANTrainer(generator, discriminator, _two_class_data(), task=ClassConditionalTask.for_generator(generator),
                         steps=2, batch_size=16, n_preview=6, sample_every=1, progress=False, device="cpu")
    trainer.fit()
    assert trainer.fixed[1].tolist() == [0, 1, 0, 1, 0, 1]
    step, images = trainer.previews[-1]
    assert step == 2 and images.shape == (6, 1, 28, 28) and images.min() >= 0 and images.max() <= 1


def test_resume_is_exact(tmp_path):
    def make():
        generator, discriminator = _models(ProjectionDiscriminator, seed=3)
        return GANTrainer(generator, discriminator, _two_class_data(),
                          task=ClassConditionalTask.for_generator(generator), steps=6, batch_size=16,
                          ema_decay=0.9, progress=False, device="cpu")

    uninterrupted = make()
    uninterrupted.fit(3)
    path = uninterrupted.save_checkpoint(tmp_path / "cgan.ckpt")
    uninterrupted.fit(6)

    resumed = make()
    resumed.fit(6, resume=path)
    assert resumed.step == 6
    for a, b in zip(uninterrupted.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(uninterrupted.discriminator.state_dict().values(), resumed.discriminator.state_dict().values()):
        assert torch.equal(a, b)
    assert uninterrupted.history.values["g_loss"] == resumed.history.values["g_loss"]


def test_bad_batches_are_refused():
    generator, discriminator = _models(ProjectionDiscriminator)
    task = ClassConditionalTask.for_generator(generator)
    unlabelled = torch.rand(32, 1, 28, 28)
    trainer = GANTrainer(generator, discriminator, unlabelled, task=task, steps=1, batch_size=16,
                         progress=False, device="cpu")
    with pytest.raises(ValueError, match="labels"):
        trainer.fit()
    wrong_classes = TensorDataset(torch.rand(32, 1, 28, 28), torch.full((32,), 5))
    trainer = GANTrainer(generator, discriminator, wrong_classes, task=task, steps=1, batch_size=16,
                         progress=False, device="cpu")
    with pytest.raises(ValueError, match=r"batch labels must be class indices in \[0, 1\]"):
        trainer.fit()
