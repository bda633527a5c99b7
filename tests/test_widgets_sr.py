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
