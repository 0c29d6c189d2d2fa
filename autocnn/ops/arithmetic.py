"""Arithmetic primitives: add, neg, mul, div, pow, and sum (the add of many entries).

Binary ops broadcast as NumPy does; their backward returns gradients in the broadcast shape
and the engine sums them back to each input's shape (one central place for that).
Subtraction is a composition, a + (−b). The backward of ``Sum`` is a broadcast: the two are
each other's adjoint, which is why the engine undoes broadcasting with a sum.

``axis`` of ``Sum`` is always a sorted tuple of non-negative axes (``Tensor`` normalises it).
"""

from __future__ import annotations

import numpy as np

from autocnn.autograd.engine import Function
from autocnn.ops import backend, workspace


class Add(Function):
    """y = a + b;  dL/da = dL/dy,  dL/db = dL/dy"""

    @staticmethod
    def forward(ctx, a, b):
        if type(a) is np.ndarray and a.nbytes >= workspace.MIN_BYTES:
            return workspace.elementwise(np.add, a, b)  # a large result: reused memory
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

    Each factor is saved only if the *other* one needs a gradient (x * mask keeps the mask).
    """

    @staticmethod
    def forward(ctx, a, b):
        needs = ctx.needs_input_grad
        if needs:  # () when no graph is recorded
            need_a, need_b = needs
            ctx.save_for_backward(a if need_b else None, b if need_a else None)
        if type(a) is np.ndarray and a.nbytes >= workspace.MIN_BYTES:
            return workspace.elementwise(np.multiply, a, b)  # a large result: reused memory
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


def kept_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the result with keepdims=True: reduced axes become 1."""
    return tuple(1 if i in axis else s for i, s in enumerate(shape))



def _accumulator(dtype: np.dtype) -> type | None:
    """The dtype a sum of ``dtype`` entries accumulates in (None: NumPy's own).

    NOTE: float16 sums accumulate in float32, as PyTorch's do (a float16 accumulator stops
    growing at 2048 + 1 and overflows at 65504); the result is rounded back once. Bool and
    small integer sums are int64 as in PyTorch (NumPy would give uint64 for uint8).
    """
    if dtype == np.float16:
        return np.float32
    if dtype.kind in "bu" or (dtype.kind == "i" and dtype.itemsize < 8):
        return np.int64
    return None


class Sum(Function):
    """y = Σ_axis x;  dL/dx = dL/dy broadcast back over the summed axes"""

    params = ("axis", "keepdims")

    @staticmethod
    def forward(ctx, x, axis, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.in_shape = axis, keepdims, x.shape
        acc = _accumulator(x.dtype)
        if x.dtype == np.float16:  # a true sum above 65504 is inf, as PyTorch's
            with np.errstate(over="ignore"):
                return np.sum(x, axis=axis, keepdims=keepdims, dtype=acc).astype(np.float16)
        return np.sum(x, axis=axis, keepdims=keepdims, dtype=acc)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdims:
            grad = grad.reshape(kept_shape(ctx.in_shape, ctx.axis))
        return grad.broadcast_to(ctx.in_shape)


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
