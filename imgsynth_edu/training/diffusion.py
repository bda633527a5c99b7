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

:func:`train_ddpm_mnist` is the recipe of the bundled ``ddpm-mnist``: it trains,
measures (:func:`digit_diffusion_scores`) and writes ``ddpm-mnist.pt`` + its card.
``tools/train_ddpm.py`` is a thin command line over it.

Lesson: ``07_diffusion_vs_gan.ipynb``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import platform
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .._checks import check_non_negative, check_positive_int
from ..models.cgan import check_labels
from ..models.diffusion import GaussianDiffusion, diffusion_loss
from .common import Callback, History, load_training_state, save_training_state
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
        if self.ema_decay is not None and not 0.0 < float(self.ema_decay) < 1.0:
            raise ValueError(f"ema_decay must be None or in (0, 1), got {self.ema_decay!r}")
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
        from ..utils import get_device

        if not isinstance(model, GaussianDiffusion):
            raise TypeError(f"model must be a GaussianDiffusion (e.g. ImageDiffusion), got {type(model).__name__}")
        config = copy.deepcopy(config) if config is not None else DiffusionConfig()
        for key, value in overrides.items():
            if not hasattr(config, key):
                raise TypeError(f"unknown DiffusionConfig field {key!r}; fields: {sorted(asdict(config))}")
            setattr(config, key, value)
        self.config = config.check()
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

        ``resume`` first loads a checkpoint written by this trainer (weights,
        optimizer, EMA, data position, every RNG, the history), so a run
        interrupted and resumed ends with the same weights as one that never stopped.
        Calling ``fit`` again continues from where the last call ended.
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
                self._after_step(logs)
        finally:
            bar.close()
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def _after_step(self, logs: dict[str, torch.Tensor]) -> None:
        config, step = self.config, self.step
        if step % config.log_every == 0 or step == 1:
            numbers = {name: float(value) for name, value in logs.items()}  # syncs a GPU
            for callback in self.callbacks:
                callback.on_step_end(self, step, numbers)
        if config.sample_every and step % config.sample_every == 0:
            self.previews.append((step, self.preview()))
        if config.checkpoint_every and step % config.checkpoint_every == 0:
            self.save_checkpoint(config.checkpoint_path)

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
            "history": {"steps": self.history.steps, "values": self.history.values},
            "previews": self.previews,
        }
        return save_training_state(path, self.step, self._modules(), {"adam": self.optimizer}, extra=extra)

    def load_checkpoint(self, path: str | Path) -> int:
        """Restore a checkpoint of :meth:`save_checkpoint`; returns its step."""
        step, extra = load_training_state(path, self._modules(), {"adam": self.optimizer})
        self.step = step
        self.batches.position = extra["batch_position"]
        self.history.steps = list(extra["history"]["steps"])
        self.history.values = {k: list(v) for k, v in extra["history"]["values"].items()}
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

#: The architecture and sampler of the bundled ``ddpm-mnist`` (the card's ``arguments``).
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


class _ClassBalanced:
    """A class-conditional model posing as an unconditional generator: ``n`` guided samples, classes 0..K-1 in turn."""

    def __init__(self, model: GaussianDiffusion):
        self.model = model

    def sample(self, n: int, labels=None, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.model.sample(n, torch.arange(n) % self.model.num_classes, generator=generator)


def _samples_per_second(model: GaussianDiffusion, n: int, labels, steps: int) -> float:
    """Throughput of DDIM sampling (``n`` samples in one batch), wall clock, after one warm-up call."""
    on_gpu = next(model.parameters()).is_cuda
    model.sample(min(n, 8), None if labels is None else labels[:8], sampler="ddim", steps=2)  # warm-up
    if on_gpu:
        torch.cuda.synchronize()
    start = time.perf_counter()
    model.sample(n, labels, generator=torch.Generator().manual_seed(0), sampler="ddim", steps=steps)
    if on_gpu:
        torch.cuda.synchronize()
    return n / (time.perf_counter() - start)


def digit_diffusion_scores(model: GaussianDiffusion, n: int = 1000, seed: int = 0, *, bits: bool = True,
                           bits_timesteps: int | None = None, bits_images: int | None = None,
                           speed_samples: int = 100) -> dict:
    """Score a class-conditional digit diffusion model with the protocol of ``dcgan-mnist`` / ``cgan-mnist``.

    * ``unconditional`` and ``guided``: :func:`imgsynth_edu.evaluate_gan.digit_gan_scores`
      (FID, KID, precision/recall with the bundled classifier's 128-d features; digit
      shares) of ``n`` samples (seed ``seed``) against the 1,000 held-out ``mnist-5k``
      digits. Unconditional: the null label (``labels=None``); guided: classes
      ``0..9`` in turn, with the model's ``guidance_scale``.
    * ``conditional``: :func:`imgsynth_edu.metrics.conditional.evaluate_class_conditional`
      (``n // 10`` per class): conditional accuracy by the bundled classifier, FID/KID per class.
    * ``bits_per_dim`` (unless ``bits=False``): the variational bound
      (:meth:`~GaussianDiffusion.bits_per_dim`, unconditional) on the held-out digits
      (``bits_images`` of them, default all), exact over all ``T`` terms
      (``bits_timesteps=None``) or estimated from that many sampled ``t``.
    * ``samples_per_second``: DDIM at the model's ``sample_steps``, unconditional and guided, on its device.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    from ..data import get_dataset
    from ..evaluate_gan import digit_gan_scores
    from ..metrics.conditional import evaluate_class_conditional

    check_positive_int(n, "n")
    model.eval()
    test = get_dataset("mnist-5k", "test")
    scores = {"protocol": f"{n} samples (seed {seed}) vs the {len(test)} held-out mnist-5k digits, "
                          "features of the bundled digit-classifier (imgsynth_edu.evaluate_gan.digit_gan_scores)",
              "sampler": f"{model.sampler}, {model.sample_steps} steps, eta {model.eta}",
              "guidance_scale": model.guidance_scale}
    scores["unconditional"] = digit_gan_scores(model, n=n, seed=seed)
    scores["guided"] = digit_gan_scores(_ClassBalanced(model), n=n, seed=seed)
    scores["conditional"] = evaluate_class_conditional(model, test.images, test.labels,
                                                       n_per_class=max(1, n // model.num_classes), seed=seed)
    if bits:
        scores["bits_per_dim"] = _bits_per_dim(model, test.images, seed, bits_timesteps, bits_images)
    device = next(model.parameters()).device
    scores["samples_per_second"] = {
        "unconditional": round(_samples_per_second(model, speed_samples, None, model.sample_steps), 2),
        "guided": round(_samples_per_second(model, speed_samples, torch.arange(speed_samples) % model.num_classes,
                                            model.sample_steps), 2),
        "setting": f"DDIM {model.sample_steps} steps, batch {speed_samples}, {_hardware(device)}",
    }
    return scores


def _bits_per_dim(model, images, seed, timesteps, limit) -> dict:
    images = images if limit is None else images[:limit]
    start = time.perf_counter()
    bound = model.bits_per_dim(images, timesteps=timesteps, generator=torch.Generator().manual_seed(seed))
    bits = bound["bits_per_dim"]
    return {
        "mean": round(float(bits.mean()), 4),
        "standard_error": round(float(bits.std() / len(bits) ** 0.5), 4),
        "prior_L_T": round(float(bound["prior"].mean()), 6),
        "diffusion_sum_L_t": round(float(bound["diffusion"].mean()), 4),
        "decoder_L_0": round(float(bound["decoder"].mean()), 4),
        "images": f"{len(images)} held-out mnist-5k digits, unconditional (null label)",
        "terms": "exact sum over all T terms" if timesteps is None
                 else f"unbiased estimate from {timesteps} uniformly sampled t per image",
        "seconds": round(time.perf_counter() - start, 1),
        "device": _hardware(next(model.parameters()).device),
    }


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    return (f"CPU {platform.machine()} ({platform.processor() or 'unknown'}), "
            f"{torch.get_num_threads()} torch thread(s), {os.cpu_count()} cores")


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


def train_ddpm_mnist(out_dir: str | Path, *, steps: int = 20_000, device=None, seed: int = 0, name: str = "ddpm-mnist",
                     evaluate: bool = True, n_eval: int = 1000, bits_timesteps: int | None = None,
                     bits_images: int | None = None, speed_samples: int = 100, deterministic: bool = True,
                     checkpoint_every: int = 0, resume: str | Path | None = None, progress: bool = True,
                     command: str | None = None, **training) -> dict:
    """Train the bundled ``ddpm-mnist`` on the ``mnist-5k`` train split; write ``NAME.pt`` and its card ``NAME.json``.

    The model is :data:`DDPM_MNIST_ARGUMENTS` (class-conditional, null label for
    guidance), trained with :data:`DDPM_MNIST_TRAINING` (``training`` keywords
    override its fields). The EMA weights are saved (a state dict). With
    ``evaluate``, :func:`digit_diffusion_scores` is measured on the saved model and
    written into the card with the wall times and hardware (``n_eval``, ``bits_timesteps``,
    ``bits_images`` and ``speed_samples`` are passed on to it). Returns the card.

    Lesson: ``07_diffusion_vs_gan.ipynb``.
    """
    with deterministic_algorithms(deterministic):
        return _train_ddpm_mnist(out_dir, steps=steps, device=device, seed=seed, name=name, evaluate=evaluate,
                                 n_eval=n_eval, bits_timesteps=bits_timesteps, bits_images=bits_images,
                                 speed_samples=speed_samples, deterministic=deterministic,
                                 checkpoint_every=checkpoint_every, resume=resume, progress=progress,
                                 command=command, training=training)


def _train_ddpm_mnist(out_dir, *, steps, device, seed, name, evaluate, n_eval, bits_timesteps, bits_images,
                      speed_samples, deterministic, checkpoint_every, resume, progress, command, training) -> dict:
    from .. import seed_everything
    from ..data import get_dataset
    from ..models.diffusion import ImageDiffusion
    from ..utils import atomic_write, save_state_dict

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(seed)
    data = get_dataset("mnist-5k", "train")
    model = ImageDiffusion(**DDPM_MNIST_ARGUMENTS)
    config = {**DDPM_MNIST_TRAINING, **training}
    trainer = DiffusionTrainer(model, data, steps=steps, seed=seed, log_every=50, progress=progress, device=device,
                               checkpoint_every=checkpoint_every,
                               checkpoint_path=str(out_dir / f"{name}.ckpt") if checkpoint_every else None, **config)
    start = time.time()
    trainer.fit(resume=resume)
    wall = time.time() - start
    final = trainer.sampling_model.eval()
    weights = out_dir / f"{name}.pt"
    save_state_dict({k: v.detach().cpu() for k, v in final.state_dict().items()}, weights)
    losses = trainer.history.values.get("loss", [])
    a = DDPM_MNIST_ARGUMENTS
    card = {
        "name": name,
        "description": f"class-conditional DDPM (U-Net ε-predictor, {a['schedule']} schedule, T = {a['timesteps']}) "
                       f"trained on mnist-5k with label dropout {config['label_dropout']}; samples with DDIM "
                       f"({a['sample_steps']} steps, η = {a['eta']}) and classifier-free guidance "
                       f"ε̃ = (1+w) ε(x, y) - w ε(x, ∅), w = {a['guidance_scale']}; labels=None samples the "
                       "unconditional model (the null label). EMA weights.",
        "architecture": "imgsynth_edu.models.diffusion.ImageDiffusion",
        "arguments": dict(DDPM_MNIST_ARGUMENTS),
        "parameters": sum(p.numel() for p in final.parameters()),
        "data": f"mnist-5k train split ({len(data)} images); scores on the test split (1000 images)",
        "training": {**{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(trainer.config).items()
                        if k in ("batch_size", "lr", "betas", "warmup_steps", "grad_clip", "label_dropout", "ema_decay", "seed")},
                     "optimizer": "Adam", "loss": "L_simple (Ho et al. 2020, eq. 14)"},
        "command": command or f"python tools/train_ddpm.py --steps {steps} --seed {seed} --out {out_dir}",
        "steps": trainer.step,
        "wall_time_s": round(wall, 1),
        "hardware": _hardware(trainer.device),
        "torch": torch.__version__,
        "deterministic": deterministic,
        "final_loss": round(sum(losses[-20:]) / max(len(losses[-20:]), 1), 5),
        "scores": {},
    }
    if evaluate:
        start = time.time()
        card["scores"] = digit_diffusion_scores(final, n=n_eval, seed=seed, bits_timesteps=bits_timesteps,
                                                bits_images=bits_images, speed_samples=speed_samples)
        card["evaluation_wall_time_s"] = round(time.time() - start, 1)
    with atomic_write(out_dir / f"{name}.json", "w") as handle:
        json.dump(card, handle, indent=2, ensure_ascii=False)
    return card


def rescore_digit_diffusion(weights: str | Path, *, device=None, n_eval: int = 1000, seed: int = 0,
                            speed_samples: int = 100, command: str | None = None) -> dict:
    """Re-measure a digit diffusion checkpoint's scores on ``device`` and write them into its card.

    ``weights`` is a ``NAME.pt`` written by :func:`train_ddpm_mnist`, with ``NAME.json``
    beside it. Why: a GPU's floating point differs from a CPU's in the last bits,
    and 50 sampling steps amplify that into slightly different samples, so scores
    measured on the training GPU cannot be re-measured exactly by a CPU test.
    After this, ``card["scores"]`` holds the numbers measured here (default: the
    CPU); the training device's scores move to ``card["scores_training_device"]``
    (kept from the first rescoring), and the training run's bits/dim (exact over
    all ``T`` terms: seconds on a GPU, hours on one CPU thread) is kept as it was.
    Returns the card.
    """
    from .. import pretrained
    from ..utils import atomic_write

    weights = Path(weights)
    card_path = weights.with_suffix(".json")
    if not card_path.is_file():
        raise FileNotFoundError(f"weights need their card beside them: {card_path} does not exist")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    model = pretrained.build(card).load_weights(str(weights)).to(device or "cpu").eval()
    previous = card.get("scores", {})
    scores = digit_diffusion_scores(model, n=n_eval, seed=seed, bits=False, speed_samples=speed_samples)
    if "bits_per_dim" in previous:
        scores["bits_per_dim"] = previous["bits_per_dim"]
    card.setdefault("scores_training_device", previous)
    card["scores"] = scores
    card["scores_command"] = command or f"python tools/train_ddpm.py --rescore {weights}"
    with atomic_write(card_path, "w") as handle:
        json.dump(card, handle, indent=2, ensure_ascii=False)
    return card


__all__ = [
    "DDPM_MNIST_ARGUMENTS",
    "DDPM_MNIST_TRAINING",
    "DiffusionConfig",
    "DiffusionTrainer",
    "digit_diffusion_scores",
    "rescore_digit_diffusion",
    "deterministic_algorithms",
    "train_ddpm_mnist",
    "train_diffusion",
]
