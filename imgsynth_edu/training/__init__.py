"""Training loops: GAN (``training.gan``), super-resolution (``training.sr``), shared pieces (``training.common``)."""

from .common import Callback, History, load_training_state, save_training_state

__all__ = ["Callback", "History", "load_training_state", "save_training_state"]
