"""Streaming training data: a folder of images is read one file per item, so memory does not grow with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from imgsynth_edu.data.image_io import read_image_folder
from imgsynth_edu.data.patches import PairedPatchDataset


def _write_folder(folder: Path, count: int, size: int = 128) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"{index:04d}.png",
                                                                                  compress_level=0)
    return folder


def _resident_bytes() -> int:
    """This process's resident memory now (Linux /proc), in bytes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc for the resident memory")
def test_memory_does_not_grow_with_the_number_of_images(tmp_path):
    # 600 images of 128×128: held in memory as float32 that is 600 × 196 kB = 118 MB.
    folder = read_image_folder(_write_folder(tmp_path / "many", 600))
    dataset = PairedPatchDataset(folder, scale=4, patch_size=32, seed=0)
    for index in range(20):  # warm up: first-use allocations (decoders, resampling kernels, the allocator's pools)
        dataset[index]
    before = _resident_bytes()
    for index in range(20, 3020, 5):  # 600 items: on average every image is read once
        low_res, high_res = dataset[index]
    grown = _resident_bytes() - before
    print(f"resident memory grew by {grown / 1e6:.1f} MB while streaming 600 items from 600 images")
    assert low_res.shape == (3, 8, 8) and high_res.shape == (3, 32, 32)
    assert grown < 30e6  # the images as tensors would be 118 MB
    assert not any(isinstance(value, torch.Tensor) and value.numel() > 1000 for value in vars(dataset).values())
    assert dataset.images == [] and len(dataset.paths) == 600 and all(isinstance(p, Path) for p in dataset.paths)


def test_holding_the_images_is_what_the_streamed_dataset_avoids(tmp_path):
    """The check above can fail: the same folder read into memory (the old way) holds every image as a tensor.

    (Resident memory is not compared here: after other tests, freed memory that the allocator
    reuses can hide part of the growth; the bytes the dataset holds are exact.)
    """
    folder = read_image_folder(_write_folder(tmp_path / "many", 200))
    held = PairedPatchDataset(dict(folder), scale=4, patch_size=32, seed=0)
    streamed = PairedPatchDataset(folder, scale=4, patch_size=32, seed=0)

    def tensor_bytes(dataset):
        return sum(image.numel() * image.element_size() for image in dataset.images)

    assert held.paths is None and tensor_bytes(held) == 200 * 3 * 128 * 128 * 4  # 39 MB, grows with the folder
    assert tensor_bytes(streamed) == 0 and len(streamed.paths) == 200


def test_streamed_items_equal_in_memory_items_and_work_with_workers(tmp_path):
    folder = read_image_folder(_write_folder(tmp_path / "few", 5, size=40))
    streamed = PairedPatchDataset(folder, scale=2, patch_size=16, seed=3)
    in_memory = PairedPatchDataset(dict(folder), scale=2, patch_size=16, seed=3)
    for index in (0, 7, 99):
        assert all(torch.equal(a, b) for a, b in zip(streamed[index], in_memory[index]))
    loader = DataLoader(torch.utils.data.Subset(streamed, range(8)), batch_size=4, num_workers=2)
    batches = list(loader)
    assert batches[0][0].shape == (4, 3, 8, 8) and batches[1][1].shape == (4, 3, 16, 16)
    assert torch.equal(batches[1][1][3], in_memory[7][1])


def test_a_too_small_image_in_the_folder_is_named(tmp_path):
    folder = _write_folder(tmp_path / "small", 1, size=12)
    dataset = PairedPatchDataset(read_image_folder(folder), scale=2, patch_size=16)
    with pytest.raises(ValueError, match=r"0000\.png.*smaller than patch_size=16"):
        dataset[0]


def _trainer(folder, workers, checkpoint_path=None):
    from imgsynth_edu.models.srresnet import SRResNet
    from imgsynth_edu.training.sr import RestorationTrainer

    torch.manual_seed(0)
    model = SRResNet(scale=2, num_blocks=1, channels=4, batch_norm=False)
    dataset = PairedPatchDataset(folder, scale=2, patch_size=16, seed=1)
    return RestorationTrainer(model, dataset, device="cpu", batch_size=4, lr=1e-3, progress=False, workers=workers,
                              checkpoint_path=checkpoint_path)


def test_trainer_with_workers_sees_the_same_batches_and_resumes_exactly(tmp_path):
    folder = read_image_folder(_write_folder(tmp_path / "train", 6, size=40))
    plain = _trainer(folder, workers=0)
    plain.fit(5)
    with_workers = _trainer(folder, workers=2)
    with_workers.fit(5)
    assert plain.history.values["loss"] == with_workers.history.values["loss"]
    assert all(torch.equal(a, b) for a, b in zip(plain.model.parameters(), with_workers.model.parameters()))
    # Interrupted at step 2 (the workers had drawn batches ahead), resumed to 5: the same weights.
    checkpoint = tmp_path / "state.pt"
    _trainer(folder, workers=2, checkpoint_path=checkpoint).fit(2)
    resumed = _trainer(folder, workers=2, checkpoint_path=checkpoint)
    resumed.fit(5, resume=checkpoint)
    assert all(torch.equal(a, b) for a, b in zip(plain.model.parameters(), resumed.model.parameters()))
