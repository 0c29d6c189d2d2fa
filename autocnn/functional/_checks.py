"""Argument checking shared by the functional ops.

Every message names the op, the argument, what was expected and what was received, so a
student who passes a wrong shape learns which one and why.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor, check_bool, tensor  # noqa: F401 (re-exported)


def as_tensor(value: Any, op: str, arg: str) -> Tensor:
    """``value`` as a Tensor: tensors pass through; arrays, lists and numbers are wrapped."""
    if isinstance(value, Tensor):
        return value
    if value is None:
        raise TypeError(f"{op}: argument '{arg}' must be a tensor, got None")
    try:
        return tensor(value)
    except TypeError as exc:
        raise TypeError(f"{op}: argument '{arg}' must be a tensor or array ({exc})") from exc


def pair(value: Any, op: str, arg: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value), int(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        out = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{op}: '{arg}' must be an int or a pair of ints, got {value!r}")
    if min(out) < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: '{arg}' must be {kind}, got {value!r}")
    return out


def single(value: Any, op: str, arg: str, minimum: int) -> int:
    """An int, or a 1-tuple of an int (PyTorch's 1-D layers accept both), at least ``minimum``."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: '{arg}' must be an int, got {value!r}")
    if value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: '{arg}' must be {kind}, got {value!r}")
    return int(value)


def check_ndim(t: Tensor, ndims: tuple[int, ...], op: str, arg: str, layout: str) -> None:
    """Raise unless ``t`` has one of ``ndims`` axes."""
    if t.ndim not in ndims:
        raise ValueError(
            f"{op}: expected '{arg}' to be a {layout} tensor, got shape {list(t.shape)} "
            f"({t.ndim} axes)"
        )


def check_kernel(weight: Tensor, op: str, arg: str = "weight") -> None:
    """Raise unless the two kernel axes (the last two) of ``weight`` are non-empty.

    A 0-high kernel has no taps: the sums over it are empty and the op would silently
    return zeros.
    """
    kh, kw = weight.shape[-2:]
    if kh < 1 or kw < 1:
        raise ValueError(
            f"{op}: the kernel of '{arg}' must be at least 1×1, got {kh}×{kw} (weight shape "
            f"{list(weight.shape)})"
        )


def check_reduction(reduction: Any, op: str) -> None:
    """Raise unless ``reduction`` is one of the three PyTorch reductions."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"{op}: reduction must be one of 'mean', 'sum', 'none', got {reduction!r}"
        )


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply a loss reduction to per-example losses."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_probability(p: Any, op: str) -> float:
    """A probability in [0, 1]."""
    if not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{op}: probability 'p' must be a number in [0, 1], got {p!r}")
    return float(p)
