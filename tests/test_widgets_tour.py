"""The tour's DegradationExplorer: driving each control changes what is displayed."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from imgsynth_edu.data import degrade
from imgsynth_edu.viz import image_to_png
from imgsynth_edu.widgets import working_copy
from imgsynth_edu.widgets.tour import DEGRADATIONS, DegradationExplorer, apply_degradation, describe

PHOTOS = ("astronaut", "camera", "coffee")


@pytest.fixture(scope="module")
def explorer() -> DegradationExplorer:
    return DegradationExplorer(PHOTOS, size=96)


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def _psnr_from_caption(caption: str) -> float:
    return float(caption.split("PSNR ")[1].split(" dB")[0])


def test_controls_are_described_core_widgets(explorer):
    assert set(explorer.controls) == {"photo", "degradation", "strength", "seed"}
    for name, control in explorer.controls.items():
        assert control.description, f"control {name} has no description"
    assert list(explorer.controls["degradation"].options) == list(DEGRADATIONS)
    assert explorer.widget.children, "the container is empty"


def test_initial_display_matches_render(explorer):
    explorer.controls["photo"].value = "astronaut"
    explorer.controls["degradation"].value = "gaussian blur"
    explorer.controls["strength"].value = 1.5
    shown = _decode(explorer.images["degraded"].value)
    assert shown.shape == (192, 192, 3)  # 96×96 working copy shown at zoom 2
    expected = explorer.render("astronaut", "gaussian blur", 1.5)
    assert explorer.images["degraded"].value == image_to_png(expected["degraded"], 2)
    assert f"{expected['psnr']:.2f} dB" in explorer.caption.value
    assert "sigma = 1.5 px" in explorer.caption.value


def test_strength_changes_image_and_caption(explorer):
    explorer.controls["degradation"].value = "gaussian blur"
    explorer.controls["strength"].value = 0.5
    before_png, before_caption = explorer.images["degraded"].value, explorer.caption.value
    explorer.controls["strength"].value = 3.0
    assert explorer.images["degraded"].value != before_png
    assert explorer.caption.value != before_caption
    # more blur, lower PSNR
    assert _psnr_from_caption(explorer.caption.value) < _psnr_from_caption(before_caption)


def test_photo_changes_both_images(explorer):
    explorer.controls["photo"].value = "astronaut"
    original, degraded = explorer.images["original"].value, explorer.images["degraded"].value
    explorer.controls["photo"].value = "camera"
    assert explorer.images["original"].value != original
    assert explorer.images["degraded"].value != degraded
    assert explorer.caption.value.startswith("<p") and "camera:" in explorer.caption.value


@pytest.mark.parametrize("name", list(DEGRADATIONS))
def test_degradation_switch_reconfigures_slider(explorer, name):
    explorer.controls["degradation"].value = "gaussian blur" if name != "gaussian blur" else "JPEG"
    before = explorer.images["degraded"].value
    explorer.controls["degradation"].value = name
    spec = DEGRADATIONS[name]
    slider = explorer.controls["strength"]
    assert (slider.min, slider.max, slider.value) == (spec.minimum, spec.maximum, spec.default)
    assert slider.description == spec.label
    assert explorer.images["degraded"].value != before
    assert name in explorer.caption.value
    assert explorer.controls["seed"].disabled is (not spec.random)


def test_seed_changes_noise_only(explorer):
    explorer.controls["photo"].value = "coffee"
    explorer.controls["degradation"].value = "gaussian noise"
    explorer.controls["seed"].value = 0
    before = explorer.images["degraded"].value
    explorer.controls["seed"].value = 3
    assert explorer.images["degraded"].value != before
    assert "seed 3" in explorer.caption.value
    explorer.controls["degradation"].value = "JPEG"
    jpeg = explorer.images["degraded"].value
    explorer.controls["seed"].value = 4
    assert explorer.images["degraded"].value == jpeg, "JPEG is deterministic: the seed must not matter"


def test_psnr_caption_is_correct(explorer):
    explorer.controls["photo"].value = "astronaut"
    explorer.controls["degradation"].value = "JPEG"
    explorer.controls["strength"].value = 10
    original = explorer.photo("astronaut").double()
    degraded = degrade(explorer.photo("astronaut"), jpeg=10).double()
    expected = 10 * math.log10(1.0 / torch.mean((original - degraded) ** 2).item())
    assert _psnr_from_caption(explorer.caption.value) == pytest.approx(expected, abs=0.01)


def test_zero_blur_is_identity_and_says_so():
    explorer = DegradationExplorer(("astronaut",), size=48, strength=0.0)
    assert explorer.images["degraded"].value == explorer.images["original"].value
    assert "∞" in explorer.caption.value


def test_bicubic_down_up_keeps_size_and_loses_detail():
    image = working_copy(torch.rand(3, 60, 60), 48)
    assert image.shape == (1, 3, 48, 48)
    for scale in (2, 3, 4):
        restored = apply_degradation(image, "bicubic down+up", scale)
        assert torch.equal(restored, degrade(image, scale=scale))
        assert restored.shape == image.shape
        assert not torch.allclose(restored, image)


def test_noise_is_deterministic_under_seed():
    image = torch.rand(1, 3, 24, 24)
    a = apply_degradation(image, "poisson noise", 20, seed=5)
    b = apply_degradation(image, "poisson noise", 20, seed=5)
    c = apply_degradation(image, "poisson noise", 20, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(a, degrade(image, photons=20.0, seed=5))  # the explorer is data.degrade with one keyword


def test_working_copy_shrinks_then_crops():
    photo = torch.rand(3, 200, 300)
    copy = working_copy(photo, 96)
    assert copy.shape == (1, 3, 96, 96)
    small = working_copy(torch.rand(3, 50, 80), 96)  # short side 50 -> largest multiple of 12
    assert small.shape == (1, 3, 48, 48)


def test_describe_states_parameters():
    assert describe("gaussian noise", 0.1, seed=2) == "gaussian noise, sigma = 0.10, seed 2"
    assert describe("JPEG", 30, seed=2) == "JPEG, quality = 30"


def test_static_figure_has_all_degradations(explorer):
    fig = explorer.static_figure("camera")
    axes = fig.axes
    assert len(axes) == 3 * len(DEGRADATIONS)
    titles = [ax.get_title() for ax in axes]
    assert sum("PSNR" in title for title in titles) == 2 * len(DEGRADATIONS)
    labels = [ax.get_ylabel() for ax in axes[::3]]
    assert labels == list(DEGRADATIONS)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="degradation"):
        apply_degradation(torch.rand(1, 3, 24, 24), "motion blur", 1.0)
    with pytest.raises(ValueError, match="strength"):
        apply_degradation(torch.rand(1, 3, 24, 24), "JPEG", 200)
    with pytest.raises(ValueError, match="image"):
        apply_degradation(torch.rand(3, 24, 24), "JPEG", 20)
    with pytest.raises(ValueError, match="photos"):
        DegradationExplorer(("not-a-photo",))
    with pytest.raises(ValueError, match="size"):
        DegradationExplorer(("astronaut",), size=50)
    with pytest.raises(ValueError, match="photo"):
        DegradationExplorer(("astronaut",), photo="camera")
    with pytest.raises(ValueError, match="zoom"):
        DegradationExplorer(("astronaut",), zoom=0)


def test_a_blur_too_small_to_change_any_pixel_is_captioned_identical():
    explorer = DegradationExplorer(("astronaut",), size=48, strength=0.1)
    assert "PSNR ∞ (identical)" in explorer.caption.value and " dB" not in explorer.caption.value
