"""Pixel and perceptual losses, the SRGAN generator loss, and the VGG19 weight download (local server only)."""

from __future__ import annotations

import hashlib
import io

import pytest
import torch

from imgsynth_edu import losses
from imgsynth_edu.losses import (
    VGG19_LAYERS,
    VGGPerceptualLoss,
    WeightsUnavailableError,
    l1_loss,
    mse_loss,
    srgan_generator_loss,
    vgg19_weights_path,
)


def test_pixel_losses_match_their_formulas():
    prediction = torch.tensor([[0.0, 0.5], [1.0, 0.25]])
    target = torch.tensor([[0.5, 0.5], [0.0, 0.75]])
    assert l1_loss(prediction, target).item() == pytest.approx((0.5 + 0 + 1 + 0.5) / 4)
    assert mse_loss(prediction, target).item() == pytest.approx((0.25 + 0 + 1 + 0.25) / 4)
    with pytest.raises(ValueError, match="same shape"):
        l1_loss(prediction, target[:1])
    with pytest.raises(TypeError, match="prediction"):
        mse_loss(prediction.long(), target)


def test_vgg_loss_shapes_with_random_weights():
    torch.manual_seed(0)
    loss = VGGPerceptualLoss("relu2_2", weights=None)
    assert len(loss.features) == VGG19_LAYERS["relu2_2"] + 1
    images = torch.rand(2, 3, 32, 32)
    assert loss.feature_map(images).shape == (2, 128, 16, 16)
    assert loss(images, images).item() == 0.0
    prediction = torch.rand(2, 3, 32, 32, requires_grad=True)
    value = loss(prediction, images)
    value.backward()
    assert value.item() > 0 and prediction.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.parameters())  # the feature network is frozen
    loss.train()
    assert not loss.features.training
    assert loss.feature_map(torch.rand(1, 1, 32, 32)).shape == (1, 128, 16, 16)  # greyscale is repeated
    with pytest.raises(ValueError, match="layer"):
        VGGPerceptualLoss("relu9_9", weights=None)


def test_srgan_generator_loss_is_content_plus_a_thousandth_of_adversarial():
    sr, hr = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    fake_scores = torch.tensor([0.3, -1.2])
    parts = srgan_generator_loss(sr, hr, fake_scores)
    expected_adversarial = torch.nn.functional.softplus(-fake_scores).mean()  # -log sigmoid(d)
    assert parts["content"].item() == pytest.approx(mse_loss(sr, hr).item())
    assert parts["adversarial"].item() == pytest.approx(expected_adversarial.item())
    assert parts["total"].item() == pytest.approx(parts["content"].item() + 1e-3 * expected_adversarial.item())
    weighted = srgan_generator_loss(sr, hr, fake_scores, content_loss=l1_loss, adversarial_weight=0.5)
    assert weighted["total"].item() == pytest.approx(l1_loss(sr, hr).item() + 0.5 * expected_adversarial.item())


def _random_vgg_bytes() -> bytes:
    from torchvision.models import vgg19

    torch.manual_seed(0)
    buffer = io.BytesIO()
    torch.save(vgg19(weights=None).features[:4].state_dict(), buffer)  # small: the download code is what is tested
    return buffer.getvalue()


def test_vgg_weights_download_is_verified(local_server, tmp_path, monkeypatch):
    base, files, _ = local_server
    body = _random_vgg_bytes()
    prefix = hashlib.sha256(body).hexdigest()[:8]
    files[f"/vgg19-{prefix}.pth"] = body
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(losses, "VGG19_URL", f"{base}/vgg19-{prefix}.pth")
    monkeypatch.setattr(losses, "VGG19_SHA256_PREFIX", prefix)
    path = vgg19_weights_path()
    assert path == tmp_path / "checkpoints" / f"vgg19-{prefix}.pth"
    assert path.read_bytes() == body
    files.clear()  # a second call uses the file, not the network
    assert vgg19_weights_path() == path


def test_vgg_weights_with_a_wrong_hash_are_refused_and_not_kept(local_server, tmp_path, monkeypatch):
    base, files, _ = local_server
    files["/vgg19-00000000.pth"] = _random_vgg_bytes()
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(losses, "VGG19_URL", f"{base}/vgg19-00000000.pth")
    monkeypatch.setattr(losses, "VGG19_SHA256_PREFIX", "00000000")
    with pytest.raises(WeightsUnavailableError, match="could not download"):
        vgg19_weights_path()
    assert list((tmp_path / "checkpoints").iterdir()) == []  # nothing half-written left behind


def test_offline_error_says_what_to_do(local_server, tmp_path, monkeypatch):
    base, _, _ = local_server  # serves nothing: 404, like a missing network
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(losses, "VGG19_URL", f"{base}/vgg19-dcbb9e9d.pth")
    with pytest.raises(WeightsUnavailableError) as error:
        VGGPerceptualLoss("relu5_4")
    message = str(error.value)
    assert base in message and str(tmp_path / "checkpoints") in message and "l1_loss" in message
    with pytest.raises(WeightsUnavailableError, match="download=False"):
        vgg19_weights_path(download=False)
