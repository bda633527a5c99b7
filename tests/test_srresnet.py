"""SRResNet, the SRGAN discriminator and tiled inference."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu.data import bicubic_downscale, bicubic_upscale, load_photo
from imgsynth_edu.metrics import psnr
from imgsynth_edu.models.srresnet import (
    SRGANDiscriminator,
    SRResNet,
    interpolate_networks,
    interpolate_state_dicts,
    receptive_field_radius,
    upscale_strips,
    upscale_tiled,
)


@pytest.fixture(autouse=True)
def _one_thread():
    """These tensors are tiny: one thread is as fast and never spins waiting for a busy core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_paper_configuration_has_1_55_million_parameters():
    model = SRResNet()  # B = 16, 64 channels, ×4, BN
    count = sum(p.numel() for p in model.parameters())
    assert 1.54e6 < count < 1.56e6
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == 2 * 16 + 1
    assert sum(isinstance(m, torch.nn.PixelShuffle) for m in model.modules()) == 2


@pytest.mark.parametrize("scale, shuffles", [(2, 1), (3, 1), (4, 2), (8, 3)])
def test_output_shape_for_each_scale(scale, shuffles):
    model = SRResNet(scale=scale, num_blocks=1, channels=8)
    out = model(torch.rand(2, 3, 5, 7))
    assert out.shape == (2, 3, 5 * scale, 7 * scale)
    factors = [m.upscale_factor for m in model.modules() if isinstance(m, torch.nn.PixelShuffle)]
    assert len(factors) == shuffles and torch.tensor(factors).prod() == scale


def test_no_batch_norm_variant_has_no_bn_and_a_greyscale_model_works():
    model = SRResNet(num_blocks=2, channels=8, batch_norm=False, in_channels=1)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert model(torch.rand(1, 1, 6, 6)).shape == (1, 1, 24, 24)


@pytest.mark.parametrize("kwargs, message", [
    ({"scale": 5}, "scale"), ({"num_blocks": 0}, "num_blocks"), ({"channels": 2.5}, "channels"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SRResNet(**kwargs)


@pytest.mark.parametrize("size", [16, 96, 128])
def test_discriminator_returns_one_logit_per_image(size):
    disc = SRGANDiscriminator(base_channels=8)
    convs = [m for m in disc.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 8, 16, 16, 32, 32, 64, 64]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert disc(torch.rand(3, 3, size, size)).shape == (3,)


def test_receptive_field_counts_every_convolution():
    model = SRResNet(num_blocks=3, channels=8)
    # head 9×9 (4) + 3 blocks × 2 convs (6) + body end (1) + 2 upsample convs (2) + tail 9×9 (4)
    assert receptive_field_radius(model) == 17


@pytest.mark.parametrize("batch_norm", [True, False])
def test_tiled_equals_untiled(batch_norm):
    torch.manual_seed(0)
    model = SRResNet(num_blocks=2, channels=8, batch_norm=batch_norm)
    if batch_norm:  # give BN non-trivial running statistics, then freeze them
        model.train()
        with torch.no_grad():
            model(torch.rand(4, 3, 16, 16))
    model.eval()
    image = torch.rand(1, 3, 37, 29)
    with torch.no_grad():
        whole = model(image).clamp(0, 1)
    tiled = upscale_tiled(model, image, 4, tile=8)  # 5 × 4 tiles
    assert tiled.shape == whole.shape
    assert (tiled - whole).abs().max().item() < 1e-5


def test_too_little_overlap_changes_the_result():
    """The check above is not vacuous: with no context the tile seams differ."""
    torch.manual_seed(0)
    model = SRResNet(num_blocks=2, channels=8, batch_norm=False).eval()
    image = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        whole = model(image).clamp(0, 1)
    seams = upscale_tiled(model, image, 4, tile=8, overlap=0)
    assert (seams - whole).abs().max().item() > 1e-3


def test_strips_come_one_row_of_tiles_at_a_time_and_add_up_to_the_tiled_result():
    torch.manual_seed(0)
    model = SRResNet(num_blocks=1, channels=8, batch_norm=False).eval()
    image = torch.rand(1, 3, 37, 29)
    strips = list(upscale_strips(model, image, 4, tile=8))
    assert [tuple(strip.shape) for strip in strips] == [(1, 3, 32, 116)] * 4 + [(1, 3, 20, 116)]  # 37 = 4·8 + 5
    assert torch.equal(torch.cat(strips, dim=-2), upscale_tiled(model, image, 4, tile=8))
    with torch.no_grad():
        whole = model(image).clamp(0, 1)
    assert (torch.cat(strips, dim=-2) - whole).abs().max().item() < 1e-5


def test_strips_leave_autograd_on_in_the_callers_code():
    """A ``with torch.no_grad()`` around the ``yield`` would switch autograd off between strips."""
    model = SRResNet(num_blocks=1, channels=4, batch_norm=False).eval()
    strips = upscale_strips(model, torch.rand(1, 3, 12, 8), 4, tile=4)
    first = next(strips)
    assert torch.is_grad_enabled()
    assert not first.requires_grad  # the restoration itself is not recorded
    strips.close()
    assert torch.is_grad_enabled()


def test_strips_check_their_arguments_when_called_not_when_first_iterated():
    model = SRResNet(num_blocks=1, channels=4, batch_norm=False).eval()
    with pytest.raises(ValueError, match="tile"):
        upscale_strips(model, torch.rand(1, 3, 8, 8), 4, tile=0)
    with pytest.raises(ValueError, match="overlap must be given"):
        upscale_strips(lambda x: x, torch.rand(1, 3, 8, 8), 4)


def test_tiled_bicubic_with_a_two_pixel_overlap_is_one_pass_of_bicubic():
    """What ``upscale`` does to an alpha channel: Keys' kernel reads 2 pixels each side, so overlap 2 is exact."""
    from functools import partial

    from imgsynth_edu.data import bicubic_upscale

    alpha = torch.rand(1, 1, 23, 19, generator=torch.Generator().manual_seed(3))
    tiled = torch.cat(list(upscale_strips(partial(bicubic_upscale, scale=4), alpha, 4, tile=5, overlap=2)), dim=-2)
    assert torch.equal(tiled, bicubic_upscale(alpha, 4))
    too_little = torch.cat(list(upscale_strips(partial(bicubic_upscale, scale=4), alpha, 4, tile=5, overlap=1)), -2)
    assert not torch.equal(too_little, bicubic_upscale(alpha, 4))  # the overlap matters


def test_upscale_tiled_accepts_a_single_image_and_checks_its_input():
    model = SRResNet(num_blocks=1, channels=8, batch_norm=False).eval()
    assert upscale_tiled(model, torch.rand(3, 10, 12), 4, tile=6).shape == (3, 40, 48)
    with pytest.raises(ValueError, match="image"):
        upscale_tiled(model, torch.rand(1, 3, 8, 8) * 2, 4)
    with pytest.raises(ValueError, match="tile"):
        upscale_tiled(model, torch.rand(1, 3, 8, 8), 4, tile=0)
    with pytest.raises(ValueError, match="overlap"):
        upscale_tiled(model, torch.rand(1, 3, 8, 8), 4, overlap=-1)


def test_tiny_srresnet_overfits_one_patch():
    """Learning test: 600 Adam steps on one 32×32 patch reach >= 30 dB (bicubic: ~25.6 dB).

    At 400 steps the PSNR sits right at 30 dB and depends on the thread count (29.97 dB on one
    thread, 31.8 on two); at 600 it is 35.8 / 36.5 dB, so the test checks learning, not luck.
    """
    torch.manual_seed(0)
    high_res = load_photo("astronaut")[None, :, 100:132, 200:232]  # 1×3×32×32
    low_res = bicubic_downscale(high_res, 4)  # 1×3×8×8
    bicubic_psnr = psnr(bicubic_upscale(low_res, 4), high_res).item()
    model = SRResNet(scale=4, num_blocks=2, channels=16, batch_norm=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(600):
        loss = (model(low_res) - high_res).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        fitted_psnr = psnr(model(low_res).clamp(0, 1), high_res).item()
    assert fitted_psnr >= 30.0
    assert fitted_psnr >= bicubic_psnr + 3.0


# --- network interpolation (ESRGAN) ------------------------------------------
def _two_small_networks(batch_norm=False):
    torch.manual_seed(0)
    first = SRResNet(scale=4, num_blocks=1, channels=8, batch_norm=batch_norm).eval()
    torch.manual_seed(1)
    second = SRResNet(scale=4, num_blocks=1, channels=8, batch_norm=batch_norm).eval()
    return first, second


def test_interpolate_state_dicts_blends_every_weight_linearly():
    first, second = _two_small_networks()
    a, b = first.state_dict(), second.state_dict()
    for alpha in (0.0, 0.3, 1.0):
        blended = interpolate_state_dicts(a, b, alpha)
        for name in a:
            torch.testing.assert_close(blended[name], (1 - alpha) * a[name] + alpha * b[name])
    assert all(torch.equal(interpolate_state_dicts(a, b, 0.0)[n], a[n]) for n in a)
    assert all(torch.equal(interpolate_state_dicts(a, b, 1.0)[n], b[n]) for n in a)


def test_interpolate_networks_ends_are_the_two_networks_and_originals_are_untouched():
    first, second = _two_small_networks()
    before = {name: tensor.clone() for name, tensor in first.state_dict().items()}
    low_res = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(interpolate_networks(first, second, 0.0)(low_res), first(low_res))
        assert torch.equal(interpolate_networks(first, second, 1.0)(low_res), second(low_res))
        middle = interpolate_networks(first, second, 0.5)(low_res)
    assert not torch.equal(middle, first(low_res)) and not torch.equal(middle, second(low_res))
    assert all(torch.equal(before[name], tensor) for name, tensor in first.state_dict().items())
    assert not interpolate_networks(first, second, 0.5).training


def test_interpolate_state_dicts_copies_integer_buffers_from_the_first():
    first, second = _two_small_networks(batch_norm=True)
    a, b = first.state_dict(), second.state_dict()
    counter = next(name for name in a if name.endswith("num_batches_tracked"))
    b[counter] = b[counter] + 7
    assert torch.equal(interpolate_state_dicts(a, b, 0.5)[counter], a[counter])


def test_interpolation_refuses_bad_alpha_and_mismatched_networks():
    first, second = _two_small_networks()
    for alpha in (-0.1, 1.5, True, "0.5", float("nan")):
        with pytest.raises(ValueError, match="alpha"):
            interpolate_networks(first, second, alpha)
    wider = SRResNet(scale=4, num_blocks=1, channels=16, batch_norm=False)
    with pytest.raises(ValueError, match="shape"):
        interpolate_networks(first, wider, 0.5)
    deeper = SRResNet(scale=4, num_blocks=2, channels=8, batch_norm=False)
    with pytest.raises(ValueError, match="only one of them"):
        interpolate_networks(first, deeper, 0.5)
    with pytest.raises(ValueError, match="same architecture"):
        interpolate_networks(first, SRGANDiscriminator(base_channels=4), 0.5)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        interpolate_networks(first.state_dict(), second, 0.5)
