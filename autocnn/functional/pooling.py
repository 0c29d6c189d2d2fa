"""Pooling: the windows of ``unfold`` reduced by max or mean.

Unfold's (C·kh·kw, N·Ho·Wo) matrix, reshaped to (C, kh·kw, N·Ho·Wo), puts the kh·kw values
of each window on the middle axis; max pooling is ``Max`` over that axis, average pooling
its mean. Their gradients come from the primitives: the max routes dL/dy to the first
maximal entry of each window, the mean spreads it evenly, and Fold adds overlapping
windows back up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_ndim, pair
from autocnn.ops import Unfold, output_size


def _windows(
    x: Any, kernel_size: Any, stride: Any, padding: Any, pad_value: float, op: str
) -> tuple[Tensor, tuple[int, int, int, int, int]]:
    """Pad, unfold and group the windows: (C, kh·kw, N·Ho·Wo) and (N, C, Ho, Wo, kh·kw)."""
    x = as_tensor(x, op, "input")
    check_ndim(x, (4,), op, "input", "4-D (N, C, H, W)")
    kernel = pair(kernel_size, op, "kernel_size", 1)
    stride = kernel if stride is None else pair(stride, op, "stride", 1)
    padding = pair(padding, op, "padding", 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{op}: padding should be at most half of the kernel size, got padding "
            f"{padding} for kernel_size {kernel}"
        )
    N, C, H, W = x.shape
    Hp, Wp = H + 2 * padding[0], W + 2 * padding[1]
    if kernel[0] > Hp or kernel[1] > Wp:
        raise ValueError(
            f"{op}: kernel of size {kernel[0]}×{kernel[1]} is larger than the padded input "
            f"of size {Hp}×{Wp}"
        )
    if padding != (0, 0):
        if pad_value == float("-inf") and x.dtype.kind in "biu":
            # −inf does not exist in an integer type: its minimum never wins a max either
            pad_value = False if x.dtype.kind == "b" else np.iinfo(x.dtype).min
        pads = ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1]))
        x = x.pad(pads, value=pad_value)
    cols = Unfold.apply(x, kernel_size=kernel, stride=stride, dilation=(1, 1))
    Ho, Wo = output_size(Hp, kernel[0], stride[0], 1), output_size(Wp, kernel[1], stride[1], 1)
    k = kernel[0] * kernel[1]
    return cols.reshape(C, k, N * Ho * Wo), (N, C, Ho, Wo, k)


def _to_images(pooled: Tensor, N: int, C: int, Ho: int, Wo: int) -> Tensor:
    return pooled.reshape(C, N, Ho, Wo).transpose(1, 0, 2, 3)


def max_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """The largest value of each kh×kw window; ``stride`` defaults to ``kernel_size``.

    Padding is with −inf (an integer type's minimum for integer input), so a padded entry
    never wins. When a window holds several equal
    maxima the gradient goes to the first one in row-major order, as in PyTorch.
    """
    windows, (N, C, Ho, Wo, _) = _windows(x, kernel_size, stride, padding, float("-inf"),
                                          "max_pool2d")
    return _to_images(windows.max(axis=1), N, C, Ho, Wo)


def avg_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """The mean of each kh×kw window; zero padding counts in the mean (PyTorch's default)."""
    windows, (N, C, Ho, Wo, _) = _windows(x, kernel_size, stride, padding, 0.0, "avg_pool2d")
    return _to_images(windows.mean(axis=1), N, C, Ho, Wo)
