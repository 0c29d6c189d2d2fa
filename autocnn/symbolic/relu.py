"""ReLU derived: y = max(x, 0), so ∂L/∂x = g · H(x), the upstream gradient where x > 0.

NOTE: at the kink x = 0 the engine sends no gradient (H(0) = 0, PyTorch's rule), while
SymPy's derivative of Max(x, 0) is Heaviside(x) with H(0) = 1/2. The proofs compare the two
away from the kink (see ``compare.py``); the tie rule itself is pinned by an exact test.
"""

from __future__ import annotations

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.derivation import Derivation, Formula
from autocnn.symbolic.tensors import check_size, symbol_array


class ReluDerivation(Derivation):
    """ReLU on N symbolic values."""

    title = "ReLU"

    def __init__(self, N: int = 3) -> None:
        super().__init__()
        check_size([(N,)], "derive_relu", limit=64)
        self.x = symbol_array("x", (N,))
        self.g = symbol_array("g", (N,))
        self.summary = "Pass positive values, zero the rest; the gradient flows only where x > 0."
        self.instance = f"N = {N} values x_0 … x_{N - 1}, upstream gradient g."
        self.forward = [Formula("relu", "y_i = max(x_i, 0)", r"y_i = \max(x_i, 0)")]
        self.gradient_formulas = [Formula(
            "x", "∂L/∂x_i = g_i · H(x_i)   (H(x) = 1 for x > 0, 0 for x < 0; 0 at x = 0)",
            r"\frac{\partial L}{\partial x_i} = g_i\,H(x_i)")]
        self.steps["relu"] = np.array([sympy.Max(v, 0) for v in self.x], dtype=object)
        self.grads["x"] = np.array([gi * sympy.Heaviside(v, 0) for gi, v in zip(self.g, self.x)],
                                   dtype=object)
        self.notes = ["The engine's rule at x = 0 is H(0) = 0 (no gradient), as in PyTorch."]

    def engine_grads(self) -> dict[str, np.ndarray]:
        """The engine's backward of ``x.relu()`` with upstream g."""
        x = Tensor(self.x.copy(), requires_grad=True)
        x.relu().backward(Tensor(self.g.copy()))
        return {"x": x.grad.data}

    def reference_grads(self) -> dict[str, np.ndarray]:
        """sympy.diff of Σ g_i max(x_i, 0)."""
        loss = sympy.Add(*[gi * yi for gi, yi in zip(self.g, self.steps["relu"])])
        return {"x": np.array([sympy.diff(loss, v) for v in self.x], dtype=object)}


def derive_relu(N: int = 3) -> ReluDerivation:
    """The ReLU derivation on ``N`` symbolic values."""
    return ReluDerivation(N)
