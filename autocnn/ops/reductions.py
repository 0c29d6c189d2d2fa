"""Reduction primitives: sum, max and min over axes (mean is a composition).

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
        if x.dtype == np.float16:
            # NOTE: float16 sums accumulate in float32, as PyTorch's do (a float16
            # accumulator stops growing at 2048 + 1 and overflows at 65504); the result is
            # rounded back to float16 once.
            with np.errstate(over="ignore"):  # a true sum above 65504 is inf, as PyTorch's
                return np.sum(x, axis=axis, keepdims=keepdims,
                              dtype=np.float32).astype(np.float16)
        if x.dtype.kind in "bu" or (x.dtype.kind == "i" and x.dtype.itemsize < 8):
            # bool and small integer sums are int64 as in PyTorch (NumPy: uint8 → uint64)
            return np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64)
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


class Min(Function):
    """y = min_axis x;  dL/dx = dL/dy at the arg-min of each group, 0 elsewhere

    Its own rule rather than −max(−x): negation overflows at an integer type's minimum,
    wraps for unsigned types (uint8 images) and is undefined for booleans.
    NOTE: ties send the gradient to the first minimal entry (row-major order over the
    reduced axes), the same policy as ``Max``.
    """

    params = ("axis", "keepdims")

    @staticmethod
    def forward(ctx, x, axis, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.in_shape = axis, keepdims, x.shape
        if not (ctx.needs_input_grad and ctx.needs_input_grad[0]):
            return backend.amin(x, axis, keepdims)
        kept = backend.amin(x, axis, True)
        ctx.save_for_backward(backend.first_min_mask(x, axis, kept))
        return kept if keepdims else kept.reshape(_drop_axes(x.shape, axis))

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        if not ctx.keepdims:
            grad = grad.reshape(_kept_shape(ctx.in_shape, ctx.axis))
        return grad.broadcast_to(ctx.in_shape) * mask
