"""Interactive explorers for the lessons (the only package that imports ipywidgets).

Each lesson's explorer, importable from here::

    from imgsynth_edu.widgets import DegradationExplorer, working_copy

=======================  ==================================  ==========
explorer                 what it shows                       lesson
=======================  ==================================  ==========
DegradationExplorer      one degradation, its PSNR           00
TrainingMonitor          a GAN's losses and samples, live    01, 02
LatentExplorer           walks through a generator's z       02
ClassPicker              a conditional generator by label    03
InpaintingPainter        holes filled by GAN and baseline    03
QualityPlayground        PSNR / SSIM / MS-SSIM, live         04
SRComparison             a before/after wipe with zoom       05
BurstExplorer            register and merge a burst          06
DenoisingScrubber        a diffusion sample, noise to digit  07
LatentDirectionExplorer  slides along GANSpace directions    08
AttributionExplorer      which pixels an output depends on   08
=======================  ==================================  ==========

Every explorer uses core widgets whose API is the same in ipywidgets 7.x
(Colab) and 8.x, and can draw its static figure without a front end. Helpers
two explorers share live in :mod:`.common` (never in one lesson's module).
"""

from .burst import BurstExplorer
from .cgan import ClassPicker, InpaintingPainter
from .common import working_copy
from .diffusion import DenoisingScrubber
from .gan import LatentExplorer, TrainingMonitor
from .interpret import AttributionExplorer, LatentDirectionExplorer
from .metrics import QualityPlayground
from .sr import SRComparison
from .tour import DegradationExplorer

__all__ = [
    "AttributionExplorer",
    "BurstExplorer",
    "ClassPicker",
    "DegradationExplorer",
    "DenoisingScrubber",
    "InpaintingPainter",
    "LatentDirectionExplorer",
    "LatentExplorer",
    "QualityPlayground",
    "SRComparison",
    "TrainingMonitor",
    "working_copy",
]
