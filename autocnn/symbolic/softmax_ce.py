"""Softmax + cross-entropy derived: ∂L/∂z = (softmax(z) − one_hot(t)) / N.

    p_{n,k} = exp(z_{n,k}) / Σ_j exp(z_{n,j})       L = −(1/N) Σ_n log p_{n,t_n}

The softmax Jacobian and the log cancel so neatly that the gradient of the mean loss with
respect to the logits is the prediction minus the target, divided by the batch size.
"""

from __future__ import annotations

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.derivation import Derivation, Formula
from autocnn.symbolic.tensors import check_size, symbol_array


class SoftmaxCrossEntropyDerivation(Derivation):
    """Mean cross-entropy of softmax(z) for N rows of C logits and fixed targets."""

    title = "Softmax + cross-entropy"

    def __init__(self, N: int = 2, C: int = 3, targets: list[int] | None = None) -> None:
        super().__init__()
        check_size([(N, C)], "derive_softmax_ce", limit=64)
        self.targets = list(range(N)) if targets is None else list(targets)
        self.targets = [t % C for t in self.targets]
        if len(self.targets) != N:
            raise ValueError(f"derive_softmax_ce: expected {N} targets, got {len(self.targets)}")
        self.z = symbol_array("z", (N, C))
        self.N, self.C = N, C
        exps = np.vectorize(sympy.exp, otypes=[object])(self.z)
        p = np.empty((N, C), dtype=object)
        for n in range(N):
            total = sympy.Add(*exps[n])
            for k in range(C):
                p[n, k] = exps[n, k] / total
        loss = -sympy.Add(*[sympy.log(p[n, self.targets[n]]) for n in range(N)]) / N
        self.steps["softmax"] = p
        self.steps["loss"] = loss
        onehot = np.zeros((N, C), dtype=int)
        onehot[np.arange(N), self.targets] = 1
        self.grads["z"] = np.array([[(p[n, k] - onehot[n, k]) / N for k in range(C)]
                                    for n in range(N)], dtype=object)
        self.summary = ("Turn logits into probabilities, take minus the log-probability of the "
                        "right class, average over the batch. The gradient is prediction minus "
                        "target.")
        self.instance = f"N = {N} rows of C = {C} logits, targets {self.targets}."
        self.forward = [
            Formula("softmax", "p_{n,k} = exp(z_{n,k}) / Σ_j exp(z_{n,j})",
                    r"p_{n,k} = \frac{e^{z_{n,k}}}{\sum_j e^{z_{n,j}}}"),
            Formula("loss", "L = −(1/N) Σ_n log p_{n,t_n}",
                    r"L = -\frac{1}{N}\sum_n \log p_{n,t_n}"),
        ]
        self.gradient_formulas = [Formula(
            "z", "∂L/∂z_{n,k} = (p_{n,k} − 1[k = t_n]) / N",
            r"\frac{\partial L}{\partial z_{n,k}} = \frac{p_{n,k} - \mathbb{1}[k = t_n]}{N}")]
        self.notes = ["The engine computes log_softmax with the max subtracted for stability; "
                      "on exact symbols no shift is needed, and the gradient is the same."]

    def engine_grads(self) -> dict[str, np.ndarray]:
        """The engine's backward of F.cross_entropy (mean reduction)."""
        from autocnn.functional import cross_entropy

        z = Tensor(self.z.copy(), requires_grad=True)
        cross_entropy(z, np.array(self.targets)).backward()
        return {"z": z.grad.data}

    def reference_grads(self) -> dict[str, np.ndarray]:
        """sympy.diff of the loss formula."""
        loss = self.steps["loss"]
        return {"z": np.vectorize(lambda s: sympy.diff(loss, s), otypes=[object])(self.z)}


def derive_softmax_ce(N: int = 2, C: int = 3, targets: list[int] | None = None
                      ) -> SoftmaxCrossEntropyDerivation:
    """The softmax + cross-entropy derivation for N rows of C symbolic logits."""
    return SoftmaxCrossEntropyDerivation(N, C, targets)
