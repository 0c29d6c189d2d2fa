"""Checking and converting what the explain functions receive: one image, a layer path, a
target class.

Every public function of ``autocnn.explain`` takes ``image`` as one (C, H, W) array or
tensor and a ``layer`` as a module path (``"0"``, ``"features.3"``), so the checks live
here, once, and the errors say what was expected and what was given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.nn.module import Module


def check_model(model: Any, where: str) -> Module:
    """``model`` itself, after checking that it is an ``nn.Module``."""
    if not isinstance(model, Module):
        raise TypeError(f"{where}: 'model' must be an nn.Module, got {type(model).__name__}")
    return model


def model_dtype(model: Module) -> np.dtype:
    """The floating dtype of the model's parameters (float32 when it has none)."""
    for p in model.parameters():
        return p.data.dtype
    return np.dtype(np.float32)


def expected_image_shape(model: Module) -> str:
    """What the first layer accepts, as text: ``(1, H, W)`` for a 1-channel first conv."""
    from autocnn.nn import Conv2d

    for m in model.modules():
        if isinstance(m, Conv2d):
            return f"({m.in_channels}, H, W)"
    return "(C, H, W)"


def as_batch(model: Module, image: Any, where: str) -> np.ndarray:
    """``image`` (one (C, H, W) array or tensor) as a (1, C, H, W) array of the model's dtype."""
    if isinstance(image, Tensor):
        arr = image.data
    else:
        try:
            arr = np.asarray(image)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{where}: 'image' must be a (C, H, W) array or tensor, got "
                            f"{type(image).__name__}") from exc
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{where}: 'image' must hold numbers, got an array of {arr.dtype}")
    expected = expected_image_shape(model)
    if arr.ndim != 3:
        hint = " (one image, not a batch: pass images[i])" if arr.ndim == 4 else ""
        raise ValueError(f"{where}: 'image' must be one image of shape {expected}, got shape "
                         f"{tuple(arr.shape)}{hint}")
    from autocnn.nn import Conv2d

    first = next((m for m in model.modules() if isinstance(m, Conv2d)), None)
    if first is not None and arr.shape[0] != first.in_channels:
        raise ValueError(f"{where}: 'image' must be one image of shape {expected} (the first "
                         f"Conv2d takes {first.in_channels} channels), got shape "
                         f"{tuple(arr.shape)}")
    return np.ascontiguousarray(arr, dtype=model_dtype(model))[None]


def module_paths(model: Module) -> dict[str, Module]:
    """Every sub-module of ``model`` by its dotted path (the root itself not included)."""
    return {name: m for name, m in model.named_modules() if name}


def find_layer(model: Module, layer: Any, where: str) -> Module:
    """The sub-module at path ``layer``; an unknown path lists the valid ones."""
    if isinstance(layer, int) and not isinstance(layer, bool):
        layer = str(layer)
    if not isinstance(layer, str):
        raise TypeError(f"{where}: 'layer' must be a module path such as '0' or 'features.3', "
                        f"got {type(layer).__name__}")
    paths = module_paths(model)
    if layer not in paths:
        listed = ", ".join(f"'{p}' ({type(m).__name__})" for p, m in paths.items())
        raise ValueError(f"{where}: the model has no layer {layer!r}; its layers are: "
                         f"{listed or '(none)'}")
    return paths[layer]


def path_of(model: Module, module: Module) -> str:
    """The dotted path of ``module`` inside ``model`` (``""`` for the model itself)."""
    for name, m in model.named_modules():
        if m is module:
            return name
    raise ValueError(f"explain: {type(module).__name__} is not part of the model")


def check_target(target: Any, num_classes: int, where: str) -> int:
    """``target`` as a class index in ``range(num_classes)``."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise TypeError(f"{where}: 'target' must be a class index (an int) or None, got "
                        f"{type(target).__name__}")
    if not 0 <= int(target) < num_classes:
        raise ValueError(f"{where}: 'target' must be a class index in [0, {num_classes - 1}], "
                         f"got {int(target)}")
    return int(target)


def scores_of(output: Any, where: str) -> Tensor:
    """The model's output for a batch, checked to be (N, num_classes) class scores."""
    if not isinstance(output, Tensor) or output.ndim != 2:
        shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
        raise ValueError(f"{where}: the model must return class scores of shape "
                         f"(N, num_classes), got {shape}")
    return output


@contextlib.contextmanager
def evaluating(model: Module) -> Iterator[Module]:
    """Run ``model`` in evaluation mode and restore every module's mode afterwards.

    Explanations are of the model as it predicts: batch norm uses its running statistics
    (and does not update them), dropout keeps every unit.
    """
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
