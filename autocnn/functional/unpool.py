"""``max_unpool2d``: put each pooled maximum back where it came from, zeros elsewhere.

It is a scatter, ``IndexAdd``, of the pooled values into a zero image at the positions
``max_pool2d(..., return_indices=True)`` reported; its gradient is the matching gather
(GetItem), so dL/dx[n, c, p, q] = dL/dy[n, c, indices[n, c, p, q]].
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_ndim, pair
from autocnn.ops import IndexAdd


def max_unpool2d(
    x: Any,
    indices: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    output_size: tuple[int, ...] | None = None,
) -> Tensor:
    """The partial inverse of ``max_pool2d``: (N, C, H, W) values and their indices →
    (N, C, Ho, Wo) with Ho = (H − 1)·stride − 2·padding + kernel_size unless
    ``output_size`` (the last two entries are used, as PyTorch) says otherwise.

    NOTE: when several values name the same position (overlapping pooling windows that
    found the same maximum, so the values are equal) the position holds one of them, as in
    PyTorch: the last, as a loop of assignments would leave it. Only that one receives the
    gradient — the exact derivative of an assignment; PyTorch instead gathers the
    gradient back to every duplicate.
    """
    op = "max_unpool2d"
    x = as_tensor(x, op, "input")
    check_ndim(x, (4,), op, "input", "4-D (N, C, H, W)")
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: 'indices' must hold integers, got dtype {idx.dtype}")
    if idx.shape != x.shape:
        raise ValueError(
            f"{op}: 'indices' of shape {list(idx.shape)} must have the shape of the input "
            f"{list(x.shape)}"
        )
    kernel = pair(kernel_size, op, "kernel_size", 1)
    stride = kernel if stride is None else pair(stride, op, "stride", 1)
    padding = pair(padding, op, "padding", 0)
    N, C, H, W = x.shape
    if output_size is None:
        Ho = (H - 1) * stride[0] - 2 * padding[0] + kernel[0]
        Wo = (W - 1) * stride[1] - 2 * padding[1] + kernel[1]
    else:
        if len(output_size) < 2:
            raise ValueError(f"{op}: 'output_size' needs at least (H, W), got {output_size!r}")
        Ho, Wo = (int(s) for s in output_size[-2:])
    plane = Ho * Wo
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max() if idx.max() >= plane else idx.min())
        raise ValueError(
            f"{op}: index {bad} is out of range for an output plane of {Ho}×{Wo} = {plane}"
        )
    # one flat index per value: its (n, c) plane's offset plus its position in the plane
    base = (np.arange(N * C, dtype=np.int64) * plane).reshape(N, C, 1, 1)
    flat = (base + idx).reshape(-1)
    values = x.reshape(-1)
    _, last_reversed = np.unique(flat[::-1], return_index=True)
    if last_reversed.size < flat.size:  # duplicates: keep the last occurrence of each
        keep = np.sort(flat.size - 1 - last_reversed)
        values, flat = values[keep], flat[keep]
    out = IndexAdd.apply(values, shape=(N * C * plane,), index=flat)
    return out.reshape(N, C, Ho, Wo)
