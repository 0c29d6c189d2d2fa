"""autocnn: a readable reverse-mode autodiff engine over NumPy, CNN layers composed from its
primitives, SymPy proofs of their gradients, and Graphviz pictures of the graph.

    import autocnn as ac
    from autocnn import nn, optim, functional as F, symbolic, viz, data

The subpackages load on first use, so ``import autocnn`` stays quick (SymPy and Graphviz are
imported only by the parts that need them).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from autocnn.autograd import (
    Tensor,
    arange,
    enable_grad,
    is_grad_enabled,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    set_grad_enabled,
    tensor,
    zeros,
    zeros_like,
)
from autocnn.random import manual_seed

__version__ = "0.1.0"

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)

_SUBMODULES = ("nn", "optim", "functional", "symbolic", "viz", "data", "ops", "autograd", "perf",
               "models", "training", "explain", "diagnose", "course", "interop", "onnx")
_LAZY_NAMES = {"save": "autocnn.serialization", "load": "autocnn.serialization"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"autocnn.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'autocnn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LAZY_NAMES))


__all__ = [
    "Tensor",
    "arange",
    "enable_grad",
    "float32",
    "float64",
    "int64",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "set_grad_enabled",
    "tensor",
    "zeros",
    "zeros_like",
]
