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
    """What the checker needs to know about one op.

    ``name`` keys the catalogue of mistakes (``mistakes.CATALOGUE``); ``inputs`` name the
    gradients (``dL/dx``, ``dL/dweight``, ``dL/dlogits``); ``shapes`` and ``params`` are the
    defaults; ``expected_expression(arrays, input, index, **params)`` gives the exact
    expected expression of one entry (or None: derived from the engine on symbols).
    """

    name: str
    inputs: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    params: dict[str, Any]
    forward: Callable[..., Tensor]
    expected_expression: Callable[..., str] | None = None
    batch: int = 1


def _conv_forward(x: Tensor, w: Tensor, b: Tensor, stride: int = 1, padding: int = 0) -> Tensor:
    from autocnn.functional import conv2d

    return conv2d(x, w, b, stride=stride, padding=padding)


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


def _ce_forward(z: Tensor, target: Any = None) -> Tensor:
    from autocnn.functional import cross_entropy

    return cross_entropy(z, target)


def _ce_expected(arrays: list[np.ndarray], input_name: str, idx: tuple[int, ...],
                 target: Any = None) -> str:
    from autocnn.functional import cross_entropy

    z = Tensor(symbol_array("z", arrays[0].shape), requires_grad=True)
    cross_entropy(z, np.asarray(target)).backward()
    return sympy.sstr(sympy.simplify(z.grad.data[idx]))


SPECS: dict[str, OpSpec] = {
    "conv2d": OpSpec("conv2d", ("x", "weight", "bias"), ((2, 2, 5, 5), (2, 2, 3, 3), (2,)),
                     {"stride": 1, "padding": 1}, _conv_forward, _conv_expected),
    "batch_norm": OpSpec("batch_norm", ("x", "weight", "bias"), ((4, 3), (3,), (3,)),
                         {"eps": 1e-5}, _bn_forward, _bn_expected),
    "max_pool2d": OpSpec("max_pool2d", ("x",), ((2, 2, 4, 4),), {"kernel_size": 2},
                         _pool_forward, _pool_expected),
    "linear": OpSpec("linear", ("x", "weight", "bias"), ((3, 4), (2, 4), (2,)), {},
                     _linear_forward, None),
    "cross_entropy": OpSpec("cross_entropy", ("logits",), ((3, 4),), {"target": [0, 3, 1]},
                            _ce_forward, _ce_expected),
}
SPECS["sigmoid"] = OpSpec("sigmoid", ("x",), ((2, 3),), {}, lambda x: x.sigmoid(), None)
SPECS["tanh"] = OpSpec("tanh", ("x",), ((2, 3),), {}, lambda x: x.tanh(), None)
SPECS["softmax_cross_entropy"] = SPECS["cross_entropy"]
SPECS["softmax-ce"] = SPECS["cross_entropy"]


