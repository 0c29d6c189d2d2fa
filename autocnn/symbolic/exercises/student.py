"""Running a student's backward: a ``Function`` subclass or a plain function of arrays.

Whatever goes wrong inside the student's code (an exception, a wrong number of gradients,
something that is not an array) becomes a :class:`StudentError` whose message says what
happened and where in the student's code, so the checker reports it instead of crashing.
"""

from __future__ import annotations

import inspect
import traceback
from typing import Any

import numpy as np

from autocnn.autograd.engine import Function
from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.exercises.specs import OpSpec


class StudentError(Exception):
    """The student's code raised or returned something the checker cannot use."""


def describe_exception(exc: BaseException) -> str:
    """``ZeroDivisionError: division by zero (line 12 of conv2d_backward: dx = g / 0)``.

    The location is the innermost frame outside the autocnn package (the student's code),
    so the message points at the student's line, not at the library.
    """
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "/autocnn/" not in f.filename.replace("\\", "/")]
    if own:
        f = own[-1]
        code = f" : {f.line.strip()}" if f.line else ""
        where = f" (line {f.lineno} of {f.name}{code})"
    text = str(exc)
    text = text if len(text) <= 300 else text[:300] + "…"
    return f"{type(exc).__name__}: {text}{where}"


def run_student(backward: Any, spec: OpSpec, arrays: list[np.ndarray], grad: np.ndarray,
                params: dict[str, Any]) -> tuple[list[Any], Any]:
    """The student's gradients (and, for a Function, its forward output), one per input.

    ``backward`` is a ``Function`` subclass or a plain function (see the package
    docstring). Raises ``TypeError`` when ``backward`` is neither, :class:`StudentError`
    when the student's code fails.
    """
    if inspect.isclass(backward) and issubclass(backward, Function):
        try:
            tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
            out = backward.apply(*tensors, **params)
            out.backward(Tensor(np.asarray(grad, dtype=out.dtype)))
        except Exception as exc:
            raise StudentError(f"your Function raised {describe_exception(exc)}") from exc
        return [None if t.grad is None else t.grad.data for t in tensors], out.data
    if not callable(backward):
        raise TypeError(f"check_backward: 'backward' must be a Function subclass or a function "
                        f"backward(grad_output, *inputs, **params), got {type(backward).__name__}")
    try:
        result = backward(grad.copy(), *[a.copy() for a in arrays], **params)
    except Exception as exc:
        raise StudentError(f"your backward raised {describe_exception(exc)}") from exc
    if result is None:
        raise StudentError(f"the backward returned None; it must return one gradient array "
                           f"per input ({', '.join(spec.inputs)}) — is a 'return' missing?")
    if isinstance(result, (str, bytes)):
        raise StudentError(f"the backward returned {type(result).__name__} {result!r:.60}; "
                           f"expected one gradient array per input ({', '.join(spec.inputs)})")
    if isinstance(result, np.ndarray) or np.isscalar(result):
        result = (result,)
    try:
        result = list(result)
    except TypeError:
        raise StudentError(f"the backward returned {type(result).__name__}, expected one "
                           f"gradient per input ({', '.join(spec.inputs)})") from None
    if len(result) != len(arrays):
        raise StudentError(f"the backward returned {len(result)} gradients, expected "
                           f"{len(arrays)} (one per input: {', '.join(spec.inputs)})")
    out = []
    for name, r in zip(spec.inputs, result):
        try:
            out.append(None if r is None else _as_grad_array(r))
        except (TypeError, ValueError) as exc:
            raise StudentError(f"the gradient for {name} is not an array of numbers "
                               f"({type(r).__name__}: {exc})") from None
    return out, None


def _as_grad_array(r: Any) -> np.ndarray:
    """A returned gradient as a float64 (or exact object) array; anything else refused."""
    arr = np.asarray(r.data if isinstance(r, Tensor) else r)
    if arr.dtype.kind not in "biufO" or (
            arr.dtype == object and any(isinstance(v, (str, bytes)) or v is None
                                        for v in arr.reshape(-1))):
        raise TypeError(f"it must hold real numbers, got {arr.dtype} {r!r:.60}")
    return arr if arr.dtype == object else arr.astype(np.float64)
