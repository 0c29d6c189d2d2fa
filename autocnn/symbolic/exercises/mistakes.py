"""The catalogue of wrong backward rules: what the checker names and what ``inject`` plants.

Each :class:`Mistake` is one classic error in a hand-written backward, with the sentence
the checker prints and its ``rule``: the gradients that error produces, as a function of
NumPy arrays ``rule(grad_output, *inputs, **params) -> {input name: wrong gradient}``
(inputs the mistake does not touch are left out). The checker recognises a student's
gradient by comparing it with every rule of its op; ``autocnn.course.inject`` runs a rule
as the backward of a real layer, so the same mistake shows up in a gradcheck, a training
curve and a graph picture. One table, so the two can never disagree on what a mistake is.

Rules run on float64 arrays and, where the op allows it, on object arrays of exact
rationals (``autocnn.course`` uses them for exact answer keys of wrong variants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Mistake:
    """One catalogued wrong rule: ``op``, a short ``key``, the ``text`` the checker prints.

    ``fast`` is False for rules written as explicit loops (fine for the checker's small
    inputs, too slow to train a network with under ``inject``).
    """

    op: str
    key: str
    text: str
    rule: Callable[..., dict[str, np.ndarray]]
    fast: bool = True


def vjp(forward: Callable[..., Any], arrays: list[np.ndarray], grad: np.ndarray,
        **params: Any) -> list[np.ndarray | None]:
    """The engine's vector-Jacobian product: gradients of ``forward(*arrays)`` against ``grad``.

    Runs on fresh leaf tensors (so it may be called from inside another backward).
    """
    from autocnn.autograd.grad_mode import enable_grad
    from autocnn.autograd.tensor import Tensor

    with enable_grad():
        leaves = [Tensor(np.array(a, copy=True), requires_grad=True) for a in arrays]
        out = forward(*leaves, **params)
        out.backward(Tensor(np.array(grad, copy=True)))
    return [None if t.grad is None else t.grad.data for t in leaves]


# ----------------------------------------------------------------------------- conv2d
def _conv(x: Any, w: Any, b: Any, stride: int = 1, padding: int = 0) -> Any:
    # from its own module: ``course.inject`` replaces the name everywhere else
    from autocnn.functional.conv import conv2d

    return conv2d(x, w, b, stride=stride, padding=padding)


def _conv_dx_with(kernel_of: Callable[[np.ndarray], np.ndarray]) -> Callable[..., dict]:
    """dL/dx computed with the kernel ``kernel_of(W)`` in place of W (dW, db unchanged).

    The correct dL/dx is the full convolution of G with rot180(W); using the kernel K there
    instead is the correct rule applied to the weight rot180(K), so the engine computes it.
    """
    def rule(g: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1,
             padding: int = 0) -> dict[str, np.ndarray]:
        used = kernel_of(w)  # the kernel the mistaken full convolution uses
        wrong_w = np.ascontiguousarray(used[:, :, ::-1, ::-1])
        dx = vjp(lambda x_, w_, b_: _conv(x_, w_, b_, stride, padding), [x, wrong_w, b], g)[0]
        return {"x": dx}
    return rule


def _transposed_kernel(w: np.ndarray) -> np.ndarray:
    """W[c, o] read where W[o, c] belongs (only expressible with as many inputs as outputs)."""
    if w.shape[0] != w.shape[1]:
        raise ValueError("kernel_not_transposed needs in_channels == out_channels")
    return np.swapaxes(w, 0, 1)[:, :, ::-1, ::-1]


def _conv_formula(**mistake: Any) -> Callable[..., dict]:
    def rule(g: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1,
             padding: int = 0) -> dict[str, np.ndarray]:
        from autocnn.symbolic.conv2d import conv2d_backward_formula

        extra = {k: (v(stride, padding) if callable(v) else v) for k, v in mistake.items()}
        return conv2d_backward_formula(x, w, g, stride, padding, **extra)
    return rule


def _conv_no_batch_sum(g: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray,
                       stride: int = 1, padding: int = 0) -> dict[str, np.ndarray]:
    _, dw, db = vjp(lambda x_, w_, b_: _conv(x_, w_, b_, stride, padding),
                    [x[:1], w, b], g[:1])
    return {"weight": dw, "bias": db}


# ----------------------------------------------------------------------------- batch norm
def _bn_axes(x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes reduced per channel and the shape γ broadcasts to: (N, C) or (N, C, H, W)."""
    axes = (0,) if x.ndim == 2 else (0, *range(2, x.ndim))
    shape = tuple(s if i == 1 else 1 for i, s in enumerate(x.shape))
    return axes, shape


def _bn_backward(g: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: Any = 1e-5, *,
                 paths: str = "direct mu var", mu_over_n: bool = True, use_gamma: bool = True,
                 eps_inside: bool = True, signs: tuple[int, int, int] = (1, 1, 1),
                 ddof: int = 0) -> np.ndarray:
    """Staged batch-norm backward dx̂ → dσ² → dμ → dx, with switches that reproduce mistakes.

    ``signs`` multiply the three terms of dL/dx (direct, through σ², through μ); the
    compact form's N g, −x̂Σg x̂ and −Σg are these same three terms.
    """
    axes, shape = _bn_axes(x)
    n = int(np.prod([x.shape[a] for a in axes]))
    mu = x.sum(axis=axes, keepdims=True) / n
    d = x - mu
    var = (d * d).sum(axis=axes, keepdims=True) / (n - ddof)
    std = var ** 0.5 + eps if not eps_inside else (var + eps) ** 0.5
    gam = gamma.reshape(shape) if use_gamma else 1
    dx_hat = g * gam
    dvar = (dx_hat * d).sum(axis=axes, keepdims=True) * -0.5 / (std * std * std) \
        if eps_inside else (dx_hat * d).sum(axis=axes, keepdims=True) * -0.5 / (
            std * std * var ** 0.5)
    dmu = -(dx_hat / std).sum(axis=axes, keepdims=True) \
        + dvar * (-2 * d).sum(axis=axes, keepdims=True) / (n - ddof)
    out = signs[0] * dx_hat / std
    if "var" in paths:
        out = out + signs[1] * dvar * 2 * d / (n - ddof)
    if "mu" in paths:
        out = out + signs[2] * (dmu / n if mu_over_n else dmu)
    return out


def _bn_rule(**switches: Any) -> Callable[..., dict]:
    def rule(g: np.ndarray, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
             eps: Any = 1e-5) -> dict[str, np.ndarray]:
        out = {"x": _bn_backward(g, x, gamma, eps, **switches)}
        if "eps_inside" in switches or "ddof" in switches:  # x̂ is wrong, so is dL/dγ
            axes, _ = _bn_axes(x)
            n = int(np.prod([x.shape[a] for a in axes]))
            mu = x.sum(axis=axes, keepdims=True) / n
            var = ((x - mu) ** 2).sum(axis=axes, keepdims=True) / (n - switches.get("ddof", 0))
            std = (var ** 0.5 + eps) if not switches.get("eps_inside", True) else (
                var + eps) ** 0.5
            out["weight"] = (g * (x - mu) / std).sum(axis=axes)
        return out
    return rule


def _bn_times_n(g: np.ndarray, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                eps: Any = 1e-5) -> dict[str, np.ndarray]:
    axes, _ = _bn_axes(x)
    n = int(np.prod([x.shape[a] for a in axes]))
    return {"x": _bn_backward(g, x, gamma, eps) * n}


def _bn_no_batch_sum(g: np.ndarray, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                     eps: Any = 1e-5) -> dict[str, np.ndarray]:
    axes, _ = _bn_axes(x)
    n = int(np.prod([x.shape[a] for a in axes]))
    mu = x.sum(axis=axes, keepdims=True) / n
    x_hat = (x - mu) / (((x - mu) ** 2).sum(axis=axes, keepdims=True) / n + eps) ** 0.5
    rest = tuple(a - 1 for a in axes if a != 0)  # the spatial axes of one example
    first, g0 = (g * x_hat)[0], g[0]
    if rest:
        first, g0 = first.sum(axis=rest), g0.sum(axis=rest)
    return {"weight": first, "bias": g0}


# ----------------------------------------------------------------------------- others
def _pool_spread(g: np.ndarray, x: np.ndarray, kernel_size: int = 2, stride: int | None = None,
                 average: bool = False) -> np.ndarray:
    s = kernel_size if stride is None else stride
    k = kernel_size
    spread = np.zeros(x.shape, dtype=np.result_type(x, g))
    for p, q in np.ndindex(*g.shape[2:]):
        spread[:, :, s * p:s * p + k, s * q:s * q + k] += g[:, :, p:p + 1, q:q + 1]
    return spread / (k * k) if average else spread


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _one_hot(target: Any, shape: tuple[int, int]) -> np.ndarray:
    y = np.zeros(shape)
    y[np.arange(shape[0]), np.asarray(target)] = 1
    return y


def _ce_rule(kind: str) -> Callable[..., dict]:
    def rule(g: Any, z: np.ndarray, target: Any = None) -> dict[str, np.ndarray]:
        n = z.shape[0]
        p, y = _softmax(np.asarray(z, dtype=np.float64)), _one_hot(target, z.shape)
        wrong = {"times_n": (p - y), "no_onehot": p / n, "plus_onehot": (p + y) / n}[kind]
        return {"logits": wrong * np.asarray(g, dtype=np.float64)}
    return rule


def _linear_no_batch_sum(g: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray
                         ) -> dict[str, np.ndarray]:
    return {"weight": np.outer(g[0], x[0]), "bias": g[0]}


_SIGN = "sign error in one term of dL/dx"
_ENTRIES = [
    # conv2d ----------------------------------------------------------------------------
    Mistake("conv2d", "kernel_not_rotated", "kernel not rotated by 180° (dL/dx must use the "
            "flipped kernel)", _conv_dx_with(lambda w: w)),
    Mistake("conv2d", "kernel_flipped_rows_only", "kernel flipped on one axis only: rotating "
            "by 180° flips rows and columns, the backward flipped only the rows",
            _conv_dx_with(lambda w: w[:, :, ::-1, :])),
    Mistake("conv2d", "kernel_flipped_columns_only", "kernel flipped on one axis only: "
            "rotating by 180° flips rows and columns, the backward flipped only the columns",
            _conv_dx_with(lambda w: w[:, :, :, ::-1])),
    Mistake("conv2d", "kernel_not_transposed", "kernel not transposed: used W[c, o] where "
            "dL/dx needs W[o, c] (sum over output channels)",
            _conv_dx_with(_transposed_kernel)),
    Mistake("conv2d", "no_batch_sum", "missing sum over the batch (only the first example "
            "is counted)", _conv_no_batch_sum),
    Mistake("conv2d", "padding_plus_one", "padding off by one (backward used padding P + 1)",
            _conv_formula(padding_used=lambda s, p: p + 1), fast=False),
    Mistake("conv2d", "padding_minus_one", "padding off by one (backward used padding P − 1)",
            _conv_formula(padding_used=lambda s, p: p - 1 if p >= 1 else None), fast=False),
    Mistake("conv2d", "padding_ignored", "padding ignored in the backward (used padding 0)",
            _conv_formula(padding_used=lambda s, p: 0 if p > 1 else None), fast=False),
    Mistake("conv2d", "stride_plus_one", "stride off by one (backward used stride s + 1)",
            _conv_formula(stride_used=lambda s, p: s + 1), fast=False),
    Mistake("conv2d", "stride_minus_one", "stride off by one (backward used stride s − 1)",
            _conv_formula(stride_used=lambda s, p: s - 1 if s >= 2 else None), fast=False),
    # batch norm -------------------------------------------------------------------------
    Mistake("batch_norm", "mu_path_missing_1_over_n", "1/N dropped on the μ path: μ = (1/N) "
            "Σ x_i, so the gradient through μ reaches each x_i as (1/N)·∂L/∂μ; the 1/N was "
            "left out", _bn_rule(mu_over_n=False)),
    Mistake("batch_norm", "gamma_forgotten", "γ forgotten: ∂L/∂x̂ = γ·g, the backward used g "
            "alone", _bn_rule(use_gamma=False)),
    Mistake("batch_norm", "eps_outside_sqrt", "ε outside the square root: used "
            "1/(sqrt(σ²) + ε) instead of 1/sqrt(σ² + ε)", _bn_rule(eps_inside=False)),
    Mistake("batch_norm", "sign_error_direct_term", f"{_SIGN}: the direct term γ·g_i/sqrt(σ² "
            "+ ε) (N·g_i in the compact form) has the wrong sign", _bn_rule(signs=(-1, 1, 1))),
    Mistake("batch_norm", "sign_error_variance_term", f"{_SIGN}: the term through σ² "
            "(−x̂_i·Σ_j g_j x̂_j in the compact form) has the wrong sign",
            _bn_rule(signs=(1, -1, 1))),
    Mistake("batch_norm", "sign_error_mean_term", f"{_SIGN}: the term through μ (−Σ_j g_j in "
            "the compact form) has the wrong sign", _bn_rule(signs=(1, 1, -1))),
    Mistake("batch_norm", "missing_1_over_n", "missing 1/N (the factor 1/N of the compact "
            "form, or of the mean and variance paths)", _bn_times_n),
    Mistake("batch_norm", "direct_path_only", "missing the sum over a reused branch: x "
            "reaches the loss through x̂, μ and σ²; only the direct path x → x̂ was kept "
            "(batch statistics treated as constants)", _bn_rule(paths="direct")),
    Mistake("batch_norm", "mu_path_dropped", "missing the sum over a reused branch: the path "
            "through μ (dμ/N) was dropped", _bn_rule(paths="direct var")),
    Mistake("batch_norm", "variance_path_dropped", "missing the sum over a reused branch: the "
            "path through σ² was dropped", _bn_rule(paths="direct mu")),
    Mistake("batch_norm", "no_batch_sum", "missing sum over the batch (only the first "
            "example is counted)", _bn_no_batch_sum),
    Mistake("batch_norm", "unbiased_variance", "used the unbiased variance 1/(N − 1) instead "
            "of the biased 1/N", _bn_rule(ddof=1)),
    # max pool ---------------------------------------------------------------------------
    Mistake("max_pool2d", "gradient_to_every_entry", "gradient copied to every entry of the "
            "window (it must go to the arg-max only)",
            lambda g, x, kernel_size=2, stride=None: {"x": _pool_spread(g, x, kernel_size,
                                                                        stride)}),
    Mistake("max_pool2d", "average_rule", "average-pooling rule G/k² used (max pooling "
            "routes G to the arg-max)",
            lambda g, x, kernel_size=2, stride=None: {"x": _pool_spread(
                g, x, kernel_size, stride, average=True)}),
    # linear -----------------------------------------------------------------------------
    Mistake("linear", "no_batch_sum", "missing sum over the batch (only the first example "
            "is counted)", _linear_no_batch_sum),
    # softmax + cross-entropy ------------------------------------------------------------
    Mistake("cross_entropy", "missing_1_over_n", "missing 1/N (the loss is a mean over the "
            "batch)", _ce_rule("times_n")),
    Mistake("cross_entropy", "onehot_not_subtracted", "one-hot target not subtracted "
            "(softmax − one_hot)", _ce_rule("no_onehot")),
    Mistake("cross_entropy", "sign_error_onehot_term", "sign error in one term: softmax(z) + "
            "one_hot(t) instead of softmax(z) − one_hot(t)", _ce_rule("plus_onehot")),
]

def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))


_ENTRIES += [
    # primitives -------------------------------------------------------------------------
    Mistake("sigmoid", "derivative_is_output", "used σ(x) as its own derivative: dσ/dx = "
            "σ(x)·(1 − σ(x))", lambda g, x: {"x": g * _sigmoid(x)}),
    Mistake("sigmoid", "sign_error", "sign error (the gradient has the wrong sign)",
            lambda g, x: {"x": -g * _sigmoid(x) * (1 - _sigmoid(x))}),
    Mistake("tanh", "one_plus_tanh_squared", "1 + tanh² used where d tanh/dx = 1 − tanh²",
            lambda g, x: {"x": g * (1 + np.tanh(np.asarray(x, dtype=np.float64)) ** 2)}),
    Mistake("tanh", "sign_error", "sign error (the gradient has the wrong sign)",
            lambda g, x: {"x": -g * (1 - np.tanh(np.asarray(x, dtype=np.float64)) ** 2)}),
]

#: op name → mistake key → :class:`Mistake`
CATALOGUE: dict[str, dict[str, Mistake]] = {}
for _m in _ENTRIES:
    CATALOGUE.setdefault(_m.op, {})[_m.key] = _m


def mistakes_for(op: str) -> dict[str, Mistake]:
    """The catalogued mistakes of ``op`` (an empty mapping for an op without any)."""
    return CATALOGUE.get(op, {})


def wrong_gradients(op: str, arrays: list[np.ndarray], grad: np.ndarray,
                    params: dict[str, Any]) -> dict[str, tuple[Mistake, dict[str, np.ndarray]]]:
    """Every applicable mistake of ``op`` → (the mistake, the gradients it gives here).

    A rule that does not apply to these settings (padding P − 1 with P = 0, a transposed
    kernel with different channel counts) is left out.
    """
    out = {}
    for key, mistake in mistakes_for(op).items():
        try:
            with np.errstate(all="ignore"):
                grads = mistake.rule(grad, *arrays, **params)
        except (TypeError, ValueError):  # a setting the rule cannot express
            continue
        grads = {k: v for k, v in grads.items() if v is not None
                 and np.all(np.isfinite(np.asarray(v, dtype=np.float64)))}
        if grads:
            out[key] = (mistake, grads)
    return out
