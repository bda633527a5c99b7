"""Shared test fixtures."""

from __future__ import annotations

import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
os.environ.setdefault("IMGSYNTH_MODE", "quick")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture
def write_tiny_srresnet():
    """Write a tiny SRResNet model file and its card: ``write(path, bicubic_skip=True, scale=2) -> path``.

    One residual block of 4 channels, seeded, so the file is the same every time; with
    ``bicubic_skip`` and its zero-initialised tail it upscales like bicubic.
    """
    import json

    from imgsynth_edu.models.srresnet import SRResNet
    from imgsynth_edu.utils import save_state_dict

    def write(path, bicubic_skip: bool = True, scale: int = 2):
        torch.manual_seed(0)
        arguments = {"scale": scale, "num_blocks": 1, "channels": 4, "batch_norm": False, "bicubic_skip": bicubic_skip}
        save_state_dict(SRResNet(**arguments).state_dict(), path)
        card = {"name": path.stem, "architecture": "imgsynth_edu.models.srresnet.SRResNet", "arguments": arguments}
        path.with_suffix(".json").write_text(json.dumps(card))
        return path

    return write


@pytest.fixture
def tiny_model(tmp_path, write_tiny_srresnet):
    """``tmp_path/tiny.pt``: the tiny ×2 model file of :func:`write_tiny_srresnet`, with its card."""
    return write_tiny_srresnet(tmp_path / "tiny.pt")


@pytest.fixture
def generator() -> torch.Generator:
    """A freshly seeded torch generator."""
    return torch.Generator().manual_seed(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def no_external_network(monkeypatch):
    """Make any connection to an address other than the loopback fail the test.

    Tests may only talk to servers they start on 127.0.0.1; this guard proves
    it: a connection elsewhere is refused (so nothing leaves the machine) and
    recorded, and the test fails at teardown.
    """
    import socket

    attempts: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _allowed(address) -> bool:
        return not isinstance(address, tuple) or str(address[0]) in _LOOPBACK

    def connect(self, address):
        if not _allowed(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"test tried to reach {address}: only 127.0.0.1 is allowed")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _allowed(address):
            attempts.append(address)
            return 111  # ECONNREFUSED
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and str(host) not in _LOOPBACK:
            attempts.append(host)
            raise socket.gaierror(f"test tried to resolve {host!r}: only 127.0.0.1 is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"a test tried to reach the network outside 127.0.0.1: {attempts}"


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: connecting to it is refused at once."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def local_server():
    """Serve ``files`` (path -> bytes) from 127.0.0.1, any other path is a 404.

    Yields ``(base_url, files, requests)``: fill or clear ``files`` while the test
    runs; ``requests`` lists every path asked for, in order. Never another address.
    """
    import http.server
    import threading

    files: dict[str, bytes] = {}
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            requests.append(self.path)
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files, requests
    finally:
        server.shutdown()
        server.server_close()
