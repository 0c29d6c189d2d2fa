"""Pooling layers: ``MaxPool2d`` and ``AvgPool2d`` shrink each feature map by summarising
small windows; ``AdaptiveAvgPool2d``/``AdaptiveMaxPool2d`` pool to a named output size;
``MaxUnpool2d`` puts pooled maxima back where they came from."""

from __future__ import annotations

from typing import Any

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import pair
from autocnn.nn.module import Module


class _Pool2d(Module):
    _op = ""

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        name = type(self).__name__
        pair(kernel_size, name, "kernel_size", 1)
        if stride is not None:
            pair(stride, name, "stride", 1)
        pair(padding, name, "padding", 0)
        # Kept as given (an int stays an int), so the repr reads like PyTorch's.
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        """``kernel_size=2, stride=2, padding=0``."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _flag(value: Any, layer: str, arg: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{layer}: '{arg}' must be True or False, got {value!r}")
    return value


class MaxPool2d(_Pool2d):
    """The largest value of each window (stride defaults to the window size).

    Lesson: "Max pooling" keeps the strongest response of each patch, which makes the
    network tolerate small shifts. Padding is with −inf, so padding never wins. PyTorch's
    ``dilation``, ``return_indices`` (forward returns ``(output, indices)``, for
    ``MaxUnpool2d``) and ``ceil_mode``, in PyTorch's order.
    """

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        pair(dilation, "MaxPool2d", "dilation", 1)
        self.dilation = dilation
        self.return_indices = _flag(return_indices, "MaxPool2d", "return_indices")
        self.ceil_mode = _flag(ceil_mode, "MaxPool2d", "ceil_mode")

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """max_pool2d(x) with this layer's options."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        """``kernel_size=2, stride=2, padding=0`` and any option not at its default."""
        text = super().extra_repr()
        if self.dilation != 1:
            text += f", dilation={self.dilation}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        if self.return_indices:
            text += ", return_indices=True"
        return text


class AvgPool2d(_Pool2d):
    """The mean of each window (zero padding counts in the mean, PyTorch's default;
    ``count_include_pad=False`` divides by the input pixels of each window only)."""

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = _flag(ceil_mode, "AvgPool2d", "ceil_mode")
        self.count_include_pad = _flag(count_include_pad, "AvgPool2d", "count_include_pad")

    def forward(self, x: Tensor) -> Tensor:
        """avg_pool2d(x) with this layer's options."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        """``kernel_size=2, stride=2, padding=0`` and any option not at its default."""
        text = super().extra_repr()
        if self.ceil_mode:
            text += ", ceil_mode=True"
        if not self.count_include_pad:
            text += ", count_include_pad=False"
        return text


class _AdaptivePool2d(Module):
    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,)
        if not sizes or any(
            s is not None and (isinstance(s, bool) or not isinstance(s, int) or s < 1)
            for s in sizes
        ):
            raise ValueError(
                f"{type(self).__name__}: 'output_size' must be a positive int or a pair of "
                f"them (None keeps the input's size), got {output_size!r}"
            )
        self.output_size = output_size

    def extra_repr(self) -> str:
        """``output_size=1``."""
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool2d):
    """The mean of each of output_size adaptive bins; ``AdaptiveAvgPool2d(1)`` is global
    average pooling, the head of a ResNet."""

    def forward(self, x: Tensor) -> Tensor:
        """adaptive_avg_pool2d(x, output_size)."""
        return F.adaptive_avg_pool2d(x, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool2d):
    """The largest value of each of output_size adaptive bins (global max pooling at 1)."""

    def __init__(self, output_size: int | tuple[int | None, int | None],
                 return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = _flag(return_indices, "AdaptiveMaxPool2d", "return_indices")

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """adaptive_max_pool2d(x, output_size)."""
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)


class MaxUnpool2d(Module):
    """The partial inverse of ``MaxPool2d``: ``forward(x, indices, output_size=None)``
    scatters each value to the position ``MaxPool2d(..., return_indices=True)`` reported."""

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.kernel_size = pair(kernel_size, "MaxUnpool2d", "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else pair(stride, "MaxUnpool2d",
                                                                   "stride", 1)
        self.padding = pair(padding, "MaxUnpool2d", "padding", 0)

    def forward(self, x: Tensor, indices: Any, output_size: Any = None) -> Tensor:
        """max_unpool2d(x, indices) with this layer's window, stride and padding."""
        return F.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self) -> str:
        """``kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)``."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
