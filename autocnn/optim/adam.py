"""``Adam``: gradient descent with per-entry step sizes from running moments of g.

PyTorch's formulas (no AMSGrad), for a parameter p with gradient g at step t = 1, 2, ...:

    g ← g + weight_decay · p                     (L2 penalty added to the gradient)
    m ← β₁ · m + (1 − β₁) · g                    (first moment, starts at 0)
    v ← β₂ · v + (1 − β₂) · g²                   (second moment, starts at 0)
    p ← p − lr / (1 − β₁ᵗ) · m / ( sqrt(v) / sqrt(1 − β₂ᵗ) + ε )

The divisions by 1 − βᵗ undo the bias of moments that start at zero.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autocnn.optim.optimizer import Optimizer, check_non_negative, check_unit_interval


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with L2 weight decay, as ``torch.optim.Adam``."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay})

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        check_unit_interval(betas[0], "Adam", "beta1 (betas[0])")
        check_unit_interval(betas[1], "Adam", "beta2 (betas[1])")
        group["betas"] = (float(betas[0]), float(betas[1]))
        check_non_negative(group["eps"], "Adam", "eps")
        check_non_negative(group["weight_decay"], "Adam", "weight_decay")

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                state: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        decay = group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        g = grad + decay * param if decay else grad
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        step_size = group["lr"] / (1 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t)
        denom += group["eps"]
        param -= step_size * (m / denom)
