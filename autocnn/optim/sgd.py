"""``SGD``: stochastic gradient descent, with optional momentum, Nesterov and weight decay.

PyTorch's formulas (with ``dampening = 0``), for a parameter p with gradient g:

    g ← g + weight_decay · p                          (L2 penalty, if weight_decay > 0)
    b ← g  at the first step,  b ← momentum · b + g  after   (if momentum > 0)
    g ← g + momentum · b  (Nesterov)   or   g ← b  (classical momentum)
    p ← p − lr · g
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.optim.optimizer import Optimizer, check_non_negative


class SGD(Optimizer):
    """p ← p − lr · g, with optional momentum (classical or Nesterov) and weight decay.

    ``SGD(model.parameters(), lr=0.1, momentum=0.9)``. ``lr`` has no default, as in
    PyTorch: the step size is the one setting every user must choose.
    """

    def __init__(self, params: Any, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_non_negative(group["momentum"], "SGD", "momentum")
        check_non_negative(group["weight_decay"], "SGD", "weight_decay")
        if not isinstance(group["nesterov"], bool):
            raise TypeError(f"SGD: nesterov must be a bool, got {group['nesterov']!r}")
        if group["nesterov"] and group["momentum"] <= 0:
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0, got momentum="
                             f"{group['momentum']}")

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                state: dict[str, Any]) -> None:
        lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
        g = grad
        if decay:
            g = g + decay * param
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= momentum
                buf += g
            g = g + momentum * buf if group["nesterov"] else buf
        param -= lr * g
