"""Running a student's backward: a ``Function`` subclass or a plain function of arrays."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from autocnn.autograd.function import Function
from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.exercises.specs import OpSpec


def run_student(backward: Any, spec: OpSpec, arrays: list[np.ndarray], grad: np.ndarray,
                 params: dict[str, Any]) -> tuple[list[Any], Any]:
    """The student's gradients (and, for a Function, its forward output), one per input.

    ``backward`` is a ``Function`` subclass or a plain function (see the package docstring).
    """
    if inspect.isclass(backward) and issubclass(backward, Function):
        tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = backward.apply(*tensors, **params)
        out.backward(Tensor(np.asarray(grad, dtype=out.dtype)))
        return [None if t.grad is None else t.grad.data for t in tensors], out.data
    if not callable(backward):
        raise TypeError(f"check_backward: 'backward' must be a Function subclass or a function "
                        f"backward(grad_output, *inputs, **params), got {type(backward).__name__}")
    result = backward(grad.copy(), *[a.copy() for a in arrays], **params)
    if isinstance(result, np.ndarray) or np.isscalar(result):
        result = (result,)
    result = list(result)
    if len(result) != len(arrays):
        raise ValueError(f"check_backward {spec.name}: the backward returned {len(result)} "
                         f"gradients, expected {len(arrays)} (one per input: "
                         f"{', '.join(spec.inputs)})")
    return [None if r is None else _as_grad_array(r) for r in result], None


def _as_grad_array(r: Any) -> np.ndarray:
    arr = np.asarray(r)
    return arr if arr.dtype == object else arr.astype(np.float64)


