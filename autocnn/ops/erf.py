"""``Erf``: the Gauss error function, the one primitive exact GELU needs.

erf(x) = 2/√π ∫₀ˣ e^(−t²) dt has no expression in the other primitives (exp, log, tanh, …),
so it is a primitive of its own. Its derivative is elementary, 2/√π · e^(−x²), and is
written with Tensor operations, so second derivatives work too.
"""

from __future__ import annotations

import math

import numpy as np

from autocnn.autograd.function import Function

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf(x: np.ndarray) -> np.ndarray:
    """erf entry by entry: SymPy's for symbolic entries, ``math.erf`` for numbers.

    NumPy has no erf ufunc; ``math.erf`` is exact to the last bit and fast enough for the
    activations of a teaching-sized network.
    """
    if x.dtype.kind == "O":
        import sympy

        return np.asarray(np.frompyfunc(lambda v: sympy.erf(sympy.sympify(v)), 1, 1)(x),
                          dtype=object)
    return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)


class Erf(Function):
    """y = erf(x);  dL/dx = dL/dy · 2/√π · e^(−x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if x.dtype.kind == "O":
            import sympy

            scale = 2 / sympy.sqrt(sympy.pi)  # exact, so symbolic.verify can prove it
        else:
            scale = _TWO_OVER_SQRT_PI
        return grad * ((-(x * x)).exp() * scale)
