"""Sanity checks for attribution maps: the model-parameter randomisation test (Adebayo et al. 2018).

An explanation of a *model* must depend on the model. Adebayo, Gilmer,
Muelly, Goodfellow, Hardt & Kim ("Sanity checks for saliency maps",
NeurIPS 2018) destroy what the network learned, layer by layer,
and watch the map:

* **cascading randomisation**: re-initialise the top layer (the logits),
  then also the one below it, and so on down to the first layer;
* after each step recompute the map on the same input and compare it with the
  original map: SSIM of the normalised absolute maps and Spearman rank
  correlation of their values (the paper's Fig. 2 shows the maps);
* a method whose maps stay similar when every weight is random *fails*: it
  shows the input (edges, strokes), not what the model learned. The paper
  finds that guided back-propagation and guided Grad-CAM fail and that the
  plain gradient and Grad-CAM pass; an edge detector, which ignores the model,
  is the extreme case (its Fig. 1); methods that multiply by the input
  (gradient ⊙ input, integrated gradients) keep the input's imprint.

A baseline matters as much as the method: on black-background digits with a
black baseline (gradient ⊙ input has one built in), ``x - x' = 0`` on every
background pixel, so integrated gradients, gradient ⊙ input and occlusion are
0 there whatever the weights, and their maps stay rank-correlated with the
original ones. With a grey baseline, integrated gradients and occlusion
change with the weights.

Here a *layer* is a module that owns parameters itself (a convolution, a
linear layer, a PReLU, a batch-norm), and "top" means called last in the
forward pass. Re-initialising replaces each of its parameter tensors by
zero-mean Gaussian noise with the trained tensor's root-mean-square value
(random, but of the trained size). Buffers (batch-norm running statistics)
are left alone. The model you pass is never changed: the test works on a copy.

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from scipy.stats import spearmanr
from torch import nn

from .._checks import check_images
from ..metrics import ssim
from .attribution import _evaluation_mode, normalised_abs_map

#: A method passes when, with every layer random, both similarities to its original map fall below these.
PASS_THRESHOLDS = {"ssim": 0.5, "spearman": 0.5}


def randomisable_layers(model: nn.Module, inputs: torch.Tensor) -> list[str]:
    """Names of the modules that own parameters, in the order ``model(inputs)`` first calls them.

    These are the layers the cascade re-initialises, from the last of the list
    (the top) to the first. A module with parameters that the forward pass
    never calls is not listed.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    owners = {name: module for name, module in model.named_modules() if any(True for _ in module.parameters(recurse=False))}
    if not owners:
        raise ValueError(f"{type(model).__name__} has no parameters to randomise")
    called: list[str] = []
    handles = []

    def make_hook(name: str):
        def hook(module, args):
            if name not in called:
                called.append(name)

        return hook

    try:
        for name, module in owners.items():
            handles.append(module.register_forward_pre_hook(make_hook(name)))
        with _evaluation_mode(model), torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return called


def _randomise_parameters(module: nn.Module, generator: torch.Generator) -> None:
    """Replace each parameter the module owns by ``N(0, rms²)`` noise, ``rms`` = its trained root-mean-square."""
    with torch.no_grad():
        for parameter in module.parameters(recurse=False):
            rms = parameter.double().pow(2).mean().sqrt().item()
            scale = rms if rms > 0 else 0.01  # a tensor that was all zeros gets a small spread
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float64) * scale
            parameter.copy_(noise.to(parameter))


def spearman_rank_correlation(map_a: torch.Tensor, map_b: torch.Tensor) -> torch.Tensor:
    """Spearman's rank correlation between two maps, per image: ``(N, ...)``, ``(N, ...)`` -> ``(N,)``.

    .. math::
        \\rho = \\operatorname{corr}\\big(\\operatorname{rank}(a), \\operatorname{rank}(b)\\big)

    (Pearson correlation of the ranks, ties sharing their average rank;
    computed by ``scipy.stats.spearmanr``). 1 means the same ordering of
    pixels. A constant map has no ordering: its correlation is reported as 0.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if map_a.shape != map_b.shape:
        raise ValueError(f"map_a and map_b must have the same shape, got {tuple(map_a.shape)} and {tuple(map_b.shape)}")
    values = []
    for a, b in zip(map_a.detach().flatten(1).cpu().double(), map_b.detach().flatten(1).cpu().double()):
        if a.min() == a.max() or b.min() == b.max():
            values.append(0.0)
        else:
            values.append(float(spearmanr(a.numpy(), b.numpy()).statistic))
    return torch.tensor(values)  # (N,)


@dataclass
class RandomisationResult:
    """What :func:`cascading_randomisation` measured.

    Attributes:
        layers: the cascade, top layer first (``layers[k]`` is the deepest
            layer random after step ``k``; the last step has every layer random).
        original_maps: ``{method: (N, 1, H, W)}`` normalised absolute maps of the trained model.
        randomised_maps: ``{method: [(N, 1, H, W) per step]}``.
        ssim, spearman: ``{method: (steps, N)}`` similarity to the original map.
    """

    layers: list[str]
    original_maps: dict[str, torch.Tensor]
    randomised_maps: dict[str, list[torch.Tensor]]
    ssim: dict[str, torch.Tensor]
    spearman: dict[str, torch.Tensor]

    @property
    def methods(self) -> list[str]:
        return list(self.original_maps)

    def table(self) -> list[dict]:
        """One row per (method, step): ``method``, ``randomised_down_to``, mean ``ssim``, mean ``spearman``."""
        return [
            {
                "method": method,
                "randomised_down_to": layer,
                "ssim": float(self.ssim[method][step].mean()),
                "spearman": float(self.spearman[method][step].mean()),
            }
            for method in self.methods
            for step, layer in enumerate(self.layers)
        ]

    def at_full_randomisation(self) -> dict[str, dict[str, float]]:
        """``{method: {"ssim": mean, "spearman": mean}}`` with every layer random (the last step)."""
        return {
            method: {"ssim": float(self.ssim[method][-1].mean()), "spearman": float(self.spearman[method][-1].mean())}
            for method in self.methods
        }

    def __str__(self) -> str:
        width = max([len(layer) for layer in self.layers] + [len("randomised down to")])
        lines = []
        for method in self.methods:
            lines.append(f"{method}: similarity to the trained model's map (mean over images)")
            lines.append(f"  {'randomised down to':<{width}}   SSIM  Spearman")
            for step, layer in enumerate(self.layers):
                lines.append(
                    f"  {layer:<{width}}  {float(self.ssim[method][step].mean()):5.3f}  "
                    f"{float(self.spearman[method][step].mean()):8.3f}"
                )
        return "\n".join(lines)


def cascading_randomisation(
    model: nn.Module,
    inputs: torch.Tensor,
    methods: Mapping[str, object],
    target=None,
    *,
    seed: int = 0,
) -> RandomisationResult:
    """The cascading model-parameter randomisation test (Adebayo et al. 2018, Fig. 2).

    For ``k = 1 .. L``: re-initialise the top ``k`` layers of a copy of the
    model (see the module docstring), recompute every method's map ``Â_k`` on
    ``inputs`` and compare it with the trained model's map ``Â_0``:

    .. math::
        \\mathrm{SSIM}(\\hat A_0, \\hat A_k), \\qquad \\rho_{\\mathrm{Spearman}}(\\hat A_0, \\hat A_k)

    where ``Â = normalised_abs_map(method(model, inputs, target))``. SSIM is
    :func:`imgsynth_edu.metrics.ssim` (window 11, data range 1), so maps need
    at least 11×11 pixels.

    Args:
        model: any ``nn.Module`` taking ``inputs`` (it is not modified).
        inputs: images ``(N, C, H, W)`` in ``[0, 1]``.
        methods: ``{name: method}``; each ``method(model, inputs, target)``
            returns an ``(N, C, H, W)`` map (``functools.partial`` sets options).
        target: which output number to explain (as for the methods); an
            ``int`` class, or the trained model's predictions for each image.
        seed: seeds the random weights.

    Returns a :class:`RandomisationResult`; judge it with :func:`passes_randomisation_test`.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    check_images(inputs, "inputs")
    if not isinstance(methods, Mapping) or not methods or not all(callable(m) for m in methods.values()):
        raise ValueError("methods must be a non-empty dict {name: method(model, inputs, target)}")
    cascade = list(reversed(randomisable_layers(model, inputs)))  # top layer first
    original = {name: normalised_abs_map(method(model, inputs, target)) for name, method in methods.items()}
    maps = {name: [] for name in methods}  # per step: (N, 1, H, W)
    ssims = {name: [] for name in methods}  # per step: (N,)
    correlations = {name: [] for name in methods}  # per step: (N,)
    randomised_model = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    for layer in cascade:
        _randomise_parameters(randomised_model.get_submodule(layer), generator)  # one more layer random
        for name, method in methods.items():
            randomised = normalised_abs_map(method(randomised_model, inputs, target))  # (N, 1, H, W)
            maps[name].append(randomised)
            ssims[name].append(ssim(randomised, original[name], data_range=1.0, reduction="none").cpu())  # (N,)
            correlations[name].append(spearman_rank_correlation(randomised, original[name]))  # (N,)
    return RandomisationResult(
        layers=cascade,
        original_maps=original,
        randomised_maps=maps,
        ssim={name: torch.stack(values) for name, values in ssims.items()},  # (L, N)
        spearman={name: torch.stack(values) for name, values in correlations.items()},  # (L, N)
    )


def passes_randomisation_test(
    result: RandomisationResult, *, ssim_below: float = PASS_THRESHOLDS["ssim"],
    spearman_below: float = PASS_THRESHOLDS["spearman"],
) -> dict[str, bool]:
    """Which methods pass: their maps change substantially once every layer is random.

    A method **passes** when, at full randomisation, its mean SSIM to the
    original map is below ``ssim_below`` *and* its mean Spearman rank
    correlation is below ``spearman_below`` (both 0.5 by default: the map
    keeps less than half of its structure and of its pixel ordering). The
    paper gives no number; 0.5 is our stated line. A method whose map does
    not depend on the weights at all scores 1 and 1.

    Returns ``{method: True/False}``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(result, RandomisationResult):
        raise TypeError(f"result must be a RandomisationResult (from cascading_randomisation), got {type(result).__name__}")
    final = result.at_full_randomisation()
    return {method: scores["ssim"] < ssim_below and scores["spearman"] < spearman_below for method, scores in final.items()}


__all__ = [
    "PASS_THRESHOLDS",
    "RandomisationResult",
    "cascading_randomisation",
    "passes_randomisation_test",
    "randomisable_layers",
    "spearman_rank_correlation",
]
