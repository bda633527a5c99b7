"""viz: figures come back as matplotlib Figures; pixels outside [0, 1] are refused, never clipped."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from imgsynth_edu import viz


@pytest.fixture
def batch() -> torch.Tensor:
    return torch.rand(5, 3, 8, 10, generator=torch.Generator().manual_seed(0))


def test_make_grid_places_every_image(batch):
    grid = viz.make_grid(batch, nrow=3, padding=2, pad_value=1.0)
    assert grid.shape == (3, 2 * (8 + 2) + 2, 3 * (10 + 2) + 2)
    assert torch.equal(grid[:, 2:10, 2:12], batch[0])
    assert torch.equal(grid[:, 12:20, 14:24], batch[4])  # row 1, column 1
    assert (grid[:, 12:20, 26:36] == 1.0).all()  # the empty sixth cell is padding


def test_to_numpy_image_layouts():
    assert viz.to_numpy_image(torch.rand(3, 4, 5)).shape == (4, 5, 3)
    assert viz.to_numpy_image(torch.rand(1, 1, 4, 5)).shape == (4, 5)
    with pytest.raises(ValueError, match="^image must hold one image"):
        viz.to_numpy_image(torch.rand(2, 3, 4, 5))


def test_figures_are_returned(batch):
    grid = viz.show_grid(batch, title="five")
    assert isinstance(grid, Figure) and grid.axes[0].get_title() == "five"
    low = batch[0, :, ::2, ::2]
    comparison = viz.compare({"low-res": low, "original": batch[0]}, captions={"original": "PSNR 30.0 dB"},
                             zoom=(2, 2, 4, 4), suptitle="zoomed")
    assert isinstance(comparison, Figure)
    assert len(comparison.axes) == 4  # two images, two zoom insets
    assert comparison.axes[1].get_xlabel() == "PSNR 30.0 dB"
    curves = viz.plot_curves({"D loss": [1.0, 0.8, 0.7], "G loss": [2.0, 1.5, 1.2]}, logy=True)
    assert isinstance(curves, Figure)
    assert [line.get_label() for line in curves.axes[0].get_lines()] == ["D loss", "G loss"]
    assert curves.axes[0].get_yscale() == "log"


@pytest.mark.parametrize("bad", [torch.rand(2, 3, 8, 8) * 1.5, torch.rand(2, 3, 8, 8) - 0.5])
def test_out_of_range_images_are_refused(bad):
    with pytest.raises(ValueError, match=r"^images must have values in \[0, 1\]"):
        viz.show_grid(bad)
    with pytest.raises(ValueError, match=r"^image must have values in \[0, 1\]"):
        viz.compare({"bad": bad[0]})


def test_other_bad_arguments_are_refused(batch):
    with pytest.raises(ValueError, match="^images must hold"):
        viz.compare({})
    with pytest.raises(ValueError, match="^zoom="):
        viz.compare({"a": batch[0]}, zoom=(20, 20, 4, 4))
    with pytest.raises(ValueError, match="^history "):
        viz.plot_curves({})
    with pytest.raises(TypeError, match="^images must be a floating-point"):
        viz.make_grid((batch * 255).to(torch.uint8))


def test_identical_at_8_bits_compares_what_a_png_shows():
    image = torch.rand(1, 3, 6, 7, generator=torch.Generator().manual_seed(1)).mul(254).round().div(255)  # 8-bit values
    assert viz.identical_at_8_bits(image, image + 1e-6)  # float noise far below half a grey level
    assert not viz.identical_at_8_bits(image, image + 1 / 255)  # one grey level brighter everywhere
    assert viz.identical_at_8_bits(image[0], image[0])  # C×H×W works too
    with pytest.raises(ValueError, match="same shape"):
        viz.identical_at_8_bits(image, image[..., :5])
    with pytest.raises(ValueError, match="second"):
        viz.identical_at_8_bits(image, image + 2)


def test_psnr_text_says_identical_instead_of_an_absurd_number():
    assert viz.psnr_text(466.15, identical=True) == "∞ (identical)"
    assert viz.psnr_text(float("inf"), identical=False) == "∞ (identical)"
    assert viz.psnr_text(27.314, identical=False) == "27.31 dB"
    assert viz.psnr_text(27.314, identical=False, decimals=1) == "27.3 dB"


def _decode_png(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)))


def test_image_to_png_rounds_to_8_bits_and_zoom_repeats_pixels():
    import numpy as np

    image = torch.rand(1, 3, 5, 7, generator=torch.Generator().manual_seed(2))
    plain, zoomed = _decode_png(viz.image_to_png(image)), _decode_png(viz.image_to_png(image[0], 3))
    assert plain.shape == (5, 7, 3) and zoomed.shape == (15, 21, 3)
    assert np.array_equal(plain, (image[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    assert np.array_equal(zoomed[::3, ::3], plain) and np.array_equal(zoomed[2::3, 2::3], plain)
    assert _decode_png(viz.image_to_png(torch.zeros(1, 4, 4))).shape == (4, 4)  # one channel: greyscale
    with pytest.raises(ValueError, match="zoom"):
        viz.image_to_png(image, 0)
    with pytest.raises(ValueError, match="one image"):
        viz.image_to_png(torch.rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match="values in"):
        viz.image_to_png(image * 2)


def test_figure_to_png_draws_and_closes_the_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    png = viz.figure_to_png(fig, dpi=50)
    assert _decode_png(png).shape[:2] == (50, 100)
    assert fig.number not in plt.get_fignums()


def test_all_reduce_picture_names_every_rank_and_its_share():
    fig = viz.plot_all_reduce(world_size=2, batch_size=4)
    texts = [text.get_text() for text in fig.axes[0].texts]
    assert "rank 0: x0, x2" in texts and "rank 1: x1, x3" in texts
    assert any("all-reduce" in text and "÷ 2" in text for text in texts)
    plt.close(fig)
    with pytest.raises(ValueError, match="batch_size must be a positive multiple of world_size"):
        viz.plot_all_reduce(world_size=3, batch_size=4)
    with pytest.raises(ValueError, match="world_size must be an int from 1 to 8"):
        viz.plot_all_reduce(world_size=0)


def test_speed_quality_plot_draws_each_engine_and_the_real_time_line():
    engines = {"a": {"frames_per_s": 0.5, "psnr_y_db": 31.7}, "b": {"frames_per_s": 2.0, "psnr_y_db": 31.6}}
    fig = viz.plot_speed_quality(engines, real_time_fps=30)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["a", "b", "real time (30 frames/s)"]
    assert list(ax.lines[-1].get_xdata()) == [30, 30]
    assert ax.get_xscale() == "log"
    plt.close(fig)
    with pytest.raises(ValueError, match="frames_per_s"):
        viz.plot_speed_quality({"a": {"frames_per_s": 0.0, "psnr_y_db": 30.0}})
    with pytest.raises(ValueError, match="at least one engine"):
        viz.plot_speed_quality({})
