"""The exercise checker: a student's backward against the engine, with the mistake named.

``check_backward(op, backward)`` takes a student's backward for an op and compares it with
the engine's gradients on seeded random float64 inputs, entry by entry. The report lists
the wrong entries (index, got, expected, difference), gives the exact expected expression
of one of them, and — the part a grader cares about — names the *pattern* of the mistake
when it recognises one, by testing the student's result against the common mistaken
variants of the rule: kernel not rotated or not transposed, a missing 1/N, a sign error, a
missing sum over the batch or over a reused branch, padding or stride off by one, …

A backward is either

* a plain function of NumPy arrays, ``backward(grad_output, *inputs, **params)`` returning
  one gradient per input (``params`` are the op's settings, e.g. ``stride=1, padding=1``); or
* an ``autocnn.autograd.Function`` subclass whose ``forward`` computes the op (called as
  ``MyConv.apply(*tensors, **params)``) and whose ``backward`` is the student's.

A backward that passes is run again on exact rationals (zero tolerance) and, when its code
accepts them, on SymPy symbols, where agreement is a proof for all inputs of those shapes.

Ops with named patterns: ``conv2d`` (inputs x, weight, bias), ``batch_norm`` (training
mode, x of shape (N, C), weight γ, bias β), ``max_pool2d`` (x), ``linear`` (x, weight,
bias), ``cross_entropy`` (logits; softmax + cross-entropy). Any other op of the engine can
be checked too by passing a forward callable and shapes (only the generic patterns then).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from autocnn.autograd.function import Function
from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.conv2d import conv2d_backward_formula
from autocnn.symbolic.tensors import index_name, symbol_array

RTOL, ATOL = 1e-7, 1e-9


# ----------------------------------------------------------------------------- op specs
@dataclass
class OpSpec:
    """What the checker needs to know about one op."""

    name: str
    inputs: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    params: dict[str, Any]
    forward: Callable[..., Tensor]
    variants: Callable[..., dict[str, dict[str, np.ndarray]]] | None = None
    expected_expression: Callable[..., str] | None = None
    batch: int = 1


def _conv_forward(x: Tensor, w: Tensor, b: Tensor, stride: int = 1, padding: int = 0) -> Tensor:
    from autocnn.functional import conv2d

    return conv2d(x, w, b, stride=stride, padding=padding)


def _conv_variants(arrays: list[np.ndarray], grad: np.ndarray, correct: dict[str, np.ndarray],
                   stride: int = 1, padding: int = 0) -> dict[str, dict[str, np.ndarray]]:
    x, w, _ = arrays
    out = {}

    def run(**mistake: Any) -> dict[str, np.ndarray]:
        return conv2d_backward_formula(x, w, grad, stride, padding, **mistake)

    out["kernel not rotated by 180° (dL/dx must use the flipped kernel)"] = run(rotate=False)
    if w.shape[0] == w.shape[1]:
        out["kernel not transposed: used W[c, o] where dL/dx needs W[o, c] (sum over output "
            "channels)"] = run(swap_channels=True)
    out["missing sum over the batch (only the first example is counted)"] = run(batch_sum=False)
    out["padding off by one (backward used padding P + 1)"] = run(padding_used=padding + 1)
    if padding >= 1:
        out["padding off by one (backward used padding P − 1)"] = run(padding_used=padding - 1)
    out["padding ignored in the backward (used padding 0)"] = run(padding_used=0) \
        if padding > 1 else out.get("padding off by one (backward used padding P − 1)", {})
    out["stride off by one (backward used stride s + 1)"] = run(stride_used=stride + 1)
    if stride >= 2:
        out["stride off by one (backward used stride s − 1)"] = run(stride_used=stride - 1)
    return {k: v for k, v in out.items() if v}


def _conv_expected(arrays: list[np.ndarray], input_name: str, idx: tuple[int, ...],
                   stride: int = 1, padding: int = 0) -> str:
    shapes = tuple(a.shape for a in arrays)
    return sympy.sstr(_conv_symbolic_grads(shapes, stride, padding)[input_name][idx])


@functools.lru_cache(maxsize=8)
def _conv_symbolic_grads(shapes: tuple, stride: int, padding: int) -> dict[str, np.ndarray]:
    from autocnn.symbolic.conv2d import conv2d_output_formula

    x, w, b = (symbol_array(n, s) for n, s in zip(("x", "w", "b"), shapes))
    g = symbol_array("g", conv2d_output_formula(x, w, b, stride, padding).shape)
    return conv2d_backward_formula(x, w, g, stride, padding)


def _bn_forward(x: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    from autocnn.functional import batch_norm

    return batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def _bn_pieces(x: np.ndarray, gamma: np.ndarray, eps: float, ddof: int = 0) -> tuple:
    n = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).sum(axis=0) / (n - ddof)
    inv_std = 1.0 / np.sqrt(var + eps)
    return n, mu, var, inv_std, (x - mu) * inv_std


def _bn_variants(arrays: list[np.ndarray], grad: np.ndarray, correct: dict[str, np.ndarray],
                 eps: float = 1e-5) -> dict[str, dict[str, np.ndarray]]:
    x, gamma, _ = arrays
    g = grad
    n, mu, _, inv_std, x_hat = _bn_pieces(x, gamma, eps)
    dx_hat = g * gamma
    dvar = (dx_hat * (x - mu)).sum(axis=0) * -0.5 * inv_std**3
    dmu = (-dx_hat * inv_std).sum(axis=0) + dvar * (-2 * (x - mu)).sum(axis=0) / n
    out = {
        "missing 1/N (the factor 1/N of the compact form, or of the mean and variance paths)": {
            "x": correct["x"] * n},
        "missing the sum over a reused branch: x reaches the loss through x̂, μ and σ²; only "
        "the direct path x → x̂ was kept (batch statistics treated as constants)": {
            "x": dx_hat * inv_std},
        "missing the sum over a reused branch: the path through μ (dμ/N) was dropped": {
            "x": dx_hat * inv_std + dvar * 2 * (x - mu) / n},
        "missing the sum over a reused branch: the path through σ² was dropped": {
            "x": dx_hat * inv_std + dmu / n},
        "missing sum over the batch (only the first example is counted)": {
            "weight": (g * x_hat)[0], "bias": g[0]},
        "used the unbiased variance 1/(N − 1) instead of the biased 1/N": _bn_unbiased(
            x, gamma, g, eps),
    }
    return out


def _bn_unbiased(x: np.ndarray, gamma: np.ndarray, g: np.ndarray, eps: float) -> dict:
    n, _, _, inv_std, x_hat = _bn_pieces(x, gamma, eps, ddof=1)
    # the gradient of γ·(x − μ)/sqrt(σ²_unbiased + ε) + β: the compact rule with N − 1
    dx = gamma * inv_std / n * (n * g - g.sum(0) - x_hat * (g * x_hat).sum(0) * n / (n - 1))
    return {"x": dx, "weight": (g * x_hat).sum(0)}


def _bn_expected(arrays: list[np.ndarray], input_name: str, idx: tuple[int, ...],
                 eps: float = 1e-5) -> str:
    from autocnn.symbolic.batchnorm import derive_batchnorm

    n = arrays[0].shape[0]
    d = derive_batchnorm(n)
    channel = idx[-1] if input_name == "x" else idx[0]
    where = (f"for channel {channel}, whose N = {n} values are x_0 … x_{n - 1} "
             f"(g_i their upstream gradients, x̂_i = (x_i − μ)/sqrt(σ² + ε))")
    if input_name == "x":
        return f"{sympy.sstr(d.grads['x'][idx[0]])}   [{where}]"
    key = {"weight": "gamma", "bias": "beta"}[input_name]
    return f"{sympy.sstr(d.grads[key])}   [{where}]"


def _pool_forward(x: Tensor, kernel_size: int = 2, stride: int | None = None) -> Tensor:
    from autocnn.functional import max_pool2d

    return max_pool2d(x, kernel_size, stride)


def _pool_variants(arrays: list[np.ndarray], grad: np.ndarray, correct: dict[str, np.ndarray],
                   kernel_size: int = 2, stride: int | None = None
                   ) -> dict[str, dict[str, np.ndarray]]:
    (x,) = arrays
    s = kernel_size if stride is None else stride
    k = kernel_size
    spread = np.zeros_like(x)
    for p, q in np.ndindex(*grad.shape[2:]):
        spread[:, :, s * p:s * p + k, s * q:s * q + k] += grad[:, :, p:p + 1, q:q + 1]
    return {
        "gradient copied to every entry of the window (it must go to the arg-max only)": {
            "x": spread},
        "average-pooling rule G/k² used (max pooling routes G to the arg-max)": {
            "x": spread / (k * k)},
    }


def _pool_expected(arrays: list[np.ndarray], input_name: str, idx: tuple[int, ...],
                   kernel_size: int = 2, stride: int | None = None) -> str:
    (x,) = arrays
    s = kernel_size if stride is None else stride
    n, c, h, w = idx
    terms = []
    for p, q in np.ndindex((x.shape[2] - kernel_size) // s + 1,
                           (x.shape[3] - kernel_size) // s + 1):
        if s * p <= h < s * p + kernel_size and s * q <= w < s * q + kernel_size:
            window = x[n, c, s * p:s * p + kernel_size, s * q:s * q + kernel_size]
            flat = int(np.argmax(window))
            if (s * p + flat // kernel_size, s * q + flat % kernel_size) == (h, w):
                terms.append(f"g_{n}_{c}_{p}_{q}")
    why = "(x is the max of these windows)" if terms else "(x is the max of no window)"
    return (" + ".join(terms) if terms else "0") + f"   {why}"


def _linear_forward(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    from autocnn.functional import linear

    return linear(x, w, b)


def _linear_variants(arrays: list[np.ndarray], grad: np.ndarray, correct: dict[str, np.ndarray]
                     ) -> dict[str, dict[str, np.ndarray]]:
    return {"missing sum over the batch (only the first example is counted)": {
        "weight": np.outer(grad[0], arrays[0][0]), "bias": grad[0]}}


def _ce_forward(z: Tensor, target: Any = None) -> Tensor:
    from autocnn.functional import cross_entropy

    return cross_entropy(z, target)


def _ce_variants(arrays: list[np.ndarray], grad: np.ndarray, correct: dict[str, np.ndarray],
                 target: Any = None) -> dict[str, dict[str, np.ndarray]]:
    (z,) = arrays
    n = z.shape[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return {
        "missing 1/N (the loss is a mean over the batch)": {"x": correct["x"] * n},
        "one-hot target not subtracted (softmax − one_hot)": {"x": p / n * grad},
    }


def _ce_expected(arrays: list[np.ndarray], input_name: str, idx: tuple[int, ...],
                 target: Any = None) -> str:
    from autocnn.functional import cross_entropy

    z = Tensor(symbol_array("z", arrays[0].shape), requires_grad=True)
    cross_entropy(z, np.asarray(target)).backward()
    return sympy.sstr(sympy.simplify(z.grad.data[idx]))


SPECS: dict[str, OpSpec] = {
    "conv2d": OpSpec("conv2d", ("x", "weight", "bias"), ((2, 2, 5, 5), (2, 2, 3, 3), (2,)),
                     {"stride": 1, "padding": 1}, _conv_forward, _conv_variants, _conv_expected),
    "batch_norm": OpSpec("batch_norm", ("x", "weight", "bias"), ((4, 3), (3,), (3,)),
                         {"eps": 1e-5}, _bn_forward, _bn_variants, _bn_expected),
    "max_pool2d": OpSpec("max_pool2d", ("x",), ((2, 2, 4, 4),), {"kernel_size": 2},
                         _pool_forward, _pool_variants, _pool_expected),
    "linear": OpSpec("linear", ("x", "weight", "bias"), ((3, 4), (2, 4), (2,)), {},
                     _linear_forward, _linear_variants, None),
    "cross_entropy": OpSpec("cross_entropy", ("x",), ((3, 4),), {"target": [0, 3, 1]},
                            _ce_forward, _ce_variants, _ce_expected),
}
SPECS["softmax_cross_entropy"] = SPECS["cross_entropy"]
SPECS["softmax-ce"] = SPECS["cross_entropy"]


# ----------------------------------------------------------------------------- report
@dataclass
class WrongEntry:
    """One wrong gradient entry."""

    index: tuple[int, ...]
    got: float
    expected: float

    def __str__(self) -> str:
        return (f"{index_name(self.index)}: got {self.got:.6g}, expected {self.expected:.6g} "
                f"(off by {self.got - self.expected:+.3g})")


@dataclass
class GradientResult:
    """The verdict on one input's gradient."""

    input: str
    ok: bool
    shape_ok: bool = True
    wrong: int = 0
    total: int = 0
    max_error: float = 0.0
    examples: list[WrongEntry] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    expected_expression: str = ""
    message: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"  dL/d{self.input}: correct ({self.total} entries)"
        lines = [f"  dL/d{self.input}: WRONG"]
        if self.message:
            lines.append(f"    {self.message}")
        if self.shape_ok:
            lines.append(f"    {self.wrong} of {self.total} entries wrong, largest error "
                         f"{self.max_error:.3g}")
            lines += [f"    {e}" for e in self.examples]
        for p in self.patterns:
            lines.append(f"    likely mistake: {p}")
        if self.expected_expression and self.examples:
            lines.append(f"    exact expected expression of {self.input}"
                         f"{index_name(self.examples[0].index)}: {self.expected_expression}")
        return "\n".join(lines)


@dataclass
class ExerciseReport:
    """The checker's verdict: truthy when every gradient is right.

    ``results`` has one ``GradientResult`` per input; ``patterns`` collects every named
    mistake; ``exact`` says what the exact re-check (rationals, then symbols) found, and
    ``exact_failed`` is True when that re-check found a wrong entry — the report is then
    falsy even though every entry passed the float check.
    """

    op: str
    results: list[GradientResult] = field(default_factory=list)
    forward_message: str = ""
    exact: str = ""
    exact_failed: bool = False

    def __bool__(self) -> bool:
        return (not self.forward_message and not self.exact_failed
                and all(r.ok for r in self.results))

    @property
    def patterns(self) -> list[str]:
        """Every mistake pattern recognised, over all gradients."""
        return list(dict.fromkeys(p for r in self.results for p in r.patterns))

    def __str__(self) -> str:
        head = f"check_backward {self.op}: " + ("all gradients correct" if self else
                                               "MISTAKES FOUND")
        lines = [head]
        if self.forward_message:
            lines.append(f"  forward: {self.forward_message}")
        lines += [str(r) for r in self.results]
        if self.exact:
            verdict = "exact check FAILED" if self.exact_failed else "exact check"
            lines.append(f"  {verdict}: {self.exact}")
        return "\n".join(lines)

    __repr__ = __str__


# ----------------------------------------------------------------------------- checking
def _run_student(backward: Any, spec: OpSpec, arrays: list[np.ndarray], grad: np.ndarray,
                 params: dict[str, Any]) -> tuple[list[Any], Any]:
    """The student's gradients (and, for a Function, its forward output)."""
    if inspect.isclass(backward) and issubclass(backward, Function):
        tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = backward.apply(*tensors, **params)
        out.backward(Tensor(np.asarray(grad, dtype=out.dtype)))
        return [None if t.grad is None else t.grad.data for t in tensors], out.data
    if not callable(backward):
        raise TypeError(f"check_backward: 'backward' must be a Function subclass or a function "
                        f"backward(grad_output, *inputs, **params), got {type(backward).__name__}")
    result = backward(grad.copy(), *[a.copy() for a in arrays], **params)
    if result is None:
        raise TypeError(f"check_backward {spec.name}: the backward returned None; it must "
                        f"return one gradient array per input ({', '.join(spec.inputs)}) — "
                        "is a 'return' missing?")
    if isinstance(result, np.ndarray) or np.isscalar(result):
        result = (result,)
    if not isinstance(result, (tuple, list)):
        raise TypeError(f"check_backward {spec.name}: the backward returned "
                        f"{type(result).__name__}; expected one gradient array per input "
                        f"({', '.join(spec.inputs)}) as a tuple")
    result = list(result)
    if len(result) != len(arrays):
        raise ValueError(f"check_backward {spec.name}: the backward returned {len(result)} "
                         f"gradients, expected {len(arrays)} (one per input: "
                         f"{', '.join(spec.inputs)})")
    return [None if r is None else _as_grad_array(r, spec, name)
            for r, name in zip(result, spec.inputs)], None


def _as_grad_array(r: Any, spec: OpSpec, name: str) -> np.ndarray:
    """A returned gradient as a float64 (or exact object) array; anything else refused."""
    try:
        arr = np.asarray(r.data if isinstance(r, Tensor) else r)
    except (TypeError, ValueError) as exc:  # e.g. ragged lists
        raise TypeError(f"check_backward {spec.name}: the gradient returned for {name!r} "
                        f"is not an array of numbers ({exc})") from exc
    if arr.dtype.kind not in "biufO" or (
            arr.dtype == object and any(isinstance(v, (str, bytes)) or v is None
                                        for v in arr.reshape(-1))):
        raise TypeError(f"check_backward {spec.name}: the gradient returned for {name!r} "
                        f"must hold real numbers, got {type(r).__name__} {r!r:.60}")
    return arr if arr.dtype == object else arr.astype(np.float64)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _generic_patterns(got: np.ndarray, correct: np.ndarray, batch: int) -> list[str]:
    out = []
    if _close(got, -correct):
        out.append("sign error (the gradient has the wrong sign)")
    if batch > 1 and _close(got, correct / batch):
        out.append(f"extra factor 1/N (divided by the batch size N = {batch})")
    if batch > 1 and _close(got, correct * batch):
        out.append(f"missing 1/N (N = {batch} times too large)")
    return out


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
                      base.forward, base.variants, base.expected_expression)
    if not callable(op):
        raise TypeError(f"check_backward: 'op' must be an op name or a forward callable, "
                        f"got {type(op).__name__}")
    if not shapes:
        raise ValueError("check_backward: a forward callable needs 'shapes', one per input")
    names = tuple("xyzwvu"[i] for i in range(len(shapes)))
    return OpSpec(getattr(op, "__name__", "op"), names, tuple(tuple(s) for s in shapes),
                  dict(params or {}), op)


def check_backward(op: Any, backward: Any, shapes: Any = None, params: dict[str, Any] | None
                   = None, seed: int = 0, exact: bool = True) -> ExerciseReport:
    """Check a student's ``backward`` for ``op`` and name the mistake (see module docstring).

    ``op`` is one of ``conv2d``, ``batch_norm``, ``max_pool2d``, ``linear``,
    ``cross_entropy`` or a forward callable on Tensors (with ``shapes``). ``params``
    overrides the op's settings (e.g. ``{"stride": 2, "padding": 0}``). With ``exact=True``
    a backward that passes the float check is also run on exact rational inputs, where it
    must agree with the engine with no tolerance at all (skipped, and said so, when the
    student's code cannot take exact numbers, e.g. it calls ``np.sqrt``).
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
    symbolic_grads: dict[str, Any] | None = None  # computed once, when first needed
    got_list, student_out = _run_student(backward, spec, arrays, grad, spec.params)
    if student_out is not None and not _close(student_out, out.data):
        report.forward_message = ("the forward differs from the engine's (max difference "
                                  f"{_max_diff(student_out, out.data)}); fix it first")
    variants = (spec.variants(arrays, grad, {"x" if k == "x" else k: v for k, v in
                                             correct.items()}, **spec.params)
                if spec.variants else {})
    for name, got in zip(spec.inputs, got_list):
        expected = correct[name]
        res = GradientResult(name, ok=False, total=expected.size)
        if got is None:
            res.message = "no gradient returned (None)"
            report.results.append(res)
            continue
        got = np.asarray(got, dtype=np.float64)
        if got.shape != expected.shape:
            res.shape_ok = False
            res.message = f"shape {got.shape}, expected {expected.shape}"
            if got.shape == expected.shape[::-1] and _close(got.T, expected):
                res.patterns.append("transposed (the gradient has the shape of its transpose)")
            report.results.append(res)
            continue
        bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL)
        if not bad.any():
            res.ok = True
            report.results.append(res)
            continue
        res.wrong = int(bad.sum())
        res.max_error = float(np.max(np.abs(got - expected)))
        for idx in list(zip(*np.nonzero(bad)))[:3]:
            idx = tuple(int(i) for i in idx)
            res.examples.append(WrongEntry(idx, float(got[idx]), float(expected[idx])))
        res.patterns += _generic_patterns(got, expected, batch)
        for pattern, grads in variants.items():
            if name in grads and _close(got, grads[name]) and not _close(grads[name], expected):
                res.patterns.append(pattern)
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
        report.exact, report.exact_failed = _exact_check(backward, spec)
    return report


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


def _exact_check(backward: Any, spec: OpSpec) -> tuple[str, bool]:
    """Run the passing backward on exact rationals and compare with no tolerance.

    Returns the verdict and whether it is a failure (a wrong entry found exactly).
    """
    from autocnn.symbolic.tensors import random_rationals

    rng = np.random.default_rng(1)
    arrays = [random_rationals(s, rng) for s in spec.shapes]
    if spec.name == "batch_norm":  # exact square roots: make each channel's σ² + ε a square
        return ("not run for batch_norm (its square root of σ² + ε is irrational in general)",
                False)
    engine_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = spec.forward(*engine_in, **spec.params)
    grad = random_rationals(out.shape, rng, denominator=5)
    out.backward(Tensor(grad.copy()))
    try:
        got, _ = _run_student(backward, spec, arrays, grad, spec.params)
    except Exception as exc:
        return (f"not run: the backward does not accept exact numbers "
                f"({type(exc).__name__})", False)
    for name, g, t in zip(spec.inputs, got, engine_in):
        if g is None or np.shape(g) != t.shape:
            return (f"dL/d{name} has the wrong shape on exact inputs: got "
                    f"{None if g is None else np.shape(g)}, expected {t.shape}", True)
        g_arr = np.asarray(g, dtype=object)
        if any(isinstance(v, (float, np.floating, sympy.Float)) for v in g_arr.reshape(-1)):
            return "not run: the backward turned exact inputs into floats", False
        for idx in np.ndindex(*t.shape):
            if sympy.sympify(g_arr[idx]) - sympy.sympify(t.grad.data[idx]) != 0:
                return (f"dL/d{name}{index_name(idx)} differs on exact inputs: got "
                        f"{g_arr[idx]}, expected {t.grad.data[idx]} (the float check "
                        f"passed only because the error is below its tolerance)", True)
    text, failed = _symbolic_check(backward, spec)
    return "equal with zero tolerance on exact rational inputs" + text, failed


def _symbolic_check(backward: Any, spec: OpSpec) -> tuple[str, bool]:
    """Also run the backward on symbols: agreement there is a proof for every input.

    Returns the added verdict and whether it is a failure (an entry refuted).
    """
    from autocnn.symbolic.compare import compare

    if sum(int(np.prod(s)) for s in spec.shapes) > 200:
        return "", False
    arrays = [symbol_array(n[0], s) for n, s in zip(spec.inputs, spec.shapes)]
    try:
        engine_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = spec.forward(*engine_in, **spec.params)
        grad = symbol_array("g", out.shape)
        out.backward(Tensor(grad.copy()))
        got, _ = _run_student(backward, spec, arrays, grad, spec.params)
    except Exception:  # the arg-max of symbols, np.exp of symbols, …: no symbolic run
        return "", False
    unproved = ""
    for name, g, t in zip(spec.inputs, got, engine_in):
        if g is None or np.shape(g) != t.shape or np.asarray(g).dtype != object:
            return "", False
        for idx in np.ndindex(*t.shape):
            result = compare(g[idx], t.grad.data[idx])
            if result.status == "refuted":
                return (f"; but dL/d{name}{index_name(idx)} differs on symbolic inputs: got "
                        f"{g[idx]}, expected {t.grad.data[idx]}", True)
            if result.status != "proved" and not unproved:
                unproved = (f"; on symbolic inputs dL/d{name}{index_name(idx)} agrees at exact "
                            "points but is not proved (piecewise)")
    if unproved:
        return unproved, False
    return "; and proved equal on symbolic inputs (for every input of these shapes)", False
