"""Hooks: the one way to look inside a computation while it runs.

Two kinds, with PyTorch's names and semantics:

- **tensor hooks** — ``t.register_hook(fn)``: ``fn(grad)`` is called when the gradient with
  respect to ``t`` has been summed over all its uses; a non-None return replaces it.
  ``t.retain_grad()`` is the same mechanism: it keeps that gradient in ``t.grad``.
- **engine observers** — ``add_observer(obs)``: an object with any of the methods
  ``before_node(node, grad_output)``, ``after_node(node, grad_output, grads)`` and
  ``on_grad(tensor_or_node, grad)``, called by ``run_backward`` at those fixed points.
  Anomaly mode, ``viz.backward_frames`` and module backward hooks are built on the same
  points.

Where a tensor's hooks live: a leaf keeps them itself; a non-leaf keeps them on the node
that produced it (``grad_fn``), because the engine meets the gradient of a non-leaf exactly
once, when it pops that node's summed gradient. The node refers to a retaining tensor only
weakly, so hooks add no reference cycle.

The engine pays for hooks only when one exists: ``state.count`` counts installed tensor
hooks and observers; at 0 ``run_backward`` takes its plain path.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any


class _State:
    """How many tensor hooks and observers exist (0: the engine skips all hook checks)."""

    __slots__ = ("count", "observers")

    def __init__(self) -> None:
        self.count = 0
        self.observers: dict[int, Any] = {}


state = _State()


class RemovableHandle:
    """Returned by every ``register_*_hook``: ``handle.remove()`` uninstalls the hook.

    Also a context manager: ``with t.register_hook(fn): ...`` removes it on exit.
    """

    _next_id = 0

    def __init__(self, table: dict, live: list[int] | None = None) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._table = table
        self._live = live  # the counter of hooks the engine must look for, if any

    def remove(self) -> None:
        """Uninstall the hook (removing twice is harmless)."""
        if self._table.pop(self.id, None) is not None and self._live is not None:
            _release(self._live, 1)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _counter(home: Any) -> list[int]:
    """The count of live hooks held by ``home``; its share of ``state.count`` is given back
    when ``home`` is freed, so hooks on forgotten tensors stop costing the engine."""
    live = home.__dict__.get("_live_hooks")
    if live is None:
        live = home._live_hooks = [0]
        weakref.finalize(home, _release, live, None)
    return live


def _release(live: list[int], n: int | None) -> None:
    n = live[0] if n is None else n
    live[0] -= n
    state.count -= n


def _acquire(live: list[int]) -> None:
    live[0] += 1
    state.count += 1


def new_table() -> dict:
    """An empty table of hooks (handle id → function), ordered by registration."""
    return {}


def _home(tensor: Any) -> Any:
    """The object that holds ``tensor``'s hooks: itself for a leaf, else its node."""
    return tensor.grad_fn if tensor.grad_fn is not None else tensor


def register_tensor_hook(tensor: Any, fn: Callable) -> RemovableHandle:
    """``Tensor.register_hook``: install ``fn(grad)`` on ``tensor``."""
    if not callable(fn):
        raise TypeError(f"register_hook: fn must be callable, got {type(fn).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                           "require gradient")
    home = _home(tensor)
    table = home.__dict__.get("_tensor_hooks")
    if table is None:
        table = home._tensor_hooks = new_table()
    live = _counter(home)
    handle = RemovableHandle(table, live)
    table[handle.id] = fn
    _acquire(live)
    return handle


def retain_grad(tensor: Any) -> None:
    """``Tensor.retain_grad``: keep a non-leaf's gradient in its ``.grad`` after backward."""
    if not tensor._requires_grad:
        raise RuntimeError("retain_grad: can't retain_grad on Tensor that has "
                           "requires_grad=False")
    node = tensor.grad_fn
    if node is None or tensor.__dict__.get("_retains_grad"):
        return  # a leaf keeps its .grad anyway; retaining twice changes nothing
    tensor._retains_grad = True
    refs = node.__dict__.get("_retained")
    if refs is None:
        refs = node._retained = []
        _acquire(_counter(node))  # a retaining node stays retaining, as in PyTorch
    refs.append(weakref.ref(tensor))


def add_observer(observer: Any) -> RemovableHandle:
    """Install an engine observer (see the module docstring); returns its handle."""
    live = [0]
    handle = RemovableHandle(state.observers, live)
    state.observers[handle.id] = observer
    _acquire(live)
    return handle


#: called after every module's forward as ``fn(module, args, kwargs, output)`` (handle id →
#: fn); they observe, they cannot replace the output. ``scope.py`` installs one.
module_forward_hooks: dict[int, Callable] = {}


def add_module_forward_hook(fn: Callable) -> RemovableHandle:
    """Run ``fn(module, args, kwargs, output)`` after every module call; returns its handle."""
    handle = RemovableHandle(module_forward_hooks)
    module_forward_hooks[handle.id] = fn
    return handle


def observers(method: str) -> list[Callable]:
    """The bound ``method`` of every installed observer that has it, in install order."""
    found = [getattr(obs, method, None) for obs in state.observers.values()]
    return [fn for fn in found if fn is not None]


def run_tensor_hooks(home: Any, grad: Any) -> Any:
    """Call the hooks held by ``home`` (a leaf or a node) on ``grad``; return the result.

    Each hook sees the previous one's result; a None return keeps the gradient. A retained
    non-leaf's ``.grad`` then receives the final gradient (after the hooks, as in PyTorch)
    and accumulates over backward calls.
    """
    d = home.__dict__
    table = d.get("_tensor_hooks")
    if table:
        for fn in list(table.values()):
            result = fn(grad)
            if result is not None:
                grad = _checked(result, grad, fn)
    refs = d.get("_retained")
    if refs:
        for ref in refs:
            t = ref()
            if t is None:
                continue
            old = t.__dict__.get("grad")
            t.__dict__["grad"] = _detached_copy(grad) if old is None else _sum(old, grad)
    return grad


def has_tensor_hooks(home: Any) -> bool:
    """True if ``home`` (a leaf or a node) holds tensor hooks or retains its gradient."""
    d = home.__dict__
    return bool(d.get("_tensor_hooks")) or bool(d.get("_retained"))


def _checked(result: Any, grad: Any, fn: Callable) -> Any:
    from autocnn.autograd.tensor import Tensor

    name = getattr(fn, "__name__", repr(fn))
    if not isinstance(result, Tensor):
        raise TypeError(f"tensor hook {name} returned {type(result).__name__}; a hook returns "
                        "None (keep the gradient) or a Tensor that replaces it")
    if result.data.shape != grad.data.shape:
        raise RuntimeError(f"tensor hook {name} returned a gradient of shape "
                           f"{result.data.shape}, expected {grad.data.shape}")
    return result


def _detached_copy(grad: Any) -> Any:
    from autocnn.autograd.tensor import Tensor

    if grad.grad_fn is not None:
        return grad  # create_graph: the retained gradient keeps its own history
    return Tensor._constant(grad.data.copy())


def _sum(old: Any, new: Any) -> Any:
    from autocnn.autograd.tensor import Tensor

    if old.grad_fn is not None or new.grad_fn is not None:
        return old + new
    return Tensor._constant(old.data + new.data)

