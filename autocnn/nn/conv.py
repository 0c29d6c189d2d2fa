"""``Conv2d``, ``Conv1d`` and ``ConvTranspose2d``: learned filters slid over the input
(lesson: "Filter", "Feature map"); grouped and depthwise with ``groups``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor, check_bool
from autocnn.functional._checks import pair, single
from autocnn.nn import init
from autocnn.nn._checks import float_dtype, positive_int
from autocnn.nn.module import Module
from autocnn.nn.parameter import Parameter


class Conv2d(Module):
    """``out_channels`` filters of size ``kernel_size`` over ``in_channels`` input channels.

    ``weight`` has shape (out_channels, in_channels/groups, kh, kw), ``bias``
    (out_channels,): one trainable number added to each filter's feature map. Both are
    initialised as in PyTorch with fan_in = in_channels/groups·kh·kw. Input (N, C, H, W) →
    output (N, out_channels, Ho, Wo); ``stride``, ``padding`` (zeros) and ``dilation`` are an
    int or an (h, w) pair; ``groups`` splits the channels into independent blocks
    (``groups=in_channels`` is a depthwise convolution).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
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
        self.groups = check_layer_groups(groups, self.in_channels, self.out_channels, "Conv2d")
        dt = float_dtype(dtype, "Conv2d")
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        _init_filters(self, shape, self.out_channels, bias, dt)

    def forward(self, x: Tensor) -> Tensor:
        """conv2d(x, weight, bias) with this layer's stride, padding, dilation and groups."""
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self) -> str:
        """``1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)`` (as PyTorch)."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


def check_layer_groups(groups: Any, in_channels: int, out_channels: int, layer: str) -> int:
    """``groups`` as a positive int that divides both channel counts (named in the error)."""
    groups = positive_int(groups, layer, "groups")
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise ValueError(
                f"{layer}: groups={groups} must divide {name}={count} (in_channels="
                f"{in_channels}, out_channels={out_channels})"
            )
    return groups


def _init_filters(layer: Module, shape: tuple[int, ...], bias_size: int, bias: bool,
                  dt: np.dtype) -> None:
    """PyTorch's default initialisation: Kaiming-uniform weight, bias bound 1/sqrt(fan_in)."""
    bias = check_bool(bias, type(layer).__name__, "bias")  # bias="no" would be truthy
    layer.weight = Parameter(np.empty(shape, dtype=dt))
    init.default_weight_(layer.weight)
    if bias:
        fan_in, _ = init.calculate_fan_in_and_fan_out(layer.weight)
        layer.bias = Parameter(np.empty(bias_size, dtype=dt))
        init.default_bias_(layer.bias, fan_in)
    else:
        layer.register_parameter("bias", None)


class Conv1d(Module):
    """``out_channels`` filters of length ``kernel_size`` over sequences (N, C, L).

    ``weight`` has shape (out_channels, in_channels/groups, k); PyTorch's arguments,
    defaults and initialisation.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] = 0,
        dilation: int | tuple[int] = 1,
        groups: int = 1,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_channels = positive_int(in_channels, "Conv1d", "in_channels")
        self.out_channels = positive_int(out_channels, "Conv1d", "out_channels")
        self.kernel_size = (single(kernel_size, "Conv1d", "kernel_size", 1),)
        self.stride = (single(stride, "Conv1d", "stride", 1),)
        self.padding = (single(padding, "Conv1d", "padding", 0),)
        self.dilation = (single(dilation, "Conv1d", "dilation", 1),)
        self.groups = check_layer_groups(groups, self.in_channels, self.out_channels, "Conv1d")
        dt = float_dtype(dtype, "Conv1d")
        shape = (self.out_channels, self.in_channels // self.groups, self.kernel_size[0])
        _init_filters(self, shape, self.out_channels, bias, dt)

    def forward(self, x: Tensor) -> Tensor:
        """conv1d(x, weight, bias) with this layer's options."""
        return F.conv1d(x, self.weight, self.bias, self.stride[0], self.padding[0],
                        self.dilation[0], self.groups)

    def extra_repr(self) -> str:
        """``1, 8, kernel_size=(3,), stride=(1,)`` (as PyTorch)."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,):
            text += f", padding={self.padding}"
        if self.dilation != (1,):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose2d(Module):
    """The transposed convolution (a learned upsampling): each input pixel spreads a
    kh×kw window of filter values onto the output, and overlaps add up.

    ``weight`` has shape (in_channels, out_channels/groups, kh, kw) — input channels
    first, as PyTorch — and ``bias`` (out_channels,). The output side is
    (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, int] = 1,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = "ConvTranspose2d"
        self.in_channels = positive_int(in_channels, name, "in_channels")
        self.out_channels = positive_int(out_channels, name, "out_channels")
        self.kernel_size = pair(kernel_size, name, "kernel_size", 1)
        self.stride = pair(stride, name, "stride", 1)
        self.padding = pair(padding, name, "padding", 0)
        self.output_padding = pair(output_padding, name, "output_padding", 0)
        self.dilation = pair(dilation, name, "dilation", 1)
        for a in (0, 1):
            if (self.output_padding[a] >= self.stride[a]
                    and self.output_padding[a] >= self.dilation[a]):
                raise ValueError(
                    f"{name}: output_padding must be smaller than either stride or "
                    f"dilation, got output_padding={self.output_padding}, stride="
                    f"{self.stride}, dilation={self.dilation}"
                )
        self.groups = check_layer_groups(groups, self.in_channels, self.out_channels, name)
        dt = float_dtype(dtype, name)
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        _init_filters(self, shape, self.out_channels, bias, dt)

    def forward(self, x: Tensor) -> Tensor:
        """conv_transpose2d(x, weight, bias) with this layer's options."""
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        """``8, 4, kernel_size=(2, 2), stride=(2, 2)`` (as PyTorch)."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for attr, default in (("padding", (0, 0)), ("output_padding", (0, 0)),
                              ("dilation", (1, 1))):
            if getattr(self, attr) != default:
                text += f", {attr}={getattr(self, attr)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
