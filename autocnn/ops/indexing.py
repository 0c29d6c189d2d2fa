"""Indexing primitives: ``GetItem`` (x[index]) and its adjoint ``IndexAdd``.

``IndexAdd`` scatters values into zeros at an index, adding where an index repeats; each is
the other's backward, so indexing is differentiable to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.engine import Function


def is_basic_index(index: Any) -> bool:
    """True when ``index`` only slices (ints, slices, None, ...): no entry is picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(p, (slice, int, np.integer)) or p is None or p is Ellipsis for p in parts
    ) and not any(isinstance(p, bool) for p in parts)


def _describe_index(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, np.ndarray):
            out.append(f"array{p.shape}")
        elif isinstance(p, slice):
            out.append(
                ":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step))
                .rstrip(":") or ":"
            )
        else:
            out.append(repr(p))
    return "[" + ", ".join(out) + "]"


class GetItem(Function):
    """y = x[index];  dL/dx = zeros with dL/dy added at index (repeats accumulate)"""

    params = ("index_repr",)
    returns_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.in_shape = index, x.shape
        try:
            return x[index]
        except IndexError as exc:
            raise IndexError(
                f"getitem: {exc} (tensor shape {x.shape}, index {_describe_index(index)})"
            ) from None

    @property
    def index_repr(self) -> str:
        """The index as written, e.g. ``[:, 1:3]`` (for graph labels and messages)."""
        # Made on demand: a backward pass runs GetItem often and rarely shows it.
        return _describe_index(self.index)

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, shape=ctx.in_shape, index=ctx.index)


class IndexAdd(Function):
    """y = zeros(shape) with x added at index;  dL/dx = dL/dy[index]"""

    params = ("shape",)

    @staticmethod
    def forward(ctx, x, shape, index):
        ctx.shape, ctx.index = shape, index
        out = np.zeros(shape, dtype=x.dtype)
        if is_basic_index(index):
            out[index] = x
        else:
            np.add.at(out, index, x)
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, index=ctx.index)
