"""Training loops: GAN (``training.gan``), diffusion (``training.diffusion``), super-resolution (``training.sr``), shared pieces (``training.common``)."""

from .cgan import ClassConditionalTask, InpaintingTask
from .common import Callback, History, load_training_state, save_training_state
from .diffusion import DiffusionConfig, DiffusionTrainer, train_diffusion
from .gan import GANConfig, GANTask, GANTrainer, PreviewCallback, UnconditionalTask, train_gan
from .sr import RestorationTrainer, SRGANTrainer, train_restorer

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
    "RestorationTrainer",
    "SRGANTrainer",
    "UnconditionalTask",
    "load_training_state",
    "save_training_state",
    "train_diffusion",
    "train_gan",
    "train_restorer",
]
