"""Verified downloads: fetch a file, prove it is the right one, and never leave a broken one behind.

Data sets are downloaded once and then trusted for every score computed on
them, so a download must be *verified* and *atomic*:

1. **Stream to a temporary file beside the destination** (``.NAME.XXXX.part``),
   hashing the bytes as they arrive, with a ``tqdm`` progress bar.
2. **Check the transfer is complete**: the number of bytes received must equal
   the ``Content-Length`` the server announced (and the expected size, when
   known). A dropped connection is an error, not a shorter file.
3. **Check the checksum**: the SHA-256 (or, where only that is published, the
   MD5) of the bytes must equal the published one. A file that differs by one
   bit is not the data set the papers used.
4. **Rename atomically** (``os.replace``) onto the destination. Readers see
   either no file or the complete, verified file - never a half-written one.

Anything that goes wrong (network error, HTTP error, short transfer, wrong
checksum, even Ctrl-C) deletes the temporary file and raises a
:class:`DownloadError` that says what happened. Transient failures (no
connection, a timeout, HTTP 5xx, a short transfer, a wrong checksum) are
retried once. A destination that already exists with the right checksum is
used as it is (the cache); one with a wrong checksum is reported and replaced.

:func:`extract_archive` unpacks a ``.zip`` or ``.tar[.gz]`` the same way:
into a temporary folder beside the target, refusing members that would land
outside it (``../``, absolute paths, links: the "zip slip" attack), and only
then renamed into place.

Lesson: ``00_tour.ipynb`` (the data sets); used by ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CHUNK_BYTES = 1 << 20  # read and hash 1 MiB at a time
USER_AGENT = "imgsynth-edu (https://github.com/imgsynth-edu/imgsynth-edu)"


class DownloadError(RuntimeError):
    """A download failed; nothing was left at the destination. The message says why."""


class ChecksumMismatchError(DownloadError):
    """The downloaded bytes do not have the published checksum."""


class IncompleteDownloadError(DownloadError):
    """The transfer ended before all the announced bytes arrived."""


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the extraction folder (or is a link)."""


@dataclass(frozen=True)
class RemoteFile:
    """A file on the web and what it must be: its URL, checksum and (if known) size.

    At least one checksum is required. ``sha256`` is preferred; ``md5`` exists
    because some data sets publish nothing else (an MD5 still detects a
    corrupt or truncated transfer, though not a deliberate forgery).
    """

    url: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None

    def __post_init__(self):
        if not self.sha256 and not self.md5:
            raise ValueError(f"RemoteFile {self.filename!r} needs a sha256 (or md5) checksum")


# ----------------------------------------------------------------------------
# Checksums
# ----------------------------------------------------------------------------
def _new_hasher(algorithm: str):
    # MD5 only as an integrity check (usedforsecurity=False keeps FIPS-mode Pythons happy)
    return hashlib.sha256() if algorithm == "sha256" else hashlib.md5(usedforsecurity=False)


def _expected_digests(sha256: str | None, md5: str | None) -> dict[str, str]:
    """``{"sha256": hex, "md5": hex}`` for the checksums that were given."""
    return {algorithm: digest.lower() for algorithm, digest in (("sha256", sha256), ("md5", md5)) if digest}


def _mismatches(hashers: dict, expected: dict[str, str]) -> list[str]:
    """``["sha256 expected ... got ..."]`` for every checksum that does not match."""
    return [
        f"{algorithm} expected {expected[algorithm]}, got {hasher.hexdigest()}"
        for algorithm, hasher in hashers.items()
        if hasher.hexdigest() != expected[algorithm]
    ]


def _hash_file(path: Path, hashers: dict) -> None:
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            for hasher in hashers.values():
                hasher.update(chunk)


def file_checksum(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of a file (``"sha256"`` or ``"md5"``), read in 1 MiB chunks."""
    if algorithm not in {"sha256", "md5"}:
        raise ValueError(f"algorithm must be 'sha256' or 'md5', got {algorithm!r}")
    hasher = _new_hasher(algorithm)
    _hash_file(Path(path), {algorithm: hasher})
    return hasher.hexdigest()


def _usual_mode(directory: bool = False) -> int:
    """The permissions a plain ``open``/``mkdir`` would give (``mkstemp``/``mkdtemp`` make them private)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


# ----------------------------------------------------------------------------
# Download
# ----------------------------------------------------------------------------
class _PermanentError(DownloadError):
    """A failure that retrying cannot fix (e.g. HTTP 404)."""


def _is_transient_http(code: int) -> bool:
    return code >= 500 or code in (408, 429)


def _fetch_once(url: str, part: Path, label: str, timeout: float, expected_size: int | None,
                progress: bool, expected: dict[str, str]) -> None:
    """One attempt: stream ``url`` into ``part``, then check length and checksum."""
    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        message = f"the server answered HTTP {error.code} {error.reason}"
        raise (DownloadError if _is_transient_http(error.code) else _PermanentError)(message) from error
    except (urllib.error.URLError, OSError) as error:  # refused, DNS failure, timeout, ...
        reason = getattr(error, "reason", error)
        raise DownloadError(f"could not connect ({reason})") from error

    hashers = {algorithm: _new_hasher(algorithm) for algorithm in expected}
    received = 0
    with response:
        header = response.headers.get("Content-Length")
        announced = int(header) if header and header.isdigit() else None
        with open(part, "wb") as out, tqdm(
            total=announced or expected_size, unit="B", unit_scale=True, unit_divisor=1024,
            desc=label, disable=not progress, leave=False,
        ) as bar:
            try:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    for hasher in hashers.values():
                        hasher.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except http.client.IncompleteRead as error:
                received += len(error.partial)
                raise IncompleteDownloadError(
                    f"the connection closed after {received:,} of {announced if announced else '?'} bytes"
                ) from error
            except (OSError, http.client.HTTPException) as error:  # reset, timeout mid-body
                raise IncompleteDownloadError(
                    f"the connection failed after {received:,} bytes ({type(error).__name__}: {error})"
                ) from error
            out.flush()
            os.fsync(out.fileno())

    if announced is not None and received != announced:
        raise IncompleteDownloadError(
            f"the transfer was cut short: {received:,} bytes received, {announced:,} announced (Content-Length)"
        )
    if expected_size is not None and received != expected_size:
        raise IncompleteDownloadError(f"got {received:,} bytes, but the file has {expected_size:,}")
    problems = _mismatches(hashers, expected)
    if problems:
        raise ChecksumMismatchError("checksum mismatch: " + "; ".join(problems))


def download_file(
    url: str,
    destination: str | os.PathLike,
    sha256: str | None = None,
    *,
    md5: str | None = None,
    size: int | None = None,
    retries: int = 1,
    timeout: float = 60.0,
    retry_wait: float = 1.0,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``destination``, verified by checksum and written atomically.

    Args:
        url: where to get the file.
        destination: the file to create (its folder is created if needed).
        sha256: the published SHA-256 of the file (hex).
        md5: the published MD5, for data sets that publish only that; at
            least one of ``sha256`` / ``md5`` is required (both are checked
            when both are given).
        size: the expected number of bytes, when known.
        retries: how many times a transient failure is retried (default once).
        timeout: seconds to wait for the server before giving up an attempt.
        retry_wait: seconds to wait before a retry.
        progress: show a ``tqdm`` progress bar.

    Returns:
        ``destination`` as a ``Path``. If it already held a file with the
        right checksum, nothing is downloaded (the cache).

    Raises:
        DownloadError: what went wrong (:class:`ChecksumMismatchError`,
            :class:`IncompleteDownloadError`, or a network / HTTP error), after
            the retries; no file - partial or temporary - is left behind.
    """
    if not sha256 and not md5:
        raise ValueError("sha256 (or md5) must be given: a download is only as good as its checksum")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a number > 0 (seconds), got {timeout!r}")
    destination = Path(destination)
    expected = _expected_digests(sha256, md5)

    if destination.is_file():  # the cache
        hashers = {algorithm: _new_hasher(algorithm) for algorithm in expected}
        _hash_file(destination, hashers)
        problems = _mismatches(hashers, expected)
        if not problems:
            return destination
        warnings.warn(
            f"{destination} exists but is not the expected file ({'; '.join(problems)}); "
            "downloading it again and replacing it",
            stacklevel=2,
        )

    destination.parent.mkdir(parents=True, exist_ok=True)
    attempts = retries + 1
    last_error: DownloadError | None = None
    for attempt in range(1, attempts + 1):
        fd, part_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
        os.close(fd)
        part = Path(part_name)
        try:
            _fetch_once(url, part, destination.name, timeout, size, progress, expected)
            os.chmod(part, _usual_mode())
            os.replace(part, destination)  # atomic: the complete, verified file appears at once
            return destination
        except _PermanentError as error:
            last_error = error
            break
        except DownloadError as error:
            last_error = error
            if attempt < attempts:
                time.sleep(retry_wait)
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()  # already renamed on success; removed on any failure (Ctrl-C too)
    tries = "1 attempt" if attempt == 1 else f"{attempt} attempts"
    raise type(last_error)(
        f"download of {url} failed ({tries}): {last_error}. Nothing was saved at {destination}."
    ) from last_error


# ----------------------------------------------------------------------------
# Extraction
# ----------------------------------------------------------------------------
def _check_member_name(name: str, archive: Path) -> None:
    """Refuse absolute paths and ``..``: a member must land inside the target folder."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchiveError(f"archive {archive} has a member outside its folder: {name!r}; refusing to extract")


def _extract_zip(archive: Path, into: Path) -> None:
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            _check_member_name(info.filename, archive)
            if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symbolic link
                raise UnsafeArchiveError(f"archive {archive} has a link member {info.filename!r}; refusing to extract")
        bundle.extractall(into)


def _extract_tar(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as bundle:
        members = bundle.getmembers()
        for member in members:
            _check_member_name(member.name, archive)
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchiveError(
                    f"archive {archive} has a member that is not a plain file or folder: {member.name!r}; "
                    "refusing to extract"
                )
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12: the standard library's own guard too
            bundle.extractall(into, members=members, filter="data")
        else:  # pragma: no cover - old Pythons; the checks above already ran
            bundle.extractall(into, members=members)


def extract_archive(archive: str | os.PathLike, folder: str | os.PathLike) -> Path:
    """Unpack a ``.zip`` or ``.tar`` (``.gz``, ``.bz2``, ``.xz``) archive into ``folder``, atomically.

    The archive is unpacked into a temporary folder beside ``folder`` and
    renamed to ``folder`` only when every member was written, so ``folder``
    either does not exist or is complete. Members with absolute paths, ``..``
    or links are refused (:class:`UnsafeArchiveError`) before anything is
    written. ``folder`` must not exist yet.
    """
    archive, folder = Path(archive), Path(folder)
    if not archive.is_file():
        raise FileNotFoundError(f"archive {str(archive)!r} does not exist")
    if folder.exists():
        raise FileExistsError(f"folder {str(folder)!r} already exists; remove it to extract {archive.name} again")
    if zipfile.is_zipfile(archive):
        extract = _extract_zip
    elif tarfile.is_tarfile(archive):
        extract = _extract_tar
    else:
        raise ValueError(f"archive {str(archive)!r} is neither a zip nor a tar file")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    try:
        extract(archive, staging)
        os.chmod(staging, _usual_mode(directory=True))
        os.replace(staging, folder)  # atomic rename of the complete folder
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder
