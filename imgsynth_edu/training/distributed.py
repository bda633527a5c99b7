"""Data-parallel training on several processes (GPUs or machines) with ``torch.distributed``.

**What DDP does.** ``torchrun --nproc_per_node=N`` starts ``N`` copies of the
same program (one per GPU); each knows its *rank* ``r`` (0 .. N-1) and the
*world size* ``N`` from environment variables, and :func:`init_from_environment`
joins them into one process group. Every rank holds a full copy of the model.
Each step, every rank draws **the same global batch** of ``B`` indices (the
same seeded generator) and keeps its own share, ``indices[r::N]``
(:func:`shard`: ``B/N`` items each). Each rank computes the gradient of the
mean loss on its share, and ``DistributedDataParallel`` then **all-reduces**
the gradients: every rank ends up with the average over ranks,

.. math::  g = \\frac{1}{N} \\sum_{r=0}^{N-1} \\nabla_\\theta \\frac{N}{B} \\sum_{i \\in S_r} \\ell_i
             = \\nabla_\\theta \\frac{1}{B} \\sum_{i=1}^{B} \\ell_i ,

which is exactly the gradient of the mean loss on the whole batch, the one a
single process would compute (Li et al. 2020, "PyTorch Distributed:
Experiences on Accelerating Data Parallel Training", §2-3). Since all ranks
start from the same weights (DDP copies rank 0's at wrap time) and apply the
same gradient with the same optimizer, they stay identical, step after step::

    rank 0: batch[0::2] -> grad g0 ─┐                     ┌─> g = (g0 + g1)/2 -> Adam step
                                    ├── all-reduce (sum) ──┤
    rank 1: batch[1::2] -> grad g1 ─┘                     └─> g = (g0 + g1)/2 -> Adam step

DDP overlaps the all-reduce with the backward pass: gradients are sent in
buckets as soon as they are ready (NCCL on GPUs, gloo on CPUs). So ``N`` GPUs
do one step of batch ``B`` about ``N`` times faster than one GPU, and the
numbers are those of the single-process run up to float rounding (a sum in
another order). Two exceptions: batch normalisation computes its statistics
on each rank's share (``torch.nn.SyncBatchNorm`` would share them, on CUDA
only), and anything random that is drawn per item must be drawn for the
global batch and sharded too (the GAN noise is: see ``UnconditionalTask``).

Only rank 0 writes: progress bars, logs, checkpoints, model files and cards
(:func:`is_main_process`). Every rank loads the same checkpoint on resume, so
the generators that draw the batches are in the same state on all of them.

:func:`rank_gradients`, :func:`average_over_ranks` and :func:`batch_gradient`
do the same arithmetic in one process, without a process group, so that the
equation above can be checked on any machine (lesson 09 does).

Lessons: ``05_super_resolution.ipynb`` (scaling up: training on several GPUs),
``09_scaling_up_and_down.ipynb`` (what DDP computes, checked).
"""

from __future__ import annotations

import os
import warnings

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = [
    "average_over_ranks",
    "barrier",
    "batch_gradient",
    "init_from_environment",
    "is_distributed",
    "is_main_process",
    "mean_across_ranks",
    "rank",
    "rank_gradients",
    "shard",
    "shutdown",
    "world_size",
    "wrap",
]


def is_distributed() -> bool:
    """True inside a process group of more than one process (``torchrun --nproc_per_node=N``, N > 1)."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's number, 0 .. world_size-1 (0 without a process group)."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """How many processes train together (1 without a process group)."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """Rank 0: the one process that prints, logs, and writes files."""
    return rank() == 0


def init_from_environment() -> bool:
    """Join the process group that ``torchrun`` describes in the environment; False when not under torchrun.

    ``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``
    and ``MASTER_PORT``. The backend is NCCL when CUDA is available (each
    process then uses GPU ``LOCAL_RANK``) and gloo otherwise (CPUs). With
    ``WORLD_SIZE`` unset or 1 nothing happens: the same command runs in one process.

    Lesson: ``05_super_resolution.ipynb`` (scaling up: training on several GPUs).
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return dist.is_initialized()
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))  # "cuda" now means this process's GPU
        dist.init_process_group("nccl")
    else:
        dist.init_process_group("gloo")
    return True


def shutdown() -> None:
    """Leave the process group (at the end of a distributed run)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard(items: torch.Tensor) -> torch.Tensor:
    """This rank's share of a global batch: ``items[rank::world_size]`` (all of it in one process).

    The global batch size must be a multiple of the world size, so that every
    rank's mean loss weighs its items as the global mean does.
    """
    count = world_size()
    if len(items) % count:
        raise ValueError(f"batch_size {len(items)} must be a multiple of the number of processes ({count})")
    return items[rank()::count]  # (B/N, ...)


def wrap(module: nn.Module) -> nn.Module:
    """``module`` inside ``DistributedDataParallel`` when distributed (it all-reduces the gradients); else itself.

    Call the wrapper for the forward pass; keep the plain ``module`` for
    checkpoints and model files (its ``state_dict`` has no ``module.`` prefix).
    ``broadcast_buffers=False``: batch-norm running statistics stay per rank
    (rank 0's are the ones saved), and a discriminator may be called twice
    before one backward pass (real and fake) without an in-place conflict.
    """
    if not is_distributed():
        return module
    parameter = next(module.parameters(), None)
    device_ids = [parameter.device.index] if parameter is not None and parameter.device.type == "cuda" else None
    with warnings.catch_warnings():
        # Recent torch deprecates broadcast_buffers in favour of forward_sync_buffers, and says to keep
        # broadcast_buffers=False for rank-local buffers until its replacement exists.
        warnings.filterwarnings("ignore", message=".*broadcast_buffers.*", category=FutureWarning)
        return DistributedDataParallel(module, device_ids=device_ids, broadcast_buffers=False)


def mean_across_ranks(value: float) -> float:
    """The mean of a logged number over all ranks (the global batch's loss); ``value`` itself in one process."""
    if not is_distributed():
        return float(value)
    device = torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")
    total = torch.tensor([float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(total)  # sum over ranks
    return float(total) / world_size()


def barrier() -> None:
    """Wait until every rank arrives here (e.g. until rank 0 has written a checkpoint)."""
    if is_distributed():
        dist.barrier()


# ----------------------------------------------------------------------------
# The all-reduce, by hand, in one process (for reading and checking the equation)
# ----------------------------------------------------------------------------
def batch_gradient(model: nn.Module, loss_function, inputs: torch.Tensor, targets: torch.Tensor) -> list[torch.Tensor]:
    """The gradient of the mean loss over the whole batch, one tensor per parameter (what one process computes).

    ``loss_function(outputs, targets)`` must return the **mean** loss of the
    items it is given (as ``F.mse_loss`` and ``F.l1_loss`` do by default).
    The model's ``.grad`` fields are left as they were.

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets must hold the same number of items, got {len(inputs)} and {len(targets)}")
    parameters = [p for p in model.parameters() if p.requires_grad]
    loss = loss_function(model(inputs), targets)  # a number: the mean over the B items
    return [g.detach() for g in torch.autograd.grad(loss, parameters)]  # one (shape of p) tensor per parameter


def rank_gradients(model: nn.Module, loss_function, inputs: torch.Tensor, targets: torch.Tensor,
                   world_size: int) -> list[list[torch.Tensor]]:
    """What each of ``world_size`` ranks computes before the all-reduce: the gradient of its own mean loss.

    Rank ``r`` takes the items ``r, r + N, r + 2N, ...`` of the global batch (as
    :func:`shard` does under ``torchrun``), so with ``B`` items each rank has
    ``B/N`` and its mean loss is :math:`\\frac{N}{B} \\sum_{i \\in S_r} \\ell_i`.

    Returns ``[rank 0's gradients, rank 1's, ...]``, each one tensor per parameter.

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    if not isinstance(world_size, int) or isinstance(world_size, bool) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    if len(inputs) % world_size:
        raise ValueError(f"the batch of {len(inputs)} items must be a multiple of world_size ({world_size})")
    return [batch_gradient(model, loss_function, inputs[r::world_size], targets[r::world_size])  # (B/N, ...) each
            for r in range(world_size)]


def average_over_ranks(gradients_of_ranks: list[list[torch.Tensor]]) -> list[torch.Tensor]:
    """The all-reduce's result, which every rank receives: the mean over ranks, parameter by parameter.

    .. math::  g = \\frac{1}{N} \\sum_{r=0}^{N-1} g_r

    (DDP sums with ``all_reduce`` and divides by the world size; Li et al. 2020, §3.2.)

    Lesson: ``09_scaling_up_and_down.ipynb``.
    """
    if not gradients_of_ranks:
        raise ValueError("gradients_of_ranks must hold the gradients of one rank or more, got none")
    counts = {len(gradients) for gradients in gradients_of_ranks}
    if len(counts) != 1:
        raise ValueError(f"every rank must hold the same number of gradients, got {sorted(counts)}")
    world = len(gradients_of_ranks)
    return [torch.stack(same_parameter).sum(0) / world  # (N, *shape) -> (*shape)
            for same_parameter in zip(*gradients_of_ranks)]
