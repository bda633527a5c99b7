"""The GAN training loop: one readable loop for every GAN of the course.

One training *step* is (Goodfellow et al. 2014, Algorithm 1):

1. ``n_critic`` times: draw a real batch, generate a fake batch **detached**
   from the generator, and step the discriminator on
   ``d_loss(D(real), D(fake))`` (the fake is detached so that this step
   changes ``D`` only);
2. once: generate a fresh fake batch (not detached) and step the generator on
   ``g_loss(D(fake))`` plus any extra terms of the task. Only the generator's
   optimizer steps here; ``D``'s gradients from this pass are discarded.

Around it: a choice of loss (``minimax``, ``non-saturating``, ``hinge``,
``least-squares``, ``wgan-gp``), an optional EMA copy of the generator
(Karras et al. 2018, Sec. C.1; Yazıcı et al. 2019), optional mixed precision on
CUDA, a ``tqdm.auto`` progress bar, callbacks, and checkpoints with exact
resume (see :mod:`imgsynth_edu.training.common`). Under ``torchrun`` (several
processes, :mod:`imgsynth_edu.training.distributed`) both networks are wrapped
in ``DistributedDataParallel`` and each rank trains on its share of the same
global batch (real images and noise), so the run equals the single-process
one; rank 0 alone shows progress and writes checkpoints.

The extension point: :class:`GANTask`
-------------------------------------
The loop never looks inside a batch. It asks a *task* object four questions::

    real   = task.real_images(batch)                      # what D must call real
    fake   = task.generate(generator, batch)              # G's output for this batch
    scores = task.discriminate(discriminator, images, batch)  # D's logits, (N,)
    extras = task.extra_generator_losses(fake, batch)     # {name: loss} added to G's loss

plus two for the periodic samples (``fixed_inputs(n, rng)`` and
``preview(generator, fixed)``). :class:`UnconditionalTask` draws noise ``z`` and
ignores labels. A class-conditional GAN overrides ``generate`` (noise + the
batch's labels) and ``discriminate`` (``D(images, labels)``); pix2pix
overrides ``generate`` (the masked image), ``discriminate`` (``D`` sees the
masked input beside the image) and ``extra_generator_losses``
(``{"l1": λ·|fake - real|}``). Subclass, override, pass ``task=`` to
:class:`GANTrainer`: the loop itself is not copied.

A batch is whatever the data yields: a tensor, or a tuple such as
``(images, labels)``; the loop only moves it to the device.

Lessons: ``01_gan_from_scratch.ipynb`` (the loop, the common mistakes),
``02_dcgan.ipynb`` (DCGAN, EMA, failure modes), ``03_conditional_gan.ipynb`` (tasks).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from .._checks import check_choice, check_non_negative, check_positive_int, check_positive_number
from ..losses import ADVERSARIAL_LOSSES, adversarial_losses, gradient_penalty
from ..utils import get_device
from . import distributed
from .common import (
    Callback,
    History,
    after_step,
    check_ema_decay,
    check_same_config,
    configure,
    load_training_state,
    save_training_state,
)

# ----------------------------------------------------------------------------
# The task: how a batch becomes real images, fake images and scores
# ----------------------------------------------------------------------------


class GANTask:
    """The extension point of :class:`GANTrainer` (see the module docstring).

    Override the methods that differ for your GAN. ``batch`` is what the data
    yields, already on the training device.
    """

    def real_images(self, batch) -> torch.Tensor:
        """The real images (in the model's space, e.g. ``[-1, 1]``) that D must call real."""
        raise NotImplementedError

    def generate(self, generator: nn.Module, batch) -> torch.Tensor:
        """The generator's output for this batch (same shape as :meth:`real_images`)."""
        raise NotImplementedError

    def discriminate(self, discriminator: nn.Module, images: torch.Tensor, batch) -> torch.Tensor:
        """Discriminator scores (logits) ``(N,)`` of ``images``; a conditional D also sees the batch."""
        return discriminator(images)

    #: Weight of the adversarial term in the generator's loss (0: the extra losses alone, e.g. L1-only pix2pix).
    adversarial_weight: float = 1.0

    def extra_generator_losses(self, fake: torch.Tensor, batch) -> dict[str, torch.Tensor]:
        """Extra terms added to the generator's loss, by name (logged). None by default."""
        return {}

    def fixed_inputs(self, n: int, rng: torch.Generator):
        """Inputs for the periodic sample grid, drawn once from ``rng`` (kept fixed all run)."""
        raise NotImplementedError

    def preview(self, generator: nn.Module, fixed) -> torch.Tensor:
        """Images in ``[0, 1]`` generated from :meth:`fixed_inputs`, in eval mode, without gradients."""
        raise NotImplementedError


def _images_of(batch) -> torch.Tensor:
    return batch[0] if isinstance(batch, (tuple, list)) else batch


class UnconditionalTask(GANTask):
    """Noise in, images (or 2-D points) out; labels in the batch are ignored.

    Real images arrive in ``[0, 1]`` and are mapped to the generator's
    ``[-1, 1]`` (``x·2 - 1``); 2-D points (``output_kind == "points"``) are used as they are.
    """

    def __init__(self, latent_dim: int, images: bool = True):
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.images = images

    @classmethod
    def for_generator(cls, generator: nn.Module) -> UnconditionalTask:
        """The task for a generator of :mod:`imgsynth_edu.models.gan` (reads ``latent_dim``, ``output_kind``)."""
        if not hasattr(generator, "latent_dim"):
            raise ValueError("generator has no latent_dim attribute: pass task=... to GANTrainer explicitly")
        return cls(generator.latent_dim, images=getattr(generator, "output_kind", "image") == "image")

    def real_images(self, batch) -> torch.Tensor:
        real = _images_of(batch)
        return real * 2 - 1 if self.images else real  # [0, 1] -> [-1, 1], shape unchanged

    def generate(self, generator: nn.Module, batch) -> torch.Tensor:
        real = _images_of(batch)
        # The noise of the global batch, drawn alike on every rank; this rank keeps its share (all of it in one process).
        z = torch.randn(len(real) * distributed.world_size(), self.latent_dim, device=real.device)  # (B, Z)
        z = distributed.shard(z)  # (N, Z), N = B / processes
        return generator(z)  # (N, C, H, W) or (N, D)

    def fixed_inputs(self, n: int, rng: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=rng)  # (n, Z), on the CPU

    @torch.no_grad()
    def preview(self, generator: nn.Module, fixed: torch.Tensor) -> torch.Tensor:
        was_training = generator.training
        generator.eval()
        try:
            out = generator(fixed.to(next(generator.parameters()).device))
        finally:
            generator.train(was_training)
        return (out + 1) / 2 if self.images else out


# ----------------------------------------------------------------------------
# Configuration and data order
# ----------------------------------------------------------------------------


@dataclass
class GANConfig:
    """Everything that shapes a GAN run (saved in the checkpoint's ``extra``)."""

    loss: str = "non-saturating"  #: a key of ``imgsynth_edu.losses.ADVERSARIAL_LOSSES``
    steps: int = 1000  #: generator steps in total
    batch_size: int = 64
    n_critic: int = 1  #: discriminator steps per generator step (5 for WGAN-GP)
    lr_g: float = 2e-4  #: DCGAN paper: Adam, lr 2e-4, beta1 0.5
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    gp_weight: float = 10.0  #: λ of WGAN-GP (used only with loss="wgan-gp")
    ema_decay: float | None = None  #: e.g. 0.999 keeps an EMA copy of G (``trainer.generator_ema``)
    amp: bool = False  #: mixed precision (float16 autocast + grad scaling); CUDA only
    seed: int = 0  #: seeds the data order and the fixed preview noise
    log_every: int = 1  #: record losses every N steps (each record syncs a GPU)
    sample_every: int = 0  #: keep a preview grid every N steps (0: never)
    n_preview: int = 64  #: images in each preview grid
    checkpoint_every: int = 0  #: save a training checkpoint every N steps (0: never)
    checkpoint_path: str | None = None
    progress: bool = True  #: show a tqdm.auto progress bar

    def check(self) -> GANConfig:
        check_choice(self.loss, "loss", set(ADVERSARIAL_LOSSES))
        for name in ("steps", "batch_size", "n_critic", "log_every", "n_preview"):
            check_positive_int(getattr(self, name), name)
        for name in ("sample_every", "checkpoint_every"):
            if getattr(self, name) != 0:
                check_positive_int(getattr(self, name), name)
        for name in ("lr_g", "lr_d"):
            check_positive_number(getattr(self, name), name)
        check_non_negative(self.gp_weight, "gp_weight")
        check_ema_decay(self.ema_decay)
        if self.checkpoint_every and not self.checkpoint_path:
            raise ValueError("checkpoint_every > 0 needs a checkpoint_path")
        return self


class _Batches:
    """Shuffled batches of a dataset, in an order fixed by ``(seed, epoch)``, resumable at any step.

    Epoch ``e`` visits a permutation drawn from ``torch.Generator().manual_seed(seed + e)``,
    in ``len // batch_size`` full batches (the last partial batch is dropped, as
    ``DataLoader(drop_last=True)`` does). Tensors and ``TensorDataset``-like
    datasets are indexed a whole batch at a time (fast); any other dataset item by item.
    """

    def __init__(self, data, batch_size: int, seed: int):
        self.data, self.batch_size, self.seed = data, batch_size, seed
        self.length = len(data)
        if self.length < batch_size:
            raise ValueError(f"data has {self.length} items, fewer than batch_size={batch_size}")
        self.per_epoch = self.length // batch_size
        self.position = 0  # batches drawn so far, over all epochs
        self._epoch, self._order = -1, None

    def next(self):
        epoch, index = divmod(self.position, self.per_epoch)
        if epoch != self._epoch:
            self._epoch = epoch
            self._order = torch.randperm(self.length, generator=torch.Generator().manual_seed(self.seed + epoch))
        self.position += 1
        indices = self._order[index * self.batch_size : (index + 1) * self.batch_size]  # (B,)
        return self._fetch(distributed.shard(indices))  # this rank's share: (B / processes,)

    def _fetch(self, indices: torch.Tensor):
        data = self.data
        if isinstance(data, torch.Tensor):
            return data[indices]
        if hasattr(data, "tensors"):  # torch.utils.data.TensorDataset
            return tuple(t[indices] for t in data.tensors)
        if hasattr(data, "images") and hasattr(data, "labels"):  # imgsynth_edu's in-memory datasets
            return data.images[indices], data.labels[indices]
        return torch.utils.data.default_collate([data[int(i)] for i in indices])


def _to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(item, device) for item in batch)
    if isinstance(batch, dict):
        return {key: _to_device(value, device) for key, value in batch.items()}
    return batch


# ----------------------------------------------------------------------------
# The trainer
# ----------------------------------------------------------------------------


class GANTrainer:
    """Train ``generator`` against ``discriminator`` on ``data`` (see the module docstring).

    Args:
        generator, discriminator: ``nn.Module``s (moved to ``device``).
        data: a ``Dataset`` (e.g. ``get_dataset("mnist-5k")``), a ``TensorDataset`` or a tensor of samples.
        config: a :class:`GANConfig`; keyword ``overrides`` replace its fields
            (``GANTrainer(G, D, data, loss="hinge", steps=500)``).
        task: a :class:`GANTask` (default: :class:`UnconditionalTask` for ``generator``).
        callbacks: :class:`~imgsynth_edu.training.common.Callback` objects;
            ``trainer.history`` (a ``History``) is always recorded.
        device: default ``imgsynth_edu.get_device()``.

    After :meth:`fit`: ``history.values`` holds ``d_loss``, ``g_loss``,
    ``d_real`` and ``d_fake`` (mean ``D(x)`` and ``D(G(z))``: probabilities for
    the sigmoid losses, raw scores for hinge / least-squares / wgan-gp), and
    every extra loss; ``previews`` holds ``(step, images)`` pairs.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, data, config: GANConfig | None = None,
                 *, task: GANTask | None = None, callbacks: Iterable[Callback] = (), device=None, **overrides):
        self.config = config = configure(GANConfig, config, overrides)
        self.device = torch.device(device) if device is not None else get_device()
        if config.amp and self.device.type != "cuda":
            raise ValueError(f"amp=True needs a CUDA device (mixed precision is CUDA-only here), got {self.device}")
        if isinstance(data, torch.Tensor):
            data = data.float()
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        if distributed.is_distributed() and config.loss == "wgan-gp":
            raise ValueError("loss='wgan-gp' cannot run in several processes: its gradient penalty needs a double "
                             "backward pass, which DistributedDataParallel does not support")
        if config.batch_size % distributed.world_size():
            raise ValueError(f"batch_size {config.batch_size} must be a multiple of the number of processes "
                             f"({distributed.world_size()})")
        # What the steps call: DDP wrappers (they all-reduce the gradients) when distributed, else the networks.
        self.forward_generator = distributed.wrap(self.generator)
        self.forward_discriminator = distributed.wrap(self.discriminator)
        self.task = task if task is not None else UnconditionalTask.for_generator(generator)
        self.d_loss_fn, self.g_loss_fn = adversarial_losses(config.loss)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g, betas=tuple(config.betas))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, betas=tuple(config.betas))
        self.generator_ema = None
        if config.ema_decay is not None:
            self.generator_ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self.scaler_g = _grad_scaler(config.amp)
        self.scaler_d = _grad_scaler(config.amp)
        self.batches = _Batches(data, config.batch_size, config.seed)
        self.fixed = self.task.fixed_inputs(config.n_preview, torch.Generator().manual_seed(config.seed))
        self.history = History()
        self.callbacks = [self.history, *callbacks]
        self.previews: list[tuple[int, torch.Tensor]] = []
        self.step = 0
        self.stop_training = False  #: a callback may set it to end fit() after this step

    # -- the step --------------------------------------------------------------

    def _autocast(self):
        if self.config.amp:
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def discriminator_step(self, batch) -> dict[str, torch.Tensor]:
        """One update of D on a real batch and a detached fake batch."""
        task, config = self.task, self.config
        real = task.real_images(batch)
        with self._autocast():
            fake = task.generate(self.forward_generator, batch).detach()  # detached: this step must not reach G
            real_scores = task.discriminate(self.forward_discriminator, real, batch)  # (N,)
            fake_scores = task.discriminate(self.forward_discriminator, fake, batch)  # (N,)
            d_loss = self.d_loss_fn(real_scores.float(), fake_scores.float())
        logs = {"d_loss": d_loss.detach()}
        if config.loss == "wgan-gp":  # penalty in float32, outside autocast
            penalty = gradient_penalty(lambda x: task.discriminate(self.discriminator, x, batch).float(), real, fake.float())
            d_loss = d_loss + config.gp_weight * penalty
            logs["gradient_penalty"] = penalty.detach()
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler_d.scale(d_loss).backward()
        self.scaler_d.step(self.opt_d)
        self.scaler_d.update()
        logs["d_real"] = real_scores.detach()  # (N,) scores; summarised only when logged (see _summarise)
        logs["d_fake"] = fake_scores.detach()
        return logs

    def generator_step(self, batch) -> dict[str, torch.Tensor]:
        """One update of G: a fresh fake batch, scored by D, plus the task's extra losses."""
        with self._autocast():
            fake = self.task.generate(self.forward_generator, batch)  # not detached: gradients flow into G
            fake_scores = self.task.discriminate(self.forward_discriminator, fake, batch)  # (N,)
            g_loss = self.g_loss_fn(fake_scores.float())
            extras = self.task.extra_generator_losses(fake, batch)
            weight = getattr(self.task, "adversarial_weight", 1.0)
            adversarial = g_loss if weight == 1.0 else weight * g_loss
            total = adversarial + sum(extras.values()) if extras else adversarial
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler_g.scale(total).backward()  # also fills D's .grad; opt_d zeroes them before its next step
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        if self.generator_ema is not None:
            self._update_ema()
        return {"g_loss": g_loss.detach(), **{name: value.detach() for name, value in extras.items()}}

    @torch.no_grad()
    def _update_ema(self) -> None:
        """``θ_ema ← β·θ_ema + (1-β)·θ`` for parameters; buffers (batch-norm statistics) are copied."""
        decay = self.config.ema_decay
        for ema_param, param in zip(self.generator_ema.parameters(), self.generator.parameters()):
            ema_param.lerp_(param, 1.0 - decay)
        for ema_buffer, buffer in zip(self.generator_ema.buffers(), self.generator.buffers()):
            ema_buffer.copy_(buffer)

    # -- the loop --------------------------------------------------------------

    def fit(self, steps: int | None = None, *, resume: str | Path | None = None) -> History:
        """Train until the step counter reaches ``steps`` (default ``config.steps``); returns the history.

        ``resume`` loads a checkpoint written by this trainer first (weights,
        optimizers, EMA, data position, every RNG, the history), so a run
        interrupted and resumed ends with the same weights as one that never stopped.
        Calling ``fit`` again continues from where the last call ended.
        """
        if resume is not None:
            self.load_checkpoint(resume)
        target = check_positive_int(steps if steps is not None else self.config.steps, "steps")
        self.generator.train()
        self.discriminator.train()
        self.stop_training = False
        for callback in self.callbacks:
            callback.on_train_start(self)
        bar = tqdm(total=target, initial=min(self.step, target), desc=f"GAN ({self.config.loss})",
                   disable=not (self.config.progress and distributed.is_main_process()), leave=False)
        try:
            while self.step < target and not self.stop_training:
                logs = {}
                for _ in range(self.config.n_critic):
                    batch = _to_device(self.batches.next(), self.device)
                    logs = self.discriminator_step(batch)
                logs.update(self.generator_step(batch))
                self.step += 1
                bar.update(1)
                after_step(self, logs, self._summarise)
        finally:
            bar.close()
        distributed.barrier()  # every rank has finished (and rank 0 written its checkpoints)
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def _summarise(self, name: str, value: torch.Tensor) -> float:
        """A logged number, averaged over the processes (:func:`~imgsynth_edu.training.common.after_step` asks for it).

        Losses as they are; ``d_real``/``d_fake`` as mean ``D(x)`` (a probability for sigmoid losses).
        """
        if name in ("d_real", "d_fake"):
            value = value.float()
            if self.config.loss in ("minimax", "non-saturating"):
                value = value.sigmoid()  # D(x) = sigmoid(score)
        return distributed.mean_across_ranks(float(value.float().mean()))

    def preview(self) -> torch.Tensor:
        """Samples in ``[0, 1]`` from the fixed preview noise (from the EMA generator if there is one), on the CPU."""
        generator = self.generator_ema if self.generator_ema is not None else self.generator
        return self.task.preview(generator, self.fixed).cpu()

    # -- checkpoints -------------------------------------------------------------

    def _modules(self) -> dict[str, nn.Module]:
        modules = {"generator": self.generator, "discriminator": self.discriminator}
        if self.generator_ema is not None:
            modules["generator_ema"] = self.generator_ema
        return modules

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write everything needed for an exact resume, atomically (in several processes, rank 0 writes)."""
        if not distributed.is_main_process():
            return Path(path)
        extra = {
            "config": asdict(self.config),
            "batch_position": self.batches.position,
            "history": self.history.state_dict(),
            "previews": self.previews,
            "scalers": {"g": self.scaler_g.state_dict(), "d": self.scaler_d.state_dict()},
        }
        return save_training_state(path, self.step, self._modules(), {"g": self.opt_g, "d": self.opt_d}, extra=extra)

    def load_checkpoint(self, path: str | Path) -> int:
        """Restore a checkpoint of :meth:`save_checkpoint`; returns its step."""
        step, extra = load_training_state(path, self._modules(), {"g": self.opt_g, "d": self.opt_d})
        check_same_config(path, extra.get("config"), asdict(self.config))
        self.step = step
        self.batches.position = extra["batch_position"]
        self.history.load_state_dict(extra["history"])
        self.previews = list(extra.get("previews", []))
        if self.config.amp:
            self.scaler_g.load_state_dict(extra["scalers"]["g"])
            self.scaler_d.load_state_dict(extra["scalers"]["d"])
        return step


class _NoScaler:
    """Stands in for ``torch.amp.GradScaler`` when AMP is off: the same four calls, doing the plain thing."""

    def scale(self, loss):
        return loss

    def step(self, optimizer):
        optimizer.step()

    def update(self):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def _grad_scaler(enabled: bool):
    if not enabled:
        return _NoScaler()
    return torch.amp.GradScaler("cuda")


class PreviewCallback(Callback):
    """Calls ``fn(step, images)`` with a preview grid every ``every`` steps (for plots and live monitors)."""

    def __init__(self, fn, every: int = 100):
        self.fn = fn
        self.every = check_positive_int(every, "every")

    def on_step_end(self, loop, step: int, logs: dict) -> None:
        if step % self.every == 0:
            self.fn(step, loop.preview())


def train_gan(generator: nn.Module, discriminator: nn.Module, data, **config) -> GANTrainer:
    """Build a :class:`GANTrainer` with ``config`` fields as keywords, run :meth:`GANTrainer.fit`, return the trainer."""
    callbacks = config.pop("callbacks", ())
    task = config.pop("task", None)
    device = config.pop("device", None)
    trainer = GANTrainer(generator, discriminator, data, task=task, callbacks=callbacks, device=device, **config)
    trainer.fit()
    return trainer


__all__ = ["GANConfig", "GANTask", "GANTrainer", "PreviewCallback", "UnconditionalTask", "train_gan"]
