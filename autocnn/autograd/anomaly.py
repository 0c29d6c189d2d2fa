"""``detect_anomaly``: stop at the first NaN or inf, and say which primitive made it.

Inside the block every op checks its output and every backward its gradients. A forward
failure names the primitive, the line of user code that called it, and the input values at
the offending index (``Log received 0.0 at (3,)``); a backward failure names the primitive,
the input whose gradient went bad, and where the node was created. The checks cost a pass
over every array, so anomaly mode is for debugging, not for training runs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from autocnn.autograd import grad_mode, hooks


class detect_anomaly:  # noqa: N801 - a context manager named like PyTorch's
    """Raise ``RuntimeError`` at the first NaN/inf produced in forward or backward.

    Use as ``with detect_anomaly(): ...`` or as a decorator ``@detect_anomaly()``.
    """

    def __init__(self, enabled: bool = True) -> None:
        self._mode = bool(enabled)
        self._saved: list[bool] = []

    def __enter__(self) -> detect_anomaly:
        self._saved.append((grad_mode.anomaly, hooks.add_observer(_BackwardChecks())))
        grad_mode.anomaly = self._mode
        return self

    def __exit__(self, *exc: object) -> None:
        grad_mode.anomaly, handle = self._saved.pop()
        handle.remove()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self._mode):
                return func(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return grad_mode.anomaly


#: the nodes whose backward is running under anomaly mode, innermost last
_running: list[Any] = []


class _BackwardChecks:
    """The engine observer ``detect_anomaly`` installs: checks every backward's result."""

    def before_node(self, node: Any, grad_output: Any) -> None:
        del _running[:]  # a pass interrupted by an error left its node here
        if grad_mode.anomaly:
            _running.append(node)

    def after_node(self, node: Any, grad_output: Any, grads: tuple) -> None:
        if _running:
            _running.pop()
        if grad_mode.anomaly:
            check_backward(node, grads)


# ---------------------------------------------------------------------- the checks
def _user_frame() -> str:
    """The innermost line of code outside autocnn's own package (who called the op)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if _PACKAGE_DIR not in filename:
            import linecache

            line = linecache.getline(filename, frame.f_lineno).strip()
            return f"{filename}:{frame.f_lineno}: {line}"
        frame = frame.f_back
    return "<unknown>"


def _bad_indices(arr: np.ndarray, limit: int = 3) -> list[tuple[int, ...]]:
    bad = np.argwhere(~np.isfinite(arr))
    return [tuple(int(i) for i in row) for row in bad[:limit]]


def _value_at(arr: Any, index: tuple[int, ...], out_shape: tuple[int, ...]) -> str | None:
    """The input's value at an output index, when the input broadcasts elementwise to it."""
    if not isinstance(arr, np.ndarray):
        return repr(arr) if isinstance(arr, (int, float)) else None
    if arr.ndim > len(out_shape):
        return None
    offset = len(out_shape) - arr.ndim
    idx = []
    for axis, size in enumerate(arr.shape):
        out_size = out_shape[offset + axis]
        if size == out_size:
            idx.append(index[offset + axis])
        elif size == 1:
            idx.append(0)
        else:
            return None
    return repr(arr[tuple(idx)].item()) if arr.dtype.kind in "fiub" else None


def after_forward(cls: type, ctx: Any, arrays: list, out: np.ndarray, record: bool) -> None:
    """``Function.apply`` under anomaly mode: remember where a recorded node was made,
    and raise if the op produced a NaN or inf."""
    if record:
        ctx._stack = _user_frame()
    if out.dtype.kind not in "fc" or np.isfinite(out).all():
        return
    indices = _bad_indices(out)
    first = indices[0] if indices else ()
    kind = "nan" if np.isnan(out[first]) else "inf"
    lines = [
        f"detect_anomaly: {cls.__name__} produced {kind} at index {first} of its output "
        f"(shape {out.shape}).",
        f"  called from {_user_frame()}",
    ]
    if _running:  # inside a backward rule: say which one
        node = _running[-1]
        where = node._stack or "<created outside anomaly mode>"
        lines.append(f"  while computing the backward of {node.name}, created at {where}")
    for i, arr in enumerate(arrays):
        value = _value_at(arr, first, out.shape)
        if value is not None:
            lines.append(f"  input {i} of {cls.__name__.lower()} received {value} at {first}")
        elif isinstance(arr, np.ndarray) and arr.dtype.kind == "f" and not np.isfinite(arr).all():
            lines.append(f"  input {i} already held nan/inf at {_bad_indices(arr)}")
    params = ctx.describe()
    if params:
        lines.append(f"  parameters: {params}")
    raise RuntimeError("\n".join(lines))


def check_backward(node: Any, grads: tuple) -> None:
    """Raise if a backward (under anomaly mode) returned a NaN or inf gradient."""
    from autocnn.autograd.tensor import Tensor

    for i, g in enumerate(grads):
        if g is None:
            continue
        arr = g.data if isinstance(g, Tensor) else np.asarray(g)
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            first = _bad_indices(arr)[0]
            kind = "nan" if np.isnan(arr[first]) else "inf"
            raise RuntimeError(
                f"detect_anomaly: the backward of {node.name} returned {kind} in the gradient "
                f"of its input {i} at index {first}.\n"
                f"  {node.name} was created at {node._stack or '<created outside anomaly mode>'}"
            )


_PACKAGE_DIR = __file__.rsplit("autograd", 1)[0]
