"""Image sets for restoration: the super-resolution benchmarks, downloaded and verified, or the bundled photos.

``get_image_set(name, split)`` returns a read-only mapping
``{name: C×H×W float32 tensor in [0, 1]}`` of *high-resolution* images, keyed
by file name without its suffix (``"baby"`` for ``baby.png``), as the bundled
photographs are.
The low-resolution inputs are made from them with
:func:`imgsynth_edu.data.bicubic_downscale` (MATLAB-like bicubic, the rule the
papers used), so every scale (×2, ×3, ×4) comes from the same files.

=============  =======  ======  ==============================================
name           split    images  source
=============  =======  ======  ==============================================
``Set5``       -        5       Bevilacqua et al., BMVC 2012
``Set14``      -        14      Zeyde et al., Curves and Surfaces 2010
``BSD100``     -        100     Martin et al., ICCV 2001 (the BSD300 test part;
                                also called ``B100``)
``DIV2K``      train    800     Agustsson & Timofte, NTIRE 2017 (CVPRW)
``DIV2K``      valid    100     (the 100 validation images, 0801-0900)
``photos``     train    12      bundled: scikit-image's photographs, offline
``photos``     test     5       (``"photos-train"`` / ``"photos-test"`` too)
``outside``    -        2       bundled: scikit-learn's sample photographs
                                ``china`` and ``flower``, offline; outside
                                the bundled set, never trained on
=============  =======  ======  ==============================================

Where the files come from, and how they are verified:

* **Set5, Set14, BSD100**: the ``benchmark.tar`` archive that the EDSR authors
  (Lim et al., CVPRW 2017) host at ``cv.snu.ac.kr``; one download gives all
  three (its ``benchmark/<set>/HR`` folders). **No SHA-256 has been published
  for this archive**; we check the **MD5** that the torchSR package publishes
  for it (``4ace41d3...``). An MD5 reliably detects a corrupt or truncated
  transfer, though not a deliberately forged file.
* **DIV2K**: the official ETH Zürich archives ``DIV2K_train_HR.zip`` and
  ``DIV2K_valid_HR.zip``, checked by **SHA-256 and size** as published in
  TensorFlow Datasets' checksum list for ``div2k``.

Each downloaded set is unpacked into ``data_home()/image_sets/<key>/`` (for
example ``~/.cache/imgsynth-edu/image_sets/set5/``); the archive itself is
deleted after a successful unpacking. To install a set by hand (no network),
put its high-resolution PNG files in that folder, or put the archive in
``data_home()/downloads/`` (it is verified and unpacked on the next call).
With no network and no files, :class:`DatasetUnavailableError` says exactly
this; ``fallback=True`` returns the bundled photographs instead and says so.

Lesson: ``00_tour.ipynb`` (the image sets); ``05_super_resolution.ipynb``.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from .datasets import DatasetUnavailableError, data_home
from .download import DownloadError, RemoteFile, download_file, extract_archive
from .image_io import IMAGE_SUFFIXES, read_image_folder
from .photos import outside_photo_set, photo_set

#: EDSR's benchmark archive (Set5, Set14, B100, Urban100: HR and bicubic LR).
#: Only an MD5 is published for it (by torchSR, ``torchsr/datasets/benchmarks.py``).
EDSR_BENCHMARK = RemoteFile(
    url="https://cv.snu.ac.kr/research/EDSR/benchmark.tar",
    filename="benchmark.tar",
    md5="4ace41d33c2384b97e6b320cd0afd6ba",
)
#: DIV2K high-resolution archives; SHA-256 and size from TensorFlow Datasets (``div2k/checksums.tsv``).
DIV2K_TRAIN_HR = RemoteFile(
    url="https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_train_HR.zip",
    filename="DIV2K_train_HR.zip",
    sha256="9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335",
    size=3_530_603_713,
)
DIV2K_VALID_HR = RemoteFile(
    url="https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_valid_HR.zip",
    filename="DIV2K_valid_HR.zip",
    sha256="20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc",
    size=448_993_893,
)


@dataclass(frozen=True)
class ImageSetSource:
    """Where a downloadable image set lives: which archive, which folder inside it."""

    key: str  #: the cache folder name, e.g. ``"set5"``
    title: str  #: the name papers use, e.g. ``"Set5"``
    archive: RemoteFile
    member: str  #: the folder inside the archive that holds the HR images
    count: int  #: how many images the set has
    alternative: str  #: the bundled set to use offline


#: The downloadable sets, by key. Tests replace entries to point at a local server.
IMAGE_SETS: dict[str, ImageSetSource] = {
    "set5": ImageSetSource("set5", "Set5", EDSR_BENCHMARK, "benchmark/Set5/HR", 5, "photos-test"),
    "set14": ImageSetSource("set14", "Set14", EDSR_BENCHMARK, "benchmark/Set14/HR", 14, "photos-test"),
    "bsd100": ImageSetSource("bsd100", "BSD100", EDSR_BENCHMARK, "benchmark/B100/HR", 100, "photos-test"),
    "div2k-train": ImageSetSource("div2k-train", "DIV2K train", DIV2K_TRAIN_HR, "DIV2K_train_HR", 800, "photos-train"),
    "div2k-valid": ImageSetSource("div2k-valid", "DIV2K valid", DIV2K_VALID_HR, "DIV2K_valid_HR", 100, "photos-test"),
}
BUNDLED_IMAGE_SETS = ("photos-train", "photos-test", "photos-all", "outside")
_ALIASES = {"b100": "bsd100", "div2k-val": "div2k-valid", "div2k-validation": "div2k-valid"}


def image_set_names() -> tuple[str, ...]:
    """Every name :func:`get_image_set` accepts (downloadable first, then bundled)."""
    return tuple(IMAGE_SETS) + BUNDLED_IMAGE_SETS


def _resolve(name: str, split: str | None) -> str:
    """``("DIV2K", "train")`` -> ``"div2k-train"``; ``("Set5", None)`` -> ``"set5"``."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key in {"div2k", "photos"}:
        splits = {"div2k": ("train", "valid"), "photos": ("train", "test", "all")}[key]
        if split not in splits:
            raise ValueError(f"split must be one of {list(splits)} for {name!r}, got {split!r}")
        key = _ALIASES.get(f"{key}-{split}", f"{key}-{split}")
    elif split is not None:
        raise ValueError(f"split must be None for {name!r} (it has a single split), got {split!r}")
    if key not in IMAGE_SETS and key not in BUNDLED_IMAGE_SETS:
        raise ValueError(
            f"name must be one of Set5, Set14, BSD100 (B100), DIV2K (split 'train' or 'valid'), "
            f"photos (split 'train' or 'test'), outside, or {list(image_set_names())}; got {name!r}"
        )
    return key


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir())


def _install(source: ImageSetSource, root: Path, **download_options) -> None:
    """Download ``source.archive``, unpack it, and move every set it holds into ``root/image_sets``."""
    sets_home = root / "image_sets"
    archive = download_file(
        source.archive.url, root / "downloads" / source.archive.filename, source.archive.sha256,
        md5=source.archive.md5, size=source.archive.size, **download_options,
    )
    unpacked = sets_home / f".unpacked-{source.archive.filename}"
    if not unpacked.is_dir():  # a complete earlier unpacking is reused (extract_archive is atomic)
        extract_archive(archive, unpacked)
    for other in IMAGE_SETS.values():  # Set5, Set14 and BSD100 share one archive: install all at once
        if other.archive != source.archive or _has_images(sets_home / other.key):
            continue
        member = unpacked / other.member
        if not _has_images(member):
            raise DatasetUnavailableError(
                f"archive {archive} has no images in {other.member}/ (expected {other.count} for {other.title})"
            )
        os.replace(member, sets_home / other.key)  # atomic: the folder appears complete
    shutil.rmtree(unpacked)
    archive.unlink()  # the unpacked images are the cache; the archive is no longer needed


def get_image_set(
    name: str,
    split: str | None = None,
    *,
    root: str | os.PathLike | None = None,
    download: bool = True,
    fallback: bool = False,
    rgb: bool = True,
    **download_options,
) -> Mapping[str, torch.Tensor]:
    """The high-resolution images of an image set, as ``{name: C×H×W float32 tensor in [0, 1]}``.

    Args:
        name: ``"Set5"``, ``"Set14"``, ``"BSD100"`` (or ``"B100"``), ``"DIV2K"``
            (downloaded, verified, cached), or ``"photos"`` (bundled, offline);
            also ``"photos-train"`` / ``"photos-test"``, and ``"outside"`` (scikit-learn's
            sample photographs ``china`` and ``flower``, bundled). Case does not matter.
        split: ``"train"`` or ``"valid"`` for DIV2K; ``"train"``, ``"test"`` or
            ``"all"`` for photos; ``None`` for the others.
        root: the cache folder (default :func:`imgsynth_edu.data.data_home`).
        download: allow downloading (otherwise only files already there are used).
        fallback: if the set cannot be had, print a notice and return its
            bundled alternative (the held-out photographs, or the training
            photographs for DIV2K train) instead of raising.
        rgb: repeat greyscale images to three channels.
        download_options: passed to :func:`imgsynth_edu.data.download.download_file`
            (``retries``, ``timeout``, ``retry_wait``, ``progress``).

    Returns:
        A read-only mapping; downloaded sets read each file when it is looked up.

    Raises:
        DatasetUnavailableError: no files and no download; the message names
            the set, the URL tried, the folder for a by-hand install, and the
            bundled alternative.
    """
    key = _resolve(name, split)
    if key == "outside":
        return outside_photo_set()  # already RGB
    if key in BUNDLED_IMAGE_SETS:
        return photo_set(key.split("-", 1)[1], rgb=rgb)
    source = IMAGE_SETS[key]
    root = Path(root) if root is not None else data_home()
    folder = root / "image_sets" / key
    try:
        if not _has_images(folder):
            if not download:
                raise DatasetUnavailableError("download=False and the files are not there")
            _install(source, root, **download_options)
    except (DownloadError, DatasetUnavailableError, OSError, ValueError) as error:
        unavailable = DatasetUnavailableError(
            f"image set {source.title!r} could not be loaded ({type(error).__name__}: {error}).\n"
            f"  tried: {source.archive.url}\n"
            f"  to install it by hand: put its high-resolution images in {folder}/ , or put "
            f"{source.archive.filename} in {root / 'downloads'}/ (verified and unpacked on the next call)\n"
            f"  offline alternative that ships with the course: get_image_set({source.alternative!r}) "
            f"(= photo_set({source.alternative.split('-')[1]!r})), or pass fallback=True",
            alternative=source.alternative,
        )
        if not fallback:
            raise unavailable from error
        print(f"NOTE: image set {source.title!r} is unavailable here ({type(error).__name__}).\n"
              f"      Using the bundled {source.alternative!r} photographs instead, as announced.")
        return get_image_set(source.alternative, rgb=rgb)
    images = read_image_folder(folder, rgb=rgb, title=source.title)
    if len(images) != source.count:
        warnings.warn(f"{source.title} should have {source.count} images, {folder} has {len(images)}", stacklevel=2)
    return images
