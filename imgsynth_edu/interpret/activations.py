"""Look inside a network: record what its named layers output, with forward hooks.

Every ``nn.Module`` inside a model has a dotted name (``"conv1"``,
``"body.0.body.2"``: see ``model.named_modules()``). PyTorch lets us attach a
*forward hook* to any of them: a function called with ``(module, input,
output)`` each time the module runs. Recording ``output`` gives the layer's
activations without changing the model's code.

* :func:`record_activations` - a ``with`` block that records while you run the model;
* :func:`get_activations` - one forward pass, returns ``{layer_name: tensor}``;
* :func:`layer_names` - the names you may ask for.

The hooks are always removed when the ``with`` block ends, even when the
forward pass raises, so the model is left exactly as it was found.

Lesson: ``08_what_networks_see.ipynb``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn


def layer_names(model: nn.Module) -> list[str]:
    """The dotted names of every sub-module of ``model`` (what the functions below accept).

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return [name for name, _ in model.named_modules() if name]  # "" is the model itself


def _resolve_layers(model: nn.Module, names: Sequence[str]) -> dict[str, nn.Module]:
    """``{name: module}`` for ``names``; an unknown name is an error that lists the known ones."""
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not names or not all(isinstance(name, str) for name in names):
        raise ValueError(f"layer_names must be a non-empty list of layer names (str), got {names!r}")
    modules = dict(model.named_modules())
    unknown = [name for name in names if name not in modules or name == ""]
    if unknown:
        raise ValueError(
            f"layer_names contains {unknown!r}, which {type(model).__name__} does not have; "
            f"available layer names: {', '.join(layer_names(model))}"
        )
    return {name: modules[name] for name in names}


def _detached_copy(output):
    """A detached copy of a module's output (a tensor, or a tuple/list of tensors).

    The copy matters: an in-place layer that runs next (``nn.ReLU(inplace=True)``,
    as in DCGAN) would otherwise overwrite the tensor we recorded.
    """
    if isinstance(output, torch.Tensor):
        return output.detach().clone()
    if isinstance(output, (tuple, list)):
        return type(output)(_detached_copy(item) for item in output)
    return output


@contextmanager
def record_activations(model: nn.Module, layer_names: Sequence[str] | str) -> Iterator[dict[str, torch.Tensor]]:
    """Record the outputs of the named layers while the ``with`` block runs the model.

    Usage::

        with record_activations(classifier, ["conv1", "conv2"]) as activations:
            classifier(digits)
        activations["conv1"].shape   # (N, 32, 28, 28)

    Yields a dict that the hooks fill: ``{layer_name: output}``, detached
    copies of each layer's output on its most recent call (a layer called
    twice keeps the second call's output). Unknown names raise a
    ``ValueError`` that lists the available names. The hooks are removed when
    the block ends, also when it ends with an error.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers = _resolve_layers(model, layer_names)
    recorded: dict[str, torch.Tensor] = {}
    handles = []

    def make_hook(name: str):
        def hook(module, inputs, output):
            recorded[name] = _detached_copy(output)

        return hook

    try:
        for name, module in layers.items():
            handles.append(module.register_forward_hook(make_hook(name)))
        yield recorded
    finally:
        for handle in handles:
            handle.remove()


def get_activations(model: nn.Module, inputs: torch.Tensor, layer_names: Sequence[str] | str) -> dict[str, torch.Tensor]:
    """Run ``model(inputs)`` once (no gradients) and return ``{layer_name: activations}``.

    ``inputs`` is whatever the model takes (images ``(N, C, H, W)`` in
    ``[0, 1]`` for the course's classifiers and restorers, latents ``(N, Z)``
    for a generator). Each value has the layer's output shape, e.g.
    ``(N, 32, 28, 28)`` for the digit classifier's ``conv1``.

    Lesson: ``08_what_networks_see.ipynb``.
    """
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor, got {type(inputs).__name__}")
    with record_activations(model, layer_names) as recorded, torch.no_grad():
        model(inputs)
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    missing = [name for name in names if name not in recorded]
    if missing:
        raise RuntimeError(
            f"layers {missing!r} exist but did not run in model(inputs) "
            "(a module that forward() never calls records nothing)"
        )
    return {name: recorded[name] for name in names}


__all__ = ["get_activations", "layer_names", "record_activations"]
