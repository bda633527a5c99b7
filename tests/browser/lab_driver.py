"""Drive a real JupyterLab in headless Chromium: open a notebook, run it, work its widgets.

The browser tests use this module to do what a student does: open a lesson in
JupyterLab, run all cells, wait for the kernel to go idle, then move each
control of each widget (slider, dropdown, button, text, checkbox, toggle
buttons) and check that what the widget *shows* changed: the bytes behind an
``<img>`` differ, or the caption text changes (optionally to an expected value).

How the pieces are found:

* The JupyterLab server is started with ``--LabApp.expose_app_in_browser=True``,
  so ``window.jupyterapp`` gives the same commands the menus run
  (``notebook:run-all-cells``) and the notebook model (cells, outputs, kernel).
* A widget is found through the code cell that displays it: the spec names a
  substring unique to that cell's source (see ``widgets_spec.py``).
* A control is found by its ``description`` label (a button by its text).

Everything waits on a condition with a deadline; nothing sleeps for a fixed time
and hopes.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from pathlib import Path

#: CSS classes of the interactive controls (ipywidgets 7.x and 8.x); their text is
#: not part of the "caption" that a control change must update.
CONTROL_SELECTOR = (
    ".widget-slider, .widget-hslider, .widget-vslider, .widget-dropdown, .widget-select, "
    ".widget-button, .jupyter-button, .widget-text, .widget-textarea, .widget-checkbox, "
    ".widget-toggle-buttons, .widget-radio-box, .widget-inline-hbox:has(input)"
)


_CONTROL_KEYS = itertools.count(1)  # unique marker per control lookup, across tests


class WidgetDidNotUpdate(AssertionError):
    """A control was changed in the browser but the widget's display did not change."""


class NotebookRunFailed(AssertionError):
    """Running the notebook's cells in JupyterLab raised or never finished."""


@dataclass
class Fingerprint:
    """What a widget shows right now: a digest per image and its caption text."""

    images: tuple[str, ...]
    caption: str

    def differs_from(self, other: Fingerprint, what: tuple[str, ...]) -> bool:
        changed = []
        if "image" in what:
            changed.append(self.images != other.images)
        if "every image" in what:  # each picture of the widget, not just one of them
            changed.append(len(self.images) == len(other.images) > 0
                           and all(mine != theirs for mine, theirs in zip(self.images, other.images)))
        if "caption" in what:
            changed.append(self.caption != other.caption)
        return all(changed)


# --- JavaScript run in the page -------------------------------------------------

_JS_PANEL = "(() => { const w = window.jupyterapp.shell.currentWidget; return w && w.content && w.sessionContext ? w : null; })()"

_JS_READY = f"""() => {{
  if (!window.jupyterapp) return false;
  const panel = {_JS_PANEL};
  if (!panel || !panel.context.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}}"""

_JS_RUN_STATE = f"""() => {{
  const panel = {_JS_PANEL};
  const cells = panel.content.widgets;
  let code = 0, done = 0, errors = [];
  for (const cell of cells) {{
    if (cell.model.type !== 'code') continue;
    code += 1;
    if (cell.model.executionCount !== null) done += 1;
    const outputs = cell.model.outputs;
    for (let i = 0; i < outputs.length; i++) {{
      const out = outputs.get(i).toJSON();
      if (out.output_type === 'error')
        errors.push(out.ename + ': ' + out.evalue + '\\n' + (out.traceback || []).join('\\n').replace(/\\x1b\\[[0-9;]*m/g, ''));
    }}
  }}
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {{code, done, errors, status: kernel ? kernel.status : 'none', run: window.__imgsynthRun || {{}}}};
}}"""

# Clear every output and execution count, then run all cells (Run > Run All Cells); the
# command's promise settles when the last cell has finished.
_JS_CLEAR_AND_RUN_ALL = f"""async () => {{
  const panel = {_JS_PANEL};
  const state = window.__imgsynthRun = {{done: false}};
  await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
  for (const cell of panel.content.widgets)
    if (cell.model.type === 'code') cell.model.sharedModel.transact(() => cell.model.clearExecution());
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    (ok) => {{ state.done = true; state.ok = ok; }},
    (error) => {{ state.done = true; state.error = String(error); }});
}}"""

_JS_MARK_CELL = f"""([needle, key]) => {{
  const panel = {_JS_PANEL};
  const hits = [];
  panel.content.widgets.forEach((cell, index) => {{
    if (cell.model.type === 'code' && cell.model.sharedModel.getSource().includes(needle)) hits.push(index);
  }});
  if (hits.length !== 1) return hits.length;
  const cell = panel.content.widgets[hits[0]];
  panel.content.activeCellIndex = hits[0];
  cell.node.setAttribute('data-imgsynth-widget', key);
  return 1;
}}"""

_JS_FIND_CONTROL = """(root, [description, key]) => {
  const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const want = norm(description);
  // Buttons (and toggle buttons): the description is the button's text.
  for (const button of root.querySelectorAll('button.widget-button, button.jupyter-button')) {
    if (norm(button.textContent) === want && !button.closest('.widget-toggle-buttons')) {
      button.setAttribute('data-imgsynth-control', key);
      return 'button';
    }
  }
  // Labelled controls: a <label class="widget-label"> holds the description.
  for (const label of root.querySelectorAll('.widget-label, .widget-label-basic')) {
    if (norm(label.textContent) !== want) continue;
    const box = label.closest('.widget-checkbox') || label.parentElement;
    const classes = box.classList;
    let kind = null;
    if (classes.contains('widget-checkbox') || box.querySelector('input[type=checkbox]')) kind = 'checkbox';
    else if (classes.contains('widget-slider') || classes.contains('widget-hslider')) kind = 'slider';
    else if (classes.contains('widget-dropdown') || box.querySelector('select')) kind = 'dropdown';
    else if (classes.contains('widget-toggle-buttons')) kind = 'toggle';
    else if (box.querySelector('input, textarea')) kind = 'text';
    if (kind) { box.setAttribute('data-imgsynth-control', key); return kind; }
  }
  return null;
}"""

_JS_FINGERPRINT = """async (root) => {
  const toHex = (buffer) => Array.from(new Uint8Array(buffer)).map((b) => b.toString(16).padStart(2, '0')).join('');
  const images = [];
  for (const img of root.querySelectorAll('.jp-OutputArea-output img, .widget-image, .widget-output img')) {
    if (!img.src) { images.push('empty'); continue; }
    try {
      const bytes = await (await fetch(img.src)).arrayBuffer();
      images.push(toHex(await crypto.subtle.digest('SHA-256', bytes)) + ':' + bytes.byteLength);
    } catch (error) { images.push('unreadable:' + img.src.slice(0, 64)); }
  }
  const clone = root.cloneNode(true);
  clone.querySelectorAll(CONTROL_SELECTOR).forEach((node) => node.remove());
  clone.querySelectorAll('.jp-InputArea, .jp-OutputPrompt, style, script').forEach((node) => node.remove());
  // innerText needs layout: measure the clone off-screen, then drop it
  const holder = document.createElement('div');
  holder.style.cssText = 'position:absolute; left:-20000px; top:0; width:1200px;';
  holder.appendChild(clone);
  document.body.appendChild(holder);
  const caption = (clone.innerText || '').replace(/\\s+/g, ' ').trim();
  holder.remove();
  return {images, caption};
}"""


def _js_fingerprint() -> str:
    return _JS_FINGERPRINT.replace("CONTROL_SELECTOR", repr(CONTROL_SELECTOR))


def _wait_until(predicate, timeout: float, interval: float = 0.25):
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class OpenNotebook:
    """One notebook open in one browser tab, with its own kernel."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name

    # -- running ---------------------------------------------------------------
    def run_all(self, timeout: float = 540.0) -> float:
        """Clear outputs, run every cell (Run > Run All Cells), wait for an idle kernel.

        Returns the seconds it took. Raises :class:`NotebookRunFailed` with the
        traceback when a cell raises, and when the run does not finish in time.
        """
        page = self.page
        page.evaluate(_JS_CLEAR_AND_RUN_ALL)
        start = time.monotonic()
        state = {}
        while time.monotonic() - start < timeout:
            state = page.evaluate(_JS_RUN_STATE)
            if state["errors"]:
                raise NotebookRunFailed(f"{self.name}: a cell raised in JupyterLab:\n" + "\n".join(state["errors"]))
            if state["run"].get("error"):
                raise NotebookRunFailed(f"{self.name}: Run All Cells failed: {state['run']['error']}")
            if state["run"].get("done") and state["done"] == state["code"] and state["status"] == "idle":
                return time.monotonic() - start
            time.sleep(0.5)
        raise NotebookRunFailed(
            f"{self.name}: not finished after {timeout:.0f} s: {state.get('done')} of "
            f"{state.get('code')} code cells ran, kernel {state.get('status')!r}"
        )

    def shutdown(self) -> None:
        """Shut the notebook's kernel down and close the tab."""
        try:
            self.page.evaluate(
                f"async () => {{ const p = {_JS_PANEL}; if (p) await p.sessionContext.shutdown(); }}"
            )
        finally:
            self.page.close()

    # -- widgets ---------------------------------------------------------------
    def widget(self, cell_contains: str, key: str) -> WidgetHandle:
        """The widget displayed by the one code cell whose source contains ``cell_contains``."""
        hits = self.page.evaluate(_JS_MARK_CELL, [cell_contains, key])
        if hits != 1:
            raise AssertionError(
                f"{self.name}: expected exactly one code cell containing {cell_contains!r}, found {hits}"
            )
        root = self.page.locator(f'[data-imgsynth-widget="{key}"] .jp-Cell-outputArea')
        root.scroll_into_view_if_needed()
        view = root.locator(".jupyter-widgets").first
        try:
            view.wait_for(state="visible", timeout=30_000)
        except Exception as error:  # noqa: BLE001 - re-raised with what the page shows
            raise AssertionError(
                f"{self.name}: the cell containing {cell_contains!r} shows no rendered widget; "
                f"its output reads: {root.inner_text()[:500]!r}"
            ) from error
        text = root.inner_text()
        if "Error displaying widget" in text or "Failed to load model class" in text:
            raise AssertionError(f"{self.name}: widget failed to render: {text[:500]!r}")
        return WidgetHandle(self, root, key)


class WidgetHandle:
    """A rendered widget: find its controls, change them, read what it shows."""

    def __init__(self, notebook: OpenNotebook, root, key: str):
        self.notebook = notebook
        self.page = notebook.page
        self.root = root
        self.key = key

    def fingerprint(self) -> Fingerprint:
        data = self.root.evaluate(_js_fingerprint())
        return Fingerprint(tuple(data["images"]), data["caption"])

    def settled_fingerprint(self, timeout: float = 20.0) -> Fingerprint:
        """The fingerprint once it stops changing (two equal reads 0.4 s apart, kernel idle)."""
        deadline = time.monotonic() + timeout
        previous = self.fingerprint()
        while True:
            time.sleep(0.4)
            current = self.fingerprint()
            idle = self.page.evaluate(_JS_RUN_STATE)["status"] == "idle"
            if (current == previous and idle) or time.monotonic() > deadline:
                return current
            previous = current

    def control(self, description: str):
        """(kind, locator) of the control whose description label (or button text) is ``description``."""
        key = f"{self.key}-{next(_CONTROL_KEYS)}"
        kind = self.root.evaluate(_JS_FIND_CONTROL, [description, key])
        if kind is None:
            labels = self.root.evaluate(
                "(root) => [...root.querySelectorAll('.widget-label, .widget-label-basic, button')]"
                ".map((n) => n.textContent.trim()).filter(Boolean)"
            )
            raise AssertionError(
                f"{self.notebook.name}: no control described {description!r} in widget {self.key}; "
                f"descriptions and buttons present: {labels}"
            )
        return kind, self.page.locator(f'[data-imgsynth-control="{key}"]')

    def change(self, description: str, value=None) -> str:
        """Change one control the way a person would; returns the control's kind."""
        kind, control = self.control(description)
        if kind == "button":
            control.click()
        elif kind == "checkbox":
            control.locator("input[type=checkbox]").click()
        elif kind == "dropdown":
            if value is None:
                raise ValueError(f"dropdown {description!r} needs a value (an option label) in the spec")
            control.locator("select").select_option(label=str(value))
        elif kind == "toggle":
            if value is None:
                raise ValueError(f"toggle buttons {description!r} need a value (a button label) in the spec")
            control.locator("button", has_text=re.compile(rf"^\s*{re.escape(str(value))}\s*$")).click()
        elif kind == "slider":
            if value is None:
                handle = control.locator(".noUi-handle, .ui-slider-handle").first
                handle.focus()
                handle.press("End")
            else:  # type into the editable readout, as a person can
                readout = control.locator(".widget-readout").first
                readout.click()
                readout.press("Control+a")
                readout.type(str(value))
                readout.press("Enter")
        elif kind == "text":
            if value is None:
                raise ValueError(f"text {description!r} needs a value in the spec")
            box = control.locator("input, textarea").first
            box.fill(str(value))
            box.press("Enter")
        else:  # pragma: no cover - _JS_FIND_CONTROL only returns the kinds above
            raise AssertionError(f"unknown control kind {kind!r}")
        return kind

    def change_and_expect(self, description: str, value=None, expect=("image",),
                          caption_matches: str | None = None, timeout: float = 30.0) -> Fingerprint:
        """Change a control and wait until the display changed as ``expect`` says.

        ``expect`` names what must change: ``"image"`` (the bytes of an image in
        the widget), ``"every image"`` (the bytes of each of its images),
        ``"caption"`` (its text outside the controls), or several of them.
        ``caption_matches`` is a regular expression the caption must then match.
        Raises :class:`WidgetDidNotUpdate` when it does not happen in ``timeout`` s.
        """
        before = self.settled_fingerprint()
        self.change(description, value)
        changed = _wait_until(lambda: self.fingerprint().differs_from(before, expect), timeout)
        after = self.settled_fingerprint(timeout=timeout)  # a callback may redraw several times
        if not changed or not after.differs_from(before, expect):
            raise WidgetDidNotUpdate(
                f"{self.notebook.name} / {self.key}: changing {description!r}"
                f"{'' if value is None else f' to {value!r}'} did not change its {' and '.join(expect)} "
                f"within {timeout:.0f} s.\n  before: images={len(before.images)} caption={before.caption[:200]!r}"
                f"\n  after:  images={len(after.images)} caption={after.caption[:200]!r}"
            )
        if caption_matches is not None and not re.search(caption_matches, after.caption):
            raise WidgetDidNotUpdate(
                f"{self.notebook.name} / {self.key}: after changing {description!r} the caption "
                f"{after.caption[:300]!r} does not match {caption_matches!r}"
            )
        return after

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.root.screenshot(path=str(path))
