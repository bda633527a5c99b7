"""Networks: every class here is a ``torch.nn.Module`` (plus the few functions that only make sense with one).

* :mod:`.gan` - :class:`MLPGenerator` / :class:`MLPDiscriminator` (lesson 01),
  :class:`DCGANGenerator` / :class:`DCGANDiscriminator` (lesson 02), latent interpolation;
* :mod:`.cgan` - :class:`ConditionalDCGANGenerator`, :class:`ConcatDiscriminator`,
  :class:`ProjectionDiscriminator`, and pix2pix: :class:`UNetGenerator`,
  :class:`InpaintingGenerator`, :class:`PatchDiscriminator` (lesson 03);
* :mod:`.classifier` - :class:`DigitClassifier`, the judge and feature network for digits (lesson 04);
* :mod:`.srresnet` - :class:`SRResNet`, :class:`SRGANDiscriminator`, :func:`upscale_tiled`, :func:`upscale_strips` (lesson 05);
* :mod:`.burst` - :class:`BurstSR`, the learned burst restorer (lesson 06);
* :mod:`.diffusion` - DDPM/DDIM: noise schedules, :class:`MLPDenoiser` / :class:`UNetDenoiser`,
  the simple loss, samplers, classifier-free guidance, the bound in bits/dim (lesson 07).

Training loops are in :mod:`imgsynth_edu.training`, non-learned restoration in
:mod:`imgsynth_edu.classical`, model files in :mod:`imgsynth_edu.pretrained`.
"""

from .burst import BurstSR
from .cgan import (
    ConcatDiscriminator,
    ConditionalDCGANGenerator,
    InpaintingGenerator,
    PatchDiscriminator,
    ProjectionDiscriminator,
    UNetGenerator,
)
from .classifier import DigitClassifier
from .gan import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, lerp, slerp
from .srresnet import SRGANDiscriminator, SRResNet, upscale_strips, upscale_tiled

__all__ = [
    "BurstSR",
    "ConcatDiscriminator",
    "ConditionalDCGANGenerator",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DigitClassifier",
    "InpaintingGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "PatchDiscriminator",
    "ProjectionDiscriminator",
    "SRGANDiscriminator",
    "SRResNet",
    "UNetGenerator",
    "lerp",
    "slerp",
    "upscale_strips",
    "upscale_tiled",
]
