"""In-place changes and version counters: what lets a graph refuse stale saved values.

Every tensor can carry a version counter (a one-entry list shared by views and
``detach()``); an in-place change bumps it (``mark_modified``), and a node that saved the
tensor compares versions before its backward uses it. ``InPlace`` holds the in-place
methods (``add_``, ``x += y``, ``x[i] = v``, ...) and is a base class of ``Tensor``.
Part of the ``Tensor`` split (see ``tensor.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd import grad_mode
from autocnn.autograd import tensor_args as _args


class InPlace:
    """The in-place methods and the version counter of ``Tensor`` (a mixin, no state of
    its own: the counter lives in the tensor's ``_vbox``)."""

    __slots__ = ()
    _vbox: list[int] | None = None

    def _version_box(self) -> list[int]:
        """The shared counter that in-place changes bump (views and detach share it)."""
        box = self._vbox
        if box is None:
            box = self._vbox = [0]
        return box

    def mark_modified(self) -> None:
        """Record that ``.data`` was changed in place (optimisers, initialisers and running
        statistics call this), so a graph that saved the old values refuses to use them."""
        box = self._vbox
        if box is not None:
            box[0] += 1

    _bump_version = mark_modified  # the old private name, kept for code written against it

    @property
    def _version(self) -> int:
        return 0 if self._vbox is None else self._vbox[0]

    def _inplace(self, op: str, value: Any, fn: Any) -> Any:
        if grad_mode.enabled and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                    "the graph is being recorded; do the update inside `with ac.no_grad():`"
                )
            # A non-leaf: record the out-of-place op; `x += y` then rebinds x to the result.
            return fn(self, value)
        other = (value.data if isinstance(value, _args.Tensor)
                 else _args._real_value(value, self, op))
        result = fn(_args.Tensor._constant(self.data), _args.Tensor._constant(other)).data
        if result.shape != self.data.shape:
            raise ValueError(
                f"{op}: the result of shape {result.shape} does not fit in place into a "
                f"tensor of shape {self.data.shape}"
            )
        try:
            np.copyto(self.data, result, casting="same_kind")
        except TypeError:
            raise TypeError(
                f"{op}: the result has dtype {result.dtype}, which cannot be stored in place "
                f"in a tensor of dtype {self.data.dtype} (as in PyTorch); compute out of "
                "place, or convert the tensor first with .astype(...)"
            ) from None
        self.mark_modified()
        return self

    def __iadd__(self, other: Any) -> Any:
        return self._inplace("+=", other, lambda a, b: a + b)

    def __isub__(self, other: Any) -> Any:
        return self._inplace("-=", other, lambda a, b: a - b)

    def __imul__(self, other: Any) -> Any:
        return self._inplace("*=", other, lambda a, b: a * b)

    def __itruediv__(self, other: Any) -> Any:
        return self._inplace("/=", other, lambda a, b: a / b)

    def add_(self, other: Any) -> Any:
        """In place ``self += other`` (not allowed on tensors in a recorded graph)."""
        return self._inplace_strict("add_", other, lambda a, b: a + b)

    def sub_(self, other: Any) -> Any:
        """In place ``self -= other``."""
        return self._inplace_strict("sub_", other, lambda a, b: a - b)

    def mul_(self, other: Any) -> Any:
        """In place ``self *= other``."""
        return self._inplace_strict("mul_", other, lambda a, b: a * b)

    def div_(self, other: Any) -> Any:
        """In place ``self /= other``."""
        return self._inplace_strict("div_", other, lambda a, b: a / b)

    def copy_(self, other: Any) -> Any:
        """Copy ``other``'s values into this tensor in place."""
        return self._inplace_strict("copy_", other, lambda a, b: b.broadcast_to(a.shape))

    def fill_(self, value: float) -> Any:
        """Set every entry to ``value`` in place."""
        return self._inplace_strict("fill_", value, lambda a, b: b.broadcast_to(a.shape))

    def zero_(self) -> Any:
        """Set every entry to zero in place."""
        return self.fill_(0)

    def _inplace_strict(self, op: str, value: Any, fn: Any) -> Any:
        if grad_mode.enabled and self._requires_grad:
            raise RuntimeError(
                f"{op}: cannot change a tensor that requires grad in place while the graph is "
                "being recorded; use the out-of-place operator, or do it under ac.no_grad()"
            )
        return self._inplace(op, value, fn)

    def __setitem__(self, index: Any, value: Any) -> None:
        if grad_mode.enabled and self._requires_grad:
            raise RuntimeError(
                "setitem: cannot assign into a tensor that requires grad while the graph is "
                "being recorded; build the new tensor out of place, or assign under "
                "ac.no_grad()"
            )
        data = (value.data if isinstance(value, _args.Tensor)
                else _args._real_value(value, self, "setitem"))
        self.data[_args._index_arrays(index)] = data
        self.mark_modified()
