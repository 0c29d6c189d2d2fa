"""``linear``: the fully connected layer, y = x @ Wᵀ + b (PyTorch's weight layout)."""

from __future__ import annotations

from typing import Any

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """y = x @ weightᵀ + bias for ``x`` of shape (..., in_features).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,), as in
    PyTorch: every output is a weighted sum of all inputs plus its own bias.
    """
    x = as_tensor(x, "linear", "input")
    weight = as_tensor(weight, "linear", "weight")
    if weight.ndim != 2:
        raise ValueError(
            f"linear: expected 'weight' of shape (out_features, in_features), got shape "
            f"{list(weight.shape)}"
        )
    out_features, in_features = weight.shape
    if x.ndim < 1 or x.shape[-1] != in_features:
        raise ValueError(
            f"linear: weight of shape {list(weight.shape)} expects inputs with "
            f"{in_features} features in the last axis, but got input of shape {list(x.shape)}"
        )
    y = x @ weight.transpose()
    if bias is not None:
        bias = as_tensor(bias, "linear", "bias")
        if bias.shape != (out_features,):
            raise ValueError(
                f"linear: expected 'bias' of shape [{out_features}], got {list(bias.shape)}"
            )
        y = y + bias
    return y
