"""Losses: adversarial (GAN), pixel and perceptual (restoration).

Each loss is a short function whose docstring carries its formula and the
paper it comes from, so a lesson can put formula and code side by side.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# ============================================================================
# Adversarial losses (GAN lessons 01-03)
# ============================================================================


# ============================================================================
# Pixel and perceptual losses (restoration lessons 05-06)
# ============================================================================
