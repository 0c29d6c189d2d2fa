"""Argument checks shared by the layer constructors (messages name the layer and argument)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autocnn.autograd.tensor import DEFAULT_DTYPE


def positive_int(value: Any, layer: str, arg: str) -> int:
    """``value`` as an int of at least 1, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: '{arg}' must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{layer}: '{arg}' must be a positive int, got {value}")
    return int(value)


def float_dtype(dtype: Any, layer: str) -> np.dtype:
    """The parameters' dtype: float32 unless a floating dtype is given."""
    if dtype is None:
        return DEFAULT_DTYPE
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{layer}: dtype must be a NumPy floating dtype, got {dtype!r}") from exc
    if dt.kind != "f":
        raise TypeError(f"{layer}: dtype must be floating (float32 or float64), got {dt}")
    return dt


def non_negative_number(value: Any, layer: str, arg: str) -> float:
    """A real number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{layer}: '{arg}' must be a non-negative number, got {value!r}")
    return float(value)
