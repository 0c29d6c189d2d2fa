"""Exact arithmetic: the only module of the engine that knows about SymPy.

``autocnn.symbolic`` tensors hold object arrays of SymPy expressions or exact rationals, and
every primitive runs on them. NumPy already does arithmetic (+ − × ÷ **, sum, matmul) on
object arrays; everything else that needs a special case for them is here, and nowhere
else in ``autocnn/autograd/`` or ``autocnn/ops/``:

- elementwise functions: primitives call ``backend.exp(x)`` rather than ``np.exp(x)`` —
  the NumPy ufunc for numeric arrays, the SymPy function entry by entry for object arrays;
- the engine's exact cases: float constants made exact rationals (``exact_constants``:
  batch norm's ε, pad values, ``x * 0.5``), exact ones for the seed gradient, dtypes that
  are never cast (``keeps_dtype``), which arrays may become tensors (``is_exact_entries``),
  comparisons that give SymPy relations, masks of exact 0 and 1.
"""

from __future__ import annotations

import math
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
    return _sympy_reduce("Max", x, axis, keepdims)


def amin(x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """The minimum over ``axis``."""
    if not _is_object(x):
        return np.min(x, axis=axis, keepdims=keepdims)
    return _sympy_reduce("Min", x, axis, keepdims)


def _sympy_reduce(name: str, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """``sympy.Max`` or ``sympy.Min`` folded over ``axis`` of an object array."""
    import sympy

    pairwise = np.frompyfunc(getattr(sympy, name), 2, 1)
    out = x
    for a in sorted(axis, reverse=True):
        out = pairwise.reduce(out, axis=a, keepdims=True)
    if not keepdims:
        out = out.reshape([s for i, s in enumerate(x.shape) if i not in axis])
    return np.asarray(out, dtype=object)


def exact_mask(mask: np.ndarray) -> np.ndarray:
    """A boolean mask as exact SymPy 0 and 1 (SymPy cannot multiply by NumPy booleans)."""
    import sympy

    return np.where(mask, sympy.S.One, sympy.S.Zero).astype(object)


def unordered_error(op: str) -> TypeError:
    """The error for an arg-max over symbols, which have no order."""
    return TypeError(
        f"{op}: the arg-max of symbolic entries is not defined; use exact numbers "
        "(sympy.Rational) for the max, or sympy.diff of sympy.Max for the formula"
    )


def erf(x: np.ndarray) -> np.ndarray:
    """The Gauss error function: SymPy's for symbolic entries, ``math.erf`` for numbers.

    NumPy has no erf ufunc; ``math.erf`` is exact to the last bit and fast enough for the
    activations of a teaching-sized network.
    """
    if _is_object(x):
        return _sympy_map("erf", x)
    return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)


def two_over_sqrt_pi(like: np.ndarray) -> Any:
    """2/√π (the slope of erf at 0): exact when ``like`` holds exact entries."""
    if _is_object(like):
        import sympy

        return 2 / sympy.sqrt(sympy.pi)
    return 2.0 / math.sqrt(math.pi)


def isfinite(x: np.ndarray) -> np.ndarray:
    """True where x is neither nan nor ±inf (object arrays: always True)."""
    if _is_object(x):
        return np.ones(x.shape, dtype=bool)
    return np.isfinite(x)


# ---------------------------------------------------------------------- the engine's exact cases
#: the dtype kind of exact (SymPy) entries
EXACT_KIND = "O"
#: dtype kinds that can carry gradients: floating, and object (exact SymPy entries); complex
#: is refused (its gradients would need PyTorch's conjugate convention, which no rule follows)
DIFFERENTIABLE_KINDS = "fO"


def is_exact_array(x: Any) -> bool:
    """True for an object array (entries are SymPy expressions or exact numbers)."""
    return _is_object(x)


def is_exact_entries(arr: np.ndarray) -> bool:
    """True if an object array holds only SymPy expressions or exact numbers (the object
    arrays that may become tensors)."""
    import fractions
    import numbers

    import sympy

    # complex numbers are Numbers too, but no rule differentiates them (see DIFFERENTIABLE_KINDS)
    return all(isinstance(v, (sympy.Basic, fractions.Fraction, numbers.Number))
               and not isinstance(v, (complex, np.complexfloating))
               for v in arr.reshape(-1))


def compare(op: str, a: Any, b: Any) -> np.ndarray:
    """A comparison of exact entries as an object array of SymPy relations (``x_0 > 0``):
    ``op`` is "lt", "le", "gt", "ge", "eq" or "ne"."""
    import operator

    import sympy

    if op in ("eq", "ne"):
        rel = sympy.Eq if op == "eq" else sympy.Ne
        fn = np.frompyfunc(lambda u, v: rel(u, v), 2, 1)
    else:
        fn = np.frompyfunc(getattr(operator, op), 2, 1)
    return np.asarray(fn(a, b), dtype=object)


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


def exact_ratio(p: int, q: int) -> Any:
    """The exact rational p/q (a SymPy number)."""
    import sympy

    return sympy.Rational(p, q)


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
