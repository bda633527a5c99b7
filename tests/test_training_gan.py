"""The GAN training loop: correctness of the step, exact resume, the task extension point, learning."""

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
)
from imgsynth_edu.training import Callback, GANConfig, GANTrainer, UnconditionalTask


def _toy_data(n=512):
    return ring_of_gaussians().sample(n, torch.Generator().manual_seed(1))


def _tiny_images(n=64, size=28):
    g = torch.Generator().manual_seed(3)
    images = torch.rand(n, 1, size, size, generator=g) * 0.2
    images[:, :, 8:20, 12:16] = 0.9  # a bright bar: something to learn
    return torch.utils.data.TensorDataset(images, torch.randint(10, (n,), generator=g))


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def test_discriminator_step_changes_only_d_and_generator_step_only_g():
    seed_everything(0)
    G, D = MLPGenerator(2, (2,), 16, 2), MLPDiscriminator((2,), 16, 2)
    trainer = GANTrainer(G, D, _toy_data(), batch_size=32, device="cpu", progress=False)
    batch = trainer.batches.next()
    g_before, d_before = _params(G), _params(D)
    trainer.discriminator_step(batch)
    assert all(torch.equal(a, b) for a, b in zip(g_before, _params(G)))  # fake was detached
    assert not all(torch.equal(a, b) for a, b in zip(d_before, _params(D)))
    d_after = _params(D)
    trainer.generator_step(batch)
    assert all(torch.equal(a, b) for a, b in zip(d_after, _params(D)))  # only G's optimizer steps
    assert not all(torch.equal(a, b) for a, b in zip(g_before, _params(G)))


class _CountingTask(UnconditionalTask):
    def __init__(self, latent_dim):
        super().__init__(latent_dim, images=False)
        self.calls = {"real": 0, "generate": 0, "extra": 0}

    def real_images(self, batch):
        self.calls["real"] += 1
        return super().real_images(batch)

    def generate(self, generator, batch):
        self.calls["generate"] += 1
        return super().generate(generator, batch)

    def extra_generator_losses(self, fake, batch):
        self.calls["extra"] += 1
        return {"pull_left": 10.0 * fake[:, 0].mean()}  # an extra term: push x to the left


def test_n_critic_and_task_extension_point():
    seed_everything(0)
    task = _CountingTask(2)
    G, D = MLPGenerator(2, (2,), 16, 2), MLPDiscriminator((2,), 16, 2)
    trainer = GANTrainer(G, D, _toy_data(), task=task, batch_size=32, n_critic=3, steps=7, device="cpu",
                         progress=False, lr_g=1e-2)
    before = G.sample(256, generator=torch.Generator().manual_seed(0))[:, 0].mean()
    history = trainer.fit()
    assert task.calls == {"real": 21, "generate": 28, "extra": 7}  # 3 D steps + 1 G step per step
    assert trainer.batches.position == 21
    assert history.steps == list(range(1, 8))
    assert "pull_left" in history.values and len(history.values["pull_left"]) == 7
    after = G.sample(256, generator=torch.Generator().manual_seed(0))[:, 0].mean()
    assert after < before - 0.1  # the extra loss reached the generator


@pytest.mark.parametrize("loss, n_critic, ema", [("non-saturating", 1, 0.9), ("wgan-gp", 2, None), ("hinge", 1, None)])
def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, loss, n_critic, ema):
    def build(seed):
        seed_everything(seed)
        G = DCGANGenerator(8, 28, 1, 4)
        D = DCGANDiscriminator(28, 1, 4, batch_norm=loss != "wgan-gp")
        return G, D

    config = GANConfig(loss=loss, n_critic=n_critic, ema_decay=ema, batch_size=16, steps=7, progress=False,
                       sample_every=2, n_preview=4)
    data = _tiny_images(48)  # 3 batches per epoch: the run crosses epochs

    G1, D1 = build(0)
    straight = GANTrainer(G1, D1, data, config, device="cpu")
    straight.fit()

    G2, D2 = build(0)
    interrupted = GANTrainer(G2, D2, data, config, device="cpu", checkpoint_every=3, checkpoint_path=str(tmp_path / "run.ckpt"))
    interrupted.fit(5)  # "crashes" after step 5; the last checkpoint is from step 3

    G3, D3 = build(123)  # a fresh process: other initial weights, other RNG state
    resumed = GANTrainer(G3, D3, data, config, device="cpu")
    resumed.fit(resume=tmp_path / "run.ckpt")

    assert resumed.step == straight.step == 7
    for a, b in [(G1, G3), (D1, D3)] + ([(straight.generator_ema, resumed.generator_ema)] if ema else []):
        for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
            assert torch.equal(x, y), name
    assert resumed.history.values == straight.history.values
    assert [s for s, _ in resumed.previews] == [2, 4, 6]
    assert all(torch.equal(x, y) for (_, x), (_, y) in zip(resumed.previews, straight.previews))
    # and it really did change something over those steps
    G0, _ = build(0)
    assert not torch.equal(G0.net[0].weight, G1.net[0].weight)


def test_resume_with_another_loss_or_architecture_is_an_error(tmp_path):
    seed_everything(0)
    trainer = GANTrainer(MLPGenerator(2, (2,), 8, 1), MLPDiscriminator((2,), 8, 1), _toy_data(), batch_size=32,
                         steps=2, device="cpu", progress=False, checkpoint_every=2, checkpoint_path=str(tmp_path / "c.ckpt"))
    trainer.fit()
    other_loss = GANTrainer(MLPGenerator(2, (2,), 8, 1), MLPDiscriminator((2,), 8, 1), _toy_data(), batch_size=32,
                            loss="hinge", device="cpu", progress=False)
    with pytest.raises(ValueError, match="loss"):
        other_loss.fit(resume=tmp_path / "c.ckpt")
    other_arch = GANTrainer(MLPGenerator(2, (2,), 16, 1), MLPDiscriminator((2,), 8, 1), _toy_data(), batch_size=32,
                            device="cpu", progress=False)
    with pytest.raises(ValueError, match="another architecture"):
        other_arch.fit(resume=tmp_path / "c.ckpt")


def test_bad_configuration():
    G, D = MLPGenerator(2, (2,), 8, 1), MLPDiscriminator((2,), 8, 1)
    with pytest.raises(ValueError, match="loss must be one of"):
        GANTrainer(G, D, _toy_data(), loss="vanilla", device="cpu")
    with pytest.raises(ValueError, match="n_critic"):
        GANTrainer(G, D, _toy_data(), n_critic=0, device="cpu")
    with pytest.raises(ValueError, match="amp"):
        GANTrainer(G, D, _toy_data(), amp=True, device="cpu")
    with pytest.raises(TypeError, match="unknown GANConfig field"):
        GANTrainer(G, D, _toy_data(), learning_rate=1.0, device="cpu")
    with pytest.raises(ValueError, match="fewer than batch_size"):
        GANTrainer(G, D, _toy_data(10), batch_size=32, device="cpu")
    with pytest.raises(ValueError, match="checkpoint_path"):
        GANTrainer(G, D, _toy_data(), checkpoint_every=5, device="cpu")
    with pytest.raises(ValueError, match="ema_decay"):
        GANTrainer(G, D, _toy_data(), ema_decay=1.5, device="cpu")


def test_ema_follows_the_generator():
    seed_everything(0)
    G, D = MLPGenerator(2, (2,), 16, 2), MLPDiscriminator((2,), 16, 2)
    trainer = GANTrainer(G, D, _toy_data(), batch_size=32, steps=20, ema_decay=0.5, device="cpu", progress=False)
    start = _params(trainer.generator_ema)
    trainer.fit()
    ema_now = _params(trainer.generator_ema)
    live = _params(G)
    moved = sum((a - b).abs().sum() for a, b in zip(ema_now, start))
    gap = sum((a - b).abs().sum() for a, b in zip(ema_now, live))
    assert moved > 0
    assert gap < moved  # the average stays near the live weights it follows


def test_callbacks_are_called():
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_train_start(self, loop):
            self.events.append("start")

        def on_step_end(self, loop, step, logs):
            self.events.append(step)
            assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(logs)

        def on_train_end(self, loop):
            self.events.append("end")

    seed_everything(0)
    recorder = Recorder()
    trainer = GANTrainer(MLPGenerator(2, (2,), 8, 1), MLPDiscriminator((2,), 8, 1), _toy_data(), batch_size=32,
                         steps=6, log_every=3, callbacks=[recorder], device="cpu", progress=False)
    trainer.fit()
    assert recorder.events == ["start", 1, 3, 6, "end"]


def test_toy_gan_learns_the_ring():
    """Acceptance: non-saturating toy GAN covers >= 7 of 8 modes with >= 70 % high-quality samples (seeded)."""
    seed_everything(0)
    ring = ring_of_gaussians()
    data = ring.sample(20_000, torch.Generator().manual_seed(1))
    G, D = MLPGenerator(2, (2,), 64, 3), MLPDiscriminator((2,), 64, 3)
    trainer = GANTrainer(G, D, data, loss="non-saturating", steps=1600, batch_size=256, lr_g=1e-3, lr_d=1e-3,
                         ema_decay=0.99, log_every=50, device="cpu", progress=False)
    before = ring.evaluate(trainer.generator_ema.sample(2500, generator=torch.Generator().manual_seed(2)))
    trainer.fit()
    scores = ring.evaluate(trainer.generator_ema.sample(2500, generator=torch.Generator().manual_seed(2)))
    print("toy ring before:", before, "after:", scores)
    assert before["high_quality"] < 0.1
    assert scores["modes_covered"] >= 7
    assert scores["high_quality"] >= 0.70


def test_tiny_dcgan_moves_in_the_expected_direction():
    """D's loss falls below chance (log 4) and samples' pixel statistics move towards the data's."""
    from imgsynth_edu.data import get_dataset, stack_dataset

    seed_everything(0)
    data = get_dataset("mnist-5k", "train")
    real, _ = stack_dataset(data, 1000)
    G, D = DCGANGenerator(16, 28, 1, 16), DCGANDiscriminator(28, 1, 16)
    before = G.sample(256, generator=torch.Generator().manual_seed(5))
    trainer = GANTrainer(G, D, data, steps=100, batch_size=32, lr_g=1e-3, lr_d=1e-3, device="cpu", progress=False)
    history = trainer.fit()
    after = G.sample(256, generator=torch.Generator().manual_seed(5))
    d_loss = history.values["d_loss"]
    gap_before = abs(before.mean() - real.mean()).item()
    gap_after = abs(after.mean() - real.mean()).item()
    dark_real = (real < 0.1).float().mean().item()  # MNIST is mostly black background
    print(f"d_loss first {d_loss[0]:.3f} last-10 {sum(d_loss[-10:]) / 10:.3f}; "
          f"|mean gap| {gap_before:.3f} -> {gap_after:.3f}; dark share real {dark_real:.2f}, "
          f"fake {(before < 0.1).float().mean():.2f} -> {(after < 0.1).float().mean():.2f}")
    assert sum(d_loss[-10:]) / 10 < 0.9 * torch.log(torch.tensor(4.0)).item()
    assert gap_after < 0.5 * gap_before
    assert abs((after < 0.1).float().mean() - dark_real) < abs((before < 0.1).float().mean() - dark_real)
