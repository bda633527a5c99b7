"""Fixtures for the real-browser tests: headless Chromium, a JupyterLab server, the built book.

Every process started here is stopped here, by PID:

* ``browser``: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright,
  headless, with a fresh profile in a temporary folder. Never a browser
  download (``playwright install`` is not used). Every request to a host other
  than 127.0.0.1 is aborted, so no test can reach the network.
* ``lab``: ``jupyter lab`` on 127.0.0.1 (a free port, no token), quick mode
  (``IMGSYNTH_MODE=quick``), serving a *temporary copy* of ``notebooks/`` so the
  repository's notebooks are never modified, with its own settings, workspace,
  runtime and IPython folders. At the end its kernels are shut down, the server
  is terminated (then killed), and any child process left is killed by PID.
* ``book_server``: ``book/_build/html`` served by a threaded ``http.server``.

A missing Chromium, Playwright or built book skips these tests with the reason,
except when ``IMGSYNTH_REQUIRE_BROWSER=1`` (CI sets it): then it is a failure.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab_driver import _JS_READY, OpenNotebook  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
BOOK_HTML = Path(os.environ.get("IMGSYNTH_BOOK_HTML", REPO / "book" / "_build" / "html"))  # override: another build
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("IMGSYNTH_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("IMGSYNTH_REQUIRE_BROWSER", "") == "1"
#: Self-check: IMGSYNTH_BROWSER_BREAK_OBSERVERS=1 removes every widget observer in the
#: served copies of the lessons; every widget test must then fail (see README/book).
BREAK_OBSERVERS = os.environ.get("IMGSYNTH_BROWSER_BREAK_OBSERVERS", "") == "1"

#: Seconds one lesson may take to run all its cells in JupyterLab (quick mode; raise it on a loaded machine).
RUN_TIMEOUT = float(os.environ.get("IMGSYNTH_BROWSER_RUN_TIMEOUT", "540"))

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

LAB_SETTINGS = {  # user settings for the test server: no autosave, no news, no virtual scrolling
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False,
    },
}


def unavailable(reason: str):
    """Skip, or fail when IMGSYNTH_REQUIRE_BROWSER=1 (CI): a skipped browser test would hide a break."""
    if REQUIRED:
        pytest.fail(f"{reason} (IMGSYNTH_REQUIRE_BROWSER=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (127.0.0.1, data:, blob:, about:)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in {"data", "blob", "about", "chrome-error"}:
        return True
    return parsed.hostname == "127.0.0.1"


# --- Chromium --------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A headless Chromium context (fresh profile); requests off 127.0.0.1 are aborted."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} not found: install the Debian packages chromium and chromium-driver "
                    "(make system-deps)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed (pip install -e '.[dev]')")
    playwright = sync_playwright().start()
    context = None
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000},
        )
        context.blocked = []

        def only_local(route):
            if is_local(route.request.url):
                route.continue_()
            else:
                context.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        yield context
    finally:
        if context is not None:
            context.close()
        playwright.stop()


# --- JupyterLab --------------------------------------------------------------------

def _children(pid: int) -> list:
    try:
        import psutil

        return psutil.Process(pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - the process is already gone
        return []


def _api(base: str, path: str, method: str = "GET"):
    request = urllib.request.Request(base + path, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _write_lab_settings(folder: Path) -> None:
    for relative, values in LAB_SETTINGS.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _displays_a_widget(output) -> bool:
    """A stored output where a widget was displayed: its view, or the placeholder text that
    ``tools/notebook.py`` leaves in its place (stored lessons keep no widget state)."""
    if str(REPO / "tests") not in sys.path:
        sys.path.insert(0, str(REPO / "tests"))
    import notebook_rules

    return ("application/vnd.jupyter.widget-view+json" in output.get("data", {})
            or notebook_rules.TOOL.is_widget_placeholder(output))


def _break_observers(notebook_path: Path) -> int:
    """Insert, after every cell that displays a widget, a cell that removes all observers; returns how many."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    cells = []
    broken = 0
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type == "code" and any(_displays_a_widget(output) for output in cell.get("outputs", [])):
            broken += 1
            cells.append(nbformat.v4.new_code_cell(
                "# injected by IMGSYNTH_BROWSER_BREAK_OBSERVERS=1: every widget stops updating\n"
                "import ipywidgets as _w\n"
                "_registry = getattr(_w.Widget, 'widgets', None) or getattr(_w.widgets.widget, '_instances', {})\n"
                "for _widget in list(_registry.values()):\n"
                "    _widget.unobserve_all('value')\n"
                "    if hasattr(_widget, '_click_handlers'):\n"
                "        _widget._click_handlers.callbacks.clear()"
            ))
    notebook.cells = cells
    nbformat.write(notebook, notebook_path)
    return broken


class LabServer:
    """A running ``jupyter lab`` and the folder it serves."""

    def __init__(self, root: Path, base_url: str, process: subprocess.Popen, log: Path):
        self.root, self.base_url, self.process, self.log = root, base_url, process, log

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """``jupyter lab`` on 127.0.0.1 serving a temporary copy of notebooks/ (quick mode)."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    root.mkdir()
    broken = 0
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy2(notebook, root / notebook.name)
        if BREAK_OBSERVERS:
            broken += _break_observers(root / notebook.name)
    if BREAK_OBSERVERS and not broken:  # the self-check must break something, or it proves nothing
        raise RuntimeError("IMGSYNTH_BROWSER_BREAK_OBSERVERS=1 found no cell that displays a widget to break")
    settings = base / "user-settings"
    _write_lab_settings(settings)
    for name in ("workspaces", "config", "runtime", "ipython"):
        (base / name).mkdir()
    port = free_port()
    env = dict(
        os.environ,
        IMGSYNTH_MODE="quick",
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"),
    )
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip", "127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=", "--PasswordIdentityProvider.hashed_password=",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--LanguageServerManager.autodetect=False",
    ]
    log = base / "jupyterlab.log"
    log_file = open(log, "wb")  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    server = LabServer(root, base_url, process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{server.log_tail()}", pytrace=False)
            with contextlib.suppress(OSError, urllib.error.URLError):
                _api(base_url, "/api/status")
                break
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer on {base_url} in 120 s:\n{server.log_tail()}",
                            pytrace=False)
            time.sleep(0.5)
        yield server
    finally:
        _stop_lab(server)
        log_file.close()


def _stop_lab(server: LabServer) -> None:
    """Shut down kernels through the API, terminate the server, kill whatever is left, by PID."""
    children = _children(server.process.pid)
    with contextlib.suppress(Exception):
        for kernel in _api(server.base_url, "/api/kernels") or []:
            with contextlib.suppress(Exception):
                _api(server.base_url, f"/api/kernels/{kernel['id']}", method="DELETE")
    children += [child for child in _children(server.process.pid) if child not in children]
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    for child in children:
        with contextlib.suppress(Exception):
            if child.is_running():
                child.kill()


class NotebookSession:
    """Opens one notebook at a time in a tab, runs it once, and reuses it for all its widgets.

    Opening the next notebook shuts the previous one's kernel down and closes its
    tab, so at most one lesson kernel runs at a time (2-core CI machines).
    """

    def __init__(self, browser, lab: LabServer):
        self.browser, self.lab = browser, lab
        self.current: OpenNotebook | None = None
        self.run_seconds: dict[str, float] = {}
        self.failures: dict[str, BaseException] = {}

    def open(self, name: str) -> OpenNotebook:
        if self.current is not None and self.current.name == name:
            return self.current
        if name in self.failures:  # ran once and failed: do not run it again for every widget
            raise AssertionError(f"{name} failed to run in JupyterLab (see the first failing test): "
                                 f"{self.failures[name]}")
        self.close()
        if not (self.lab.root / name).exists():
            raise FileNotFoundError(f"{name} is not in the served folder {self.lab.root}")
        page = self.browser.new_page()
        page.console_errors = []
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        page.goto(f"{self.lab.base_url}/lab/tree/{urllib.parse.quote(name)}?reset", wait_until="domcontentloaded")
        notebook = OpenNotebook(page, name)
        try:
            page.wait_for_function(_JS_READY, timeout=120_000, polling=500)
            self.run_seconds[name] = notebook.run_all(timeout=RUN_TIMEOUT)
        except BaseException as error:
            self.failures[name] = error
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}--run-failed.png"), full_page=False)
            notebook.shutdown()
            raise
        self.current = notebook
        return notebook

    def close(self) -> None:
        if self.current is not None:
            with contextlib.suppress(Exception):
                self.current.shutdown()
            self.current = None


@pytest.fixture(scope="session")
def notebooks(browser, lab):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session = NotebookSession(browser, lab)
    yield session
    session.close()
    if session.run_seconds:
        timings = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in session.run_seconds.items())
        print(f"\n[browser] run-all time per notebook in JupyterLab: {timings}")


# --- the built book -----------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def book_server():
    """``book/_build/html`` served on 127.0.0.1 by a threaded http.server; yields its base URL."""
    if not (BOOK_HTML / "index.html").exists():
        unavailable(f"the book is not built ({BOOK_HTML / 'index.html'} is missing): run `make book`")
    handler = functools.partial(_QuietHandler, directory=str(BOOK_HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
