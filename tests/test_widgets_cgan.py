"""Lesson 03's widgets: every control changes what is shown; static figures draw."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu.models.cgan import ConditionalDCGANGenerator, InpaintingGenerator
from imgsynth_edu.widgets.cgan import ClassPicker, InpaintingPainter


@pytest.fixture
def picker():
    torch.manual_seed(0)
    return ClassPicker(ConditionalDCGANGenerator(latent_dim=8, base_channels=8).eval(), n_samples=4)


@pytest.fixture
def painter():
    torch.manual_seed(0)
    images = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    return InpaintingPainter(InpaintingGenerator(channels=1, base_channels=8).eval(), images)


def test_class_picker_controls_change_the_picture(picker):
    assert set(picker.controls) == {"mode", "digit", "seed"}
    assert all(control.description for control in picker.controls.values())
    for name, value in [("digit", 3), ("seed", 5), ("mode", "noise row")]:
        before_image, before_caption = picker.image.value, picker.caption.value
        picker.controls[name].value = value
        assert picker.image.value != before_image, name
        assert picker.caption.value != before_caption, name
    assert picker.controls["digit"].disabled  # the digit slider has no effect in "noise row" mode


def test_class_picker_noise_row_shares_noise_across_classes(picker):
    result = picker.render("noise row", 0, seed=1)
    side, pad = 28, 2
    assert result["grid"].shape == (1, 3 * (side + pad) + pad, 10 * (side + pad) + pad)
    again = picker.render("noise row", 0, seed=1)
    assert torch.equal(result["grid"], again["grid"])
    with pytest.raises(ValueError, match="mode"):
        picker.render("sideways", 0, 0)


def test_class_picker_needs_a_conditional_generator():
    with pytest.raises(TypeError, match="class-conditional"):
        ClassPicker(torch.nn.Linear(2, 2))


def test_class_picker_static_figure(picker):
    fig = picker.static_figure(seeds=(0, 1))
    assert len(fig.axes) == 1 and fig.axes[0].get_xlabel().startswith("label")


def test_painter_controls_change_the_picture(painter):
    assert set(painter.controls) == {"image", "mask", "size", "row", "column", "seed"}
    assert all(control.description for control in painter.controls.values())
    steps = [("image", 1), ("size", 0.3), ("row", 3), ("column", -3), ("mask", "strokes"), ("seed", 4),
             ("mask", "random boxes")]
    for name, value in steps:
        before = painter.image.value
        painter.controls[name].value = value
        assert painter.image.value != before, name
    assert "random boxes" in painter.caption.value and "hole PSNR" in painter.caption.value
    assert painter.controls["row"].disabled and not painter.controls["seed"].disabled


def test_painter_render_keeps_known_pixels_and_scores_both(painter):
    result = painter.render(0, "centre box", 0.4)
    known = result["masks"][0] == 0
    assert torch.equal(result["gan"][known.expand_as(result["gan"])], result["truth"][known.expand_as(result["truth"])])
    assert torch.equal(result["biharmonic"][known.expand_as(result["truth"])], result["truth"][known.expand_as(result["truth"])])
    assert set(result["psnr"]) == {"gan", "biharmonic"}


def test_painter_says_when_it_limits_the_box_position(painter):
    inside = painter.render(0, "centre box", 0.6, row=2)
    limited = painter.render(0, "centre box", 0.6, row=7)
    assert "limited" not in inside["caption"] and "limited" in limited["caption"]


def test_painter_static_figure(painter):
    fig = painter.static_figure(indices=(0, 1))
    assert len(fig.axes) == 8
    assert fig.axes[1].get_xlabel().startswith("hole PSNR")
