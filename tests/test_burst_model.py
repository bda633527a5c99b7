"""The learned burst restorer: shapes, alignment sign, fusion weights, learning, training with resume, bad input."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from imgsynth_edu import pretrained
from imgsynth_edu.classical import sample_positions, shift_and_add
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


def test_sample_positions_put_each_sample_where_its_scene_point_is():
    """Sample p of a frame displaced by d saw the scene at p - d: at 4·(p - d + ½) - ½ on the ×4 grid."""
    displacement = torch.zeros(1, 2, 2, 3, 5)  # N×F×2×h×w; frame 0 not displaced
    displacement[0, 1, 0] = 0.25  # frame 1: dy = 0.25 everywhere
    displacement[0, 1, 1, :, 4] = -1.5  # and dx = -1.5 in its last column only (a per-pixel displacement)
    pos_y, pos_x = sample_positions(displacement, 4)
    assert pos_y.shape == pos_x.shape == (1, 2, 3, 5)
    assert (pos_y[0, 0, 2, 3].item(), pos_x[0, 0, 2, 3].item()) == (9.5, 13.5)  # 4·(2 + ½) - ½, 4·(3 + ½) - ½
    assert pos_y[0, 1, 2, 3].item() == 4 * (2 - 0.25 + 0.5) - 0.5
    assert pos_x[0, 1, 2, 4].item() == 4 * (4 + 1.5 + 0.5) - 0.5
    assert pos_x[0, 1, 2, 3].item() == 13.5  # the other columns are not displaced in x


def test_with_colours_as_features_the_fusion_is_the_classical_shift_and_add(small_burst):
    """The learned fusion splats samples where they belong: given colours and equal weights it is shift-and-add."""
    model = BurstSR(scale=2, features=8, enc_blocks=1, dec_blocks=1)
    frames = small_burst.frames[None]  # 1×F×3×h×w
    count, frame_count, _, height, width = frames.shape
    displacement = small_burst.shifts[None, :, :, None, None].expand(-1, -1, -1, height, width)
    equal = torch.full((count, frame_count, height, width), 1.0 / frame_count)
    fused, evidence = model.merge_on_fine_grid(frames, displacement, equal)
    normalised = fused * (evidence + model.evidence_epsilon) / evidence  # undo the ε: Σ w·k·y / Σ w·k
    classical = shift_and_add(frames, small_burst.shifts[None], 2, sigma=model.splat_sigma, prior_weight=0.0)
    covered = evidence > 1e-2
    torch.testing.assert_close(normalised.expand_as(classical)[covered.expand_as(classical)],
                               classical[covered.expand_as(classical)], rtol=1e-4, atol=1e-5)
    assert covered.float().mean() > 0.5
    # the wrong sign of the displacement puts every sample in the wrong place
    wrong, wrong_evidence = model.merge_on_fine_grid(frames, -displacement, equal)
    wrong = wrong * (wrong_evidence + model.evidence_epsilon) / wrong_evidence
    both = (covered & (wrong_evidence > 1e-2)).expand_as(classical)
    assert (wrong.expand_as(classical) - classical)[both].abs().mean() > 0.01


def test_untrained_model_with_several_frames_is_shift_and_add(small_burst):
    model = BurstSR(scale=2, features=8, enc_blocks=1, dec_blocks=1)
    frames = small_burst.frames[None]
    with torch.no_grad():
        torch.testing.assert_close(model(frames, small_burst.shifts[None]),
                                   shift_and_add(frames, small_burst.shifts[None], 2))


def test_bad_splat_sigma_is_refused():
    with pytest.raises(ValueError, match="splat_sigma"):
        BurstSR(scale=4, features=8, splat_sigma=0.0)


def test_a_streamed_folder_gives_the_same_bursts_as_the_photos_in_memory(tmp_path):
    from PIL import Image

    from imgsynth_edu.data.image_io import read_image_folder

    photos = {}
    for name in ("chelsea", "coffee"):
        array = (load_photo(name)[:, :80, :96].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
        Image.fromarray(array).save(tmp_path / f"{name}.png")
        photos[name] = torch.from_numpy(array).permute(2, 0, 1).float() / 255
    options = {"frames": 3, "scale": 4, "patch_size": 32, "length": 6, "seed": 1, "augment": True}
    in_memory = BurstDataset(photos, **options)
    streamed = BurstDataset(read_image_folder(tmp_path), **options)
    assert streamed.photos == [] and len(streamed.paths) == 2  # nothing held: each item reads its photo
    for index in range(6):
        for left, right in zip(in_memory[index], streamed[index]):
            torch.testing.assert_close(left, right, rtol=0, atol=0)


def test_a_streamed_photo_too_small_for_the_patch_is_named(tmp_path):
    from PIL import Image

    from imgsynth_edu.data.image_io import read_image_folder

    for name, size in (("big", 96), ("small", 40)):
        Image.fromarray(torch.zeros(size, size, 3, dtype=torch.uint8).numpy()).save(tmp_path / f"{name}.png")
    dataset = BurstDataset(read_image_folder(tmp_path), frames=2, scale=4, patch_size=32, length=50, seed=0)
    with pytest.raises(ValueError, match=r"small\.png.*smaller than 64×64"):
        for index in range(50):
            dataset[index]


def test_a_streamed_photo_with_other_channels_is_named(tmp_path):
    from PIL import Image

    from imgsynth_edu.data.image_io import read_image_folder

    Image.fromarray(torch.zeros(96, 96, 3, dtype=torch.uint8).numpy()).save(tmp_path / "a_colour.png")
    Image.fromarray(torch.zeros(96, 96, dtype=torch.uint8).numpy()).save(tmp_path / "b_grey.png")
    dataset = BurstDataset(read_image_folder(tmp_path, rgb=False), frames=2, scale=4, patch_size=32, length=50)
    with pytest.raises(ValueError, match=r"b_grey\.png.*1 channels.*first image has 3"):
        for index in range(50):
            dataset[index]
