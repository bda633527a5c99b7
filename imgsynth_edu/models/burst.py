"""The learned burst restorer: :class:`BurstSR`, after Bhat et al. 2021 ("Deep Burst Super-Resolution", Fig. 2).

A burst is ``N×F×C×h×w``: ``N`` bursts of ``F`` low-resolution frames, frame
0 the reference (see :mod:`imgsynth_edu.data.bursts` for how they are made and
for the shift convention: ``frame_f(p) ≈ frame_0(p - d_f)``, ``d_f = (dy, dx)``
in low-resolution pixels). The classical methods it builds on and is compared
with (phase correlation, shift-and-add, the robust merge) are in
:mod:`imgsynth_edu.classical`; that module's docstring says what merging can
and cannot recover. The network, shrunk to train on a CPU:

* a shared **frame encoder** turns each frame into features;
* **alignment**: a small flow network predicts, per pixel, the displacement
  of every frame's sample from the reference (started from the
  phase-correlation shift, :func:`~imgsynth_edu.classical.estimate_shifts`):
  where on the fine grid that sample belongs;
* **fusion**: per-sample softmax weights over the frames (from the frame's
  features, the reference's features read where the sample landed, and the
  displacement's sub-pixel part), then the *shift-and-add of the features*:
  every frame's feature vectors are splatted onto the fine grid where their
  samples landed, weighted, and normalised (the classical merge of lesson 06,
  on learned features with learned weights) - so any number of frames works,
  one included, and the sub-pixel position of every sample is kept;
* a **decoder** folds each ``scale×scale`` block of the fine grid into the
  channels of its low-resolution pixel (space-to-depth), and with residual
  blocks and PixelShuffle stages predicts the residual on top of a skip from
  the upsampled reference (the classical shift-and-add merge of the burst;
  bicubic upsampling when there is one frame).

Why splat instead of warping features onto the reference grid (as Bhat et
al. do, with a far larger encoder): reading a frame's features at a
sub-pixel position interpolates between its samples, and interpolation is a
low-pass filter: it blurs away the aliased detail that made the frame worth
having. Splatting moves no sample; it only says where each one belongs.

Lesson: ``06_multi_frame_restoration.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_positive_int, check_positive_number, check_scale
from ..classical import (
    as_burst,
    check_shifts,
    estimate_shifts,
    sample_positions,
    shift_and_add,
    splat_samples,
)
from .srresnet import ResidualBlock, UpsampleStage, upsample_factors

__all__ = ["BurstSR", "warp_frames"]


def warp_frames(features: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Read ``features`` (``B×C×h×w``) at ``p + flow(p)`` (bilinear; ``flow`` ``B×2×h×w``, (dy, dx)).

    With the course's shift convention a frame moved by ``d`` is brought back
    onto the reference by reading it at ``p + d``: ``frame(p + d) = reference(p)``.
    """
    batch, _, height, width = features.shape
    rows = torch.arange(height, dtype=features.dtype, device=features.device)
    cols = torch.arange(width, dtype=features.dtype, device=features.device)
    src_y = rows[None, :, None] + flow[:, 0]  # B×h×w
    src_x = cols[None, None, :] + flow[:, 1]  # B×h×w
    grid = torch.stack([(2 * src_x + 1) / width - 1, (2 * src_y + 1) / height - 1], dim=-1)  # B×h×w×2
    return F.grid_sample(features, grid, mode="bilinear", padding_mode="border", align_corners=False)


class BurstSR(nn.Module):
    """A small learned burst super-resolver: learned alignment and weights, then shift-and-add of features.

    After Bhat et al. 2021 ("Deep Burst Super-Resolution", Fig. 2: encoder,
    alignment, attention-based fusion, decoder), with the fusion done as a
    learned shift-and-add on the fine grid (normalised convolution, Knutsson &
    Westin 1993; for bursts, Farsiu et al. 2004 and Wronski et al. 2019, who
    splat every sample with a kernel).

    ``forward(burst, shifts=None)``: ``N×F×C×h×w`` in ``[0, 1]`` (any ``F >= 1``)
    -> ``N×C×(scale·h)×(scale·w)`` (not clamped: the training loss sees raw
    values). ``shifts`` (``N×F×2``) starts the alignment; ``None`` estimates
    them by phase correlation (:func:`~imgsynth_edu.classical.estimate_shifts`) when
    ``use_phase_correlation`` is set, and starts from zero otherwise.

    The pieces, in order (shape comments in :meth:`forward`):

    1. ``encoder``: ``conv3×3 - PReLU - ResidualBlock×enc_blocks``, shared by
       all frames: features ``φ_f(p)`` on each frame's own grid;
    2. ``flow_net``: from ``[φ_f, φ_0 read at p - d_f, d_f]`` a residual
       displacement ``Δ``; ``d_f(p) = d_f + Δ_f(p)`` says which scene point
       sample ``p`` of frame ``f`` saw (:func:`~imgsynth_edu.classical.sample_positions`: where it
       lands on the fine grid);
    3. ``weight_net``: a logit per sample from ``[φ_f, φ_0 read at p - d_f(p),
       their difference, frac(d_f(p))]``; softmax over the frames gives
       weights ``w_f(p)`` with ``Σ_f w_f = 1`` (attention-based fusion);
    4. **the shift-and-add of features** (:func:`~imgsynth_edu.classical.splat_samples`):

       .. math::
           \\hat\\phi(\\mathbf q) = \\frac{\\sum_{f,\\mathbf p} w_f(\\mathbf p)\\, k(\\mathbf q - \\mathbf q_{f\\mathbf p})\\, \\phi_f(\\mathbf p)}
                                    {\\sum_{f,\\mathbf p} w_f(\\mathbf p)\\, k(\\mathbf q - \\mathbf q_{f\\mathbf p}) + \\epsilon}

       with ``k`` a Gaussian of ``splat_sigma`` fine pixels; the denominator
       (how much evidence landed at ``q``) goes along as one more channel;
    5. ``decoder``: space-to-depth (``PixelUnshuffle(scale)``: each
       ``scale×scale`` block of the fine grid becomes ``scale²·(K+1)``
       channels of its low-resolution pixel), a ``conv1×1`` to ``K``,
       ``ResidualBlock×dec_blocks``, ``log2(scale)`` PixelShuffle stages,
       ``conv3×3`` to RGB, plus a skip from the upsampled reference
       (:meth:`upsample_reference`: the classical shift-and-add merge of the
       burst; with one frame, bicubic upsampling). The decoder learns only the
       residual: the detail and the de-blurring that the classical merge
       cannot provide.

    The last layers of ``flow_net`` and of the decoder start at zero, so an
    untrained model aligns by the phase-correlation shift alone and outputs
    the classical shift-and-add merge, which training then improves on.

    Args:
        scale: one of :data:`~imgsynth_edu._checks.SUPPORTED_SCALES` (the bundled ``burst-x4``: 4),
            fixed here; :meth:`check_scale` refuses any other.
        channels: colour channels per frame (3).
        features: feature channels ``K`` everywhere (see the bundled ``burst-x4``'s card).
        enc_blocks, dec_blocks: residual blocks in the encoder and the decoder.
        splat_sigma: width (fine pixels) of the Gaussian that splats each sample's features.
        use_phase_correlation: start the alignment from :func:`~imgsynth_edu.classical.estimate_shifts`
            when no ``shifts`` are given (otherwise from zero).

    Lesson: ``06_multi_frame_restoration.ipynb`` (the learned restorer, piece by piece).
    """

    evidence_epsilon = 1e-3  #: ``ε`` of the normalised convolution: where no sample landed, the features are ~0

    def __init__(self, scale: int = 4, channels: int = 3, features: int = 32, enc_blocks: int = 2, dec_blocks: int = 4,
                 splat_sigma: float = 0.5, use_phase_correlation: bool = True):
        super().__init__()
        check_scale(scale)
        for name, value in {"channels": channels, "features": features, "enc_blocks": enc_blocks,
                            "dec_blocks": dec_blocks}.items():
            check_positive_int(value, name)
        self.splat_sigma = check_positive_number(splat_sigma, "splat_sigma")
        self.scale, self.channels, self.use_phase_correlation = scale, channels, bool(use_phase_correlation)
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, features, 3, padding=1),
            nn.PReLU(features),
            *[ResidualBlock(features, batch_norm=False) for _ in range(enc_blocks)],
        )
        self.flow_net = nn.Sequential(
            nn.Conv2d(2 * features + 2, features, 3, padding=1),
            nn.LeakyReLU(0.1),
            nn.Conv2d(features, features, 3, padding=2, dilation=2),
            nn.LeakyReLU(0.1),
            nn.Conv2d(features, 2, 3, padding=1),
        )
        self.weight_net = nn.Sequential(
            nn.Conv2d(3 * features + 2, features, 3, padding=1),
            nn.LeakyReLU(0.1),
            nn.Conv2d(features, 1, 3, padding=1),
        )
        self.decoder = nn.Sequential(
            nn.PixelUnshuffle(scale),  # N×(K+1)×(s·h)×(s·w) -> N×(s²·(K+1))×h×w
            nn.Conv2d(scale**2 * (features + 1), features, 1),
            *[ResidualBlock(features, batch_norm=False) for _ in range(dec_blocks)],
            *[UpsampleStage(features, factor) for factor in upsample_factors(scale)],
            nn.Conv2d(features, channels, 3, padding=1),
        )
        for last in (self.flow_net[-1], self.decoder[-1]):
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def check_scale(self, scale: int) -> None:
        """Raise a ``ValueError`` unless ``scale`` is the one this model was built (and trained) for."""
        if scale != self.scale:
            raise ValueError(
                f"scale={scale!r} does not match this burst model, which was built and trained for scale={self.scale}"
            )

    def upsample_reference(self, burst: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
        """The skip: the reference on the fine grid, with the other frames' samples put in by shift-and-add.

        One frame: bicubic upsampling of the reference. Several: :func:`~imgsynth_edu.classical.shift_and_add`
        with the global shifts (no learned parameters, no gradient), so the
        decoder only has to add what the classical merge cannot recover.
        """
        if burst.shape[1] == 1:
            return F.interpolate(burst[:, 0], scale_factor=self.scale, mode="bicubic", align_corners=False)
        with torch.no_grad():
            return shift_and_add(burst, shifts.detach(), self.scale)  # N×C×(s·h)×(s·w)

    def merge_on_fine_grid(self, features: torch.Tensor, displacement: torch.Tensor, weights: torch.Tensor):
        """The shift-and-add of features: ``(fused N×K×(s·h)×(s·w), evidence N×1×(s·h)×(s·w))``.

        ``features`` ``N×F×K×h×w`` (each frame on its own grid), ``displacement``
        ``N×F×2×h×w``, ``weights`` ``N×F×h×w``. Every sample's feature vector is
        splatted where it landed (:func:`~imgsynth_edu.classical.sample_positions`) with weight
        ``w·k``; ``fused = Σ w·k·φ / (Σ w·k + ε)`` and ``evidence = Σ w·k``.
        With the colours as features and equal weights this is the classical
        :func:`~imgsynth_edu.classical.shift_and_add` (``sigma = splat_sigma``).
        """
        height, width = features.shape[-2:]
        pos_y, pos_x = sample_positions(displacement, self.scale)  # N×F×h×w each
        numerator, evidence = splat_samples(
            features, pos_y, pos_x, weights, (self.scale * height, self.scale * width), self.splat_sigma
        )  # N×K×(s·h)×(s·w), N×1×(s·h)×(s·w)
        return numerator / (evidence + self.evidence_epsilon), evidence

    def forward(self, burst, shifts: torch.Tensor | None = None, return_details: bool = False):
        """Restore ``N`` bursts; with ``return_details=True`` also ``{"flow", "weights"}`` for pictures."""
        burst = as_burst(burst)
        count, frames, channels, height, width = burst.shape
        if channels != self.channels:
            raise ValueError(f"burst must have {self.channels} channels per frame, got {channels}")
        if shifts is None:
            if self.use_phase_correlation and frames > 1:
                with torch.no_grad():
                    shifts = estimate_shifts(burst)  # N×F×2
            else:
                shifts = burst.new_zeros(count, frames, 2)
        else:
            shifts = check_shifts(shifts, burst)
        features = self.encoder(burst.flatten(0, 1))  # (N·F)×K×h×w, each frame on its own grid
        reference = features.view(count, frames, -1, height, width)[:, :1]  # N×1×K×h×w
        reference = reference.expand(-1, frames, -1, -1, -1).flatten(0, 1)  # (N·F)×K×h×w
        initial = shifts.flatten(0, 1)[:, :, None, None].expand(-1, -1, height, width)  # (N·F)×2×h×w
        reference_seen = warp_frames(reference, -initial)  # (N·F)×K×h×w: φ_0 at p - d_f
        residual = self.flow_net(torch.cat([features, reference_seen, initial], dim=1))  # (N·F)×2×h×w
        displacement = initial + residual  # (N·F)×2×h×w: sample p of frame f saw the scene at p - d_f(p)
        reference_seen = warp_frames(reference, -displacement)  # (N·F)×K×h×w
        subpixel = displacement - displacement.round()  # (N·F)×2×h×w, in [-0.5, 0.5]
        logits = self.weight_net(
            torch.cat([features, reference_seen, features - reference_seen, subpixel], dim=1)
        )  # (N·F)×1×h×w
        weights = logits.view(count, frames, height, width).softmax(dim=1)  # N×F×h×w, Σ_f = 1
        displacement = displacement.view(count, frames, 2, height, width)  # N×F×2×h×w
        fused, evidence = self.merge_on_fine_grid(
            features.view(count, frames, -1, height, width), displacement, weights
        )  # N×K×(s·h)×(s·w), N×1×(s·h)×(s·w)
        upsampled_reference = self.upsample_reference(burst, shifts)  # N×C×(s·h)×(s·w), the skip
        restored = upsampled_reference + self.decoder(torch.cat([fused, evidence], dim=1))  # N×C×(s·h)×(s·w)
        if return_details:
            details = {
                "flow": displacement.detach(),
                "weights": weights.detach(),
                "upsampled_reference": upsampled_reference.detach(),
            }
            return restored, details
        return restored
