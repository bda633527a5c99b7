"""The built book, opened in headless Chromium: every lesson page shows its figures, no JS errors.

``book/_build/html`` (``make book``) is served on 127.0.0.1. For every lesson in
``notebooks/`` its page ``lessons/<name>.html`` must exist, show one loaded
``<img>`` (``naturalWidth > 0``) per image output stored in the notebook, and
raise no JavaScript error. Scripts and images from CDNs (MathJax, require.js,
the widget embedder, the Colab badge) cannot load offline: the browser fixture
aborts every request that leaves 127.0.0.1, and failures whose URL is not on
127.0.0.1 are ignored. Anything else that goes wrong on the page is a failure.
"""

from __future__ import annotations

import re
import urllib.parse

import nbformat
import pytest
from conftest import ARTIFACTS, NOTEBOOKS, is_local

pytestmark = pytest.mark.browser

LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
_URL = re.compile(r"(https?://[^\s)'\"]+)")


def stored_image_outputs(path) -> int:
    notebook = nbformat.read(path, as_version=4)
    return sum(1 for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
               if any(mime in output.get("data", {}) for mime in IMAGE_MIMES))


class PageErrors:
    """Console errors and uncaught exceptions of a page, minus failures of off-machine resources."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.ignored: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        text = f"console.error {message.text} ({url or 'no url'})"
        external = url and not is_local(url)
        (self.ignored if external else self.errors).append(text)

    def _on_page_error(self, error) -> None:
        stack = getattr(error, "stack", None) or str(error)
        urls = _URL.findall(stack)
        text = f"uncaught {error}"
        external = bool(urls) and not is_local(urls[0])  # thrown inside a CDN script
        (self.ignored if external else self.errors).append(text)


def test_error_filter_keeps_local_errors_and_drops_offline_cdn_failures(browser, book_server):
    page = browser.new_page()
    errors = PageErrors(page)
    try:
        page.goto(f"{book_server}/genindex.html", wait_until="load")  # index.html redirects
        page.evaluate("""() => {
            const img = document.createElement('img'); img.src = 'https://cdn.example.org/badge.svg';
            document.body.appendChild(img);
            const script = document.createElement('script'); script.src = 'https://cdn.example.org/lib.js';
            document.head.appendChild(script);
            setTimeout(() => { throw new Error('a bug in a local page script'); }, 0);
            console.error('a local console error');
        }""")
        page.wait_for_timeout(1000)
    finally:
        page.close()
    assert any("a bug in a local page script" in error for error in errors.errors), errors.errors
    assert any("a local console error" in error for error in errors.errors), errors.errors
    assert not any("cdn.example.org" in error for error in errors.errors), errors.errors
    assert any("cdn.example.org" in ignored for ignored in errors.ignored), errors.ignored


def test_book_has_a_page_per_lesson(book_server):
    from conftest import BOOK_HTML

    missing = [path.name for path in LESSONS if not (BOOK_HTML / "lessons" / f"{path.stem}.html").exists()]
    assert LESSONS and missing == [], f"lessons without a book page (rebuild: make book): {missing}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_lesson_page_shows_its_figures_without_js_errors(browser, book_server, lesson):
    expected_images = stored_image_outputs(lesson)
    page = browser.new_page()
    errors = PageErrors(page)
    try:
        response = page.goto(f"{book_server}/lessons/{urllib.parse.quote(lesson.stem)}.html", wait_until="load")
        assert response is not None and response.status == 200, f"lessons/{lesson.stem}.html: HTTP {response and response.status}"
        page.wait_for_load_state("networkidle")
        images = page.evaluate("""() => [...document.querySelectorAll('.cell_output img')].map((img) => ({
            src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth }))""")
        local = [image for image in images if is_local(image["src"])]
        broken = [image["src"] for image in local if not (image["complete"] and image["width"] > 0)]
        page.screenshot(path=str(ARTIFACTS / f"book-{lesson.stem}.png"), full_page=False)
    finally:
        page.close()
    assert len(local) == expected_images, (
        f"{lesson.name} stores {expected_images} image outputs but its book page shows {len(local)} "
        f"output images ({len(images)} in all)")
    assert broken == [], f"images that did not load on lessons/{lesson.stem}.html: {broken}"
    assert errors.errors == [], f"JavaScript errors on lessons/{lesson.stem}.html: {errors.errors}"
