"""Data: datasets by name, the bundled photographs, and degradations.

* :func:`get_dataset` - ``(image, label)`` datasets: bundled ``mnist-5k``,
  ``digits``, ``shapes``; downloaded ``mnist``, ``fashion-mnist``, ``cifar10``.
* :func:`get_image_set` - Set5, Set14, BSD100, DIV2K: verified, cached downloads.
* :func:`photo_set` / :func:`load_photo` - scikit-image's photographs with a
  fixed train / held-out split, for restoration; :func:`outside_photo_set` -
  scikit-learn's two sample photographs, from outside that set.
* masks for inpainting (centre box, random boxes, strokes) and :class:`InpaintingDataset`.
* degradations - MATLAB-like bicubic, blur, Gaussian and Poisson noise, JPEG,
  and :func:`degrade` (several at once, in a fixed order).
* :func:`read_image_folder` - a folder of your own images, read lazily.
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
    change_brightness,
    crop_to_multiple,
    degrade,
    gaussian_blur,
    jpeg_compress,
    shift_right,
)
from .download import DownloadError, download_file, extract_archive
from .image_io import read_image_folder
from .image_sets import IMAGE_SETS, get_image_set, image_set_names
from .masks import (
    MASK_KINDS,
    InpaintingDataset,
    apply_masks,
    centre_box_masks,
    free_form_masks,
    make_masks,
    random_box_masks,
)
from .photos import (
    PHOTO_OUTSIDE,
    PHOTO_TEST,
    PHOTO_TRAIN,
    load_outside_photo,
    load_photo,
    outside_photo_set,
    photo_names,
    photo_set,
)

__all__ = [
    "BUNDLED",
    "DOWNLOADABLE",
    "PHOTO_OUTSIDE",
    "PHOTO_TEST",
    "PHOTO_TRAIN",
    "DatasetUnavailableError",
    "DownloadError",
    "IMAGE_SETS",
    "MASK_KINDS",
    "InpaintingDataset",
    "ShapesDataset",
    "add_gaussian_noise",
    "add_poisson_noise",
    "apply_masks",
    "bicubic_downscale",
    "bicubic_resize",
    "bicubic_upscale",
    "centre_box_masks",
    "change_brightness",
    "crop_to_multiple",
    "data_home",
    "degrade",
    "download_file",
    "extract_archive",
    "free_form_masks",
    "gaussian_blur",
    "get_dataset",
    "get_image_set",
    "image_set_names",
    "jpeg_compress",
    "load_outside_photo",
    "load_photo",
    "make_masks",
    "outside_photo_set",
    "photo_names",
    "photo_set",
    "random_box_masks",
    "read_image_folder",
    "shift_right",
    "stack_dataset",
]
