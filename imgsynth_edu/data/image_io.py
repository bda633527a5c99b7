"""Reading and writing image files at full precision: 8- and 16-bit, greyscale, RGB, alpha.

Pillow reads most formats but turns a 16-bit RGB PNG into 8 bits, so PNG
files go through ``pypng`` (pure Python, every PNG bit depth and colour type)
and everything else through Pillow. Pixels come back as the course's
``float32`` ``1×C×H×W`` tensors in ``[0, 1]`` (``value / (2^bits - 1)``), with
the alpha channel kept apart: an upscaler restores the colour, and the alpha
mask is a different kind of signal.

Writing is atomic (:func:`imgsynth_edu.utils.atomic_write`): an interrupted
run never leaves a half-written output file.

Lesson: ``05_super_resolution.ipynb`` (upscaling your own photo).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .._checks import check_images
from ..utils import atomic_write

__all__ = [
    "IMAGE_SUFFIXES", "ImageFolder", "LoadedImage", "load_image_file", "read_image", "read_image_folder",
    "write_image",
]

#: File suffixes that :func:`read_image_folder` picks up and :func:`write_image` can write.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class LoadedImage:
    """An image file's content: ``pixels`` ``1×C×H×W`` (C = 1 or 3) and ``alpha`` ``1×1×H×W`` or None."""

    pixels: torch.Tensor
    alpha: torch.Tensor | None
    bit_depth: int  # 8 or 16: what the file stored (per channel)

    @property
    def height(self) -> int:
        return self.pixels.shape[-2]

    @property
    def width(self) -> int:
        return self.pixels.shape[-1]


def _from_array(array: np.ndarray, max_value: int, has_alpha: bool, bit_depth: int) -> LoadedImage:
    """``H×W×planes`` integers -> :class:`LoadedImage`."""
    image = torch.from_numpy(array.astype(np.float32) / max_value).permute(2, 0, 1)[None]  # 1×planes×H×W
    alpha = image[:, -1:] if has_alpha else None
    pixels = image[:, :-1] if has_alpha else image  # 1×C×H×W
    return LoadedImage(pixels.contiguous(), None if alpha is None else alpha.contiguous(), bit_depth)


def _read_png(path: Path) -> LoadedImage:
    import png

    width, height, rows, info = png.Reader(filename=str(path)).asDirect()  # palette and tRNS expanded
    planes = info["planes"]
    array = np.vstack([np.asarray(row, dtype=np.uint32) for row in rows]).reshape(height, width, planes)
    bits = info["bitdepth"]
    return _from_array(array, 2**bits - 1, info["alpha"], 16 if bits > 8 else 8)


def _read_pillow(path: Path) -> LoadedImage:
    from PIL import Image

    with Image.open(path) as pil:
        pil.load()
        mode = pil.mode
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            array = np.asarray(pil, dtype=np.uint32)[:, :, None]  # 16-bit greyscale
            return _from_array(np.clip(array, 0, 65535), 65535, False, 16)
        if mode == "P":
            pil = pil.convert("RGBA" if "transparency" in pil.info else "RGB")
        elif mode == "1":
            pil = pil.convert("L")
        elif mode not in ("L", "LA", "RGB", "RGBA"):
            pil = pil.convert("RGB")  # CMYK, YCbCr, ...: 8-bit RGB
        array = np.asarray(pil)
    if array.ndim == 2:
        array = array[:, :, None]
    return _from_array(array, 255, array.shape[2] in (2, 4), 8)


def read_image(path: str | Path) -> LoadedImage:
    """Read an image file (PNG at any bit depth via pypng; JPEG, BMP, TIFF, WebP via Pillow).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` (naming
    the file) for one that is not an image or cannot be decoded.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input image {str(path)!r} does not exist (or is not a file)")
    try:
        with open(path, "rb") as handle:
            signature = handle.read(8)
    except OSError as error:
        raise OSError(f"input image {str(path)!r} cannot be read: {error.strerror or error}") from error
    try:
        return _read_png(path) if signature == _PNG_SIGNATURE else _read_pillow(path)
    except Exception as error:
        raise ValueError(
            f"input image {str(path)!r} is not an image file that can be decoded "
            f"(PNG, JPEG, BMP, TIFF, WebP): {type(error).__name__}: {error}"
        ) from error


def load_image_file(path: str | Path, *, rgb: bool = True) -> torch.Tensor:
    """An image file as a ``float32`` ``C×H×W`` tensor in ``[0, 1]`` (alpha dropped).

    Reads with :func:`read_image`, so 8- and 16-bit files keep their precision
    (``value / (2^bits - 1)``). With ``rgb=True`` greyscale images are repeated
    to three channels.

    Lesson: ``05_super_resolution.ipynb`` (your own images).
    """
    pixels = read_image(path).pixels[0]  # (1, C, H, W) -> (C, H, W)
    if rgb and pixels.shape[0] == 1:
        pixels = pixels.expand(3, -1, -1).clone()  # (1, H, W) -> (3, H, W)
    return pixels


class ImageFolder(Mapping):
    """A folder of images as a read-only ``{stem: C×H×W tensor}`` mapping that reads each file when asked.

    Keys are the file names without their suffix (``"baby"`` for ``baby.png``),
    as for the bundled photographs (:func:`imgsynth_edu.data.photo_set`), in
    sorted order; two files with the same stem are refused. DIV2K's 800 training
    images take ~27 GB as float tensors, so nothing is read until it is looked
    up; ``dict(folder)`` reads everything. Build one with :func:`read_image_folder`.
    """

    def __init__(self, folder: str | Path, *, rgb: bool = True, title: str | None = None):
        self.folder = Path(folder)
        self.rgb = rgb
        self.title = title or self.folder.name
        if not self.folder.is_dir():
            raise FileNotFoundError(f"images folder {str(self.folder)!r} does not exist")
        self._paths: dict[str, Path] = {}
        for path in sorted(self.folder.iterdir()):
            if not (path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")):
                continue
            if path.stem in self._paths:
                raise ValueError(f"images folder {str(self.folder)!r} holds two images named {path.stem!r}: "
                                 f"{self._paths[path.stem].name} and {path.name}")
            self._paths[path.stem] = path
        if not self._paths:
            raise ValueError(f"images folder {str(self.folder)!r} holds no image files ({', '.join(IMAGE_SUFFIXES)})")

    def __getitem__(self, name: str) -> torch.Tensor:
        if name not in self._paths:
            raise KeyError(f"{name!r} is not in {self.title} ({self.folder})")
        return load_image_file(self._paths[name], rgb=self.rgb)

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __repr__(self) -> str:
        return f"ImageFolder({self.title!r}: {len(self)} images in {str(self.folder)!r})"


def read_image_folder(folder: str | Path, *, rgb: bool = True, title: str | None = None) -> ImageFolder:
    """Every image file of ``folder`` as a lazy ``{stem: C×H×W}`` mapping in ``[0, 1]`` (the one folder reader).

    Alpha is dropped; with ``rgb=True`` greyscale images are repeated to 3
    channels. A missing folder raises ``FileNotFoundError``; a folder with no
    image file (or two files with one stem) a ``ValueError`` naming the folder.

    Lesson: ``05_super_resolution.ipynb`` (scoring your own images).
    """
    return ImageFolder(folder, rgb=rgb, title=title)


def check_writable_suffix(path: str | Path) -> str:
    """The lower-case suffix of ``path`` if :func:`write_image` can write it, else a ``ValueError``."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"output {str(path)!r} must end in one of {', '.join(IMAGE_SUFFIXES)}")
    return suffix


def write_image(path: str | Path, pixels: torch.Tensor, *, alpha: torch.Tensor | None = None, bit_depth: int = 8) -> int:
    """Write ``pixels`` (``1×C×H×W`` or ``C×H×W`` in ``[0, 1]``, C = 1 or 3) atomically; returns the bits written.

    PNG keeps ``bit_depth`` 16 and ``alpha``; other formats store 8 bits (a
    16-bit request is written as 8 bits with a note on stderr) and JPEG drops
    alpha (with a note). Values are rounded to the nearest level, never clipped:
    out-of-range input is refused.
    """
    suffix = check_writable_suffix(path)
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth!r}")
    if pixels.ndim == 3:
        pixels = pixels[None]
    check_images(pixels, "pixels", channels=(1, 3))
    if pixels.shape[0] != 1:
        raise ValueError(f"pixels must hold one image, got a batch of {pixels.shape[0]}")
    planes = pixels
    if alpha is not None:
        if alpha.ndim == 3:
            alpha = alpha[None]
        check_images(alpha, "alpha", channels=(1,))
        if alpha.shape[-2:] != pixels.shape[-2:]:
            raise ValueError(f"alpha must be {tuple(pixels.shape[-2:])} like pixels, got {tuple(alpha.shape[-2:])}")
        if suffix in (".jpg", ".jpeg"):
            print(f"note: {Path(path).name}: JPEG has no alpha channel; alpha dropped", file=sys.stderr)
        else:
            planes = torch.cat([pixels, alpha], dim=1)  # 1×(C+1)×H×W
    if suffix != ".png" and bit_depth == 16:
        print(f"note: {Path(path).name}: {suffix} stores 8 bits per channel; written as 8-bit (use .png for 16-bit)",
              file=sys.stderr)
        bit_depth = 8
    max_value = 2**bit_depth - 1
    array = (planes[0].permute(1, 2, 0).detach().cpu().double().numpy() * max_value).round()  # H×W×planes
    array = array.astype(np.uint16 if bit_depth == 16 else np.uint8)
    height, width, count = array.shape
    if suffix == ".png":
        import png

        writer = png.Writer(width, height, greyscale=count <= 2, alpha=count in (2, 4), bitdepth=bit_depth)
        with atomic_write(path) as handle:
            writer.write_array(handle, array.reshape(-1))
    else:
        from PIL import Image

        pil = Image.fromarray(array[:, :, 0] if count == 1 else array)  # L, LA, RGB or RGBA
        fmt = Image.registered_extensions()[suffix]
        with atomic_write(path) as handle:
            pil.save(handle, format=fmt)
    return bit_depth
