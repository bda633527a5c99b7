"""The restoration training loop: learning, callbacks, checkpoints, exact resume, SRGAN, evaluation."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from imgsynth_edu.data import bicubic_downscale, bicubic_upscale, load_photo
from imgsynth_edu.data.patches import PairedPatchDataset
from imgsynth_edu.evaluation import evaluate_sr, perception_distortion_curve
from imgsynth_edu.losses import mse_loss
from imgsynth_edu.metrics import niqe
from imgsynth_edu.models.srresnet import SRGANDiscriminator, SRResNet
from imgsynth_edu.training import Callback, GANConfig, GANTrainer, RestorationConfig
from imgsynth_edu.training.sr import RestorationTrainer, SRGANTrainer, train_restorer


@pytest.fixture
def patches():
    generator = torch.Generator().manual_seed(0)
    images = [torch.rand(3, 32, 32, generator=generator) for _ in range(2)]
    return PairedPatchDataset(images, scale=2, patch_size=16, length=1000)


def _tiny(seed: int) -> SRResNet:
    torch.manual_seed(seed)
    return SRResNet(scale=2, num_blocks=1, channels=8, batch_norm=True)


def _assert_same_weights(a: nn.Module, b: nn.Module):
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name


def test_loss_goes_down():
    photo = PairedPatchDataset([load_photo("astronaut")[:, :128, 128:256]], scale=2, patch_size=16)
    torch.manual_seed(0)
    model = SRResNet(scale=2, num_blocks=1, channels=8, batch_norm=False, bicubic_skip=False)
    history = train_restorer(model, photo, 40, batch_size=4, lr=1e-3, device="cpu", progress=False)
    losses = history.values["loss"]
    assert len(losses) == 40 and history.steps[-1] == 40
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5


def test_interrupted_and_resumed_equals_uninterrupted(patches, tmp_path):
    straight = RestorationTrainer(_tiny(0), patches, batch_size=4, device="cpu", progress=False,
                                  checkpoint_path=tmp_path / "a.pt", checkpoint_every=3)
    straight.fit(6)
    first = RestorationTrainer(_tiny(0), patches, batch_size=4, device="cpu", progress=False,
                               checkpoint_path=tmp_path / "b.pt", checkpoint_every=3)
    first.fit(3)
    # a new process: fresh (differently initialised) model, same checkpoint path
    resumed = RestorationTrainer(_tiny(123), patches, batch_size=4, device="cpu", progress=False,
                                 checkpoint_path=tmp_path / "b.pt", checkpoint_every=3)
    resumed.fit(6, resume=tmp_path / "b.pt")
    assert resumed.step == 6
    _assert_same_weights(straight.model, resumed.model)  # BN running statistics included
    assert straight.history.values["loss"] == resumed.history.values["loss"]
    assert straight.optimizer.state_dict()["state"][0]["exp_avg"].equal(
        resumed.optimizer.state_dict()["state"][0]["exp_avg"])


def test_resume_from_another_seed_differs(patches, tmp_path):
    """Guards the test above: different batches really give different weights."""
    a = RestorationTrainer(_tiny(0), patches, batch_size=4, device="cpu", progress=False, seed=0)
    b = RestorationTrainer(_tiny(0), patches, batch_size=4, device="cpu", progress=False, seed=1)
    a.fit(3)
    b.fit(3)
    assert not torch.equal(a.model.head[0].weight, b.model.head[0].weight)


def test_callbacks_see_every_step(patches):
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_train_start(self, loop):
            self.events.append("start")

        def on_step_end(self, loop, step, logs):
            self.events.append((step, sorted(logs)))

        def on_train_end(self, loop):
            self.events.append("end")

    recorder = Recorder()
    RestorationTrainer(_tiny(0), patches, batch_size=2, device="cpu", progress=False, callbacks=[recorder]).fit(3)
    assert recorder.events == ["start", (1, ["loss"]), (2, ["loss"]), (3, ["loss"]), "end"]


class _BurstPairs(Dataset):
    """Items ``(F×C×h×w burst, C×h×w target)``: the loop must not assume a 4-D input."""

    def __len__(self):
        return 50

    def __getitem__(self, index):
        generator = torch.Generator().manual_seed(index)
        target = torch.rand(3, 8, 8, generator=generator)
        burst = (target[None] + 0.1 * torch.randn(4, 3, 8, 8, generator=generator)).clamp(0, 1)  # 4×3×8×8
        return burst, target


class _MeanOfFrames(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.seen_shapes = []

    def forward(self, burst):
        self.seen_shapes.append(tuple(burst.shape))
        return self.conv(burst.mean(dim=1))  # N×F×C×h×w -> N×C×h×w


def test_burst_inputs_pass_through_unchanged():
    model = _MeanOfFrames()
    history = RestorationTrainer(model, _BurstPairs(), batch_size=5, device="cpu", progress=False,
                                 loss_fn=mse_loss).fit(2)
    assert model.seen_shapes == [(5, 4, 3, 8, 8)] * 2
    assert len(history.values["loss"]) == 2


def test_bad_arguments_are_named(patches, tmp_path):
    with pytest.raises(ValueError, match="checkpoint_path"):
        RestorationTrainer(_tiny(0), patches, checkpoint_every=5)
    with pytest.raises(ValueError, match="batch_size"):
        RestorationTrainer(_tiny(0), patches, batch_size=0)
    with pytest.raises(TypeError, match="model"):
        RestorationTrainer("not a model", patches)
    with pytest.raises(FileNotFoundError, match="resume path .*missing.pt' does not exist"):
        RestorationTrainer(_tiny(0), patches, device="cpu").fit(2, resume=tmp_path / "missing.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    trainer = RestorationTrainer(_tiny(0), patches, device="cpu")
    with pytest.raises(ValueError, match="corrupt"):
        trainer.fit(2, resume=tmp_path / "bad.pt")
    with pytest.raises(TypeError, match="unknown RestorationConfig field 'batchsize'"):
        RestorationTrainer(_tiny(0), patches, batchsize=4)
    with pytest.raises(ValueError, match="own two Adam optimizers"):
        SRGANTrainer(_tiny(0), SRGANDiscriminator(base_channels=4), patches,
                     optimizer=torch.optim.SGD(_tiny(0).parameters(), lr=0.1))


def test_the_trainers_share_one_shape(patches):
    """A config dataclass, keyword overrides of its fields, ``fit(steps=None, resume=None)``."""
    config = RestorationConfig(steps=3, batch_size=2, progress=False)
    trainer = RestorationTrainer(_tiny(0), patches, config, device="cpu", lr=1e-3)
    assert trainer.config.lr == 1e-3 and config.lr == 2e-4  # overrides change a copy, never the caller's config
    trainer.fit()  # config.steps
    assert trainer.step == 3
    assert SRGANTrainer(_tiny(0), SRGANDiscriminator(base_channels=4), patches, device="cpu").config.lr == 1e-4
    for trainer_class, config_class in ((RestorationTrainer, RestorationConfig), (GANTrainer, GANConfig)):
        fit = inspect.signature(trainer_class.fit).parameters
        assert list(fit) == ["self", "steps", "resume"] and fit["steps"].default is None
        assert fit["resume"].default is None and fit["resume"].kind is inspect.Parameter.KEYWORD_ONLY
        init = inspect.signature(trainer_class.__init__).parameters
        assert "config" in init and init["config"].default is None and "overrides" in init
        assert "steps" in {field.name for field in dataclasses.fields(config_class)}


def test_srgan_trainer_steps_both_networks_and_resumes_exactly(patches, tmp_path):
    def make(seed):
        torch.manual_seed(seed)
        return SRResNet(scale=2, num_blocks=1, channels=8), SRGANDiscriminator(base_channels=4)

    generator, discriminator = make(0)
    d_before = discriminator.classifier[-1].weight.clone()
    g_before = generator.tail.weight.clone()
    straight = SRGANTrainer(generator, discriminator, patches, batch_size=2, device="cpu", progress=False)
    straight.fit(4)
    assert sorted(straight.history.values) == ["adversarial", "content", "d_loss", "g_loss"]
    for g_loss, content, adversarial in zip(*(straight.history.values[k] for k in ("g_loss", "content", "adversarial"))):
        assert g_loss == pytest.approx(content + 1e-3 * adversarial, rel=1e-5)
    assert not torch.equal(discriminator.classifier[-1].weight, d_before)
    assert not torch.equal(generator.tail.weight, g_before)

    first = SRGANTrainer(*make(0), patches, batch_size=2, device="cpu", progress=False,
                         checkpoint_path=tmp_path / "gan.pt")
    first.fit(2)
    resumed = SRGANTrainer(*make(5), patches, batch_size=2, device="cpu", progress=False,
                           checkpoint_path=tmp_path / "gan.pt")
    resumed.fit(4, resume=tmp_path / "gan.pt")
    _assert_same_weights(straight.model, resumed.model)
    _assert_same_weights(straight.discriminator, resumed.discriminator)


def test_evaluate_sr_bicubic_model_scores_like_bicubic():
    generator = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 70, 90, generator=generator), 5, 1, 2)[0]
    images = {"smooth": smooth, "grey": smooth[:1]}
    as_bicubic = SRResNet(scale=2, num_blocks=1, channels=8, bicubic_skip=True)  # its tail starts at zero
    result = evaluate_sr(as_bicubic, images, 2, tile=16)
    assert result["scale"] == 2 and [row["name"] for row in result["images"]] == ["smooth", "grey"]
    assert result["images"][0]["height"] == 70 and result["images"][0]["width"] == 90
    for key in ("psnr_y", "ssim_y", "psnr_rgb"):
        assert result["model"][key] == pytest.approx(result["bicubic"][key], abs=1e-4)
    assert 20 < result["bicubic"]["psnr_y"] < 60
    assert result["bicubic"]["psnr_y"] != result["bicubic"]["psnr_rgb"]
    only_bicubic = evaluate_sr(None, images, 2)
    assert "model" not in only_bicubic
    assert only_bicubic["bicubic"]["psnr_y"] == pytest.approx(result["bicubic"]["psnr_y"])
    with pytest.raises(ValueError, match="images"):
        evaluate_sr(None, {}, 2)


def test_srgan_weight_average_follows_the_generator_and_resumes_exactly(patches, tmp_path):
    def make(seed):
        torch.manual_seed(seed)
        return SRResNet(scale=2, num_blocks=1, channels=8), SRGANDiscriminator(base_channels=4)

    generator, discriminator = make(0)
    initial = {name: tensor.clone() for name, tensor in generator.state_dict().items()}
    trainer = SRGANTrainer(generator, discriminator, patches, batch_size=2, device="cpu", progress=False,
                           average_decay=0.5)
    assert set(trainer.modules()) == {"model", "discriminator", "average"}
    _assert_same_weights(trainer.average, generator)  # θ̄ starts at θ
    trainer.fit(1)
    # after one step: θ̄ = 0.5·θ_0 + 0.5·θ_1, for every weight
    for name, averaged in trainer.average.named_parameters():
        current = dict(generator.named_parameters())[name]
        torch.testing.assert_close(averaged, 0.5 * initial[name] + 0.5 * current.detach())
    assert not any(p.requires_grad for p in trainer.average.parameters())

    straight = SRGANTrainer(*make(0), patches, batch_size=2, device="cpu", progress=False, average_decay=0.9)
    straight.fit(4)
    first = SRGANTrainer(*make(0), patches, batch_size=2, device="cpu", progress=False, average_decay=0.9,
                         checkpoint_path=tmp_path / "gan.pt")
    first.fit(2)
    resumed = SRGANTrainer(*make(5), patches, batch_size=2, device="cpu", progress=False, average_decay=0.9,
                           checkpoint_path=tmp_path / "gan.pt")
    resumed.fit(4, resume=tmp_path / "gan.pt")
    _assert_same_weights(straight.average, resumed.average)
    for bad in (-0.1, 1.0, True, "0.9"):
        with pytest.raises(ValueError, match="average_decay"):
            SRGANTrainer(*make(0), patches, device="cpu", progress=False, average_decay=bad)


def test_evaluate_sr_can_skip_the_baseline():
    smooth = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 40, 48, generator=torch.Generator().manual_seed(0)), 5, 1, 2)[0]
    model = SRResNet(scale=2, num_blocks=1, channels=8, bicubic_skip=True)
    result = evaluate_sr(model, {"smooth": smooth}, 2, tile=16, baseline=False)
    assert "bicubic" not in result and "bicubic" not in result["images"][0]
    assert result["model"]["psnr_y"] == pytest.approx(evaluate_sr(model, {"smooth": smooth}, 2, tile=16)["model"]["psnr_y"])
    with pytest.raises(ValueError, match="nothing to score"):
        evaluate_sr(None, {"smooth": smooth}, 2, baseline=False)


def _photo_for_niqe() -> dict[str, torch.Tensor]:
    """One held-out crop large enough for NIQE's 96-px blocks after the x2 border crop (6 blocks)."""
    return {"chelsea": load_photo("chelsea")[:, :196, :292]}  # 3×196×292


def test_evaluate_sr_niqe_is_the_metric_on_the_restored_picture():
    photos = _photo_for_niqe()
    result = evaluate_sr(None, photos, 2, niqe=True)
    high = photos["chelsea"][None]  # 1×3×196×292, already a multiple of 2
    low = (bicubic_downscale(high, 2) * 255).round() / 255  # the protocol's 8-bit input
    restored = (bicubic_upscale(low, 2).clamp(0, 1) * 255).round() / 255
    expected = niqe(restored, crop_border=2).item()
    assert result["images"][0]["bicubic"]["niqe"] == pytest.approx(expected, abs=1e-6)
    assert result["bicubic"]["niqe"] == pytest.approx(expected, abs=1e-6)  # the mean over one image
    assert "niqe" not in evaluate_sr(None, photos, 2)["bicubic"]  # only when asked for


def test_perception_distortion_curve_ends_at_its_two_networks():
    torch.manual_seed(0)
    first, second = (SRResNet(scale=2, num_blocks=1, channels=8, batch_norm=False, bicubic_skip=True) for _ in range(2))
    with torch.no_grad():
        for parameter in second.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))  # a different network of the same architecture
    photos = _photo_for_niqe()
    curve = perception_distortion_curve(first, second, photos, 2, alphas=(0.0, 0.5, 1.0))
    assert [point["alpha"] for point in curve] == [0.0, 0.5, 1.0]
    for point, model in ((curve[0], first), (curve[-1], second)):
        alone = evaluate_sr(model, photos, 2, niqe=True, baseline=False)["model"]
        for key in ("psnr_y", "ssim_y", "niqe"):
            assert point[key] == pytest.approx(alone[key], abs=1e-5), key
    assert curve[0]["psnr_y"] != pytest.approx(curve[-1]["psnr_y"], abs=1e-3)  # the two ends differ
    with pytest.raises(ValueError, match="alphas"):
        perception_distortion_curve(first, second, photos, 2, alphas=())


@pytest.mark.parametrize("changed, match", [
    ({"adversarial_weight": 1e-2}, r"adversarial_weight 0\.001 -> 0\.01"),
    ({"content_loss": torch.nn.functional.mse_loss}, r"content_loss 'l1_loss' -> 'mse_loss'"),
    ({"average_decay": 0.5}, r"average_decay 0\.9 -> 0\.5"),
])
def test_srgan_resume_refuses_changed_loss_weights_naming_them(patches, tmp_path, changed, match):
    """What SRGAN adds to the config (its loss weights, the weight average) is a hyper-parameter too."""
    def trainer(**overrides):
        torch.manual_seed(0)
        return SRGANTrainer(SRResNet(scale=2, num_blocks=1, channels=8), SRGANDiscriminator(base_channels=4),
                            patches, batch_size=2, device="cpu", progress=False,
                            **{"average_decay": 0.9, **overrides})

    trainer(checkpoint_path=tmp_path / "gan.pt").fit(1)
    with pytest.raises(ValueError, match=match):
        trainer(**changed).fit(2, resume=tmp_path / "gan.pt")
    assert trainer().fit(2, resume=tmp_path / "gan.pt")  # the same recipe resumes
