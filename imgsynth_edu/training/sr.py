"""Training loops for restoration: any model that maps an input to a target image.

The loop is the one of every supervised restorer (SRCNN, SRResNet, EDSR, a
burst network): draw a batch of ``(input, target)`` pairs, predict, compare
with a loss, step the optimizer::

    for step in range(steps):
        inputs, targets = next_batch()          # e.g. N×3×24×24, N×3×96×96
        loss = loss_fn(model(inputs), targets)  # a pixel loss such as L1
        optimizer.zero_grad(); loss.backward(); optimizer.step()

:class:`RestorationTrainer` has the course's one trainer shape (see
:mod:`imgsynth_edu.training.common`): a :class:`RestorationConfig`, keyword
overrides of its fields, ``fit(steps, resume=path)``. It adds what a real run
needs and nothing else:
progress (``tqdm.auto``), callbacks (:class:`~imgsynth_edu.training.common.Callback`,
a :class:`~imgsynth_edu.training.common.History` is always kept), a
checkpoint every ``checkpoint_every`` steps, and *exact* resume: batches are
drawn as random dataset indices from the trainer's own seeded generator, whose
state goes into the checkpoint with the weights, the optimizer moments and
every other RNG. A run interrupted and resumed ends with the same weights as
one that never stopped.

**Several processes** (``torchrun --nproc_per_node=N``, see
:mod:`imgsynth_edu.training.distributed`): every rank draws the same global
batch of ``batch_size`` indices and trains on its share ``indices[rank::N]``;
the model is wrapped in ``DistributedDataParallel``, which averages the
gradients, so the run equals the single-process one with the same batch size.
Rank 0 alone shows progress and writes checkpoints; the logged losses are
means over ranks.

Nothing here assumes the input is one image: ``input`` can be an ``N×C×h×w``
low-resolution batch (super-resolution) or an ``N×F×C×h×w`` burst (the
multi-frame lesson); the dataset's items are collated with
``torch.utils.data.default_collate`` and handed to ``model`` as they are.

:class:`SRGANTrainer` is the adversarial variant (Ledig et al. 2017, §2.2):
it starts from a trained SRResNet (pass its weights in the generator), and
alternates a discriminator step with a generator step on
``content + 10⁻³ · adversarial`` (:func:`imgsynth_edu.losses.srgan_generator_loss`).

Lesson: ``05_super_resolution.ipynb`` (and ``06_multi_frame_restoration``).
"""

from __future__ import annotations

import copy
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, default_collate
from tqdm.auto import tqdm

from .._checks import check_positive_int, check_positive_number
from ..losses import d_loss_minimax, l1_loss, srgan_generator_loss
from ..utils import get_device
from . import distributed
from .common import (
    Callback,
    History,
    check_same_config,
    configure,
    load_training_state,
    save_training_state,
)

__all__ = ["RestorationConfig", "RestorationTrainer", "SRGANTrainer", "train_restorer"]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class RestorationConfig:
    """Everything that shapes a restoration run (saved in the checkpoint's ``extra``)."""

    steps: int = 1000  #: optimisation steps in total
    batch_size: int = 16  #: pairs per step, drawn uniformly with replacement (the paper: 16)
    lr: float = 2e-4  #: Adam's learning rate (the paper: 1e-4; EDSR: 1e-4 to 2e-4)
    betas: tuple[float, float] = (0.9, 0.999)
    lr_milestones: tuple[int, ...] = ()  #: steps at which the learning rate is halved (default: never)
    seed: int = 0  #: seeds the generator that draws the batches
    checkpoint_every: int = 0  #: write a training checkpoint every N steps (0: only at the end, if a path is set)
    checkpoint_path: str | None = None  #: where :meth:`RestorationTrainer.fit` writes checkpoints
    progress: bool = True  #: show a tqdm.auto progress bar
    workers: int = 0  #: DataLoader worker processes that read and crop the items (0: in the training process)

    def check(self) -> RestorationConfig:
        check_positive_int(self.steps, "steps")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise ValueError(f"workers must be an int >= 0, got {self.workers!r}")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_number(self.lr, "lr")
        if isinstance(self.checkpoint_every, bool) or not isinstance(self.checkpoint_every, int) \
                or self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be an int >= 0, got {self.checkpoint_every!r}")
        if self.checkpoint_every and self.checkpoint_path is None:
            raise ValueError("checkpoint_every needs a checkpoint_path to write to")
        self.lr_milestones = tuple(sorted(int(step) for step in self.lr_milestones))
        if self.checkpoint_path is not None:
            self.checkpoint_path = str(self.checkpoint_path)
        return self


class RestorationTrainer:
    """Supervised ``(input, target)`` training with progress, callbacks, checkpoints, exact resume.

    Args:
        model: the restorer, ``model(inputs) -> prediction`` with the targets' shape.
        dataset: a map-style dataset whose items are ``(input, target)`` tensors
            (e.g. :class:`~imgsynth_edu.data.patches.PairedPatchDataset`).
        config: a :class:`RestorationConfig`; keyword ``overrides`` replace its fields
            (``RestorationTrainer(model, pairs, batch_size=4, lr=1e-3)``).
        loss_fn: ``loss_fn(prediction, target) -> scalar`` (default L1).
        optimizer: a ready optimizer instead of ``Adam(lr, betas)``.
        callbacks: :class:`~imgsynth_edu.training.common.Callback` objects;
            ``on_step_end(trainer, step, logs)`` sees ``logs = {"loss": ...}``.
        device: where to train (default :func:`~imgsynth_edu.get_device`).

    After :meth:`fit`, ``trainer.history.values["loss"]`` holds the loss of
    every step and ``trainer.step`` the number of steps done.
    """

    def __init__(
        self,
        model: nn.Module,
        dataset: Dataset,
        config: RestorationConfig | None = None,
        *,
        loss_fn: LossFn = l1_loss,
        optimizer: torch.optim.Optimizer | None = None,
        callbacks: Iterable[Callback] = (),
        device: str | torch.device | None = None,
        **overrides,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        try:
            dataset_length = len(dataset)
        except TypeError:
            raise TypeError(f"dataset must be a map-style dataset with a length, got {type(dataset).__name__}") from None
        if dataset_length == 0:
            raise ValueError("dataset is empty")
        if not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
        self.config = config = configure(RestorationConfig, config, overrides)
        self.device = torch.device(device) if device is not None else get_device()
        self.model = model.to(self.device)
        self.forward_model = distributed.wrap(self.model)  # DDP when distributed: all-reduces the gradients
        if config.batch_size % distributed.world_size():
            raise ValueError(f"batch_size {config.batch_size} must be a multiple of the number of processes "
                             f"({distributed.world_size()})")
        self.dataset = dataset
        self.loss_fn = loss_fn
        self.optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=config.lr, betas=tuple(config.betas))
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(self.optimizer, list(config.lr_milestones), gamma=0.5)
        self.batch_generator = torch.Generator().manual_seed(int(config.seed))
        self.history = History()
        self.callbacks = [self.history, *callbacks]
        self.step = 0
        self.elapsed_s = 0.0  # training wall time, summed over resumed runs
        self._loader_batches = None  # with workers: the DataLoader's iterator and the indices it drew (_DrawnBatches)

    @property
    def checkpoint_path(self) -> Path | None:
        """Where :meth:`fit` writes checkpoints (``config.checkpoint_path``), or None."""
        return Path(self.config.checkpoint_path) if self.config.checkpoint_path is not None else None

    # -- the pieces a subclass may change ----------------------------------
    def modules(self) -> dict[str, nn.Module]:
        """What a checkpoint saves, by name."""
        return {"model": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.optimizer}

    def draw_indices(self) -> torch.Tensor:
        """This step's dataset indices: the global batch from the seeded generator, this rank's share of it."""
        indices = torch.randint(len(self.dataset), (self.config.batch_size,), generator=self.batch_generator)
        return distributed.shard(indices)  # (batch_size / processes,): every rank drew the same global batch

    def next_batch(self) -> tuple:
        """``batch_size`` random items (this rank's share of them), collated: ``(inputs N×..., targets N×C×H×W)``."""
        if self.config.workers == 0:
            inputs, targets = default_collate([self.dataset[int(i)] for i in self.draw_indices()])
        else:  # worker processes read the items of batches drawn here, a few batches ahead
            if self._loader_batches is None:
                self._loader_batches = _DrawnBatches(self)
            inputs, targets = self._loader_batches.next()
        return inputs.to(self.device), targets.to(self.device)

    def _consumed_generator(self) -> torch.Generator:
        """The batch generator as it was after drawing the last batch trained on (workers draw ahead)."""
        if self._loader_batches is None:
            return self.batch_generator
        generator = torch.Generator()
        generator.set_state(self._loader_batches.state_after_consumed)
        return generator

    def train_step(self, inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        """One optimisation step; returns the numbers to log."""
        prediction = self.forward_model(inputs)  # e.g. N×3×h×w -> N×3×(s·h)×(s·w)
        loss = self.loss_fn(prediction, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # under DDP the gradients are averaged over the processes here
        self.optimizer.step()
        return {"loss": distributed.mean_across_ranks(loss.item())}

    # -- checkpoints -------------------------------------------------------
    def recipe(self) -> dict:
        """The hyper-parameters a resumed run must share with its checkpoint (the config's fields)."""
        return asdict(self.config)

    def save_checkpoint(self, path: str | Path | None = None) -> Path:
        """Write everything needed to resume exactly (atomically; in several processes, rank 0 writes)."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("path is None and the trainer has no checkpoint_path")
        if not distributed.is_main_process():
            return path
        return save_training_state(
            path, self.step, self.modules(), self.optimizers(),
            generators={"batches": self._consumed_generator()},
            extra={"config": self.recipe(),
                   "history": self.history.state_dict(),
                   "scheduler": self.scheduler.state_dict(), "elapsed_s": self.elapsed_s},
        )

    def load_checkpoint(self, path: str | Path | None = None) -> int:
        """Restore a checkpoint written by :meth:`save_checkpoint`; returns its step."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("path is None and the trainer has no checkpoint_path")
        self._loader_batches = None  # batches drawn ahead belong to the run being replaced
        self.step, extra = load_training_state(
            path, self.modules(), self.optimizers(), generators={"batches": self.batch_generator}
        )
        check_same_config(path, extra.get("config"), self.recipe())
        self.history.load_state_dict(extra.get("history", {"steps": [], "values": {}}))
        self.elapsed_s = float(extra.get("elapsed_s", 0.0))
        if "scheduler" in extra:
            self.scheduler.load_state_dict(extra["scheduler"])
        for module in self.modules().values():
            module.to(self.device)
        return self.step

    # -- the loop ----------------------------------------------------------
    def fit(self, steps: int | None = None, *, resume: str | Path | None = None) -> History:
        """Train until ``steps`` steps are done in total (default ``config.steps``); returns the history.

        ``resume`` loads a checkpoint written by this trainer first (weights,
        optimizer moments, the batch generator and every other RNG, the
        history), so a run interrupted and resumed ends with the same weights
        as one that never stopped. Calling ``fit`` again continues from where
        the last call ended. The returned
        :class:`~imgsynth_edu.training.common.History` holds all steps,
        including those before a resume.
        """
        if resume is not None:
            self.load_checkpoint(resume)
        steps = check_positive_int(steps if steps is not None else self.config.steps, "steps")
        for module in self.modules().values():
            module.train()
        for callback in self.callbacks:
            callback.on_train_start(self)
        bar = tqdm(total=steps, initial=min(self.step, steps),
                   disable=not (self.config.progress and distributed.is_main_process()),
                   desc=type(self.model).__name__)
        started = time.perf_counter() - self.elapsed_s
        while self.step < steps:
            inputs, targets = self.next_batch()
            logs = self.train_step(inputs, targets)
            self.scheduler.step()
            self.step += 1
            self.elapsed_s = time.perf_counter() - started
            for callback in self.callbacks:
                callback.on_step_end(self, self.step, logs)
            if self.config.checkpoint_every and self.step % self.config.checkpoint_every == 0:
                self.save_checkpoint()
            bar.update(1)
            if self.step % 10 == 0 or self.step == steps:
                bar.set_postfix({key: f"{value:.4f}" for key, value in logs.items()})
        bar.close()
        if self._loader_batches is not None:  # forget the batches drawn ahead: a next fit() goes on from here
            self.batch_generator.set_state(self._loader_batches.state_after_consumed)
            self._loader_batches = None
        if self.checkpoint_path is not None:
            self.save_checkpoint()
        distributed.barrier()  # no rank goes on (e.g. to read the checkpoint) before rank 0 has written it
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history


class _DrawnBatches:
    """Items read by ``DataLoader`` worker processes, for the indices the trainer draws.

    The indices are drawn here, in the training process, from the trainer's
    seeded generator, so the batches are those of a run without workers. A
    ``DataLoader`` asks for a few batches ahead (to keep its workers busy), so
    after each draw we record the generator's state; a checkpoint stores the
    state after the last batch *trained on* (``state_after_consumed``), and a
    resumed run draws exactly the batches the interrupted one had not used.
    """

    def __init__(self, trainer: RestorationTrainer):
        self.trainer = trainer
        self.states: deque = deque()  # generator states after each batch drawn and not yet trained on
        self.state_after_consumed = trainer.batch_generator.get_state()
        loader = DataLoader(trainer.dataset, batch_sampler=self, num_workers=trainer.config.workers)
        self.iterator = iter(loader)

    def __iter__(self):  # the DataLoader's batch sampler: runs in the training process
        while True:
            indices = self.trainer.draw_indices()
            self.states.append(self.trainer.batch_generator.get_state())
            yield [int(i) for i in indices]

    def next(self):
        batch = next(self.iterator)  # batches come back in the order they were drawn
        self.state_after_consumed = self.states.popleft()
        return batch


class SRGANTrainer(RestorationTrainer):
    """SRGAN (Ledig et al. 2017): SRResNet generator + discriminator, content + 10⁻³ adversarial.

    Each step (the paper's eq. 2 min-max game, non-saturating form):

    1. discriminator: ``L_D = -log D(I_HR) - log(1 - D(G(I_LR)))`` on real
       patches and *detached* fakes;
    2. generator: ``L_G = l_content(G(I_LR), I_HR) + 10⁻³ · (-log D(G(I_LR)))``
       (eq. 3), where ``l_content`` is ``content_loss`` (the paper's VGG54
       perceptual loss; MSE gives "SRGAN-MSE").

    Args:
        generator: an SRResNet, *already trained* with a pixel loss (the paper
            initialises SRGAN from SRResNet-MSE to avoid bad local optima).
        discriminator: e.g. :class:`~imgsynth_edu.models.srresnet.SRGANDiscriminator`.
        content_loss: ``content_loss(sr, hr)``; default L1 (pass a
            :class:`~imgsynth_edu.losses.VGGPerceptualLoss` for the paper's).
        adversarial_weight: 10⁻³ in the paper.
        config: as for :class:`RestorationTrainer`; by default ``RestorationConfig(lr=1e-4)``
            (the paper's learning rate, for both networks).
        average_decay: ``β`` of an exponential moving average of the
            generator's weights, ``θ̄ ← β·θ̄ + (1 - β)·θ`` after every generator
            step (0: none). A GAN's generator keeps oscillating around a good
            solution; the average sits in the middle of the oscillation, with
            fewer of the artefacts of any single step (Yazıcı et al. 2019; used
            by ProGAN, StyleGAN and Real-ESRGAN). :attr:`average` holds it.

    Logs ``g_loss``, ``content``, ``adversarial``, ``d_loss`` every step.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        dataset: Dataset,
        config: RestorationConfig | None = None,
        *,
        content_loss: LossFn = l1_loss,
        adversarial_weight: float = 1e-3,
        average_decay: float = 0.0,
        callbacks: Iterable[Callback] = (),
        device: str | torch.device | None = None,
        **overrides,
    ):
        if "optimizer" in overrides:
            raise ValueError("SRGANTrainer makes its own two Adam optimizers; pass lr instead of optimizer")
        config = config if config is not None else RestorationConfig(lr=1e-4)  # the paper's lr for both networks
        super().__init__(generator, dataset, config, loss_fn=content_loss, callbacks=callbacks, device=device,
                         **overrides)
        if not isinstance(discriminator, nn.Module):
            raise TypeError(f"discriminator must be a torch.nn.Module, got {type(discriminator).__name__}")
        self.discriminator = discriminator.to(self.device)
        self.forward_discriminator = distributed.wrap(self.discriminator)
        if isinstance(content_loss, nn.Module):
            content_loss.to(self.device)
        self.d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=self.config.lr,
                                            betas=tuple(self.config.betas))
        self.adversarial_weight = float(adversarial_weight)
        if isinstance(average_decay, bool) or not isinstance(average_decay, (int, float)) \
                or not 0.0 <= average_decay < 1.0:
            raise ValueError(f"average_decay must be a number in [0, 1), got {average_decay!r}")
        self.average_decay = float(average_decay)
        self.average = None
        if self.average_decay > 0:
            self.average = copy.deepcopy(self.model).eval()  # θ̄ starts at the initial θ
            self.average.requires_grad_(False)

    def recipe(self) -> dict:
        """The config's fields plus what only SRGAN has: the loss weights and the weight average."""
        content = self.loss_fn
        return {**asdict(self.config), "adversarial_weight": self.adversarial_weight,
                "content_loss": getattr(content, "__name__", type(content).__name__),
                "average_decay": self.average_decay}

    def modules(self) -> dict[str, nn.Module]:
        modules = {"model": self.model, "discriminator": self.discriminator}
        if self.average is not None:
            modules["average"] = self.average
        return modules

    @torch.no_grad()
    def update_average(self) -> None:
        """``θ̄ ← β·θ̄ + (1 - β)·θ`` for every weight; buffers are copied."""
        for averaged, current in zip(self.average.parameters(), self.model.parameters()):
            averaged.mul_(self.average_decay).add_(current, alpha=1.0 - self.average_decay)
        for averaged, current in zip(self.average.buffers(), self.model.buffers()):
            averaged.copy_(current)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.optimizer, "discriminator": self.d_optimizer}

    def train_step(self, inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        super_resolved = self.forward_model(inputs)  # N×3×h×w -> N×3×(s·h)×(s·w)
        # 1. Discriminator: real -> 1, fake (detached: no gradient into G) -> 0.
        real_logits = self.forward_discriminator(targets)  # N
        fake_logits = self.forward_discriminator(super_resolved.detach())  # N
        d_loss = d_loss_minimax(real_logits, fake_logits)
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()
        # 2. Generator: fool the *updated* discriminator, stay close in content.
        parts = srgan_generator_loss(
            super_resolved, targets, self.forward_discriminator(super_resolved),
            content_loss=self.loss_fn, adversarial_weight=self.adversarial_weight,
        )
        self.optimizer.zero_grad(set_to_none=True)
        parts["total"].backward()
        self.optimizer.step()
        if self.average is not None:
            self.update_average()
        logs = {"g_loss": parts["total"], "content": parts["content"], "adversarial": parts["adversarial"],
                "d_loss": d_loss}
        return {name: distributed.mean_across_ranks(value.item()) for name, value in logs.items()}


def train_restorer(model: nn.Module, dataset: Dataset, steps: int, **kwargs) -> History:
    """Train ``model`` on ``dataset``'s ``(input, target)`` pairs for ``steps`` steps.

    A one-call shortcut for ``RestorationTrainer(model, dataset, **kwargs).fit(steps, resume=...)``;
    see :class:`RestorationTrainer` for the arguments. Returns the history.

    Lesson: ``05_super_resolution.ipynb``.
    """
    resume = kwargs.pop("resume", None)
    return RestorationTrainer(model, dataset, **kwargs).fit(steps, resume=resume)
