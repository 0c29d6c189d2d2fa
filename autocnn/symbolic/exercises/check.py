"""``check_backward``: run a student's backward on seeded float64 inputs, compare entry by
entry with the engine, name the mistake pattern, then hand a pass to the exact re-check."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.exercises.exact import exact_check
from autocnn.symbolic.exercises.mistakes import wrong_gradients
from autocnn.symbolic.exercises.report import ExerciseReport, GradientResult, WrongEntry
from autocnn.symbolic.exercises.specs import SPECS, OpSpec
from autocnn.symbolic.exercises.student import StudentError, run_student
from autocnn.symbolic.tensors import symbol_array

RTOL, ATOL = 1e-7, 1e-9
#: how far a float-only pass may be from the engine (relative to the largest entry)
ROUNDING = 1e-11


# ----------------------------------------------------------------------------- checking
def _close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _generic_patterns(got: np.ndarray, correct: np.ndarray, batch: int) -> list[tuple[str, str]]:
    """(key, text) of the op-independent patterns ``got`` matches."""
    out = []
    if _close(got, -correct):
        out.append(("sign_error", "sign error (the gradient has the wrong sign)"))
    if batch > 1 and _close(got, correct / batch):
        out.append(("extra_1_over_n", f"extra factor 1/N (divided by the batch size N = "
                                      f"{batch})"))
    if batch > 1 and _close(got, correct * batch):
        out.append(("missing_1_over_n", f"missing 1/N (N = {batch} times too large)"))
    return out


def _rounding_ok(got: np.ndarray, expected: np.ndarray) -> bool:
    """Agreement to float64 rounding (not just to the checker's tolerance).

    Used when the exact re-check cannot run: a correct float64 backward of these small
    ops differs from the engine by ~1e-15 relative; an error of 1e-9 passes ``np.isclose``
    but not this.
    """
    scale = 1.0 + float(np.max(np.abs(expected))) if expected.size else 1.0
    return bool(np.all(np.abs(got - expected) <= ROUNDING * scale))


def _spec_for(op: Any, shapes: Any, params: dict[str, Any] | None) -> OpSpec:
    if isinstance(op, str):
        key = op.lower().replace(" ", "_")
        if key not in SPECS:
            raise ValueError(f"check_backward: unknown op {op!r}; known ops: "
                             f"{', '.join(sorted(SPECS))} (or pass a forward callable and "
                             "shapes)")
        base = SPECS[key]
        merged = {**base.params, **(params or {})}
        return OpSpec(base.name, base.inputs,
                      tuple(tuple(s) for s in shapes) if shapes else base.shapes, merged,
                      base.forward, base.expected_expression)
    if not callable(op):
        raise TypeError(f"check_backward: 'op' must be an op name or a forward callable, "
                        f"got {type(op).__name__}")
    if not shapes:
        raise ValueError("check_backward: a forward callable needs 'shapes', one per input")
    names = tuple("xyzwvu"[i] for i in range(len(shapes)))
    return OpSpec(getattr(op, "__name__", "op"), names, tuple(tuple(s) for s in shapes),
                  dict(params or {}), op)


def check_backward(op: Any, backward: Any, shapes: Any = None, params: dict[str, Any] | None
                   = None, seed: int = 0, exact: bool = True, show_expected: bool = True
                   ) -> ExerciseReport:
    """Check a student's ``backward`` for ``op`` and name the mistake (see module docstring).

    ``op`` is one of ``conv2d``, ``batch_norm``, ``max_pool2d``, ``linear``,
    ``cross_entropy`` or a forward callable on Tensors (with ``shapes``). ``params``
    overrides the op's settings (e.g. ``{"stride": 2, "padding": 0}``). With ``exact=True``
    a backward that passes the float check is also run on exact rational inputs, where it
    must agree with the engine with no tolerance at all; when that cannot run (the
    student's code calls ``np.sqrt``, say) the verdict is ``"float check only"`` and the
    gradients must also agree to float64 rounding. ``show_expected=False`` (for teachers
    handing the report to students) leaves out the expected values and expressions.
    Errors in the student's code are reported (``report.error``), never raised.
    """
    spec = _spec_for(op, shapes, params)
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in spec.shapes]
    if spec.name == "batch_norm":
        arrays[1] = rng.uniform(0.5, 2.0, spec.shapes[1])
    engine_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = spec.forward(*engine_in, **spec.params)
    grad = rng.standard_normal(out.shape)
    out.backward(Tensor(grad.copy()))
    correct = {n: t.grad.data for n, t in zip(spec.inputs, engine_in)}
    batch = spec.shapes[0][0] if spec.shapes and spec.shapes[0] else 1

    report = ExerciseReport(spec.name)
    try:
        got_list, student_out = run_student(backward, spec, arrays, grad, spec.params)
    except StudentError as exc:
        report.error = str(exc)
        report.results = [GradientResult(n, ok=False, total=correct[n].size, shape_ok=False,
                                         message="not checked: the code did not run through",
                                         show_expected=show_expected) for n in spec.inputs]
        return report
    if student_out is not None and not _close(student_out, out.data):
        report.forward_message = ("the forward differs from the engine's (max difference "
                                  f"{_max_diff(student_out, out.data)}); fix it first")
    wrong_rules = wrong_gradients(spec.name, arrays, grad, spec.params)
    symbolic_grads: dict[str, Any] | None = None  # computed once, when first needed
    for name, got in zip(spec.inputs, got_list):
        res = _compare(name, got, correct[name], batch, wrong_rules, show_expected)
        if not res.ok and res.examples and show_expected:
            if spec.expected_expression is not None:
                res.expected_expression = spec.expected_expression(
                    arrays, name, res.examples[0].index, **spec.params)
            else:
                if symbolic_grads is None:
                    symbolic_grads = _symbolic_grads(spec)
                res.expected_expression = _generic_expected(symbolic_grads, name,
                                                            res.examples[0].index)
        report.results.append(res)
    if exact and report:
        report.exact, report.exact_failed, report.exact_level = exact_check(
            backward, spec, show_expected)
    if report and not report.exact_level:
        # the exact re-check did not run: the float pass must at least be exact to rounding
        for res, got in zip(report.results, got_list):
            expected = correct[res.input]
            if not _rounding_ok(np.asarray(got, dtype=np.float64), expected):
                err = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - expected)))
                res.ok = False
                res.max_error = err
                res.message = (f"differs from the engine by up to {err:.3g}: inside the float "
                               f"tolerance, but far above float64 rounding (an exact rule "
                               f"is off by a tiny amount); the exact re-check could not run")
    return report


def _compare(name: str, got: Any, expected: np.ndarray, batch: int,
             wrong_rules: dict[str, tuple[Any, dict[str, np.ndarray]]],
             show_expected: bool) -> GradientResult:
    """The verdict on one gradient: wrong entries, and the mistakes whose rule it matches."""
    res = GradientResult(name, ok=False, total=expected.size, show_expected=show_expected)
    if got is None:
        res.message = "no gradient returned (None)"
        return res
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        res.shape_ok = False
        res.message = f"shape {got.shape}, expected {expected.shape}"
        if got.shape == expected.shape[::-1] and _close(got.T, expected):
            res.patterns.append("transposed (the gradient has the shape of its transpose)")
            res.pattern_keys.append("transposed")
        return res
    if not np.all(np.isfinite(got)):
        res.message = f"{int(np.sum(~np.isfinite(got)))} entries are not finite (nan or inf)"
    bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL)
    if not bad.any():
        res.ok = True
        return res
    res.wrong = int(bad.sum())
    with np.errstate(invalid="ignore"):
        res.max_error = float(np.nanmax(np.abs(got - expected))) if res.wrong else 0.0
    for idx in list(zip(*np.nonzero(bad)))[:3]:
        idx = tuple(int(i) for i in idx)
        res.examples.append(WrongEntry(idx, float(got[idx]), float(expected[idx]), name,
                                       show_expected))
    for key, (mistake, grads) in wrong_rules.items():
        if name in grads and _close(got, grads[name]) and not _close(grads[name], expected):
            res.patterns.append(mistake.text)
            res.pattern_keys.append(key)
    if not res.patterns:  # the op's own catalogue is more precise; generic ones otherwise
        for key, text in _generic_patterns(got, expected, batch):
            res.patterns.append(text)
            res.pattern_keys.append(key)
    return res


def _symbolic_grads(spec: OpSpec) -> dict[str, Any]:
    """The engine's gradients on symbolic inputs with a symbolic upstream gradient ``g``.

    Works for any op the engine can run on SymPy symbols; the inputs are named by their
    first letter (``x_0_1``, ``w_1_2``, ``b_0`` for linear; ``x``, ``y``, … for a forward
    callable). On failure (too many entries, an arg-max of symbols, …) the value is a
    string saying why.
    """
    from autocnn.symbolic.tensors import MAX_ENTRIES

    letters = [n[0] for n in spec.inputs]
    if len(set(letters)) != len(letters) or "g" in letters:
        letters = list("xyzwvupqrs"[:len(spec.inputs)])
    if sum(int(np.prod(s)) for s in spec.shapes) > MAX_ENTRIES:
        return {"": f"not derived: more than {MAX_ENTRIES} input entries"}
    try:
        tensors = [Tensor(symbol_array(c, s), requires_grad=True)
                   for c, s in zip(letters, spec.shapes)]
        out = spec.forward(*tensors, **spec.params)
        out.backward(Tensor(symbol_array("g", out.shape)))
    except Exception as exc:  # e.g. the winner of a max of symbols is undefined
        return {"": f"not derived: the forward does not run on symbols ({type(exc).__name__})"}
    return {n: (None if t.grad is None else t.grad.data) for n, t in zip(spec.inputs, tensors)}


def _generic_expected(grads: dict[str, Any], name: str, idx: tuple[int, ...]) -> str:
    """The exact expression of dL/d``name``[idx] from :func:`_symbolic_grads`."""
    if "" in grads:
        return f"({grads['']})"
    grad = grads.get(name)
    if grad is None:
        return "0   (the input does not reach the output)"
    return f"{sympy.sstr(grad[idx])}   [inputs as symbols; g…: the upstream gradient]"


def _max_diff(a: Any, b: Any) -> str:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return f"{np.max(np.abs(a - b)):.3g}" if a.shape == b.shape else f"shapes {a.shape}/{b.shape}"


