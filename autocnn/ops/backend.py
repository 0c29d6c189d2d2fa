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


def first_max_mask(
    x: np.ndarray, axis: tuple[int, ...], maximum: np.ndarray | None = None
) -> np.ndarray:
    """A boolean mask, True at the first maximal entry of each reduced group.

    NOTE: ties are a policy. The gradient of a max goes to the first maximal entry in
    row-major order over the reduced axes, as PyTorch's max_pool2d and max(dim) do.
    ``maximum``, if given, is ``amax(x, axis, keepdims=True)`` already computed.
    """
    if not axis:
        return np.ones(x.shape, dtype=bool)
    if not _is_object(x) and _group_size(x, axis) <= _SLAB_GROUPS:
        mask = _first_max_mask_slabs(x, axis, maximum)
        if mask is not None:
            return mask
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
    mask = np.transpose(mask, inverse)
    if _is_object(x):  # SymPy cannot multiply by NumPy booleans: exact 0 and 1 instead
        import sympy

        return np.where(mask, sympy.S.One, sympy.S.Zero).astype(object)
    return mask


#: groups of at most this many entries (pooling windows up to 4×4) take the slab loop below
_SLAB_GROUPS = 16


def _group_size(x: np.ndarray, axis: tuple[int, ...]) -> int:
    size = 1
    for a in axis:
        size *= x.shape[a]
    return size


def _first_max_mask_slabs(
    x: np.ndarray, axis: tuple[int, ...], maximum: np.ndarray | None
) -> np.ndarray | None:
    """first_max_mask for small groups: one pass per group entry, each over a whole slab.

    An argmax over a transposed view of small groups (a pooling window) is very slow in
    NumPy; comparing the k slabs ``x[..., i, ...]`` with the maximum, in row-major order,
    and keeping only hits not already taken is the same rule at elementwise speed.
    Returns None (use the argmax path) when a group holds a NaN: np.max then returns NaN,
    which equals nothing, while argmax's rule (the first NaN wins) is what we keep.
    """
    if maximum is None:
        maximum = np.max(x, axis=axis, keepdims=True)
    if maximum.dtype.kind in "fc" and np.isnan(maximum).any():
        return None
    mask = np.empty(x.shape, dtype=bool)
    taken = None
    index: list[Any] = [slice(None)] * x.ndim
    for position in np.ndindex(*(x.shape[a] for a in axis)):
        for a, i in zip(axis, position):
            index[a] = slice(i, i + 1)
        hit = mask[tuple(index)]
        np.equal(x[tuple(index)], maximum, out=hit)
        if taken is None:
            taken = hit.copy()
        else:
            np.greater(hit, taken, out=hit)  # hit and not taken
            np.logical_or(taken, hit, out=taken)
    return mask


def isfinite(x: np.ndarray) -> np.ndarray:
    """True where x is neither nan nor ±inf (object arrays: always True)."""
    if _is_object(x):
        return np.ones(x.shape, dtype=bool)
    return np.isfinite(x)


# ---------------------------------------------------------------------- the engine's exact cases
#: dtype kinds that can carry gradients: floating, complex, and object (exact SymPy entries)
DIFFERENTIABLE_KINDS = "fcO"


def is_exact_array(x: Any) -> bool:
    """True for an object array (entries are SymPy expressions or exact numbers)."""
    return _is_object(x)


def exact_constants(arrays: list) -> list:
    """Float constants meeting an object (SymPy) array become exact rationals.

    Otherwise ``Rational(1, 3) + 1e-5`` is a 15-digit SymPy Float and an exact gradient
    check of, say, batch norm (ε = 1e-5) would silently lose its exactness.
    """
    for x in arrays:  # a plain loop: this runs for every op with a constant (relu, x * 2)
        if type(x) is np.ndarray and x.dtype.kind == "O":
            break
    else:
        return arrays
    import sympy

    return [(sympy.Rational(repr(float(x))) if np.isfinite(x) else sympy.sympify(float(x)))
            if isinstance(x, float) else x for x in arrays]


def is_exact_scalar(out: Any) -> bool:
    """A SymPy expression or a fractions.Fraction (what a full reduction of an object array
    returns instead of a 0-d array)."""
    import fractions

    return isinstance(out, fractions.Fraction) or type(out).__module__.startswith("sympy.")


def ones(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Ones of ``dtype``; for object arrays the exact SymPy 1 (Python's 1 / 3 is a float)."""
    out = np.ones(shape, dtype=dtype)
    if out.dtype.kind == "O":
        import sympy

        out[...] = sympy.S.One
    return out


def keeps_dtype(a: np.dtype, b: np.dtype) -> bool:
    """True when a gradient of dtype ``a`` may stay as it is for a tensor of dtype ``b``:
    the same dtype, or either side exact (object entries are not cast)."""
    return a == b or a.kind == "O" or b.kind == "O"
