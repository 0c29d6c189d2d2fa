"""``verify`` and ``exact_gradcheck``: the engine's backward against exact mathematics.

``verify(fn, *shapes)`` runs ``fn`` on tensors of SymPy symbols. The output Y is contracted
with a tensor U of symbolic upstream gradients, L = Σ U·Y, so one ``sympy.diff`` per input
entry gives the whole vector-Jacobian product, linear in U: agreeing for symbolic U is
agreeing on every entry of the Jacobian. The engine's ``backward(U)`` must produce the same
expressions, proved equal by :func:`autocnn.symbolic.compare.compare`.

Functions with an arg-max (max pooling, ``max``) have no symbolic gradient in the engine —
the winner of a max of symbols is undefined. For them the forward formula is still built on
symbols (``Max(x_0, x_1, …)``) and differentiated by SymPy, and both gradients are compared
at an exact rational point with distinct entries (no ties).

``exact_gradcheck(fn, *inputs)`` is gradcheck with zero tolerance: inputs of exact rationals,
the engine's gradient compared with SymPy's derivative at that very point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.compare import compare, is_nonfinite, normalize_steps
from autocnn.symbolic.tensors import (
    _as_shape,
    check_size,
    entries,
    exact,
    index_name,
    random_rationals,
    symbol_array,
)

_NAMES = "xyzwvpqrs"


@dataclass
class Mismatch:
    """One gradient entry where the engine and the reference disagree."""

    input: str
    index: tuple[int, ...]
    engine: Any
    expected: Any
    point: dict = field(default_factory=dict)
    values: tuple[Any, Any] = (None, None)

    def __str__(self) -> str:
        text = (f"  d/d{self.input}{index_name(self.index)}: engine {self.engine}  "
                f"≠  expected {self.expected}")
        if is_nonfinite(self.engine) or is_nonfinite(self.expected):
            text += "  (non-finite: nan or an infinity never counts as agreement)"
        if self.point:
            shown = ", ".join(f"{k}={v}" for k, v in list(self.point.items())[:6])
            more = ", …" if len(self.point) > 6 else ""
            text += (f"\n      e.g. at {shown}{more}: engine {self.values[0]}, "
                     f"expected {self.values[1]}")
        return text


@dataclass
class VerifyReport:
    """The result of :func:`verify`: truthy when every gradient entry agrees.

    ``checked`` counts compared entries, ``proved`` those proved algebraically (the rest
    agree at exact points: piecewise functions, or arg-max ops checked at a point),
    ``mismatches`` lists each disagreeing entry.
    """

    name: str
    shapes: list[tuple[int, ...]]
    checked: int = 0
    proved: int = 0
    mode: str = "symbolic"
    mismatches: list[Mismatch] = field(default_factory=list)

    def __bool__(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        head = f"verify {self.name} on shapes {', '.join(map(str, self.shapes))}: "
        if self:
            how = (f"{self.proved} proved algebraically, {self.checked - self.proved} equal "
                   "at exact points") if self.proved < self.checked else "all proved"
            where = " (gradient at an exact rational point)" if self.mode == "point" else ""
            return head + f"OK — {self.checked} gradient entries agree ({how}){where}"
        lines = [head + f"{len(self.mismatches)} of {self.checked} gradient entries disagree"]
        lines += [str(m) for m in self.mismatches[:20]]
        if len(self.mismatches) > 20:
            lines.append(f"  … and {len(self.mismatches) - 20} more")
        return "\n".join(lines)

    __repr__ = __str__


def _fn_name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _contract(y: Tensor, upstream: np.ndarray) -> sympy.Expr:
    out = entries(y)
    return sympy.Add(*[u * v for u, v in zip(upstream.reshape(-1), out.reshape(-1))])


def verify(fn: Callable[..., Tensor], *shapes: Any, names: str | None = None) -> VerifyReport:
    """Check the engine's gradient of ``fn`` against ``sympy.diff``, entry by entry.

    ``fn`` takes one tensor per shape and returns a tensor. Inputs are named x, y, z, …
    (or by the letters of ``names``) with entries ``x_0_1``. The report is truthy when all
    entries agree; printing it lists each disagreeing entry with a counterexample point.

    ``fn`` may compare its symbolic inputs: ``x > 0`` on a symbolic tensor gives, element
    by element, SymPy relations (``x_0 > 0``) in a constant object tensor, never
    differentiated. A max (``Tensor.max``, max pooling) on symbols with grad enabled raises
    a ``TypeError`` (the arg-max of symbols is undefined; gradients of a max need exact
    numbers such as ``symbolic.exact`` rationals): ``verify`` then builds ``Max(x_0, …)``
    under ``no_grad`` and compares with ``sympy.diff`` at an exact rational point. See
    "Comparisons and max on symbolic tensors" in docs/api/symbolic.md.
    """
    if not callable(fn):
        raise TypeError(f"symbolic.verify: 'fn' must be a function of tensors, got "
                        f"{type(fn).__name__} {fn!r:.60}")
    if not shapes:
        raise TypeError("symbolic.verify: give at least one input shape, e.g. verify(f, (2, 3))")
    shapes_t = [_as_shape(s, "symbolic.verify") for s in shapes]
    check_size(shapes_t, "symbolic.verify")
    letters = names or _NAMES
    if len(letters) < len(shapes_t):
        raise ValueError(f"symbolic.verify: {len(shapes_t)} inputs but only names {letters!r}")
    arrays = [symbol_array(letters[i], s) for i, s in enumerate(shapes_t)]
    report = VerifyReport(_fn_name(fn), shapes_t)
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    try:
        y = fn(*inputs)
        point = None
    except TypeError as exc:
        if "arg-max" not in str(exc):
            raise
        # the max of symbols has a formula but no winner: compare at an exact point instead
        with no_grad():
            y = fn(*[Tensor(a) for a in arrays])
        rng = np.random.default_rng(0)
        point = {}
        for a in arrays:
            values = random_rationals(a.shape, rng)
            point.update({s: v for s, v in zip(a.reshape(-1), values.reshape(-1))})
        report.mode = "point"
    if not isinstance(y, Tensor):
        raise TypeError(f"symbolic.verify: {report.name} must return a Tensor, got "
                        f"{type(y).__name__}")
    check_size([y.shape], "symbolic.verify (output)")
    upstream = symbol_array("u", y.shape)
    loss = _contract(y, upstream)

    if point is None:
        y.backward(Tensor(upstream))
        engine_grads = [t.grad for t in inputs]
    else:
        at_point = [exact(np.vectorize(lambda s: point[s], otypes=[object])(a)) for a in arrays]
        out = fn(*at_point)
        out.backward(Tensor(upstream))
        engine_grads = [t.grad for t in at_point]

    for letter, arr, grad in zip(letters, arrays, engine_grads):
        got = entries(grad) if grad is not None else np.zeros(arr.shape, dtype=object)
        for idx in np.ndindex(*arr.shape):
            expected = sympy.diff(loss, arr[idx])
            if point is not None:
                expected = normalize_steps(expected).xreplace(point)
            report.checked += 1
            result = compare(got[idx], expected)
            if result.status == "proved":
                report.proved += 1
            if not result:
                report.mismatches.append(Mismatch(letter, idx, got[idx], expected,
                                                  result.point, result.values))
    return report


@dataclass
class ExactGradcheckReport:
    """The result of :func:`exact_gradcheck`: truthy when every entry is exactly equal."""

    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    def __bool__(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        if self:
            return f"exact_gradcheck: OK — {self.checked} gradient entries exactly equal"
        lines = [f"exact_gradcheck: {len(self.mismatches)} of {self.checked} entries differ"]
        lines += [str(m) for m in self.mismatches[:20]]
        return "\n".join(lines)

    __repr__ = __str__


def exact_gradcheck(fn: Callable[..., Tensor], *inputs: Any) -> ExactGradcheckReport:
    """Gradient check with zero tolerance on exact rational inputs.

    ``inputs`` are numbers, arrays, Fractions or Tensors; they become exact SymPy rationals
    (floats read as the decimal they print as). The engine's gradient of Σ U·fn(inputs) for
    an exact random upstream U is compared with the derivative SymPy takes of the same
    forward formula, at the same point, with ``==`` — no tolerance.
    """
    if not callable(fn):
        raise TypeError(f"symbolic.exact_gradcheck: 'fn' must be a function of tensors, got "
                        f"{type(fn).__name__} {fn!r:.60}")
    if not inputs:
        raise TypeError("symbolic.exact_gradcheck: give at least one input")
    values = [entries(exact(v, requires_grad=False)) for v in inputs]
    check_size([v.shape for v in values], "symbolic.exact_gradcheck")
    arrays = [symbol_array(_NAMES[i], v.shape) for i, v in enumerate(values)]
    point = {s: v for a, val in zip(arrays, values)
             for s, v in zip(a.reshape(-1), val.reshape(-1))}
    with no_grad():
        formula = fn(*[Tensor(a) for a in arrays])
    at_point = [Tensor(v.copy(), requires_grad=True) for v in values]
    out = fn(*at_point)
    if out.shape != formula.shape:
        raise ValueError("symbolic.exact_gradcheck: fn gave different shapes on symbols "
                         f"{formula.shape} and on numbers {out.shape}")
    rng = np.random.default_rng(0)
    upstream = random_rationals(out.shape, rng, denominator=5)
    out.backward(Tensor(upstream.copy()))
    loss = _contract(formula, upstream)
    report = ExactGradcheckReport()
    for letter, arr, t in zip(_NAMES, arrays, at_point):
        got = entries(t.grad) if t.grad is not None else np.zeros(arr.shape, dtype=object)
        for idx in np.ndindex(*arr.shape):
            expected = normalize_steps(sympy.diff(loss, arr[idx])).xreplace(point)
            expected = sympy.nsimplify(expected) if expected.has(sympy.Float) else expected
            report.checked += 1
            engine = normalize_steps(got[idx])
            # nan − nan is nan, not 0: a non-finite entry fails even against itself
            if (is_nonfinite(engine) or is_nonfinite(expected)
                    or sympy.expand(engine - expected) != 0):
                report.mismatches.append(Mismatch(letter, idx, engine, expected))
    return report
