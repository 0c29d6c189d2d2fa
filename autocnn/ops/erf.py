"""``Erf``: the Gauss error function, the one primitive exact GELU needs.

erf(x) = 2/√π ∫₀ˣ e^(−t²) dt has no expression in the other primitives (exp, log, tanh, …),
so it is a primitive of its own. Its derivative is elementary, 2/√π · e^(−x²), and is
written with Tensor operations, so second derivatives work too.
"""

from __future__ import annotations

from autocnn.autograd.engine import Function
from autocnn.ops import backend


class Erf(Function):
    """y = erf(x);  dL/dx = dL/dy · 2/√π · e^(−x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend.erf(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        scale = backend.two_over_sqrt_pi(x.data)  # exact for symbolic x: verify proves it
        return grad * ((-(x * x)).exp() * scale)
