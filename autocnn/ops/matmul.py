"""``MatMul``: the matrix product, batched and broadcast over leading axes as ``np.matmul``."""

from __future__ import annotations

import numpy as np

from autocnn.autograd.engine import Function
from autocnn.ops import workspace
from autocnn.ops.shape import Transpose


def _swap_last(t):
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return Transpose.apply(t, axes=tuple(axes))


class MatMul(Function):
    """Y = A @ B;  dL/dA = dL/dY @ Bᵀ,  dL/dB = Aᵀ @ dL/dY

    A 1-D operand is a row (A) or a column (B) for the products, as in NumPy; the engine sums
    gradients over broadcast batch axes.
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least one axis, got shapes {a.shape} and "
                f"{b.shape} (use * for scalars)"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            which = "second-to-last" if b.ndim > 1 else "only"
            raise ValueError(
                f"matmul: the inner sizes differ: A has shape {a.shape}, B has shape "
                f"{b.shape} (A's last axis must equal B's {which} axis)"
            )
        ctx.save_for_backward(a, b)
        if a.ndim == 2 and b.ndim == 2 and a.dtype.kind == b.dtype.kind == "f":
            # a conv's products (and their gradients) are megabytes: write them into memory
            # reused from an earlier step instead of fresh, page-faulting pages
            out = workspace.empty((a.shape[0], b.shape[1]), np.result_type(a, b))
            return np.matmul(a, b, out=out)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        g = grad.unsqueeze(-1) if b.ndim == 1 else grad
        g = g.unsqueeze(-2) if a.ndim == 1 else g
        grad_a = grad_b = None
        if need_a:
            grad_a = g @ _swap_last(b2)
            if a.ndim == 1:
                grad_a = grad_a.squeeze(-2)
        if need_b:
            grad_b = _swap_last(a2) @ g
            if b.ndim == 1:
                grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b
