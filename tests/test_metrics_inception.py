"""The FID InceptionV3: same features as pytorch-fid's network given the same weights; verified weight download.

No test downloads anything: pytorch-fid's network is built with its weight
loading patched to return a random state dict (the same one loaded into ours),
and the download path is exercised against a local HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import hashlib

import pytest
import torch

from imgsynth_edu.metrics import inception
from imgsynth_edu.metrics.inception import FIDInceptionV3, InceptionFeatures, load_fid_state_dict


def _random_fid_state_dict(seed: int = 0) -> dict:
    """A random state dict in pytorch-fid's layout (with its 1008-way fc), BN statistics included."""
    torch.manual_seed(seed)
    model = FIDInceptionV3()
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith("running_var"):
            value = 0.5 + torch.rand(value.shape, generator=generator)
        elif key.endswith("running_mean") or key.endswith("bn.bias"):
            value = 0.1 * torch.randn(value.shape, generator=generator)
        elif key.endswith("conv.weight"):
            fan_in = value[0].numel()
            value = torch.randn(value.shape, generator=generator) * (2.0 / fan_in) ** 0.5  # keeps the scale
        state[key] = value
    state["fc.weight"] = torch.randn(1008, 2048, generator=generator) * 0.01
    state["fc.bias"] = torch.zeros(1008)
    return state


def test_features_equal_pytorch_fid_inception_with_the_same_weights(monkeypatch):
    pytorch_fid_inception = pytest.importorskip("pytorch_fid.inception")
    state = _random_fid_state_dict()
    monkeypatch.setattr(pytorch_fid_inception, "load_state_dict_from_url", lambda *args, **kwargs: state)
    theirs = pytorch_fid_inception.InceptionV3([pytorch_fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()
    ours = load_fid_state_dict(FIDInceptionV3(), state).eval()
    images = torch.rand(2, 3, 64, 80, generator=torch.Generator().manual_seed(1))  # resized to 299 inside
    with torch.no_grad():
        reference = theirs(images)[0].flatten(1)  # (2, 2048)
        features = ours(images)  # (2, 2048)
    assert features.shape == (2, 2048)
    assert reference.abs().mean() > 1e-3  # the random network does not collapse to zeros
    assert torch.allclose(features, reference, rtol=1e-4, atol=1e-5 * reference.abs().max().item())


def test_inception_features_accept_grey_and_reject_bad_input():
    extractor = InceptionFeatures(random_weights=True)
    seen = []

    class Recorder(torch.nn.Module):  # stands in for the 24M-parameter network: we test the wrapper
        def forward(self, images):
            seen.append(images)
            return images.mean(dim=(2, 3))

    extractor.network = Recorder()
    grey = torch.rand(1, 1, 40, 40)
    extractor(grey)
    assert seen[0].shape == (1, 3, 40, 40) and torch.equal(seen[0][:, 2], grey[:, 0])
    with pytest.raises(ValueError, match="images must have 1 or 3 channels"):
        extractor(torch.rand(1, 2, 40, 40))
    with pytest.raises(ValueError, match="images must have values"):
        extractor(grey * 3)


def test_load_rejects_weights_of_another_network():
    with pytest.raises(ValueError, match="do not match the FID InceptionV3"):
        load_fid_state_dict(FIDInceptionV3(), {"conv.weight": torch.zeros(1)})


def test_fetch_weights_verifies_the_checksum_and_explains_the_offline_case(local_server, tmp_path):
    base, files, requests = local_server
    payload = b"pretend inception weights" * 100
    good_sha256 = hashlib.sha256(payload).hexdigest()
    files["/weights.pth"] = payload
    path = inception.fetch_weights(tmp_path / "w.pth", urls=(f"{base}/missing.pth", f"{base}/weights.pth"),
                                   sha256=good_sha256, progress=False)
    assert path.read_bytes() == payload  # the first URL failed, the mirror worked
    assert requests[:2] == ["/missing.pth", "/weights.pth"]
    target = tmp_path / "other.pth"
    with pytest.raises(inception.InceptionWeightsUnavailableError) as error:
        inception.fetch_weights(target, urls=(f"{base}/weights.pth",), sha256="0" * 64, progress=False)
    message = str(error.value)
    assert f"put it at: {target}" in message and "digit-classifier" in message
    assert not target.exists() and list(tmp_path.glob(".other.pth*")) == []  # nothing half-written
