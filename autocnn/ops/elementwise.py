"""Elementwise primitives of one input (exp, log, abs, tanh, sigmoid) and ``maximum``.

Functions NumPy cannot apply to SymPy objects go through ``backend``; derivatives that are
masks or signs are constants of the backward graph (their own derivative is zero wherever
it exists).
"""

from __future__ import annotations

from autocnn.autograd.engine import Function
from autocnn.autograd.tensor import Tensor
from autocnn.ops import backend


class Exp(Function):
    """y = eˣ;  dL/dx = dL/dy · y"""

    @staticmethod
    def forward(ctx, x):
        y = backend.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Log(Function):
    """y = log x;  dL/dx = dL/dy / x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Abs(Function):
    """y = |x|;  dL/dx = dL/dy · sign(x)

    NOTE: at x = 0 the gradient is 0 (sign(0) = 0), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(backend.sign(x))
        return backend.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        return grad * sign


class Tanh(Function):
    """y = tanh x;  dL/dx = dL/dy · (1 − y²)"""

    @staticmethod
    def forward(ctx, x):
        y = backend.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e⁻ˣ);  dL/dx = dL/dy · y · (1 − y)"""

    @staticmethod
    def forward(ctx, x):
        y = backend.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y * (1 - y))


class Maximum(Function):
    """y = max(a, b);  dL/da = dL/dy · [a > b],  dL/db = dL/dy · [a ≤ b]

    NOTE: a tie sends the whole gradient to the second operand ``b``. ReLU is
    ``maximum(x, 0)``, so its gradient at exactly 0 is 0, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(backend.greater(a, b))
        return backend.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        (a_wins,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad * a_wins if need_a else None
        if need_b:
            mask = a_wins.data
            b_wins = ~mask if mask.dtype == bool else 1 - mask
            grad_b = grad * Tensor._constant(b_wins)
        else:
            grad_b = None
        return grad_a, grad_b
