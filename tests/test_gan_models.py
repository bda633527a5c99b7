"""Models of imgsynth_edu.models.gan: shapes, ranges, and clear errors on bad input."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu.models.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
)


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_and_range(size, channels, generator):
    G = DCGANGenerator(latent_dim=8, image_size=size, channels=channels, width=4)
    D = DCGANDiscriminator(image_size=size, channels=channels, width=4)
    images = G.sample(3, generator=generator)
    assert images.shape == (3, channels, size, size)
    assert images.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1
    assert images.std() > 0  # not a constant image
    assert D(images * 2 - 1).shape == (3,)


def test_sample_is_reproducible_with_a_generator_and_keeps_mode():
    G = DCGANGenerator(8, 28, 1, 4)
    G.train()
    a = G.sample(4, generator=torch.Generator().manual_seed(1))
    b = G.sample(4, generator=torch.Generator().manual_seed(1))
    c = G.sample(4, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert G.training  # sample() restored train mode
    running_mean = G.net[1].running_mean.clone()
    G.sample(4)
    assert torch.equal(G.net[1].running_mean, running_mean)  # no batch-norm statistics updated


def test_mlp_points_and_images(generator):
    G = MLPGenerator(latent_dim=2, data_shape=(2,))
    points = G.sample(5, generator=generator)
    assert points.shape == (5, 2)
    assert torch.equal(G.to_unit(points), points)  # points are unbounded: no [0, 1] conversion
    assert MLPDiscriminator((2,))(points).shape == (5,)
    Gi = MLPGenerator(latent_dim=4, data_shape=(1, 8, 8), hidden_dim=16)
    images = Gi.sample(3, generator=generator)
    assert images.shape == (3, 1, 8, 8) and images.min() >= 0 and images.max() <= 1
    assert MLPDiscriminator((1, 8, 8), 16)(images).shape == (3,)


@pytest.mark.parametrize("latent_dim", [0, -3, 2.5, True])
def test_bad_latent_dim(latent_dim):
    with pytest.raises(ValueError, match="latent_dim"):
        DCGANGenerator(latent_dim=latent_dim, image_size=28, channels=1)
    with pytest.raises(ValueError, match="latent_dim"):
        MLPGenerator(latent_dim=latent_dim)


@pytest.mark.parametrize("size", [16, 30, 128])
def test_unsupported_image_size(size):
    with pytest.raises(ValueError, match="image_size"):
        DCGANGenerator(8, size, 1)
    with pytest.raises(ValueError, match="image_size"):
        DCGANDiscriminator(size, 1)


def test_bad_channels_and_shapes():
    with pytest.raises(ValueError, match="channels"):
        DCGANGenerator(8, 32, 2)
    D = DCGANDiscriminator(32, 3, 4)
    with pytest.raises(ValueError, match="images must have shape"):
        D(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match="z must"):
        DCGANGenerator(8, 32, 3, 4).decode(torch.zeros(2, 9))
    with pytest.raises(ValueError, match="data_shape"):
        MLPGenerator(2, (2, 2))


def test_labels_for_unconditional_generator_is_an_error():
    with pytest.raises(ValueError, match="unconditional"):
        DCGANGenerator(8, 28, 1, 4).sample(4, labels=torch.arange(4))
    with pytest.raises(ValueError, match="unconditional"):
        MLPGenerator().sample(4, labels=[1, 2, 3, 4])


def test_batch_norm_switch_removes_batch_norm():
    with_bn = DCGANGenerator(8, 32, 3, 4)
    without = DCGANGenerator(8, 32, 3, 4, batch_norm=False)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in with_bn.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in without.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in DCGANDiscriminator(32, 3, 4, batch_norm=False).modules())


def test_spectral_norm_replaces_batch_norm_and_makes_every_convolution_1_lipschitz():
    torch.manual_seed(0)
    discriminator = DCGANDiscriminator(28, 1, 8, spectral_norm=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in discriminator.modules())
    convolutions = [m for m in discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convolutions) == 3 and all(hasattr(m, "weight_orig") for m in convolutions)
    # the DCGAN init went to the raw weights: N(0, 0.02), far from unit spectral norm
    assert all(torch.linalg.matrix_norm(m.weight_orig.flatten(1), ord=2) < 0.9 for m in convolutions)
    for _ in range(30):  # each training-mode forward runs one power iteration per layer
        discriminator(torch.rand(4, 1, 28, 28) * 2 - 1)
    for m in convolutions:  # the weight used in forward is W / σ(W): its largest singular value is 1
        assert torch.linalg.matrix_norm(m.weight.flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.02)
    assert DCGANDiscriminator(28, 1, 8).net[3].__class__ is torch.nn.BatchNorm2d  # default unchanged
