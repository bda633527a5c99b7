"""Lesson 07's denoising scrubber: t moves along one cached DDIM trajectory; x̂_0 is eq. 15; controls recompute."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from imgsynth_edu.models.diffusion import ImageDiffusion, PointDiffusion
from imgsynth_edu.widgets import DenoisingScrubber
from imgsynth_edu.widgets.diffusion import noisy_for_display


@pytest.fixture(scope="module")
def model():
    """A tiny class-conditional image model whose zero-initialised weights are made random.

    A fresh U-Net predicts ε̂ = 0 and its residual blocks ignore the label (their last
    convolutions start at zero), so guidance would change nothing.
    """
    torch.manual_seed(0)
    diffusion = ImageDiffusion(image_size=8, channels=1, base_channels=8, channel_mults=(1, 2), attention=False,
                               num_classes=3, timesteps=50, sample_steps=10, eta=0.0).eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in diffusion.denoiser.parameters():
            if parameter.ndim > 1 and not parameter.any():
                parameter.normal_(0, 0.05, generator=generator)
    return diffusion


@pytest.fixture
def scrubber(model):
    return DenoisingScrubber(model, digit=1, seed=0, steps=5, guidance_scale=1.0, max_steps=20, max_guidance=4.0)


def test_moving_t_changes_the_picture_and_caption_without_resampling(scrubber, monkeypatch):
    assert set(scrubber.controls) == {"digit", "seed", "steps", "guidance", "t"}
    assert all(control.description for control in scrubber.controls.values())
    assert scrubber.controls["t"].value == 50 and "t = 50 (step 0 of 5)" in scrubber.caption.value
    calls = []
    monkeypatch.setattr(scrubber.model, "sample", lambda *a, **k: calls.append(1))  # a cached trajectory needs none
    shown = []
    for t in (40, 20, 1, 0):
        before_png, before_caption = scrubber.image.value, scrubber.caption.value
        scrubber.controls["t"].value = t
        assert scrubber.image.value != before_png, t
        assert scrubber.caption.value != before_caption, t
        shown.append(scrubber.controls["t"].value)
    assert calls == []
    kept = scrubber.trajectory(1, 0, 5, 1.0).timesteps
    assert kept == (50, 38, 26, 14, 1, 0)
    assert shown == [38, 14, 1, 0]  # the slider snaps to the nearest kept timestep (ties: the later one)
    assert "t = 14 (step 3 of 5)" in scrubber.render(t=20)["caption"]


def test_the_end_of_the_trajectory_is_the_sample(scrubber, model):
    for steps, guidance in ((5, 1.0), (8, 3.0)):
        expected = model.sample(1, 1, generator=torch.Generator().manual_seed(0), steps=steps, guidance_scale=guidance)
        end = scrubber.render(t=0, steps=steps, guidance_scale=guidance)
        torch.testing.assert_close(model.from_model_space(end["noisy"]), expected)  # x_0 in the course's space
        torch.testing.assert_close(end["predicted"], expected)
        start = scrubber.render(t=model.schedule.T, steps=steps, guidance_scale=guidance)
        assert not torch.allclose(start["predicted"], expected, atol=0.05)  # at t = T the guess is not the end
    x_T = torch.randn(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))  # what the sampler starts from
    torch.testing.assert_close(scrubber.render(t=50)["noisy"], x_T)


def test_predicted_x0_is_eq_15_on_the_guided_noise_prediction(scrubber, model):
    w, label = 2.0, 2
    for t in (50, 26, 14):
        shown = scrubber.render(t=t, digit=label, steps=5, guidance_scale=w)
        xt, step = shown["noisy"], torch.tensor([shown["t"]])
        with torch.no_grad():  # ε̃ = (1 + w) ε(x_t, y) - w ε(x_t, ∅), computed by hand
            eps = (1 + w) * model.denoiser(xt, step, torch.tensor([label])) - w * model.denoiser(xt, step, torch.tensor([3]))
        alpha_bar = model.schedule.alpha_bars[shown["t"]]
        x0 = ((xt - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()).clamp(-1, 1)  # eq. 15, clipped as the sampler
        torch.testing.assert_close(shown["predicted"], (x0 + 1) / 2)


def test_steps_guidance_digit_and_seed_recompute_the_trajectory(scrubber, model):
    scrubber.controls["t"].value = 14
    calls = []
    original = model.sample

    def counted(*args, **kwargs):
        calls.append(kwargs["steps"])
        return original(*args, **kwargs)

    scrubber.model.sample = counted
    try:
        for name, value, words in [("steps", 10, "10 DDIM steps"), ("guidance", 3.0, "guidance w = 3.0"),
                                   ("digit", 0, "digit 0,"), ("seed", 4, "seed 4,")]:
            before_png, before_caption, before_calls = scrubber.image.value, scrubber.caption.value, len(calls)
            scrubber.controls[name].value = value
            assert len(calls) == before_calls + 1, name  # one new trajectory per new setting
            assert scrubber.image.value != before_png, name
            assert scrubber.caption.value != before_caption and words in scrubber.caption.value, name
        assert calls[0] == 10
        assert scrubber.controls["t"].value in scrubber.trajectory(0, 4, 10, 3.0).timesteps  # snapped to the new τ
        scrubber.controls["steps"].value = 5  # an earlier setting: cached, no new sample
        scrubber.controls["steps"].value = 10
        assert len(calls) == 5
    finally:
        del scrubber.model.sample
    trajectory = scrubber.trajectory(0, 4, 10, 3.0)
    assert trajectory.noisy.shape == trajectory.predicted.shape == (11, 1, 8, 8)
    guided, plain = scrubber.trajectory(1, 0, 5, 3.0), scrubber.trajectory(1, 0, 5, 0.0)
    assert not torch.allclose(guided.sample, plain.sample)  # guidance reaches the sampler


def test_noisy_for_display_maps_the_data_range_and_counts_what_it_saturates():
    picture, share = noisy_for_display(torch.tensor([[[[-1.0, 0.0, 1.0, 3.0]]]]))
    torch.testing.assert_close(picture, torch.tensor([[[[0.0, 0.5, 1.0, 1.0]]]]))
    assert share == 0.25


def test_static_figure_shows_x_t_over_x0(scrubber):
    fig = scrubber.static_figure(digit=2, seed=1, steps=5, guidance_scale=0.5, columns=4)
    assert len(fig.axes) == 2 * 4
    assert [ax.get_title() for ax in fig.axes[:4]] == ["t = 50", "t = 26", "t = 14", "t = 0"]  # 4 of 6, evenly spread
    assert fig.axes[0].get_ylabel() == "x_t" and fig.axes[4].get_ylabel() == "predicted x̂_0"


def test_bad_arguments_name_the_argument(scrubber, model):
    with pytest.raises(TypeError, match="model must be a GaussianDiffusion"):
        DenoisingScrubber(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="model must be class-conditional"):
        DenoisingScrubber(ImageDiffusion(image_size=8, base_channels=8, channel_mults=(1, 2), attention=False,
                                         timesteps=50))
    with pytest.raises(ValueError, match="model must make images"):
        DenoisingScrubber(PointDiffusion(timesteps=50))
    with pytest.raises(ValueError, match="max_steps must be at most T=50"):
        DenoisingScrubber(model, max_steps=60)
    with pytest.raises(ValueError, match="digit must be one of"):
        DenoisingScrubber(model, digit=3)
    with pytest.raises(ValueError, match="steps must be at most max_steps=50"):  # max_steps defaults to T
        DenoisingScrubber(model, digit=0, steps=51)
    with pytest.raises(ValueError, match="digit must be one of"):
        scrubber.render(digit=7)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        scrubber.render(seed=-1)
    with pytest.raises(ValueError, match="steps must be at most max_steps=20"):
        scrubber.render(steps=21)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        scrubber.render(steps=0)
    with pytest.raises(ValueError, match="guidance_scale must be a finite number >= 0"):
        scrubber.render(guidance_scale=-1.0)
    with pytest.raises(ValueError, match="guidance_scale must be at most max_guidance=4.0"):
        scrubber.render(guidance_scale=5.0)
    with pytest.raises(ValueError, match=r"t must be an integer in \[0, T=50\]"):
        scrubber.render(t=51)
    with pytest.raises(ValueError, match=r"t must be an integer in \[0, T=50\]"):
        scrubber.render(t=0.5)
