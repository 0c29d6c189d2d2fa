"""Max pooling derived: each window's gradient goes to the window's arg-max.

    Y[p,q] = max_{i,j} X[s·p + i, s·q + j]
    ∂L/∂X[h,w] = Σ_{windows (p,q) containing (h,w)} G[p,q] · [X[h,w] is the max of the window]

The indicator is written with Heaviside steps, 1[x_a is the max] = Π_{b ≠ a} H(x_a − x_b),
valid when the entries of a window are distinct. The engine cannot run backward on symbols
here (which symbol wins a max is undefined), so the proof takes the gradients at an exact
rational point with distinct entries, where every indicator is an exact 0 or 1.

NOTE: ties go to the first maximal entry in row-major order in the engine (PyTorch's rule);
the closed form with strict steps gives no gradient on a tie, so points with ties are avoided.
"""

from __future__ import annotations

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.derivation import Derivation, Formula
from autocnn.symbolic.tensors import check_size, random_rationals, symbol_array


class MaxPoolDerivation(Derivation):
    """max_pool2d with a k×k window and stride s on one (1, 1, H, W) image."""

    title = "Max pooling"

    def __init__(self, size: int = 4, kernel_size: int = 2, stride: int | None = None,
                 seed: int = 0) -> None:
        super().__init__()
        stride = kernel_size if stride is None else stride
        check_size([(size, size)], "derive_maxpool", limit=64)
        if kernel_size > size:
            raise ValueError(f"derive_maxpool: kernel_size {kernel_size} > input size {size}")
        self.kernel_size, self.stride = kernel_size, stride
        self.x = symbol_array("x", (1, 1, size, size))
        out = (size - kernel_size) // stride + 1
        self.g = symbol_array("g", (1, 1, out, out))
        self.point = dict(zip(self.x.reshape(-1),
                              random_rationals(self.x.shape, np.random.default_rng(seed))
                              .reshape(-1)))
        y = np.empty((1, 1, out, out), dtype=object)
        dx = np.empty(self.x.shape, dtype=object)
        dx[...] = sympy.Integer(0)
        for p, q in np.ndindex(out, out):
            window = [(stride * p + i, stride * q + j)
                      for i, j in np.ndindex(kernel_size, kernel_size)]
            values = [self.x[0, 0, h, w] for h, w in window]
            y[0, 0, p, q] = sympy.Max(*values)
            for (h, w), v in zip(window, values):
                wins = sympy.Mul(*[sympy.Heaviside(v - other, 0) for other in values
                                   if other is not v])
                dx[0, 0, h, w] += self.g[0, 0, p, q] * wins
        self.steps["output"] = y
        self.grads["x"] = dx
        self.summary = ("Keep the largest value of each window; the whole upstream gradient of "
                        "a window goes to that one entry (the arg-max).")
        self.instance = (f"x (1, 1, {size}, {size}), kernel {kernel_size}, stride {stride}; "
                         "proved at an exact rational point with distinct entries.")
        self.forward = [Formula("output", "Y[p,q] = max_{i,j} X[s·p+i, s·q+j]",
                                r"Y_{p,q} = \max_{i,j} X_{sp+i,\,sq+j}")]
        self.gradient_formulas = [Formula(
            "x", "∂L/∂X[h,w] = Σ_{(p,q) ∋ (h,w)} G[p,q] · 1[X[h,w] = Y[p,q]]",
            r"\frac{\partial L}{\partial X_{h,w}} = \sum_{(p,q)\ni(h,w)} G_{p,q}\,"
            r"\mathbb{1}[X_{h,w} = Y_{p,q}]")]
        self.notes = ["Ties: the engine gives the gradient to the first maximal entry in "
                      "row-major order, as PyTorch does."]

    def engine_grads(self) -> dict[str, np.ndarray]:
        """The engine's backward of F.max_pool2d at the exact point, upstream g."""
        from autocnn.functional import max_pool2d

        values = np.vectorize(lambda s: self.point[s], otypes=[object])(self.x)
        x = Tensor(values, requires_grad=True)
        max_pool2d(x, self.kernel_size, self.stride).backward(Tensor(self.g.copy()))
        return {"x": x.grad.data}

    def reference_grads(self) -> dict[str, np.ndarray]:
        """sympy.diff of Σ G·max(window), evaluated at the exact point."""
        loss = sympy.Add(*[gi * yi for gi, yi in zip(self.g.reshape(-1),
                                                      self.steps["output"].reshape(-1))])
        return {"x": np.vectorize(lambda s: sympy.diff(loss, s), otypes=[object])(self.x)}

    def check(self):  # type: ignore[no-untyped-def]
        """Prove closed form = engine = sympy.diff at the exact point."""
        from autocnn.symbolic.derivation import CheckReport, compare_arrays

        if self._report is None:
            engine, reference = self.engine_grads(), self.reference_grads()
            report = CheckReport(self.title)
            report.lines.append(compare_arrays(
                "closed form of dL/dx = engine backward (at the point)", self.grads["x"],
                engine["x"], self.point))
            report.lines.append(compare_arrays(
                "closed form of dL/dx = sympy.diff (at the point)", self.grads["x"],
                reference["x"], self.point))
            self._report = report
        return self._report


def derive_maxpool(size: int = 4, kernel_size: int = 2, stride: int | None = None
                   ) -> MaxPoolDerivation:
    """The max-pooling derivation on a (1, 1, size, size) symbolic image."""
    return MaxPoolDerivation(size, kernel_size, stride)
