"""The backward engine: reverse-mode accumulation over the recorded graph.

``graph_order`` lists the nodes reachable from the outputs so that every node comes after
all the nodes that use its output (Kahn's algorithm with dependency counts, an explicit
stack, no recursion: a chain of 100,000 ops is fine). ``run_backward`` walks that order
once: it pops the finished gradient of each node from a local map keyed by ``id(node)``,
calls the node's backward rule, sums each returned gradient back to its input's shape
(the one place where broadcasting is undone) and adds it to the map entry of the input's
node, or to a leaf's ``.grad``. Intermediate gradients never live on tensors or nodes, so a
second backward is correct and their memory goes back as soon as they are used.

Backward rules are written with Tensor operations. With ``create_graph=False`` they run
under no-grad and record nothing; with ``create_graph=True`` they record a graph of the
gradient itself, which is what double backward differentiates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autocnn.autograd import grad_mode, hooks
from autocnn.autograd.function import _FREED, Function, anomaly_check_backward
from autocnn.autograd.tensor import Tensor, _ops


def graph_order(roots: Sequence[Function]) -> list[Function]:
    """The nodes reachable from ``roots`` in the order the backward pass runs them.

    A node comes only after every node that consumes its output; among ready nodes, the one
    that became ready last runs first (a stack), which keeps the walk depth-first and the
    number of live gradients small. The order depends only on the graph, so drawing code
    (``autocnn.viz``) shows exactly the engine's order.
    """
    deps: dict[int, int] = {}
    seen: set[int] = set()
    unique_roots = []
    for r in roots:
        if id(r) not in seen:
            seen.add(id(r))
            unique_roots.append(r)
    # pass 1: count, for every node, the edges that reach it from consumers in the graph
    stack = list(unique_roots)
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if isinstance(edge, Function):
                key = id(edge)
                if key in deps:
                    deps[key] += 1
                else:
                    deps[key] = 1
                if key not in seen:
                    seen.add(key)
                    stack.append(edge)
    # pass 2 (Kahn): a node is ready once all its consumers have run
    ready = [r for r in reversed(unique_roots) if id(r) not in deps]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in reversed(node.next_edges):
            if isinstance(edge, Function):
                key = id(edge)
                deps[key] -= 1
                if deps[key] == 0:
                    ready.append(edge)
    return order


def _sum_to(grad: Tensor, shape: tuple[int, ...], node: Function, index: int) -> Tensor:
    """Undo broadcasting: sum ``grad`` over the axes along which its input was broadcast."""
    gshape = grad.data.shape
    extra = len(gshape) - len(shape)
    if extra < 0 or any(
        s != 1 and s != gs for s, gs in zip(shape, gshape[extra:])
    ):
        raise RuntimeError(
            f"backward of {node.name} returned a gradient of shape {gshape} for its input "
            f"{index}, which has shape {shape}"
        )
    axes = tuple(range(extra)) + tuple(
        extra + i for i, s in enumerate(shape) if s == 1 and gshape[extra + i] != 1
    )
    # The primitives directly: the axes and the shape are valid by construction. With no
    # leading axes to drop, keepdims gives the input's shape in one op.
    if axes:
        grad = _ops.Sum.apply(grad, axis=axes, keepdims=not extra)
    return _ops.Reshape.apply(grad, shape=shape) if grad.data.shape != shape else grad


def _as_grad(value: Any, node: Function, index: int) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return Tensor._constant(np.asarray(value))
    raise TypeError(
        f"backward of {node.name} returned {type(value).__name__} as the gradient of its "
        f"input {index}; expected a Tensor, an array or None"
    )


def _fix_dtype(grad: Tensor, dtype: np.dtype) -> Tensor:
    if grad.data.dtype == dtype or dtype.kind == "O" or grad.data.dtype.kind == "O":
        return grad
    return grad.astype(dtype)


def _add_plain(a: Tensor, b: Tensor) -> Tensor:
    return Tensor._constant(a.data + b.data)


def _add_recorded(a: Tensor, b: Tensor) -> Tensor:
    return a + b


def _owned(grad: Tensor, handed_out: set[int]) -> Tensor:
    """A gradient safe to store in ``.grad``: a writable array no other ``.grad`` shares.

    Add's backward passes one gradient to both inputs; two leaves must not end up sharing
    an array, or an in-place change to one ``.grad`` (gradient clipping) would change both.
    """
    arr = grad.data
    if not arr.flags.writeable or id(arr) in handed_out:  # a broadcast view, or shared
        arr = np.array(arr)
    handed_out.add(id(arr))
    return Tensor._constant(arr)


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    targets: Sequence[Tensor] | None = None,
    on_node: Callable[[Function, Tensor, tuple], None] | None = None,
) -> list[Tensor | None] | None:
    """Propagate ``grad_outputs`` from ``outputs`` back through the graph.

    Without ``targets``: accumulate into the ``.grad`` of every leaf that requires grad.
    With ``targets``: return their gradients (``None`` where none arrives) and leave
    ``.grad`` untouched; only the part of the graph that leads to a target runs.
    ``on_node(node, grad_output, grads)`` is called after each node's backward (for
    step-by-step pictures of the pass).
    """
    buffers: dict[int, Tensor] = {}
    leaf_grads: dict[int, Tensor] | None = None
    capture_nodes: dict[int, int] = {}
    capture_leaves: dict[int, int] = {}
    results: list[Tensor | None] = []
    handed_out: set[int] = set()
    if targets is not None:
        results = [None] * len(targets)
        leaf_grads = {}
        for i, t in enumerate(targets):
            if t.grad_fn is not None:
                capture_nodes[id(t.grad_fn)] = i
            else:
                capture_leaves[id(t)] = i

    # Summing gradients is the engine's own work, not a backward rule: without create_graph
    # it is a plain NumPy addition (no op, no node), with it a recorded Add.
    add = _add_recorded if create_graph else _add_plain

    def accumulate_leaf(leaf: Tensor, grad: Tensor) -> None:
        if leaf_grads is not None:
            key = id(leaf)
            if key in capture_leaves:
                prev = leaf_grads.get(key)
                leaf_grads[key] = grad if prev is None else add(prev, grad)
            return
        if leaf.grad is None:
            leaf.grad = grad if create_graph else _owned(grad, handed_out)
        else:
            leaf.grad = add(leaf.grad, grad)

    hooked = hooks.state.count > 0  # tensor hooks or retain_grad exist somewhere

    roots = []
    for out, g in zip(outputs, grad_outputs):
        if out.grad_fn is None:
            accumulate_leaf(out, hooks.run_tensor_hooks(out, g) if hooked else g)
        else:
            key = id(out.grad_fn)
            buffers[key] = g if key not in buffers else add(buffers[key], g)
            roots.append(out.grad_fn)

    order = graph_order(roots)
    needed = None if targets is None else _needed(order, capture_nodes, capture_leaves)
    anomaly = grad_mode.anomaly
    leaf_hooks = hooks.LeafHooks(order, add) if hooked else None

    saved_mode = grad_mode.enabled
    grad_mode.enabled = create_graph
    try:
        for node in order:
            key = id(node)
            grad_out = buffers.pop(key, None)
            if grad_out is None:
                continue
            if needed is not None and key not in needed and key not in capture_nodes:
                continue
            if hooked and hooks.has_tensor_hooks(node):
                grad_out = hooks.run_tensor_hooks(node, grad_out)
            if needed is not None:
                if key in capture_nodes:
                    results[capture_nodes[key]] = grad_out
                if key not in needed:
                    continue
            if anomaly:
                grads = _backward_with_context(node, grad_out)
            else:
                grads = type(node).backward(node, grad_out)
            if type(grads) is not tuple:
                grads = (grads,)
            edges = node.next_edges
            if len(grads) != len(edges):
                grads = _match_arity(node, grads)
            if anomaly:
                anomaly_check_backward(node, grads)
            if on_node is not None:
                on_node(node, grad_out, grads)
            for index, (edge, grad) in enumerate(zip(edges, grads)):
                if edge is None or grad is None:
                    continue
                if type(grad) is not Tensor:
                    grad = _as_grad(grad, node, index)
                if isinstance(edge, Function):
                    if grad.data.shape != edge.out_shape:
                        grad = _sum_to(grad, edge.out_shape, node, index)
                    dtype = grad.data.dtype
                    if dtype is not edge.out_dtype and dtype != edge.out_dtype:
                        grad = _fix_dtype(grad, edge.out_dtype)
                    k = id(edge)
                    prev = buffers.get(k)
                    buffers[k] = grad if prev is None else add(prev, grad)
                else:
                    if grad.data.shape != edge.data.shape:
                        grad = _sum_to(grad, edge.data.shape, node, index)
                    if grad.data.dtype != edge.data.dtype:
                        grad = _fix_dtype(grad, edge.data.dtype)
                    if leaf_hooks is not None and leaf_hooks.wants(edge):
                        grad = leaf_hooks.offer(edge, grad)  # None until all have arrived
                        if grad is None:
                            continue
                    accumulate_leaf(edge, grad)
            if not retain_graph and node._saved:
                node._saved = _FREED
        if leaf_hooks is not None:
            for leaf, grad in leaf_hooks.flush():
                accumulate_leaf(leaf, grad)
    finally:
        grad_mode.enabled = saved_mode

    if targets is None:
        return None
    for key, i in capture_leaves.items():
        results[i] = leaf_grads.get(key)  # type: ignore[union-attr]
    return results


def _backward_with_context(node: Function, grad_out: Tensor) -> Any:
    """Run a backward rule under anomaly mode, saying which node's backward failed."""
    try:
        return type(node).backward(node, grad_out)
    except RuntimeError as exc:
        if not str(exc).startswith("detect_anomaly"):
            raise
        where = node._stack or "<created outside anomaly mode>"
        raise RuntimeError(
            f"{exc}\n  while computing the backward of {node.name}, created at {where}"
        ) from None


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


def _match_arity(node: Function, grads: tuple) -> tuple:
    edges = node.next_edges
    if len(grads) < len(edges) and all(e is None for e in edges[len(grads):]):
        return grads + (None,) * (len(edges) - len(grads))
    raise RuntimeError(
        f"backward of {node.name} returned {len(grads)} gradient(s), but the op has "
        f"{len(edges)} positional input(s); return one gradient (or None) per input"
    )


def _root_grad(out: Tensor, gradient: Any, where: str) -> Tensor:
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"{where}: the output has shape {out.data.shape}; a gradient can be created "
                "implicitly only for a one-entry output. Pass gradient= (dL/d output) of "
                "the same shape, or reduce the output first (e.g. .sum())."
            )
        ones = np.ones(out.data.shape, dtype=out.data.dtype)
        if ones.dtype.kind == "O":  # an exact SymPy 1: Python's int 1 / 3 would be a float
            import sympy

            ones[...] = sympy.S.One
        return Tensor._constant(ones)
    if isinstance(gradient, Tensor):
        g = gradient
    else:
        g = Tensor._constant(np.array(gradient, dtype=out.data.dtype))
    if g.data.shape != out.data.shape:
        raise RuntimeError(
            f"{where}: the gradient has shape {g.data.shape}, but the output has shape "
            f"{out.data.shape}; they must match"
        )
    if g.data.dtype != out.data.dtype and out.data.dtype.kind != "O":
        g = Tensor._constant(g.data.astype(out.data.dtype))
    return g


def _check_differentiable(out: Tensor, where: str, i: int | None = None) -> None:
    if not out._requires_grad:
        which = "the tensor" if i is None else f"output {i}"
        raise RuntimeError(
            f"{where}: {which} does not require grad and has no grad_fn: it was not "
            "computed from any tensor with requires_grad=True, or it was computed under "
            "no_grad(), so there is nothing to differentiate"
        )


def backward_from(
    tensor: Tensor, gradient: Any, retain_graph: bool | None, create_graph: bool
) -> None:
    """``Tensor.backward``: accumulate gradients into the leaves' ``.grad``."""
    _check_differentiable(tensor, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    g = _root_grad(tensor, gradient, "backward")
    if g is gradient or (isinstance(gradient, Tensor) and g.data is gradient.data):
        # .grad must never alias the caller's array. Without create_graph a read-only view
        # is enough: _owned() copies it only if it reaches a leaf's .grad, so a large
        # upstream gradient (y.backward(dy) on a conv output) is not copied for nothing.
        if create_graph:
            g = Tensor._constant(g.data.copy())
        else:
            view = g.data.view()
            view.flags.writeable = False
            g = Tensor._constant(view)
    run_backward([tensor], [g], retain_graph, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple.

    Like ``torch.autograd.grad``: ``.grad`` attributes are not touched. ``grad_outputs``
    holds dL/d(output) for each output (may be None for one-entry outputs). With
    ``create_graph=True`` the returned gradients are differentiable. An input that the
    outputs do not depend on raises, unless ``allow_unused=True`` (then its entry is None).
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not outs or not ins:
        raise ValueError("grad: outputs and inputs must not be empty")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is {type(t).__name__}, expected a Tensor")
        if not t._requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad")
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outs):
        raise ValueError(
            f"grad: got {len(grad_outputs)} grad_outputs for {len(outs)} outputs"
        )
    for i, o in enumerate(outs):
        _check_differentiable(o, "grad", i)
    if retain_graph is None:
        retain_graph = create_graph
    roots = [_root_grad(o, g, "grad") for o, g in zip(outs, grad_outputs)]
    results = run_backward(outs, roots, retain_graph, create_graph, targets=ins)
    assert results is not None
    for i, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"grad: inputs[{i}] was not used to compute the outputs (no path leads to "
                "it); pass allow_unused=True to get None for it"
            )
    if not create_graph:
        handed_out: set[int] = set()
        results = [None if r is None else _owned(r, handed_out) for r in results]
    return tuple(results)
