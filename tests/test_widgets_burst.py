"""The BurstExplorer: each control changes what is shown; render agrees with the library."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu.models.burst import BurstSR
from imgsynth_edu.widgets.burst import BurstExplorer


@pytest.fixture(scope="module")
def explorer() -> BurstExplorer:
    torch.manual_seed(0)
    model = BurstSR(scale=4, features=8, enc_blocks=1, dec_blocks=1)
    return BurstExplorer(model, size=64, frames=4)


def _psnr(caption: str, method: str) -> float:
    return float(caption.split(f"{method} ")[1].split(" dB")[0])


def test_controls_are_described(explorer):
    assert set(explorer.controls) == {"frames", "noise", "seed"}
    for name, control in explorer.controls.items():
        assert control.description, f"control {name} has no description"
    assert explorer.image.value[:4] == b"\x89PNG"
    assert "4 frame(s)" in explorer.caption.value


@pytest.mark.parametrize("control, value", [("frames", 2), ("noise", 3.0), ("seed", 5)])
def test_each_control_changes_image_and_caption(explorer, control, value):
    before_png, before_caption = explorer.image.value, explorer.caption.value
    old = explorer.controls[control].value
    explorer.controls[control].value = value
    try:
        assert explorer.image.value != before_png
        assert explorer.caption.value != before_caption
    finally:
        explorer.controls[control].value = old


def test_more_noise_lowers_every_psnr(explorer):
    explorer.controls["noise"].value = 0.0
    clean = explorer.caption.value
    explorer.controls["noise"].value = 4.0
    noisy = explorer.caption.value
    explorer.controls["noise"].value = 1.0
    for method in ("bicubic (frame 0)", "shift-and-add", "robust merge", "burst model"):
        assert _psnr(noisy, method) < _psnr(clean, method)


def test_render_matches_the_display(explorer):
    result = explorer.render(explorer.controls["frames"].value, explorer.controls["noise"].value, explorer.controls["seed"].value)
    assert result["caption"] in explorer.caption.value
    assert result["weights"].shape == (4, 16, 16)
    torch.testing.assert_close(result["weights"].sum(dim=0), torch.ones(16, 16))
    assert result["estimated_shifts"].shape == (4, 2)
    assert (result["estimated_shifts"] - result["burst"].shifts).abs().max() < 1.0


def test_static_figure_and_model_free_explorer():
    plain = BurstExplorer(None, size=64, frames=2)
    assert "burst model" not in plain.caption.value
    figure = plain.static_figure(frames=3)
    assert len(figure.axes) >= 6


def test_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        BurstExplorer(None, size=30)
    with pytest.raises(ValueError, match="photo"):
        BurstExplorer(None, photo="nope")
    with pytest.raises(ValueError, match="scale"):
        BurstExplorer(BurstSR(scale=2, features=8, enc_blocks=1, dec_blocks=1), scale=4, size=64)
