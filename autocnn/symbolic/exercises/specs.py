"""What the exercise checker knows about each op: inputs, default shapes, the forward, the
mistaken variants of its backward (the named patterns) and the exact expected expression.

``SPECS`` maps an op name (``conv2d``, ``batch_norm``, ``max_pool2d``, ``linear``,
``cross_entropy``) to its :class:`OpSpec`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.conv2d import conv2d_backward_formula
from autocnn.symbolic.tensors import symbol_array


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


