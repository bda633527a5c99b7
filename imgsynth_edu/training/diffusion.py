"""Training a diffusion model: one loop in the project's trainer shape, and the ``ddpm-mnist`` recipe.

One training step (Ho et al. 2020, Algorithm 1; Ho & Salimans 2022, Algorithm 1)::

    x_0, y = next batch                        # images in [0, 1] (-> [-1, 1]) and labels
    y      = ∅ with probability p_uncond       # label dropout: the same net learns p(x)
    t ~ U{1..T},  ε ~ N(0, I)
    x_t    = √ᾱ_t x_0 + √(1-ᾱ_t) ε             # Ho eq. 4
    loss   = ‖ε - ε_θ(x_t, t, y)‖²             # Ho eq. 14
    Adam step (gradient norm clipped at 1, as Ho et al.), then the EMA update

The loss itself lives with the model (:func:`imgsynth_edu.models.diffusion.diffusion_loss`);
this module adds what a run needs: the seeded, resumable data order of the GAN
loop, an exponential moving average (EMA) of the weights - diffusion samples are
drawn from it (Ho et al. use a decay of 0.9999; samples from the raw weights are
visibly noisier) - a linear learning-rate warm-up, ``tqdm.auto`` progress,
callbacks and a :class:`~imgsynth_edu.training.common.History`, and checkpoints
with exact resume (:mod:`imgsynth_edu.training.common`).

The recipe of the bundled ``ddpm-mnist`` is :data:`DDPM_MNIST_ARGUMENTS` (the network)
and :data:`DDPM_MNIST_TRAINING` (the run); ``imgsynth-edu train ddpm`` (:mod:`imgsynth_edu.cli.diffusion`)
trains it, measures it (:func:`imgsynth_edu.evaluation.digit_diffusion_scores`) and writes the card.

Lesson: ``07_diffusion_vs_gan.ipynb``.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .._checks import check_labels, check_non_negative, check_positive_int
from ..models.diffusion import GaussianDiffusion, diffusion_loss
from ..utils import get_device
from .common import (
    Callback,
    History,
    after_step,
    check_ema_decay,
    configure,
    load_training_state,
    save_training_state,
)
from .gan import _Batches, _to_device

# ----------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------


@dataclass
class DiffusionConfig:
    """Everything that shapes a diffusion run (saved in the checkpoint's ``extra``)."""

    steps: int = 5000  #: optimizer steps in total
    batch_size: int = 64
    lr: float = 2e-4  #: Adam learning rate (Ho et al.: 2e-4 on CIFAR-10)
    betas: tuple[float, float] = (0.9, 0.999)
    warmup_steps: int = 0  #: linear learning-rate warm-up from 0 (Ho et al.: 5000)
    grad_clip: float | None = 1.0  #: clip the gradient norm (Ho et al.: 1); None: no clipping
    label_dropout: float = 0.1  #: p_uncond of classifier-free guidance (Ho & Salimans: 0.1-0.2)
    ema_decay: float | None = 0.999  #: EMA of the weights (``trainer.model_ema``, with warm-up); None: no EMA
    seed: int = 0  #: seeds the data order and the preview noise
    log_every: int = 1  #: record the loss every N steps (each record syncs a GPU)
    sample_every: int = 0  #: keep a preview grid every N steps (0: never)
    n_preview: int = 16  #: samples in each preview
    preview_steps: int = 20  #: DDIM steps of the previews
    checkpoint_every: int = 0  #: save a training checkpoint every N steps (0: never)
    checkpoint_path: str | None = None
    progress: bool = True  #: show a tqdm.auto progress bar

    def check(self) -> DiffusionConfig:
        for name in ("steps", "batch_size", "log_every", "n_preview", "preview_steps"):
            check_positive_int(getattr(self, name), name)
        for name in ("sample_every", "checkpoint_every", "warmup_steps"):
            if getattr(self, name) != 0:
                check_positive_int(getattr(self, name), name)
        check_non_negative(self.lr, "lr")
        if self.grad_clip is not None and not check_non_negative(self.grad_clip, "grad_clip") > 0:
            raise ValueError(f"grad_clip must be None or > 0, got {self.grad_clip!r}")
        if not 0.0 <= float(self.label_dropout) <= 1.0:
            raise ValueError(f"label_dropout must be in [0, 1], got {self.label_dropout!r}")
        check_ema_decay(self.ema_decay)
        if self.checkpoint_every and not self.checkpoint_path:
            raise ValueError("checkpoint_every > 0 needs a checkpoint_path")
        return self


# ----------------------------------------------------------------------------
# The trainer
# ----------------------------------------------------------------------------


class DiffusionTrainer:
    """Train a :class:`~imgsynth_edu.models.diffusion.GaussianDiffusion` on ``data`` (see the module docstring).

    Args:
        model: e.g. ``ImageDiffusion(num_classes=10)`` or ``PointDiffusion()`` (moved to ``device``).
        data: a dataset of ``(image, label)`` (e.g. ``get_dataset("mnist-5k")``), a
            ``TensorDataset`` or a tensor of samples (2-D points). Labels are used
            when the model is class-conditional and ignored otherwise.
        config: a :class:`DiffusionConfig`; keyword ``overrides`` replace its fields
            (``DiffusionTrainer(model, data, steps=500, lr=1e-3)``).
        callbacks: :class:`~imgsynth_edu.training.common.Callback` objects;
            ``trainer.history`` (a ``History`` of ``loss`` and ``lr``) is always recorded.
        device: default ``imgsynth_edu.get_device()``.

    After :meth:`fit`, :attr:`sampling_model` (the EMA copy when there is one) is the
    model to sample from; ``previews`` holds ``(step, samples)`` pairs.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """

    def __init__(self, model: GaussianDiffusion, data, config: DiffusionConfig | None = None, *,
                 callbacks: Iterable[Callback] = (), device=None, **overrides):
        if not isinstance(model, GaussianDiffusion):
            raise TypeError(f"model must be a GaussianDiffusion (e.g. ImageDiffusion), got {type(model).__name__}")
        self.config = config = configure(DiffusionConfig, config, overrides)
        self.device = torch.device(device) if device is not None else get_device()
        if isinstance(data, torch.Tensor):
            data = data.float()
        self.model = model.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, betas=tuple(config.betas))
        self.model_ema = None
        if config.ema_decay is not None:
            self.model_ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.batches = _Batches(data, config.batch_size, config.seed)
        self.history = History()
        self.callbacks = [self.history, *callbacks]
        self.previews: list[tuple[int, torch.Tensor]] = []
        self.step = 0
        self.stop_training = False  #: a callback may set it to end fit() after this step
        self._checked = False

    @property
    def sampling_model(self) -> GaussianDiffusion:
        """The model to sample from: the EMA copy if there is one, else the trained weights."""
        return self.model_ema if self.model_ema is not None else self.model

    # -- the step --------------------------------------------------------------

    def _split(self, batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        if isinstance(batch, (tuple, list)):
            data, labels = batch[0], (batch[1] if len(batch) > 1 else None)
        else:
            data, labels = batch, None
        if self.model.num_classes is None:
            labels = None  # an unconditional model ignores the labels a dataset carries
        elif labels is None:
            raise ValueError("a class-conditional model needs batches of (images, labels): pass a labelled dataset")
        return data, labels

    def learning_rate(self, step: int) -> float:
        """The learning rate of (1-based) ``step``: linear warm-up over ``warmup_steps``, then constant."""
        if self.config.warmup_steps and step <= self.config.warmup_steps:
            return self.config.lr * step / self.config.warmup_steps
        return self.config.lr

    def train_step(self, batch) -> dict[str, torch.Tensor]:
        """One Adam step on the simple loss (Ho eq. 14) of one batch, then the EMA update."""
        data, labels = self._split(batch)
        if not self._checked:  # the first batch is checked (range, shape, labels); later ones come from the same data
            self.model.check_data(data, "data")
            if labels is not None:
                check_labels(labels, len(data), self.model.num_classes, "batch labels")
            self._checked = True
        lr = self.learning_rate(self.step + 1)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        # the model's loss without its per-batch checks: on a GPU each check would wait for the device
        loss = diffusion_loss(self.model.denoiser, self.model.schedule, self.model.to_model_space(data), labels,
                              label_dropout=self.config.label_dropout, null_label=self.model.null_label)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        if self.model_ema is not None:
            self._update_ema()
        return {"loss": loss.detach(), "lr": torch.tensor(lr)}

    def ema_decay(self, step: int) -> float:
        """The EMA decay at (1-based) ``step``: ``min(β, (1 + step) / (10 + step))``.

        The EMA starts as a copy of the *initial* weights; with a constant
        ``β = 0.999`` they would still weigh ``0.999^1000 ≈ 37 %`` after 1,000
        steps, and a blend with an untrained denoiser samples garbage. The
        warm-up (as TensorFlow's ``ExponentialMovingAverage(num_updates=...)``)
        averages over roughly the last ``step / 10`` steps until ``β`` takes over.
        """
        return min(self.config.ema_decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def _update_ema(self) -> None:
        """``θ_ema ← β_t·θ_ema + (1-β_t)·θ`` for every parameter (the denoisers have no buffers to copy).

        ``torch._foreach_lerp_`` is ``ema.lerp_(param, 1 - β_t)`` for every tensor at once:
        one call instead of one per tensor, which matters on a GPU.
        """
        decay = self.ema_decay(self.step + 1)
        torch._foreach_lerp_(list(self.model_ema.parameters()), list(self.model.parameters()), 1.0 - decay)

    # -- the loop --------------------------------------------------------------

    def fit(self, steps: int | None = None, *, resume: str | Path | None = None) -> History:
        """Train until the step counter reaches ``steps`` (default ``config.steps``); returns the history.

        Each step draws a batch and runs :meth:`train_step`; the callbacks, previews and
        checkpoints follow the config (:func:`~imgsynth_edu.training.common.after_step`).
        Calling ``fit`` again continues from where the last call ended. ``resume`` first
        loads a checkpoint written by this trainer (weights, optimizer, EMA, data position,
        every RNG, the history): the resumed run ends with the weights of an uninterrupted one.
        """
        if resume is not None:
            self.load_checkpoint(resume)
        target = check_positive_int(steps if steps is not None else self.config.steps, "steps")
        self.model.train()
        self.stop_training = False
        for callback in self.callbacks:
            callback.on_train_start(self)
        bar = tqdm(total=target, initial=min(self.step, target), desc="diffusion",
                   disable=not self.config.progress, leave=False)
        try:
            while self.step < target and not self.stop_training:
                logs = self.train_step(_to_device(self.batches.next(), self.device))
                self.step += 1
                bar.update(1)
                after_step(self, logs)
        finally:
            bar.close()
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def preview(self) -> torch.Tensor:
        """``n_preview`` DDIM samples of :attr:`sampling_model` from fixed noise (seeded by ``config.seed``), on the CPU.

        A class-conditional model draws the classes ``0, 1, 2, ...`` in turn. The
        preview draws from its own generator, so it changes no training randomness.
        """
        model = self.sampling_model
        n = self.config.n_preview
        labels = None if model.num_classes is None else torch.arange(n) % model.num_classes
        return model.sample(n, labels, generator=torch.Generator().manual_seed(self.config.seed),
                            sampler="ddim", steps=min(self.config.preview_steps, model.schedule.T)).cpu()

    # -- checkpoints -------------------------------------------------------------

    def _modules(self) -> dict[str, torch.nn.Module]:
        modules = {"model": self.model}
        if self.model_ema is not None:
            modules["model_ema"] = self.model_ema
        return modules

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write everything needed for an exact resume, atomically."""
        extra = {
            "config": asdict(self.config),
            "batch_position": self.batches.position,
            "history": self.history.state_dict(),
            "previews": self.previews,
        }
        return save_training_state(path, self.step, self._modules(), {"adam": self.optimizer}, extra=extra)

    def load_checkpoint(self, path: str | Path) -> int:
        """Restore a checkpoint of :meth:`save_checkpoint`; returns its step."""
        step, extra = load_training_state(path, self._modules(), {"adam": self.optimizer})
        self.step = step
        self.batches.position = extra["batch_position"]
        self.history.load_state_dict(extra["history"])
        self.previews = list(extra.get("previews", []))
        return step


def train_diffusion(model: GaussianDiffusion, data, **config) -> DiffusionTrainer:
    """Build a :class:`DiffusionTrainer` with ``config`` fields as keywords, run :meth:`~DiffusionTrainer.fit`, return it."""
    callbacks = config.pop("callbacks", ())
    device = config.pop("device", None)
    trainer = DiffusionTrainer(model, data, callbacks=callbacks, device=device, **config)
    trainer.fit()
    return trainer


# ----------------------------------------------------------------------------
# The bundled ddpm-mnist: its recipe and its scores
# ----------------------------------------------------------------------------

#: The architecture and sampler of the bundled ``ddpm-mnist`` (the card's ``arguments``; ``imgsynth-edu train ddpm``).
DDPM_MNIST_ARGUMENTS = {
    "image_size": 28,
    "channels": 1,
    "base_channels": 16,
    "channel_mults": [1, 2, 4],
    "blocks_per_level": 1,
    "attention": True,
    "num_classes": 10,
    "dropout": 0.0,
    "schedule": "cosine",
    "timesteps": 1000,
    "sampler": "ddim",
    "sample_steps": 50,
    "eta": 1.0,
    "guidance_scale": 1.0,
    "variance": "beta_tilde",
}

#: How ``ddpm-mnist`` is trained (fields of :class:`DiffusionConfig`; ``steps`` is the command's).
DDPM_MNIST_TRAINING = {
    "batch_size": 64,
    "lr": 5e-4,
    "warmup_steps": 200,
    "grad_clip": 1.0,
    "label_dropout": 0.1,
    "ema_decay": 0.999,
}


@contextlib.contextmanager
def deterministic_algorithms(enabled: bool = True):
    """Inside the block, torch uses deterministic kernels (bit-exact reruns on the same GPU and software).

    ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` is what cuBLAS needs to be deterministic;
    it only takes effect if set before CUDA starts (``tools/train_ddpm.py`` sets it
    first thing). ``warn_only=True`` warns instead of failing if some operation
    has no deterministic version. The previous settings are restored afterwards.
    """
    previous = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
                torch.backends.cudnn.benchmark)
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        torch.backends.cudnn.benchmark = previous[2]


__all__ = [
    "DDPM_MNIST_ARGUMENTS",
    "DDPM_MNIST_TRAINING",
    "DiffusionConfig",
    "DiffusionTrainer",
    "deterministic_algorithms",
    "train_diffusion",
]
