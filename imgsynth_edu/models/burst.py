"""The learned burst restorer: :class:`BurstSR`, after Bhat et al. 2021 ("Deep Burst Super-Resolution", Fig. 2).

A burst is ``N×F×C×h×w``: ``N`` bursts of ``F`` low-resolution frames, frame
0 the reference (see :mod:`imgsynth_edu.data.bursts` for how they are made and
for the shift convention: ``frame_f(p) ≈ frame_0(p - d_f)``, ``d_f = (dy, dx)``
in low-resolution pixels). The classical methods it builds on and is compared
with (phase correlation, shift-and-add, the robust merge) are in
:mod:`imgsynth_edu.classical`; that module's docstring says what merging can
and cannot recover. The network, shrunk to train on a CPU:

* a shared **frame encoder** turns each frame into features;
* **alignment**: a small flow network predicts, per pixel, where each frame's
  features must be read to land on the reference (started from the
  phase-correlation shift, :func:`~imgsynth_edu.classical.estimate_shifts`),
  and ``grid_sample`` warps them there (:func:`warp_frames`);
* **fusion**: per-pixel softmax weights over the frames (from the aligned
  features, the reference's features and the flow's sub-pixel part) merge
  them into one feature map - so any number of frames works, one included;
* a **decoder** with PixelShuffle stages predicts the residual on top of a skip
  from the upsampled reference (the classical shift-and-add merge of the burst;
  bicubic upsampling when there is one frame).

Lesson: ``06_multi_frame_restoration.ipynb``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_positive_int, check_scale
from ..classical import as_burst, check_shifts, estimate_shifts, shift_and_add
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
    """A small learned burst super-resolver (after Bhat et al. 2021, "Deep Burst Super-Resolution", Fig. 2).

    ``forward(burst, shifts=None)``: ``N×F×C×h×w`` in ``[0, 1]`` (any ``F >= 1``)
    -> ``N×C×(scale·h)×(scale·w)`` (not clamped: the training loss sees raw
    values). ``shifts`` (``N×F×2``) starts the alignment; ``None`` estimates
    them by phase correlation (:func:`~imgsynth_edu.classical.estimate_shifts`) when
    ``use_phase_correlation`` is set, and starts from zero otherwise.

    The pieces, in order (shape comments in :meth:`forward`):

    1. ``encoder``: ``conv3×3 - PReLU - ResidualBlock×enc_blocks``, shared by all frames;
    2. ``flow_net``: from ``[features_f, features_0, initial flow]`` a residual
       flow ``Δ``; ``flow = d_f + Δ`` and :func:`warp_frames` aligns ``features_f``;
    3. ``weight_net``: a logit per frame and pixel from ``[aligned_f, features_0,
       aligned_f - features_0, frac(flow)]``; softmax over the frames gives
       weights ``w_f`` with ``Σ_f w_f = 1`` (Bhat et al. 2021, attention-based fusion), fused = ``Σ_f w_f·aligned_f``;
    4. ``decoder``: ``ResidualBlock×dec_blocks``, ``log2(scale)`` PixelShuffle
       stages, ``conv3×3`` to RGB, plus a skip from the upsampled reference
       (:meth:`upsample_reference`): the reference put on the fine grid together
       with the other frames' samples by :func:`~imgsynth_edu.classical.shift_and_add` (with one frame,
       bicubic upsampling). The decoder learns only the residual: the detail
       and the de-blurring that the classical merge cannot provide.

    The last layers of ``flow_net`` and of the decoder start at zero, so an
    untrained model aligns by the phase-correlation shift alone and outputs
    the classical shift-and-add merge, which training then improves on.

    Args:
        scale: one of :data:`~imgsynth_edu._checks.SUPPORTED_SCALES` (the bundled ``burst-x4``: 4),
            fixed here; :meth:`check_scale` refuses any other.
        channels: colour channels per frame (3).
        features: feature channels ``K`` everywhere (the bundled ``burst-x4``: 24).
        enc_blocks, dec_blocks: residual blocks in the encoder and the decoder.
        use_phase_correlation: start the alignment from :func:`~imgsynth_edu.classical.estimate_shifts`
            when no ``shifts`` are given (otherwise from zero).

    Lesson: ``06_multi_frame_restoration.ipynb`` (the learned restorer, piece by piece).
    """

    def __init__(self, scale: int = 4, channels: int = 3, features: int = 24, enc_blocks: int = 2, dec_blocks: int = 4,
                 use_phase_correlation: bool = True):
        super().__init__()
        check_scale(scale)
        for name, value in {"channels": channels, "features": features, "enc_blocks": enc_blocks,
                            "dec_blocks": dec_blocks}.items():
            check_positive_int(value, name)
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
        features = self.encoder(burst.flatten(0, 1))  # (N·F)×K×h×w
        features = features.view(count, frames, -1, height, width)  # N×F×K×h×w
        reference = features[:, :1].expand_as(features).flatten(0, 1)  # (N·F)×K×h×w
        flat = features.flatten(0, 1)  # (N·F)×K×h×w
        initial = shifts.flatten(0, 1)[:, :, None, None].expand(-1, -1, height, width)  # (N·F)×2×h×w
        pre_aligned = warp_frames(flat, initial)  # (N·F)×K×h×w
        residual_flow = self.flow_net(torch.cat([pre_aligned, reference, initial], dim=1))  # (N·F)×2×h×w
        flow = initial + residual_flow  # (N·F)×2×h×w
        aligned = warp_frames(flat, flow)  # (N·F)×K×h×w
        subpixel = flow - flow.round()  # (N·F)×2×h×w, in [-0.5, 0.5]
        logits = self.weight_net(torch.cat([aligned, reference, aligned - reference, subpixel], dim=1))  # (N·F)×1×h×w
        weights = logits.view(count, frames, 1, height, width).softmax(dim=1)  # N×F×1×h×w, Σ_f = 1
        fused = (weights * aligned.view(count, frames, -1, height, width)).sum(dim=1)  # N×K×h×w
        upsampled_reference = self.upsample_reference(burst, shifts)  # N×C×(s·h)×(s·w), the skip
        restored = upsampled_reference + self.decoder(fused)  # N×C×(s·h)×(s·w)
        if return_details:
            details = {
                "flow": flow.view(count, frames, 2, height, width).detach(),
                "weights": weights[:, :, 0].detach(),
                "upsampled_reference": upsampled_reference.detach(),
            }
            return restored, details
        return restored
