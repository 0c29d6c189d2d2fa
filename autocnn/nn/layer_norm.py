"""``LayerNorm`` and ``GroupNorm``: normalise each example by its own statistics, then a
learned scale γ (``weight``) and shift β (``bias``). No running statistics: training and
evaluation compute the same thing (unlike batch norm)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.nn._checks import float_dtype, non_negative_number, positive_int
from autocnn.nn.module import Module
from autocnn.nn.parameter import Parameter


def _flag(value: Any, layer: str, arg: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{layer}: '{arg}' must be True or False, got {value!r}")
    return value


class LayerNorm(Module):
    """Normalise over the last axes, of shape ``normalized_shape`` (e.g. (C, H, W)).

    With ``elementwise_affine`` (default) ``weight`` (ones) and ``bias`` (zeros, unless
    ``bias=False``) have shape ``normalized_shape``, as PyTorch.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        shape = ((normalized_shape,) if isinstance(normalized_shape, numbers.Integral)
                 else tuple(normalized_shape))
        if not shape:
            raise ValueError("LayerNorm: 'normalized_shape' must name at least one axis")
        self.normalized_shape = tuple(positive_int(s, "LayerNorm", "normalized_shape")
                                      for s in shape)
        self.eps = non_negative_number(eps, "LayerNorm", "eps")
        self.elementwise_affine = _flag(elementwise_affine, "LayerNorm", "elementwise_affine")
        dt = float_dtype(dtype, "LayerNorm")
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt))
            if _flag(bias, "LayerNorm", "bias"):
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        """layer_norm(x, normalized_shape, weight, bias, eps)."""
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """``(8,), eps=1e-05, elementwise_affine=True`` (as PyTorch)."""
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Split the ``num_channels`` channels into ``num_groups`` groups and normalise each
    group of each example; ``affine`` (default) adds per-channel ``weight`` and ``bias``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype: Any = None) -> None:
        super().__init__()
        self.num_groups = positive_int(num_groups, "GroupNorm", "num_groups")
        self.num_channels = positive_int(num_channels, "GroupNorm", "num_channels")
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_groups={self.num_groups} must divide "
                f"num_channels={self.num_channels}"
            )
        self.eps = non_negative_number(eps, "GroupNorm", "eps")
        self.affine = _flag(affine, "GroupNorm", "affine")
        dt = float_dtype(dtype, "GroupNorm")
        if self.affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype=dt))
            self.bias = Parameter(np.zeros(self.num_channels, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        """group_norm(x, num_groups, weight, bias, eps), after checking the channels."""
        if not isinstance(x, Tensor) or x.ndim < 2 or x.shape[1] != self.num_channels:
            shape = list(getattr(x, "shape", ()))
            raise ValueError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected input (N, "
                f"{self.num_channels}, ...), got shape {shape}"
            )
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """``2, 8, eps=1e-05, affine=True`` (as PyTorch)."""
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
