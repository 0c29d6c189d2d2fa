"""Exercise 4 (solution): a fully connected layer as an ``autocnn.autograd.Function``.

y = x Wᵀ + b. Backward: ∂L/∂x = g W, ∂L/∂W = gᵀ x (summed over the batch by the product),
∂L/∂b = Σ_n g. Written with tensor operations, so it is differentiable again.
"""

from autocnn.autograd import Function
from autocnn.symbolic import check_backward


class Linear(Function):
    """y = x @ W.T + b."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, g.sum(axis=0)


report = check_backward("linear", Linear)
print(report)
assert report
