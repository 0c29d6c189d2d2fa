"""Weight initialisation: fill a tensor in place with random numbers of a chosen scale.

The layers use PyTorch's defaults so that a freshly built autocnn model behaves like the
same PyTorch model (same distributions; the numbers differ, the random generators do):

- weights: Kaiming (He) uniform with ``a = sqrt(5)``. With the leaky-ReLU gain
  ``sqrt(2 / (1 + a²)) = sqrt(1/3)`` the bound ``gain · sqrt(3 / fan_in)`` is simply
  ``1 / sqrt(fan_in)``;
- biases: uniform on ``[−1/sqrt(fan_in), 1/sqrt(fan_in)]``.

``fan_in`` is the number of inputs each output sums over: ``in_features`` for a linear
layer, ``in_channels · kh · kw`` for a convolution. Every draw comes from the generator
that ``ac.manual_seed`` seeds. The functions end in ``_`` because they change their
argument, and they work under ``no_grad`` so they never enter a graph.
"""

from __future__ import annotations

import math

import numpy as np

from autocnn import random as _random
from autocnn.autograd.tensor import Tensor


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init: expected a Tensor to fill, got {type(tensor).__name__}")
    np.copyto(tensor.data, values, casting="same_kind")
    tensor.mark_modified()
    return tensor


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (in, out) for (out, in, *kernel) layouts.

    For a conv weight (O, C, kh, kw): fan_in = C·kh·kw and fan_out = O·kh·kw.
    """
    if tensor.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out need a tensor with at least 2 axes, got shape "
            f"{list(tensor.shape)}"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``.

    ``"linear"``/``"sigmoid"``/conv: 1; ``"tanh"``: 5/3; ``"relu"``: sqrt(2);
    ``"leaky_relu"`` with slope ``param`` (default 0.01): sqrt(2 / (1 + param²)).
    """
    if nonlinearity in ("linear", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of 'linear', "
        "'conv2d', 'sigmoid', 'tanh', 'relu', 'leaky_relu'"
    )


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``tensor`` with draws from U(a, b); return it."""
    if not a <= b:
        raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}")
    return _fill(tensor, _random.generator().uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``tensor`` with draws from N(mean, std²); return it."""
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    return _fill(tensor, _random.generator().normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill ``tensor`` with ``value``; return it."""
    return _fill(tensor, np.full(tensor.shape, value))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros; return it."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones; return it."""
    return constant_(tensor, 1.0)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, nonlinearity: str = "leaky_relu"
                     ) -> Tensor:
    """He initialisation: U(−bound, bound) with bound = gain · sqrt(3 / fan_in).

    With the layers' default ``a = sqrt(5)`` this is U(−1/sqrt(fan_in), 1/sqrt(fan_in)).
    """
    fan_in, _ = calculate_fan_in_and_fan_out(tensor)
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / fan_in) if fan_in else 0.0
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, nonlinearity: str = "leaky_relu"
                    ) -> Tensor:
    """He initialisation: N(0, std²) with std = gain / sqrt(fan_in)."""
    fan_in, _ = calculate_fan_in_and_fan_out(tensor)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in) if fan_in else 0.0
    return normal_(tensor, 0.0, std)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot initialisation: U(−b, b) with b = gain · sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return uniform_(tensor, -bound, bound)


def default_weight_(weight: Tensor) -> Tensor:
    """PyTorch's default for Linear and Conv2d weights: kaiming_uniform_ with a = sqrt(5)."""
    return kaiming_uniform_(weight, a=math.sqrt(5))


def default_bias_(bias: Tensor, fan_in: int) -> Tensor:
    """PyTorch's default for Linear and Conv2d biases: U(−1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(bias, -bound, bound)
