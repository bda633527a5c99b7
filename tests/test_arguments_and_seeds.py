"""Numeric arguments are checked at the boundary; ``--seed`` fixes every train command; resume keeps its settings."""

from __future__ import annotations

import math

import pytest
import torch

from imgsynth_edu.cli import main
from imgsynth_edu.data import get_dataset, stack_dataset
from imgsynth_edu.data.toy2d import ring_of_gaussians
from imgsynth_edu.models.classifier import DigitClassifier
from imgsynth_edu.models.gan import MLPDiscriminator, MLPGenerator
from imgsynth_edu.models.srresnet import SRResNet
from imgsynth_edu.training.classifier import train_classifier
from imgsynth_edu.training.gan import GANConfig, GANTrainer
from imgsynth_edu.training.sr import RestorationTrainer

SRRESNET = ["train", "srresnet", "--steps", "1", "--blocks", "1", "--channels", "4", "--patch-size", "32",
            "--batch-size", "2", "--no-eval", "--quiet", "--device", "cpu"]


# ---- numeric arguments -------------------------------------------------------------------------
@pytest.mark.parametrize("lr", ["0", "-1e-3", "inf", "nan"])
def test_cli_refuses_a_learning_rate_that_is_not_finite_and_positive(lr, tmp_path, capsys):
    assert main([*SRRESNET, "--out", str(tmp_path / "m.pt"), f"--lr={lr}"]) == 2
    err = capsys.readouterr().err
    assert "--lr must be a finite number > 0" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize("argv, option", [
    (["train", "dcgan", "--steps=-5"], "--steps"),
    (["train", "toy-gan", "--steps", "0"], "--steps"),
    (["train", "burst", "--batch-size", "0"], "--batch-size"),
    (["train", "cgan", "--ema-decay", "1.5"], "--ema-decay"),
    (["train", "classifier", "--epochs=-1"], "--epochs"),
    (["train", "inpainting", "--l1-weight=-1"], "--l1-weight"),
])
def test_cli_refuses_bad_counts_and_weights_naming_the_option(argv, option, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "m.pt")]) == 2
    assert f"{option} must be" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_sample_refuses_a_negative_sample_count(tmp_path, capsys):
    assert main(["sample", "--n=-3", "--out", str(tmp_path / "g.png")]) == 2
    assert "--n must be a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize("lr", [0.0, -1.0, math.inf, math.nan])
def test_trainers_refuse_a_learning_rate_that_is_not_finite_and_positive(lr):
    pairs = torch.utils.data.TensorDataset(torch.rand(4, 3, 8, 8), torch.rand(4, 3, 16, 16))
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        RestorationTrainer(SRResNet(scale=2, num_blocks=1, channels=4), pairs, lr=lr, device="cpu")
    with pytest.raises(ValueError, match="lr_g must be a finite number > 0"):
        GANConfig(lr_g=lr).check()
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        train_classifier(DigitClassifier(), torch.rand(4, 1, 28, 28), torch.zeros(4, dtype=torch.long), lr=lr)


def test_a_negative_sample_count_is_refused_not_a_shortened_dataset():
    digits = get_dataset("mnist-5k", "test")
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        stack_dataset(digits, -3)
    assert len(stack_dataset(digits, 3)[0]) == 3


# ---- --seed fixes the run ----------------------------------------------------------------------
TRAIN_COMMANDS = {
    "srresnet": lambda init: SRRESNET,
    "srgan": lambda init: ["train", "srgan", "--init-checkpoint", str(init), "--scale", "2",
                          "--content", "l1", "--d-channels", "4", "--steps", "1", "--patch-size", "32",
                          "--batch-size", "2", "--no-eval", "--quiet", "--device", "cpu"],
    "burst": lambda init: ["train", "burst", "--scale", "2", "--frames", "2", "--steps", "1", "--batch-size", "1",
                          "--patch-size", "32", "--features", "4", "--no-progress", "--device", "cpu"],
    "dcgan": lambda init: ["train", "dcgan", "--steps", "1", "--batch-size", "8", "--latent-dim", "8", "--width", "4",
                          "--device", "cpu"],
    "toy-gan": lambda init: ["train", "toy-gan", "--steps", "2"],
    "cgan": lambda init: ["train", "cgan", "--steps", "1", "--batch-size", "8", "--latent-dim", "8", "--width", "4",
                         "--n-per-class", "4", "--device", "cpu"],
}


def _weights(path):
    return torch.load(path, weights_only=True)


@pytest.mark.parametrize("command", sorted(TRAIN_COMMANDS))
def test_the_same_seed_gives_bit_identical_weights_and_another_seed_does_not(command, tmp_path, write_tiny_srresnet):
    argv = TRAIN_COMMANDS[command](write_tiny_srresnet(tmp_path / "init.pt", bicubic_skip=False))
    runs = {}
    for name, seed in (("first", "3"), ("again", "3"), ("other", "4")):
        torch.manual_seed(int.from_bytes(name.encode(), "little"))  # whatever the global RNG held before
        out = tmp_path / f"{name}.pt"
        assert main([*argv, "--seed", seed, "--out", str(out)]) == 0
        runs[name] = _weights(out)
    assert runs["first"].keys() == runs["again"].keys()
    for key, value in runs["first"].items():
        assert torch.equal(value, runs["again"][key]), f"{command}: {key} differs between two runs with --seed 3"
    assert any(not torch.equal(value, runs["other"][key]) for key, value in runs["first"].items() if value.is_floating_point())


# ---- resume keeps the hyper-parameters ---------------------------------------------------------
def test_resume_refuses_a_changed_learning_rate_naming_it(tmp_path, capsys):
    out = tmp_path / "m.pt"
    argv = [*SRRESNET, "--out", str(out), "--checkpoint-every", "1"]
    assert main([*argv, "--lr", "2e-4"]) == 0
    argv[argv.index("--steps") + 1] = "2"
    assert main([*argv, "--lr", "1e-3", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "changed hyper-parameters (lr 0.0002 -> 0.001)" in err
    assert main([*argv, "--lr", "2e-4", "--resume"]) == 0  # the same settings resume, with more steps


def test_gan_resume_refuses_changed_hyper_parameters(tmp_path):
    data = ring_of_gaussians().sample(256, torch.Generator().manual_seed(0))
    path = tmp_path / "gan.ckpt"
    GANTrainer(MLPGenerator(2, [2]), MLPDiscriminator((2,)), data, steps=1, batch_size=32, device="cpu",
               checkpoint_every=1, checkpoint_path=str(path), progress=False).fit()
    resumed = GANTrainer(MLPGenerator(2, [2]), MLPDiscriminator((2,)), data, steps=2, batch_size=64, lr_d=1e-3,
                         device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"batch_size 32 -> 64; lr_d 0\.0002 -> 0\.001"):
        resumed.fit(resume=path)
