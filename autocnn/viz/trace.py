"""What a picture can show besides the structure: the values the forward pass left in the
graph, and the gradients of one backward pass, recorded step by step.

Values. Nodes do not keep their output tensors (that is what lets graphs be freed by
reference counting), so an intermediate value is known only where the graph itself holds
it: an op that saved its own output (``exp``, ``tanh``...), or a consumer that saved its
input (``mul`` saves both factors). Tensors the caller passes in by name fill the rest.

Gradients. ``trace_backward`` runs the engine itself (``run_backward`` with
``retain_graph=True`` and the leaves as targets, so no ``.grad`` is touched) and records,
through an engine observer (``autocnn.autograd.hooks.add_observer``), the gradient each
node received and the gradient it sent along each input edge, in the order the engine ran
them. Nothing here re-implements the chain rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocnn.autograd import hooks
from autocnn.autograd.engine import Function, run_backward
from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.viz.walk import Graph


def known_values(graph: Graph, extra: dict[int, Tensor] | None = None) -> dict[int, np.ndarray]:
    """Output values of the graph's nodes that the graph still holds, keyed by ``id(node)``.

    ``extra`` maps ``id(node)`` to a tensor the caller kept (a named intermediate); the
    output's own value is always known.
    """
    values: dict[int, np.ndarray] = {id(graph.output.grad_fn): graph.output.data}
    for node in graph.nodes:
        for entry in node.saved:
            value, origin = entry.value, entry.origin
            if not isinstance(value, np.ndarray):
                continue
            if entry.is_output:
                values.setdefault(id(node), value)
            elif isinstance(origin, Function):
                values.setdefault(id(origin), value)
    for key, t in (extra or {}).items():
        values[key] = t.data
    return values


def graph_is_freed(graph: Graph) -> bool:
    """True when a backward without ``retain_graph`` already released saved values."""
    return any(node.freed for node in graph.nodes)


@dataclass
class BackwardTrace:
    """The gradients of one backward pass through a graph, in the engine's order.

    ``node_grads[id(node)]`` is dL/d(output of node), ``edge_grads[(id(node), i)]`` the
    gradient node's backward sent to its input i (summed to that input's shape),
    ``leaf_grads[id(leaf)]`` the total gradient of a leaf. ``steps`` lists, in order, every
    gradient as it became complete: ``("node", node)`` when a node's backward ran (its
    input gradient is final by then), ``("leaf", leaf)`` after the last contribution to a
    leaf arrived.
    """

    node_grads: dict[int, np.ndarray] = field(default_factory=dict)
    edge_grads: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    leaf_grads: dict[int, np.ndarray] = field(default_factory=dict)
    steps: list[tuple[str, Any]] = field(default_factory=list)


def _sum_to_shape(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape`` (for display; the engine does its own)."""
    if arr.shape == tuple(shape):
        return arr
    extra = arr.ndim - len(shape)
    if extra > 0:
        arr = arr.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and arr.shape[i] != 1)
    if axes:
        arr = arr.sum(axis=axes, keepdims=True)
    return arr.reshape(shape)


def trace_backward(graph: Graph, grad_output: Any = None) -> BackwardTrace:
    """Run one backward pass through ``graph`` with the engine and record every gradient.

    ``grad_output`` is dL/d(output); by default ones (the gradient of ``output.sum()``, or
    of the output itself when it has one entry). Leaves' ``.grad`` are left untouched.
    """
    if graph_is_freed(graph):
        raise RuntimeError(
            "viz: the graph's saved values were already freed by a backward() without "
            "retain_graph=True, so its gradients cannot be replayed. Draw the graph before "
            "calling backward(), or call backward(retain_graph=True)."
        )
    out = graph.output
    if grad_output is None:
        seed = np.ones(out.data.shape, dtype=out.data.dtype)
    else:
        seed = np.asarray(grad_output.data if isinstance(grad_output, Tensor) else grad_output)
        if seed.shape != out.data.shape:
            raise ValueError(
                f"viz: grad_output must have the output's shape {out.data.shape}, got "
                f"{seed.shape}"
            )
    trace = BackwardTrace()
    last_use: dict[int, int] = {}
    for k, node in enumerate(graph.nodes):
        for source in node.next_edges:
            if isinstance(source, Tensor):
                last_use[id(source)] = k
    pending: dict[int, list[Tensor]] = {}
    for leaf in graph.leaves:
        pending.setdefault(last_use[id(leaf)], []).append(leaf)
    partial: dict[int, np.ndarray] = {}
    position = {id(n): k for k, n in enumerate(graph.nodes)}

    def after_node(node: Function, grad_out: Tensor, grads: tuple) -> None:
        """Called by the engine after each node's backward: record what it computed."""
        trace.node_grads[id(node)] = np.array(grad_out.data)
        trace.steps.append(("node", node))
        for i, (source, g) in enumerate(zip(node.next_edges, grads)):
            if source is None or g is None:
                continue
            arr = np.asarray(g.data if isinstance(g, Tensor) else g)
            shape = source.out_shape if isinstance(source, Function) else source.data.shape
            arr = _sum_to_shape(arr, shape)
            trace.edge_grads[(id(node), i)] = arr
            if isinstance(source, Tensor):
                prev = partial.get(id(source))
                partial[id(source)] = arr if prev is None else prev + arr
        for leaf in pending.get(position[id(node)], ()):
            if id(leaf) in partial:
                trace.leaf_grads[id(leaf)] = partial[id(leaf)]
                trace.steps.append(("leaf", leaf))

    recorder = type("Recorder", (), {"after_node": staticmethod(after_node)})()
    with no_grad(), hooks.add_observer(recorder):
        run_backward(
            [out], [Tensor.constant(seed)], retain_graph=True, create_graph=False,
            targets=list(graph.leaves),
        )
    return trace
