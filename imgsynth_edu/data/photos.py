"""The bundled natural photographs: scikit-image's sample images, with a fixed split.

scikit-image ships these photographs inside its wheel, so they work offline on
any machine that has the course installed. For restoration lessons they are
split once, by name, into a *train* part (models may see it) and a *test*
(held-out) part (only ever used to measure). The split is fixed here and never
changes, so every score on a model card is comparable.

Lesson: ``00_tour.ipynb``; used by ``05_super_resolution`` and ``06_multi_frame_restoration``.
"""

from __future__ import annotations

import numpy as np
import torch

from .._checks import check_choice

#: The photographs models may train on.
PHOTO_TRAIN = (
    "astronaut", "coffee", "rocket", "retina", "immunohistochemistry", "brick",
    "grass", "camera", "coins", "moon", "page", "cell",
)
#: The held-out photographs: only ever used to measure.
PHOTO_TEST = ("chelsea", "motorcycle", "hubble", "gravel", "clock")
#: Photographs from *outside* the bundled set: scikit-learn's two sample images
#: (``sklearn.datasets.load_sample_image``: ``china.jpg``, a temple in China, and
#: ``flower.jpg``, both 427×640 JPEGs shipped inside scikit-learn's wheel, so offline).
#: No model of the course trains on them; they test whether a restorer transfers
#: beyond scikit-image's photographs.
PHOTO_OUTSIDE = ("china", "flower")

# name -> (the skimage.data function, the item to pick when it returns a tuple); default: (name, None)
_SKIMAGE_SOURCES = {
    "motorcycle": ("stereo_motorcycle", 0),  # the left view of the stereo pair
    "hubble": ("hubble_deep_field", None),
}


def photo_names(split: str = "all") -> tuple[str, ...]:
    """Names of the bundled photographs in ``split`` ("train", "test" or "all")."""
    check_choice(split, "split", {"train", "test", "all"})
    return {"train": PHOTO_TRAIN, "test": PHOTO_TEST, "all": PHOTO_TRAIN + PHOTO_TEST}[split]


def load_photo(name: str, *, rgb: bool = True) -> torch.Tensor:
    """One bundled photograph as a ``float32`` ``C×H×W`` tensor in ``[0, 1]``.

    With ``rgb=True`` (the default) greyscale photographs are repeated to three
    channels so that every photograph fits an RGB model; with ``rgb=False``
    they keep their single channel.
    """
    check_choice(name, "name", set(PHOTO_TRAIN + PHOTO_TEST))
    import skimage.data  # imported here: scikit-image is slow to import

    function_name, pick = _SKIMAGE_SOURCES.get(name, (name, None))
    array = getattr(skimage.data, function_name)()
    if pick is not None:
        array = array[pick]
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[:, :, None]
    array = array[:, :, :3]  # drop alpha if there is one
    image = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float() / 255.0  # C×H×W
    if rgb and image.shape[0] == 1:
        image = image.expand(3, -1, -1).clone()
    return image


def photo_set(split: str = "all", *, rgb: bool = True) -> dict[str, torch.Tensor]:
    """The bundled photographs of ``split`` as ``{name: C×H×W tensor in [0, 1]}``."""
    return {name: load_photo(name, rgb=rgb) for name in photo_names(split)}


def load_outside_photo(name: str) -> torch.Tensor:
    """One of scikit-learn's sample photographs (:data:`PHOTO_OUTSIDE`) as a ``float32`` ``3×H×W`` tensor in ``[0, 1]``.

    Lesson: ``06_multi_frame_restoration.ipynb`` (does the burst model transfer?).
    """
    check_choice(name, "name", set(PHOTO_OUTSIDE))
    from sklearn.datasets import load_sample_image  # imported here: scikit-learn is slow to import

    array = np.array(load_sample_image(f"{name}.jpg"))[:, :, :3]  # H×W×3 uint8, a writable copy
    return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float() / 255.0  # 3×H×W


def outside_photo_set() -> dict[str, torch.Tensor]:
    """The photographs from outside the bundled set (:data:`PHOTO_OUTSIDE`) as ``{name: 3×H×W in [0, 1]}``.

    Lesson: ``06_multi_frame_restoration.ipynb`` (does the burst model transfer?).
    """
    return {name: load_outside_photo(name) for name in PHOTO_OUTSIDE}
