"""Checking a gradient formula a student types as a string.

``check_formula("1/3", lambda x: x.mean(), (3,), wrt="x_0")`` parses the string with SymPy,
takes the engine's exact gradient of the (scalar) function with respect to the named entry,
and either proves the two equal or returns a counterexample: an exact point with both
values. Variables are the input entries, named as in ``symbolic.symbols`` (``x_0``,
``w_0_1``, …; inputs are x, y, z, … in order), and SymPy functions (sqrt, exp, log, Max,
Heaviside, …) may be used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.compare import compare
from autocnn.symbolic.tensors import _as_shape, check_size, symbol_array

_NAMES = "xyzwvpqrs"
_FUNCTIONS = ("sqrt", "exp", "log", "tanh", "Max", "Min", "Abs", "Heaviside", "sign", "pi", "E")


@dataclass
class FormulaReport:
    """The verdict on a student's formula: truthy when proved equal.

    ``status`` is ``"proved"``, ``"points"`` (equal at exact points, not proved — only for
    piecewise formulas), ``"refuted"`` (``point`` and ``values`` = (student, correct)) or
    ``"invalid"`` (the string could not be read; ``message`` says why).
    """

    formula: str
    wrt: str
    status: str
    expected: Any = None
    student: Any = None
    point: dict = field(default_factory=dict)
    values: tuple[Any, Any] = (None, None)
    message: str = ""

    def __bool__(self) -> bool:
        return self.status in ("proved", "points")

    def __str__(self) -> str:
        head = (f"formula for dL/d{self.wrt}: {self.formula!r}" if self.wrt
                else f"formula {self.formula!r}")
        if self.status == "invalid":
            return f"{head}\n  cannot be read: {self.message}"
        if self.status == "proved":
            return f"{head}\n  correct: proved equal to {self.expected}"
        if self.status == "points":
            return (f"{head}\n  agrees with the engine's gradient {self.expected} at exact "
                    "random points (piecewise; not proved symbolically)")
        shown = ", ".join(f"{k} = {v}" for k, v in self.point.items())
        return (f"{head}\n  wrong: at {shown or 'every point'} it gives {self.values[0]}, but "
                f"the gradient is {self.values[1]}\n  (the gradient is {self.expected})")

    __repr__ = __str__


def _parse(formula: str, variables: dict[str, sympy.Symbol]) -> Any:
    local = {name: getattr(sympy, name) for name in _FUNCTIONS}
    # any other name (N, S, I, …, which SymPy would read as its own functions) is a symbol,
    # so that it can be reported as unknown below
    for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula):
        if name not in local and name not in variables:
            local[name] = sympy.Symbol(name)
    local.update(variables)
    transformations = (*standard_transformations, convert_xor,
                       implicit_multiplication_application)
    expr = parse_expr(formula, local_dict=local, transformations=transformations)
    if not isinstance(expr, sympy.Expr):
        raise ValueError(f"{formula!r} is not an expression (a comparison or a logical "
                         "value?); write a step as Heaviside(x_0), with H(0) = 1/2")
    unknown = sorted(s.name for s in expr.free_symbols if s.name not in variables)
    if unknown:
        known = ", ".join(sorted(variables)[:12])
        raise ValueError(f"unknown name(s) {', '.join(unknown)}; the variables are {known}"
                         + (", …" if len(variables) > 12 else ""))
    return expr


def check_formula(formula: str, fn: Callable[..., Tensor] | Any, *shapes: Any,
                  wrt: str = "x_0") -> FormulaReport:
    """Prove a formula string equal to the engine's gradient, or refute it at a point.

    ``fn`` is a function of tensors returning a scalar (its gradient w.r.t. the entry
    ``wrt`` is the reference), or directly a SymPy expression to compare with (then
    ``shapes`` may be empty and the variables are its free symbols).
    """
    if not isinstance(formula, str):
        raise TypeError(f"check_formula: 'formula' must be a string, got {type(formula).__name__}")
    if callable(fn):
        if not shapes:
            raise ValueError("check_formula: give the input shapes, e.g. "
                             "check_formula('1/3', lambda x: x.mean(), (3,), wrt='x_0')")
        shapes_t = [_as_shape(s, "check_formula") for s in shapes]
        check_size(shapes_t, "check_formula")
        arrays = [symbol_array(_NAMES[i], s) for i, s in enumerate(shapes_t)]
        variables = {s.name: s for a in arrays for s in a.reshape(-1)}
        if wrt not in variables:
            raise ValueError(f"check_formula: 'wrt' must name an input entry such as "
                             f"{next(iter(variables))!r}, got {wrt!r}")
        inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(*inputs)
        if not isinstance(out, Tensor) or out.size != 1:
            raise ValueError("check_formula: fn must return a scalar tensor (use .sum() or "
                             f"pick one entry), got shape {getattr(out, 'shape', None)}")
        out.reshape(()).backward()
        k = [s.name for a in arrays for s in a.reshape(-1)].index(wrt)
        flat = np.concatenate([t.grad.data.reshape(-1) for t in inputs])
        expected = sympy.sympify(flat[k])
    else:
        expected = sympy.sympify(fn)
        variables = {s.name: s for s in expected.free_symbols}
        wrt = ""
    try:
        student = _parse(formula, variables)
    except (SyntaxError, TypeError, ValueError, sympy.SympifyError) as exc:
        return FormulaReport(formula, wrt, "invalid", expected, message=str(exc))
    result = compare(student, expected)
    return FormulaReport(formula, wrt, result.status, expected, student, result.point,
                         result.values)
