"""The exact re-check of a backward that passed the float check: exact rationals (zero
tolerance), then SymPy symbols (a proof for every input of those shapes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.exercises.report import shorten
from autocnn.symbolic.exercises.specs import OpSpec
from autocnn.symbolic.exercises.student import StudentError, run_student
from autocnn.symbolic.tensors import index_name, symbol_array


def exact_check(backward: Any, spec: OpSpec, show_expected: bool = True
                ) -> tuple[str, bool, str]:
    """Run the passing backward on exact rationals and compare with no tolerance.

    Returns the verdict text, whether it is a failure (a wrong entry found exactly) and the
    level reached: ``"proved"`` (symbolic inputs too), ``"exact"`` or ``""`` (not run).
    With ``show_expected=False`` the expected values are left out of the text.
    """
    from autocnn.symbolic.tensors import random_rationals

    rng = np.random.default_rng(1)
    arrays = [random_rationals(s, rng) for s in spec.shapes]
    if spec.name == "batch_norm":  # exact square roots: make each channel's σ² + ε a square
        return ("not run for batch_norm (its square root of σ² + ε is irrational in general)",
                False, "")
    engine_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = spec.forward(*engine_in, **spec.params)
    grad = random_rationals(out.shape, rng, denominator=5)
    out.backward(Tensor(grad.copy()))
    try:
        got, _ = run_student(backward, spec, arrays, grad, spec.params)
    except StudentError as exc:
        cause = exc.__cause__
        return (f"not run: the backward does not accept exact numbers "
                f"({type(cause).__name__ if cause else exc})", False, "")
    for name, g, t in zip(spec.inputs, got, engine_in):
        if g is None or np.shape(g) != t.shape:
            return (f"dL/d{name} has the wrong shape on exact inputs: got "
                    f"{None if g is None else np.shape(g)}, expected {t.shape}", True, "")
        g_arr = np.asarray(g, dtype=object)
        if any(isinstance(v, (float, np.floating, sympy.Float)) for v in g_arr.reshape(-1)):
            return "not run: the backward turned exact inputs into floats", False, ""
        for idx in np.ndindex(*t.shape):
            if sympy.sympify(g_arr[idx]) - sympy.sympify(t.grad.data[idx]) != 0:
                shown = f", expected {t.grad.data[idx]}" if show_expected else ""
                return (f"dL/d{name}{index_name(idx)} differs on exact inputs: got "
                        f"{g_arr[idx]}{shown} (the float check passed only because the "
                        "error is below its tolerance)", True, "")
    text, failed, proved = _symbolic_check(backward, spec, show_expected)
    return ("equal with zero tolerance on exact rational inputs" + text, failed,
            "proved" if proved else "exact")


def _symbolic_check(backward: Any, spec: OpSpec, show_expected: bool = True
                    ) -> tuple[str, bool, bool]:
    """Also run the backward on symbols: agreement there is a proof for every input.

    Returns the added verdict, whether it is a failure (an entry refuted) and whether every
    entry was proved.
    """
    from autocnn.symbolic.compare import compare

    if sum(int(np.prod(s)) for s in spec.shapes) > 200:
        return "", False, False
    arrays = [symbol_array(n[0], s) for n, s in zip(spec.inputs, spec.shapes)]
    try:
        engine_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = spec.forward(*engine_in, **spec.params)
        grad = symbol_array("g", out.shape)
        out.backward(Tensor(grad.copy()))
        got, _ = run_student(backward, spec, arrays, grad, spec.params)
    except Exception:  # the arg-max of symbols, np.exp of symbols, …: no symbolic run
        return "", False, False
    unproved = ""
    for name, g, t in zip(spec.inputs, got, engine_in):
        if g is None or np.shape(g) != t.shape or np.asarray(g).dtype != object:
            return "", False, False
        for idx in np.ndindex(*t.shape):
            result = compare(g[idx], t.grad.data[idx])
            if result.status == "refuted":
                shown = (f", expected {shorten(sympy.sstr(t.grad.data[idx]))}"
                         if show_expected else "")
                return (f"; but dL/d{name}{index_name(idx)} differs on symbolic inputs: got "
                        f"{shorten(sympy.sstr(g[idx]))}{shown}", True, False)
            if result.status != "proved" and not unproved:
                unproved = (f"; on symbolic inputs dL/d{name}{index_name(idx)} agrees at exact "
                            "points but is not proved (piecewise)")
    if unproved:
        return unproved, False, False
    return "; and proved equal on symbolic inputs (for every input of these shapes)", False, True
