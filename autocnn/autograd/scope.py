"""Which module made which node: the record ``viz`` uses to draw modules as clusters.

After every module call, the module forward hook installed here (through
``autocnn.autograd.hooks``, the one hook interface) calls ``tag_scope(outputs, inputs,
module)``: every
node created between the module's inputs and its outputs gets ``module`` prepended to its
``scope`` tuple. Inner modules finish first, so a node made by a ``Conv2d`` inside a
``Sequential`` ends with ``scope == (sequential, conv)``: outermost first, innermost last.

Tagging walks back from the outputs and stops at the inputs' nodes, so it touches only the
nodes this call created; it runs only when a graph was recorded.
"""

from __future__ import annotations

from typing import Any

from autocnn.autograd import grad_mode, hooks
from autocnn.autograd.engine import Function
from autocnn.autograd.tensor import Tensor


def _tensors(value: Any) -> list[Tensor]:
    """The tensors in a (possibly nested) output or argument structure."""
    found: list[Tensor] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def tag_scope(outputs: Any, inputs: Any, owner: object) -> None:
    """Prepend ``owner`` to the ``scope`` of every node between ``inputs`` and ``outputs``."""
    stop = {id(t.grad_fn) for t in _tensors(inputs) if t.grad_fn is not None}
    stack = [t.grad_fn for t in _tensors(outputs) if t.grad_fn is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        key = id(node)
        if key in seen or key in stop:
            continue
        seen.add(key)
        node.scope = (owner, *node.scope) if node.scope else (owner,)
        stack.extend(e for e in node.next_edges if isinstance(e, Function))


def scope_of(node: Function) -> tuple:
    """The modules that made ``node``, outermost first (empty outside any module)."""
    return node.scope or ()


def _tag_module_call(module: object, args: tuple, kwargs: dict, out: Any) -> None:
    # Tag only when a graph was recorded: a Tensor output without grad_fn (no_grad, eval on
    # constants) has nothing to tag, and that check costs one attribute read.
    if grad_mode.enabled and not (isinstance(out, Tensor) and out.grad_fn is None):
        tag_scope(out, (args, kwargs), module)


hooks.add_module_forward_hook(_tag_module_call)
