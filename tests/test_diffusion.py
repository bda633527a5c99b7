"""Diffusion models: the forward process, the posterior, the samplers, guidance and the bound.

Most checks use cases where the right answer is known without the code under
test: the forward chain run step by step (against the closed form), Bayes' rule
in NumPy (against the posterior), data that is a single point or a Gaussian,
whose ideal denoiser is a formula (against the samplers and the bound), and
SciPy's normal distribution (against the discrete decoder).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from scipy import stats

from imgsynth_edu import pretrained
from imgsynth_edu.models.diffusion import (
    ImageDiffusion,
    MLPDenoiser,
    NoiseSchedule,
    PointDiffusion,
    UNetDenoiser,
    ddim_sample,
    ddim_timesteps,
    ddpm_sample,
    diffusion_loss,
    discretized_gaussian_log_likelihood,
    guided_epsilon,
    timestep_embedding,
    variational_bound,
)
from imgsynth_edu.utils import save_state_dict

# ----------------------------------------------------------------------------
# Ideal denoisers: data whose E[ε | x_t] is a formula
# ----------------------------------------------------------------------------


class PointMassDenoiser(torch.nn.Module):
    """The exact ε for data that is always ``point``: ``ε = (x_t - √ᾱ_t c) / √(1-ᾱ_t)``."""

    def __init__(self, schedule: NoiseSchedule, point: torch.Tensor):
        super().__init__()
        self.schedule = schedule
        self.register_buffer("point", point)
        self.anchor = torch.nn.Parameter(torch.zeros(()))  # gives the module a device

    def forward(self, xt, t, labels=None):
        alpha_bar = self.schedule.at("alpha_bars", t, xt)
        return (xt - alpha_bar.sqrt() * self.point.to(xt.dtype)) / (1 - alpha_bar).sqrt()


class GaussianDenoiser(torch.nn.Module):
    """The exact ``E[ε | x_t]`` for data ``N(mean, diag(std²))``.

    ``x_t = √ᾱ x_0 + √(1-ᾱ) ε`` is Gaussian with variance ``ᾱ s² + 1 - ᾱ``, so
    ``E[ε | x_t] = √(1-ᾱ) (x_t - √ᾱ m) / (ᾱ s² + 1 - ᾱ)``.
    """

    def __init__(self, schedule, mean, std):
        super().__init__()
        self.schedule = schedule
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.anchor = torch.nn.Parameter(torch.zeros(()))

    def forward(self, xt, t, labels=None):
        alpha_bar = self.schedule.at("alpha_bars", t, xt)
        variance = alpha_bar * self.std**2 + 1 - alpha_bar
        return (1 - alpha_bar).sqrt() * (xt - alpha_bar.sqrt() * self.mean) / variance


# ----------------------------------------------------------------------------
# Schedules and the forward process
# ----------------------------------------------------------------------------


def test_linear_schedule_is_ho_et_al_and_index_zero_means_no_noise():
    schedule = NoiseSchedule.linear(1000)
    assert schedule.T == 1000 and len(schedule.betas) == 1001
    assert schedule.betas[0] == 0 and schedule.alpha_bars[0] == 1
    assert schedule.betas[1].item() == pytest.approx(1e-4) and schedule.betas[1000].item() == pytest.approx(0.02)
    # ᾱ_t is the product of (1 - β_s) for s = 1..t (the paper's t, no shift)
    betas = np.linspace(1e-4, 0.02, 1000)
    assert schedule.alpha_bars[500].item() == pytest.approx(np.prod(1 - betas[:500]), rel=1e-12)
    assert schedule.alpha_bars[-1].item() < 1e-4
    # another T keeps the noise at the end (scaled by 1000 / T)
    short = NoiseSchedule.linear(100)
    assert short.betas[100].item() == pytest.approx(0.2) and short.alpha_bars[-1].item() < 1e-3


def test_cosine_schedule_is_nichol_and_dhariwal_eq_17():
    T, s = 1000, 0.008
    schedule = NoiseSchedule.cosine(T)
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    for t in (1, 10, 250, 500, 900):
        assert schedule.alpha_bars[t].item() == pytest.approx(f(t) / f(0), rel=1e-9)
    assert schedule.betas.max().item() == pytest.approx(0.999)  # the clipped end (their Sec. 3.2)
    assert (schedule.alpha_bars[1:] < schedule.alpha_bars[:-1]).all()
    assert schedule.alpha_bars[-1].item() < 1e-6


def test_closed_form_q_matches_the_forward_chain_run_step_by_step():
    """``q(x_t|x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I)`` (Ho eq. 4) against iterating ``q(x_t|x_{t-1})`` (eq. 2)."""
    schedule = NoiseSchedule.linear(200)
    generator = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.5, -0.7, 0.0, 0.3], dtype=torch.float64)
    n = 40_000
    x = x0.expand(n, 4).clone()
    checked = {}
    for t in range(1, 201):
        beta = schedule.betas[t]
        x = (1 - beta).sqrt() * x + beta.sqrt() * torch.randn(n, 4, generator=generator, dtype=torch.float64)
        if t in (5, 60, 200):
            checked[t] = (x.mean(0), x.var(0))
    for t, (mean, var) in checked.items():
        alpha_bar = schedule.alpha_bars[t]
        expected_var = 1 - alpha_bar
        standard_error = (expected_var / n).sqrt()
        assert torch.allclose(mean, alpha_bar.sqrt() * x0, atol=5 * standard_error.item()), t
        assert torch.allclose(var, expected_var.expand(4), rtol=0.04), t
        # and the library's one-shot draw has the same statistics
        closed = schedule.q_sample(x0.expand(n, 4), torch.full((n,), t),
                                   torch.randn(n, 4, generator=generator, dtype=torch.float64))
        assert torch.allclose(closed.mean(0), mean, atol=8 * standard_error.item()), t
        assert torch.allclose(closed.var(0), var, rtol=0.06), t


def test_posterior_matches_bayes_rule_computed_directly():
    """``q(x_{t-1}|x_t,x_0) ∝ q(x_t|x_{t-1}) q(x_{t-1}|x_0)``: product of two Gaussians, in NumPy."""
    schedule = NoiseSchedule.cosine(50)
    rng = np.random.default_rng(0)
    t = np.array([1, 2, 7, 25, 49, 50])
    x0, xt = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    betas = schedule.betas.numpy()
    alpha_bars = np.cumprod(1 - betas)  # includes β_0 = 0, so alpha_bars[0] = 1
    mean, variance = schedule.posterior_mean_variance(torch.tensor(x0), torch.tensor(xt), torch.tensor(t))
    for i, step in enumerate(t):
        prior_mean, prior_var = np.sqrt(alpha_bars[step - 1]) * x0[i], 1 - alpha_bars[step - 1]  # q(x_{t-1}|x_0)
        scale, noise_var = np.sqrt(1 - betas[step]), betas[step]  # q(x_t|x_{t-1}) = N(scale·x_{t-1}, noise_var)
        if prior_var == 0:  # t = 1: x_0 is known exactly
            direct_mean, direct_var = x0[i], 0.0
        else:
            precision = 1 / prior_var + scale**2 / noise_var
            direct_var = 1 / precision
            direct_mean = direct_var * (prior_mean / prior_var + scale * xt[i] / noise_var)
        np.testing.assert_allclose(mean[i].numpy(), direct_mean, rtol=1e-9, atol=1e-12)
        assert variance[i].item() == pytest.approx(direct_var, rel=1e-9, abs=1e-15)


def test_predict_x0_and_predict_eps_invert_the_forward_draw():
    schedule = NoiseSchedule.linear(1000)
    generator = torch.Generator().manual_seed(1)
    x0, noise = torch.randn(5, 1, 4, 4, generator=generator), torch.randn(5, 1, 4, 4, generator=generator)
    t = torch.tensor([1, 10, 100, 500, 900])
    xt = schedule.q_sample(x0, t, noise)
    assert torch.allclose(schedule.predict_x0(xt, t, noise), x0, atol=1e-3)
    assert torch.allclose(schedule.predict_eps(xt, t, x0), noise, atol=1e-4)


def test_schedule_bad_input_errors():
    with pytest.raises(ValueError, match="schedule"):
        NoiseSchedule.by_name("quadratic")
    with pytest.raises(ValueError, match="T must be a positive integer"):
        NoiseSchedule.cosine(0)
    with pytest.raises(ValueError, match="betas must lie in"):
        NoiseSchedule(torch.tensor([0.1, 1.0]))
    with pytest.raises(ValueError, match="too small for the linear schedule"):
        NoiseSchedule.linear(10)
    schedule = NoiseSchedule.linear(100)
    x0 = torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"t must be timesteps in \[1, T=100\]"):
        schedule.q_sample(x0, torch.tensor([0, 1, 2]), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"t must be timesteps in \[1, T=100\]"):
        schedule.q_sample(x0, torch.tensor([1, 2, 101]), torch.zeros(3, 2))
    with pytest.raises(TypeError, match="integer tensor of timesteps"):
        schedule.q_sample(x0, torch.tensor([1.0, 2.0, 3.0]), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="one timestep per sample"):
        schedule.q_sample(x0, torch.tensor([1, 2]), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="noise must have the shape of x0"):
        schedule.q_sample(x0, torch.tensor([1, 2, 3]), torch.zeros(3, 3))


# ----------------------------------------------------------------------------
# Denoisers: shapes, conditioning, bad input
# ----------------------------------------------------------------------------


def test_timestep_embedding_shape_and_distinct_codes():
    codes = timestep_embedding(torch.tensor([1, 2, 500, 1000]), 33)
    assert codes.shape == (4, 33) and codes.dtype == torch.float32
    assert torch.cdist(codes, codes)[~torch.eye(4, dtype=torch.bool)].min() > 0.1


@pytest.mark.parametrize("size, mults", [(28, (1, 2, 2)), (32, (1, 2, 4, 4)), (28, (1,))])
def test_unet_keeps_the_image_shape(size, mults):
    torch.manual_seed(0)
    net = UNetDenoiser(size, 3, 16, mults, num_classes=4)
    x = torch.randn(2, 3, size, size)
    for labels in (torch.tensor([0, 3]), torch.tensor([4, 4]), None):  # 4 = the null label ∅
        out = net(x, torch.tensor([1, 1000]), labels)
        assert out.shape == x.shape and out.dtype == torch.float32


def test_unet_hears_time_and_label():
    torch.manual_seed(0)
    net = UNetDenoiser(28, 1, 16, (1, 2), num_classes=10)
    for parameter in net.parameters():  # the zero-initialised output would hide everything
        torch.nn.init.normal_(parameter, 0, 0.05)
    x = torch.randn(1, 1, 28, 28)
    base = net(x, torch.tensor([10]), torch.tensor([3]))
    assert not torch.allclose(base, net(x, torch.tensor([900]), torch.tensor([3])))
    assert not torch.allclose(base, net(x, torch.tensor([10]), torch.tensor([4])))
    assert not torch.allclose(base, net(x, torch.tensor([10]), None))  # ∅ is its own class


def test_unet_starts_by_predicting_zero_noise_so_the_loss_starts_at_one():
    torch.manual_seed(0)
    model = ImageDiffusion(base_channels=16, channel_mults=(1, 2), num_classes=10)
    images = torch.rand(256, 1, 28, 28)
    loss = model.loss(images, torch.randint(10, (256,)), generator=torch.Generator().manual_seed(0))
    assert loss.item() == pytest.approx(1.0, abs=0.02)  # E[ε²] = 1


def test_denoiser_bad_input_errors():
    with pytest.raises(ValueError, match="base_channels must be a multiple of 8"):
        UNetDenoiser(base_channels=20)
    with pytest.raises(ValueError, match="image_size must be divisible by 2"):
        UNetDenoiser(image_size=30, channel_mults=(1, 2, 2))
    with pytest.raises(ValueError, match="channel_mults"):
        UNetDenoiser(channel_mults=())
    net = UNetDenoiser(28, 1, 16, (1, 2))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 28, 28\)"):
        net(torch.zeros(1, 1, 32, 32), torch.tensor([1]))
    with pytest.raises(ValueError, match="unconditional"):
        net(torch.zeros(1, 1, 28, 28), torch.tensor([1]), torch.tensor([0]))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\)"):
        MLPDenoiser()(torch.zeros(3, 3), torch.tensor([1, 1, 1]))


# ----------------------------------------------------------------------------
# The loss
# ----------------------------------------------------------------------------


def test_loss_is_zero_for_the_exact_denoiser_and_large_for_one_that_predicts_x0():
    """The classic slip - an ε-loss on a network that outputs x_0 - is caught by the loss value."""
    schedule = NoiseSchedule.cosine(100)
    point = torch.tensor([0.5, -0.25])
    x0 = point.expand(512, 2).clone()
    exact = PointMassDenoiser(schedule, point)
    loss = diffusion_loss(exact, schedule, x0, generator=torch.Generator().manual_seed(0))
    assert loss.item() < 1e-6
    predicts_x0 = lambda xt, t, labels=None: point.expand_as(xt)  # noqa: E731
    assert diffusion_loss(predicts_x0, schedule, x0, generator=torch.Generator().manual_seed(0)).item() > 0.5


class _LabelRecorder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, xt, t, labels=None):
        self.seen.append(labels.clone())
        return torch.zeros_like(xt)


@pytest.mark.parametrize("dropout, low, high", [(0.0, 0.0, 0.0), (0.3, 0.25, 0.35), (1.0, 1.0, 1.0)])
def test_label_dropout_replaces_that_share_of_labels_by_the_null_class(dropout, low, high):
    recorder = _LabelRecorder()
    labels = torch.arange(2000) % 10
    diffusion_loss(recorder, NoiseSchedule.cosine(10), torch.zeros(2000, 2), labels, label_dropout=dropout,
                   null_label=10, generator=torch.Generator().manual_seed(0))
    seen = recorder.seen[0]
    dropped = seen == 10
    assert low <= dropped.float().mean().item() <= high
    assert torch.equal(seen[~dropped], labels[~dropped])  # the others are untouched


def test_model_loss_bad_input_errors():
    model = ImageDiffusion(base_channels=16, channel_mults=(1, 2), num_classes=10)
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        model.loss(torch.full((2, 1, 28, 28), 2.0), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 9\]"):
        model.loss(torch.rand(2, 1, 28, 28), torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="label_dropout"):
        model.loss(torch.rand(2, 1, 28, 28), torch.tensor([0, 1]), label_dropout=1.5)
    with pytest.raises(ValueError, match="null_label"):
        diffusion_loss(model.denoiser, model.schedule, torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]), label_dropout=0.1)


# ----------------------------------------------------------------------------
# Samplers
# ----------------------------------------------------------------------------


def test_ddim_timesteps_sub_sequence():
    assert ddim_timesteps(1000, 1000) == list(range(1000, 0, -1))
    assert ddim_timesteps(1000, 1) == [1000]
    for steps in (2, 3, 7, 50, 999):
        sequence = ddim_timesteps(1000, steps)
        assert len(sequence) == steps and sequence[0] == 1000 and sequence[-1] == 1
        assert all(a > b for a, b in zip(sequence, sequence[1:]))
    with pytest.raises(ValueError, match="steps must be at most T=10"):
        ddim_timesteps(10, 11)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim-1", "ddim-10", "ddim-all"])
def test_samplers_return_the_point_when_the_data_is_one_point(sampler):
    schedule = NoiseSchedule.cosine(100)
    point = torch.tensor([0.4, -0.8, 1.0])
    denoiser = PointMassDenoiser(schedule, point)
    generator = torch.Generator().manual_seed(0)
    if sampler == "ddpm":
        out = ddpm_sample(denoiser, schedule, (64, 3), clip=None, generator=generator)
    else:
        steps = {"ddim-1": 1, "ddim-10": 10, "ddim-all": 100}[sampler]
        out = ddim_sample(denoiser, schedule, (64, 3), steps=steps, clip=None, generator=generator)
    # float32: x̂_0 at t = T divides by √ᾱ_T ≈ 3e-4, so rounding errors grow to ~1e-4 there
    assert torch.allclose(out, point.expand(64, 3), atol=1e-3)


@pytest.mark.parametrize("sampler, variance_or_steps", [("ddpm", "beta_tilde"), ("ddpm", "beta"), ("ddim", 200)])
def test_samplers_reproduce_gaussian_data_from_its_exact_denoiser(sampler, variance_or_steps):
    """With the exact ε of N(m, s²) data, both samplers must return N(m, s²): checks every coefficient.

    (With few steps they do not, exactly: the step sizes are finite. T = 1000 and
    200 DDIM steps are within 1 %; see the next test for fewer DDIM steps.)
    """
    schedule = NoiseSchedule.cosine(1000)
    mean, std = torch.tensor([1.0, -0.5]), torch.tensor([0.3, 0.8])
    denoiser = GaussianDenoiser(schedule, mean, std)
    n = 20_000
    generator = torch.Generator().manual_seed(0)
    if sampler == "ddpm":
        out = ddpm_sample(denoiser, schedule, (n, 2), clip=None, variance=variance_or_steps, generator=generator)
    else:
        out = ddim_sample(denoiser, schedule, (n, 2), steps=variance_or_steps, clip=None, generator=generator)
    assert torch.allclose(out.mean(0), mean, atol=5 * (std / math.sqrt(n)).max().item())
    assert torch.allclose(out.std(0), std, rtol=0.02)


def test_fewer_ddim_steps_shrink_the_spread_of_the_samples():
    """DDIM's coarse steps under-shoot the variance (a cost of fast sampling: less diversity)."""
    schedule = NoiseSchedule.cosine(1000)
    mean, std = torch.tensor([0.0]), torch.tensor([0.5])
    denoiser = GaussianDenoiser(schedule, mean, std)
    spread = [ddim_sample(denoiser, schedule, (20_000, 1), steps=steps, clip=None,
                          generator=torch.Generator().manual_seed(0)).std().item() for steps in (10, 50, 250)]
    assert spread[0] < spread[1] < spread[2] < 0.5 * 1.01
    assert spread[0] < 0.5 * 0.9  # 10 steps lose more than 10 % of the spread


def test_ddim_with_eta_one_and_every_step_is_ancestral_ddpm():
    """Song et al. 2021: ``η = 1`` over all ``T`` steps makes ``σ_t² = β̃_t``: the DDPM sampler, draw for draw."""
    torch.manual_seed(0)
    schedule = NoiseSchedule.cosine(40)
    denoiser = MLPDenoiser(3, 32, 2)
    for clip in (None, (-1.0, 1.0)):
        ddpm = ddpm_sample(denoiser, schedule, (16, 3), clip=clip, variance="beta_tilde",
                           generator=torch.Generator().manual_seed(5))
        ddim = ddim_sample(denoiser, schedule, (16, 3), steps=40, eta=1.0, clip=clip,
                           generator=torch.Generator().manual_seed(5))
        assert torch.allclose(ddpm, ddim, atol=1e-4), clip
    deterministic = ddim_sample(denoiser, schedule, (16, 3), steps=40, eta=0.0, generator=torch.Generator().manual_seed(5))
    assert not torch.allclose(deterministic, ddim, atol=1e-2)  # η matters


def test_ddim_with_eta_zero_draws_only_x_T_and_ddpm_draws_at_every_step():
    """Deterministic DDIM: the image is a function of ``x_T`` alone; DDPM draws fresh noise at every step."""
    torch.manual_seed(0)
    schedule = NoiseSchedule.cosine(50)
    denoiser = MLPDenoiser(2, 32, 2)
    only_x_T = torch.Generator().manual_seed(0)
    torch.randn(8, 2, generator=only_x_T)
    after_ddim = torch.Generator().manual_seed(0)
    ddim_sample(denoiser, schedule, (8, 2), steps=10, clip=None, generator=after_ddim)
    assert torch.equal(after_ddim.get_state(), only_x_T.get_state())
    after_ddpm = torch.Generator().manual_seed(0)
    ddpm_sample(denoiser, schedule, (8, 2), clip=None, generator=after_ddpm)
    for _ in range(49):  # x_T, then one z for each of t = 50..2 (none at t = 1)
        torch.randn(8, 2, generator=only_x_T)
    assert torch.equal(after_ddpm.get_state(), only_x_T.get_state())


def test_clipping_keeps_predicted_x0_in_the_data_range():
    torch.manual_seed(0)
    schedule = NoiseSchedule.cosine(30)
    far = PointMassDenoiser(schedule, torch.tensor([3.0, -3.0]))  # a model whose x̂_0 leaves [-1, 1]
    seen = []
    out = ddim_sample(far, schedule, (4, 2), steps=5, clip=(-1.0, 1.0), callback=lambda t, xt, x0: seen.append(x0))
    assert all(x0.abs().max() <= 1 for x0 in seen) and out.abs().max() <= 1
    unclipped = ddim_sample(far, schedule, (4, 2), steps=5, clip=None)
    assert torch.allclose(unclipped, torch.tensor([3.0, -3.0]).expand(4, 2), atol=1e-4)


# ----------------------------------------------------------------------------
# Classifier-free guidance
# ----------------------------------------------------------------------------


class _NanForNull(torch.nn.Module):
    """A conditional denoiser whose unconditional answer is NaN: any use of ε(x, ∅) shows."""

    def __init__(self, net, null_label):
        super().__init__()
        self.net, self.null_label = net, null_label

    def forward(self, xt, t, labels=None):
        out = self.net(xt, t, labels)
        if labels is None:
            return torch.full_like(out, math.nan)
        return torch.where((labels == self.null_label).view(-1, *[1] * (out.ndim - 1)), math.nan, out)


def _conditional_net():
    torch.manual_seed(0)
    net = UNetDenoiser(28, 1, 16, (1, 2), attention=False, num_classes=10)
    for parameter in net.parameters():
        torch.nn.init.normal_(parameter, 0, 0.05)
    return net


def test_guided_epsilon_is_one_plus_w_times_conditional_minus_w_times_unconditional():
    net = _conditional_net()
    x, t, labels = torch.randn(3, 1, 28, 28), torch.tensor([5, 50, 500]), torch.tensor([1, 7, 7])
    conditional, unconditional = net(x, t, labels), net(x, t, None)
    w = 2.5
    assert torch.allclose(guided_epsilon(net, x, t, labels, w, null_label=10),
                          (1 + w) * conditional - w * unconditional, atol=1e-5)
    assert torch.equal(guided_epsilon(net, x, t, labels, 0.0, null_label=10), conditional)
    assert torch.equal(guided_epsilon(net, x, t, None, w, null_label=10), unconditional)  # no label: no guidance


def test_guidance_zero_is_the_conditional_model_and_never_asks_the_unconditional_one():
    net = _conditional_net()
    schedule = NoiseSchedule.cosine(20)
    labels = torch.tensor([0, 3, 9])
    plain = ddim_sample(net, schedule, (3, 1, 28, 28), steps=5, labels=labels, guidance_scale=0.0,
                        null_label=10, generator=torch.Generator().manual_seed(0))
    no_unconditional = ddim_sample(_NanForNull(net, 10), schedule, (3, 1, 28, 28), steps=5, labels=labels,
                                   guidance_scale=0.0, null_label=10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(plain, no_unconditional)
    guided = ddim_sample(_NanForNull(net, 10), schedule, (3, 1, 28, 28), steps=5, labels=labels,
                         guidance_scale=1.0, null_label=10, generator=torch.Generator().manual_seed(0))
    assert torch.isnan(guided).all()  # w > 0 does use ε(x, ∅)


# ----------------------------------------------------------------------------
# The model wrapper: the course's sample() convention, JSON arguments, errors
# ----------------------------------------------------------------------------


def test_image_model_samples_in_unit_range_reproducibly_and_restores_train_mode():
    torch.manual_seed(0)
    model = ImageDiffusion(base_channels=16, channel_mults=(1, 2), num_classes=10, timesteps=50, sample_steps=5)
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, 0, 0.05)
    model.train()
    a = model.sample(4, generator=torch.Generator().manual_seed(1))
    b = model.sample(4, generator=torch.Generator().manual_seed(1))
    c = model.sample(4, generator=torch.Generator().manual_seed(2))
    assert a.shape == (4, 1, 28, 28) and a.dtype == torch.float32
    assert a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert model.training
    guided = model.sample(4, labels=[1, 2, 3, 4], generator=torch.Generator().manual_seed(1), guidance_scale=2.0)
    assert not torch.equal(guided, a)
    assert model.sample(2, labels=7, sampler="ddpm", generator=torch.Generator().manual_seed(1)).shape == (2, 1, 28, 28)


def test_point_model_samples_points():
    model = PointDiffusion(hidden_dim=16, n_hidden=1, timesteps=20, sample_steps=10)
    points = model.sample(10, generator=torch.Generator().manual_seed(0))
    assert points.shape == (10, 2) and points.dtype == torch.float32


def test_model_bad_input_errors():
    model = ImageDiffusion(base_channels=16, channel_mults=(1, 2), num_classes=10, timesteps=50)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        model.sample(0)
    with pytest.raises(ValueError, match=r"class indices in \[0, 9\]"):
        model.sample(2, labels=[0, 10])
    with pytest.raises(ValueError, match="one class index per image"):
        model.sample(2, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="sampler must be one of"):
        model.sample(2, sampler="euler")
    with pytest.raises(ValueError, match="guidance_scale must be a finite number >= 0"):
        model.sample(2, labels=[0, 1], guidance_scale=-1)
    with pytest.raises(ValueError, match="steps must be at most T=50"):
        model.sample(2, steps=51)
    with pytest.raises(ValueError, match="sample_steps must be at most timesteps"):
        ImageDiffusion(timesteps=10, sample_steps=50)
    with pytest.raises(ValueError, match="variance must be one of"):
        ImageDiffusion(variance="learned")
    with pytest.raises(ValueError, match="model is unconditional"):
        ImageDiffusion(base_channels=16, channel_mults=(1, 2)).sample(2, labels=[0, 1])
    with pytest.raises(ValueError, match="8-bit images"):
        model.bits_per_dim(torch.full((1, 1, 28, 28), 0.5))
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        PointDiffusion().loss(torch.zeros(4, 3))


def test_image_model_is_built_from_a_card_and_reloads_its_weights(tmp_path):
    torch.manual_seed(0)
    arguments = {"base_channels": 16, "channel_mults": [1, 2], "num_classes": 10, "timesteps": 60, "sample_steps": 4,
                 "guidance_scale": 1.5, "schedule": "linear"}
    card = {"architecture": "imgsynth_edu.models.diffusion.ImageDiffusion", "arguments": arguments}
    model = pretrained.build(card)
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, 0, 0.05)
    state = model.state_dict()
    assert not any("alpha" in key for key in state)  # the schedule is rebuilt from the arguments, not stored
    weights = tmp_path / "tiny-ddpm.pt"
    save_state_dict(state, weights)
    (tmp_path / "tiny-ddpm.json").write_text(json.dumps(card), encoding="utf-8")
    rebuilt = pretrained.load_file(weights)
    expected = model.sample(3, labels=[0, 1, 2], generator=torch.Generator().manual_seed(0))
    assert torch.equal(rebuilt.sample(3, labels=[0, 1, 2], generator=torch.Generator().manual_seed(0)), expected)
    (tmp_path / "tiny-ddpm.json").write_text(
        json.dumps({**card, "arguments": {**arguments, "base_channels": 24}}), encoding="utf-8")
    with pytest.raises(ValueError, match="does not match the architecture of its card"):
        pretrained.load_file(weights)


# ----------------------------------------------------------------------------
# The variational bound
# ----------------------------------------------------------------------------


def test_discretized_decoder_probabilities_sum_to_one_over_the_256_levels():
    levels = torch.arange(256, dtype=torch.float64) * 2 / 255 - 1  # every pixel value, in [-1, 1]
    for mean, std in ((0.0, 0.01), (0.9, 0.1), (-1.2, 0.5), (0.3, 1e-4)):
        log_p = discretized_gaussian_log_likelihood(levels, torch.tensor(mean, dtype=torch.float64),
                                                    torch.tensor(std, dtype=torch.float64))
        assert log_p.exp().sum().item() == pytest.approx(1.0, abs=1e-9)
        # and each bin against SciPy's normal CDF
        lower = np.where(levels.numpy() <= -1 + 1e-9, -np.inf, levels.numpy() - 1 / 255)
        upper = np.where(levels.numpy() >= 1 - 1e-9, np.inf, levels.numpy() + 1 / 255)
        # right of the mean, P = sf(lower) - sf(upper): the CDF difference would cancel near 1
        expected = np.where(lower > mean, stats.norm.sf(lower, mean, std) - stats.norm.sf(upper, mean, std),
                            stats.norm.cdf(upper, mean, std) - stats.norm.cdf(lower, mean, std))
        mask = expected > 1e-300
        np.testing.assert_allclose(log_p.numpy()[mask], np.log(expected[mask]), rtol=1e-6, atol=1e-9)


def _one_point_images():
    """Four 2×2 'images' on the 8-bit grid, including both end levels (the bins that reach ±∞)."""
    pixel_levels = torch.tensor([[0, 255, 128, 17]], dtype=torch.float64)  # k of k/255
    return (pixel_levels / 255 * 2 - 1).view(1, 1, 2, 2)  # model space


@pytest.mark.parametrize("variance", ["beta_tilde", "beta"])
def test_bound_of_the_exact_model_of_one_image_matches_closed_forms(variance):
    """Data = one image, denoiser = its exact ε: every term of the bound is known independently."""
    schedule = NoiseSchedule.cosine(100)
    x0 = _one_point_images().expand(3, 1, 2, 2).clone()
    denoiser = PointMassDenoiser(schedule, x0[0])
    bound = variational_bound(denoiser, schedule, x0, clip=None, variance=variance,
                              generator=torch.Generator().manual_seed(0))
    dims, bits = 4, 1 / (4 * math.log(2))
    betas = schedule.betas.numpy()
    alpha_bars = np.cumprod(1 - betas)
    # L_T: KL(N(√ᾱ_T x, 1-ᾱ_T) || N(0, 1)) summed over the pixels
    x = x0[0].flatten().numpy()
    mean_T, var_T = np.sqrt(alpha_bars[-1]) * x, 1 - alpha_bars[-1]
    prior = 0.5 * np.sum(mean_T**2 + var_T - 1 - np.log(var_T))
    # L_{t-1}: the model's mean is the posterior mean; only the variances can differ
    posterior_var = (1 - alpha_bars[1:-1]) / (1 - alpha_bars[2:]) * betas[2:]  # β̃_t for t = 2..T
    model_var = posterior_var if variance == "beta_tilde" else betas[2:]
    ratio = posterior_var / model_var
    diffusion = dims * np.sum(0.5 * (ratio - 1 - np.log(ratio)))
    # L_0: the decoder N(x, β_1) integrated over each pixel's bin (SciPy)
    std1 = math.sqrt(betas[1])
    lower = np.where(x <= -1 + 1e-9, -np.inf, x - 1 / 255)
    upper = np.where(x >= 1 - 1e-9, np.inf, x + 1 / 255)
    decoder = -np.sum(np.log(stats.norm.cdf(upper, x, std1) - stats.norm.cdf(lower, x, std1)))
    assert bound["prior"].numpy() == pytest.approx(np.full(3, prior * bits), rel=1e-6)
    assert bound["diffusion"].numpy() == pytest.approx(np.full(3, diffusion * bits), rel=1e-6, abs=1e-9)
    # (the network sees x_1 in float32: a relative error of ~1e-6 in L_0)
    assert bound["decoder"].numpy() == pytest.approx(np.full(3, decoder * bits), rel=1e-5)
    total = (prior + diffusion + decoder) * bits
    assert bound["bits_per_dim"].numpy() == pytest.approx(np.full(3, total), rel=1e-5)
    if variance == "beta":
        assert diffusion > 0.1  # the mismatch of β_t and β̃_t costs real bits: the check has teeth


def test_bound_from_sampled_timesteps_is_an_unbiased_estimate_of_the_full_sum():
    schedule = NoiseSchedule.cosine(60)
    x0 = _one_point_images().expand(4000, 1, 2, 2).clone()
    denoiser = PointMassDenoiser(schedule, x0[0])
    exact = variational_bound(denoiser, schedule, x0[:2], clip=None, variance="beta")["diffusion"][0].item()
    estimate = variational_bound(denoiser, schedule, x0, clip=None, variance="beta", timesteps=1,
                                 generator=torch.Generator().manual_seed(0))["diffusion"]
    standard_error = estimate.std().item() / math.sqrt(len(estimate))
    assert standard_error > 0  # the estimate is noisy per image ...
    assert estimate.mean().item() == pytest.approx(exact, abs=4 * standard_error)  # ... and right on average


def test_bound_of_a_model_on_real_digits_is_finite_and_worse_for_a_wrong_model():
    """An untrained U-Net (ε̂ = 0) gives a finite bound; a model of the exact wrong image gives a far worse one."""
    from imgsynth_edu.data import get_dataset

    digits = get_dataset("mnist-5k", "test").images[:4]
    model = ImageDiffusion(base_channels=16, channel_mults=(1, 2), num_classes=10, timesteps=20, sample_steps=5)
    result = model.bits_per_dim(digits, generator=torch.Generator().manual_seed(0))
    assert set(result) == {"bits_per_dim", "prior", "diffusion", "decoder"}
    assert result["bits_per_dim"].shape == (4,) and torch.isfinite(result["bits_per_dim"]).all()
    assert torch.allclose(result["bits_per_dim"], result["prior"] + result["diffusion"] + result["decoder"])
    labels = model.bits_per_dim(digits, labels=[0, 1, 2, 3], generator=torch.Generator().manual_seed(0))
    assert labels["bits_per_dim"].shape == (4,)
    # a model that is certain the image is its inverse is much worse than one that knows it
    schedule = model.schedule
    x0 = digits * 2 - 1
    right = variational_bound(PointMassDenoiser(schedule, x0[0]), schedule, x0[:1], clip=(-1.0, 1.0))
    wrong = variational_bound(PointMassDenoiser(schedule, -x0[0]), schedule, x0[:1], clip=(-1.0, 1.0))
    assert wrong["bits_per_dim"].item() > right["bits_per_dim"].item() + 1.0
