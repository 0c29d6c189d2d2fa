"""Module hooks: run code before and after a module's forward, and when its gradients pass.

PyTorch's three, with its names and semantics (each ``register_*`` returns a handle with
``.remove()``):

- ``register_forward_pre_hook(fn(module, args))`` — called before ``forward``; a non-None
  return replaces the positional arguments (a non-tuple is wrapped in a 1-tuple);
- ``register_forward_hook(fn(module, args, output))`` — called after ``forward``; a non-None
  return replaces the output;
- ``register_full_backward_hook(fn(module, grad_input, grad_output))`` — called once the
  gradients with respect to the module's tensor inputs are computed; ``grad_input`` has one
  entry per positional Tensor argument (``None`` where no gradient flows), ``grad_output``
  one per Tensor output. A non-None return replaces ``grad_input``.

The backward hook is built from the engine's tensor hooks: the module's tensor inputs and
outputs pass through an ``Identity`` node each, so the gradients met there belong to this
call of the module only. ``autocnn.autograd.hooks.module_forward_hooks`` run after every
module call (how graph pictures learn which module made which node).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autocnn.autograd import grad_mode
from autocnn.autograd.hooks import RemovableHandle, module_forward_hooks, new_table
from autocnn.autograd.tensor import Tensor


class ModuleHooks:
    """The hook tables of one module (created on its first ``register_*_hook``)."""

    __slots__ = ("backward", "forward", "forward_pre")

    def __init__(self) -> None:
        self.forward_pre = new_table()
        self.forward = new_table()
        self.backward = new_table()


def register(module: Any, kind: str, fn: Callable) -> RemovableHandle:
    """Add ``fn`` to ``module``'s table ``kind`` ("forward_pre", "forward", "backward")."""
    if not callable(fn):
        raise TypeError(f"{type(module).__name__}.register_{kind}_hook: fn must be callable, "
                        f"got {type(fn).__name__}")
    tables = module.__dict__.get("_hooks")
    if tables is None:
        tables = ModuleHooks()
        object.__setattr__(module, "_hooks", tables)
    table = getattr(tables, kind)
    handle = RemovableHandle(table)
    table[handle.id] = fn
    return handle


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """``Module.__call__`` when hooks are installed: pre-hooks, forward, hooks."""
    tables = module.__dict__.get("_hooks")
    if tables is not None:
        for fn in list(tables.forward_pre.values()):
            result = fn(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward = None
        if tables.backward and grad_mode.enabled:
            backward = _BackwardHook(module, tables.backward)
            args = backward.wrap_inputs(args)
    out = module.forward(*args, **kwargs)
    if tables is not None:
        for fn in list(tables.forward.values()):
            result = fn(module, args, out)
            if result is not None:
                out = result
        if backward is not None:
            out = backward.wrap_outputs(out)
    for fn in list(module_forward_hooks.values()):
        fn(module, args, kwargs, out)
    return out


class _BackwardHook:
    """One module call's backward hook: collects grad_output, then grad_input, then calls."""

    def __init__(self, module: Any, table: dict) -> None:
        self.module = module
        self.table = table
        self.n_inputs = 0  # positional Tensor arguments
        self.waiting: list[int] = []  # their positions that will receive a gradient
        self.grad_input: list[Any] = []
        self.grad_output: list[Any] = []

    def wrap_inputs(self, args: tuple) -> tuple:
        from autocnn.ops import Identity

        wrapped = []
        for a in args:
            if isinstance(a, Tensor):
                if a._requires_grad:
                    a = Identity.apply(a)
                    a.register_hook(self._input_hook(self.n_inputs))
                    self.waiting.append(self.n_inputs)
                self.n_inputs += 1
            wrapped.append(a)
        self._reset()
        return tuple(wrapped)

    def wrap_outputs(self, out: Any) -> Any:
        from autocnn.ops import Identity

        single = isinstance(out, Tensor)
        outs = (out,) if single else out
        if not isinstance(outs, tuple):
            return out  # not Tensors: nothing for a backward hook to see
        wrapped = []
        count = 0
        for o in outs:
            if isinstance(o, Tensor):
                if o._requires_grad:
                    o = Identity.apply(o)
                    o.register_hook(self._output_hook(count))
                count += 1
            wrapped.append(o)
        self.n_outputs = count
        self._reset()
        return wrapped[0] if single else tuple(wrapped)

    def _reset(self) -> None:
        self.grad_input = [None] * self.n_inputs
        self.grad_output = [None] * getattr(self, "n_outputs", 0)
        self.arrived = 0

    def _output_hook(self, index: int) -> Callable:
        def hook(grad: Tensor) -> None:
            self.grad_output[index] = grad
            if not self.waiting and all(g is not None for g in self.grad_output):
                self._call()  # no input needs a gradient: PyTorch calls the hook here

        return hook

    def _input_hook(self, index: int) -> Callable:
        def hook(grad: Tensor) -> Tensor | None:
            self.grad_input[index] = grad
            self.arrived += 1
            if self.arrived < len(self.waiting):
                return None
            replaced = self._call()
            if replaced is None:
                return None
            if len(self.waiting) > 1:
                raise RuntimeError(
                    f"{type(self.module).__name__} backward hook: replacing grad_input is "
                    "supported for modules with one tensor input that requires grad; this "
                    f"call had {len(self.waiting)}"
                )
            return replaced[index]

        return hook

    def _call(self) -> tuple | None:
        grad_input, grad_output = tuple(self.grad_input), tuple(self.grad_output)
        self._reset()  # ready for another backward through the same graph
        replaced = None
        for fn in list(self.table.values()):
            result = fn(self.module, grad_input, grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"{type(self.module).__name__} backward hook {fn.__name__} returned "
                        f"{len(result)} gradient(s), expected {len(grad_input)} (one per "
                        "tensor input)"
                    )
                replaced = grad_input = result
        return replaced
