"""Training loops, one trainer shape: a config dataclass, ``Trainer(...).fit(steps, resume=path)``.

* :mod:`.gan` - :class:`GANTrainer` (every GAN of the course) and its :class:`GANConfig`;
* :mod:`.cgan` - the conditional tasks it runs (:class:`ClassConditionalTask`, :class:`InpaintingTask`);
* :mod:`.sr` - :class:`RestorationTrainer` (super-resolution, bursts) and its
  :class:`RestorationConfig`; :class:`SRGANTrainer`;
* :mod:`.classifier` - :func:`train_classifier`, the digit classifier's loop;
* :mod:`.diffusion` - :class:`DiffusionTrainer` (DDPM/DDIM denoisers, EMA) and its :class:`DiffusionConfig`;
* :mod:`.common` - what they share: :func:`configure`, checkpoints with exact resume, callbacks
  and what follows a step (:func:`~.common.after_step`: logging, previews, checkpoints).

Training imports no metrics: how well a model does is measured in :mod:`imgsynth_edu.evaluation`.
"""

from .cgan import ClassConditionalTask, InpaintingTask
from .classifier import train_classifier
from .common import Callback, History, configure, load_training_state, save_training_state
from .diffusion import DiffusionConfig, DiffusionTrainer, train_diffusion
from .gan import GANConfig, GANTask, GANTrainer, PreviewCallback, UnconditionalTask, train_gan
from .sr import RestorationConfig, RestorationTrainer, SRGANTrainer, train_restorer

__all__ = [
    "Callback",
    "ClassConditionalTask",
    "DiffusionConfig",
    "DiffusionTrainer",
    "GANConfig",
    "GANTask",
    "GANTrainer",
    "History",
    "InpaintingTask",
    "PreviewCallback",
    "RestorationConfig",
    "RestorationTrainer",
    "SRGANTrainer",
    "UnconditionalTask",
    "configure",
    "load_training_state",
    "save_training_state",
    "train_classifier",
    "train_diffusion",
    "train_gan",
    "train_restorer",
]
