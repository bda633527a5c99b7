"""``make lab HEADLESS=1`` starts JupyterLab, as root too (Docker, cloud and classroom machines run as root).

The README's first command must work where the course is taught. The test
starts it on a free 127.0.0.1 port with the venv that runs the tests, waits
until the server answers with a login-protected page (the token is kept), and
stops it by its process group.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_headless_starts_and_keeps_its_token(tmp_path):
    venv = Path(sys.executable).parent.parent
    stamp = venv / ".installed-stamp"
    if not stamp.exists():  # the Makefile's install target: reuse this venv instead of building one
        pytest.skip(f"{venv} was not installed by `make install` (no {stamp.name}); run the suite with make")
    port = _free_port()
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(
        ["make", "-s", "lab", "HEADLESS=1", f"VENV={venv}",
         f"LAB_ARGS=--port {port} --ServerApp.port_retries=0 --ServerApp.root_dir={tmp_path}"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")},
    )
    try:
        deadline, status = time.time() + 120, None
        while time.time() < deadline and process.poll() is None:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2).status
            except urllib.error.HTTPError as error:
                status = error.code
                break
            except OSError:
                time.sleep(1)
                continue
            break
        output = (tmp_path / "lab.log").read_text()
        assert process.poll() is None, f"make lab exited ({process.returncode}):\n{output[-3000:]}"
        # the API answers, and only with the token: nothing was opened up to start as root
        assert status == 403, f"/api/status without a token answered {status}, expected 403:\n{output[-3000:]}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
