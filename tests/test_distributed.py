"""Distributed data-parallel training (DDP, gloo on the CPU, 2 processes) equals one process.

Two processes started with ``torch.multiprocessing`` on 127.0.0.1 train a
tiny SRResNet (``RestorationTrainer``) and a tiny MLP GAN (``GANTrainer``) on
a global batch of 4 (2 items each); one process trains the same models on the
same global batch of 4. The weights must agree to float rounding: DDP averages
the two ranks' gradients, ``(g0 + g1) / 2``, where one process sums the four
items in another order. Measured (torch 2.x, CPU): max |difference| 2.2e-8 (SRResNet)
and 1.5e-8 (GAN) after 4 Adam steps (lr 1e-3); we accept ``TOLERANCE``. A wrong sharding (both ranks on the
same items, or gradients not averaged) moves weights by ~1e-3 (lr-sized steps).

Resume: the 2-process run stopped at step 2 and resumed from rank 0's
checkpoint ends bit-identical to the uninterrupted 2-process run.
"""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from imgsynth_edu.data.patches import PairedPatchDataset
from imgsynth_edu.models.gan import MLPDiscriminator, MLPGenerator
from imgsynth_edu.models.srresnet import SRResNet
from imgsynth_edu.training import distributed
from imgsynth_edu.training.gan import GANTrainer
from imgsynth_edu.training.sr import RestorationTrainer

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")

#: Largest |DDP - single process| accepted for a weight after 4 steps (float rounding of the gradient sums).
TOLERANCE = 1e-5
STEPS, BATCH = 4, 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sr_trainer(checkpoint_path=None) -> RestorationTrainer:
    torch.manual_seed(0)
    model = SRResNet(scale=2, num_blocks=1, channels=4, batch_norm=False)
    generator = torch.Generator().manual_seed(1)
    images = {f"image{i}": torch.rand(3, 24, 24, generator=generator) for i in range(3)}
    dataset = PairedPatchDataset(images, 2, 12, seed=0)
    return RestorationTrainer(model, dataset, device="cpu", batch_size=BATCH, lr=1e-3, progress=False,
                              checkpoint_path=checkpoint_path)


def _gan_trainer(checkpoint_path=None) -> GANTrainer:
    torch.manual_seed(0)
    generator, discriminator = MLPGenerator(latent_dim=2, hidden_dim=8, n_hidden=1), MLPDiscriminator(hidden_dim=8, n_hidden=1)
    data = torch.randn(16, 2, generator=torch.Generator().manual_seed(2))  # (16, 2) points
    return GANTrainer(generator, discriminator, data, device="cpu", batch_size=BATCH, lr_g=1e-3, lr_d=1e-3,
                      progress=False, log_every=1, checkpoint_path=checkpoint_path)


def _weights(*modules) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for module in modules for p in module.parameters()])


def _worker(rank: int, world: int, port: int, folder: str) -> None:
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank)})
    torch.set_num_threads(1)
    assert distributed.init_from_environment()
    try:
        results = {}
        sr = _sr_trainer()
        sr.fit(STEPS)
        results["sr"] = _weights(sr.model)
        results["sr_loss"] = torch.tensor(sr.history.values["loss"])
        gan = _gan_trainer()
        gan.fit(STEPS)
        results["gan"] = _weights(gan.generator, gan.discriminator)
        # Resume: stop at 2 (rank 0 writes the checkpoint), then a fresh trainer on every rank resumes it.
        checkpoint = os.path.join(folder, "sr.state.pt")
        _sr_trainer(checkpoint).fit(STEPS // 2)
        resumed = _sr_trainer(checkpoint)
        resumed.fit(STEPS, resume=checkpoint)
        results["sr_resumed"] = _weights(resumed.model)
        checkpoint = os.path.join(folder, "gan.state.pt")
        gan_half = _gan_trainer()
        gan_half.fit(STEPS // 2)
        gan_half.save_checkpoint(checkpoint)  # every rank calls it; rank 0 writes
        distributed.barrier()
        gan_resumed = _gan_trainer()
        gan_resumed.fit(STEPS, resume=checkpoint)
        results["gan_resumed"] = _weights(gan_resumed.generator, gan_resumed.discriminator)
        results["in_sync"] = torch.tensor(float(_rank_spread(results["sr"])))
        torch.save(results, os.path.join(folder, f"rank{rank}.pt"))
    finally:
        distributed.shutdown()


def _rank_spread(weights: torch.Tensor) -> float:
    """max over ranks - min over ranks of each weight (0 when every rank holds the same model)."""
    high, low = weights.clone(), weights.clone()
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    return float((high - low).abs().max())


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(2, _free_port(), str(folder)), nprocs=2, join=True)
    return [torch.load(folder / f"rank{rank}.pt", weights_only=True) for rank in range(2)]


def test_ranks_hold_the_same_model(two_processes):
    assert float(two_processes[0]["in_sync"]) == 0.0
    assert torch.equal(two_processes[0]["sr"], two_processes[1]["sr"])


def test_two_processes_match_one_process_with_the_same_global_batch(two_processes):
    torch.set_num_threads(1)
    sr = _sr_trainer()
    sr.fit(STEPS)
    gan = _gan_trainer()
    gan.fit(STEPS)
    single_sr, single_gan = _weights(sr.model), _weights(gan.generator, gan.discriminator)
    sr_difference = float((two_processes[0]["sr"] - single_sr).abs().max())
    gan_difference = float((two_processes[0]["gan"] - single_gan).abs().max())
    print(f"max |DDP - single| after {STEPS} steps: SRResNet {sr_difference:.2e}, GAN {gan_difference:.2e}")
    assert sr_difference <= TOLERANCE
    assert gan_difference <= TOLERANCE
    # The logged loss is the global batch's: the mean over ranks equals the one-process loss.
    assert torch.allclose(two_processes[0]["sr_loss"], torch.tensor(sr.history.values["loss"]), atol=1e-6)
    # ... and the training moved the weights well beyond the tolerance (the comparison is not vacuous).
    assert float((single_sr - _weights(_sr_trainer().model)).abs().max()) > 100 * TOLERANCE


def test_resume_under_ddp_is_exact(two_processes):
    for rank in range(2):
        assert torch.equal(two_processes[rank]["sr_resumed"], two_processes[rank]["sr"])
        assert torch.equal(two_processes[rank]["gan_resumed"], two_processes[rank]["gan"])


def test_batch_size_must_split_evenly(monkeypatch):
    monkeypatch.setattr(distributed, "world_size", lambda: 3)
    with pytest.raises(ValueError, match="batch_size 4 must be a multiple of the number of processes"):
        _sr_trainer()


def test_torchrun_command_line_writes_one_model_equal_to_one_process(tmp_path):
    """``torchrun --nproc_per_node=2 -m imgsynth_edu.cli train srresnet`` = the same command in one process."""
    import subprocess
    import sys

    from imgsynth_edu import pretrained

    options = ["train", "srresnet", "--steps", "3", "--batch-size", "4", "--patch-size", "16", "--blocks", "1",
               "--channels", "4", "--no-batch-norm", "--no-eval", "--quiet", "--device", "cpu", "--lr", "1e-3"]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    single = subprocess.run([sys.executable, "-m", "imgsynth_edu.cli", *options, "--out", str(tmp_path / "one.pt")],
                            capture_output=True, text=True, timeout=300, env=environment)
    assert single.returncode == 0, single.stderr
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
                          f"--master_port={_free_port()}", "-m", "imgsynth_edu.cli", *options,
                          "--out", str(tmp_path / "two.pt")], capture_output=True, text=True, timeout=300, env=environment)
    assert two.returncode == 0, two.stderr
    assert two.stderr.count("wrote ") == 1  # rank 0 alone writes (and says so)
    one_model, two_model = pretrained.load_file(tmp_path / "one.pt"), pretrained.load_file(tmp_path / "two.pt")
    difference = float((_weights(one_model) - _weights(two_model)).abs().max())
    assert difference <= TOLERANCE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.json", "one.pt", "one.state.pt",
                                                            "two.json", "two.pt", "two.state.pt"]
