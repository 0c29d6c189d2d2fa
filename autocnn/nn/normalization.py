"""``BatchNorm1d`` and ``BatchNorm2d``: normalise each channel over the batch, then scale
and shift it with a learned γ (``weight``) and β (``bias``).

In training the layer normalises with the batch's own mean and (biased) variance and keeps
exponential moving averages of them in two buffers, ``running_mean`` and ``running_var``
(the latter from the unbiased variance, as PyTorch). In evaluation it uses those running
averages, so a single image gives the same answer whatever else is in its batch. The
buffer ``num_batches_tracked`` counts the training batches seen; it exists so that the
state-dict keys are exactly PyTorch's and a PyTorch state dict loads with ``strict=True``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor
from autocnn.nn._checks import float_dtype, non_negative_number, positive_int
from autocnn.nn.module import Module
from autocnn.nn.parameter import Parameter


class _BatchNorm(Module):
    #: the numbers of input axes the layer accepts, and how to describe them
    _ndims: tuple[int, ...] = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = positive_int(num_features, name, "num_features")
        self.eps = non_negative_number(eps, name, "eps")
        momentum = non_negative_number(momentum, name, "momentum")
        if momentum > 1:
            raise ValueError(f"{name}: 'momentum' must be in [0, 1], got {momentum}")
        self.momentum = momentum
        dt = float_dtype(dtype, name)
        C = self.num_features
        self.weight = Parameter(np.ones(C, dtype=dt))
        self.bias = Parameter(np.zeros(C, dtype=dt))
        self.register_buffer("running_mean", Tensor(np.zeros(C, dtype=dt)))
        self.register_buffer("running_var", Tensor(np.ones(C, dtype=dt)))
        self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))

    def _check_input(self, x: Any) -> Tensor:
        name = type(self).__name__
        if not isinstance(x, Tensor):
            x = as_tensor(x, name, "input")
        if x.ndim not in self._ndims:
            raise ValueError(
                f"{name}({self.num_features}): expected {self._layout} input, got a "
                f"{x.ndim}-D input of shape {list(x.shape)}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): expected input with {self.num_features} "
                f"channels (axis 1), got {x.shape[1]} channels (input shape {list(x.shape)})"
            )
        return x

    def forward(self, x: Tensor) -> Tensor:
        """Batch statistics (and a running-statistics update) in training, running
        statistics in evaluation."""
        x = self._check_input(x)
        y = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         training=self.training, momentum=self.momentum, eps=self.eps)
        if self.training:
            self.num_batches_tracked.data += 1  # a 0-d array, changed in place
            self.num_batches_tracked.mark_modified()
        return y

    def extra_repr(self) -> str:
        """``8, eps=1e-05, momentum=0.1``."""
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) features or (N, C, L) sequences: statistics over N (and L)."""

    _ndims = (2, 3)
    _layout = "a 2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm for (N, C, H, W) images: statistics per channel over N, H and W."""

    _ndims = (4,)
    _layout = "a 4-D (N, C, H, W)"
