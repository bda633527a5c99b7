"""The real download path, exercised against a local HTTP server on 127.0.0.1 that the tests start.

No test here reaches any other address: the ``no_external_network`` guard
refuses (and fails the test on) any connection outside the loopback.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from imgsynth_edu.data import PHOTO_TEST, DatasetUnavailableError, load_photo
from imgsynth_edu.data import image_sets as image_sets_module
from imgsynth_edu.data.download import (
    ChecksumMismatchError,
    DownloadError,
    IncompleteDownloadError,
    RemoteFile,
    UnsafeArchiveError,
    download_file,
    extract_archive,
    file_checksum,
)
from imgsynth_edu.data.image_io import load_image_file, read_image_folder
from imgsynth_edu.data.image_sets import get_image_set

pytestmark = pytest.mark.usefixtures("no_external_network")

FAST = {"retry_wait": 0.0, "progress": False, "timeout": 10.0}


# ----------------------------------------------------------------------------
# A local HTTP server with scripted misbehaviour
# ----------------------------------------------------------------------------
@dataclasses.dataclass
class Route:
    body: bytes
    fail_first: int = 0  # answer HTTP 500 this many times first
    status: int = 200  # a permanent error status instead of the body (e.g. 404)
    send_bytes: int | None = None  # send only this many bytes of the body, then close
    declared_length: int | None = None  # Content-Length to announce (default: the real length)


class LocalServer:
    """A threaded ``http.server`` on 127.0.0.1, port 0; ``requests`` logs every path asked for."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                owner.requests.append(self.path)
                route = owner.routes.get(self.path)
                if route is None or route.status != 200:
                    self.send_error(404 if route is None else route.status)
                    return
                if route.fail_first > 0:
                    route.fail_first -= 1
                    self.send_error(500, "scripted failure")
                    return
                sent = route.body if route.send_bytes is None else route.body[: route.send_bytes]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(route.declared_length or len(route.body)))
                self.end_headers()
                self.wfile.write(sent)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, **behaviour) -> str:
        self.routes[path] = Route(body, **behaviour)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


# ----------------------------------------------------------------------------
# Fixture archives: a few small PNGs laid out as the real archives are
# ----------------------------------------------------------------------------
def _png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _pixels(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


#: member path -> uint8 pixels; a greyscale image is included on purpose.
BENCHMARK_FILES = {
    "benchmark/Set5/HR/baby.png": _pixels(1, (12, 10, 3)),
    "benchmark/Set5/HR/bird.png": _pixels(2, (8, 8)),
    "benchmark/Set14/HR/zebra.png": _pixels(3, (6, 9, 3)),
    "benchmark/B100/HR/8023.png": _pixels(4, (10, 6, 3)),
    "benchmark/Set5/LR_bicubic/X2/babyx2.png": _pixels(5, (6, 5, 3)),
}
DIV2K_FILES = {
    "DIV2K_valid_HR/0801.png": _pixels(6, (8, 12, 3)),
    "DIV2K_valid_HR/0802.png": _pixels(7, (12, 8, 3)),
}


def _tar_bytes(files: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as bundle:
        for name, pixels in files.items():
            data = _png_bytes(pixels)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip_bytes(files: dict[str, bytes | np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in files.items():
            bundle.writestr(name, content if isinstance(content, bytes) else _png_bytes(content))
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------
# download_file
# ----------------------------------------------------------------------------
def test_download_success_writes_the_verified_file_and_nothing_else(server, tmp_path):
    body = b"imgsynth" * 50_000  # 400 kB: several read chunks
    url = server.serve("/data.bin", body)
    path = download_file(url, tmp_path / "data.bin", _sha256(body), **FAST)
    assert path == tmp_path / "data.bin"
    assert path.read_bytes() == body
    assert _all_files(tmp_path) == [path]  # no temporary .part file left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # ordinary permissions, not mkstemp's private 0600
    assert server.requests == ["/data.bin"]


def test_wrong_checksum_raises_and_leaves_no_file(server, tmp_path):
    body = b"the real bytes"
    url = server.serve("/data.bin", body)
    wrong = _sha256(b"other bytes")
    with pytest.raises(ChecksumMismatchError) as caught:
        download_file(url, tmp_path / "data.bin", wrong, **FAST)
    message = str(caught.value)
    assert "checksum mismatch" in message and wrong in message and _sha256(body) in message
    assert url in message and "Nothing was saved" in message
    assert _all_files(tmp_path) == []  # neither the file nor a partial/temporary one
    assert server.requests == ["/data.bin", "/data.bin"]  # retried once


def test_larger_content_length_than_sent_is_a_truncation(server, tmp_path):
    body = bytes(range(256)) * 100
    url = server.serve("/cut.bin", body, declared_length=len(body) + 5000)
    with pytest.raises(IncompleteDownloadError) as caught:
        download_file(url, tmp_path / "cut.bin", _sha256(body), **FAST)
    assert f"{len(body) + 5000:,}" in str(caught.value)
    assert _all_files(tmp_path) == []


def test_connection_closed_mid_body_is_a_truncation(server, tmp_path):
    body = bytes(range(256)) * 400
    url = server.serve("/half.bin", body, send_bytes=len(body) // 2)
    with pytest.raises(IncompleteDownloadError) as caught:
        download_file(url, tmp_path / "half.bin", _sha256(body), **FAST)
    assert "cut short" in str(caught.value) or "connection" in str(caught.value)
    assert _all_files(tmp_path) == []
    assert len(server.requests) == 2


def test_a_server_error_is_retried_once_then_succeeds(server, tmp_path):
    body = b"second time lucky"
    url = server.serve("/flaky.bin", body, fail_first=1)
    path = download_file(url, tmp_path / "flaky.bin", _sha256(body), **FAST)
    assert path.read_bytes() == body
    assert server.requests == ["/flaky.bin", "/flaky.bin"]


def test_two_server_errors_exhaust_the_single_retry(server, tmp_path):
    body = b"never arrives"
    url = server.serve("/down.bin", body, fail_first=2)
    with pytest.raises(DownloadError, match=r"HTTP 500.*|2 attempts") as caught:
        download_file(url, tmp_path / "down.bin", _sha256(body), **FAST)
    assert "2 attempts" in str(caught.value) and "HTTP 500" in str(caught.value)
    assert _all_files(tmp_path) == []


def test_not_found_is_not_retried(server, tmp_path):
    url = server.serve("/gone.bin", b"", status=404)
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(url, tmp_path / "gone.bin", _sha256(b""), **FAST)
    assert server.requests == ["/gone.bin"]


def test_cache_hit_makes_no_request(server, tmp_path):
    body = b"cached"
    url = server.serve("/c.bin", body)
    download_file(url, tmp_path / "c.bin", _sha256(body), **FAST)
    download_file(url, tmp_path / "c.bin", _sha256(body), **FAST)
    assert server.requests == ["/c.bin"]


def test_existing_file_with_wrong_hash_is_reported_and_replaced(server, tmp_path):
    body = b"the right content"
    url = server.serve("/r.bin", body)
    (tmp_path / "r.bin").write_bytes(b"stale or corrupt")
    with pytest.warns(UserWarning, match="not the expected file"):
        download_file(url, tmp_path / "r.bin", _sha256(body), **FAST)
    assert (tmp_path / "r.bin").read_bytes() == body
    assert server.requests == ["/r.bin"]


def test_an_interrupted_download_leaves_no_file(server, tmp_path, monkeypatch):
    """Ctrl-C (or any other exception) at the last moment: the temporary file is removed, nothing is renamed."""
    from imgsynth_edu.data import download as download_module

    body = b"almost there"
    url = server.serve("/i.bin", body)

    def interrupted_replace(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(download_module.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        download_file(url, tmp_path / "i.bin", _sha256(body), **FAST)
    assert _all_files(tmp_path) == []
    assert server.requests == ["/i.bin"]  # an interruption is not retried


def test_md5_only_checksums_are_verified(server, tmp_path):
    body = b"a data set that publishes only an md5"
    url = server.serve("/m.bin", body)
    good_md5 = hashlib.md5(body).hexdigest()
    assert download_file(url, tmp_path / "m.bin", md5=good_md5, **FAST).read_bytes() == body
    with pytest.raises(ChecksumMismatchError, match="md5"):
        download_file(url, tmp_path / "other.bin", md5=hashlib.md5(b"x").hexdigest(), **FAST)
    assert not (tmp_path / "other.bin").exists()


def test_wrong_expected_size_is_refused(server, tmp_path):
    body = b"12345"
    url = server.serve("/s.bin", body)
    with pytest.raises(IncompleteDownloadError, match="the file has 6"):
        download_file(url, tmp_path / "s.bin", _sha256(body), size=6, **FAST)
    assert _all_files(tmp_path) == []


def test_closed_port_is_a_clear_connection_error(closed_port, tmp_path):
    url = f"http://127.0.0.1:{closed_port}/x.bin"
    with pytest.raises(DownloadError) as caught:
        download_file(url, tmp_path / "x.bin", _sha256(b"x"), **FAST)
    assert "could not connect" in str(caught.value) and url in str(caught.value)
    assert _all_files(tmp_path) == []


def test_download_file_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        download_file("http://127.0.0.1:9/x", tmp_path / "x")
    with pytest.raises(ValueError, match="retries"):
        download_file("http://127.0.0.1:9/x", tmp_path / "x", "0" * 64, retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        download_file("http://127.0.0.1:9/x", tmp_path / "x", "0" * 64, timeout=0)
    with pytest.raises(ValueError, match="checksum"):
        RemoteFile("http://127.0.0.1:9/x", "x")


def test_file_checksum_matches_hashlib(tmp_path):
    data = bytes(range(256)) * 5000
    (tmp_path / "f").write_bytes(data)
    assert file_checksum(tmp_path / "f") == hashlib.sha256(data).hexdigest()
    assert file_checksum(tmp_path / "f", "md5") == hashlib.md5(data).hexdigest()
    with pytest.raises(ValueError, match="algorithm"):
        file_checksum(tmp_path / "f", "sha1")


# ----------------------------------------------------------------------------
# extract_archive
# ----------------------------------------------------------------------------
def test_extract_zip_and_tar(tmp_path):
    (tmp_path / "a.zip").write_bytes(_zip_bytes({"top/x.txt": b"x", "top/sub/y.txt": b"yy"}))
    (tmp_path / "b.tar").write_bytes(_tar_bytes(DIV2K_FILES))
    out_zip = extract_archive(tmp_path / "a.zip", tmp_path / "out_zip")
    out_tar = extract_archive(tmp_path / "b.tar", tmp_path / "out_tar")
    assert (out_zip / "top/sub/y.txt").read_bytes() == b"yy"
    assert sorted(p.name for p in (out_tar / "DIV2K_valid_HR").iterdir()) == ["0801.png", "0802.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "b.tar", "out_tar", "out_zip"]
    umask = os.umask(0)
    os.umask(umask)
    assert out_zip.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0700


@pytest.mark.parametrize("member", ["../evil.txt", "/tmp/evil.txt", "ok/../../evil.txt"])
def test_extract_refuses_path_traversal_and_writes_nothing(tmp_path, member):
    (tmp_path / "bad.zip").write_bytes(_zip_bytes({"fine.txt": b"ok", member: b"evil"}))
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_archive(tmp_path / "bad.zip", tmp_path / "sub" / "out")
    assert _all_files(tmp_path) == [tmp_path / "bad.zip"]  # nothing extracted, no staging folder left
    assert not (tmp_path / "sub" / "out").exists()


def test_extract_refuses_links_in_tar(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as bundle:
        link = tarfile.TarInfo("innocent")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        bundle.addfile(link)
    (tmp_path / "link.tar").write_bytes(buffer.getvalue())
    with pytest.raises(UnsafeArchiveError, match="not a plain file"):
        extract_archive(tmp_path / "link.tar", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.tar"]


def test_extract_archive_bad_arguments(tmp_path):
    (tmp_path / "a.zip").write_bytes(_zip_bytes({"x.txt": b"x"}))
    (tmp_path / "exists").mkdir()
    with pytest.raises(FileExistsError, match="exists"):
        extract_archive(tmp_path / "a.zip", tmp_path / "exists")
    (tmp_path / "notes.txt").write_text("not an archive")
    with pytest.raises(ValueError, match="neither a zip nor a tar"):
        extract_archive(tmp_path / "notes.txt", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="missing.zip"):
        extract_archive(tmp_path / "missing.zip", tmp_path / "out")


# ----------------------------------------------------------------------------
# get_image_set: the registry entries pointed at the local server
# ----------------------------------------------------------------------------
def _point_registry_at(monkeypatch, archive: RemoteFile, keys) -> None:
    for key in keys:
        entry = image_sets_module.IMAGE_SETS[key]
        count = {"set5": 2, "set14": 1, "bsd100": 1, "div2k-valid": 2}[key]
        monkeypatch.setitem(image_sets_module.IMAGE_SETS, key, dataclasses.replace(entry, archive=archive, count=count))


@pytest.fixture
def benchmark_archive(server, monkeypatch):
    """``benchmark.tar`` (Set5, Set14, B100) served locally, with its real MD5 in the registry."""
    body = _tar_bytes(BENCHMARK_FILES)
    remote = RemoteFile(server.serve("/EDSR/benchmark.tar", body), "benchmark.tar", md5=hashlib.md5(body).hexdigest())
    _point_registry_at(monkeypatch, remote, ["set5", "set14", "bsd100"])
    return remote


def test_get_image_set_downloads_verifies_and_loads(server, benchmark_archive, tmp_path):
    images = get_image_set("Set5", root=tmp_path, **FAST)
    assert sorted(images) == ["baby", "bird"]  # keyed like the bundled photographs: the file name without .png
    for name, image in images.items():
        expected = BENCHMARK_FILES[f"benchmark/Set5/HR/{name}.png"]
        assert image.dtype == torch.float32 and image.ndim == 3 and image.shape[0] == 3
        assert 0.0 <= image.min() and image.max() <= 1.0
        channels_last = expected if expected.ndim == 3 else np.repeat(expected[:, :, None], 3, axis=2)
        assert torch.equal(image, torch.from_numpy(channels_last).permute(2, 0, 1).float() / 255.0)
    # one archive holds three sets: Set14 and BSD100 came with it, with no further request
    assert sorted(get_image_set("Set14", root=tmp_path)) == ["zebra"]
    assert sorted(get_image_set("B100", root=tmp_path)) == ["8023"]
    assert server.requests == ["/EDSR/benchmark.tar"]
    # the archive and the unpacking folder are gone; only the HR images remain
    assert [p.relative_to(tmp_path).as_posix() for p in _all_files(tmp_path)] == [
        "image_sets/bsd100/8023.png", "image_sets/set14/zebra.png",
        "image_sets/set5/baby.png", "image_sets/set5/bird.png",
    ]


def test_get_image_set_second_call_is_a_cache_hit(server, benchmark_archive, tmp_path):
    get_image_set("set5", root=tmp_path, **FAST)
    again = get_image_set("set5", root=tmp_path, **FAST)
    assert len(again) == 2 and server.requests == ["/EDSR/benchmark.tar"]


def test_get_image_set_div2k_zip(server, monkeypatch, tmp_path):
    body = _zip_bytes(DIV2K_FILES)
    remote = RemoteFile(server.serve("/DIV2K_valid_HR.zip", body), "DIV2K_valid_HR.zip", sha256=_sha256(body),
                        size=len(body))
    _point_registry_at(monkeypatch, remote, ["div2k-valid"])
    images = get_image_set("DIV2K", "valid", root=tmp_path, **FAST)
    assert sorted(images) == ["0801", "0802"]
    assert tuple(images["0801"].shape) == (3, 8, 12)
    assert "DIV2K valid" in repr(images)


def test_get_image_set_wrong_checksum_leaves_nothing(server, monkeypatch, tmp_path):
    body = _tar_bytes(BENCHMARK_FILES)
    url = server.serve("/EDSR/benchmark.tar", body)
    _point_registry_at(monkeypatch, RemoteFile(url, "benchmark.tar", md5="0" * 32), ["set5", "set14", "bsd100"])
    with pytest.raises(DatasetUnavailableError) as caught:
        get_image_set("Set5", root=tmp_path, **FAST)
    assert isinstance(caught.value.__cause__, ChecksumMismatchError)
    assert "checksum mismatch" in str(caught.value)
    assert _all_files(tmp_path) == []


def test_get_image_set_truncated_leaves_nothing(server, monkeypatch, tmp_path):
    body = _tar_bytes(BENCHMARK_FILES)
    url = server.serve("/EDSR/benchmark.tar", body, send_bytes=len(body) // 3)
    _point_registry_at(monkeypatch, RemoteFile(url, "benchmark.tar", md5=hashlib.md5(body).hexdigest()),
                       ["set5", "set14", "bsd100"])
    with pytest.raises(DatasetUnavailableError) as caught:
        get_image_set("Set5", root=tmp_path, **FAST)
    assert isinstance(caught.value.__cause__, IncompleteDownloadError)
    assert _all_files(tmp_path) == []


def test_get_image_set_offline_error_says_what_to_do(closed_port, monkeypatch, tmp_path):
    url = f"http://127.0.0.1:{closed_port}/EDSR/benchmark.tar"
    _point_registry_at(monkeypatch, RemoteFile(url, "benchmark.tar", md5="0" * 32), ["set5", "set14", "bsd100"])
    with pytest.raises(DatasetUnavailableError) as caught:
        get_image_set("Set5", root=tmp_path, **FAST)
    message = str(caught.value)
    assert "'Set5'" in message  # the data set
    assert f"tried: {url}" in message  # the URL tried
    assert str(tmp_path / "image_sets" / "set5") in message  # where to put the files by hand
    assert "get_image_set('photos-test')" in message and "photo_set('test')" in message  # the alternative
    assert _all_files(tmp_path) == []


def test_get_image_set_fallback_returns_the_bundled_photos(closed_port, monkeypatch, tmp_path, capsys):
    url = f"http://127.0.0.1:{closed_port}/EDSR/benchmark.tar"
    _point_registry_at(monkeypatch, RemoteFile(url, "benchmark.tar", md5="0" * 32), ["set5", "set14", "bsd100"])
    images = get_image_set("Set14", root=tmp_path, fallback=True, **FAST)
    assert tuple(images) == PHOTO_TEST
    assert "Using the bundled 'photos-test'" in capsys.readouterr().out


def test_get_image_set_without_download_and_without_files(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        get_image_set("Set5", root=tmp_path, download=False)


def test_get_image_set_uses_files_installed_by_hand(closed_port, monkeypatch, tmp_path):
    url = f"http://127.0.0.1:{closed_port}/EDSR/benchmark.tar"  # would fail if it were tried
    _point_registry_at(monkeypatch, RemoteFile(url, "benchmark.tar", md5="0" * 32), ["set5", "set14", "bsd100"])
    folder = tmp_path / "image_sets" / "set5"
    folder.mkdir(parents=True)
    for name in ("baby.png", "bird.png"):
        (folder / name).write_bytes(_png_bytes(BENCHMARK_FILES[f"benchmark/Set5/HR/{name}"]))
    images = get_image_set("Set5", root=tmp_path, rgb=False)
    assert images["bird"].shape[0] == 1 and images["baby"].shape[0] == 3


def test_get_image_set_bundled_photos_are_one_entry_point(monkeypatch):
    test_photos = get_image_set("photos-test")
    assert tuple(test_photos) == PHOTO_TEST
    assert torch.equal(test_photos["chelsea"], load_photo("chelsea"))
    asked = []
    monkeypatch.setattr(image_sets_module, "photo_set", lambda split, rgb: asked.append((split, rgb)) or {})
    get_image_set("photos", "train")
    get_image_set("PHOTOS-TRAIN", rgb=False)
    get_image_set("photos", "all")
    assert asked == [("train", True), ("train", False), ("all", True)]


@pytest.mark.parametrize(
    ("name", "split", "argument"),
    [("Set6", None, "name"), ("DIV2K", None, "split"), ("DIV2K", "test", "split"), ("Set5", "train", "split")],
)
def test_get_image_set_bad_arguments_name_the_argument(tmp_path, name, split, argument):
    with pytest.raises(ValueError, match=f"^{argument} "):
        get_image_set(name, split, root=tmp_path, download=False)


def test_load_image_file_16_bit_and_greyscale(tmp_path):
    deep = np.array([[0, 65535], [32768, 1000]], dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    image = load_image_file(tmp_path / "deep.png", rgb=False)
    assert image.shape == (1, 2, 2) and image.dtype == torch.float32
    assert torch.allclose(image[0], torch.from_numpy(deep / 65535.0).float())
    assert load_image_file(tmp_path / "deep.png").shape == (3, 2, 2)


def test_read_image_folder_is_the_one_folder_reader(tmp_path):
    Image.fromarray(np.full((4, 6, 3), 200, dtype=np.uint8)).save(tmp_path / "b.png")
    Image.fromarray(np.full((5, 5), 10, dtype=np.uint8)).save(tmp_path / "a.bmp")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"")
    images = read_image_folder(tmp_path)
    assert list(images) == ["a", "b"] and len(images) == 2  # sorted, keyed by stem, images only
    assert images["a"].shape == (3, 5, 5) and images["b"].shape == (3, 4, 6)  # greyscale repeated to RGB
    assert read_image_folder(tmp_path, rgb=False)["a"].shape == (1, 5, 5)
    with pytest.raises(KeyError, match="'c' is not in"):
        images["c"]
    Image.fromarray(np.zeros((2, 2), dtype=np.uint8)).save(tmp_path / "a.png")
    with pytest.raises(ValueError, match="two images named 'a': a.bmp and a.png"):
        read_image_folder(tmp_path)


def test_read_image_folder_refuses_an_empty_or_missing_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=f"images folder {str(tmp_path / 'empty')!r} holds no image files"):
        read_image_folder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_image_folder(tmp_path / "missing")


def test_the_network_guard_refuses_other_addresses(no_external_network):
    """The guard this module relies on: 192.0.2.1 (TEST-NET-1, documentation only) is refused, not tried."""
    import socket
    import urllib.request

    with socket.socket() as raw, pytest.raises(ConnectionRefusedError, match="only 127.0.0.1"):
        raw.connect(("192.0.2.1", 80))
    with pytest.raises(OSError, match="only 127.0.0.1"):
        urllib.request.urlopen("http://example.invalid/", timeout=1)
    assert no_external_network == [("192.0.2.1", 80), "example.invalid"]
    no_external_network.clear()  # what was recorded was this test's own probe
