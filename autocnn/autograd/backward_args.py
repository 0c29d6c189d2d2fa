"""The arguments of ``Tensor.backward`` and ``autograd.grad``, checked and made into the
gradients the engine starts from (dL/d output: ones for a one-entry output).

Kept apart from ``engine.py`` so the engine reads as the algorithm: every check of what a
caller passed, with a message naming the argument, expected and received, is here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.ops import backend


def root_grad(out: Tensor, gradient: Any, where: str) -> Tensor:
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"{where}: the output has shape {out.data.shape}; a gradient can be created "
                "implicitly only for a one-entry output. Pass gradient= (dL/d output) of "
                "the same shape, or reduce the output first (e.g. .sum())."
            )
        return Tensor._constant(backend.ones(out.data.shape, out.data.dtype))
    if isinstance(gradient, Tensor):
        g = gradient
    else:
        g = Tensor._constant(_numeric_gradient(gradient, out, where))
    if g.data.shape != out.data.shape:
        raise RuntimeError(
            f"{where}: the gradient has shape {g.data.shape}, but the output has shape "
            f"{out.data.shape}; they must match"
        )
    if not backend.keeps_dtype(g.data.dtype, out.data.dtype):
        g = Tensor._constant(g.data.astype(out.data.dtype))
    return g


def tensor_list(value: Any, arg: str) -> list:
    """A Tensor or a sequence of them as a list; anything else a TypeError naming ``arg``."""
    if isinstance(value, Tensor):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"grad: '{arg}' must be a Tensor or a sequence of Tensors, got "
                        f"{type(value).__name__}")
    for i, v in enumerate(value):
        if not isinstance(v, Tensor):
            raise TypeError(f"grad: {arg}[{i}] must be a Tensor, got {type(v).__name__}")
    return list(value)


def _numeric_gradient(gradient: Any, out: Tensor, where: str) -> np.ndarray:
    """``gradient`` as an array of ``out``'s dtype, refusing what is not numbers.

    ``np.array([1, None], dtype=float32)`` is [1, nan] and a string becomes its parsed
    number: without this check a wrong gradient argument would silently give NaN gradients.
    """
    if isinstance(gradient, (str, bytes, bool, np.bool_)) or gradient is None:
        raise TypeError(
            f"{where}: 'gradient' must be a Tensor, an array or numbers, got {gradient!r}"
        )
    try:
        arr = np.asarray(gradient)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{where}: 'gradient' must be a Tensor, an array or numbers "
                        f"({exc})") from exc
    ok = arr.dtype.kind in "iuf" or (backend.is_exact_array(arr)
                                     and backend.is_exact_array(out.data))
    if not ok:
        raise TypeError(
            f"{where}: 'gradient' must hold real numbers, got an array of dtype {arr.dtype} "
            f"({gradient!r:.80})"
        )
    return np.array(arr, dtype=out.data.dtype)


def check_differentiable(out: Tensor, where: str, i: int | None = None) -> None:
    if not out._requires_grad:
        which = "the tensor" if i is None else f"output {i}"
        raise RuntimeError(
            f"{where}: {which} does not require grad and has no grad_fn: it was not "
            "computed from any tensor with requires_grad=True, or it was computed under "
            "no_grad(), so there is nothing to differentiate"
        )


def unaliased(g: Tensor, gradient: Any, create_graph: bool) -> Tensor:
    """``g``, unless it shares the caller's array: ``.grad`` must never alias it.

    Without create_graph a read-only view is enough: ``_owned`` copies it only if it
    reaches a leaf's ``.grad``, so a large upstream gradient (``y.backward(dy)`` on a conv
    output) is not copied for nothing.
    """
    if not (g is gradient or (isinstance(gradient, Tensor) and g.data is gradient.data)):
        return g
    if create_graph:
        return Tensor._constant(g.data.copy())
    view = g.data.view()
    view.flags.writeable = False
    return Tensor._constant(view)
