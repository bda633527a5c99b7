"""The diffusion training loop: the step, EMA, warm-up, exact resume, determinism, and learning the ring."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu import seed_everything
from imgsynth_edu.data.toy2d import ring_of_gaussians
from imgsynth_edu.models.diffusion import ImageDiffusion, PointDiffusion
from imgsynth_edu.training.diffusion import DiffusionConfig, DiffusionTrainer, train_diffusion


def _tiny_digits(n=48):
    g = torch.Generator().manual_seed(3)
    images = (torch.rand(n, 1, 28, 28, generator=g) * 0.2 * 255).round() / 255
    images[:, :, 8:20, 12:16] = 0.9  # a bright bar: something to learn
    return torch.utils.data.TensorDataset(images, torch.randint(10, (n,), generator=g))


def _tiny_model(seed=0):
    seed_everything(seed)
    return ImageDiffusion(base_channels=8, channel_mults=(1, 2), attention=True, num_classes=10, timesteps=50,
                          sample_steps=3)


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_train_step_moves_the_weights_and_the_ema_follows_by_its_decay():
    model = _tiny_model()
    trainer = DiffusionTrainer(model, _tiny_digits(), batch_size=16, ema_decay=0.9, device="cpu", progress=False)
    before, ema_before = _state(model), _state(trainer.model_ema)
    assert all(torch.equal(before[k], ema_before[k]) for k in before)  # the EMA starts as a copy
    trainer.train_step(trainer.batches.next())
    after, ema_after = _state(model), _state(trainer.model_ema)
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert changed
    decay = 2 / 11  # step 1 of the warm-up: min(0.9, (1 + 1) / (10 + 1))
    for key in changed:  # θ_ema = β θ_ema + (1 - β) θ
        assert torch.allclose(ema_after[key], decay * ema_before[key] + (1 - decay) * after[key], atol=1e-7), key
    assert [trainer.ema_decay(step) for step in (1, 80, 1000)] == pytest.approx([2 / 11, 81 / 90, 0.9])


def test_warmup_rises_linearly_then_holds():
    trainer = DiffusionTrainer(_tiny_model(), _tiny_digits(), lr=1e-3, warmup_steps=4, device="cpu", progress=False,
                               batch_size=16)
    history = trainer.fit(6)
    assert history.values["lr"] == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3])


def test_unconditional_model_ignores_labels_and_conditional_model_needs_them():
    points = ring_of_gaussians().sample(64, torch.Generator().manual_seed(0))
    labelled = torch.utils.data.TensorDataset(points, torch.zeros(64, dtype=torch.long))
    DiffusionTrainer(PointDiffusion(hidden_dim=8, n_hidden=1, timesteps=20, sample_steps=5), labelled, batch_size=16,
                     device="cpu", progress=False).fit(2)  # labels in the batch, unconditional model: fine
    images = _tiny_digits().tensors[0]
    trainer = DiffusionTrainer(_tiny_model(), images, batch_size=16, device="cpu", progress=False)
    with pytest.raises(ValueError, match="needs batches of \\(images, labels\\)"):
        trainer.fit(1)


def test_config_errors():
    with pytest.raises(TypeError, match="unknown DiffusionConfig field 'learning_rate'"):
        DiffusionTrainer(_tiny_model(), _tiny_digits(), learning_rate=1e-3, device="cpu")
    with pytest.raises(ValueError, match="label_dropout must be in"):
        DiffusionConfig(label_dropout=1.5).check()
    with pytest.raises(ValueError, match="ema_decay must be None or in"):
        DiffusionConfig(ema_decay=1.0).check()
    with pytest.raises(ValueError, match="checkpoint_every > 0 needs a checkpoint_path"):
        DiffusionConfig(checkpoint_every=5).check()
    with pytest.raises(ValueError, match="grad_clip"):
        DiffusionConfig(grad_clip=0).check()
    with pytest.raises(TypeError, match="must be a GaussianDiffusion"):
        DiffusionTrainer(torch.nn.Linear(2, 2), torch.zeros(8, 2), device="cpu")
    with pytest.raises(ValueError, match="fewer than batch_size"):
        DiffusionTrainer(_tiny_model(), _tiny_digits(8), batch_size=16, device="cpu")


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path):
    config = DiffusionConfig(batch_size=16, steps=7, ema_decay=0.8, warmup_steps=3, label_dropout=0.3,
                             progress=False, sample_every=3, n_preview=4, preview_steps=2)
    data = _tiny_digits(48)  # 3 batches per epoch: the run crosses epochs

    straight = DiffusionTrainer(_tiny_model(0), data, config, device="cpu")
    straight.fit()

    interrupted = DiffusionTrainer(_tiny_model(0), data, config, device="cpu", checkpoint_every=2,
                                   checkpoint_path=str(tmp_path / "run.ckpt"))
    interrupted.fit(5)  # "crashes" after step 5; the last checkpoint is from step 4

    resumed = DiffusionTrainer(_tiny_model(123), data, config, device="cpu")  # a fresh process: other weights, RNG
    torch.manual_seed(999)
    resumed.fit(resume=tmp_path / "run.ckpt")

    assert resumed.step == straight.step == 7
    for a, b in [(straight.model, resumed.model), (straight.model_ema, resumed.model_ema)]:
        for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
            assert torch.equal(x, y), name
    assert resumed.history.values == straight.history.values
    assert [s for s, _ in resumed.previews] == [3, 6]
    assert all(torch.equal(x, y) for (_, x), (_, y) in zip(resumed.previews, straight.previews))
    # and the run did change the weights
    fresh = _tiny_model(0)
    assert not all(torch.equal(x, y) for x, y in zip(fresh.state_dict().values(), straight.model.state_dict().values()))


def test_seeded_runs_are_identical_and_other_seeds_differ():
    def run(seed):
        seed_everything(seed)
        model = _tiny_model(seed)
        DiffusionTrainer(model, _tiny_digits(), batch_size=16, steps=4, seed=seed, device="cpu", progress=False).fit()
        return model.state_dict()

    first, second, other = run(0), run(0), run(1)
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_resume_into_another_architecture_is_an_error(tmp_path):
    trainer = DiffusionTrainer(_tiny_model(), _tiny_digits(), batch_size=16, device="cpu", progress=False,
                               checkpoint_every=1, checkpoint_path=str(tmp_path / "run.ckpt"))
    trainer.fit(1)
    bigger = ImageDiffusion(base_channels=16, channel_mults=(1, 2), num_classes=10, timesteps=50, sample_steps=3)
    with pytest.raises(ValueError, match="another architecture"):
        DiffusionTrainer(bigger, _tiny_digits(), batch_size=16, device="cpu").fit(2, resume=tmp_path / "run.ckpt")


def test_the_loss_falls_on_digits():
    from imgsynth_edu.data import get_dataset

    seed_everything(0)
    data = get_dataset("mnist-5k", "train")
    model = ImageDiffusion(base_channels=8, channel_mults=(1, 2), attention=False, num_classes=10, timesteps=100,
                           sample_steps=5)
    history = DiffusionTrainer(model, data, batch_size=32, steps=60, lr=2e-3, device="cpu", progress=False,
                               ema_decay=None).fit()
    losses = history.values["loss"]
    assert sum(losses[:5]) / 5 > 0.9  # the zero-initialised head: E‖ε‖² = 1
    assert sum(losses[-10:]) / 10 < 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ddpm_learns_the_ring(seed):
    """Acceptance (issue 17): a small MLP DDPM covers >= 7 of 8 modes with >= 90 % high-quality samples, on CPU."""
    seed_everything(seed)
    ring = ring_of_gaussians()
    data = ring.sample(20_000, torch.Generator().manual_seed(seed + 1))
    model = PointDiffusion(hidden_dim=128, n_hidden=3, schedule="cosine", timesteps=100, sampler="ddpm")
    before = ring.evaluate(model.sample(2500, generator=torch.Generator().manual_seed(seed + 2)))
    trainer = train_diffusion(model, data, steps=2000, batch_size=256, lr=1e-3, ema_decay=0.99, label_dropout=0.0,
                              log_every=100, device="cpu", progress=False, seed=seed)
    scores = ring.evaluate(trainer.sampling_model.sample(2500, generator=torch.Generator().manual_seed(seed + 2)))
    print(f"seed {seed}: before {before['modes_covered']}/8, {before['high_quality']:.3f}; "
          f"after {scores['modes_covered']}/8, {scores['high_quality']:.3f}, counts {scores['counts']}")
    assert before["high_quality"] < 0.1
    assert scores["modes_covered"] >= 7
    assert scores["high_quality"] >= 0.90


def test_out_of_range_data_is_caught_on_the_first_batch():
    images, labels = _tiny_digits().tensors
    trainer = DiffusionTrainer(_tiny_model(), torch.utils.data.TensorDataset(images * 2, labels), batch_size=16,
                               device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"data must have values in \[0, 1\]"):
        trainer.fit(1)
    bad_labels = torch.utils.data.TensorDataset(images, labels + 10)
    with pytest.raises(ValueError, match=r"batch labels must be class indices in \[0, 9\]"):
        DiffusionTrainer(_tiny_model(), bad_labels, batch_size=16, device="cpu", progress=False).fit(1)
