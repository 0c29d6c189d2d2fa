"""A different small problem for every student: ``variant(exercise, seed)``.

Each exercise of :data:`EXERCISES` draws its numbers from ``random.Random("name:seed")``
(Python's string seeding hashes the text with SHA-512, so the same seed gives the same
instance on every machine and Python version; NumPy's generators are not used). The numbers
are small integers or simple rationals, chosen so that the exact answer is a rational too:
the batch has a variance that is a perfect square (ε = 0), the logits are logarithms of
small integers (so the softmax is a fraction), the pooling windows hold distinct values (no
ties). The answer key is computed exactly (SymPy rationals) from the textbook formulas,
and a worked solution is written in Markdown and in LaTeX.

A student answers each *part* (``Part``) with a function of the instance's inputs (or a
value); ``autocnn.course.grade`` compares it with the key entry by entry.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from autocnn.symbolic.latex import latex_text


@dataclass(frozen=True)
class Part:
    """One graded answer: the function the student writes, what it returns, its points.

    ``op`` and ``input`` name the catalogue entry (``symbolic.exercises.CATALOGUE``) whose
    mistakes are looked for in a wrong answer (None: only the generic patterns).
    """

    name: str
    label: str
    function: str
    returns: str
    points: float
    op: str | None = None
    input: str | None = None


@dataclass
class Variant:
    """One student's instance of an exercise (see the module docstring).

    ``inputs`` are the given data (exact values: object arrays of SymPy numbers, ints);
    ``args`` the names the part functions take, in order; ``key`` maps each part name to its
    exact answer; ``solution_markdown`` / ``solution_latex`` are the worked solution.
    """

    exercise: str
    seed: int
    title: str
    statement: str
    inputs: dict[str, Any]
    args: tuple[str, ...]
    parts: list[Part]
    key: dict[str, Any]
    solution_markdown: str = ""
    solution_latex: str = ""
    catalogue_args: dict[str, Any] = field(default_factory=dict)

    @property
    def points(self) -> float:
        """The total points of the exercise."""
        return float(sum(p.points for p in self.parts))

    def float_inputs(self) -> dict[str, Any]:
        """The inputs as the student's code receives them: float64 arrays, ints stay ints."""
        return {k: _to_float(v) for k, v in self.inputs.items()}

    def key_floats(self) -> dict[str, Any]:
        """The answer key as float64 arrays (strings stay strings)."""
        return {k: _to_float(v) for k, v in self.key.items()}

    def __repr__(self) -> str:
        return f"<Variant {self.exercise} seed={self.seed}: {len(self.parts)} parts>"


def _to_float(value: Any) -> Any:
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
        return list(value)
    arr = np.asarray(value, dtype=object)
    return np.array([float(sympy.N(v, 30)) for v in arr.reshape(-1)],
                    dtype=np.float64).reshape(arr.shape)


def _exact(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(*arr.shape):
        out[idx] = sympy.nsimplify(arr[idx]) if not isinstance(arr[idx], sympy.Basic) \
            else arr[idx]
    return out


def _ints(rng: random.Random, shape: tuple[int, ...], lo: int, hi: int) -> np.ndarray:
    return _exact(np.array([rng.randint(lo, hi) for _ in range(int(np.prod(shape)))],
                           dtype=object).reshape(shape))


def _matrix_tex(a: Any) -> str:
    arr = np.asarray(a, dtype=object)
    if arr.ndim == 0:
        return sympy.latex(arr[()])
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim > 2:  # one matrix per leading index
        return r",\ ".join(_matrix_tex(arr[i]) for i in range(arr.shape[0]))
    return sympy.latex(sympy.Matrix(arr.tolist()))


def _md(text_tex: str) -> str:
    return f"$$\n{text_tex}\n$$"


def _solution(title: str, steps: list[tuple[str, str]]) -> tuple[str, str]:
    """Markdown and LaTeX of a worked solution: (sentence, LaTeX formula) per step."""
    md = [f"### Worked solution: {title}", ""]
    tex = [f"\\subsection*{{Worked solution: {latex_text(title)}}}", "\\begin{enumerate}"]
    for sentence, formula in steps:
        md += [f"1. {sentence}", "", _md(formula) if formula else "", ""]
        tex.append(f"\\item {latex_text(sentence)}" + (f"\n\\[ {formula} \\]" if formula else ""))
    tex.append("\\end{enumerate}")
    return "\n".join(md).rstrip() + "\n", "\n".join(tex) + "\n"


# ----------------------------------------------------------------------------- conv
def _conv_key(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray, stride: int,
              padding: int) -> dict[str, np.ndarray]:
    from autocnn.symbolic.conv2d import conv2d_backward_formula, conv2d_output_formula

    y = conv2d_output_formula(x, w, b, stride, padding)
    grads = conv2d_backward_formula(x, w, g, stride, padding)
    return {"y": y, "dx": grads["x"], "dw": grads["weight"], "db": grads["bias"]}


def _conv_lesson(seed: int) -> Variant:
    rng = random.Random(f"conv2d-lesson:{seed}")
    x = _ints(rng, (1, 1, 6, 6), 0, 3)
    w = _ints(rng, (1, 1, 3, 3), -1, 2)
    b = _exact([0])
    g = _ints(rng, (1, 1, 4, 4), -1, 1)
    k = _conv_key(x, w, b, g, 1, 0)
    parts = [
        Part("y", "Y = X ⋆ W", "lesson_forward", "Y, shape (1, 1, 4, 4)", 2.0),
        Part("dx", "dL/dx", "lesson_grad_input", "dL/dX, shape (1, 1, 6, 6)", 4.0,
             "conv2d", "x"),
        Part("dw", "dL/dw", "lesson_grad_weight", "dL/dW, shape (1, 1, 3, 3)", 4.0,
             "conv2d", "weight"),
    ]
    statement = (
        "The lesson's example: a 6×6 grayscale image X (shape (1, 1, 6, 6)) and a 3×3 filter "
        "W (shape (1, 1, 3, 3)), no bias, stride 1, no padding, so Y = X ⋆ W is 4×4 "
        "(cross-correlation, as every deep-learning library computes it). The loss L has "
        "upstream gradient G = ∂L/∂Y (shape (1, 1, 4, 4)).\n\n"
        "Compute Y, ∂L/∂X and ∂L/∂W.")
    steps = [
        ("The data.", rf"X = {_matrix_tex(x[0, 0])},\quad W = {_matrix_tex(w[0, 0])},\quad "
                      rf"G = {_matrix_tex(g[0, 0])}"),
        ("Each output entry is one window of X against the whole filter: "
         "Y[p, q] = Σ_ij W[i, j] X[p + i, q + j].",
         rf"Y = {_matrix_tex(k['y'][0, 0])}"),
        ("∂L/∂W[i, j] = Σ_pq G[p, q] X[p + i, q + j]: the valid correlation of X with G.",
         rf"\frac{{\partial L}}{{\partial W}} = {_matrix_tex(k['dw'][0, 0])}"),
        ("∂L/∂X is the full convolution of G (zero-padded by 2) with the filter rotated by "
         "180° — every window X took part in sends G[p, q]·W back to its place.",
         rf"\operatorname{{rot180}}(W) = {_matrix_tex(w[0, 0, ::-1, ::-1])},\quad "
         rf"\frac{{\partial L}}{{\partial X}} = {_matrix_tex(k['dx'][0, 0])}"),
    ]
    md, tex = _solution("the lesson's 6×6 image and 3×3 filter", steps)
    return Variant("conv2d-lesson", seed, "Convolution of the lesson's 6×6 image", statement,
                   {"x": x, "w": w, "g": g}, ("x", "w", "g"), parts,
                   {"y": k["y"], "dx": k["dx"], "dw": k["dw"]}, md, tex,
                   {"op": "conv2d", "arrays": ("x", "w", None), "grad": "g",
                    "params": {"stride": 1, "padding": 0}})


def _conv_two_channel(seed: int) -> Variant:
    rng = random.Random(f"conv2d-2ch:{seed}")
    stride, padding = rng.choice([(1, 1), (2, 1), (2, 0)])
    size = 5 if stride == 2 and padding == 0 else 4
    x = _ints(rng, (1, 2, size, size), -2, 2)
    w = _ints(rng, (2, 2, 2, 2), -1, 1)
    b = _ints(rng, (2,), -1, 1)
    out = (size + 2 * padding - 2) // stride + 1
    g = _ints(rng, (1, 2, out, out), -1, 1)
    k = _conv_key(x, w, b, g, stride, padding)
    parts = [
        Part("dx", "dL/dx", "conv_grad_input", f"dL/dX, shape (1, 2, {size}, {size})", 4.0,
             "conv2d", "x"),
        Part("dw", "dL/dweight", "conv_grad_weight", "dL/dW, shape (2, 2, 2, 2)", 4.0,
             "conv2d", "weight"),
        Part("db", "dL/dbias", "conv_grad_bias", "dL/db, shape (2,)", 2.0, "conv2d", "bias"),
    ]
    statement = (
        f"A convolution with 2 input channels and 2 filters of size 2×2, stride {stride}, "
        f"zero padding {padding}: X has shape (1, 2, {size}, {size}), W (2, 2, 2, 2), b (2,), "
        f"and Y = conv2d(X, W, b) has shape (1, 2, {out}, {out}). G = ∂L/∂Y is given.\n\n"
        "Compute ∂L/∂X, ∂L/∂W and ∂L/∂b.")
    steps = [
        ("The data (one matrix per channel).",
         rf"X = {_matrix_tex(x[0])},\quad W_0 = {_matrix_tex(w[0])},\quad "
         rf"W_1 = {_matrix_tex(w[1])},\quad b = {_matrix_tex(b)},\quad G = {_matrix_tex(g[0])}"),
        ("∂L/∂b[o] = Σ_pq G[o, p, q].", rf"\frac{{\partial L}}{{\partial b}} = "
                                        rf"{_matrix_tex(k['db'])}"),
        (f"∂L/∂W[o, c, i, j] = Σ_pq G[o, p, q] X_pad[c, {stride}p + i, {stride}q + j] "
         f"(X_pad: X with {padding} zeros around).",
         rf"\frac{{\partial L}}{{\partial W_0}} = {_matrix_tex(k['dw'][0])},\quad "
         rf"\frac{{\partial L}}{{\partial W_1}} = {_matrix_tex(k['dw'][1])}"),
        ("∂L/∂X: each output entry sends G[o, p, q]·W[o] back to the window it read, summed "
         "over the filters o (equivalently: G with stride − 1 zeros between entries, fully "
         "convolved with rot180(W), transposed over channels); then the padding is cut off.",
         rf"\frac{{\partial L}}{{\partial X}} = {_matrix_tex(k['dx'][0])}"),
    ]
    md, tex = _solution(f"2-channel convolution, stride {stride}, padding {padding}", steps)
    return Variant("conv2d-2ch", seed, "A 2-channel convolution with stride and padding",
                   statement, {"x": x, "w": w, "b": b, "g": g, "stride": stride,
                               "padding": padding},
                   ("x", "w", "b", "g", "stride", "padding"), parts,
                   {"dx": k["dx"], "dw": k["dw"], "db": k["db"]}, md, tex,
                   {"op": "conv2d", "arrays": ("x", "w", "b"), "grad": "g",
                    "params": {"stride": stride, "padding": padding}})


# ----------------------------------------------------------------------------- batch norm
#: zero-mean integer vectors of 4 values whose (biased) variance is a perfect square
_SQUARE_VAR = [(5, -1, -1, -3), (3, 1, 1, -5), (7, 1, -1, -7), (1, 1, -1, -1)]


def _batchnorm(seed: int) -> Variant:
    rng = random.Random(f"batchnorm:{seed}")
    cols, gammas, betas = [], [], []
    for _ in range(2):  # two channels
        base = list(rng.choice([v for v in _SQUARE_VAR if _is_square_var(v)]))
        rng.shuffle(base)
        scale, shift = rng.choice([1, 2]), rng.randint(-2, 3)
        cols.append([shift + scale * v for v in base])
        gammas.append(rng.choice([2, 3]))  # γ ≠ 1: "γ forgotten" must show
        betas.append(rng.randint(-1, 1))
    x = _exact(np.array(cols, dtype=object).T)          # (N=4, C=2)
    gamma, beta = _exact(gammas), _exact(betas)
    g = _ints(rng, (4, 2), -2, 2)
    n = x.shape[0]
    mu = x.sum(axis=0) / n
    var = ((x - mu) ** 2).sum(axis=0) / n
    std = np.array([sympy.sqrt(v) for v in var], dtype=object)
    x_hat = (x - mu) / std
    dx = gamma / (n * std) * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    dgamma, dbeta = (g * x_hat).sum(axis=0), g.sum(axis=0)
    parts = [
        Part("dx", "dL/dx", "bn_grad_input", "dL/dx, shape (4, 2)", 6.0, "batch_norm", "x"),
        Part("dgamma", "dL/dgamma", "bn_grad_gamma", "dL/dγ, shape (2,)", 2.0, "batch_norm",
             "weight"),
        Part("dbeta", "dL/dbeta", "bn_grad_beta", "dL/dβ, shape (2,)", 2.0, "batch_norm",
             "bias"),
    ]
    statement = (
        "Training-mode batch normalisation of a batch of N = 4 examples with 2 features "
        "(x of shape (4, 2)), per feature: μ = mean, σ² = biased variance, "
        "x̂ = (x − μ)/sqrt(σ² + ε), y = γ x̂ + β. Take ε = 0 here (the numbers are chosen so "
        "that every σ is a whole number). G = ∂L/∂y is given.\n\n"
        "Compute ∂L/∂x, ∂L/∂γ and ∂L/∂β.")
    steps = [
        ("The data.", rf"x = {_matrix_tex(x)},\quad \gamma = {_matrix_tex(gamma)},\quad "
                      rf"\beta = {_matrix_tex(beta)},\quad G = {_matrix_tex(g)}"),
        ("Batch statistics per feature, and x̂.",
         rf"\mu = {_matrix_tex(mu)},\quad \sigma^2 = {_matrix_tex(var)},\quad "
         rf"\hat{{x}} = {_matrix_tex(x_hat)}"),
        ("∂L/∂β = Σ_i g_i and ∂L/∂γ = Σ_i g_i x̂_i.",
         rf"\frac{{\partial L}}{{\partial \beta}} = {_matrix_tex(dbeta)},\quad "
         rf"\frac{{\partial L}}{{\partial \gamma}} = {_matrix_tex(dgamma)}"),
        ("x reaches the loss through x̂, μ and σ²; summing the three paths gives the compact "
         "form ∂L/∂x_i = γ/(N σ) · (N g_i − Σ_j g_j − x̂_i Σ_j g_j x̂_j).",
         rf"\frac{{\partial L}}{{\partial x}} = {_matrix_tex(dx)}"),
    ]
    md, tex = _solution("batch norm of a batch of 4", steps)
    return Variant("batchnorm", seed, "Batch-norm backward on a batch", statement,
                   {"x": x, "gamma": gamma, "beta": beta, "g": g, "eps": 0},
                   ("x", "gamma", "beta", "g", "eps"), parts,
                   {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}, md, tex,
                   {"op": "batch_norm", "arrays": ("x", "gamma", "beta"), "grad": "g",
                    "params": {"eps": 0}})


def _is_square_var(v: tuple[int, ...]) -> bool:
    var = sympy.Rational(sum(t * t for t in v), len(v))
    return sum(v) == 0 and sympy.sqrt(var).is_Rational


# ----------------------------------------------------------------------------- max pool
def _maxpool(seed: int) -> Variant:
    rng = random.Random(f"maxpool:{seed}")
    values = rng.sample(range(-9, 10), 16)  # distinct: no ties in any window
    x = _exact(np.array(values, dtype=object).reshape(1, 1, 4, 4))
    g = _exact(np.array([rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(4)],
                        dtype=object).reshape(1, 1, 2, 2))
    y = np.empty((1, 1, 2, 2), dtype=object)
    dx = np.full(x.shape, sympy.Integer(0), dtype=object)
    for p, q in np.ndindex(2, 2):
        window = x[0, 0, 2 * p:2 * p + 2, 2 * q:2 * q + 2]
        i, j = np.unravel_index(int(np.argmax(window.astype(float))), (2, 2))
        y[0, 0, p, q] = window[i, j]
        dx[0, 0, 2 * p + i, 2 * q + j] = g[0, 0, p, q]
    parts = [
        Part("y", "Y = maxpool(X)", "pool_forward", "Y, shape (1, 1, 2, 2)", 2.0),
        Part("dx", "dL/dx", "pool_grad_input", "dL/dX, shape (1, 1, 4, 4)", 4.0,
             "max_pool2d", "x"),
    ]
    statement = (
        "2×2 max pooling with stride 2 of a 4×4 input X (shape (1, 1, 4, 4); its 16 values "
        "are distinct, so no window has a tie). G = ∂L/∂Y (shape (1, 1, 2, 2)) is given.\n\n"
        "Compute Y and ∂L/∂X.")
    steps = [
        ("The data.", rf"X = {_matrix_tex(x[0, 0])},\quad G = {_matrix_tex(g[0, 0])}"),
        ("Each output is the largest value of its 2×2 window.",
         rf"Y = {_matrix_tex(y[0, 0])}"),
        ("The gradient of a max goes to the entry that was the max, and nowhere else.",
         rf"\frac{{\partial L}}{{\partial X}} = {_matrix_tex(dx[0, 0])}"),
    ]
    md, tex = _solution("2×2 max pooling", steps)
    return Variant("maxpool", seed, "Max pooling, forward and backward", statement,
                   {"x": x, "g": g}, ("x", "g"), parts, {"y": y, "dx": dx}, md, tex,
                   {"op": "max_pool2d", "arrays": ("x",), "grad": "g",
                    "params": {"kernel_size": 2}})


# ----------------------------------------------------------------------------- softmax + CE
def _softmax_ce(seed: int) -> Variant:
    rng = random.Random(f"softmax-ce:{seed}")
    counts = [[rng.randint(1, 6) for _ in range(3)] for _ in range(2)]
    target = [rng.randrange(3) for _ in range(2)]
    logits = np.array([[sympy.log(c) for c in row] for row in counts], dtype=object)
    n = 2
    p = np.array([[sympy.Rational(c, sum(row)) for c in row] for row in counts], dtype=object)
    onehot = np.zeros((2, 3), dtype=object)
    onehot[:] = sympy.Integer(0)
    for i, t in enumerate(target):
        onehot[i, t] = sympy.Integer(1)
    loss = sympy.Add(*[-sympy.log(p[i, t]) for i, t in enumerate(target)]) / n
    dlogits = (p - onehot) / n
    parts = [
        Part("p", "softmax(z)", "softmax", "the probabilities, shape (2, 3)", 2.0),
        Part("loss", "L", "cross_entropy", "the mean loss, a number", 2.0),
        Part("dlogits", "dL/dlogits", "cross_entropy_grad", "dL/dz, shape (2, 3)", 4.0,
             "cross_entropy", "logits"),
    ]
    zs = ", ".join("(" + ", ".join(f"ln {c}" for c in row) + ")" for row in counts)
    statement = (
        f"Softmax and the mean cross-entropy of N = 2 examples with 3 classes. The logits "
        f"are z = {zs} (logarithms of whole numbers, so the softmax is a simple fraction) "
        f"and the targets are t = {target}.\n\n"
        "Compute p = softmax(z) per row, the loss L = −(1/N) Σ_n log p[n, t_n] and ∂L/∂z.")
    steps = [
        ("The data.", rf"z = {_matrix_tex(logits)},\quad t = {target}"),
        ("softmax(z)_k = e^{z_k} / Σ_j e^{z_j}; with z_k = ln c_k that is c_k / Σ_j c_j.",
         rf"p = {_matrix_tex(p)}"),
        ("The loss is the mean of −log p[n, t_n].", rf"L = {sympy.latex(loss)}"),
        ("∂L/∂z = (softmax(z) − one_hot(t)) / N.",
         rf"\frac{{\partial L}}{{\partial z}} = {_matrix_tex(dlogits)}"),
    ]
    md, tex = _solution("softmax + cross-entropy", steps)
    return Variant("softmax-ce", seed, "Softmax and cross-entropy", statement,
                   {"logits": logits, "target": target}, ("logits", "target"), parts,
                   {"p": p, "loss": loss, "dlogits": dlogits}, md, tex,
                   {"op": "cross_entropy", "arrays": ("logits",), "grad": None,
                    "params": {"target": target}})


# ----------------------------------------------------------------------------- output sizes
def _output_sizes(seed: int) -> Variant:
    rng = random.Random(f"output-size:{seed}")
    size = rng.choice([28, 32, 48, 64])
    c_in = rng.choice([1, 3])
    layers = []
    h, c = size, c_in
    sizes, params = [], []
    for _ in range(3):
        k = rng.choice([3, 5])
        s = rng.choice([1, 2])
        p = rng.choice([0, k // 2])
        out_c = rng.choice([8, 16, 32])
        layers.append((c, out_c, k, s, p))
        h = (h + 2 * p - k) // s + 1
        sizes.append(h)
        params.append(out_c * c * k * k + out_c)
        c = out_c
    desc = " → ".join(f"Conv2d({a}, {o}, {k}, stride={s}, padding={p})"
                      for a, o, k, s, p in layers)
    parts = [
        Part("sizes", "output sizes", "output_sizes", "the 3 output heights, a list of ints",
             3.0),
        Part("params", "parameter counts", "parameter_counts",
             "the 3 parameter counts (weights + biases), a list of ints", 3.0),
    ]
    statement = (
        f"A network {desc} on {size}×{size} images with {c_in} channel(s). Using "
        "H_out = ⌊(H + 2P − K)/S⌋ + 1 and C_out·C_in·K·K + C_out parameters per layer, give "
        "each layer's output height and parameter count.")
    steps = [(f"Layer {i + 1}: H = ⌊({hin} + 2·{p} − {k})/{s}⌋ + 1 = {hout}; parameters "
              f"{o}·{a}·{k}·{k} + {o} = {n}.", "")
             for i, ((a, o, k, s, p), hin, hout, n) in enumerate(
                 zip(layers, [size, *sizes[:-1]], sizes, params))]
    md, tex = _solution("output sizes and parameter counts", steps)
    return Variant("output-size", seed, "Output sizes and parameter counts", statement,
                   {}, (), parts,
                   {"sizes": _exact(sizes), "params": _exact(params)}, md, tex, {})


# ----------------------------------------------------------------------------- find the bug
def _find_the_bug(seed: int) -> Variant:
    from autocnn.course.inject import INJECTABLE

    rng = random.Random(f"find-the-bug:{seed}")
    op = rng.choice(sorted(INJECTABLE))
    keys = sorted(INJECTABLE[op])
    mistake = rng.choice(keys)
    parts = [Part("mistake", "the injected mistake", "injected_mistake",
                  f"the catalogue key of the mistake (one of: {', '.join(keys)})", 4.0)]
    statement = (
        f"The backward of `{op}` has been replaced by one catalogued wrong rule, with "
        f"`autocnn.course.inject({op!r}, SECRET)`, and a gradient check was run (its report "
        f"is below). Read which entries are wrong and by how much — reproduce it yourself "
        f"with `inject` and each candidate — and name the mistake: one of "
        f"{', '.join(keys)}.")
    from autocnn.symbolic.exercises.mistakes import CATALOGUE

    steps = [(f"The injected rule was {mistake}: {CATALOGUE[op][mistake].text}.", "")]
    md, tex = _solution("find the injected bug", steps)
    return Variant("find-the-bug", seed, "Find the injected bug", statement,
                   {"op": op}, ("op",), parts, {"mistake": mistake}, md, tex, {})


#: the exercises by name, in the order ``autocnn course make --exercises 1,2,…`` numbers them
EXERCISES: dict[str, Callable[[int], Variant]] = {
    "conv2d-lesson": _conv_lesson,
    "conv2d-2ch": _conv_two_channel,
    "batchnorm": _batchnorm,
    "maxpool": _maxpool,
    "softmax-ce": _softmax_ce,
    "output-size": _output_sizes,
    "find-the-bug": _find_the_bug,
}


def exercise_name(exercise: str | int) -> str:
    """The registry name of ``exercise`` (a name, or its 1-based number in :data:`EXERCISES`)."""
    names = list(EXERCISES)
    if isinstance(exercise, int) and not isinstance(exercise, bool):
        if 1 <= exercise <= len(names):
            return names[exercise - 1]
    elif isinstance(exercise, str):
        key = exercise.strip().lower().replace("_", "-")
        if key.isdigit():
            return exercise_name(int(key))
        if key in EXERCISES:
            return key
    known = ", ".join(f"{i + 1}={n}" for i, n in enumerate(names))
    raise ValueError(f"course: unknown exercise {exercise!r}; the exercises are {known}")


def variant(exercise: str | int, seed: int) -> Variant:
    """The instance of ``exercise`` for ``seed``: data, parts, exact key, worked solution.

    ``exercise`` is a name of :data:`EXERCISES` (or its number, from 1); ``seed`` any int
    (e.g. derived from a student id). Same seed, same instance, on every machine.
    """
    name = exercise_name(exercise)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"course.variant: 'seed' must be an int, got {type(seed).__name__}")
    return EXERCISES[name](int(seed))
