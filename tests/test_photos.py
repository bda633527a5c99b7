"""The bundled photographs: a fixed, disjoint train / held-out split, every photo loads offline; the outside photos."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu.data import (
    PHOTO_OUTSIDE,
    PHOTO_TEST,
    PHOTO_TRAIN,
    get_image_set,
    image_set_names,
    load_outside_photo,
    load_photo,
    outside_photo_set,
    photo_names,
    photo_set,
)

pytestmark = pytest.mark.usefixtures("no_external_network")  # scikit-image must not fetch anything


def test_split_is_disjoint_and_fixed():
    assert not set(PHOTO_TRAIN) & set(PHOTO_TEST)
    # The held-out part is part of every score on a model card: it must never change.
    assert PHOTO_TEST == ("chelsea", "motorcycle", "hubble", "gravel", "clock")
    assert len(PHOTO_TRAIN) == 12 and len(set(PHOTO_TRAIN)) == 12
    assert photo_names("train") == PHOTO_TRAIN and photo_names("test") == PHOTO_TEST
    assert photo_names() == PHOTO_TRAIN + PHOTO_TEST


@pytest.mark.parametrize("name", PHOTO_TRAIN + PHOTO_TEST)
def test_every_photo_loads_as_a_float_rgb_tensor(name):
    photo = load_photo(name)
    assert photo.dtype == torch.float32 and photo.ndim == 3 and photo.shape[0] == 3
    assert min(photo.shape[1:]) >= 128  # big enough to cut 96-pixel training patches from
    assert 0.0 <= photo.min() and photo.max() <= 1.0
    assert photo.std() > 0.02  # a real picture, not a blank


def test_rgb_flag_keeps_or_repeats_the_grey_channel():
    grey = load_photo("camera", rgb=False)
    assert grey.shape[0] == 1
    repeated = load_photo("camera")
    assert repeated.shape == (3, *grey.shape[1:])
    assert torch.equal(repeated[0], grey[0]) and torch.equal(repeated[2], grey[0])
    assert load_photo("chelsea", rgb=False).shape[0] == 3  # a colour photo stays colour


def test_photo_set_returns_the_split_in_order():
    held_out = photo_set("test")
    assert tuple(held_out) == PHOTO_TEST
    assert torch.equal(held_out["clock"], load_photo("clock"))


def test_outside_photos_are_scikit_learns_and_no_bundled_photo():
    outside = get_image_set("outside")  # the name evaluate-burst --images takes
    assert "outside" in image_set_names() and PHOTO_OUTSIDE == ("china", "flower") == tuple(outside)
    bundled = photo_set("all")
    for name, photo in outside.items():
        assert photo.dtype == torch.float32 and photo.shape == (3, 427, 640)  # scikit-learn's two JPEGs
        assert 0.0 <= photo.min() and photo.max() <= 1.0 and photo.std() > 0.05
        assert torch.equal(photo, load_outside_photo(name)) and name not in bundled
        # not a bundled photograph under another name (none has this size and content)
        assert not any(p.shape == photo.shape and torch.allclose(p, photo, atol=0.05) for p in bundled.values())
    assert not torch.equal(outside["china"], outside["flower"])
    assert tuple(outside_photo_set()) == PHOTO_OUTSIDE


@pytest.mark.parametrize(("call", "argument"), [(lambda: load_photo("lena"), "name"),
                                                (lambda: load_outside_photo("lena"), "name"),
                                                (lambda: photo_names("valid"), "split"),
                                                (lambda: photo_set("training"), "split")])
def test_bad_arguments_name_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} "):
        call()
