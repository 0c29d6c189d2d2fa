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

from collections.abc import Sequence
from typing import Any

import numpy as np

from autocnn.autograd import grad_mode
from autocnn.autograd.extras import backward_pass
from autocnn.autograd.function import FREED, Function
from autocnn.autograd.tensor import Tensor, _ops
from autocnn.ops import backend


def graph_order(roots: Sequence[Function]) -> list[Function]:
    """The nodes reachable from ``roots`` in the order the backward pass runs them.

    A node comes only after every node that consumes its output; among ready nodes, the one
    that became ready last runs first (a stack), which keeps the walk depth-first and the
    number of live gradients small. The order depends only on the graph, so drawing code
    (``autocnn.viz``) shows exactly the engine's order.
    """
    roots = list(dict.fromkeys(roots))  # without repeats, in order (nodes hash by identity)
    # pass 1: count, for every node, the edges that reach it from consumers in the graph
    consumers: dict[int, int] = {}
    stack = list(roots)
    while stack:
        for edge in stack.pop().next_edges:
            if isinstance(edge, Function):
                key = id(edge)
                if key not in consumers:
                    consumers[key] = 0
                    stack.append(edge)
                consumers[key] += 1
    # pass 2 (Kahn): a node is ready once all its consumers have run
    ready = [r for r in reversed(roots) if id(r) not in consumers]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in reversed(node.next_edges):
            if isinstance(edge, Function):
                consumers[id(edge)] -= 1
                if consumers[id(edge)] == 0:
                    ready.append(edge)
    return order


def _sum_to(grad: Tensor, shape: tuple[int, ...], node: Function, index: int) -> Tensor:
    """Undo broadcasting: sum ``grad`` over the axes along which its input was broadcast."""
    gshape = grad.data.shape
    extra = len(gshape) - len(shape)  # leading axes that broadcasting added
    if extra < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[extra:])):
        raise RuntimeError(f"backward of {node.name} returned a gradient of shape {gshape} "
                           f"for its input {index}, which has shape {shape}")
    axes = tuple(range(extra)) + tuple(
        extra + i for i, s in enumerate(shape) if s == 1 and gshape[extra + i] != 1)
    if axes:  # the primitives directly: axes and shape are valid by construction
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
) -> list[Tensor | None] | None:
    """Propagate ``grad_outputs`` (dL/d output) from ``outputs`` back through the graph,
    into the ``.grad`` of every leaf that requires grad; or, with ``targets``, return their
    gradients without touching ``.grad`` (only the part that leads to a target runs)."""
    # Summing gradients is the engine's own work, not a backward rule: a plain NumPy
    # addition, or a recorded Add under create_graph (so the sum is differentiable too).
    add = _add_recorded if create_graph else _add_plain
    handed_out: set[int] = set()  # arrays already in some .grad (see _owned)

    def accumulate(leaf: Tensor, grad: Tensor) -> None:
        if leaf.grad is None:
            leaf.grad = grad if create_graph else _owned(grad, handed_out)
        else:
            leaf.grad = add(leaf.grad, grad)

    order = graph_order([out.grad_fn for out in outputs if out.grad_fn is not None])
    extra = backward_pass(order, targets, add)  # EXTRA: hooks, observers, grad() targets
    buffers: dict[int, Tensor] = {}  # id(node) -> dL/d(node's output), summed so far
    for out, g in zip(outputs, grad_outputs):
        if out.grad_fn is not None:
            key = id(out.grad_fn)
            buffers[key] = g if key not in buffers else add(buffers[key], g)
        elif extra is None or (g := extra.root_leaf(out, g)) is not None:
            accumulate(out, g)  # an output that is itself a leaf
    with grad_mode.set_grad_enabled(create_graph):  # backward rules record only if asked
        for node in order:
            grad_out = buffers.pop(id(node), None)  # complete: all its consumers have run
            if grad_out is not None and extra is not None:
                grad_out = extra.before_node(node, grad_out)
            if grad_out is None:
                continue  # no gradient reaches this node (or no target needs it)
            grads = type(node).backward(node, grad_out)  # the chain rule at one node
            if type(grads) is not tuple or len(grads) != len(node.next_edges):
                grads = _one_per_input(node, grads)
            if extra is not None:
                extra.after_node(node, grad_out, grads)
            for index, (edge, grad) in enumerate(zip(node.next_edges, grads)):
                if edge is None or grad is None:
                    continue  # this input needs no gradient
                if isinstance(edge, Function):  # an inner node: add to its gradient
                    if type(grad) is not Tensor or grad.data.shape != edge.out_shape \
                            or grad.data.dtype is not edge.out_dtype:
                        grad = _fit(grad, edge, node, index)  # undo broadcasting, cast
                    key = id(edge)
                    buffers[key] = grad if key not in buffers else add(buffers[key], grad)
                else:  # a leaf: add to its .grad
                    if type(grad) is not Tensor or grad.data.shape != edge.data.shape \
                            or grad.data.dtype is not edge.data.dtype:
                        grad = _fit(grad, edge, node, index)  # undo broadcasting, cast
                    if extra is None or (grad := extra.reach_leaf(edge, grad)) is not None:
                        accumulate(edge, grad)
            if not retain_graph and node._saved:
                node._saved = FREED  # give the saved values' memory back
        for leaf, grad in extra.finish() if extra is not None else ():
            accumulate(leaf, grad)
    return None if targets is None else extra.results


def _one_per_input(node: Function, grads: Any) -> tuple:
    """A backward's result as a tuple with one entry per positional input."""
    if type(grads) is not tuple:
        grads = (grads,)
    edges = node.next_edges
    if len(grads) == len(edges):
        return grads
    if len(grads) < len(edges) and all(e is None for e in edges[len(grads):]):
        return grads + (None,) * (len(edges) - len(grads))
    raise RuntimeError(
        f"backward of {node.name} returned {len(grads)} gradient(s), but the op has "
        f"{len(edges)} positional input(s); return one gradient (or None) per input"
    )


def _fit(grad: Any, edge: Function | Tensor, node: Function, index: int) -> Tensor:
    """A gradient a backward returned, as a Tensor of its input's shape and dtype."""
    if type(grad) is not Tensor:
        grad = _as_grad(grad, node, index)
    if isinstance(edge, Function):
        shape, dtype = edge.out_shape, edge.out_dtype
    else:
        shape, dtype = edge.data.shape, edge.data.dtype
    if grad.data.shape != shape:
        grad = _sum_to(grad, shape, node, index)
    if grad.data.dtype is not dtype and not backend.keeps_dtype(grad.data.dtype, dtype):
        grad = grad.astype(dtype)
    return grad


def _root_grad(out: Tensor, gradient: Any, where: str) -> Tensor:
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"{where}: the output has shape {out.data.shape}; a gradient can be created "
                "implicitly only for a one-entry output. Pass gradient= (dL/d output) of "
                "the same shape, or reduce the output first (e.g. .sum())."
            )
        return Tensor._constant(backend.ones(out.data.shape, out.data.dtype))
    if isinstance(gradient, Tensor):
        g = gradient
    else:
        g = Tensor._constant(_numeric_gradient(gradient, out, where))
    if g.data.shape != out.data.shape:
        raise RuntimeError(
            f"{where}: the gradient has shape {g.data.shape}, but the output has shape "
            f"{out.data.shape}; they must match"
        )
    if not backend.keeps_dtype(g.data.dtype, out.data.dtype):
        g = Tensor._constant(g.data.astype(out.data.dtype))
    return g


def _tensor_list(value: Any, arg: str) -> list:
    """A Tensor or a sequence of them as a list; anything else a TypeError naming ``arg``."""
    if isinstance(value, Tensor):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"grad: '{arg}' must be a Tensor or a sequence of Tensors, got "
                        f"{type(value).__name__}")
    for i, v in enumerate(value):
        if not isinstance(v, Tensor):
            raise TypeError(f"grad: {arg}[{i}] must be a Tensor, got {type(v).__name__}")
    return list(value)


def _numeric_gradient(gradient: Any, out: Tensor, where: str) -> np.ndarray:
    """``gradient`` as an array of ``out``'s dtype, refusing what is not numbers.

    ``np.array([1, None], dtype=float32)`` is [1, nan] and a string becomes its parsed
    number: without this check a wrong gradient argument would silently give NaN gradients.
    """
    if isinstance(gradient, (str, bytes, bool, np.bool_)) or gradient is None:
        raise TypeError(
            f"{where}: 'gradient' must be a Tensor, an array or numbers, got {gradient!r}"
        )
    try:
        arr = np.asarray(gradient)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{where}: 'gradient' must be a Tensor, an array or numbers "
                        f"({exc})") from exc
    ok = arr.dtype.kind in "iuf" or (backend.is_exact_array(arr)
                                     and backend.is_exact_array(out.data))
    if not ok:
        raise TypeError(
            f"{where}: 'gradient' must hold real numbers, got an array of dtype {arr.dtype} "
            f"({gradient!r:.80})"
        )
    return np.array(arr, dtype=out.data.dtype)


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
    g = _root_grad(tensor, gradient, "backward")  # dL/d(tensor): ones for a scalar
    run_backward([tensor], [_unaliased(g, gradient, create_graph)], retain_graph, create_graph)


def _unaliased(g: Tensor, gradient: Any, create_graph: bool) -> Tensor:
    """``g``, unless it shares the caller's array: ``.grad`` must never alias it.

    Without create_graph a read-only view is enough: ``_owned`` copies it only if it
    reaches a leaf's ``.grad``, so a large upstream gradient (``y.backward(dy)`` on a conv
    output) is not copied for nothing.
    """
    if not (g is gradient or (isinstance(gradient, Tensor) and g.data is gradient.data)):
        return g
    if create_graph:
        return Tensor._constant(g.data.copy())
    view = g.data.view()
    view.flags.writeable = False
    return Tensor._constant(view)


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
    outs = _tensor_list(outputs, "outputs")
    ins = _tensor_list(inputs, "inputs")
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
