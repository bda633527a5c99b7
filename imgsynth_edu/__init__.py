"""imgsynth-edu: reference implementations for a course on image synthesis and restoration.

Modules (one idea each; data flows top to bottom, and so do imports: see ARCHITECTURE.md):

* ``imgsynth_edu.data``       datasets by name, image sets, degradations, bursts, downloads
* ``imgsynth_edu.models``     networks: GANs, conditional GANs, SRResNet/SRGAN, burst restorer
* ``imgsynth_edu.losses``     adversarial, pixel and perceptual losses
* ``imgsynth_edu.classical``  restoration without learning: registration, merging, biharmonic filling
* ``imgsynth_edu.pretrained`` small bundled checkpoints with their cards; ``load_file``, the one loader
* ``imgsynth_edu.training``   the training loops, one shape, with callbacks and exact resume
* ``imgsynth_edu.metrics``    PSNR, SSIM, MS-SSIM, FID, KID, precision/recall
* ``imgsynth_edu.evaluation`` the protocols behind every reported number
* ``imgsynth_edu.viz``        grids, comparisons, zoom insets, curves, PNG bytes
* ``imgsynth_edu.widgets``    the interactive explorers of the notebooks
* ``imgsynth_edu.cli``        the ``imgsynth-edu`` command line

Conventions: images are ``float32`` tensors ``N×C×H×W`` in ``[0, 1]`` at
every public boundary.
"""

__version__ = "0.1.0"

from .claims import ClaimError, claim
from .utils import get_device, is_quick_mode, mode_banner, quick_or_full, run_mode, seed_everything

__all__ = [
    "ClaimError",
    "__version__",
    "claim",
    "get_device",
    "is_quick_mode",
    "mode_banner",
    "quick_or_full",
    "run_mode",
    "seed_everything",
]
