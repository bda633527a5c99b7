"""GAN widgets: every control changes what is displayed; static figures draw without a front end."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu import seed_everything
from imgsynth_edu.data.toy2d import ring_of_gaussians
from imgsynth_edu.models.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    lerp,
    slerp,
)
from imgsynth_edu.training import GANTrainer
from imgsynth_edu.widgets.gan import LatentExplorer, TrainingMonitor


@pytest.fixture
def small_generator():
    seed_everything(0)
    return DCGANGenerator(latent_dim=16, image_size=28, channels=1, width=8)


def test_slerp_keeps_the_norm_and_lerp_does_not():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(64, 128, generator=g), torch.randn(64, 128, generator=g)
    assert torch.allclose(slerp(z0, z1, 0.0), z0, atol=1e-5) and torch.allclose(slerp(z0, z1, 1.0), z1, atol=1e-4)
    middle_slerp = slerp(z0, z1, 0.5).norm(dim=1).mean()
    middle_lerp = lerp(z0, z1, 0.5).norm(dim=1).mean()
    typical = (z0.norm(dim=1).mean() + z1.norm(dim=1).mean()) / 2
    assert abs(middle_slerp - typical) / typical < 0.05
    assert middle_lerp / typical < 0.8  # ≈ 1/√2
    assert torch.allclose(slerp(z0[:1], z0[:1], 0.3), z0[:1])  # parallel latents: no division by zero


def test_latent_explorer_controls_change_the_picture(small_generator):
    explorer = LatentExplorer(small_generator, seed_a=0, seed_b=1, n_directions=2)
    assert set(explorer.controls) == {"t", "interpolation", "direction 1", "direction 2", "new_seed"}
    for name, value in [("t", 0.9), ("interpolation", "lerp"), ("direction 1", 2.0), ("direction 2", -1.5)]:
        before_png, before_caption = explorer.image.value, explorer.caption.value
        explorer.controls[name].value = value
        assert explorer.image.value != before_png, name
        assert explorer.caption.value != before_caption, name
    before_png = explorer.image.value
    explorer.controls["new_seed"].click()
    assert explorer.seeds[1] == 2
    assert explorer.image.value != before_png
    assert "B=2" in explorer.caption.value
    assert all(getattr(c, "description", "") for c in explorer.controls.values())


def test_latent_explorer_norm_shows_lerp_shrinkage(small_generator):
    explorer = LatentExplorer(small_generator, n_directions=0)
    assert explorer.render(0.5, "lerp")["norm"] < explorer.render(0.5, "slerp")["norm"]
    with pytest.raises(ValueError, match="interpolation"):
        explorer.render(0.5, "cubic")
    with pytest.raises(ValueError, match="t must"):
        explorer.render(1.5, "lerp")
    fig = explorer.static_figure(steps=4)
    assert len(fig.axes) == 8


def test_latent_explorer_bad_generator():
    with pytest.raises(TypeError, match="latent_dim"):
        LatentExplorer(torch.nn.Linear(2, 2))


def test_monitor_updates_during_training_and_replays_snapshots():
    seed_everything(0)
    G, D = DCGANGenerator(8, 28, 1, 4), DCGANDiscriminator(28, 1, 4)
    data = torch.rand(64, 1, 28, 28)
    trainer = GANTrainer(G, D, data, batch_size=16, steps=4, device="cpu", progress=False, n_preview=16)
    monitor = TrainingMonitor(trainer, every=2, train_steps=2)
    first_samples, first_curves = monitor.samples_image.value, monitor.curves_image.value
    trainer.fit()
    assert monitor.samples_image.value != first_samples
    assert monitor.curves_image.value != first_curves
    assert [step for step, _ in monitor.snapshots] == [0, 2, 4]
    assert "step 4" in monitor.caption.value
    monitor.controls["snapshot"].value = 0
    assert monitor.samples_image.value == first_samples
    assert "step 0" in monitor.caption.value
    monitor.controls["train_more"].click()
    assert trainer.step == 6
    assert monitor.controls["snapshot"].max == 3
    assert monitor.static_figure() is not None


def test_monitor_on_the_toy_draws_points_and_surface():
    seed_everything(0)
    ring = ring_of_gaussians()
    trainer = GANTrainer(MLPGenerator(2, (2,), 16, 2), MLPDiscriminator((2,), 16, 2), ring.sample(256), batch_size=64,
                         steps=3, device="cpu", progress=False)
    monitor = TrainingMonitor(trainer, every=3, toy=ring)
    before = monitor.samples_image.value
    trainer.fit()
    assert monitor.samples_image.value != before
    assert monitor.samples_image.value[:4] == b"\x89PNG"
