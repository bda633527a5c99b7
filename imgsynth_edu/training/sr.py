"""Training loops for restoration: any model that maps an input to a target image.

The loop is the one of every supervised restorer (SRCNN, SRResNet, EDSR, a
burst network): draw a batch of ``(input, target)`` pairs, predict, compare
with a loss, step the optimizer::

    for step in range(steps):
        inputs, targets = next_batch()          # e.g. N×3×24×24, N×3×96×96
        loss = loss_fn(model(inputs), targets)  # a pixel loss such as L1
        optimizer.zero_grad(); loss.backward(); optimizer.step()

:class:`RestorationTrainer` adds what a real run needs and nothing else:
progress (``tqdm.auto``), callbacks (:class:`~imgsynth_edu.training.common.Callback`,
a :class:`~imgsynth_edu.training.common.History` is always kept), a
checkpoint every ``checkpoint_every`` steps, and *exact* resume: batches are
drawn as random dataset indices from the trainer's own seeded generator, whose
state goes into the checkpoint with the weights, the optimizer moments and
every other RNG. A run interrupted and resumed ends with the same weights as
one that never stopped.

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
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset, default_collate
from tqdm.auto import tqdm

from .._checks import check_positive_int
from ..losses import d_loss_minimax, l1_loss, srgan_generator_loss
from ..utils import get_device
from .common import Callback, History, load_training_state, save_training_state

__all__ = ["RestorationTrainer", "SRGANTrainer", "evaluate_sr", "train_restorer"]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class RestorationTrainer:
    """Supervised ``(input, target)`` training with progress, callbacks, checkpoints, exact resume.

    Args:
        model: the restorer, ``model(inputs) -> prediction`` with the targets' shape.
        dataset: a map-style dataset whose items are ``(input, target)`` tensors
            (e.g. :class:`~imgsynth_edu.data.patches.PairedPatchDataset`).
        batch_size: pairs per step, drawn uniformly with replacement.
        loss_fn: ``loss_fn(prediction, target) -> scalar`` (default L1).
        lr: Adam's learning rate (the paper: 1e-4; EDSR: 1e-4 to 2e-4).
        optimizer: a ready optimizer instead of ``Adam(lr, betas=(0.9, 0.999))``.
        lr_milestones: steps at which the learning rate is halved (default: never).
        device: where to train (default :func:`~imgsynth_edu.get_device`).
        seed: seeds the generator that draws the batches.
        checkpoint_path: where :meth:`fit` writes full training checkpoints.
        checkpoint_every: write one every this many steps (0: only at the end).
        callbacks: :class:`~imgsynth_edu.training.common.Callback` objects;
            ``on_step_end(trainer, step, logs)`` sees ``logs = {"loss": ...}``.
        progress: show a ``tqdm`` progress bar.

    After :meth:`fit`, ``trainer.history.values["loss"]`` holds the loss of
    every step and ``trainer.step`` the number of steps done.
    """

    def __init__(
        self,
        model: nn.Module,
        dataset: Dataset,
        *,
        batch_size: int = 16,
        loss_fn: LossFn = l1_loss,
        lr: float = 2e-4,
        optimizer: torch.optim.Optimizer | None = None,
        lr_milestones: Iterable[int] = (),
        device: str | torch.device | None = None,
        seed: int = 0,
        checkpoint_path: str | Path | None = None,
        checkpoint_every: int = 0,
        callbacks: Iterable[Callback] = (),
        progress: bool = True,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        try:
            dataset_length = len(dataset)
        except TypeError:
            raise TypeError(f"dataset must be a map-style dataset with a length, got {type(dataset).__name__}") from None
        if dataset_length == 0:
            raise ValueError("dataset is empty")
        check_positive_int(batch_size, "batch_size")
        if not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int) or checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be an int >= 0, got {checkpoint_every!r}")
        if checkpoint_every and checkpoint_path is None:
            raise ValueError("checkpoint_every needs a checkpoint_path to write to")
        self.device = torch.device(device) if device is not None else get_device()
        self.model = model.to(self.device)
        self.dataset = dataset
        self.batch_size = batch_size
        self.loss_fn = loss_fn
        self.optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999))
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(self.optimizer, sorted(lr_milestones), gamma=0.5)
        self.batch_generator = torch.Generator().manual_seed(int(seed))
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None
        self.checkpoint_every = checkpoint_every
        self.history = History()
        self.callbacks = [self.history, *callbacks]
        self.progress = progress
        self.step = 0
        self.elapsed_s = 0.0  # training wall time, summed over resumed runs

    # -- the pieces a subclass may change ----------------------------------
    def modules(self) -> dict[str, nn.Module]:
        """What a checkpoint saves, by name."""
        return {"model": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.optimizer}

    def next_batch(self) -> tuple:
        """``batch_size`` random items, collated: ``(inputs N×..., targets N×C×H×W)`` on the device."""
        indices = torch.randint(len(self.dataset), (self.batch_size,), generator=self.batch_generator)
        inputs, targets = default_collate([self.dataset[int(i)] for i in indices])
        return inputs.to(self.device), targets.to(self.device)

    def train_step(self, inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        """One optimisation step; returns the numbers to log."""
        prediction = self.model(inputs)  # e.g. N×3×h×w -> N×3×(s·h)×(s·w)
        loss = self.loss_fn(prediction, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item()}

    # -- checkpoints -------------------------------------------------------
    def save_checkpoint(self, path: str | Path | None = None) -> Path:
        """Write everything needed to resume exactly (atomically)."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("path is None and the trainer has no checkpoint_path")
        return save_training_state(
            path, self.step, self.modules(), self.optimizers(),
            generators={"batches": self.batch_generator},
            extra={"history": {"steps": self.history.steps, "values": self.history.values},
                   "scheduler": self.scheduler.state_dict(), "elapsed_s": self.elapsed_s},
        )

    def load_checkpoint(self, path: str | Path | None = None) -> int:
        """Restore a checkpoint written by :meth:`save_checkpoint`; returns its step."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("path is None and the trainer has no checkpoint_path")
        self.step, extra = load_training_state(
            path, self.modules(), self.optimizers(), generators={"batches": self.batch_generator}
        )
        self.history.steps = list(extra.get("history", {}).get("steps", []))
        self.history.values = {k: list(v) for k, v in extra.get("history", {}).get("values", {}).items()}
        self.elapsed_s = float(extra.get("elapsed_s", 0.0))
        if "scheduler" in extra:
            self.scheduler.load_state_dict(extra["scheduler"])
        for module in self.modules().values():
            module.to(self.device)
        return self.step

    # -- the loop ----------------------------------------------------------
    def fit(self, steps: int, *, resume: bool = False) -> History:
        """Train until ``steps`` steps are done in total (resuming from the checkpoint if asked).

        Returns the :class:`~imgsynth_edu.training.common.History` of all steps,
        including those before a resume.
        """
        check_positive_int(steps, "steps")
        if resume:
            if self.checkpoint_path is None:
                raise ValueError("resume=True needs a checkpoint_path")
            if self.checkpoint_path.is_file():
                self.load_checkpoint()
        for module in self.modules().values():
            module.train()
        for callback in self.callbacks:
            callback.on_train_start(self)
        bar = tqdm(total=steps, initial=self.step, disable=not self.progress, desc=type(self.model).__name__)
        started = time.perf_counter() - self.elapsed_s
        while self.step < steps:
            inputs, targets = self.next_batch()
            logs = self.train_step(inputs, targets)
            self.scheduler.step()
            self.step += 1
            self.elapsed_s = time.perf_counter() - started
            for callback in self.callbacks:
                callback.on_step_end(self, self.step, logs)
            if self.checkpoint_every and self.step % self.checkpoint_every == 0:
                self.save_checkpoint()
            bar.update(1)
            if self.step % 10 == 0 or self.step == steps:
                bar.set_postfix({key: f"{value:.4f}" for key, value in logs.items()})
        bar.close()
        if self.checkpoint_path is not None:
            self.save_checkpoint()
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history


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
        lr: for both networks (the paper: 1e-4).
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
        *,
        content_loss: LossFn = l1_loss,
        adversarial_weight: float = 1e-3,
        lr: float = 1e-4,
        average_decay: float = 0.0,
        **kwargs,
    ):
        if "optimizer" in kwargs:
            raise ValueError("SRGANTrainer makes its own two Adam optimizers; pass lr instead of optimizer")
        super().__init__(generator, dataset, loss_fn=content_loss, lr=lr, **kwargs)
        if not isinstance(discriminator, nn.Module):
            raise TypeError(f"discriminator must be a torch.nn.Module, got {type(discriminator).__name__}")
        self.discriminator = discriminator.to(self.device)
        if isinstance(content_loss, nn.Module):
            content_loss.to(self.device)
        self.d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.9, 0.999))
        self.adversarial_weight = float(adversarial_weight)
        if isinstance(average_decay, bool) or not isinstance(average_decay, (int, float)) \
                or not 0.0 <= average_decay < 1.0:
            raise ValueError(f"average_decay must be a number in [0, 1), got {average_decay!r}")
        self.average_decay = float(average_decay)
        self.average = None
        if self.average_decay > 0:
            self.average = copy.deepcopy(self.model).eval()  # θ̄ starts at the initial θ
            self.average.requires_grad_(False)

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
        super_resolved = self.model(inputs)  # N×3×h×w -> N×3×(s·h)×(s·w)
        # 1. Discriminator: real -> 1, fake (detached: no gradient into G) -> 0.
        real_logits = self.discriminator(targets)  # N
        fake_logits = self.discriminator(super_resolved.detach())  # N
        d_loss = d_loss_minimax(real_logits, fake_logits)
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()
        # 2. Generator: fool the *updated* discriminator, stay close in content.
        parts = srgan_generator_loss(
            super_resolved, targets, self.discriminator(super_resolved),
            content_loss=self.loss_fn, adversarial_weight=self.adversarial_weight,
        )
        self.optimizer.zero_grad(set_to_none=True)
        parts["total"].backward()
        self.optimizer.step()
        if self.average is not None:
            self.update_average()
        return {"g_loss": parts["total"].item(), "content": parts["content"].item(),
                "adversarial": parts["adversarial"].item(), "d_loss": d_loss.item()}


def train_restorer(model: nn.Module, dataset: Dataset, steps: int, **kwargs) -> History:
    """Train ``model`` on ``dataset``'s ``(input, target)`` pairs for ``steps`` steps.

    A one-call shortcut for ``RestorationTrainer(model, dataset, **kwargs).fit(steps)``;
    see :class:`RestorationTrainer` for the arguments. Returns the history.
    """
    resume = kwargs.pop("resume", False)
    return RestorationTrainer(model, dataset, **kwargs).fit(steps, resume=resume)


# ----------------------------------------------------------------------------
# The evaluation protocol of SR papers
# ----------------------------------------------------------------------------
def _quantize_8bit(images: torch.Tensor) -> torch.Tensor:
    return (images.clamp(0, 1) * 255).round() / 255


def evaluate_sr(
    model: nn.Module | None,
    images: Mapping[str, torch.Tensor],
    scale: int,
    *,
    tile: int | None = 256,
    quantize: bool = True,
    device: str | torch.device | None = None,
    niqe: bool = False,
    baseline: bool = True,
) -> dict:
    """Score an upscaler (and the bicubic baseline) as SR papers do (SRCNN, Ledig et al. 2017, SwinIR).

    For each high-resolution image ``x`` (``C×H×W`` in ``[0, 1]``):

    1. crop it so both sides are multiples of ``scale`` (:func:`~imgsynth_edu.data.crop_to_multiple`);
    2. make the input ``y = bicubic_downscale(x, scale)`` (MATLAB-like bicubic),
       rounded to 8 bits as a saved image is (``quantize=True``);
    3. restore: the baseline ``bicubic_upscale(y)`` and ``model(y)`` (tiled,
       clamped to ``[0, 1]``, rounded to 8 bits);
    4. measure PSNR and SSIM on the BT.601 luma **Y** with a border of
       ``scale`` pixels cropped, and RGB PSNR with the same crop
       (:func:`~imgsynth_edu.metrics.sr_metrics`);
    5. with ``niqe=True``, also the no-reference NIQE of each restored image
       (:func:`~imgsynth_edu.metrics.niqe`, same border crop; lower looks more
       natural), the perception axis of the perception-distortion plane (the
       PIRM 2018 challenge scored perception with it).

    Greyscale images are repeated to 3 channels for an RGB model. ``model=None``
    scores only bicubic; ``baseline=False`` skips bicubic (for a caller that
    scores many models on the same images). Returns ``{"scale", "bicubic": {...},
    "model": {...}, "images": [{"name", "height", "width", "bicubic": {...},
    "model": {...}}]}`` with the means of ``psnr_y``, ``ssim_y``, ``psnr_rgb``
    (and ``niqe``) over the images.

    Lesson: ``05_super_resolution.ipynb`` (the evaluation protocol).
    """
    from ..data.degradations import bicubic_downscale, bicubic_upscale, crop_to_multiple
    from ..metrics import sr_metrics
    from ..models.srresnet import upscale_tiled

    if niqe:
        from ..metrics import niqe as niqe_score

    check_positive_int(scale, "scale")
    if not isinstance(images, Mapping) or not images:
        raise ValueError("images must be a non-empty dict {name: C×H×W tensor}")
    if model is None and not baseline:
        raise ValueError("nothing to score: model is None and baseline=False")
    if model is not None:
        model.eval()
        if device is not None:
            model.to(device)
    keep = _quantize_8bit if quantize else (lambda t: t)
    rows, methods = [], (["bicubic"] if baseline else []) + (["model"] if model is not None else [])
    for name, image in images.items():
        if not isinstance(image, torch.Tensor) or image.ndim != 3:
            raise ValueError(f"images[{name!r}] must be a C×H×W tensor, got {getattr(image, 'shape', type(image))}")
        high_res = crop_to_multiple(image.float(), scale)[None]  # 1×C×H×W, H and W multiples of scale
        if high_res.shape[1] == 1:
            high_res = high_res.expand(-1, 3, -1, -1)  # greyscale -> RGB
        low_res = keep(bicubic_downscale(high_res, scale))  # -> 1×C×(H/s)×(W/s)
        outputs = {"bicubic": keep(bicubic_upscale(low_res, scale))} if baseline else {}  # -> 1×C×H×W
        if model is not None:
            run = upscale_tiled(model, low_res, scale, tile=tile or max(low_res.shape[-2:]))
            outputs["model"] = keep(run.cpu())  # 1×C×H×W
        row = {"name": name, "height": high_res.shape[-2], "width": high_res.shape[-1]}
        for method, output in outputs.items():
            row[method] = {key: float(value) for key, value in sr_metrics(output, high_res, scale).items()}
            if niqe:
                row[method]["niqe"] = float(niqe_score(output, crop_border=scale)[0])
        rows.append(row)
    result = {"scale": scale}
    keys = ("psnr_y", "ssim_y", "psnr_rgb") + (("niqe",) if niqe else ())
    for method in methods:
        result[method] = {key: sum(row[method][key] for row in rows) / len(rows) for key in keys}
    result["images"] = rows
    return result


def perception_distortion_curve(
    psnr_model: nn.Module,
    gan_model: nn.Module,
    images: Mapping[str, torch.Tensor],
    scale: int,
    alphas=(0.0, 0.25, 0.5, 0.75, 1.0),
    *,
    device: str | torch.device | None = None,
) -> list[dict]:
    """Measure network interpolation between a PSNR-trained and a GAN-trained network, point by point.

    For each ``α``, the network ``θ(α) = (1 - α)·θ_psnr + α·θ_gan`` (ESRGAN,
    Wang et al. 2018, Sec. 3.4; :func:`~imgsynth_edu.models.srresnet.interpolate_networks`)
    is scored on ``images`` by :func:`evaluate_sr` with NIQE: one point of the
    perception-distortion plane (Blau & Michaeli 2018) per ``α``. Returns
    ``[{"alpha", "psnr_y", "ssim_y", "psnr_rgb", "niqe"}, ...]`` in the order of ``alphas``.

    Lesson: ``05_super_resolution.ipynb`` (the network-interpolation widget).
    """
    from ..models.srresnet import interpolate_networks

    alphas = [float(alpha) for alpha in alphas]
    if not alphas:
        raise ValueError("alphas must hold at least one value in [0, 1]")
    curve = []
    for alpha in alphas:
        blended = interpolate_networks(psnr_model, gan_model, alpha)  # checks alpha and the two networks
        scores = evaluate_sr(blended, images, scale, device=device, niqe=True, baseline=False)["model"]
        curve.append({"alpha": alpha, **scores})
    return curve
