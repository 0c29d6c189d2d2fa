"""Activation layers: ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax`` (no parameters)."""

from __future__ import annotations

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
