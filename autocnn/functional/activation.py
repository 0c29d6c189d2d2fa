"""Activations and flattening: thin functional forms of the Tensor methods, and the
activations of modern CNNs composed from primitives.

The piecewise ones (leaky ReLU, ELU, softplus's linear tail) pick a branch with a constant
0/1 step mask s = [x > 0] computed in forward (the Heaviside step H(x) with H(0) = 0 on
symbolic tensors), so each reads y = s·(one branch) + (1 − s)·(the other). The mask is a
constant of the graph, so the gradient at the kink is the branch the mask chose: x = 0
takes the negative branch, as PyTorch's backward does for these three.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor
from autocnn.ops import backend
from autocnn.ops.erf import Erf


def _step(x: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """[x > threshold] as 0/1 in x's dtype (Heaviside with H(0) = 0 for symbols)."""
    mask = backend.greater(x, threshold)
    return mask if mask.dtype == object else mask.astype(x.dtype)


def _number(value: Any, op: str, arg: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: '{arg}' must be a real number, got {value!r}")
    return float(value)


def relu(x: Any) -> Tensor:
    """max(x, 0), elementwise; the gradient at exactly 0 is 0 (as PyTorch)."""
    return as_tensor(x, "relu", "input").relu()


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(−x)), elementwise."""
    return as_tensor(x, "sigmoid", "input").sigmoid()


def tanh(x: Any) -> Tensor:
    """The hyperbolic tangent, elementwise."""
    return as_tensor(x, "tanh", "input").tanh()


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``: probabilities that sum to 1."""
    return as_tensor(x, "softmax", "input").softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log softmax(x) along ``axis``, computed stably (no overflow for large x)."""
    return as_tensor(x, "log_softmax", "input").log_softmax(axis)


def flatten(x: Any, start_axis: int = 1, end_axis: int = -1) -> Tensor:
    """Merge the axes ``start_axis`` … ``end_axis`` (inclusive) into one:
    (N, C, H, W) → (N, C·H·W) by default, as ``torch.flatten(x, start_dim, end_dim)``."""
    return as_tensor(x, "flatten", "input").flatten(start_axis, end_axis)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope·x (as PyTorch; the gradient at 0 is the slope)."""
    x = as_tensor(x, "leaky_relu", "input")
    slope = _number(negative_slope, "leaky_relu", "negative_slope")
    s = _step(x.data)
    return x * Tensor._constant(s + slope * (1 - s))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else α·(eˣ − 1) (as PyTorch; the gradient at 0 is α).

    The exponential only ever sees min(x, 0), so a large positive x cannot overflow it.
    """
    x = as_tensor(x, "elu", "input")
    alpha = _number(alpha, "elu", "alpha")
    s = Tensor._constant(_step(x.data))
    negative = 1 - s
    return s * x + negative * (alpha * ((x * negative).exp() - 1))


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF: ½·x·(1 + erf(x/√2)).

    ``approximate="tanh"`` gives PyTorch's ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    """
    x = as_tensor(x, "gelu", "input")
    if approximate == "none":
        return 0.5 * x * (1 + Erf.apply(x * (1 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1 + inner.tanh())
    raise ValueError(f"gelu: 'approximate' must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Any) -> Tensor:
    """x·sigmoid(x) (also called swish)."""
    x = as_tensor(x, "silu", "input")
    return x * x.sigmoid()


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(β·x)) / β, and x itself where β·x > threshold (as PyTorch).

    The linear tail keeps e^(β·x) from overflowing; the exponential only sees β·x below
    the threshold.
    """
    x = as_tensor(x, "softplus", "input")
    beta = _number(beta, "softplus", "beta")
    threshold = _number(threshold, "softplus", "threshold")
    if beta == 0:
        raise ValueError("softplus: 'beta' must be non-zero, got 0")
    over = Tensor._constant(_step(x.data * beta, threshold))
    below = 1 - over
    z = (x * beta) * below
    return over * x + below * ((1 + z.exp()).log() * (1 / beta))
