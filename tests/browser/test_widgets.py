"""Every widget of every lesson, driven in a real JupyterLab in headless Chromium.

For each row of ``widgets_spec.SPEC``: the lesson is opened in JupyterLab
(served from a temporary copy of ``notebooks/``, quick mode), all its cells are
run once (Run All Cells) until the kernel is idle, and then each control of the
widget is changed the way a student would change it. After every change the
widget's displayed output must change as the row says (an image's bytes, the
caption, and the caption's expected text). A screenshot of each widget is saved
under ``test-artifacts/browser/``.

Self-check: ``IMGSYNTH_BROWSER_BREAK_OBSERVERS=1`` serves copies of the lessons
in which every widget observer has been removed; every test here must then fail.
"""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS, NOTEBOOKS, RUN_TIMEOUT
from widgets_spec import SPEC

pytestmark = pytest.mark.browser

PRESENT = [spec for spec in SPEC if (NOTEBOOKS / spec.notebook).exists()]


@pytest.mark.timeout(RUN_TIMEOUT + 360)  # the first widget of a lesson also runs the lesson (quick mode)
@pytest.mark.parametrize("spec", sorted(PRESENT, key=lambda s: s.notebook), ids=lambda spec: spec.test_id)
def test_widget_updates_when_each_control_changes(notebooks, spec):
    notebook = notebooks.open(spec.notebook)
    widget = notebook.widget(spec.cell, spec.test_id)
    start = widget.settled_fingerprint()
    assert start.images or start.caption, f"{spec.test_id}: the widget shows neither an image nor a caption"
    for step in spec.steps:
        widget.change_and_expect(step.control, step.value, expect=step.changes,
                                 caption_matches=step.caption_pattern(), timeout=step.timeout)
    widget.screenshot(ARTIFACTS / f"{spec.test_id}.png")
    assert notebook.page.console_errors == [], f"JavaScript errors in JupyterLab: {notebook.page.console_errors}"
