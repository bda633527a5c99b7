"""What every lesson widget must do in a real browser: one row per widget.

Each :class:`WidgetSpec` names a notebook, the widget class, a substring that
is unique to the code cell that displays it, and the steps a student takes:
change a control (found by its ``description`` label, a button by its text)
and say what must change on screen:

* ``"image"``: the bytes behind an ``<img>`` of the widget differ;
* ``"every image"``: the bytes behind *each* ``<img>`` of the widget differ
  (a picture and a plot that must both follow the control);
* ``"caption"``: the widget's text outside its controls differs;
* ``caption``: optionally, a regular expression the caption must then match,
  or a function returning text the caption must contain exactly (computed with
  the library in the test process, so a metric caption is checked against the
  value it must show).

Adding a lesson adds rows here. ``tests/test_notebook_hygiene.py`` fails when a
notebook displays a widget that has no row, or a row names a cell that does
not exist, so a widget cannot escape the browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """Change one control; ``changes`` must then differ on screen."""

    control: str
    value: object = None  # slider number, dropdown/toggle option label, text; None: click/tick
    changes: tuple[str, ...] = ("image", "caption")
    caption: str | Callable[[], str] | None = None
    timeout: float = 60.0  # seconds for the display to change and settle (training buttons need more)

    def caption_pattern(self) -> str | None:
        """The regular expression the caption must match after this step (or None)."""
        if callable(self.caption):
            return re.escape(self.caption())
        return self.caption


@dataclass(frozen=True)
class WidgetSpec:
    notebook: str  # file name in notebooks/
    widget: str  # the library class that builds it
    cell: str  # a substring unique to the code cell that displays it
    steps: tuple[Step, ...]

    @property
    def test_id(self) -> str:
        return f"{self.notebook.removesuffix('.ipynb')}-{self.widget}"


# --- expected captions, computed with the library exactly as the kernel does ---------------

def _tour_caption(photo: str, degradation: str, strength: float, seed: int) -> Callable[[], str]:
    def expected() -> str:  # 00_tour builds DegradationExplorer(size=144)
        from imgsynth_edu.widgets import DegradationExplorer

        return DegradationExplorer(size=144, photos=[photo]).render(photo, degradation, strength, seed)["caption"]

    return expected


def _playground_caption(photo: str, **settings) -> Callable[[], str]:
    def expected() -> str:  # 04_measuring_quality builds QualityPlayground(..., size=192), seed 0
        from imgsynth_edu.widgets import QualityPlayground

        return QualityPlayground((photo,), size=192).render(photo, **settings)["caption"]

    return expected


SPEC: tuple[WidgetSpec, ...] = (
    WidgetSpec(
        notebook="00_tour.ipynb",
        widget="DegradationExplorer",
        cell="display(explorer.widget)",
        steps=(
            Step("blur σ (px)", 3.0, caption=r"gaussian blur, sigma = 3\.0 px \| PSNR \d+\.\d\d dB"),
            Step("photo", "coffee", caption=_tour_caption("coffee", "gaussian blur", 3.0, 0)),
            Step("degradation", "gaussian noise", caption=r"coffee: gaussian noise, sigma = 0\.05, seed 0"),
            Step("noise σ", 0.2, caption=r"sigma = 0\.20, seed 0 \| PSNR"),
            Step("seed", 5, caption=_tour_caption("coffee", "gaussian noise", 0.2, 5)),
            Step("degradation", "JPEG", caption=r"coffee: JPEG, quality = 20 \| PSNR"),
            Step("JPEG quality", 90, caption=r"JPEG, quality = 90 \| PSNR"),
        ),
    ),
    WidgetSpec(
        notebook="01_gan_from_scratch.ipynb",
        widget="TrainingMonitor",
        cell="monitor = TrainingMonitor(trainer, every=steps // 4, toy=ring)",
        steps=(
            Step("snapshot", 1, caption=r"snapshot 1: samples at step \d+ \(latest: step 2000\)"),
            Step("train 200 more", None, caption=r"step 2200 \(non-saturating loss\)", timeout=300),
        ),
    ),
    WidgetSpec(
        notebook="02_dcgan.ipynb",
        widget="TrainingMonitor",
        cell="monitor = TrainingMonitor(trainer, every=steps // 4, zoom=2)",
        steps=(
            Step("snapshot", 1, caption=r"snapshot 1: samples at step \d+ \(latest: step 800\)"),
            Step("train 200 more", None, caption=r"step 1000 \(non-saturating loss\)", timeout=300),
        ),
    ),
    WidgetSpec(
        notebook="02_dcgan.ipynb",
        widget="LatentExplorer",
        cell="explorer = LatentExplorer(generator, seed_a=0, seed_b=1, n_directions=3)",
        steps=(
            Step("t (A→B)", 0.8, caption=r"t=0\.80 \(slerp\)"),
            Step("interpolation", "lerp", caption=r"t=0\.80 \(lerp\)"),
            Step("direction 1", 1.5, caption=r"directions: \+1\.50, \+0\.00, \+0\.00"),
            Step("new seed B", None, caption=r"seeds A=0, B=2 \|"),
        ),
    ),
    WidgetSpec(
        notebook="03_conditional_gan.ipynb",
        widget="ClassPicker",
        cell="display(picker.widget)",
        steps=(
            Step("digit", 3, caption=r"8 samples of class 3 \(noise from seed 0\)"),
            Step("seed", 42, caption=r"8 samples of class 3 \(noise from seed 42\)"),
            Step("show", "noise row", caption=r"3 noise vectors \(seed 42\), one per row"),
        ),
    ),
    WidgetSpec(
        notebook="03_conditional_gan.ipynb",
        widget="InpaintingPainter",
        cell="display(painter.widget)",
        steps=(
            Step("image", 5, caption=r"image 5, centre box \(\d+ missing pixels\) \| hole PSNR: GAN "),
            Step("box size", 0.25, caption=r"image 5, centre box \(\d+ missing pixels\)"),
            Step("move down", 3, changes=("image",), caption=r"image 5, centre box"),
            Step("move right", -3, changes=("image",), caption=r"image 5, centre box"),
            Step("mask", "strokes", caption=r"image 5, strokes \(\d+ missing pixels\)"),
            Step("mask seed", 7, changes=("image",), caption=r"image 5, strokes"),
        ),
    ),
    WidgetSpec(
        notebook="04_measuring_quality.ipynb",
        widget="QualityPlayground",
        cell="display(playground.widget)",
        steps=(  # the settings add up; each caption is recomputed by the library in the test process
            Step("photo", "camera", caption=_playground_caption("camera")),
            Step("blur σ (px)", 1.5, caption=_playground_caption("camera", blur=1.5)),
            Step("noise σ", 0.05, caption=_playground_caption("camera", blur=1.5, noise=0.05)),
            Step("JPEG quality", 30, caption=_playground_caption("camera", blur=1.5, noise=0.05, jpeg=30)),
            Step("shift (px)", 2, caption=_playground_caption("camera", blur=1.5, noise=0.05, jpeg=30, shift=2)),
            Step("brightness", 0.1,
                 caption=_playground_caption("camera", blur=1.5, noise=0.05, jpeg=30, shift=2, brightness=0.1)),
        ),
    ),
    WidgetSpec(
        notebook="05_super_resolution.ipynb",
        widget="SRComparison",
        cell="display(comparison.widget)",
        steps=(
            Step("wipe", 0.2, changes=("image",)),
            # the lesson opens it at left=SRResNet, right=SRGAN: pick another method on the right
            Step("right", "bicubic", caption=r"right: bicubic PSNR \d+\.\d\d dB, SSIM \d\.\d{3}"),
            Step("left", "ground truth", caption=r"left: ground truth \| right: bicubic"),
            Step("zoom x", 10, caption=r"at \(x=10, y=\d+\)"),
            Step("zoom y", 20, caption=r"at \(x=10, y=20\)"),
            Step("zoom size", 32, caption=r"zoom 32×32 at \(x=10, y=20\)"),
        ),
    ),
    WidgetSpec(
        notebook="05_super_resolution.ipynb",
        widget="NetworkInterpolation",
        cell="display(interpolation.widget)",
        steps=(  # the restored picture and the point on the measured curve both move with α
            Step("α (SRResNet → SRGAN)", 1.0, changes=("every image", "caption"),
                 caption=r"α = 1\.00: Y-PSNR \d+\.\d\d dB, NIQE \d+\.\d\d"),
            Step("α (SRResNet → SRGAN)", 0.5, changes=("every image", "caption"),
                 caption=r"α = 0\.50: Y-PSNR \d+\.\d\d dB, NIQE \d+\.\d\d"),
        ),
    ),
    WidgetSpec(
        notebook="06_multi_frame_restoration.ipynb",
        widget="BurstExplorer",
        cell="display(explorer.widget)",
        steps=(
            Step("frames", 4, caption=r"4 frame\(s\), noise ×\d\.\d\d, seed \d+ \| Y-PSNR: bicubic \(frame 0\) \d+\.\d\d dB"),
            Step("noise ×", 2.5, caption=r"4 frame\(s\), noise ×2\.50, seed"),
            Step("seed", 7, caption=r"4 frame\(s\), noise ×2\.50, seed 7 \| Y-PSNR"),
        ),
    ),
    WidgetSpec(
        notebook="07_diffusion_vs_gan.ipynb",
        widget="DenoisingScrubber",
        cell="display(scrubber.widget)",
        steps=(  # the lesson opens it at digit 7, seed 0, 20 DDIM steps, w = 1, t = T; t snaps to a kept timestep
            Step("t", 500, caption=r"digit 7, seed 0, 20 DDIM steps, guidance w = 1\.0 \| t = 475 \(step 10 of 20\), "
                                   r"√ᾱ_t = 0\.\d{3}"),
            Step("DDIM steps", 5, caption=r"5 DDIM steps, guidance w = 1\.0 \| t = 501 \(step 2 of 5\)"),
            Step("guidance w", 3.0, caption=r"5 DDIM steps, guidance w = 3\.0 \| t = 501"),
            Step("digit", 3, caption=r"digit 3, seed 0, 5 DDIM steps"),
            Step("seed", 5, caption=r"digit 3, seed 5, 5 DDIM steps"),
            Step("t", 0, caption=r"t = 0 \(step 5 of 5\), √ᾱ_t = 1\.000"),
        ),
    ),
    WidgetSpec(
        notebook="08_what_networks_see.ipynb",
        widget="LatentDirectionExplorer",
        cell="explorer = LatentDirectionExplorer(generator, directions, n_rows=4, extent=3.0, steps=7)",
        steps=(
            Step("component", 2, caption=r"component 2 \(\d+\.\d% of the variance of net\.2\) \| t = \+0\.00"),
            Step("t (std of z)", 1.5, caption=r"component 2 .* \| t = \+1\.50 \| seed 0"),
            Step("seed", 5, caption=r"t = \+1\.50 \| seed 5 \|"),
        ),
    ),
    WidgetSpec(
        notebook="08_what_networks_see.ipynb",
        widget="AttributionExplorer",
        cell="attribution_explorer = AttributionExplorer(subjects)",
        steps=(
            Step("method", "integrated gradients (grey baseline)",
                 caption=r"digit classifier on held-out digit 1: integrated gradients \(grey baseline\) map of "
                         r"the score of class \d \(p = \d\.\d\d\)"),
            Step("image", "held-out digit 2", caption=r"on held-out digit 2: integrated gradients"),
            Step("method", "gradient", caption=r"on held-out digit 2: gradient map"),
            Step("model", "discriminator (4,000 digits)",
                 caption=r"discriminator \(4,000 digits\) on least real sample: gradient map of its output [+-]\d"),
            Step("model", "SRResNet ×4",
                 caption=r"SRResNet ×4 on chelsea \(32×32 crop\): gradient map of output pixel \(row 64, col 64\)"),
            Step("pixel row", 20, caption=r"output pixel \(row 20, col 64\)"),
            Step("pixel col", 100, caption=r"output pixel \(row 20, col 100\)"),
        ),
    ),
)
