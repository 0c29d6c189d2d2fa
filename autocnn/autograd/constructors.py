"""Constructors of filled tensors: ``zeros``, ``ones``, ``zeros_like``, ``ones_like``,
``randn``, ``rand``, ``arange`` (``tensor``, which wraps given data, is beside the class in
``tensor.py``: it is the first step of the engine's reading path).

Each makes a leaf tensor and takes the keywords ``dtype=None`` and ``requires_grad=False``
(API.md); the default floating dtype is float32, and random draws come from the generator
``ac.manual_seed`` seeds. Part of the ``Tensor`` split (see ``tensor.py``); every name
stays importable from ``autocnn.autograd.tensor`` and ``autocnn``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn import random as _random
from autocnn.autograd.tensor import Tensor
from autocnn.autograd.tensor_args import (
    DEFAULT_DTYPE,
    _check_requires_grad,
    _to_dtype,
    check_bool,
)


def _shape_args(shape: tuple, op: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0:
            raise ValueError(f"{op}: sizes must be non-negative ints, got {shape}")
    return tuple(int(s) for s in shape)


def _make(arr: np.ndarray, requires_grad: bool, op: str, name: str | None = None) -> Tensor:
    if check_bool(requires_grad, op, "requires_grad"):
        _check_requires_grad(arr.dtype, op)
    t = Tensor._constant(arr)
    t._requires_grad = bool(requires_grad)
    t.name = name
    return t


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    return _to_dtype(dtype, op) or DEFAULT_DTYPE


def _random_dtype(dtype: Any, op: str) -> np.dtype:
    """The dtype of random draws, which must be floating (rand and randn sample reals)."""
    dt = _float_dtype(dtype, op)
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be floating, got {dt}")
    return dt


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """A tensor of zeros: ``ac.zeros(2, 3)`` or ``ac.zeros((2, 3))``."""
    arr = np.zeros(_shape_args(shape, "zeros"), dtype=_float_dtype(dtype, "zeros"))
    return _make(arr, requires_grad, "zeros", name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """A tensor of ones."""
    arr = np.ones(_shape_args(shape, "ones"), dtype=_float_dtype(dtype, "ones"))
    return _make(arr, requires_grad, "ones", name)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    arr = np.asarray(t.data if isinstance(t, Tensor) else t)
    return _make(np.zeros(arr.shape, dtype=_to_dtype(dtype, "zeros_like") or arr.dtype),
                 requires_grad, "zeros_like", name)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``t``."""
    arr = np.asarray(t.data if isinstance(t, Tensor) else t)
    return _make(np.ones(arr.shape, dtype=_to_dtype(dtype, "ones_like") or arr.dtype),
                 requires_grad, "ones_like", name)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Standard normal samples from the generator ``ac.manual_seed`` seeds."""
    dt = _random_dtype(dtype, "randn")
    arr = _random.generator().standard_normal(_shape_args(shape, "randn"), dtype=dt)
    return _make(arr, requires_grad, "randn", name)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Uniform samples in [0, 1) from the generator ``ac.manual_seed`` seeds."""
    dt = _random_dtype(dtype, "rand")
    arr = _random.generator().random(_shape_args(shape, "rand"), dtype=dt)
    return _make(arr, requires_grad, "rand", name)


def arange(*args: Any, dtype: Any = None) -> Tensor:
    """Evenly spaced values, as ``np.arange`` (integers stay integers)."""
    for a in args:
        if isinstance(a, bool) or not isinstance(a, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: start, stop and step must be numbers, got {a!r}")
    try:
        return Tensor._constant(np.arange(*args, dtype=_to_dtype(dtype, "arange")))
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"arange: cannot make a range from {args!r} ({exc})") from exc

