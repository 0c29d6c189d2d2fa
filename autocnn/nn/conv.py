"""``Conv2d``: slide learned filters over the image (lesson: "Filter", "Feature map")."""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import pair
from autocnn.nn import init
from autocnn.nn._checks import float_dtype, positive_int
from autocnn.nn.module import Module
from autocnn.nn.parameter import Parameter


class Conv2d(Module):
    """``out_channels`` filters of size ``kernel_size`` over ``in_channels`` input channels.

    ``weight`` has shape (out_channels, in_channels, kh, kw), ``bias`` (out_channels,): one
    trainable number added to each filter's feature map. Both are initialised as in PyTorch
    with fan_in = in_channels·kh·kw. Input (N, C, H, W) → output (N, out_channels, Ho, Wo);
    ``stride``, ``padding`` (zeros) and ``dilation`` are an int or an (h, w) pair.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_channels = positive_int(in_channels, "Conv2d", "in_channels")
        self.out_channels = positive_int(out_channels, "Conv2d", "out_channels")
        self.kernel_size = pair(kernel_size, "Conv2d", "kernel_size", 1)
        self.stride = pair(stride, "Conv2d", "stride", 1)
        self.padding = pair(padding, "Conv2d", "padding", 0)
        self.dilation = pair(dilation, "Conv2d", "dilation", 1)
        dt = float_dtype(dtype, "Conv2d")
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dt))
        init.default_weight_(self.weight)
        if bias:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            self.bias = Parameter(np.empty(self.out_channels, dtype=dt))
            init.default_bias_(self.bias, fan_in)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        """conv2d(x, weight, bias) with this layer's stride, padding and dilation."""
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        """``1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)`` (as PyTorch)."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
