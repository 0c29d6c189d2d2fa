"""``Pad``: surround a tensor with a constant (zeros for convolution, −inf for max pooling).

Its backward cuts the interior back out of the gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autocnn.autograd.engine import Function
from autocnn.ops import backend


def norm_pad_width(pad_width: Sequence, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """One (before, after) pair of non-negative ints per axis."""
    try:
        pairs = tuple(tuple(_int(v) for v in pair) for pair in pad_width)
    except TypeError:
        pairs = ()
    if len(pairs) != len(shape) or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(
            f"pad: pad_width must hold one (before, after) pair of non-negative ints per axis "
            f"of the tensor of shape {shape}, got {pad_width!r}"
        )
    return pairs


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(value)
    return int(value)


class Pad(Function):
    """y = x framed by ``value``;  dL/dx = dL/dy without the frame"""

    params = ("pad_width", "value")

    @staticmethod
    def forward(ctx, x, pad_width, value=0.0):
        value = backend.exact_constants([x, value])[1]  # a float frame around SymPy entries: exact
        ctx.pad_width, ctx.value = pad_width, value
        shape = tuple(s + b + a for s, (b, a) in zip(x.shape, pad_width))
        ctx.interior = tuple(slice(b, b + s) for s, (b, _) in zip(x.shape, pad_width))
        out = np.empty(shape, dtype=x.dtype)
        out[ctx.interior] = x
        # Only the frame gets the constant: filling the whole array first would write
        # every interior entry twice (measurable on conv's input, which is mostly interior).
        everything = [slice(None)] * len(shape)
        for axis, (before, after) in enumerate(pad_width):
            if before:
                out[(*everything[:axis], slice(0, before))] = value
            if after:
                out[(*everything[:axis], slice(shape[axis] - after, None))] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.interior]
