"""``Linear``: the fully connected layer of the lesson, y = x @ Wᵀ + b."""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor, check_bool
from autocnn.nn import init
from autocnn.nn._checks import float_dtype, positive_int
from autocnn.nn.module import Module
from autocnn.nn.parameter import Parameter


class Linear(Module):
    """Every output is a weighted sum of all inputs plus its own bias.

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,), PyTorch's
    layout, initialised as PyTorch does (U(±1/sqrt(in_features)) for both). Input: (...,
    in_features); output: (..., out_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "Linear", "in_features")
        self.out_features = positive_int(out_features, "Linear", "out_features")
        dt = float_dtype(dtype, "Linear")
        bias = check_bool(bias, "Linear", "bias")  # bias="no" would be truthy
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        init.default_weight_(self.weight)
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dt))
            init.default_bias_(self.bias, self.in_features)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        """x @ weightᵀ + bias."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """``in_features=784, out_features=10, bias=True``."""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
