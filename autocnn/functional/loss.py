"""Losses: cross-entropy on logits and mean squared error."""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_reduction, reduce


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """−log softmax(logits)[target] per example, then the mean (or sum, or none).

    ``logits`` has shape (N, C) and ``target`` holds N integer class indices in [0, C).
    It goes through ``log_softmax``, which subtracts the max first, so logits of ±1000
    give finite losses and gradients (softmax − one_hot).
    """
    check_reduction(reduction, "cross_entropy")
    logits = as_tensor(logits, "cross_entropy", "input")
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy: expected logits of shape (N, C), got shape {list(logits.shape)}"
        )
    N, C = logits.shape
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: expected integer class indices as 'target', got dtype "
            f"{labels.dtype} (class probabilities are not supported; pass the class index)"
        )
    if labels.shape != (N,):
        raise ValueError(
            f"cross_entropy: expected 'target' of shape [{N}] (one class index per row of "
            f"logits {list(logits.shape)}), got {list(labels.shape)}"
        )
    bad = (labels < 0) | (labels >= C)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"cross_entropy: target {int(labels[i])} at index {i} is out of range for "
            f"{C} classes (valid indices are 0..{C - 1})"
        )
    picked = logits.log_softmax(axis=1)[np.arange(N), labels.astype(np.intp)]
    return reduce(-picked, reduction)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """(input − target)² per entry, then the mean (or sum, or none)."""
    check_reduction(reduction, "mse_loss")
    input = as_tensor(input, "mse_loss", "input")
    target = as_tensor(target, "mse_loss", "target")
    if input.shape != target.shape:
        raise ValueError(
            f"mse_loss: 'input' of shape {list(input.shape)} and 'target' of shape "
            f"{list(target.shape)} must have the same shape"
        )
    diff = input - target
    return reduce(diff * diff, reduction)
