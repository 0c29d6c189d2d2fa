"""Activation layers: ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, and those of modern
CNNs — ``LeakyReLU``, ``ELU``, ``GELU``, ``SiLU``, ``Softplus`` — and ``Identity`` (no
parameters)."""

from __future__ import annotations

import numbers
from typing import Any

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.nn.module import Module


class ReLU(Module):
    """max(x, 0) entry by entry (lesson: "ReLU" adds the nonlinearity)."""

    def forward(self, x: Tensor) -> Tensor:
        """relu(x)."""
        return F.relu(x)


class Sigmoid(Module):
    """1 / (1 + exp(−x)) entry by entry."""

    def forward(self, x: Tensor) -> Tensor:
        """sigmoid(x)."""
        return F.sigmoid(x)


class Tanh(Module):
    """The hyperbolic tangent entry by entry."""

    def forward(self, x: Tensor) -> Tensor:
        """tanh(x)."""
        return F.tanh(x)


class Softmax(Module):
    """exp(x) / Σ exp(x) along ``axis``: scores become probabilities that sum to 1."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Softmax: 'axis' must be an int, got {axis!r}")
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        """softmax(x, axis)."""
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        """``axis=-1``."""
        return f"axis={self.axis}"


def _real(value: Any, layer: str, arg: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: '{arg}' must be a real number, got {value!r}")
    return float(value)


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (as PyTorch).

    A placeholder: the shortcut of a residual block whose shapes already match.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        """x."""
        return x


class LeakyReLU(Module):
    """x for x > 0, else ``negative_slope``·x: a ReLU whose negative side still learns."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = _real(negative_slope, "LeakyReLU", "negative_slope")

    def forward(self, x: Tensor) -> Tensor:
        """leaky_relu(x, negative_slope)."""
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        """``negative_slope=0.01``."""
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x for x > 0, else α·(eˣ − 1): smooth, saturating at −α."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = _real(alpha, "ELU", "alpha")

    def forward(self, x: Tensor) -> Tensor:
        """elu(x, alpha)."""
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        """``alpha=1.0``."""
        return f"alpha={self.alpha}"


class GELU(Module):
    """x·Φ(x) with Φ the standard normal CDF (``approximate="tanh"``: its tanh form)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(
                f"GELU: 'approximate' must be 'none' or 'tanh', got {approximate!r}"
            )
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        """gelu(x, approximate)."""
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        """``approximate='none'``."""
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·sigmoid(x) (swish)."""

    def forward(self, x: Tensor) -> Tensor:
        """silu(x)."""
        return F.silu(x)


class Softplus(Module):
    """log(1 + e^(β·x)) / β, a smooth ReLU; linear where β·x > ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = _real(beta, "Softplus", "beta")
        self.threshold = _real(threshold, "Softplus", "threshold")
        if self.beta == 0:
            raise ValueError("Softplus: 'beta' must be non-zero, got 0")

    def forward(self, x: Tensor) -> Tensor:
        """softplus(x, beta, threshold)."""
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        """``beta=1.0, threshold=20.0``."""
        return f"beta={self.beta}, threshold={self.threshold}"
