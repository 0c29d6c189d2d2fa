"""Local derivatives for edge labels, read off each primitive's own backward rule.

For an op node, ``local_derivatives`` runs the node's class (``type(node).apply``) on
SymPy stand-ins for its inputs — one symbol per input, named after the tensor it stands
for — then calls the class's ``backward`` with an upstream gradient of exactly 1. What
comes back *is* ∂y/∂input by the rule the engine uses: ``Mul`` gives ``∂(a·b)/∂a = b``,
``Tanh`` gives ``1 − tanh(a)²``. No table of derivatives is written here.

Stand-ins are one-entry arrays, so this works for the elementwise primitives (the rule is
the same for every entry; broadcasting is undone by the engine, not by the rule). Where
scalar stand-ins cannot run the op — shape ops, matmul, sums over axes, windows, padding —
the label is the rule as the primitive's docstring states it, e.g. ``dL/dA = dL/dY @ Bᵀ``
for input 0 of ``MatMul``: still the primitive's own words, never a separate table.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from autocnn.autograd.engine import Function
from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor

if TYPE_CHECKING:
    import sympy


def _indicator(h: sympy.Expr) -> str:
    """``Heaviside(x - c, 0)`` as the indicator a lesson writes: ``1[x > c]``.

    SymPy's second argument is the value at 0: 0 gives ``>``, 1 gives ``≥``, anything else
    is said after the bracket.
    """
    import sympy

    arg = h.args[0]
    at_zero = h.args[1] if len(h.args) > 1 else None
    pos = sympy.Add(*[t for t in sympy.Add.make_args(arg) if not t.could_extract_minus_sign()])
    neg = sympy.Add(*[-t for t in sympy.Add.make_args(arg) if t.could_extract_minus_sign()])
    op = "≥" if at_zero == 1 else ">"
    text = f"1[{_plain(pos)} {op} {_plain(neg)}]"
    if at_zero is not None and at_zero not in (0, 1):
        text += f" ({_plain(at_zero)} at equality)"
    return text


def _plain(expr: sympy.Expr) -> str:
    import sympy

    return sympy.sstr(expr).replace("**", "^").replace("*", "·")


def format_expr(expr: sympy.Expr) -> str:
    """A SymPy expression in the notation of the lessons: ``a·b``, ``x^2``, ``exp(-a)``,
    and step functions as indicators, ``1[x > 0]`` (not ``Heaviside(x, 0)``)."""
    import sympy

    steps = expr.atoms(sympy.Heaviside) if isinstance(expr, sympy.Basic) else set()
    if steps:
        expr = expr.xreplace({h: sympy.Symbol(_indicator(h)) for h in steps})
    return _plain(expr)


def _symbolic_rule(cls: type, n_inputs: int) -> tuple[list, sympy.Expr, tuple]:
    """(stand-in symbols, forward expression, one derivative per input) of a primitive,
    from the class's own ``apply`` and ``backward`` run on one-entry SymPy arrays."""
    import sympy  # only when a picture asks for derivatives: importing SymPy takes ~0.3 s

    symbols = [sympy.Symbol(f"_in{i}") for i in range(n_inputs)]
    inputs = [Tensor(np.array([s], dtype=object), requires_grad=True) for s in symbols]
    out = cls.apply(*inputs)
    if out.data.shape != (1,):  # not elementwise (a dot product, a reduction...)
        raise ValueError(f"{cls.__name__} is not elementwise")
    node = out.grad_fn
    one = Tensor.constant(np.array([sympy.Integer(1)], dtype=object))
    with no_grad():
        grads = cls.backward(node, one)
    if not isinstance(grads, tuple):
        grads = (grads,)
    derivs = []
    for g in grads:
        arr = None if g is None else np.asarray(
            g.data if isinstance(g, Tensor) else g, dtype=object
        ).reshape(-1)
        derivs.append(arr[0] if arr is not None and arr.size == 1 else None)
    return symbols, out.data.reshape(-1)[0], tuple(derivs)


@lru_cache(maxsize=256)
def _cached_rule(cls: type, n_inputs: int):
    try:
        return _symbolic_rule(cls, n_inputs)
    except Exception:  # any failure means: this op has no scalar form
        return None


@lru_cache(maxsize=256)
def _rule_text(cls: type, n_inputs: int) -> tuple[str, tuple[str | None, ...]] | None:
    """The rule as text in the stand-ins ``_in0``, ``_in1``... (renamed per node below)."""
    rule = _cached_rule(cls, n_inputs)
    if rule is None:
        return None
    _, expr, derivs = rule
    return format_expr(expr), tuple(None if d is None else format_expr(d) for d in derivs)


_STAND_IN = re.compile(r"_in(\d+)")


def _rename(text: str, names: list[str]) -> str:
    return _STAND_IN.sub(lambda m: names[int(m.group(1))], text)


_GRAD_PART = re.compile(r";\s*(.*)$")


def docstring_rules(cls: type, n_inputs: int) -> tuple[str, ...]:
    """The backward rule as the primitive's docstring states it, one entry per input.

    The first docstring line reads ``y = ...;  dL/da = ...,  dL/db = ...``; the part after
    ``;`` is split at top-level commas (not inside brackets). If the count does not match
    the inputs, every input gets the whole rule.
    """
    doc = (cls.__doc__ or "").strip().splitlines()
    first = doc[0] if doc else ""
    m = _GRAD_PART.search(first)
    rule = m.group(1).strip() if m else f"backward of {cls.__name__}"
    parts, depth, current = [], 0, ""
    for ch in rule:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    if len(parts) == n_inputs:
        return tuple(parts)
    return (rule,) * n_inputs


def local_derivatives(node: Function, names: list[str]) -> list[str]:
    """One label per input of ``node``: ``∂(a·b)/∂a = b``, or the docstring rule.

    ``names`` gives a symbol name for each positional input (tensor names, or stand-ins).
    Ops with parameters or that cannot run on one-entry stand-ins use the docstring rule.
    """
    cls = type(node)
    n = len(node.next_edges)
    rule = None if node.params else _rule_text(cls, n)
    if rule is None:
        return list(docstring_rules(cls, n))
    expr, derivs = rule
    expr = _rename(expr, names)
    labels = []
    for i, d in enumerate(derivs):
        if d is None:
            labels.append(docstring_rules(cls, n)[i])
        else:
            labels.append(f"∂({expr})/∂{names[i]} = {_rename(d, names)}")
    return labels
