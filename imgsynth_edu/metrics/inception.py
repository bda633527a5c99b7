"""InceptionV3 pool features, the feature space of FID as published (pytorch-fid's weights).

FID numbers are only comparable when computed with *the same network*: the
TensorFlow InceptionV3 of 2015-12-05 that Heusel et al. (2017) used. Its
weights were ported to PyTorch by pytorch-fid (``pt_inception-2015-12-05``).
That network differs from torchvision's InceptionV3 in small ways that change
the numbers:

* 1008 output classes (unused here: we stop at the 2048-d pool features);
* in the ``A``, ``C`` and first ``E`` blocks the pooling branch averages
  *without* counting the zero padding (``count_include_pad=False``);
* in the last ``E`` block the pooling branch takes a max, not an average.

The network below is written out block by block (module names follow
torchvision's, so the ported state dict loads directly). The input is resized
to 299×299 (bilinear) and mapped from ``[0, 1]`` to ``[-1, 1]``; the output is
the 2048-d global average of the last block, ``N×3×H×W -> N×2048``.

Weights (95.6 MB) are downloaded once, checksum-verified, into
``data_home()/weights/``; offline, a clear error says where to put the file.
Use :class:`InceptionFeatures` as the ``feature_extractor`` of
:func:`~imgsynth_edu.metrics.compute_statistics`.

Lesson: ``04_measuring_quality.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from .._checks import check_images
from ..data import data_home
from ..data.download import DownloadError, download_file
from ..utils import load_state_dict

#: pytorch-fid's port of the TF Inception weights, and a mirror (torch-fidelity) of the same file.
WEIGHTS_URLS = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
)
WEIGHTS_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
#: SHA-256 of the weights file (its first 8 hex digits are the ``6726825d`` in its name).
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
WEIGHTS_SIZE = 95_628_359


class InceptionWeightsUnavailableError(RuntimeError):
    """The Inception weights are neither cached nor downloadable; the message says what to do."""


class BasicConv2d(nn.Module):
    """Convolution (no bias) -> batch norm (eps 0.001, as TensorFlow) -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **conv_options):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_options)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _average_pool_branch(x: torch.Tensor) -> torch.Tensor:
    """3×3 average that ignores the zero padding (TF's 'SAME' average pooling)."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    """35×35 block: 1×1, 5×5, double 3×3 and pooled branches -> ``224 + pool_features`` channels."""

    def __init__(self, in_channels: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)  # (N, 64, 35, 35)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))  # (N, 64, 35, 35)
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))  # (N, 96, 35, 35)
        branch_pool = self.branch_pool(_average_pool_branch(x))  # (N, pool_features, 35, 35)
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], dim=1)


class InceptionB(nn.Module):
    """Grid reduction 35×35 -> 17×17: strided 3×3, strided double 3×3 and max-pool branches."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        branch3x3 = self.branch3x3(x)  # (N, 384, 17, 17)
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))  # (N, 96, 17, 17)
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, C_in, 17, 17)
        return torch.cat([branch3x3, branch3x3dbl, branch_pool], dim=1)


class InceptionC(nn.Module):
    """17×17 block with factorised 7×7 convolutions (1×7 then 7×1) -> 768 channels."""

    def __init__(self, in_channels: int, channels_7x7: int):
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)  # (N, 192, 17, 17)
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))  # (N, 192, 17, 17)
        branch7x7dbl = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                      self.branch7x7dbl_4, self.branch7x7dbl_5):
            branch7x7dbl = layer(branch7x7dbl)  # ends (N, 192, 17, 17)
        branch_pool = self.branch_pool(_average_pool_branch(x))  # (N, 192, 17, 17)
        return torch.cat([branch1x1, branch7x7, branch7x7dbl, branch_pool], dim=1)


class InceptionD(nn.Module):
    """Grid reduction 17×17 -> 8×8: strided 3×3, strided 7×7-then-3×3 and max-pool branches."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        branch3x3 = self.branch3x3_2(self.branch3x3_1(x))  # (N, 320, 8, 8)
        branch7x7x3 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))  # (N, 192, 8, 8)
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, C_in, 8, 8)
        return torch.cat([branch3x3, branch7x7x3, branch_pool], dim=1)


class InceptionE(nn.Module):
    """8×8 block with split 1×3 / 3×1 branches -> 2048 channels.

    ``pool="average"`` in the first E block (``Mixed_7b``) and ``pool="max"``
    in the last (``Mixed_7c``): a quirk of the TF graph that FID inherits.
    """

    def __init__(self, in_channels: int, pool: str):
        super().__init__()
        if pool not in ("average", "max"):
            raise ValueError(f"pool must be 'average' or 'max', got {pool!r}")
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)  # (N, 320, 8, 8)
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], dim=1)  # (N, 768, 8, 8)
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat(
            [self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], dim=1
        )  # (N, 768, 8, 8)
        if self.pool == "average":
            pooled = _average_pool_branch(x)
        else:
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        branch_pool = self.branch_pool(pooled)  # (N, 192, 8, 8)
        return torch.cat([branch1x1, branch3x3, branch3x3dbl, branch_pool], dim=1)  # (N, 2048, 8, 8)


class FIDInceptionV3(nn.Module):
    """The FID variant of InceptionV3 up to its 2048-d pool features (random weights until loaded)."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="average")
        self.Mixed_7c = InceptionE(2048, pool="max")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``N×3×H×W`` in ``[0, 1]`` -> ``N×2048`` pool features."""
        x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False)  # (N, 3, 299, 299)
        x = 2 * x - 1  # [0, 1] -> [-1, 1], the range the TF network was trained on
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # (N, 64, 147, 147)
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, 64, 73, 73)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))  # (N, 192, 71, 71)
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, 192, 35, 35)
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))  # (N, 288, 35, 35)
        x = self.Mixed_6a(x)  # (N, 768, 17, 17)
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))  # (N, 768, 17, 17)
        x = self.Mixed_7a(x)  # (N, 1280, 8, 8)
        x = self.Mixed_7c(self.Mixed_7b(x))  # (N, 2048, 8, 8)
        return x.mean(dim=(2, 3))  # (N, 2048): global average pool


def load_fid_state_dict(model: FIDInceptionV3, state: dict) -> FIDInceptionV3:
    """Load pytorch-fid's state dict into ``model`` (its 1008-way ``fc`` layer is not needed)."""
    features_only = {key: value for key, value in state.items() if not key.startswith(("fc.", "AuxLogits."))}
    result = model.load_state_dict(features_only, strict=False)
    missing = [key for key in result.missing_keys if not key.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise ValueError(
            "the Inception weights do not match the FID InceptionV3: "
            f"missing {missing[:5]}..., unexpected {result.unexpected_keys[:5]}..."
        )
    return model


def weights_path() -> Path:
    """Where the Inception weights are cached: ``data_home()/weights/pt_inception-2015-12-05-6726825d.pth``."""
    return data_home() / "weights" / WEIGHTS_FILENAME


def fetch_weights(path: str | Path | None = None, urls: tuple[str, ...] = WEIGHTS_URLS,
                  sha256: str = WEIGHTS_SHA256, progress: bool = True) -> Path:
    """The verified weights file: cached at ``path`` (default :func:`weights_path`) or downloaded.

    Each URL is tried in turn with :func:`imgsynth_edu.data.download.download_file`
    (streamed to a temporary file, SHA-256 checked, renamed atomically). When
    none works, raises :class:`InceptionWeightsUnavailableError` saying what
    was tried and where to put the file by hand.
    """
    path = Path(path) if path is not None else weights_path()
    errors = []
    for url in urls:
        try:
            return download_file(url, path, sha256=sha256, progress=progress)
        except DownloadError as error:
            errors.append(f"{url}: {error}")
    raise InceptionWeightsUnavailableError(
        "the InceptionV3 weights for FID could not be downloaded.\n"
        + "".join(f"  tried {line}\n" for line in errors)
        + f"  to install them by hand, download {urls[0] if urls else WEIGHTS_FILENAME}\n"
        f"  (SHA-256 {sha256}) and put it at: {path}\n"
        "  offline alternative: the bundled digit classifier "
        "(pretrained.load('digit-classifier').features) for digit images."
    )


class InceptionFeatures(nn.Module):
    """Callable feature extractor: ``N×C×H×W`` images in ``[0, 1]`` -> ``N×2048`` FID features.

    Grey images (1 channel) are repeated to 3 channels. Weights are fetched
    on construction (see :func:`fetch_weights`); pass ``weights=None`` with
    ``random_weights=True`` only to test shapes.
    """

    def __init__(self, weights: str | Path | None = None, *, random_weights: bool = False, progress: bool = True):
        super().__init__()
        self.network = FIDInceptionV3()
        if not random_weights:
            path = fetch_weights(weights, progress=progress)
            load_fid_state_dict(self.network, load_state_dict(path))
        self.eval()

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        check_images(images, "images", channels=(1, 3))
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)  # (N, 3, H, W)
        return self.network(images)  # (N, 2048)
