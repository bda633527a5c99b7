"""Reading and writing image files at full precision: 8- and 16-bit, float, greyscale, RGB, alpha.

Pillow reads most formats but turns a 16-bit RGB PNG or TIFF into 8 bits and
clips a float TIFF, so PNG files go through ``pypng`` (pure Python, every PNG
bit depth and colour type), TIFF files through ``tifffile`` (8- and 16-bit
integers and floats, exactly as stored) and everything else through Pillow.
Pixels come back as the course's ``float32`` ``1×C×H×W`` tensors in ``[0, 1]``
(``value / (2^bits - 1)``; a float file's values as they are), with the alpha
channel kept apart: an upscaler restores the colour, and the alpha mask is a
different kind of signal. What cannot be read exactly is refused with a reason,
never truncated to 8 bits or clipped: a float image with values outside
``[0, 1]`` (or NaN), 32-bit integers, a stack of several images.

Writing is atomic (:func:`imgsynth_edu.utils.atomic_write`): an interrupted
run never leaves a half-written output file.

Lesson: ``05_super_resolution.ipynb`` (upscaling your own photo).
"""

from __future__ import annotations

import itertools
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
    "write_image", "write_image_strips",
]

#: File suffixes that :func:`read_image_folder` picks up and :func:`write_image` can write.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # little/big endian, classic/BigTIFF


@dataclass
class LoadedImage:
    """An image file's content: ``pixels`` ``1×C×H×W`` (C = 1 or 3) and ``alpha`` ``1×1×H×W`` or None."""

    pixels: torch.Tensor
    alpha: torch.Tensor | None
    bit_depth: int  # 8 or 16: what the file stored per channel (16 for a float file: the most a PNG keeps)

    @property
    def height(self) -> int:
        return self.pixels.shape[-2]

    @property
    def width(self) -> int:
        return self.pixels.shape[-1]


def _from_array(array: np.ndarray, max_value: int, has_alpha: bool, bit_depth: int) -> LoadedImage:
    """``H×W×planes`` integers -> :class:`LoadedImage` (one float32 copy: a large photo's memory is counted)."""
    planes_first = np.ascontiguousarray(array.transpose(2, 0, 1))  # planes×H×W, still integers
    image = torch.from_numpy(planes_first).to(torch.float32).div_(max_value)[None]  # 1×planes×H×W
    alpha = image[:, -1:] if has_alpha else None
    pixels = image[:, :-1] if has_alpha else image  # 1×C×H×W
    return LoadedImage(pixels.contiguous(), None if alpha is None else alpha.contiguous(), bit_depth)


def _read_png(path: Path) -> LoadedImage:
    import png

    width, height, rows, info = png.Reader(filename=str(path)).asDirect()  # palette and tRNS expanded
    planes = info["planes"]
    array = np.empty((height, width * planes), dtype=np.uint16 if info["bitdepth"] > 8 else np.uint8)
    for index, row in enumerate(rows):  # pypng decodes a row at a time: fill them in, no list of rows
        array[index] = row
    array = array.reshape(height, width, planes)  # (H, W, planes)
    bits = info["bitdepth"]
    return _from_array(array, 2**bits - 1, info["alpha"], 16 if bits > 8 else 8)


def _from_float_array(array: np.ndarray, has_alpha: bool) -> LoadedImage:
    """``H×W×planes`` floats, kept exactly if they lie in ``[0, 1]``; refused otherwise (never clipped)."""
    if not np.isfinite(array).all():
        raise ValueError("a float image with NaN or infinite values (refused: nothing is clipped or guessed)")
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        raise ValueError(f"a float image with values in [{low:.4g}, {high:.4g}], outside [0, 1] "
                         f"(refused, not clipped: rescale it to [0, 1] first)")
    image = torch.from_numpy(array.astype(np.float32)).permute(2, 0, 1)[None]  # (1, planes, H, W)
    alpha = image[:, -1:] if has_alpha else None
    pixels = image[:, :-1] if has_alpha else image  # (1, C, H, W)
    return LoadedImage(pixels.contiguous(), None if alpha is None else alpha.contiguous(), 16)


def _read_tiff(path: Path) -> LoadedImage:
    """A TIFF at its true precision: 8/16-bit integers as ``value / (2^bits - 1)``, floats in [0, 1] as they are."""
    import tifffile

    with tifffile.TiffFile(path) as tiff:
        series = tiff.series[0]
        page = tiff.pages[0]
        photometric = page.photometric.name if page.photometric is not None else "?"
        array = series.asarray()
        axes = series.axes
    if photometric not in ("MINISBLACK", "RGB"):
        if array.dtype == np.uint8:
            return _read_pillow(path)  # palette, CMYK, YCbCr, ... at 8 bits: Pillow converts those exactly
        raise ValueError(f"a {array.dtype} TIFF with photometric {photometric} (only greyscale or RGB above 8 bits)")
    if array.ndim == 2:
        array = array[:, :, None]  # (H, W) -> (H, W, 1)
    elif axes == "SYX" and array.ndim == 3:
        array = np.moveaxis(array, 0, -1)  # planar (S, H, W) -> (H, W, S)
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"a TIFF of shape {array.shape} (axes {axes!r}): only one greyscale or RGB image, "
                         f"optionally with alpha, can be read (not a stack or a multi-channel scan)")
    has_alpha = array.shape[2] in (2, 4)
    if array.dtype == np.bool_:
        return _from_array(array.astype(np.uint8), 1, has_alpha, 8)
    if array.dtype == np.uint8:
        return _from_array(array, 255, has_alpha, 8)
    if array.dtype == np.uint16:
        return _from_array(array, 65535, has_alpha, 16)
    if array.dtype.kind == "f":
        return _from_float_array(array, has_alpha)
    raise ValueError(f"a TIFF of {array.dtype} samples: only 8- or 16-bit unsigned integers or floats in [0, 1] "
                     f"can be read exactly")


def _read_pillow(path: Path) -> LoadedImage:
    from PIL import Image

    with Image.open(path) as pil:
        pil.load()
        mode = pil.mode
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            array = np.asarray(pil, dtype=np.int64)[:, :, None]  # 16-bit (or 32-bit) greyscale
            if array.min() < 0 or array.max() > 65535:
                raise ValueError(f"a 32-bit integer image with values in [{array.min()}, {array.max()}] "
                                 f"(only 8- or 16-bit images are read; refused, not clipped)")
            return _from_array(array, 65535, False, 16)
        if mode == "F":
            return _from_float_array(np.asarray(pil, dtype=np.float32)[:, :, None], False)
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
    """Read an image file at its true precision (PNG via pypng, TIFF via tifffile; JPEG, BMP, WebP via Pillow).

    16-bit files keep their 16 bits and float files their values; what cannot be
    read exactly (a float image outside ``[0, 1]``, 32-bit integers, a stack) is
    refused with the reason, never truncated or clipped.

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
        if signature == _PNG_SIGNATURE:
            return _read_png(path)
        if signature[:4] in _TIFF_SIGNATURES:
            return _read_tiff(path)
        return _read_pillow(path)
    except Exception as error:
        raise ValueError(
            f"input image {str(path)!r} is not an image file that can be decoded "
            f"exactly (PNG, JPEG, BMP, TIFF, WebP): "
            f"{error if isinstance(error, ValueError) else f'{type(error).__name__}: {error}'}"
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

    def path(self, name: str) -> Path:
        """The file that holds image ``name``."""
        if name not in self._paths:
            raise KeyError(f"{name!r} is not in {self.title} ({self.folder})")
        return self._paths[name]

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


#: Rows converted to integer levels at a time by :func:`write_image`: its memory beyond the
#: output array is one strip, not a float64 copy of the whole image.
WRITE_STRIP_ROWS = 64


def _to_integer_levels(planes: list[torch.Tensor], bit_depth: int) -> np.ndarray:
    """``1×C×H×W`` tensors in ``[0, 1]`` -> one ``H×W×ΣC`` ``uint8``/``uint16`` array of ``round(x · (2^bits - 1))``.

    Converted :data:`WRITE_STRIP_ROWS` rows at a time into the preallocated
    integer array, so that the conversion needs the integer bytes plus one
    strip, never a float64 (or a rounded) copy of the whole input.
    """
    max_value = 2**bit_depth - 1
    height, width = planes[0].shape[-2:]
    channels = sum(plane.shape[1] for plane in planes)
    array = np.empty((height, width, channels), dtype=np.uint16 if bit_depth == 16 else np.uint8)  # (H, W, planes)
    for top in range(0, height, WRITE_STRIP_ROWS):
        bottom = min(top + WRITE_STRIP_ROWS, height)
        first = 0
        for plane in planes:
            strip = plane[0, :, top:bottom].detach().cpu().permute(1, 2, 0).double()  # (rows, W, C), one strip
            strip = strip.mul_(max_value).round_()
            array[top:bottom, :, first:first + plane.shape[1]] = strip.numpy()  # cast to the integer dtype
            first += plane.shape[1]
    return array


def write_image(path: str | Path, pixels: torch.Tensor, *, alpha: torch.Tensor | None = None, bit_depth: int = 8) -> int:
    """Write ``pixels`` (``1×C×H×W`` or ``C×H×W`` in ``[0, 1]``, C = 1 or 3) atomically; returns the bits written.

    PNG keeps ``bit_depth`` 16 and ``alpha``; other formats store 8 bits (a
    16-bit request is written as 8 bits with a note on stderr) and JPEG drops
    alpha (with a note). Values are rounded to the nearest level, never clipped:
    out-of-range input is refused. (The image is handed to
    :func:`write_image_strips` as :data:`WRITE_STRIP_ROWS`-row views.)
    """
    if pixels.ndim == 3:
        pixels = pixels[None]
    check_images(pixels, "pixels", channels=(1, 3))
    if pixels.shape[0] != 1:
        raise ValueError(f"pixels must hold one image, got a batch of {pixels.shape[0]}")
    if alpha is not None:
        if alpha.ndim == 3:
            alpha = alpha[None]
        check_images(alpha, "alpha", channels=(1,))
        if alpha.shape[-2:] != pixels.shape[-2:]:
            raise ValueError(f"alpha must be {tuple(pixels.shape[-2:])} like pixels, got {tuple(alpha.shape[-2:])}")
    height, width = pixels.shape[-2:]
    strips = pixels.split(WRITE_STRIP_ROWS, dim=-2)  # views, no copy
    alpha_strips = None if alpha is None else alpha.split(WRITE_STRIP_ROWS, dim=-2)
    return write_image_strips(path, strips, height=height, width=width, alpha_strips=alpha_strips,
                              bit_depth=bit_depth)


def write_image_strips(
    path: str | Path,
    strips,
    *,
    height: int,
    width: int,
    alpha_strips=None,
    bit_depth: int = 8,
) -> int:
    """Write an image that arrives as horizontal strips, top to bottom; returns the bits written.

    ``strips`` yields ``1×C×rows×width`` tensors in ``[0, 1]`` (C = 1 or 3,
    the same for every strip) whose rows add up to ``height``;
    ``alpha_strips``, if given, yields the matching ``1×1×rows×width`` alpha
    strips. This is how a result larger than memory is written: a PNG is
    *streamed* (each strip is turned into integer levels, compressed and
    dropped), so the writer holds one strip, never the image; other formats
    (Pillow writes a whole image) collect the integer levels only, 1 or 2
    bytes per value instead of a float tensor's 4. The rest is as
    :func:`write_image`: rounding to the nearest level, out-of-range values
    refused (the half-written file is then removed), 16 bits for PNG only,
    no alpha in JPEG.

    Lesson: ``05_super_resolution.ipynb`` (upscaling your own photo).
    """
    suffix = check_writable_suffix(path)
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth!r}")
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if alpha_strips is not None and suffix in (".jpg", ".jpeg"):
        print(f"note: {Path(path).name}: JPEG has no alpha channel; alpha dropped", file=sys.stderr)
        alpha_strips = None
    if suffix != ".png" and bit_depth == 16:
        print(f"note: {Path(path).name}: {suffix} stores 8 bits per channel; written as 8-bit (use .png for 16-bit)",
              file=sys.stderr)
        bit_depth = 8
    strips = iter(strips)
    first = next(strips, None)
    if first is None:
        raise ValueError("strips must yield at least one strip, got none")
    colour = first.shape[-3] if first.ndim >= 3 else 0
    if colour not in (1, 3):
        raise ValueError(f"strips must be 1×C×rows×W with C = 1 or 3, got a first strip of shape {tuple(first.shape)}")
    count = colour + (alpha_strips is not None)  # planes in the file: 1 (grey), 2 (grey+alpha), 3 (RGB), 4 (RGBA)
    levels = _level_strips(itertools.chain([first], strips), alpha_strips, colour, height, width, bit_depth)
    if suffix == ".png":
        import png

        def rows():  # one flat row of H×W×planes levels at a time, as pypng takes them
            for block in levels:  # rows×W×planes
                yield from block.reshape(block.shape[0], -1)

        writer = png.Writer(width, height, greyscale=count <= 2, alpha=count in (2, 4), bitdepth=bit_depth)
        with atomic_write(path) as handle:
            writer.write(handle, rows())
    else:
        from PIL import Image

        array = np.empty((height, width, count), dtype=np.uint8)  # (H, W, planes): the levels, nothing more
        top = 0
        for block in levels:
            array[top : top + block.shape[0]] = block
            top += block.shape[0]
        pil = Image.fromarray(array[:, :, 0] if count == 1 else array)  # L, LA, RGB or RGBA
        fmt = Image.registered_extensions()[suffix]
        with atomic_write(path) as handle:
            pil.save(handle, format=fmt)
    return bit_depth


def _level_strips(strips, alpha_strips, colour: int, height: int, width: int, bit_depth: int) -> Iterator[np.ndarray]:
    """Check each incoming strip and turn it into ``rows×W×planes`` integer levels (see :func:`write_image_strips`)."""
    alpha_strips = None if alpha_strips is None else iter(alpha_strips)
    done = 0
    for index, strip in enumerate(strips):
        check_images(strip, f"strip {index}", channels=(colour,))
        if strip.shape[0] != 1 or strip.shape[-1] != width:
            raise ValueError(f"strip {index} must be 1×{colour}×rows×{width}, got {tuple(strip.shape)}")
        planes = [strip]
        if alpha_strips is not None:
            alpha = next(alpha_strips, None)
            if alpha is None:
                raise ValueError(f"alpha_strips ended before strip {index}")
            check_images(alpha, f"alpha strip {index}", channels=(1,))
            if alpha.shape[0] != 1 or alpha.shape[-2:] != strip.shape[-2:]:
                raise ValueError(f"alpha strip {index} must be 1×1×{strip.shape[-2]}×{width}, got {tuple(alpha.shape)}")
            planes.append(alpha)
        done += strip.shape[-2]
        if done > height:
            raise ValueError(f"strips hold more than height={height} rows")
        levels = _to_integer_levels(planes, bit_depth)  # rows×W×planes
        del strip, planes  # drop the float strip now: the next one is made while these levels are written
        alpha = None
        yield levels
    if done != height:
        raise ValueError(f"strips hold {done} rows, expected height={height}")
