"""Losses: cross-entropy on logits and mean squared error."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_reduction, reduce


def cross_entropy(
    logits: Any,
    target: Any,
    reduction: str = "mean",
    weight: Any = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Tensor:
    """−log softmax(logits)[target] per example, then the mean (or sum, or none).

    ``logits`` has shape (N, C). ``target`` is either N integer class indices in [0, C) or,
    as a floating (N, C) array, class probabilities (soft labels): then the loss of a row is
    −Σ_c target_c · log softmax(logits)_c. It goes through ``log_softmax``, which subtracts
    the max first, so logits of ±1000 give finite losses and gradients (softmax − one_hot).

    PyTorch's options, with its semantics:

    - ``weight`` (C,): the loss of a row with class y is scaled by weight[y]; the mean
      divides by the sum of the weights of the rows counted, not by N (class-probability
      targets scale each term by its class weight and divide by N);
    - ``ignore_index``: rows whose class index equals it add nothing and are not counted
      in the mean (class indices only);
    - ``label_smoothing`` ε in [0, 1]: the target becomes (1 − ε)·one_hot + ε/C.

    The arguments after ``target`` are best passed by name: ``reduction`` comes third here.
    """
    if not isinstance(reduction, str):
        raise TypeError(
            f"cross_entropy: the third argument is 'reduction' (a string), got "
            f"{type(reduction).__name__}; pass class weights by name, weight=..."
        )
    check_reduction(reduction, "cross_entropy")
    logits = as_tensor(logits, "cross_entropy", "input")
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy: expected logits of shape (N, C), got shape {list(logits.shape)}"
        )
    N, C = logits.shape
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real) or (
            not 0.0 <= label_smoothing <= 1.0):
        raise ValueError(
            f"cross_entropy: 'label_smoothing' must be a number in [0, 1], got "
            f"{label_smoothing!r}"
        )
    eps = float(label_smoothing)
    w = None
    if weight is not None:
        # A constant, as in PyTorch (whose nll_loss is not differentiable in the weights).
        w = as_tensor(weight, "cross_entropy", "weight").detach()
        if w.shape != (C,):
            raise ValueError(
                f"cross_entropy: expected 'weight' of shape [{C}] (one per class), got "
                f"{list(w.shape)}"
            )
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    log_p = logits.log_softmax(axis=1)
    if labels.dtype.kind == "f":
        return _soft_targets(log_p, labels, w, ignore_index, eps, reduction)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: expected integer class indices or floating class probabilities "
            f"as 'target', got dtype {labels.dtype}"
        )
    if labels.shape != (N,):
        raise ValueError(
            f"cross_entropy: expected 'target' of shape [{N}] (one class index per row of "
            f"logits {list(logits.shape)}), got {list(labels.shape)}"
        )
    counted = labels != ignore_index
    bad = counted & ((labels < 0) | (labels >= C))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"cross_entropy: target {int(labels[i])} at index {i} is out of range for "
            f"{C} classes (valid indices are 0..{C - 1})"
        )
    safe = np.where(counted, labels, 0).astype(np.intp)
    picked = log_p[np.arange(N), safe]
    if w is None and counted.all() and eps == 0.0:
        return reduce(-picked, reduction)  # the plain case, as before the options existed

    ones = counted.astype(np.int64)  # 0/1 ints, which SymPy entries also multiply exactly
    mask = Tensor._constant(ones.astype(log_p.dtype) if log_p.dtype.kind == "f" else
                            ones.astype(object))
    row_weight = mask if w is None else w[safe] * mask  # weight[y_n], 0 where ignored
    loss = -picked * row_weight
    if eps:
        # every class's −log p, weighted as its class, spread by ε/C over the row
        spread = -(log_p if w is None else log_p * w.reshape(1, C)).sum(axis=1) * mask
        loss = (1 - eps) * loss + (eps / C) * spread
    if reduction == "mean":
        return loss.sum() / row_weight.sum()
    return reduce(loss, reduction)


def _soft_targets(log_p: Tensor, probs: np.ndarray, w: Tensor | None, ignore_index: int,
                  eps: float, reduction: str) -> Tensor:
    """Cross-entropy against class probabilities: −Σ_c p_c · w_c · log softmax_c per row."""
    N, C = log_p.shape
    if probs.ndim == 1:
        raise TypeError(
            f"cross_entropy: expected integer class indices as a 1-D 'target', got dtype "
            f"{probs.dtype} of shape {list(probs.shape)} (floating targets are class "
            f"probabilities of shape {[N, C]})"
        )
    if probs.shape != (N, C):
        raise ValueError(
            f"cross_entropy: class-probability targets must have the shape of the logits "
            f"{[N, C]}, got {list(probs.shape)}"
        )
    if ignore_index != -100:
        raise ValueError(
            "cross_entropy: 'ignore_index' applies to class-index targets only, not to "
            "class probabilities"
        )
    p = probs.astype(log_p.dtype) if log_p.dtype.kind == "f" else probs
    if eps:
        p = p * (1 - eps) + eps / C
    terms = log_p * Tensor._constant(np.asarray(p))
    if w is not None:
        terms = terms * w.reshape(1, C)
    return reduce(-terms.sum(axis=1), reduction)  # the mean divides by N, as PyTorch


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
