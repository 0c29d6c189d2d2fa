"""Deliberately wrong primitives: the checking tools (gradcheck, symbolic.verify, the
derivative labels of graph pictures) must each catch or show the mistake."""

from __future__ import annotations

from autocnn.autograd import Function


class HalfWrongSquare(Function):
    """y = x², with a deliberately wrong backward: dL/dx = dL/dy · x (missing the 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x
