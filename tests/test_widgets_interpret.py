"""Interpretability widgets: every control changes what is displayed; the captions say what is explained."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from imgsynth_edu import seed_everything
from imgsynth_edu.interpret import ganspace_directions, saliency
from imgsynth_edu.models.gan import DCGANGenerator
from imgsynth_edu.widgets import AttributionExplorer, LatentDirectionExplorer


@pytest.fixture
def small_generator():
    seed_everything(0)
    return DCGANGenerator(latent_dim=16, image_size=28, channels=1, width=8)


@pytest.fixture
def directions(small_generator):
    return ganspace_directions(small_generator, "net.2", n_samples=200, n_components=4, seed=0)


def _subjects():
    seed_everything(0)
    classifier = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 12 * 12, 3))
    critic = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 12 * 12, 1))
    upscaler = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2))  # (N, 3, h, w) -> (N, 3, 2h, 2w)
    generator = torch.Generator().manual_seed(1)
    digits = {f"digit {i}": torch.rand(1, 1, 12, 12, generator=generator) for i in range(2)}
    photo = {"photo": torch.rand(1, 3, 12, 12, generator=generator)}
    return {"classifier": (classifier, digits), "critic": (critic, digits), "upscaler": (upscaler, photo)}


def test_latent_direction_explorer_controls_change_the_picture(small_generator, directions):
    explorer = LatentDirectionExplorer(small_generator, directions, n_rows=2, steps=5)
    assert set(explorer.controls) == {"component", "t", "seed"}
    assert "component 1 (" in explorer.caption.value and "t = +0.00" in explorer.caption.value
    for name, value, words in [("t", 2.0, "t = +2.00"), ("component", 3, "component 3 ("), ("seed", 7, "seed 7")]:
        before_png, before_caption = explorer.image.value, explorer.caption.value
        explorer.controls[name].value = value
        assert explorer.image.value != before_png, name
        assert explorer.caption.value != before_caption and words in explorer.caption.value, name
    share = float(directions.explained_variance_ratio[2])
    assert f"{share:.1%} of the variance of net.2" in explorer.caption.value
    assert all(getattr(c, "description", "") for c in explorer.controls.values())


def test_latent_direction_explorer_moves_along_the_chosen_direction(small_generator, directions):
    explorer = LatentDirectionExplorer(small_generator, directions, n_rows=1)
    at_zero = explorer.render(component=2, t=0.0)["images"]
    assert torch.allclose(at_zero, small_generator.decode(explorer._latents(0)))  # t = 0 is the unedited sample
    direction = directions.directions[1]
    moved = small_generator.decode(explorer._latents(0) + 1.5 * direction / direction.norm())
    assert torch.allclose(explorer.render(component=2, t=1.5)["images"], moved)
    assert not torch.allclose(explorer.render(component=1, t=1.5)["images"], moved)
    with pytest.raises(ValueError, match="component must be in"):
        explorer.render(component=5)
    with pytest.raises(ValueError, match="t must be in"):
        explorer.render(t=4.0)
    fig = explorer.static_figure(components=3)
    assert len(fig.axes) == 3


def test_latent_direction_explorer_refuses_bad_inputs(small_generator, directions):
    with pytest.raises(TypeError, match="latent_dim"):
        LatentDirectionExplorer(nn.Linear(2, 2), directions)
    with pytest.raises(TypeError, match="LatentDirections"):
        LatentDirectionExplorer(small_generator, directions.directions)
    with pytest.raises(ValueError, match="16-d"):
        LatentDirectionExplorer(DCGANGenerator(latent_dim=8, image_size=28, channels=1, width=8), directions)


def test_attribution_explorer_controls_change_the_picture_and_caption():
    explorer = AttributionExplorer(_subjects())
    assert set(explorer.controls) == {"model", "image", "method", "row", "col"}
    assert explorer.controls["row"].disabled and explorer.controls["col"].disabled  # a classifier: no pixel to pick
    assert "map of the score of class" in explorer.caption.value
    for name, value, words in [("method", "integrated gradients (grey baseline)", "integrated gradients"),
                               ("image", "digit 1", "on digit 1")]:
        before_png, before_caption = explorer.image.value, explorer.caption.value
        explorer.controls[name].value = value
        assert explorer.image.value != before_png, name
        assert words in explorer.caption.value and explorer.caption.value != before_caption, name
    explorer.controls["model"].value = "critic"
    assert "map of its output" in explorer.caption.value
    before_png = explorer.image.value
    explorer.controls["model"].value = "upscaler"
    assert explorer.image.value != before_png
    assert list(explorer.controls["image"].options) == ["photo"]
    assert not explorer.controls["row"].disabled and explorer.controls["row"].max == 23
    assert "output pixel (row 12, col 12)" in explorer.caption.value
    for name, value, words in [("row", 3, "(row 3, col 12)"), ("col", 20, "(row 3, col 20)")]:
        before_png = explorer.image.value
        explorer.controls[name].value = value
        assert explorer.image.value != before_png, name
        assert words in explorer.caption.value, name


def test_attribution_explorer_maps_are_the_librarys():
    subjects = _subjects()
    explorer = AttributionExplorer(subjects)
    classifier, digits = subjects["classifier"]
    digit = digits["digit 0"]
    predicted = int(classifier(digit).argmax())
    expected = saliency(classifier, digit, predicted)
    shown = explorer.render("classifier", "digit 0", "gradient")["map"]
    torch.testing.assert_close(shown, expected / expected.max())
    upscaler, photos = subjects["upscaler"]
    pixel_map = explorer.render("upscaler", "photo", "gradient", row=4, col=6)["map"][0, 0]  # (12, 12)
    support = pixel_map.nonzero()
    # output pixel (4, 6) at scale 2 comes from input pixel (2, 3) through one 3×3 convolution
    assert support[:, 0].min() == 1 and support[:, 0].max() == 3
    assert support[:, 1].min() == 2 and support[:, 1].max() == 4
    with pytest.raises(ValueError, match="outside the 24×24 output"):
        explorer.render("upscaler", "photo", "gradient", row=30, col=0)
    with pytest.raises(ValueError, match="method must be one of"):
        explorer.render(method="guess")
    fig = explorer.static_figure("upscaler", "photo")
    assert len(fig.axes) == 1 + len(explorer.methods)


def test_attribution_explorer_refuses_bad_subjects():
    with pytest.raises(ValueError, match="subjects must be a non-empty dict"):
        AttributionExplorer({})
    with pytest.raises(ValueError, match=r"subjects\['m'\] must be \(model"):
        AttributionExplorer({"m": nn.Linear(2, 2)})
    with pytest.raises(ValueError, match="must be one image"):
        AttributionExplorer({"m": (nn.Conv2d(1, 1, 3), {"two": torch.rand(2, 1, 8, 8)})})
