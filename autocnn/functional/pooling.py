"""Pooling: the windows of ``unfold`` reduced by max or mean.

Unfold's (C·kh·kw, N·Ho·Wo) matrix, reshaped to (C, kh·kw, N·Ho·Wo), puts the kh·kw values
of each window on the middle axis; max pooling is ``Max`` over that axis, average pooling
its mean. Their gradients come from the primitives: the max routes dL/dy to the first
maximal entry of each window, the mean spreads it evenly, and Fold adds overlapping
windows back up.

PyTorch's options, with the same names and meaning:

- ``dilation`` (max pooling): the window's taps are ``dilation`` pixels apart — Unfold's
  own dilation.
- ``ceil_mode``: the output size is rounded up, so a last, partial window covers the
  bottom/right edge. The input is extended there (by −inf for max, zeros for mean), and
  the last window must start inside the input or its left padding, as in PyTorch.
- ``count_include_pad=False`` (average pooling): each window's sum is divided by the number
  of real input pixels in it rather than by kh·kw. The divisors are constants, computed
  once from the geometry; a partial ``ceil_mode`` window never counts the extension.
- ``return_indices`` (max pooling): also return, for every output, the position of its
  maximum in the flattened H·W input plane (an int64 tensor), what ``max_unpool2d`` needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_ndim, pair
from autocnn.ops import Unfold, backend


def pooled_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
                ceil_mode: bool) -> int:
    """PyTorch's output size of a pooling along one axis (``ceil_mode`` rounds up)."""
    span = dilation * (kernel - 1) + 1
    out = (size + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # the last window would start in the right padding: PyTorch drops it
    return out


class _Geometry:
    """The sizes of one pooling: kernel, stride, padding, dilation, input and output."""

    def __init__(self, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: bool, op: str) -> None:
        check_ndim(x, (4,), op, "input", "4-D (N, C, H, W)")
        self.kernel = pair(kernel_size, op, "kernel_size", 1)
        self.stride = self.kernel if stride is None else pair(stride, op, "stride", 1)
        self.padding = pair(padding, op, "padding", 0)
        self.dilation = pair(dilation, op, "dilation", 1)
        if not isinstance(ceil_mode, (bool, np.bool_)):
            raise TypeError(f"{op}: 'ceil_mode' must be True or False, got {ceil_mode!r}")
        k, p, d = self.kernel, self.padding, self.dilation
        if p[0] > k[0] // 2 or p[1] > k[1] // 2:
            raise ValueError(
                f"{op}: padding should be at most half of the kernel size, got padding "
                f"{p} for kernel_size {k}"
            )
        self.N, self.C, self.H, self.W = x.shape
        Hp, Wp = self.H + 2 * p[0], self.W + 2 * p[1]
        span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
        if span[0] > Hp or span[1] > Wp:
            extent = f" (dilated span {span[0]}×{span[1]})" if d != (1, 1) else ""
            raise ValueError(
                f"{op}: kernel of size {k[0]}×{k[1]}{extent} is larger than the padded "
                f"input of size {Hp}×{Wp}"
            )
        self.Ho = pooled_size(self.H, k[0], self.stride[0], p[0], d[0], ceil_mode)
        self.Wo = pooled_size(self.W, k[1], self.stride[1], p[1], d[1], ceil_mode)
        # ceil_mode: how far the last window reaches past the padded input
        self.extra = (
            max(0, (self.Ho - 1) * self.stride[0] + span[0] - Hp),
            max(0, (self.Wo - 1) * self.stride[1] + span[1] - Wp),
        )

    def windows(self, x: Tensor, pad_value: float) -> Tensor:
        """Pad, unfold and group the windows: shape (C, kh·kw, N·Ho·Wo)."""
        p, e = self.padding, self.extra
        if p != (0, 0) or e != (0, 0):
            if pad_value == float("-inf") and x.dtype.kind in "biu":
                # −inf does not exist in an integer type: its minimum never wins a max either
                pad_value = False if x.dtype.kind == "b" else np.iinfo(x.dtype).min
            pads = ((0, 0), (0, 0), (p[0], p[0] + e[0]), (p[1], p[1] + e[1]))
            x = x.pad(pads, value=pad_value)
        cols = Unfold.apply(x, kernel_size=self.kernel, stride=self.stride,
                            dilation=self.dilation)
        assert cols.shape[1] == self.N * self.Ho * self.Wo  # the sizes above agree with unfold
        k = self.kernel[0] * self.kernel[1]
        return cols.reshape(self.C, k, self.N * self.Ho * self.Wo)

    def to_images(self, pooled: Any) -> Any:
        """(C, N·Ho·Wo) → (N, C, Ho, Wo), for tensors and arrays alike."""
        return pooled.reshape(self.C, self.N, self.Ho, self.Wo).transpose(1, 0, 2, 3)


def max_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """The largest value of each kh×kw window; ``stride`` defaults to ``kernel_size``.

    Padding is with −inf (an integer type's minimum for integer input), so a padded entry
    never wins. When a window holds several equal maxima the gradient goes to the first one
    in row-major order, as in PyTorch. With ``return_indices=True`` the result is
    ``(output, indices)``: each maximum's position in its flattened H·W input plane, for
    ``max_unpool2d``.
    """
    x = as_tensor(x, "max_pool2d", "input")
    g = _Geometry(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    windows = g.windows(x, float("-inf"))
    out = g.to_images(windows.max(axis=1))
    if not return_indices:
        return out
    return out, Tensor(_argmax_positions(windows.data, g))


def _argmax_positions(windows: np.ndarray, g: _Geometry) -> np.ndarray:
    """Where each window's first maximum sits in the H·W plane of the input (int64)."""
    offset = np.argmax(windows, axis=1)  # (C, N·Ho·Wo): 0 … kh·kw − 1, the first maximum
    i, j = np.divmod(offset, g.kernel[1])
    p = np.tile(np.repeat(np.arange(g.Ho), g.Wo), g.N)  # each column's output row
    q = np.tile(np.arange(g.Wo), g.N * g.Ho)             # and output column
    row = p * g.stride[0] + i * g.dilation[0] - g.padding[0]
    col = q * g.stride[1] + j * g.dilation[1] - g.padding[1]
    return g.to_images((row * g.W + col).astype(np.int64))


def avg_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each kh×kw window.

    By default zero padding counts in the mean (PyTorch's default); with
    ``count_include_pad=False`` each window is divided by the number of input pixels it
    covers. A partial window of ``ceil_mode`` divides by the part inside the padded input.
    """
    x = as_tensor(x, "avg_pool2d", "input")
    g = _Geometry(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    windows = g.windows(x, 0.0)
    if count_include_pad and g.extra == (0, 0):
        return g.to_images(windows.mean(axis=1))  # every window counts kh·kw entries
    counts = np.outer(_counts(g, 0, count_include_pad), _counts(g, 1, count_include_pad))
    counts = np.tile(counts.reshape(-1), g.N)  # one per column (n, p, q)
    if backend.is_exact_array(x.data):
        divisor = counts.astype(object)  # Python ints: a symbolic mean stays exact
    else:
        divisor = counts.astype(x.dtype)
    return g.to_images(windows.sum(axis=1) / divisor)


def _counts(g: _Geometry, axis: int, include_pad: bool) -> np.ndarray:
    """How many rows (axis 0) or columns (axis 1) of each window the mean divides by."""
    k, s, p = g.kernel[axis], g.stride[axis], g.padding[axis]
    size, out = (g.H, g.Ho) if axis == 0 else (g.W, g.Wo)
    start = np.arange(out) * s  # in padded coordinates
    low, high = (0, size + 2 * p) if include_pad else (p, size + p)
    return np.minimum(start + k, high) - np.maximum(start, low)
