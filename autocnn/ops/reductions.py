"""Reduction primitives: sum and max over axes (min and mean are compositions).

``axis`` is always a sorted tuple of non-negative axes here (``Tensor`` normalises it).
"""

from __future__ import annotations

import numpy as np

from autocnn.autograd.function import Function
from autocnn.ops import backend


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the result with keepdims=True: reduced axes become 1."""
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _drop_axes(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the result with keepdims=False."""
    return tuple(s for i, s in enumerate(shape) if i not in axis)


class Sum(Function):
    """y = Σ_axis x;  dL/dx = dL/dy broadcast back over the summed axes"""

    params = ("axis", "keepdims")

    @staticmethod
    def forward(ctx, x, axis, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.in_shape = axis, keepdims, x.shape
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdims:
            grad = grad.reshape(_kept_shape(ctx.in_shape, ctx.axis))
        return grad.broadcast_to(ctx.in_shape)


class Max(Function):
    """y = max_axis x;  dL/dx = dL/dy at the arg-max of each group, 0 elsewhere

    NOTE: ties send the gradient to the first maximal entry (row-major order over the
    reduced axes), as PyTorch's max_pool2d does. The mask is computed in forward, and only
    when a gradient will be needed: a boolean mask is a quarter of the float32 input.
    """

    params = ("axis", "keepdims")

    @staticmethod
    def forward(ctx, x, axis, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.in_shape = axis, keepdims, x.shape
        if not (ctx.needs_input_grad and ctx.needs_input_grad[0]):
            return backend.amax(x, axis, keepdims)
        kept = backend.amax(x, axis, True)
        ctx.save_for_backward(backend.first_max_mask(x, axis, maximum=kept))
        return kept if keepdims else kept.reshape(_drop_axes(x.shape, axis))

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        if not ctx.keepdims:
            grad = grad.reshape(_kept_shape(ctx.in_shape, ctx.axis))
        return grad.broadcast_to(ctx.in_shape) * mask
