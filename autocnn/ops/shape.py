"""Shape primitives: reshape, transpose, broadcast_to, the dtype cast, and identity.

They move entries without computing anything, so each backward is the inverse move.
"""

from __future__ import annotations

import numpy as np

from autocnn.autograd.engine import Function


class Reshape(Function):
    """y = x in a new shape;  dL/dx = dL/dy in x's shape"""

    params = ("shape",)
    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape, ctx.in_shape = shape, x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


class Transpose(Function):
    """y = x with axes permuted;  dL/dx = dL/dy with the inverse permutation"""

    params = ("axes",)
    returns_view = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        # Straight to the primitive: the axes are a valid permutation by construction.
        return Transpose.apply(grad, axes=tuple(inverse))


class BroadcastTo(Function):
    """y = x repeated along broadcast axes;  dL/dx = dL/dy summed over them

    The backward returns dL/dy in the broadcast shape: the engine sums every gradient back
    to its input's shape, the one place where broadcasting is undone.
    """

    params = ("shape",)
    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Cast(Function):
    """y = x converted to ``dtype``;  dL/dx = dL/dy converted back to x's dtype"""

    params = ("dtype",)

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype, ctx.in_dtype = dtype, x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.in_dtype)


class Identity(Function):
    """y = x;  dL/dx = dL/dy

    A node that does nothing but mark a place in the graph: module backward hooks put one
    on a module's inputs and outputs, so the gradients met there are exactly the module's.
    """

    returns_view = True

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad
