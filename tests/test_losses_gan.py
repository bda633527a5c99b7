"""Adversarial losses: each equals its paper formula, written independently here."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from imgsynth_edu import losses


@pytest.fixture
def scores():
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, generator=g) * 3, torch.randn(16, generator=g) * 3


def test_d_loss_minimax_is_binary_cross_entropy(scores):
    real, fake = scores
    expected = -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()
    assert torch.allclose(losses.d_loss_minimax(real, fake), expected, atol=1e-5)
    bce = F.binary_cross_entropy_with_logits(real, torch.ones(16)) + F.binary_cross_entropy_with_logits(fake, torch.zeros(16))
    assert torch.allclose(losses.d_loss_minimax(real, fake), bce, atol=1e-6)


def test_d_loss_at_chance_is_log_4():
    zeros = torch.zeros(8)  # D(x) = 1/2 everywhere: the optimum when p_g = p_data
    assert losses.d_loss_minimax(zeros, zeros).item() == pytest.approx(math.log(4), abs=1e-6)


def test_generator_losses(scores):
    _, fake = scores
    assert torch.allclose(losses.g_loss_saturating(fake), torch.log(1 - torch.sigmoid(fake)).mean(), atol=1e-5)
    assert torch.allclose(losses.g_loss_non_saturating(fake), -torch.log(torch.sigmoid(fake)).mean(), atol=1e-5)


def test_saturating_gradient_vanishes_where_non_saturating_does_not():
    """When D confidently rejects the fakes (score -8), the minimax G loss gives ~no gradient."""
    confident_reject = torch.full((4,), -8.0, requires_grad=True)
    (grad_sat,) = torch.autograd.grad(losses.g_loss_saturating(confident_reject), confident_reject)
    (grad_ns,) = torch.autograd.grad(losses.g_loss_non_saturating(confident_reject), confident_reject)
    assert grad_sat.abs().max() < 1e-3 / 4
    assert grad_ns.abs().min() > 0.9 / 4
    # both push the score up (towards "real")
    assert (grad_sat < 0).all() and (grad_ns < 0).all()


def test_hinge(scores):
    real, fake = scores
    expected = torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fake, min=0).mean()
    assert torch.allclose(losses.d_loss_hinge(real, fake), expected)
    assert losses.d_loss_hinge(torch.full((3,), 2.0), torch.full((3,), -2.0)).item() == 0.0  # beyond the margins
    assert torch.allclose(losses.g_loss_hinge(fake), -fake.mean())


def test_least_squares(scores):
    real, fake = scores
    assert torch.allclose(losses.d_loss_least_squares(real, fake), 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean())
    assert torch.allclose(losses.g_loss_least_squares(fake), 0.5 * ((fake - 1) ** 2).mean())


def test_wasserstein(scores):
    real, fake = scores
    assert torch.allclose(losses.d_loss_wasserstein(real, fake), fake.mean() - real.mean())
    assert torch.allclose(losses.g_loss_wasserstein(fake), -fake.mean())


def test_gradient_penalty_of_a_linear_critic():
    """For d(x) = w·x the gradient is w everywhere, so GP = (‖w‖ - 1)²."""
    w = torch.tensor([3.0, 4.0])  # ‖w‖ = 5
    real, fake = torch.randn(10, 2), torch.randn(10, 2)
    penalty = losses.gradient_penalty(lambda x: x @ w, real, fake)
    assert penalty.item() == pytest.approx(16.0, rel=1e-5)
    unit = torch.tensor([0.6, 0.8])
    assert losses.gradient_penalty(lambda x: x @ unit, real, fake).item() == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_is_differentiable_in_the_critic():
    critic = torch.nn.Linear(3, 1)
    penalty = losses.gradient_penalty(lambda x: critic(x).squeeze(1), torch.randn(6, 3), torch.randn(6, 3))
    penalty.backward()
    assert critic.weight.grad is not None and critic.weight.grad.abs().sum() > 0


def test_gradient_penalty_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(lambda x: x.sum(1), torch.zeros(4, 2), torch.zeros(3, 2))


def test_registry_and_bad_names():
    assert set(losses.ADVERSARIAL_LOSSES) == {"minimax", "non-saturating", "hinge", "least-squares", "wgan-gp"}
    d_loss, g_loss = losses.adversarial_losses("non-saturating")
    assert d_loss is losses.d_loss_minimax and g_loss is losses.g_loss_non_saturating
    with pytest.raises(ValueError, match="loss must be one of"):
        losses.adversarial_losses("vanilla")
    with pytest.raises(TypeError, match="fake_scores"):
        losses.g_loss_hinge(torch.zeros(3, dtype=torch.long))
