"""The helpers the explorers share (widgets/common.py): enlarge, two_rows, show."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from imgsynth_edu.widgets.common import enlarge, show, two_rows


def test_enlarge_repeats_every_pixel_into_a_square_block():
    image = torch.tensor([[[0.0, 1.0], [0.5, 0.25]]])  # (1, 2, 2)
    big = enlarge(image, 3)
    assert big.shape == (1, 6, 6)
    assert torch.equal(big[0, :3, :3], torch.zeros(3, 3)) and torch.equal(big[0, 3:, 3:], torch.full((3, 3), 0.25))


def test_two_rows_puts_the_top_over_the_bottom_on_white_with_the_gap():
    top = torch.zeros(3, 4, 10)  # black
    bottom = torch.full((3, 2, 6), 0.5)  # grey, narrower
    canvas = two_rows(top, bottom, gap=6)
    assert canvas.shape == (3, 4 + 6 + 2, 10)
    assert torch.equal(canvas[:, :4], top)
    assert torch.equal(canvas[:, 4:10], torch.ones(3, 6, 10))  # the white gap
    assert torch.equal(canvas[:, 10:, :6], bottom) and torch.equal(canvas[:, 10:, 6:], torch.ones(3, 2, 4))


def test_show_puts_the_png_and_the_escaped_caption_into_the_widgets():
    image, caption = SimpleNamespace(value=b""), SimpleNamespace(value="")
    show({"png": b"\x89PNG", "caption": "t < 1 & seed 3"}, image, caption)
    assert image.value == b"\x89PNG"
    assert caption.value == "t &lt; 1 &amp; seed 3"
