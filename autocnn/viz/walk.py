"""The graph behind a tensor, as plain lists: the nodes in the engine's backward order, the
leaves they reach, and the edges between them, each numbered deterministically.

This is the one walk every picture of ``autocnn.viz`` starts from. It never recurses: the
order comes from ``autocnn.autograd.graph_order`` (the very order the engine runs backward
in), and the leaves and edges are read off each node's ``next_edges`` in a flat loop, so a
chain of 100,000 ops is as easy as a chain of three. Numbers follow that order, never
``id()``, so the same graph always gives the same DOT text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocnn.autograd.engine import Function, graph_order
from autocnn.autograd.tensor import Tensor


@dataclass
class Edge:
    """Input ``index`` of ``consumer`` comes from ``source`` (a node or a leaf tensor)."""

    source: Any
    consumer: Function
    index: int


@dataclass
class Graph:
    """The recorded graph of one output, numbered in the engine's backward order.

    ``nodes[k]`` is the k-th node the backward pass runs (``nodes[0]`` made the output);
    ``leaves`` are the tensors whose ``.grad`` the pass fills, in order of first use;
    ``edges`` lists every (source → consumer) input edge, consumer by consumer.
    """

    output: Tensor
    nodes: list[Function]
    leaves: list[Tensor]
    edges: list[Edge]
    node_number: dict[int, int] = field(default_factory=dict)
    leaf_number: dict[int, int] = field(default_factory=dict)

    def number(self, item: Any) -> int:
        """The position of a node (in backward order) or of a leaf (in first-use order)."""
        if isinstance(item, Function):
            return self.node_number[id(item)]
        return self.leaf_number[id(item)]

    def key(self, item: Any) -> str:
        """The DOT identifier of a node (``op3``) or a leaf (``leaf2``): stable across runs."""
        if isinstance(item, Function):
            return f"op{self.node_number[id(item)]}"
        return f"leaf{self.leaf_number[id(item)]}"


def check_output(output: Any, where: str) -> Tensor:
    """``output`` as a Tensor that has a recorded history, or a clear error naming ``where``."""
    if isinstance(output, np.ndarray):
        raise TypeError(
            f"{where}: expected an autocnn Tensor produced by operations on tensors with "
            f"requires_grad=True, got a NumPy array of shape {output.shape}; a plain array "
            "records no graph (wrap inputs with ac.tensor(..., requires_grad=True))"
        )
    if not isinstance(output, Tensor):
        raise TypeError(
            f"{where}: expected an autocnn Tensor with a recorded history, got "
            f"{type(output).__name__}"
        )
    if output.grad_fn is None:
        why = (
            "it is a leaf (created directly, not computed by an op)"
            if output.requires_grad
            else "it was not computed from any tensor with requires_grad=True, or it was "
            "computed under no_grad()"
        )
        raise ValueError(
            f"{where}: the tensor of shape {output.shape} has no history to draw (grad_fn is "
            f"None): {why}. Draw the result of operations on tensors created with "
            "requires_grad=True."
        )
    return output


def walk(output: Tensor, where: str = "viz") -> Graph:
    """The graph that produced ``output``, numbered in the engine's backward order."""
    output = check_output(output, where)
    nodes = graph_order([output.grad_fn])
    node_number = {id(n): k for k, n in enumerate(nodes)}
    leaves: list[Tensor] = []
    leaf_number: dict[int, int] = {}
    edges: list[Edge] = []
    for node in nodes:
        for index, source in enumerate(node.next_edges):
            if source is None:
                continue
            if not isinstance(source, Function) and id(source) not in leaf_number:
                leaf_number[id(source)] = len(leaves)
                leaves.append(source)
            edges.append(Edge(source, node, index))
    return Graph(output, nodes, leaves, edges, node_number, leaf_number)
