"""Adaptive pooling: name the output size, and the windows follow (PyTorch's bins).

Output row i of an input of height H pools the input rows [⌊i·H/Ho⌋, ⌈(i + 1)·H/Ho⌉): the
windows tile the input, overlapping by a row where H is not a multiple of Ho. At output
size 1 this is global pooling, the head of a ResNet.

- ``adaptive_avg_pool2d`` is two matrix products with constant averaging matrices,
  y = A_h · x · A_wᵀ, where row i of A_h holds 1/len over bin i — linear, so its gradient
  is the same products transposed (from MatMul's rule).
- ``adaptive_max_pool2d`` gathers every bin into a (N, C, Ho, Wo, kh, kw) tensor by integer
  indexing — bins shorter than the longest repeat their last row or column, which cannot
  change a maximum and, coming after the original, never wins a tie — and takes ``max``
  over the last two axes. The gradient goes to the first maximum of each bin in row-major
  order (as PyTorch) and GetItem's adjoint adds it back into place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_ndim
from autocnn.ops import backend


def _output_size(output_size: Any, x: Tensor, op: str) -> tuple[int, int]:
    """An int or a pair, where None keeps the input's size (as PyTorch)."""
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(sizes) != 2:
        raise TypeError(f"{op}: 'output_size' must be an int or a pair, got {output_size!r}")
    out = []
    for s, full in zip(sizes, x.shape[-2:]):
        if s is None:
            s = full
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(
                f"{op}: 'output_size' must hold positive ints (or None), got {output_size!r}"
            )
        out.append(int(s))
    return out[0], out[1]


def bins(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive bins along one axis: [⌊i·size/out⌋, ⌈(i + 1)·size/out⌉)."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _averaging(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """The (out, size) matrix whose row i averages bin i."""
    exact = dtype.kind == backend.EXACT_KIND
    A = np.zeros((out, size), dtype=dtype)
    for i, (lo, hi) in enumerate(bins(size, out)):
        if exact:
            A[i, :] = backend.exact_ratio(0, 1)
            A[i, lo:hi] = backend.exact_ratio(1, hi - lo)
        else:
            A[i, lo:hi] = 1.0 / (hi - lo)
    return A


def adaptive_avg_pool2d(x: Any, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """The mean of each adaptive bin: (N, C, H, W) → (N, C, Ho, Wo) (also (C, H, W))."""
    op = "adaptive_avg_pool2d"
    x = as_tensor(x, op, "input")
    check_ndim(x, (3, 4), op, "input", "3-D (C, H, W) or 4-D (N, C, H, W)")
    Ho, Wo = _output_size(output_size, x, op)
    H, W = x.shape[-2:]
    if (Ho, Wo) == (1, 1):
        return x.mean(axis=(-2, -1), keepdims=True)  # global average pooling
    A_h = Tensor._constant(_averaging(H, Ho, x.dtype))
    A_wT = Tensor._constant(_averaging(W, Wo, x.dtype).T.copy())
    return A_h @ x @ A_wT


def adaptive_max_pool2d(
    x: Any, output_size: int | tuple[int | None, int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """The largest value of each adaptive bin: (N, C, H, W) → (N, C, Ho, Wo).

    With ``return_indices=True`` also the position of each maximum in its flattened H·W
    plane (int64), as ``max_pool2d``.
    """
    op = "adaptive_max_pool2d"
    x = as_tensor(x, op, "input")
    check_ndim(x, (3, 4), op, "input", "3-D (C, H, W) or 4-D (N, C, H, W)")
    Ho, Wo = _output_size(output_size, x, op)
    H, W = x.shape[-2:]
    rows, cols = _bin_indices(H, Ho), _bin_indices(W, Wo)  # (Ho, kh), (Wo, kw)
    index = (Ellipsis, rows[:, None, :, None], cols[None, :, None, :])
    gathered = x[index]  # (..., Ho, Wo, kh, kw)
    out = gathered.max(axis=(-2, -1))
    if not return_indices:
        return out
    kh, kw = rows.shape[1], cols.shape[1]
    flat = gathered.data.reshape(*gathered.shape[:-2], kh * kw)
    i, j = np.divmod(np.argmax(flat, axis=-1), kw)
    row = rows[np.arange(Ho)[:, None], i]
    col = cols[np.arange(Wo)[None, :], j]
    return out, Tensor((row * W + col).astype(np.int64))


def _bin_indices(size: int, out: int) -> np.ndarray:
    """(out, longest bin) row indices; short bins repeat their last index."""
    spans = bins(size, out)
    longest = max(hi - lo for lo, hi in spans)
    return np.array([[min(lo + t, hi - 1) for t in range(longest)] for lo, hi in spans],
                    dtype=np.intp)
