"""The learned burst restorer: shapes, alignment sign, fusion weights, learning, training with resume, bad input."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from imgsynth_edu import pretrained
from imgsynth_edu.data.bursts import BurstDataset, synthetic_burst
from imgsynth_edu.data.photos import load_photo
from imgsynth_edu.metrics.image import psnr
from imgsynth_edu.models.burst import BurstSR, warp_frames
from imgsynth_edu.training.sr import RestorationTrainer


@pytest.fixture(scope="module")
def small_burst():
    image = load_photo("astronaut")[:, 100:164, 200:264].contiguous()  # 3×64×64
    return synthetic_burst(image, 4, 2, seed=0)


@pytest.mark.parametrize("frames", [1, 3, 8])
def test_any_number_of_frames(frames):
    model = BurstSR(scale=4, features=8, enc_blocks=1, dec_blocks=1)
    burst = torch.rand(2, frames, 3, 12, 10, generator=torch.Generator().manual_seed(frames))
    restored, details = model(burst, return_details=True)
    assert restored.shape == (2, 3, 48, 40)
    assert details["weights"].shape == (2, frames, 12, 10)
    torch.testing.assert_close(details["weights"].sum(dim=1), torch.ones(2, 12, 10))
    assert details["flow"].shape == (2, frames, 2, 12, 10)


def test_untrained_single_frame_output_is_the_bicubic_reference():
    model = BurstSR(scale=2, features=8, enc_blocks=1, dec_blocks=1)
    burst = torch.rand(1, 1, 3, 9, 11, generator=torch.Generator().manual_seed(0))
    expected = F.interpolate(burst[:, 0], scale_factor=2, mode="bicubic", align_corners=False)
    torch.testing.assert_close(model(burst), expected)


def test_warping_by_the_true_shift_recovers_the_reference():
    image = load_photo("chelsea")[:, :128, :128]
    burst = synthetic_burst(image, 4, 2, noise="none", seed=1)
    interior = (slice(None), slice(None), slice(6, -6), slice(6, -6))
    for index in range(1, 4):
        frame = burst.frames[index : index + 1]  # 1×C×h×w
        flow = burst.shifts[index].view(1, 2, 1, 1).expand(1, 2, *frame.shape[-2:])
        good = warp_frames(frame, flow)[interior]
        bad = warp_frames(frame, -flow)[interior]
        reference = burst.frames[:1][interior]
        assert (good - reference).abs().mean() < 0.5 * (bad - reference).abs().mean()


def test_given_shifts_are_used(small_burst):
    model = BurstSR(scale=2, features=8, enc_blocks=1, dec_blocks=1, use_phase_correlation=False)
    frames = small_burst.frames[None]
    _, with_true = model(frames, small_burst.shifts[None], return_details=True)
    _, with_zero = model(frames, return_details=True)
    flow_true = with_true["flow"][0, :, :, 5, 5]  # F×2 at one pixel (the flow net starts at zero)
    torch.testing.assert_close(flow_true, small_burst.shifts)
    assert with_zero["flow"].abs().max() == 0


def test_tiny_model_overfits_one_burst(small_burst):
    """Learning test: 150 Adam steps on one ×2 burst must gain >= 2 dB over the untrained model (measured ~3.3 dB)."""
    torch.manual_seed(0)
    model = BurstSR(scale=2, features=16, enc_blocks=1, dec_blocks=1)
    frames, target = small_burst.frames[None], small_burst.target[None]
    with torch.no_grad():
        before = psnr(model(frames).clamp(0, 1), target).item()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(150):
        loss = (model(frames) - target).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        after = psnr(model(frames).clamp(0, 1), target).item()
    assert after > before + 2.0, f"PSNR {before:.2f} -> {after:.2f} dB"


def test_restoration_trainer_takes_bursts_and_resumes_exactly(tmp_path):
    photo = load_photo("coffee")[:, :160, :160]

    def make():
        torch.manual_seed(0)
        model = BurstSR(scale=4, features=8, enc_blocks=1, dec_blocks=1)
        dataset = BurstDataset([photo], frames=3, scale=4, patch_size=32, length=20, seed=0)
        return model, dataset

    model, dataset = make()
    RestorationTrainer(model, dataset, batch_size=2, device="cpu", progress=False).fit(4)
    straight = {k: v.clone() for k, v in model.state_dict().items()}

    model, dataset = make()
    state = tmp_path / "burst.state"
    RestorationTrainer(model, dataset, batch_size=2, device="cpu", progress=False, checkpoint_path=state).fit(2)
    model, dataset = make()
    resumed = RestorationTrainer(model, dataset, batch_size=2, device="cpu", progress=False, checkpoint_path=state)
    resumed.fit(4, resume=state)
    assert resumed.step == 4
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, straight[key], rtol=0, atol=0)
    assert any(not torch.equal(straight[k], v) for k, v in make()[0].state_dict().items())


@pytest.mark.parametrize("scale", [2, 3, 8])
def test_every_supported_scale_builds_and_restores(scale):
    model = BurstSR(scale=scale, features=8, enc_blocks=1, dec_blocks=1)
    assert model(torch.rand(1, 2, 3, 8, 8)).shape == (1, 3, 8 * scale, 8 * scale)


def test_bad_input():
    model = BurstSR(scale=4, features=8, enc_blocks=1, dec_blocks=1)
    with pytest.raises(ValueError, match="same size"):
        model([torch.rand(3, 8, 8), torch.rand(3, 8, 9)])
    with pytest.raises(ValueError, match="zero frames"):
        model(torch.rand(1, 0, 3, 8, 8))
    with pytest.raises(ValueError, match="zero frames"):
        model([])
    nan_burst = torch.rand(1, 2, 3, 8, 8)
    nan_burst[0, 1, 1, 2, 2] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        model(nan_burst)
    with pytest.raises(ValueError, match="channels"):
        model(torch.rand(1, 2, 1, 8, 8))
    with pytest.raises(ValueError, match="scale=2 does not match"):
        model.check_scale(2)
    model.check_scale(4)
    with pytest.raises(ValueError, match=r"scale must be one of \(2, 3, 4, 8\), got 5"):
        BurstSR(scale=5)
    with pytest.raises(ValueError, match="shifts must have shape"):
        model(torch.rand(1, 2, 3, 8, 8), torch.zeros(1, 3, 2))


def test_bundled_burst_x4():
    model = pretrained.load("burst-x4")
    card = pretrained.card("burst-x4")
    assert card["arguments"]["scale"] == 4 and card["command"].startswith("imgsynth-edu train burst")
    model.check_scale(4)
    with pytest.raises(ValueError, match="scale"):
        model.check_scale(2)
    out = model(torch.rand(1, 2, 3, 16, 16))
    assert out.shape == (1, 3, 64, 64) and torch.isfinite(out).all()
