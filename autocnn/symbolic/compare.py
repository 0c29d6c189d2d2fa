"""Deciding whether two SymPy expressions are equal: a proof, a counterexample, or neither.

Everything in ``autocnn.symbolic`` that says "equal" goes through :func:`compare`. It tries,
cheapest first:

1. **algebra** — floats made exact, then the difference brought to one fraction whose
   numerator is expanded; square roots (powers k/2 of one base) are replaced by a symbol t
   with t² = base, so the batch-norm formulas (with 1/sqrt(σ²+ε)) reduce exactly. A zero
   numerator is a proof.
2. **points** — the difference evaluated at exact random rational points (away from kinks).
   A value that is nonzero to 50 significant digits is a counterexample, returned with the
   point; zero at every point (when step 1 could not finish) is reported as "equal at N
   points", which is evidence, not a proof — the report says which.

NOTE: kinks. SymPy's ``diff(Max(x, 0), x)`` is ``Heaviside(x)`` with H(0) = 1/2, while the
engine routes the gradient with H(0) = 0 (PyTorch's rule). Both are replaced by the plain
``Heaviside(x)`` before comparing, so the comparison is about the derivative *away from*
kinks, where it is unambiguous; the tie rule itself is pinned by exact tests in tests/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from autocnn.symbolic.tensors import rationalize

_PIECEWISE = (sympy.Heaviside, sympy.Max, sympy.Min, sympy.sign, sympy.Abs, sympy.Piecewise)


@dataclass
class Comparison:
    """The outcome of comparing two expressions.

    ``status`` is ``"proved"`` (algebraically equal), ``"points"`` (equal at every tested
    exact point, not proved), ``"refuted"`` (with ``point`` and the two ``values``) or
    ``"nonfinite"`` (a side is nan or infinite: never equal, whatever the other side is).
    Truthy unless refuted or non-finite.
    """

    status: str
    point: dict = field(default_factory=dict)
    values: tuple[Any, Any] = (None, None)

    def __bool__(self) -> bool:
        return self.status not in ("refuted", "nonfinite")


_NONFINITE = (sympy.nan, sympy.zoo, sympy.oo, sympy.S.NegativeInfinity)


def is_nonfinite(expr: Any) -> bool:
    """True when ``expr`` holds nan, ±oo or complex infinity (zoo) anywhere."""
    expr = sympy.sympify(expr)
    return bool(expr.has(*_NONFINITE))


def normalize_steps(expr: Any) -> Any:
    """``expr`` with floats made exact and every Heaviside(a, h) written Heaviside(a)."""
    expr = rationalize(expr)
    steps = [h for h in expr.atoms(sympy.Heaviside) if len(h.args) > 1]
    if steps:
        expr = expr.xreplace({h: sympy.Heaviside(h.args[0]) for h in steps})
    return expr


def _radicals_to_symbols(d: sympy.Expr) -> tuple[sympy.Expr, list[tuple[sympy.Symbol, Any]]]:
    """Replace b^(k/2) by t^k for a fresh symbol t per distinct base b (t² = b)."""
    pows = [p for p in d.atoms(sympy.Pow) if p.exp.is_Rational and p.exp.q == 2]
    if not pows:
        return d, []
    by_base: dict[Any, sympy.Symbol] = {}
    replace = {}
    for p in pows:
        base = sympy.expand(p.base)
        t = by_base.setdefault(base, sympy.Dummy(f"r{len(by_base)}", positive=True))
        replace[p] = t ** int(p.exp.p)
    return d.xreplace(replace), [(t, b) for b, t in by_base.items()]


def algebraically_zero(d: Any) -> bool:
    """True when ``d`` is provably identically zero by exact rational algebra."""
    d = sympy.sympify(d)
    if d == 0:
        return True
    if d.has(sympy.Piecewise):
        return False
    # Radicals first: expanding (polynomial)^(−3/2) · (long sum) before that is very slow.
    d2, radicals = _radicals_to_symbols(d)
    if not radicals:
        if sympy.expand(d2) == 0 or sympy.expand(sympy.numer(sympy.together(d2))) == 0:
            return True
        # small leftovers such as y·x^(y−1) − y·x^y/x need power rules: simplify is cheap there
        return sympy.count_ops(d2) < 120 and sympy.simplify(d2) == 0
    numerator = sympy.numer(sympy.together(d2))
    # numerator mod (t² − base) for every radical t, in polynomial arithmetic (fast): a
    # zero remainder is a proof, since each t stands for a square root of its base
    ts = [t for t, _ in radicals]
    others = sorted(numerator.free_symbols - set(ts), key=lambda s: s.name)
    others += sorted(set().union(*(sympy.sympify(b).free_symbols for _, b in radicals))
                     - set(others) - set(ts), key=lambda s: s.name)
    relations = [t**2 - base for t, base in radicals]
    try:
        _, remainder = sympy.reduced(numerator, relations, *ts, *others, order="lex")
    except sympy.PolynomialError:
        return False
    if remainder == 0:
        return True
    # A + B·t = 0 with t = sqrt(base): both parts vanishing is a sufficient proof
    poly = sympy.Poly(remainder, *ts)
    return all(sympy.expand(c) == 0 for c in poly.coeffs())


def _evaluate(expr: Any, point: dict) -> Any:
    value = sympy.sympify(expr).xreplace(point)
    if value.free_symbols:
        value = value.subs(point)
    return value


def _nonzero(value: Any) -> bool:
    if value == 0:
        return False
    if value.is_zero is True:
        return False
    number = sympy.N(value, 50)
    if not number.is_number or is_nonfinite(number):
        return True
    return bool(abs(number) > sympy.Float("1e-40", 50))


def compare(a: Any, b: Any, points: int = 3, seed: int = 0) -> Comparison:
    """Prove ``a == b`` or find a point where they differ (see the module docstring)."""
    a = normalize_steps(a)
    b = normalize_steps(b)
    # NOTE: a non-finite side never passes: nan − nan is nan, never 0, but a check that
    # only looks for a nonzero difference could still report it as "equal".
    if is_nonfinite(a) or is_nonfinite(b):
        return Comparison("nonfinite", {}, (a, b))
    d = a - b
    if not d.has(*_PIECEWISE):
        try:
            if algebraically_zero(d):
                return Comparison("proved")
        except (sympy.PolynomialError, sympy.polys.polyerrors.PolificationFailed):
            pass
    free = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    if not free:
        if _nonzero(d):
            return Comparison("refuted", {}, (a, b))
        return Comparison("proved")
    rng = np.random.default_rng(seed)
    for _ in range(points):
        point = {}
        for s in free:
            num = int(rng.integers(1, 40)) * (1 if rng.random() < 0.5 else -1)
            if s.is_positive or s.is_nonnegative:
                num = abs(num)
            point[s] = sympy.Rational(num, int(rng.integers(7, 30)))
        value = _evaluate(d, point)
        if _nonzero(value):
            return Comparison("refuted", point, (_evaluate(a, point), _evaluate(b, point)))
    return Comparison("points")
