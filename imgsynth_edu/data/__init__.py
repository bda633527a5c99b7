"""Data: datasets by name, the bundled photographs, and degradations.

* :func:`get_dataset` - ``(image, label)`` datasets: bundled ``mnist-5k``,
  ``digits``, ``shapes``; downloaded ``mnist``, ``fashion-mnist``, ``cifar10``.
* :func:`get_image_set` - Set5, Set14, BSD100, DIV2K: verified, cached downloads.
* :func:`photo_set` / :func:`load_photo` - scikit-image's photographs with a
  fixed train / held-out split, for restoration.
* degradations - MATLAB-like bicubic, blur, Gaussian and Poisson noise, JPEG.
"""

from .datasets import (
    BUNDLED,
    DOWNLOADABLE,
    DatasetUnavailableError,
    ShapesDataset,
    data_home,
    get_dataset,
    stack_dataset,
)
from .degradations import (
    add_gaussian_noise,
    add_poisson_noise,
    bicubic_downscale,
    bicubic_resize,
    bicubic_upscale,
    crop_to_multiple,
    gaussian_blur,
    jpeg_compress,
)
from .download import DownloadError, download_file, extract_archive
from .image_sets import IMAGE_SETS, get_image_set, image_set_names
from .photos import PHOTO_TEST, PHOTO_TRAIN, load_photo, photo_names, photo_set

__all__ = [
    "BUNDLED",
    "DOWNLOADABLE",
    "PHOTO_TEST",
    "PHOTO_TRAIN",
    "DatasetUnavailableError",
    "DownloadError",
    "IMAGE_SETS",
    "ShapesDataset",
    "add_gaussian_noise",
    "add_poisson_noise",
    "bicubic_downscale",
    "bicubic_resize",
    "bicubic_upscale",
    "crop_to_multiple",
    "data_home",
    "download_file",
    "extract_archive",
    "gaussian_blur",
    "get_dataset",
    "get_image_set",
    "image_set_names",
    "jpeg_compress",
    "load_photo",
    "photo_names",
    "photo_set",
    "stack_dataset",
]
