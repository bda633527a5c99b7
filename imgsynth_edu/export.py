"""Export a restorer to ONNX, quantise it to int8, and run it with ONNX Runtime.

**ONNX** (Open Neural Network Exchange, onnx.ai) is a file format for a trained
network: a graph of standard operators (``Conv``, ``Add``, ``PRelu``,
``DepthToSpace``, ...) with the weights stored beside them, defined by a
versioned *opset* (we write opset 17). It does not need Python or PyTorch to
be read: C++, C#, Java, JavaScript (in a browser) and mobile runtimes load it.
**ONNX Runtime** (onnxruntime.ai) is Microsoft's engine that runs such files.
It rewrites the graph before running it (constant folding, fusing a
convolution with what follows it) and picks a kernel for each operator from an
*execution provider*: the CPU one here, CUDA or TensorRT on an NVIDIA GPU.

**From PyTorch to ONNX** (:func:`export_onnx`). ``torch.onnx.export`` runs the
model once on an example input and records the operators it calls. The input's
batch, height and width are declared *dynamic* axes, so the file accepts any
``N×3×h×w``; the check that this is true is that :func:`export_onnx` verifies
the file on a held-out photograph whose size differs from the example's.
One part of the bundled ``srresnet-x4`` would not survive the recording as it
is: its bicubic global skip (``SRResNet(bicubic_skip=True)``) builds MATLAB's
resampling matrices in Python from the image size, and a recording would
freeze them at the example's size. For an integer enlargement ``s`` the same
operation is a fixed filter: output pixel ``s·q + p`` reads the 5 input pixels
``q-2 .. q+2`` with Keys' cubic weights at the offsets
``(p + 0.5)/s - 0.5 - t`` (Keys 1981, eq. 15, ``a = -0.5``), after a
symmetric 2-pixel padding. So the exporter replaces the skip by
``pad - conv5×5 (C -> s²C) - PixelShuffle(s)`` (:class:`BicubicUpscaler`),
which ONNX runs at any size and which equals the library's bicubic to float
rounding (a test checks it).

We use PyTorch's TorchScript-based exporter (``dynamo=False``). The newer
``torch.export``-based exporter, the default since PyTorch 2.9, needs the extra
package ``onnxscript`` (with torch 2.14 it raises ``ModuleNotFoundError:
onnxscript`` without it); for this graph of plain convolutions both give the
same file, agree with PyTorch to 5e-7, and the TorchScript one needs no extra
package, takes 0.2 s instead of 4 s, and works on every torch this course
supports (>= 2.2; ``dynamo=`` only exists from 2.5). PyTorch has deprecated it,
so a future torch may need the switch: then add ``onnxscript`` to the extra.
The burst model ``burst-x4`` does not export: its phase-correlation alignment
uses complex FFTs, which the TorchScript exporter cannot write ("Unknown
number type: complex"), and its input checks read tensor values, which
``torch.export`` refuses (a data-dependent guard).

**Static int8 quantisation** (:func:`quantize_onnx`; Jacob et al. 2018,
"Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-
Only Inference", eq. 1). A real value ``r`` is stored as an 8-bit integer ``q``
with a *scale* ``S`` and a *zero point* ``Z``:

.. math::  r \\approx S\\,(q - Z), \\qquad q = \\mathrm{clamp}(\\mathrm{round}(r/S) + Z,\\ 0,\\ 255)

Weights get one ``(S, Z)`` per output channel, read off the weights
themselves (int8, ``Z = 0``). Activations get one per tensor, and *static*
means that it is fixed before deployment: **calibration** runs the fp32 model
on representative inputs (here 64 patches of 32×32 pixels cut from the bundled
*training* photographs, :class:`PatchCalibrationReader`), records the range
each activation takes, and chooses ``S`` and ``Z`` from it (``minmax``: the
whole range; ``percentile``: cut the rare extremes; ``entropy``: keep the
histogram's information). ONNX Runtime writes the result in **QDQ** format:
the fp32 graph is kept, and each quantised tensor passes through a
``QuantizeLinear -> DequantizeLinear`` pair that rounds it to the 8-bit grid.
The file says *where* rounding happens; when the file is loaded the runtime
fuses ``DequantizeLinear -> Conv -> QuantizeLinear`` into an integer
convolution (``QLinearConv``: 8-bit multiplies, 32-bit sums) where it has one,
and runs the rest in fp32.

**What we found on** ``srresnet-x4`` (ONNX Runtime 1.32, an x86 CPU with
AVX-512 VNNI; Y-PSNR on the five held-out photographs, fp32 31.740 dB,
bicubic 30.653 dB):

* The activations are **uint8** and the weights int8 ("U8S8"). With int8
  activations ONNX Runtime fused only 13 of the 22 convolutions: those whose
  input also feeds a residual ``Add`` stayed fp32 convolutions with
  dequantised weights, and the model ran slower than fp32. With uint8 all 22
  fuse. (ONNX Runtime's documentation suggests ``reduce_range``, 7-bit
  quantisation, on x86 CPUs without VNNI.)
* **Per-channel** weight scales are needed: one scale per tensor lost the
  whole gain over bicubic (30.66 dB).
* ``PRelu`` (11 of them) stays fp32: ONNX Runtime has no int8 PRelu, so each
  dequantises its input, runs in float, and quantises its output again.
  ``DepthToSpace`` (PixelShuffle, 3) only moves values and runs on floats.
* The layers that **write the output image stay fp32**
  (``keep_output_fp32``): the tail convolution (9×9, 32 -> 3 channels, at
  the full 1024×1024 output of a 256×256 input) was 2.5× *slower* in int8
  than in fp32 (ONNX Runtime's profiler, one thread: 1.72 s against 0.69 s;
  three output channels suit its int8 kernels badly), and the bicubic skip
  carries the whole image, so rounding it to 256 levels costs the most
  quality. Quantising everything lost 0.30 dB; keeping these four nodes in
  fp32 loses 0.025 dB (int8 31.715 dB).
* Calibration: ``minmax`` over 64 patches. ``percentile`` (99.999 %) was
  0.008 dB worse and ``entropy`` equal to ``minmax`` (both measured with
  every layer quantised).

The int8 file is 2.8× smaller (362 kB against 1013 kB). Speed
(``benchmarks/export.py``, 256×256 -> 1024×1024, 2 CPU threads on a shared
machine, median of 7): PyTorch 2.21 s per frame, ONNX Runtime fp32 1.32 s
(1.68× PyTorch), int8 1.14 s (1.94× PyTorch, 1.16× ONNX Runtime fp32). The gain
from int8 is small because most of the time is spent at the output's full
resolution, in the fp32 tail, PRelu and PixelShuffle. All three are 34-66× too
slow for 30 frames/s on this CPU: real time at this size needs a GPU or a
smaller model, not only int8.

Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
"""

from __future__ import annotations

import copy
import inspect
import io
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from . import pretrained
from ._checks import check_choice, check_images, check_positive_int
from .data.degradations import bicubic_downscale, crop_to_multiple, cubic_kernel
from .data.patches import PairedPatchDataset
from .data.photos import load_photo, photo_set
from .evaluation import evaluate_sr
from .models.burst import BurstSR
from .models.srresnet import receptive_field_radius
from .utils import atomic_write

__all__ = [
    "BicubicUpscaler",
    "OnnxUpscaler",
    "PatchCalibrationReader",
    "export_onnx",
    "export_pretrained",
    "held_out_psnr",
    "quantize_onnx",
    "verify_onnx",
]

#: The opset we write (ONNX Runtime >= 1.13 runs it; per-channel QDQ needs >= 13).
OPSET = 17
#: Largest |ONNX - PyTorch| accepted by :func:`export_onnx` (fp32). Measured on
#: ``srresnet-x4`` on the held-out ``chelsea``: max 2.4e-7, mean 3.2e-8 (float
#: rounding of another summation order); a trace that froze a value read from the example
#: (tests/test_export.py, ``_FrozenConstantRestorer``) errs by 0.038.
EXPORT_TOLERANCE = 1e-4
#: The held-out photograph :func:`verify_onnx` uses by default.
VERIFY_PHOTO = "chelsea"
_METADATA_PREFIX = "imgsynth_edu."
_INSTALL_HINT = "pip install 'imgsynth-edu[export]'  (or: pip install onnx onnxruntime)"


def _require(module_name: str):
    """Import ``onnx`` / ``onnxruntime`` (optional dependencies) or say how to install them."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(
            f"ONNX export and inference need the package {module_name!r}, which is not installed: "
            f"{_INSTALL_HINT}"
        ) from error


def _check_onnx_path(path, name: str, *, must_exist: bool) -> Path:
    if not isinstance(path, (str, Path)):
        raise TypeError(f"{name} must be a path (str or pathlib.Path) to a .onnx file, got {type(path).__name__}")
    path = Path(path)
    if path.suffix != ".onnx":
        raise ValueError(f"{name} must end in '.onnx', got {str(path)!r}")
    if must_exist and not path.is_file():
        raise FileNotFoundError(f"{name} {str(path)!r} does not exist")
    return path


# ----------------------------------------------------------------------------
# The bicubic skip as a fixed filter (so that ONNX runs it at any size)
# ----------------------------------------------------------------------------
class BicubicUpscaler(nn.Module):
    """MATLAB-like bicubic enlargement by an integer ``scale``, as ``pad - conv - PixelShuffle``.

    Equal to :func:`~imgsynth_edu.data.bicubic_upscale` with ``clip=False``
    (to float rounding), but made only of operators whose weights do not
    depend on the image size, so that it exports to ONNX with dynamic axes.

    Output pixel ``i = s·q + p`` (phase ``p = 0 .. s-1``) sits at the input
    coordinate ``(i + 0.5)/s - 0.5 = q + (p + 0.5)/s - 0.5``; Keys' kernel
    (Keys 1981, eq. 15) is non-zero within distance 2, so it reads the input
    pixels ``q + t`` for ``t = -2 .. 2`` with weights
    ``k(p, t) = cubic((p + 0.5)/s - 0.5 - t)``. Rows and columns are separable,
    so phase ``(p_y, p_x)`` uses the 5×5 kernel ``k(p_y, ·) ⊗ k(p_x, ·)``: one
    grouped convolution with ``s²`` output channels per colour channel, then
    PixelShuffle puts each phase at its place. MATLAB's *symmetric* border
    (``x1 x0 | x0 x1 ...``) is the 2-pixel padding.

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """

    def __init__(self, scale: int, channels: int = 3):
        super().__init__()
        check_positive_int(scale, "scale")
        check_positive_int(channels, "channels")
        phase_offsets = (torch.arange(scale, dtype=torch.float64) + 0.5) / scale - 0.5  # (s,)
        taps = torch.arange(-2, 3, dtype=torch.float64)  # (5,): input pixels q-2 .. q+2
        kernel_1d = cubic_kernel(phase_offsets[:, None] - taps[None, :])  # (s, 5)
        kernel_1d = kernel_1d / kernel_1d.sum(dim=1, keepdim=True)  # each phase sums to 1 (as MATLAB's)
        kernel_2d = kernel_1d[:, None, :, None] * kernel_1d[None, :, None, :]  # (s, s, 5, 5): (p_y, p_x, t_y, t_x)
        weight = kernel_2d.reshape(scale * scale, 1, 5, 5).repeat(channels, 1, 1, 1)  # (C·s², 1, 5, 5)
        self.register_buffer("weight", weight.float())
        self.scale, self.channels = scale, channels
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, low_res: torch.Tensor) -> torch.Tensor:
        x = low_res
        x = torch.cat([x[..., 1:2], x[..., 0:1], x, x[..., -1:], x[..., -2:-1]], dim=-1)  # N×C×h×(w+4)
        x = torch.cat([x[..., 1:2, :], x[..., 0:1, :], x, x[..., -1:, :], x[..., -2:-1, :]], dim=-2)  # N×C×(h+4)×(w+4)
        phases = nn.functional.conv2d(x, self.weight, groups=self.channels)  # N×(C·s²)×h×w
        return self.shuffle(phases)  # N×C×(s·h)×(s·w)


class _ExportableRestorer(nn.Module):
    """``model`` with its bicubic skip (if any) computed by :class:`BicubicUpscaler`.

    A deep copy: the caller's model is not changed.
    """

    def __init__(self, model: nn.Module, scale: int, channels: int):
        super().__init__()
        self.network = copy.deepcopy(model).eval()
        self.bicubic = None
        if getattr(self.network, "bicubic_skip", False):
            self.network.bicubic_skip = False  # the network part only ...
            self.bicubic = BicubicUpscaler(scale, channels)  # ... plus the skip, size-independent

    def forward(self, low_res: torch.Tensor) -> torch.Tensor:
        high_res = self.network(low_res)  # N×C×h×w -> N×C×(s·h)×(s·w)
        if self.bicubic is not None:
            high_res = high_res + self.bicubic(low_res)  # the global residual, as SRResNet.forward adds it
        return high_res


def _restorer_scale(model, channels: int) -> int:
    """Run ``model`` on a small probe and return its integer scale, or say why it is not a restorer."""

    if isinstance(model, BurstSR):
        raise ValueError(
            "model is a BurstSR (N×F×C×h×w bursts), which does not export: its phase-correlation "
            "alignment uses complex FFTs that the ONNX exporter cannot write; export a single-image "
            "restorer such as pretrained.load('srresnet-x4')"
        )
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module restorer, got {type(model).__name__}")
    expected = "a restorer: an nn.Module mapping N×C×h×w in [0, 1] to N×C×(s·h)×(s·w)"
    probe = torch.rand(2, channels, 12, 16, generator=torch.Generator().manual_seed(0))  # N×C×h×w
    parameter = next(model.parameters(), None)
    if parameter is not None:
        probe = probe.to(parameter.device)
    try:
        with torch.no_grad():
            output = model(probe)
    except Exception as error:
        raise ValueError(f"model must be {expected}; on a 2×{channels}×12×16 probe it raised: {error}") from error
    shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
    if not isinstance(output, torch.Tensor) or output.ndim != 4 or output.shape[:2] != probe.shape[:2]:
        raise ValueError(f"model must be {expected}; it maps a 2×{channels}×12×16 probe to {shape}")
    scale = output.shape[-2] // 12
    if scale < 1 or tuple(output.shape[-2:]) != (12 * scale, 16 * scale):
        raise ValueError(f"model must be {expected}; it maps a 2×{channels}×12×16 probe to {shape}")
    return scale


def _held_out_input(scale: int, photo: str = VERIFY_PHOTO) -> torch.Tensor:
    """The held-out ``photo``, shrunk ×1/scale (MATLAB bicubic): ``1×3×h×w``, as the SR protocol's input."""

    high_res = crop_to_multiple(load_photo(photo), scale)[None]  # 1×3×H×W, multiples of scale
    return bicubic_downscale(high_res, scale)  # -> 1×3×(H/s)×(W/s)


# ----------------------------------------------------------------------------
# Running an ONNX file
# ----------------------------------------------------------------------------
class OnnxUpscaler(nn.Module):
    """An ONNX restorer run by ONNX Runtime, behind the PyTorch model's interface.

    ``OnnxUpscaler(path)(low_res)``: ``N×C×h×w`` in ``[0, 1]`` ->
    ``N×C×(scale·h)×(scale·w)`` (not clamped, as the PyTorch model), on
    ``low_res``'s device. It is an ``nn.Module`` without parameters, so what
    takes a restorer takes it: :func:`~imgsynth_edu.models.srresnet.upscale_tiled`
    (its ``receptive_field_radius`` attribute sets the tile overlap) and the SR
    evaluation protocol (``evaluate_sr``).

    Args:
        model: a ``.onnx`` file written by :func:`export_onnx` or
            :func:`quantize_onnx`, or such a file's bytes.
        device: ``"cpu"``, or ``"cuda"`` for ONNX Runtime's CUDA execution
            provider (needs the ``onnxruntime-gpu`` package).
        threads: ONNX Runtime's intra-op threads (``None``: its default, one
            per physical core).

    Attributes read from the file's metadata: ``scale``, ``in_channels``,
    ``receptive_field_radius``, ``precision`` (``"fp32"`` or ``"int8"``),
    ``source`` (what was exported).

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """

    def __init__(self, model: str | Path | bytes, *, device: str = "cpu", threads: int | None = None):
        super().__init__()
        ort = _require("onnxruntime")
        check_choice(device, "device", {"cpu", "cuda"})
        if threads is not None:
            check_positive_int(threads, "threads")
        if isinstance(model, bytes):
            source, self.path = model, None
        else:
            self.path = _check_onnx_path(model, "model", must_exist=True)
            source = str(self.path)
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise ValueError(
                    "device='cuda' needs ONNX Runtime's CUDAExecutionProvider (pip install onnxruntime-gpu); "
                    f"available here: {ort.get_available_providers()}"
                )
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only
        if threads is not None:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(source, options, providers=providers)
        except Exception as error:  # onnxruntime raises its own types for a file it cannot read
            where = "the given bytes" if self.path is None else repr(str(self.path))
            raise ValueError(f"model {where} could not be loaded by ONNX Runtime (not a valid ONNX file?): {error}") from error
        metadata = self.session.get_modelmeta().custom_metadata_map
        if _METADATA_PREFIX + "scale" not in metadata:
            raise ValueError(
                "model has no imgsynth_edu metadata (scale, receptive field): write it with "
                "imgsynth_edu.export.export_onnx or quantize_onnx"
            )
        self.scale = int(metadata[_METADATA_PREFIX + "scale"])
        self.in_channels = int(metadata[_METADATA_PREFIX + "in_channels"])
        self.receptive_field_radius = int(metadata[_METADATA_PREFIX + "receptive_field_radius"])
        self.precision = metadata.get(_METADATA_PREFIX + "precision", "fp32")
        self.source = metadata.get(_METADATA_PREFIX + "source", "")
        self.device_kind = device
        self.input_name = self.session.get_inputs()[0].name

    def forward(self, low_res: torch.Tensor) -> torch.Tensor:
        check_images(low_res, "low_res", channels=(self.in_channels,))
        feed = {self.input_name: low_res.detach().float().cpu().contiguous().numpy()}  # N×C×h×w
        (high_res,) = self.session.run(None, feed)  # N×C×(s·h)×(s·w), a NumPy array
        return torch.from_numpy(high_res).to(low_res.device)

    def extra_repr(self) -> str:
        where = "bytes" if self.path is None else str(self.path)
        return f"{where}, scale={self.scale}, precision={self.precision}, device={self.device_kind}"


def verify_onnx(onnx_model, model: nn.Module, image: torch.Tensor | None = None) -> dict:
    """Run ``onnx_model`` and the PyTorch ``model`` on the same input; return their differences.

    Args:
        onnx_model: an :class:`OnnxUpscaler`, a ``.onnx`` path, or its bytes.
        model: the PyTorch restorer it was exported from.
        image: the ``N×C×h×w`` input in ``[0, 1]``; default: the held-out
            photograph ``chelsea`` shrunk ×1/scale (75×112 for ×4), as the SR
            protocol makes its inputs. Its size differs from the export's
            example, so agreement also shows the dynamic axes work.

    Returns ``{"max_abs_diff", "mean_abs_diff", "input_shape", "photo"}``:
    ``max |onnx(x) - model(x)|`` and the mean of ``|...|`` over all output values.

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """
    upscaler = onnx_model if isinstance(onnx_model, OnnxUpscaler) else OnnxUpscaler(onnx_model)
    photo = None
    if image is None:
        image, photo = _held_out_input(upscaler.scale), VERIFY_PHOTO
    check_images(image, "image")
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    model.eval()
    with torch.no_grad():
        expected = model(image.to(device)).cpu()  # N×C×(s·h)×(s·w)
    actual = upscaler(image.cpu())  # N×C×(s·h)×(s·w)
    if actual.shape != expected.shape:
        raise ValueError(f"the ONNX model returns shape {tuple(actual.shape)}, PyTorch {tuple(expected.shape)}")
    difference = (actual - expected).abs()
    return {
        "max_abs_diff": float(difference.max()),
        "mean_abs_diff": float(difference.mean()),
        "input_shape": list(image.shape),
        "photo": photo,
    }


def _set_metadata(onnx_model, values: Mapping[str, object]) -> None:
    """Write ``values`` into the ModelProto's ``metadata_props`` (replacing same-named entries)."""
    onnx = _require("onnx")
    merged = {entry.key: entry.value for entry in onnx_model.metadata_props}
    merged.update({_METADATA_PREFIX + key: str(value) for key, value in values.items()})
    onnx.helper.set_model_props(onnx_model, merged)


# ----------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------
def export_onnx(
    model: nn.Module,
    path: str | Path,
    *,
    source: str = "",
    verify: bool = True,
    tolerance: float = EXPORT_TOLERANCE,
    opset_version: int = OPSET,
) -> dict:
    """Write ``model`` (a restorer) to the ONNX file ``path`` with dynamic ``N``, ``h``, ``w``.

    The steps: check that ``model`` is a restorer (a probe ``2×C×12×16`` must
    come back ``2×C×(12s)×(16s)``), record it on a ``1×C×32×32`` example with
    the batch, height and width declared dynamic (with the bicubic skip as
    :class:`BicubicUpscaler`), check the graph (``onnx.checker``), store the
    scale, channels, receptive field and ``source`` in the file's metadata, and
    with ``verify=True`` run it with ONNX Runtime on the held-out photograph
    (:func:`verify_onnx`, another size than the example's) and require
    ``max |ONNX - PyTorch| <= tolerance``. Only then is ``path`` written, atomically:
    an export that fails at any step leaves no file (and an existing one as it was).

    Returns ``{"path", "source", "scale", "opset", "bytes", "verification"}``
    (``verification`` as :func:`verify_onnx` returns it, plus the tolerance;
    ``None`` with ``verify=False``).

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """
    onnx = _require("onnx")
    _require("onnxruntime")
    path = _check_onnx_path(path, "path", must_exist=False)
    channels = int(getattr(model, "in_channels", 3))
    scale = _restorer_scale(model, channels)
    exportable = _ExportableRestorer(model, scale, channels).cpu()
    example = torch.rand(1, channels, 32, 32, generator=torch.Generator().manual_seed(0))  # 1×C×32×32
    # The TorchScript-based exporter (see the module docstring for why); torch < 2.5 has no `dynamo=`.
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")  # our choice
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx\.")  # its internals
        torch.onnx.export(
            exportable, (example,), buffer,
            input_names=["low_res"], output_names=["high_res"],
            dynamic_axes={"low_res": {0: "batch", 2: "height", 3: "width"},
                          "high_res": {0: "batch", 2: f"height_x{scale}", 3: f"width_x{scale}"}},
            opset_version=opset_version, do_constant_folding=True, **legacy,
        )
    onnx_model = onnx.load_model_from_string(buffer.getvalue())
    onnx.checker.check_model(onnx_model)
    onnx_model.doc_string = f"imgsynth-edu restorer x{scale} ({source or type(model).__name__}), fp32"
    _set_metadata(onnx_model, {
        "scale": scale, "in_channels": channels, "precision": "fp32",
        "receptive_field_radius": receptive_field_radius(model),
        "source": source or type(model).__name__,
    })
    serialised = onnx_model.SerializeToString()
    verification = None
    if verify:
        verification = verify_onnx(serialised, model)
        verification["tolerance"] = tolerance
        if not verification["max_abs_diff"] <= tolerance:
            raise ValueError(
                f"the exported model disagrees with PyTorch on the held-out photo: max |diff| "
                f"{verification['max_abs_diff']:.3g} > tolerance {tolerance:g}; nothing was written to {str(path)!r}"
            )
    with atomic_write(path) as handle:
        handle.write(serialised)
    return {"path": str(path), "source": source or type(model).__name__, "scale": scale,
            "opset": opset_version, "bytes": len(serialised), "verification": verification}


# ----------------------------------------------------------------------------
# int8 quantisation
# ----------------------------------------------------------------------------
class PatchCalibrationReader:
    """Calibration inputs for ONNX Runtime: low-resolution patches of the bundled *training* photos.

    Implements ONNX Runtime's ``CalibrationDataReader`` protocol (ORT accepts
    any class with ``get_next``): each :meth:`get_next` returns one feed
    ``{input_name: batch}`` of ``batch_size`` patches ``batch_size×3×(p/s)×(p/s)``,
    and ``None`` when all ``count`` patches have been given. The patches are
    the inputs of :class:`~imgsynth_edu.data.patches.PairedPatchDataset`
    (random ``patch_size`` crops with flips and rotations, bicubic ×1/scale),
    items ``0 .. count-1`` for ``seed``: the same patches on every machine, and
    never a held-out photograph.

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """

    def __init__(self, input_name: str, scale: int, *, count: int = 64, patch_size: int = 128,
                 batch_size: int = 8, seed: int = 0):

        for value, name in ((count, "count"), (patch_size, "patch_size"), (batch_size, "batch_size")):
            check_positive_int(value, name)
        dataset = PairedPatchDataset(photo_set("train"), scale, patch_size, seed=seed)
        self.patches = torch.stack([dataset[index][0] for index in range(count)])  # count×3×(p/s)×(p/s)
        self.input_name, self.batch_size, self.position = input_name, batch_size, 0

    def get_next(self) -> dict | None:
        if self.position >= len(self.patches):
            return None
        batch = self.patches[self.position : self.position + self.batch_size]  # B×3×(p/s)×(p/s)
        self.position += self.batch_size
        return {self.input_name: batch.numpy()}

    def rewind(self) -> None:
        self.position = 0


#: Calibration methods by name (ONNX Runtime's CalibrationMethod members).
CALIBRATION_METHODS = {"minmax": "MinMax", "percentile": "Percentile", "entropy": "Entropy"}


def quantize_onnx(
    fp32_path: str | Path,
    int8_path: str | Path,
    *,
    method: str = "minmax",
    count: int = 64,
    patch_size: int = 128,
    seed: int = 0,
    keep_output_fp32: bool = True,
) -> dict:
    """Post-training static int8 quantisation of the ONNX restorer ``fp32_path`` into ``int8_path``.

    1. ONNX Runtime's pre-processing (``quant_pre_process``: graph
       optimisation and ONNX shape inference, as its documentation recommends);
    2. calibration on ``count`` training patches (:class:`PatchCalibrationReader`)
       with ``method`` (``"minmax"``, ``"percentile"`` or ``"entropy"``),
       which picks each activation's scale and zero point
       ``r ≈ S (q - Z)`` (Jacob et al. 2018, eq. 1);
    3. ``quantize_static`` in QDQ format: uint8 activations, int8 weights
       with one scale per output channel ("U8S8", the x86 layout ONNX Runtime
       fuses everywhere; see the module docstring).

    With ``keep_output_fp32=True`` (the default) the layers that write the
    output image stay fp32 (:func:`_output_layers`): the last convolution and,
    with a bicubic skip, the skip and the ``Add`` that joins them. The file is
    written atomically (a failure leaves none), with the fp32 file's metadata
    plus ``precision = int8`` and the calibration settings.

    Returns ``{"path", "method", "patches", "patch_shape", "kept_fp32",
    "bytes", "fp32_bytes", "runtime_ops"}``; ``runtime_ops`` counts the
    operators ONNX Runtime runs after fusing the QDQ pairs (``QLinearConv``
    is an int8 convolution, ``Conv`` an fp32 one).

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """
    onnx = _require("onnx")
    _require("onnxruntime")
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    fp32_path = _check_onnx_path(fp32_path, "fp32_path", must_exist=True)
    int8_path = _check_onnx_path(int8_path, "int8_path", must_exist=False)
    check_choice(method, "method", set(CALIBRATION_METHODS))
    fp32_model = OnnxUpscaler(fp32_path)  # checks that it is one of ours, reads scale and input name
    if fp32_model.precision != "fp32":
        raise ValueError(f"fp32_path {str(fp32_path)!r} is already quantised ({fp32_model.precision})")
    reader = PatchCalibrationReader(fp32_model.input_name, fp32_model.scale, count=count,
                                    patch_size=patch_size, seed=seed)
    low = patch_size // fp32_model.scale
    with tempfile.TemporaryDirectory(prefix="imgsynth-quantize-") as work:
        prepared, quantised = Path(work) / "prepared.onnx", Path(work) / "int8.onnx"
        # ONNX Runtime's symbolic shape inference gives up on the dynamic slices of the
        # bicubic padding ("Incomplete symbolic shape inference"); ONNX's own inference suffices.
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        kept_fp32 = _output_layers(onnx.load(str(prepared)).graph) if keep_output_fp32 else []
        quantize_static(
            str(prepared), str(quantised), reader,
            quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=getattr(CalibrationMethod, CALIBRATION_METHODS[method]),
            nodes_to_exclude=kept_fp32,
        )
        int8_model = onnx.load(str(quantised))
        runtime_ops = _runtime_operators(str(quantised), Path(work) / "optimised.onnx")
    original = onnx.load(str(fp32_path))
    for entry in original.metadata_props:
        if entry.key.startswith(_METADATA_PREFIX):
            _set_metadata(int8_model, {entry.key[len(_METADATA_PREFIX):]: entry.value})
    _set_metadata(int8_model, {"precision": "int8",
                               "calibration": f"{method}, {count} training patches {low}×{low} (seed {seed})"})
    int8_model.doc_string = original.doc_string.replace("fp32", "int8 (static, QDQ U8S8)")
    onnx.checker.check_model(int8_model)
    serialised = int8_model.SerializeToString()
    with atomic_write(int8_path) as handle:
        handle.write(serialised)
    return {"path": str(int8_path), "method": method, "patches": count, "patch_shape": [3, low, low],
            "kept_fp32": kept_fp32, "bytes": len(serialised), "fp32_bytes": fp32_path.stat().st_size,
            "runtime_ops": runtime_ops}


def _output_layers(graph) -> list[str]:
    """Names of the nodes that write the output image, walking back from the graph's output.

    The output's producer is kept; through an ``Add`` (the bicubic skip joining
    the network) or a ``DepthToSpace`` (PixelShuffle) we keep walking, and we
    stop at the first ``Conv`` on each path. For ``srresnet-x4``: the final
    ``Add``, the tail ``Conv``, and the skip's ``DepthToSpace`` and ``Conv``.
    """
    producer = {output: node for node in graph.node for output in node.output}
    kept, frontier = [], [producer[graph.output[0].name]]
    while frontier:
        node = frontier.pop()
        kept.append(node.name)
        if node.op_type in {"Add", "DepthToSpace"}:
            frontier += [producer[name] for name in node.input if name in producer]
    return kept


def _runtime_operators(path: str, optimised_path: Path) -> dict:
    """Operator counts of the graph ONNX Runtime runs on the CPU after its graph rewrites (QDQ fusion)."""
    ort = _require("onnxruntime")
    onnx = _require("onnx")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED  # no CPU-specific layouts
    options.optimized_model_filepath = str(optimised_path)
    options.log_severity_level = 3
    ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    counts: dict[str, int] = {}
    for node in onnx.load(str(optimised_path)).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return dict(sorted(counts.items()))


# ----------------------------------------------------------------------------
# One call for the command line
# ----------------------------------------------------------------------------
def export_pretrained(
    name: str,
    path: str | Path,
    *,
    int8: bool = False,
    method: str = "minmax",
    count: int = 64,
    evaluate: bool = True,
) -> dict:
    """Export bundled restorer ``name`` to ``path`` (fp32), and with ``int8=True`` also quantise it.

    The int8 file goes beside ``path`` as ``NAME-int8.onnx`` (``srresnet-x4.onnx``
    -> ``srresnet-x4-int8.onnx``). With ``evaluate=True`` the report adds the Y-PSNR
    of PyTorch, ONNX fp32 and ONNX int8 on the held-out photographs, by the
    SR protocol (``evaluate_sr``: ×1/scale MATLAB bicubic input rounded to 8
    bits, Y channel, ``scale``-pixel border cropped).

    This is what ``imgsynth-edu export --pretrained NAME --format onnx [--int8]`` runs.

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """

    path = _check_onnx_path(path, "path", must_exist=False)
    model = pretrained.load(name)
    report = {"fp32": export_onnx(model, path, source=name)}
    engines = {"pytorch": model, "onnx_fp32": path}
    if int8:
        int8_path = path.with_name(f"{path.stem}-int8.onnx")
        report["int8"] = quantize_onnx(path, int8_path, method=method, count=count)
        engines["onnx_int8"] = int8_path
    if evaluate:
        report["psnr_y_held_out"] = held_out_psnr(engines, report["fp32"]["scale"])
    return report


def held_out_psnr(engines: Mapping[str, object], scale: int) -> dict:
    """Mean Y-PSNR (dB) of each engine on the held-out photographs, by the SR protocol.

    ``engines`` maps a label to a PyTorch restorer, an :class:`OnnxUpscaler`
    or a ``.onnx`` path. Adds ``"bicubic"``.

    Lesson: ``05_super_resolution.ipynb`` (scaling down: export and int8).
    """
    photos = photo_set("test")
    result = {}
    for label, engine in engines.items():
        if isinstance(engine, (str, Path, bytes)):
            engine = OnnxUpscaler(engine)
        with torch.no_grad():
            scores = evaluate_sr(engine, photos, scale)
        result[label] = scores["model"]["psnr_y"]
        result["bicubic"] = scores["bicubic"]["psnr_y"]
    return result
