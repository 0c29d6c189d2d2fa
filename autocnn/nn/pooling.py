"""``MaxPool2d`` and ``AvgPool2d``: shrink each feature map by summarising small windows."""

from __future__ import annotations

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


class MaxPool2d(_Pool2d):
    """The largest value of each window (stride defaults to the window size).

    Lesson: "Max pooling" keeps the strongest response of each patch, which makes the
    network tolerate small shifts. Padding is with −inf, so padding never wins.
    """

    def forward(self, x: Tensor) -> Tensor:
        """max_pool2d(x) with this layer's window, stride and padding."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """The mean of each window (zero padding counts in the mean, PyTorch's default)."""

    def forward(self, x: Tensor) -> Tensor:
        """avg_pool2d(x) with this layer's window, stride and padding."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)
