"""``activations`` and ``activation_grads``: what every module of a model outputs for one
image, and how the chosen class score changes with each of those outputs.

Both work on any ``Module`` tree (not only ``Sequential``): a forward hook on every
sub-module records its output during one forward pass; for the gradients, one backward pass
(``autocnn.autograd.grad``, which leaves every ``.grad`` untouched) differentiates the score
with respect to all recorded outputs at once. ``activations`` records no graph at all.

A module called several times in one forward (one ``ReLU`` object reused, say) gives one
entry per call: ``"relu"``, ``"relu (call 2)"``, ...
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autocnn.autograd import grad as autograd_grad
from autocnn.autograd.grad_mode import enable_grad, no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import (
    as_batch,
    check_model,
    check_target,
    evaluating,
    module_paths,
    scores_of,
)
from autocnn.nn.module import Module

#: what ``target`` may be: a class index, None (the predicted class), or a function of the
#: model's output (N, num_classes) that returns the scalar to differentiate
Target = int | None | Callable[[Tensor], Tensor]


@contextlib.contextmanager
def recording(model: Module, only: set[str] | None = None
              ) -> Iterator[OrderedDict[str, tuple[Module, tuple, Any]]]:
    """Record (module, inputs, output) of every sub-module call, in the order calls finish.

    ``only`` limits the recording to those paths. The hooks are removed on leaving.
    """
    record: OrderedDict[str, tuple[Module, tuple, Any]] = OrderedDict()
    handles = []

    def hook_for(path: str) -> Callable[[Module, tuple, Any], None]:
        def hook(module: Module, inputs: tuple, output: Any) -> None:
            key, call = path, 1
            while key in record:
                call += 1
                key = f"{path} (call {call})"
            record[key] = (module, inputs, output)
        return hook

    try:
        for path, module in module_paths(model).items():
            if only is None or path in only:
                handles.append(module.register_forward_hook(hook_for(path)))
        yield record
    finally:
        for h in handles:
            h.remove()


def score(output: Tensor, target: Target, where: str) -> tuple[Tensor, int | None]:
    """The scalar to differentiate: the chosen class score summed over the batch (each image
    of the batch keeps its own gradient), and the class index used (None for a function)."""
    output = scores_of(output, where)
    if callable(target):
        value = target(output)
        if not isinstance(value, Tensor) or value.size != 1:
            raise ValueError(f"{where}: a function 'target' must return a scalar Tensor, got "
                             f"{getattr(value, 'shape', type(value).__name__)}")
        return value.sum(), None
    if target is None:
        target = int(np.argmax(output.data[0]))
    target = check_target(target, output.shape[1], where)
    return output[:, target].sum(), target


def _array(value: Any) -> np.ndarray | None:
    return value.data[0] if isinstance(value, Tensor) and value.ndim >= 1 else None


def activations(model: Module, image: Any) -> OrderedDict[str, np.ndarray]:
    """The output of every module of ``model`` for one image, by module path.

    ``image`` is one (C, H, W) array or tensor. The result maps each module path (``"0"``,
    ``"features.3"``; the model itself is not listed) to its output for that image, without
    the batch axis: a conv layer's entry is (C_out, H_out, W_out), the classifier's
    (num_classes,). Runs in evaluation mode and records no graph.

    Example::

        acts = explain.activations(model, images[0])
        acts["0"].shape          # (8, 28, 28): the first conv's feature maps
    """
    model = check_model(model, "explain.activations")
    batch = as_batch(model, image, "explain.activations")
    with evaluating(model), no_grad(), recording(model) as record:
        model(Tensor(batch))
    return OrderedDict((path, _array(out)) for path, (_, _, out) in record.items()
                       if _array(out) is not None)


def activation_grads(model: Module, image: Any, target: Target = None
                     ) -> OrderedDict[str, np.ndarray]:
    """The gradient of the class score with respect to every module's output, by path.

    ``target`` is a class index (the score differentiated is that class's logit, before the
    softmax), ``None`` for the predicted class, or a function of the model's output
    (N, num_classes) returning a scalar tensor. One forward and one backward pass; the
    parameters' ``.grad`` are not touched. Entries have the shapes ``activations`` gives.

    Example::

        grads = explain.activation_grads(model, images[0], target=3)
        grads["9"]               # one-hot at class 3: d score_3 / d logits
    """
    model = check_model(model, "explain.activation_grads")
    batch = as_batch(model, image, "explain.activation_grads")
    with evaluating(model), enable_grad(), recording(model) as record:
        # the image requires grad so that every module output is part of the graph
        output = model(Tensor(batch, requires_grad=True))
    s, _ = score(output, target, "explain.activation_grads")
    paths = [p for p, (_, _, out) in record.items()
             if isinstance(out, Tensor) and out.requires_grad and out.ndim >= 1]
    # A container returns its last child's output tensor itself: ask for each tensor once
    # (the engine keys the tensors it differentiates by their graph node).
    unique: dict[int, int] = {}
    tensors: list[Tensor] = []
    for p in paths:
        out = record[p][2]
        if id(out) not in unique:
            unique[id(out)] = len(tensors)
            tensors.append(out)
    grads = autograd_grad(s, tensors, allow_unused=True)
    result: OrderedDict[str, np.ndarray] = OrderedDict()
    for path in paths:
        out = record[path][2]
        g = grads[unique[id(out)]]
        # an output the score does not depend on has gradient zero, not "missing"
        result[path] = np.zeros(out.shape[1:], out.data.dtype) if g is None else g.data[0]
    return result
