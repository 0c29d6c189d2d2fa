"""Arithmetic primitives: add, neg, mul, div, pow.

Binary ops broadcast as NumPy does; their backward returns gradients in the broadcast shape
and the engine sums them back to each input's shape (one central place for that).
Subtraction is a composition, a + (−b).
"""

from __future__ import annotations

import numpy as np

from autocnn.autograd.function import Function
from autocnn.ops import backend


class Add(Function):
    """y = a + b;  dL/da = dL/dy,  dL/db = dL/dy"""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Neg(Function):
    """y = −x;  dL/dx = −dL/dy"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Mul(Function):
    """y = a · b;  dL/da = dL/dy · b,  dL/db = dL/dy · a

    Each factor is saved only if the *other* one needs a gradient: ``x * mask`` with a
    constant mask keeps the mask alone, not x.
    """

    @staticmethod
    def forward(ctx, a, b):
        needs = ctx.needs_input_grad
        if needs:  # () when no graph is recorded
            need_a, need_b = needs
            ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    """y = a / b;  dL/da = dL/dy / b,  dL/db = −dL/dy · a / b²"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -(grad * a) / (b * b) if need_b else None
        return grad_a, grad_b


class Pow(Function):
    """y = a ** b;  dL/da = dL/dy · b · a^(b−1),  dL/db = dL/dy · y · log a

    NOTE: two limits are taken as PyTorch does, where the formulas read 0 · ∞: dL/da = 0
    where b = 0 (a⁰ is constant even at a = 0), and dL/db = 0 where a = 0 and b ≥ 0.
    """

    @staticmethod
    def forward(ctx, a, b):
        y = a**b
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        a, b, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_arr, b_arr = _array(a), _array(b)
        numeric = not (backend.is_exact_array(a_arr) or backend.is_exact_array(b_arr))
        grad_a = grad_b = None
        if need_a:
            exponent = b - 1
            if numeric and np.any(b_arr == 0):
                # where b = 0 use a⁰ (finite) in place of a⁻¹; the factor b makes it 0 anyway
                exponent = exponent + (b_arr == 0).astype(a_arr.dtype)
            grad_a = grad * b * a**exponent
        if need_b:
            base = a
            if numeric:
                degenerate = (a_arr == 0) & (b_arr >= 0)
                if np.any(degenerate):
                    base = a + degenerate.astype(a_arr.dtype)  # log 1 = 0 there
            log_a = base.log() if hasattr(base, "log") else backend.log(base)
            grad_b = grad * y * log_a
        return grad_a, grad_b


def _array(v):
    return v.data if hasattr(v, "data") and isinstance(v.data, np.ndarray) else np.asarray(v)
