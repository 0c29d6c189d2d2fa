"""The engine: tensors, the ``Function`` base class of primitives, backward, and the
tools that check gradients (``gradcheck``, ``gradgradcheck``, ``detect_anomaly``).

This is the top layer of the package (see DESIGN.md); it depends on nothing but NumPy and
on ``autocnn.ops`` for the primitives that Tensor methods run.
"""

from autocnn.autograd.tensor import (  # noqa: I001  (tensor first: it loads the primitives)
    DEFAULT_DTYPE,
    Tensor,
    arange,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from autocnn.autograd.anomaly import detect_anomaly, is_anomaly_enabled
from autocnn.autograd.engine import grad, graph_order, run_backward
from autocnn.autograd.engine import Function
from autocnn.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autocnn.autograd import scope as _scope  # noqa: F401  (installs module scoping)
from autocnn.autograd.gradcheck import GradcheckError, Mismatch, gradcheck, gradgradcheck

__all__ = [
    "DEFAULT_DTYPE",
    "Function",
    "GradcheckError",
    "Mismatch",
    "Tensor",
    "arange",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "graph_order",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "run_backward",
    "set_grad_enabled",
    "tensor",
    "zeros",
    "zeros_like",
]
