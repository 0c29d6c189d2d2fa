"""Symbolic and exact tensors: the inputs of every symbolic computation.

A symbolic tensor is an ordinary ``Tensor`` whose ``.data`` is an object array of SymPy
expressions. The engine needs nothing special to run on it: NumPy applies + − × ÷ ** and
matmul entry by entry, and the few functions it cannot apply to objects (exp, log, max, …)
dispatch to SymPy in ``autocnn/ops/backend.py``. So ``y.backward()`` on such a tensor builds
the exact gradient formula with the very same backward rules the numeric engine uses.

This file also holds the helpers every other file of ``autocnn.symbolic`` shares: the bound
on problem sizes, converting floats to exact rationals, and reading entries back.
"""

from __future__ import annotations

import fractions
import itertools
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor

#: symbolic work grows fast with size; more entries than this are refused with advice
MAX_ENTRIES = 400


def check_size(shapes: Sequence[tuple[int, ...]], where: str, limit: int = MAX_ENTRIES) -> None:
    """Refuse problems too large for exact symbolic work, suggesting smaller shapes."""
    total = sum(int(np.prod(s, dtype=np.int64)) for s in shapes)
    if total > limit:
        listed = ", ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"{where}: the inputs {listed} have {total} entries in total, more than the "
            f"{limit} that symbolic work handles quickly; use smaller shapes, such as "
            "(1, 1, 3, 3) for an image or (2, 3) for a batch of vectors"
        )


def _as_shape(shape: Any, where: str) -> tuple[int, ...]:
    # Entries must be ints: int(2.5) is 2, and a check "proved" on shape (2,) would be
    # reported for the (2.5,) the user typed.
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"{where}: expected a shape (a tuple of ints), got {shape!r}")
    out = tuple(int(s) for s in shape)
    if any(s < 0 for s in out):
        raise ValueError(f"{where}: shape entries must be non-negative, got {out}")
    return out


def symbol_array(name: str, shape: Any, real: bool = True) -> np.ndarray:
    """An object array of SymPy symbols named ``name_i_j`` (``name`` alone for shape ())."""
    shape = _as_shape(shape, "symbolic.symbols")
    arr = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        label = name if not idx else name + "_" + "_".join(str(i) for i in idx)
        arr[idx] = sympy.Symbol(label, real=real)
    return arr


def symbols(name: str, shape: Any, requires_grad: bool = True) -> Tensor:
    """A tensor of SymPy symbols ``name_0_1``, … of ``shape``, requiring grad.

    Every primitive runs on it forward and backward, so after ``y.backward()`` the ``.grad``
    of this tensor holds exact gradient formulas::

        x = symbolic.symbols("x", (3,))
        (x * x).sum().backward()
        x.grad          # tensor([2*x_0, 2*x_1, 2*x_2], dtype=object)
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"symbolic.symbols: 'name' must be an identifier, got {name!r}")
    shape = _as_shape(shape, "symbolic.symbols")
    check_size([shape], "symbolic.symbols")
    return Tensor(symbol_array(name, shape), requires_grad=requires_grad)


def to_exact(value: Any) -> Any:
    """An exact SymPy number for a Python/NumPy number, Fraction or SymPy expression."""
    if isinstance(value, sympy.Basic):
        return rationalize(value)
    if isinstance(value, fractions.Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, (bool, np.bool_)):
        return sympy.Integer(int(value))
    if isinstance(value, (numbers.Integral, np.integer)):
        return sympy.Integer(int(value))
    if isinstance(value, (numbers.Real, np.floating)):
        if not np.isfinite(float(value)):
            return sympy.sympify(float(value))  # ±oo or nan
        # the shortest decimal that reads back as this float: 0.1 → 1/10, not 3602879…/2^55
        return sympy.Rational(repr(float(value)))
    raise TypeError(f"symbolic: cannot make an exact number from {type(value).__name__} {value!r}")


def exact(data: Any, requires_grad: bool = True) -> Tensor:
    """A tensor of exact rationals (SymPy ``Rational``) made from numbers or Fractions.

    Floats are read as the shortest decimal they print as (0.1 → 1/10). On such a tensor the
    forward and backward passes make no round-off at all, so gradients are exact.
    """
    if isinstance(data, Tensor):
        data = data.data
    arr = np.asarray(data, dtype=object)
    shape = arr.shape
    check_size([shape], "symbolic.exact")
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = to_exact(arr[idx])
    return Tensor(out, requires_grad=requires_grad)


def rationalize(expr: Any) -> Any:
    """``expr`` with every SymPy Float replaced by the exact rational it prints as.

    Engine code written for floats (``x ** 0.5``, ``eps=1e-5``) puts Floats into symbolic
    formulas; replacing them by 1/2 and 1/100000 lets SymPy cancel terms exactly.
    """
    expr = sympy.sympify(expr)
    floats = expr.atoms(sympy.Float)
    if not floats:
        return expr
    return expr.xreplace({f: sympy.Rational(repr(float(f))) for f in floats})


def entries(value: Any) -> np.ndarray:
    """The entries of a tensor, array or scalar as an object array of exact SymPy values."""
    if isinstance(value, Tensor):
        value = value.data
    arr = np.asarray(value, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(*arr.shape):
        v = arr[idx]
        out[idx] = rationalize(v) if isinstance(v, sympy.Basic) else to_exact(v)
    return out


def random_rationals(
    shape: tuple[int, ...], rng: np.random.Generator, denominator: int = 7, spread: int = 3
) -> np.ndarray:
    """Distinct exact rationals p/denominator in (−spread, spread), zero avoided.

    Distinct values keep maxima free of ties and nonzero values keep ReLU away from its kink,
    so derivatives at these points are the unambiguous ones.
    """
    size = int(np.prod(shape, dtype=np.int64))
    pool = [p for p in range(-spread * denominator + 1, spread * denominator) if p != 0]
    if size > len(pool):
        pool = [p for p in range(-size - 1, size + 2) if p != 0]
    chosen = rng.choice(len(pool), size=size, replace=False)
    out = np.empty(size, dtype=object)
    for k, c in enumerate(chosen):
        out[k] = sympy.Rational(pool[int(c)], denominator)
    return out.reshape(shape)


def index_name(idx: tuple[int, ...]) -> str:
    """``[0, 1, 2]`` style text for an entry's index."""
    return "[" + ", ".join(str(i) for i in idx) + "]"


def all_indices(shape: tuple[int, ...]) -> itertools.product:
    """Every index of ``shape`` in row-major order."""
    return itertools.product(*(range(s) for s in shape))
