"""Gradient checks that do not mislead: ``gradcheck`` and ``gradgradcheck``.

``gradcheck`` compares the engine's gradient with central finite differences, entry by
entry, in float64:

- float32 inputs are checked in float64, with a warning: a float32 finite difference is
  too coarse to judge a correct backward (it "fails" on correct code);
- a non-scalar output is contracted with a *random* upstream gradient v, so what is
  compared is vᵀJ for every input entry. An all-ones v would hide errors: batch norm's
  gradient with respect to x is exactly zero for it;
- on failure, ``GradcheckError`` lists the worst entries: the input (position and name),
  the output, the index, both values and the absolute and relative errors.

``gradgradcheck`` runs the same check on the function that maps (inputs, v) to the
gradient vᵀJ built with ``create_graph=True``: it checks second derivatives.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autocnn.autograd import grad_mode
from autocnn.autograd.engine import grad
from autocnn.autograd.tensor import Tensor


class GradcheckError(RuntimeError):
    """A gradient check failed; ``.entries`` holds the worst mismatches."""

    def __init__(self, message: str, entries: list[Mismatch]) -> None:
        super().__init__(message)
        self.entries = entries


@dataclass(frozen=True)
class Mismatch:
    """One entry where analytic and numeric gradients disagree."""

    input_index: int
    input_name: str
    output_index: int
    index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        return self.abs_error / max(abs(self.numeric), 1e-300)

    def __str__(self) -> str:
        return (
            f"input {self.input_index} ({self.input_name!r}), output {self.output_index}, "
            f"index {self.index}: analytic {self.analytic:.8g}, numeric {self.numeric:.8g}, "
            f"abs err {self.abs_error:.3g}, rel err {self.rel_error:.3g}"
        )


def _prepare_inputs(inputs: Any, where: str) -> tuple[list[Any], list[int]]:
    if not isinstance(inputs, (Tensor, list, tuple)):
        raise TypeError(f"{where}: 'inputs' must be a Tensor or a tuple of inputs, got "
                        f"{type(inputs).__name__}")
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    prepared, checked = [], []
    for i, x in enumerate(items):
        if not isinstance(x, Tensor):
            prepared.append(x)
            continue
        data = x.data
        if data.dtype.kind == "f" and data.dtype != np.float64:
            warnings.warn(
                f"{where}: input {i} is {data.dtype}; checking in float64 instead (a "
                f"{data.dtype} finite difference is too coarse to judge a gradient)",
                UserWarning,
                stacklevel=3,
            )
            data = data.astype(np.float64)
        else:
            data = data.copy()
        t = Tensor._constant(data)
        t.name = x.name
        if x.requires_grad:
            t._requires_grad = True
            checked.append(i)
        prepared.append(t)
    if not checked:
        raise ValueError(f"{where}: none of the inputs requires grad; nothing to check")
    return prepared, checked


def _outputs(value: Any, where: str) -> list[Tensor]:
    outs = [value] if isinstance(value, Tensor) else list(value)
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"{where}: output {k} of fn is {type(o).__name__}, not a Tensor")
    return outs


def _check_tolerances(eps: Any, atol: Any, rtol: Any, raise_exception: Any, where: str) -> None:
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if (not isinstance(value, (int, float, np.floating, np.integer))
                or isinstance(value, bool) or not np.isfinite(value) or value < 0):
            raise ValueError(f"{where}: '{name}' must be a finite non-negative number, "
                             f"got {value!r}")
    if eps == 0:
        raise ValueError(f"{where}: 'eps' must be positive, got {eps!r}")
    if not isinstance(raise_exception, (bool, np.bool_)):
        raise TypeError(f"{where}: 'raise_exception' must be a bool, got {raise_exception!r}")


def _nonfinite_outputs(outs: list[Tensor]) -> list[str]:
    """'output k is nan at index i' for the first non-finite entry of each output."""
    found = []
    for k, o in enumerate(outs):
        data = o.data
        if data.dtype.kind != "f":
            continue
        bad = np.argwhere(~np.isfinite(data))
        if len(bad):
            idx = tuple(int(j) for j in bad[0])
            found.append(f"output {k} is {data[idx]} at index {idx} "
                         f"({len(bad)} non-finite entries)")
    return found


def _contract(out: Tensor, v: np.ndarray) -> float:
    return float(np.sum(out.data.astype(np.float64) * v))


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    seed: int = 0,
    raise_exception: bool = True,
    _numeric_needs_graph: bool = False,
) -> bool:
    """Check ``fn``'s gradients against central finite differences in float64.

    ``fn`` takes the inputs (Tensors or constants) and returns a Tensor or a tuple of
    Tensors. Every input with ``requires_grad=True`` is checked, every entry of it. Passes
    when |analytic − numeric| ≤ atol + rtol·|numeric| everywhere; returns ``True``, or
    raises ``GradcheckError`` (returns ``False`` with ``raise_exception=False``).
    """
    _check_tolerances(eps, atol, rtol, raise_exception, "gradcheck")
    xs, checked = _prepare_inputs(inputs, "gradcheck")
    rng = np.random.default_rng(seed)
    with grad_mode.set_grad_enabled(True):
        outs = _outputs(fn(*xs), "gradcheck")
    nonfinite_outputs = _nonfinite_outputs(outs)
    vs = [
        np.ones(o.shape) if o.data.size == 1 else rng.standard_normal(o.shape) for o in outs
    ]
    wanted = [xs[i] for i in checked]

    # analytic: vₖᵀ Jₖ for each output k, every checked input
    analytic: list[list[np.ndarray]] = []
    for k, (o, v) in enumerate(zip(outs, vs)):
        if o.requires_grad and o.data.dtype.kind == "f":
            with grad_mode.set_grad_enabled(True):
                gs = grad(o, wanted, Tensor._constant(v.astype(o.data.dtype)),
                          retain_graph=k < len(outs) - 1 or _numeric_needs_graph,
                          allow_unused=True)
        else:
            gs = (None,) * len(wanted)
        analytic.append([
            np.zeros(x.shape) if g is None else np.asarray(g.data, dtype=np.float64)
            for g, x in zip(gs, wanted)
        ])

    # numeric: central differences of every vₖᵀ fₖ, one input entry at a time
    numeric = [[np.zeros(x.shape) for x in wanted] for _ in outs]
    for pos, i in enumerate(checked):
        base = xs[i].data
        for index in np.ndindex(*base.shape):
            values = []
            for step in (eps, -eps):
                shifted = base.copy()
                shifted[index] += step
                t = Tensor._constant(shifted)
                t.name = xs[i].name
                t._requires_grad = _numeric_needs_graph
                args = list(xs)
                args[i] = t
                with grad_mode.set_grad_enabled(_numeric_needs_graph):
                    values.append(_outputs(fn(*args), "gradcheck"))
            for k, v in enumerate(vs):
                plus, minus = _contract(values[0][k], v), _contract(values[1][k], v)
                numeric[k][pos][index] = (plus - minus) / (2 * eps)

    mismatches: list[tuple[float, Mismatch]] = []
    for k in range(len(outs)):
        for pos, i in enumerate(checked):
            a, n = analytic[k][pos], numeric[k][pos]
            with np.errstate(invalid="ignore", over="ignore"):
                excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            # NOTE: a non-finite entry on either side is a failure. NaN compares false with
            # everything, so "no entry exceeds the tolerance" would otherwise pass it.
            excess = np.where(np.isfinite(a) & np.isfinite(n), excess, np.inf)
            for row in np.argwhere(excess > 0):
                idx = tuple(int(j) for j in row)
                name = xs[i].name or f"input {i}"
                mismatches.append(
                    (float(excess[idx]), Mismatch(i, name, k, idx, float(a[idx]), float(n[idx])))
                )
    if not mismatches and not nonfinite_outputs:
        return True
    mismatches.sort(key=lambda m: -m[0])
    worst = [m for _, m in mismatches[:5]]
    total = sum(x.size for x in wanted) * len(outs)
    message = "gradcheck failed: "
    if nonfinite_outputs:
        message += (
            "fn gave non-finite values at the given inputs (is it evaluated outside its "
            "domain, e.g. log of a negative number?): " + "; ".join(nonfinite_outputs) + ".\n"
        )
    if mismatches:
        message += (
            f"the backward disagrees with central finite differences "
            f"(eps={eps}, atol={atol}, rtol={rtol}) at {len(mismatches)} of {total} entries "
            "(a nan or inf on either side counts as a disagreement).\n"
            "analytic = vᵀJ from backward with a random upstream gradient v; numeric = the "
            "same from finite differences. Worst entries:\n  "
            + "\n  ".join(str(m) for m in worst)
        )
    if raise_exception:
        raise GradcheckError(message, worst)
    return False


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    grad_outputs: Sequence[Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: ``gradcheck`` of (inputs, v) ↦ vᵀ J(inputs).

    The upstream gradients v (random unless ``grad_outputs`` is given) are inputs of the
    checked function too, so both ∂²/∂x² and the mixed ∂²/∂x∂v are compared.
    """
    _check_tolerances(eps, atol, rtol, raise_exception, "gradgradcheck")
    xs, checked = _prepare_inputs(inputs, "gradgradcheck")
    with grad_mode.set_grad_enabled(True):
        outs = _outputs(fn(*xs), "gradgradcheck")
    diff = [k for k, o in enumerate(outs) if o.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: no output of fn requires grad")
    rng = np.random.default_rng(seed + 1)
    if grad_outputs is None:
        vs = [Tensor._constant(rng.standard_normal(outs[k].shape)) for k in diff]
    else:
        given = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
        vs = []
        for j, g in enumerate(given):
            arr = np.asarray(g.data if isinstance(g, Tensor) else g)
            if arr.dtype.kind not in "iuf" or not np.isfinite(arr).all():
                raise ValueError(f"gradgradcheck: grad_outputs[{j}] must hold finite real "
                                 f"numbers, got {g!r:.80}")
            vs.append(Tensor._constant(np.array(arr, dtype=np.float64)))
    for v in vs:
        v._requires_grad = True
    n = len(xs)

    def first_derivative(*args: Any) -> tuple[Tensor, ...]:
        inner = args[:n]
        upstream = args[n:]
        results = _outputs(fn(*inner), "gradgradcheck")
        targets = [inner[i] for i in checked]
        gs = grad([results[k] for k in diff], targets, list(upstream),
                  create_graph=True, allow_unused=True)
        return tuple(
            Tensor._constant(np.zeros(t.shape)) if g is None else g
            for g, t in zip(gs, targets)
        )

    return gradcheck(first_derivative, (*xs, *vs), eps, atol, rtol, seed=seed,
                     raise_exception=raise_exception, _numeric_needs_graph=True)
