"""Conditional GAN models: shapes, ranges, the condition really matters, bad input."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu._checks import check_labels
from imgsynth_edu.models.cgan import (
    ConcatDiscriminator,
    ConditionalDCGANGenerator,
    InpaintingGenerator,
    PatchDiscriminator,
    ProjectionDiscriminator,
    UNetGenerator,
)


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 1)])
def test_generator_shapes_and_range(size, channels):
    torch.manual_seed(0)
    generator = ConditionalDCGANGenerator(latent_dim=8, image_size=size, channels=channels, base_channels=8)
    images = generator.sample(5, labels=[0, 1, 2, 3, 4], generator=torch.Generator().manual_seed(0))
    assert images.shape == (5, channels, size, size)
    assert images.min() >= 0 and images.max() <= 1
    raw = generator(torch.randn(5, 8), torch.tensor([9, 8, 7, 6, 5]))
    assert raw.shape == (5, channels, size, size) and raw.min() >= -1 and raw.max() <= 1


def test_sample_label_forms_and_seed():
    torch.manual_seed(0)
    generator = ConditionalDCGANGenerator(latent_dim=8, base_channels=8)
    same_a = generator.sample(4, labels=3, generator=torch.Generator().manual_seed(5))
    same_b = generator.sample(4, labels=torch.full((4,), 3), generator=torch.Generator().manual_seed(5))
    assert torch.equal(same_a, same_b)
    assert generator._labels_for(12, None).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_label_changes_the_image_with_noise_fixed():
    torch.manual_seed(0)
    generator = ConditionalDCGANGenerator(latent_dim=8, base_channels=8).eval()
    z = torch.randn(2, 8)
    a = generator(z, torch.tensor([1, 1]))
    b = generator(z, torch.tensor([1, 7]))
    assert torch.equal(a[0], b[0])  # same noise, same label: same image
    assert not torch.allclose(a[1], b[1])  # same noise, other label: another image


@pytest.mark.parametrize("cls", [ConcatDiscriminator, ProjectionDiscriminator])
def test_discriminators_depend_on_the_label(cls):
    torch.manual_seed(0)
    discriminator = cls(num_classes=10, image_size=28, base_channels=8).eval()  # eval: no power iteration
    images = torch.rand(3, 1, 28, 28) * 2 - 1
    scores = discriminator(images, torch.tensor([0, 1, 2]))
    assert scores.shape == (3,)
    other = discriminator(images, torch.tensor([5, 1, 2]))
    assert other[0] != scores[0] and torch.allclose(other[1:], scores[1:])


def test_projection_is_psi_plus_inner_product():
    torch.manual_seed(0)
    discriminator = ProjectionDiscriminator(image_size=28, base_channels=8, spectral_norm=False)
    images, labels = torch.rand(4, 1, 28, 28), torch.tensor([0, 3, 3, 9])
    phi = discriminator.features(images).flatten(1)
    expected = discriminator.psi(phi).squeeze(1) + (discriminator.class_embedding.weight[labels] * phi).sum(1)
    assert torch.allclose(discriminator(images, labels), expected, atol=1e-5)


@pytest.mark.parametrize("bad,error,match", [
    (torch.tensor([0, 10]), ValueError, r"\[0, 9\]"),
    (torch.tensor([-1, 2]), ValueError, r"\[0, 9\]"),
    (torch.tensor([1, 2, 3]), ValueError, "expected 2, got 3"),
    (torch.tensor([1.0, 2.0]), TypeError, "integer"),
    (torch.tensor([[1, 2]]), ValueError, "1-D"),
    ([1, 2], TypeError, "torch.Tensor"),
])
def test_bad_labels(bad, error, match):
    with pytest.raises(error, match=match):
        check_labels(bad, 2, 10)


def test_bad_labels_reach_the_models():
    generator = ConditionalDCGANGenerator(latent_dim=8, base_channels=8)
    with pytest.raises(ValueError, match="labels"):
        generator.sample(3, labels=[0, 1])  # wrong length
    with pytest.raises(ValueError, match="labels"):
        generator.sample(2, labels=10)  # outside the range
    with pytest.raises(ValueError, match="labels"):
        ProjectionDiscriminator(base_channels=8)(torch.zeros(2, 1, 28, 28), torch.tensor([0, 11]))
    with pytest.raises(ValueError, match="labels"):
        ConcatDiscriminator(base_channels=8)(torch.zeros(2, 1, 28, 28), torch.tensor([0]))


def test_bad_construction_and_shapes():
    with pytest.raises(ValueError, match="image_size"):
        ConditionalDCGANGenerator(image_size=30)
    with pytest.raises(ValueError, match="latent_dim"):
        ConditionalDCGANGenerator(latent_dim=0)
    with pytest.raises(ValueError, match="z must have shape"):
        ConditionalDCGANGenerator(latent_dim=8, base_channels=8)(torch.zeros(2, 9), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="images must have shape"):
        ConcatDiscriminator(base_channels=8)(torch.zeros(2, 1, 32, 32), torch.tensor([0, 1]))


def test_unet_and_patch_discriminator_shapes():
    unet = UNetGenerator(in_channels=4, out_channels=3, base_channels=8, depth=3)
    out = unet(torch.rand(2, 4, 32, 32) * 2 - 1)
    assert out.shape == (2, 3, 32, 32) and out.abs().max() <= 1
    with pytest.raises(ValueError, match="divisible"):
        unet(torch.rand(2, 4, 28, 28))
    with pytest.raises(ValueError, match="N×4×H×W"):
        unet(torch.rand(2, 3, 32, 32))
    patch = PatchDiscriminator(in_channels=3, base_channels=8, n_downsample=2)
    logits = patch(torch.rand(2, 2, 28, 28), torch.rand(2, 1, 28, 28))
    assert logits.shape == (2, 1, 5, 5)
    with pytest.raises(ValueError, match="channels together"):
        patch(torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28))


def test_inpainting_generator_keeps_known_pixels():
    torch.manual_seed(0)
    model = InpaintingGenerator(channels=1, base_channels=8, depth=2).eval()
    target = torch.rand(2, 1, 28, 28)
    masks = torch.zeros(2, 1, 28, 28)
    masks[:, :, 8:20, 8:20] = 1
    masked = target * (1 - masks)
    completed = model(masked, masks)
    known = masks == 0
    assert torch.equal(completed[known], target[known])
    raw = model(masked, masks, composite=False)
    assert not torch.equal(raw[known], target[known])  # the raw prediction is the network's own
    assert completed.min() >= 0 and completed.max() <= 1


def test_inpainting_generator_refuses_bad_masks():
    model = InpaintingGenerator(channels=1, base_channels=8)
    images = torch.rand(2, 1, 28, 28)
    with pytest.raises(ValueError, match="masks must have shape 2×1×28×28"):
        model(images, torch.zeros(2, 1, 24, 24))
    with pytest.raises(ValueError, match="binary"):
        model(images, torch.full((2, 1, 28, 28), 0.5))
