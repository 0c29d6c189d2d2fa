"""``Parameter``: a tensor that a module learns.

A ``Parameter`` is an ordinary leaf ``Tensor`` that requires grad; the only difference is
how modules treat it: assigning one as a module attribute (``self.weight = Parameter(...)``)
registers it, so ``parameters()``, ``state_dict()`` and the optimisers find it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import (
    DEFAULT_DTYPE,
    Tensor,
    _check_requires_grad,
    _to_array,
    check_bool,
)


class Parameter(Tensor):
    """A leaf tensor that requires grad and that modules register when assigned.

    ``nn.Parameter(data, requires_grad=True)``: ``data`` may be a Tensor (its array and
    version counter are shared, as in PyTorch), a NumPy array (its dtype is kept) or nested
    lists of numbers (float32). Only floating-point data may require grad.
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=DEFAULT_DTYPE)
        arr = _to_array(data, None, "Parameter", copy=False)
        if not isinstance(data, (Tensor, np.ndarray)) and arr.dtype.kind in "iub":
            arr = arr.astype(DEFAULT_DTYPE)  # nested lists of ints: a learnable float32 tensor
        if check_bool(requires_grad, "Parameter", "requires_grad"):
            _check_requires_grad(arr.dtype, "Parameter")
        self.data = arr
        self.grad_fn = None
        self._requires_grad = bool(requires_grad)
        if isinstance(data, Tensor):
            if data.grad_fn is not None:
                raise TypeError(
                    "Parameter: data must be a leaf tensor or an array, got a tensor computed "
                    f"by {data.grad_fn.name}; pass its .detach() to start a new leaf"
                )
            self._vbox = data._version_box()

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
