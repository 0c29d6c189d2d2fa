"""Activations and flattening: thin functional forms of the Tensor methods."""

from __future__ import annotations

from typing import Any

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor


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


def flatten(x: Any, start_axis: int = 1) -> Tensor:
    """Merge every axis from ``start_axis`` on: (N, C, H, W) → (N, C·H·W) by default."""
    return as_tensor(x, "flatten", "input").flatten(start_axis)
