"""The elementwise functions NumPy cannot apply to SymPy objects, dispatched in one place.

Primitives call ``backend.exp(x)`` rather than ``np.exp(x)``: for numeric arrays it is the
NumPy ufunc; for object arrays (``autocnn.symbolic`` tensors of SymPy expressions or exact
rationals) it applies the SymPy function entry by entry. Arithmetic (+ − × ÷ **, sum,
matmul) already works on object arrays in NumPy and needs no dispatch.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _is_object(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind == "O"


def _sympy_map(name: str, *arrays: Any) -> np.ndarray:
    import sympy

    fn = getattr(sympy, name)
    out = np.frompyfunc(lambda *v: fn(*(sympy.sympify(e) for e in v)), len(arrays), 1)(*arrays)
    return np.asarray(out, dtype=object)


def exp(x: np.ndarray) -> np.ndarray:
    """e ** x."""
    return _sympy_map("exp", x) if _is_object(x) else np.exp(x)


def log(x: np.ndarray) -> np.ndarray:
    """The natural logarithm."""
    return _sympy_map("log", x) if _is_object(x) else np.log(x)


def tanh(x: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent."""
    return _sympy_map("tanh", x) if _is_object(x) else np.tanh(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if _is_object(x):
        return np.asarray(1 / (1 + _sympy_map("exp", -x)), dtype=object)
    # e^-|x| never overflows; the two branches are the same function rearranged
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


def abs(x: np.ndarray) -> np.ndarray:
    """|x|."""
    return _sympy_map("Abs", x) if _is_object(x) else np.abs(x)


def sign(x: np.ndarray) -> np.ndarray:
    """−1, 0 or 1 (0 at 0)."""
    return _sympy_map("sign", x) if _is_object(x) else np.sign(x)


def maximum(a: Any, b: Any) -> np.ndarray:
    """The larger of a and b, entry by entry."""
    if _is_object(a) or _is_object(b):
        return _sympy_map("Max", a, b)
    return np.maximum(a, b)


def greater(a: Any, b: Any) -> np.ndarray:
    """1 where a > b, else 0: the mask a gradient is routed through.

    For symbolic entries this is the Heaviside step H(a − b) with H(0) = 0, the same
    tie-breaking rule as the numeric mask.
    """
    if _is_object(a) or _is_object(b):
        import sympy

        diff = np.asarray(a - b, dtype=object)
        return np.asarray(
            np.frompyfunc(lambda d: sympy.Heaviside(d, 0), 1, 1)(diff), dtype=object
        )
    return np.greater(a, b)


def full(shape: tuple[int, ...], value: Any, dtype: np.dtype) -> np.ndarray:
    """A new array of ``shape`` filled with ``value``."""
    return np.full(shape, value, dtype=dtype)


def amax(x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """The maximum over ``axis``."""
    if not _is_object(x):
        return np.max(x, axis=axis, keepdims=keepdims)
    import sympy

    smax = np.frompyfunc(lambda u, v: sympy.Max(u, v), 2, 1)
    out = x
    for a in sorted(axis, reverse=True):
        out = smax.reduce(out, axis=a, keepdims=True)
    if not keepdims:
        out = out.reshape([s for i, s in enumerate(x.shape) if i not in axis])
    return np.asarray(out, dtype=object)


def first_max_mask(x: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    """A boolean mask, True at the first maximal entry of each reduced group.

    NOTE: ties are a policy. The gradient of a max goes to the first maximal entry in
    row-major order over the reduced axes, as PyTorch's max_pool2d and max(dim) do.
    """
    if not axis:
        return np.ones(x.shape, dtype=bool)
    kept = [a for a in range(x.ndim) if a not in axis]
    moved = np.transpose(x, kept + list(axis))
    groups = moved.reshape(*moved.shape[: len(kept)], -1)
    try:
        winner = np.argmax(groups, axis=-1)
    except TypeError as exc:  # symbols have no order
        raise TypeError(
            "max: the arg-max of symbolic entries is not defined; use exact numbers "
            "(sympy.Rational) for the max, or sympy.diff of sympy.Max for the formula"
        ) from exc
    mask = np.zeros(groups.shape, dtype=bool)
    np.put_along_axis(mask, winner[..., None], True, axis=-1)
    mask = mask.reshape(moved.shape)
    inverse = np.argsort(kept + list(axis))
    return np.transpose(mask, inverse)


def isfinite(x: np.ndarray) -> np.ndarray:
    """True where x is neither nan nor ±inf (object arrays: always True)."""
    if _is_object(x):
        return np.ones(x.shape, dtype=bool)
    return np.isfinite(x)
