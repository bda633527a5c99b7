"""The browser harness tests itself on a self-made notebook, before it judges the lessons.

A scratch notebook displays two small widgets built from the same core
controls the lessons use (slider, dropdown, text, checkbox, toggle buttons,
button) feeding an HTML caption and an Image:

* ``live``: every control has an observer that redraws the image and caption;
  the harness must see each change (image bytes differ, caption as expected).
* ``dead``: the same controls with no observer, as a lesson widget whose
  ``.observe`` call was lost; the harness must report that it did not update.

If the second half passed, the lesson widget tests would prove nothing.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import ARTIFACTS
from lab_driver import NotebookRunFailed, WidgetDidNotUpdate

pytestmark = pytest.mark.browser

WIDGET_CODE = '''
import io
import ipywidgets as widgets
import numpy as np
from IPython.display import display
from PIL import Image as PILImage

def make_explorer(live):
    level = widgets.IntSlider(value=2, min=0, max=10, description="Level")
    colour = widgets.Dropdown(options=["red", "green", "blue"], value="red", description="Colour")
    title = widgets.Text(value="start", description="Title")
    invert = widgets.Checkbox(value=False, description="Invert")
    shape = widgets.ToggleButtons(options=["square", "stripe"], value="square", description="Shape")
    redraw = widgets.Button(description="Redraw")
    caption = widgets.HTML()
    picture = widgets.Image(format="png")
    clicks = [0]

    def draw(*_):
        rgb = np.zeros((32, 32, 3), np.uint8)
        rgb[..., ["red", "green", "blue"].index(colour.value)] = 25 * level.value
        if shape.value == "stripe":
            rgb[::4] = 255
        if invert.value:
            rgb = 255 - rgb
        rgb[0, 0] = clicks[0] % 256
        buffer = io.BytesIO()
        PILImage.fromarray(rgb).save(buffer, format="png")
        picture.value = buffer.getvalue()
        caption.value = (f"<b>{title.value}</b>: level={level.value} colour={colour.value} "
                         f"invert={invert.value} shape={shape.value} clicks={clicks[0]}")

    def click(_):
        clicks[0] += 1
        draw()

    if live:
        for control in (level, colour, title, invert, shape):
            control.observe(draw, names="value")
        redraw.on_click(click)
    draw()
    return widgets.VBox([widgets.HBox([level, colour, title]), widgets.HBox([invert, shape, redraw]),
                         caption, picture])
'''

STEPS = [  # (description, value, what must change, caption afterwards)
    ("Level", 7, ("image", "caption"), r"level=7 "),
    ("Colour", "blue", ("image", "caption"), r"colour=blue "),
    ("Title", "renamed", ("caption",), r"^renamed: "),
    ("Invert", None, ("image", "caption"), r"invert=True "),
    ("Shape", "stripe", ("image", "caption"), r"shape=stripe "),
    ("Redraw", None, ("image", "caption"), r"clicks=1$"),
]


@pytest.fixture(scope="module")
def scratch_notebook(lab, notebooks):
    folder = lab.root / "_harness"
    folder.mkdir(exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell(WIDGET_CODE),
        nbformat.v4.new_code_cell("live = make_explorer(live=True)\ndisplay(live)"),
        nbformat.v4.new_code_cell("dead = make_explorer(live=False)\ndisplay(dead)"),
    ]
    nbformat.write(notebook, folder / "harness.ipynb")
    return notebooks.open("_harness/harness.ipynb")


def test_harness_sees_every_kind_of_control_update(scratch_notebook):
    widget = scratch_notebook.widget("make_explorer(live=True)", "harness-live")
    start = widget.settled_fingerprint()
    assert len(start.images) == 1 and "level=2 colour=red" in start.caption
    for description, value, expect, caption in STEPS:
        widget.change_and_expect(description, value, expect=expect, caption_matches=caption)
    widget.screenshot(ARTIFACTS / "harness--live.png")


@pytest.mark.parametrize("description, value, expect, caption", STEPS, ids=[step[0] for step in STEPS])
def test_harness_reports_a_widget_without_observers(scratch_notebook, description, value, expect, caption):
    widget = scratch_notebook.widget("make_explorer(live=False)", "harness-dead")
    with pytest.raises(WidgetDidNotUpdate, match=f"changing {description!r}"):
        widget.change_and_expect(description, value, expect=expect, caption_matches=caption, timeout=4)


def test_harness_reports_a_wrong_caption(scratch_notebook):
    widget = scratch_notebook.widget("make_explorer(live=True)", "harness-live")
    with pytest.raises(WidgetDidNotUpdate, match="does not match"):
        widget.change_and_expect("Level", 3, expect=("caption",), caption_matches=r"level=4 ")


def test_harness_reports_a_cell_that_raises(lab, notebooks):
    folder = lab.root / "_harness"
    folder.mkdir(exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('lesson bug')"),
                      nbformat.v4.new_code_cell("y = 2")]
    nbformat.write(notebook, folder / "raises.ipynb")
    with pytest.raises(NotebookRunFailed, match="ValueError: lesson bug"):
        notebooks.open("_harness/raises.ipynb")
