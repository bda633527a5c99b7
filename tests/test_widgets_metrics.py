"""The lesson-04 quality playground: every control changes what is displayed, and the caption is right."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu.data import change_brightness, shift_right
from imgsynth_edu.metrics import ms_ssim, psnr, ssim
from imgsynth_edu.widgets.metrics import SETTINGS, QualityPlayground, check_settings, format_scores


@pytest.fixture(scope="module")
def playground() -> QualityPlayground:
    return QualityPlayground(("astronaut", "camera"), size=168)


def test_controls_are_described_core_widgets(playground):
    assert set(playground.controls) == {"photo", *SETTINGS}
    for control in playground.controls.values():
        assert control.description


def test_starts_identical_with_perfect_scores(playground):
    assert playground.last["scores"]["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert "PSNR ∞" in playground.caption.value


@pytest.mark.parametrize(("name", "value"), [("blur", 1.5), ("noise", 0.05), ("jpeg", 10), ("shift", 1),
                                             ("brightness", 0.1), ("photo", "camera")])
def test_each_control_changes_the_picture_and_the_caption(playground, name, value):
    control = playground.controls[name]
    old_image, old_caption = playground.images["degraded"].value, playground.caption.value
    neutral = control.value
    control.value = value
    try:
        assert playground.caption.value != old_caption
        if name != "photo":
            assert playground.images["degraded"].value != old_image
        result = playground.last
        expected = format_scores({
            "psnr": float(psnr(result["degraded"], result["original"])),
            "ssim": float(ssim(result["degraded"], result["original"])),
            "ms_ssim": float(ms_ssim(result["degraded"], result["original"])),
        })
        assert expected in playground.caption.value
    finally:
        control.value = neutral


def test_one_pixel_shift_hurts_scores_more_than_mild_brightness(playground):
    shifted = playground.render("astronaut", shift=1)["scores"]
    brighter = playground.render("astronaut", brightness=0.02)["scores"]
    assert shifted["ssim"] < brighter["ssim"]


def test_helpers_keep_range_and_geometry():
    image = torch.rand(1, 3, 20, 20, generator=torch.Generator().manual_seed(0))
    for amount in (-0.3, 0.3):
        changed = change_brightness(image, amount)
        assert changed.min() >= 0 and changed.max() <= 1
    shifted = shift_right(image, 2)
    assert torch.equal(shifted[..., 2:], image[..., :-2])
    assert torch.equal(shifted[..., 0], image[..., 0])
    with pytest.raises(ValueError, match="blur must lie"):
        check_settings({"blur": 10})
    with pytest.raises(ValueError, match="setting must be one of"):
        check_settings({"motion": 1})
    with pytest.raises(ValueError, match="noise must lie"):
        QualityPlayground(("astronaut",), size=168).render("astronaut", noise=0.5)
    with pytest.raises(ValueError, match="size must be a multiple of 12 and at least 168"):
        QualityPlayground(size=96)


def test_static_figure_has_one_panel_per_example(playground):
    figure = playground.static_figure("astronaut")
    titled = [ax for ax in figure.axes if ax.images]
    assert len(titled) == 6
    assert "PSNR" in titled[1].get_title()


def test_the_first_blur_step_is_captioned_identical_not_hundreds_of_db(playground):
    """σ = 0.1 px changes the floats by ~1e-22 and no 8-bit pixel: the caption must not print ~470 dB."""
    result = playground.render("astronaut", blur=0.1)
    assert result["scores"]["identical"] and result["scores"]["psnr"] > 100  # the float PSNR is absurd...
    assert "PSNR ∞ (identical)" in result["caption"]  # ... so the caption says what the eye sees
    assert " dB" not in result["caption"]
    changed = playground.render("astronaut", blur=0.5)
    assert not changed["scores"]["identical"] and f"{changed['scores']['psnr']:.2f} dB" in changed["caption"]
    figure = playground.static_figure("astronaut", examples=[("blur σ = 0.1", {"blur": 0.1})])
    assert "PSNR ∞ (identical)" in figure.axes[0].get_title()
