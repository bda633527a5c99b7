"""The SR comparison widget: every control changes what is shown."""

from __future__ import annotations

import matplotlib.figure
import pytest
import torch

from imgsynth_edu.models.srresnet import SRResNet
from imgsynth_edu.widgets.sr import GROUND_TRUTH, SRComparison, region_scores


@pytest.fixture
def comparison():
    generator = torch.Generator().manual_seed(0)
    truth = torch.rand(3, 64, 80, generator=generator)
    blurry = torch.nn.functional.avg_pool2d(truth[None], 3, 1, 1)[0]
    noisy = (truth + 0.05 * torch.randn(3, 64, 80, generator=generator)).clamp(0, 1)
    return SRComparison(truth, {"blurry": blurry, "noisy": noisy}, zoom_size=24)


def test_initial_state(comparison):
    assert list(comparison.controls["left"].options) == ["blurry", "noisy", GROUND_TRUTH]
    assert comparison.controls["left"].value == "blurry" and comparison.controls["right"].value == "noisy"
    assert all(control.description for control in comparison.controls.values())
    assert comparison.images["view"].value[:4] == b"\x89PNG"
    assert "blurry" in comparison.caption.value and "noisy" in comparison.caption.value


@pytest.mark.parametrize("name, value", [
    ("wipe", 0.2), ("zoom_x", 3), ("zoom_y", 30), ("zoom_size", 40), ("left", GROUND_TRUTH), ("right", "blurry"),
])
def test_every_control_changes_the_view(comparison, name, value):
    before = comparison.images["view"].value
    comparison.controls[name].value = value
    assert comparison.images["view"].value != before


def test_moving_the_zoom_changes_the_zooms_and_the_scores(comparison):
    before = (comparison.images["zoom_left"].value, comparison.caption.value)
    comparison.controls["zoom_x"].value = 0
    comparison.controls["zoom_y"].value = 0
    assert comparison.images["zoom_left"].value != before[0]
    assert comparison.caption.value != before[1]
    top, left, size = comparison.zoom_region()
    assert (top, left, size) == (0, 0, 24)
    expected = region_scores(comparison.results["noisy"], comparison.truth, 0, 0, 24)
    assert f"{expected['psnr']:.2f} dB" in comparison.caption.value


def test_region_scores_rank_the_closer_image_higher(comparison):
    scores = comparison.scores()
    assert set(scores) == {"blurry", "noisy"}
    assert scores["noisy"]["psnr"] > scores["blurry"]["psnr"]  # σ = 0.05 noise vs blurring pure noise
    perfect = region_scores(comparison.truth, comparison.truth, 0, 0, 16)
    assert perfect["psnr"] == float("inf") and perfect["ssim"] == pytest.approx(1.0)


def test_the_wipe_puts_left_left_and_right_right(comparison):
    comparison.controls["zoom_x"].value = 0
    comparison.controls["zoom_y"].value = 40  # keep the zoom outline away from row 5
    comparison.controls["wipe"].value = 0.5
    view = comparison.composite()
    assert torch.equal(view[..., 5, :30], comparison.results["blurry"][..., 5, :30])
    assert torch.equal(view[..., 5, 45:], comparison.results["noisy"][..., 5, 45:])


def test_zoom_stays_inside_when_it_grows(comparison):
    comparison.controls["zoom_x"].value = comparison.controls["zoom_x"].max
    comparison.controls["zoom_size"].value = 60
    top, left, size = comparison.zoom_region()
    assert left + size <= 80 and top + size <= 64


def test_static_figure_and_from_models():
    torch.manual_seed(0)
    truth = torch.rand(3, 40, 48)
    model = SRResNet(scale=4, num_blocks=1, channels=4, batch_norm=False, bicubic_skip=True)
    comparison = SRComparison.from_models(truth, 4, {"SRResNet": model}, zoom_size=16)
    assert list(comparison.results) == ["bicubic", "SRResNet", GROUND_TRUTH]
    # a zero-tail bicubic-skip model is bicubic, so both score the same
    scores = comparison.scores()
    assert scores["SRResNet"]["psnr"] == pytest.approx(scores["bicubic"]["psnr"], abs=1e-3)
    figure = comparison.static_figure()
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 6


def test_bad_inputs_are_named():
    truth = torch.rand(3, 32, 32)
    with pytest.raises(ValueError, match="results\\['x'\\]"):
        SRComparison(truth, {"x": torch.rand(3, 16, 16)})
    with pytest.raises(ValueError, match="left"):
        SRComparison(truth, {"x": truth}, left="nope")
    with pytest.raises(ValueError, match="results"):
        SRComparison(truth, {})


# --- network interpolation ---------------------------------------------------
from imgsynth_edu.models.srresnet import upscale_tiled  # noqa: E402
from imgsynth_edu.widgets.sr import NetworkInterpolation, plot_perception_distortion  # noqa: E402


def _curve(alphas=(0.0, 0.25, 0.5, 0.75, 1.0)):
    return [{"alpha": a, "psnr_y": 30.0 - 2 * a, "niqe": 8.0 - 3 * a} for a in alphas]


@pytest.fixture
def interpolation():
    torch.manual_seed(0)
    psnr_model = SRResNet(scale=4, num_blocks=1, channels=8, batch_norm=False, bicubic_skip=True)
    gan_model = SRResNet(scale=4, num_blocks=1, channels=8, batch_norm=False, bicubic_skip=True)
    with torch.no_grad():  # the tails start at zero (pure bicubic): make the two networks differ
        psnr_model.tail.weight.normal_(0, 0.01)
        gan_model.tail.weight.normal_(0, 0.05)
    truth = torch.rand(3, 32, 40, generator=torch.Generator().manual_seed(1))
    return NetworkInterpolation(psnr_model, gan_model, truth, 4, _curve(), references={"bicubic": {"psnr_y": 29.0,
                                                                                                   "niqe": 9.0}})


def test_interpolation_ends_show_the_two_networks(interpolation):
    low_res = interpolation.low_res
    torch.testing.assert_close(interpolation.picture(0.0), upscale_tiled(interpolation.psnr_model, low_res, 4))
    torch.testing.assert_close(interpolation.picture(1.0), upscale_tiled(interpolation.gan_model, low_res, 4))
    assert not torch.equal(interpolation.picture(0.5), interpolation.picture(0.0))


def test_moving_alpha_changes_picture_plane_and_caption(interpolation):
    assert interpolation.caption.value.endswith(interpolation.caption_text(0.0))
    before = {name: image.value for name, image in interpolation.images.items()}
    interpolation.controls["alpha"].value = 0.75
    after = {name: image.value for name, image in interpolation.images.items()}
    assert all(after[name] != before[name] for name in before) and all(v[:4] == b"\x89PNG" for v in after.values())
    assert "α = 0.75: Y-PSNR 28.50 dB, NIQE 5.75" in interpolation.caption.value


def test_the_slider_steps_between_measured_points(interpolation):
    slider = interpolation.controls["alpha"]
    assert (slider.min, slider.max, slider.step) == (0.0, 1.0, 0.25)
    assert slider.description
    assert interpolation.point(0.3)["alpha"] == 0.25  # a value off the grid reads the nearest measured point


@pytest.mark.parametrize("curve, match", [
    (_curve((0.0,)), "at least two"),
    (_curve((0.0, 0.5)), "from α = 0 to α = 1"),
    (_curve((0.0, 0.2, 1.0)), "evenly spaced"),
    ([{"alpha": 0.0, "psnr_y": 1.0}, {"alpha": 1.0, "psnr_y": 1.0}], "niqe"),
])
def test_interpolation_refuses_a_bad_curve(interpolation, curve, match):
    with pytest.raises(ValueError, match=match):
        NetworkInterpolation(interpolation.psnr_model, interpolation.gan_model, interpolation.truth, 4, curve)


def test_interpolation_static_figure_and_plane(interpolation):
    figure = interpolation.static_figure()
    assert isinstance(figure, matplotlib.figure.Figure)
    assert len(figure.axes) == 6  # bicubic, three α, the truth, the plane
    ax = plot_perception_distortion(_curve(), {"bicubic": {"psnr_y": 29.0, "niqe": 9.0}}, current=0.5)
    marked = [line for line in ax.lines if line.get_marker() == "*"]
    assert len(marked) == 1 and marked[0].get_xdata()[0] == 29.0 and marked[0].get_ydata()[0] == 6.5
