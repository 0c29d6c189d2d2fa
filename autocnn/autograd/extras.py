"""Everything one backward pass does beyond the textbook algorithm, behind one object.

``run_backward`` is the textbook loop (pop a node's gradient, call its backward, undo
broadcasting, accumulate). When a pass needs more, it makes one ``BackwardPass`` and
calls it at three marked points of that loop:

- ``before_node(node, grad)`` — the node's output gradient is complete: the tensor hooks
  and ``retain_grad`` of that output run, engine observers' ``before_node`` are called,
  ``grad()`` captures a target's gradient, and nodes no target needs are skipped
  (returns None);
- ``after_node(node, grad, grads)`` — observers' ``after_node`` (anomaly checks, the
  recorder behind ``viz.backward_frames``);
- ``reach_leaf(leaf, grad)`` — a gradient arrives at a leaf: observers' ``on_grad``, leaf
  hooks (which wait for all contributions, see ``LeafHooks``), and ``grad()`` capture.
  Returns the gradient to accumulate into ``.grad``, or None.

``finish()`` hands over what is still held back and the captured results. With no hook,
no observer and no targets, ``run_backward`` makes no ``BackwardPass`` at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autocnn.autograd import hooks
from autocnn.autograd.engine import Function


def backward_pass(order: list[Function], targets: Sequence[Any] | None,
                  add: Callable) -> BackwardPass | None:
    """The extras of one pass over ``order``, or None when the pass needs none."""
    if targets is None and hooks.state.count == 0:
        return None
    return BackwardPass(order, targets, add)


class BackwardPass:
    """The state of one backward pass's extras (see the module docstring)."""

    def __init__(self, order: list[Function], targets: Sequence[Any] | None,
                 add: Callable) -> None:
        self.add = add
        self.before = hooks.observers("before_node")
        self.after = hooks.observers("after_node")
        self.on_grad = hooks.observers("on_grad")
        self.hooked = hooks.state.count > 0
        self.leaf_hooks = LeafHooks(order, add) if self.hooked else None
        self.targets = targets
        self.results: list[Any] = []
        self.capture_nodes: dict[int, int] = {}
        self.capture_leaves: dict[int, int] = {}
        self.leaf_grads: dict[int, Any] = {}
        self.needed: set[int] | None = None
        if targets is not None:
            self.results = [None] * len(targets)
            for i, t in enumerate(targets):
                if t.grad_fn is not None:
                    self.capture_nodes[id(t.grad_fn)] = i
                else:
                    self.capture_leaves[id(t)] = i
            self.needed = _needed(order, self.capture_nodes, self.capture_leaves)

    def before_node(self, node: Function, grad: Any) -> Any:
        """The node's output gradient is complete; returns it (hooked), or None to skip."""
        key = id(node)
        needed = self.needed
        if needed is not None and key not in needed and key not in self.capture_nodes:
            return None
        if self.hooked and hooks.has_tensor_hooks(node):
            grad = hooks.run_tensor_hooks(node, grad)
        for fn in self.before:
            fn(node, grad)
        if needed is not None:
            if key in self.capture_nodes:
                self.results[self.capture_nodes[key]] = grad
            if key not in needed:
                return None
        return grad

    def after_node(self, node: Function, grad: Any, grads: tuple) -> None:
        """The node's backward returned ``grads`` (one per input)."""
        for fn in self.after:
            fn(node, grad, grads)

    def reach_leaf(self, leaf: Any, grad: Any) -> Any:
        """One contribution to a leaf's gradient; returns what goes into ``.grad``."""
        for fn in self.on_grad:
            fn(leaf, grad)
        if self.leaf_hooks is not None and self.leaf_hooks.wants(leaf):
            grad = self.leaf_hooks.offer(leaf, grad)  # None until all have arrived
            if grad is None:
                return None
        return self._leaf_total(leaf, grad)

    def root_leaf(self, leaf: Any, grad: Any) -> Any:
        """A leaf that is itself an output of the pass: its hooks run on ``grad`` at once."""
        if self.hooked:
            grad = hooks.run_tensor_hooks(leaf, grad)
        return self._leaf_total(leaf, grad)

    def _leaf_total(self, leaf: Any, grad: Any) -> Any:
        if self.targets is None:
            return grad
        key = id(leaf)
        if key in self.capture_leaves:  # grad(): collected here, .grad is not touched
            prev = self.leaf_grads.get(key)
            self.leaf_grads[key] = grad if prev is None else self.add(prev, grad)
        return None

    def finish(self) -> list[tuple[Any, Any]]:
        """The (leaf, gradient) pairs still to accumulate; fills ``results`` for grad()."""
        late = []
        if self.leaf_hooks is not None:
            for leaf, grad in self.leaf_hooks.flush():
                grad = self._leaf_total(leaf, grad)
                if grad is not None:
                    late.append((leaf, grad))
        for key, i in self.capture_leaves.items():
            self.results[i] = self.leaf_grads.get(key)
        return late


def _needed(order: list[Function], capture_nodes: dict, capture_leaves: dict) -> set[int]:
    """The nodes whose backward must run for gradients to reach some target."""
    needed: set[int] = set()
    for node in reversed(order):  # inputs before the nodes that consume them
        for edge in node.next_edges:
            if edge is None:
                continue
            key = id(edge)
            if key in needed or key in capture_nodes or key in capture_leaves:
                needed.add(id(node))
                break
    return needed


class LeafHooks:
    """Holds back the gradients of hooked leaves until every contribution has arrived.

    A leaf used twice gets two gradients; PyTorch calls its hooks once, on their sum, and
    so does this: ``offer`` adds each contribution and returns the hooked total when the
    last expected one arrives (``None`` before); ``flush`` hands over what is left when a
    consumer never sent its gradient (a branch that no gradient reached).
    """

    def __init__(self, order: list, add: Callable) -> None:
        self.add = add
        self.remaining: dict[int, int] = {}
        self.pending: dict[int, list] = {}
        for node in order:
            for edge in node.next_edges:
                if edge is not None and not isinstance(edge, Function) \
                        and hooks.has_tensor_hooks(edge):
                    key = id(edge)
                    self.remaining[key] = self.remaining.get(key, 0) + 1

    def wants(self, leaf: Any) -> bool:
        """True if ``leaf``'s gradients must wait for its hooks."""
        return id(leaf) in self.remaining

    def offer(self, leaf: Any, grad: Any) -> Any:
        """Add one contribution; the hooked sum once all arrived, else None."""
        key = id(leaf)
        entry = self.pending.get(key)
        if entry is None:
            self.pending[key] = entry = [leaf, grad]
        else:
            entry[1] = self.add(entry[1], grad)
        self.remaining[key] -= 1
        if self.remaining[key]:
            return None
        del self.pending[key]
        return hooks.run_tensor_hooks(leaf, entry[1])

    def flush(self) -> list[tuple[Any, Any]]:
        """The (leaf, hooked gradient) pairs still held back at the end of the pass."""
        out = [(leaf, hooks.run_tensor_hooks(leaf, g)) for leaf, g in self.pending.values()]
        self.pending.clear()
        return out
