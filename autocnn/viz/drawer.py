"""The drawer: the DOT statements of one picture of a recorded graph.

``to_dot`` (``dot.py``) and ``backward_frames`` (``frames.py``) both draw with it: a
``Drawer`` gets the walked graph, the names of its tensors, the ``Options`` of the
picture and a ``Frame`` (which gradients of a backward trace to show, which one is new)
and returns a ``GraphPicture``.

The picture reads like the forward code: leaves (inputs and parameters) at the top, one box
per primitive, arrows in the direction data flowed, the output at the bottom. Boxes made
inside a module's forward sit inside a cluster named after the module (``features.0:
Conv2d``), so a convolution shows as a box holding its pad → unfold → matmul → add.

The DOT text is written directly (every label an escaped HTML-like label, every id a
number from the walk in ``walk.py``), which keeps it deterministic, valid for any name, and
fast enough for a 100,000-node chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from autocnn.autograd.engine import FREED, Function, Saved
from autocnn.autograd.tensor import Tensor
from autocnn.viz.derivatives import local_derivatives
from autocnn.viz.labels import (
    MAX_PRINTED,
    escape,
    html_label,
    index_text,
    params_text,
    shape_text,
    value_text,
)
from autocnn.viz.modules import Cluster, ModuleMap, module_map
from autocnn.viz.picture import GraphPicture
from autocnn.viz.trace import BackwardTrace, known_values
from autocnn.viz.walk import Graph

_OP_STYLE = 'shape=box style="rounded,filled" fillcolor="#e8eef7" color="#5a6f8f"'
_LEAF_STYLE = 'shape=box style=filled fillcolor="#fff4c2" color="#9a8a3a"'
_MODULE_STYLE = 'shape=box3d style=filled fillcolor="#dfeedd" color="#4f7a4a"'
_HIGHLIGHT = 'fillcolor="#ffb347" penwidth=3 color="#c05a00"'
_GRAD_COLOR = "#b03030"
_CONST_STYLE = ('shape=box style="rounded,filled" fillcolor="#eeeeee" color="#bbbbbb" '
                'fontcolor="#555555" fontsize=9 height=0.2 margin="0.04,0.02"')
_CONST_EDGE = 'color="#aaaaaa" arrowsize=0.5'


def _constant_values(node: Function) -> list[Any]:
    """The numbers ``node`` saved for backward that came from no tensor (origin None), in
    order: the drawer shows them on the constant inputs when there is one per constant
    input. Boolean arrays are masks the op derived (``Maximum``), never inputs."""
    saved = node._saved
    if not saved or saved is FREED:
        return []
    out = []
    for entry in saved:
        if not isinstance(entry, Saved):
            continue
        value, origin = entry.value, entry.origin
        if (origin is None and isinstance(value, (np.ndarray, int, float))
                and not isinstance(value, bool) and np.asarray(value).dtype.kind in "fiu"):
            out.append(value)
    return out
_CLUSTER_COLORS = ("#f7f7f7", "#eef4fb", "#f6f1fa", "#f2f8ef")


@dataclass(frozen=True)
class Options:
    """Everything ``to_dot`` can show; see its docstring for the meaning of each."""

    show_shapes: bool = True
    show_values: bool = False
    show_grads: bool = False
    cluster_modules: bool = True
    number_steps: bool = False
    derivatives: bool = False
    collapse: bool | int = False
    rankdir: str = "TB"
    max_printed: int = MAX_PRINTED


def check_options(opts: Options) -> None:
    """Refuse options no picture can be drawn with (``ValueError`` naming the option)."""
    if opts.rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(
            f"to_dot: rankdir must be one of 'TB', 'BT', 'LR', 'RL', got {opts.rankdir!r}"
        )
    c = opts.collapse
    if not isinstance(c, (bool, int)) or (not isinstance(c, bool) and c < 1):
        raise ValueError(
            "to_dot: collapse must be False, True (each innermost module as one box) or a "
            f"module depth >= 1 (1 = each outermost module as one box), got {c!r}"
        )
    if not isinstance(opts.max_printed, int) or opts.max_printed < 0:
        raise ValueError(
            f"to_dot: max_printed must be a non-negative int, got {opts.max_printed!r}"
        )


def _named_tensors(params: Any) -> list[tuple[str | None, Tensor]]:
    """``params`` as a checked list of (name, Tensor) pairs.

    Accepted: a mapping name → Tensor, (name, Tensor) pairs (``model.named_parameters()``),
    or plain Tensors, which are named by their own ``.name`` (possibly None).
    """
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Tensor)):
        raise TypeError(
            "to_dot: params must be a dict of name -> Tensor (e.g. "
            f"dict(model.named_parameters())) or a list of tensors, got {type(params).__name__}"
        )
    pairs: list[tuple[str | None, Tensor]] = []
    for item in items:
        if isinstance(item, Tensor):
            pairs.append((item.name, item))
            continue
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(
                "to_dot: params must be a dict of name -> Tensor, (name, Tensor) pairs or "
                f"tensors, got an item {item!r}"
            )
        name, t = item
        if not isinstance(t, Tensor):
            raise TypeError(
                f"to_dot: params[{name!r}] must be a Tensor, got {type(t).__name__}"
            )
        pairs.append((str(name), t))
    return pairs


class Names:
    """Display names of leaves and nodes, and the symbol names of edge-label derivatives."""

    def __init__(self, graph: Graph, params: Any, mm: ModuleMap) -> None:
        self.leaf: dict[int, str] = {}
        self.node: dict[int, str] = {}
        self.extra_values: dict[int, Tensor] = {}
        given = _named_tensors(params)
        for name, t in given:
            if t.grad_fn is not None:
                if name:
                    self.node.setdefault(id(t.grad_fn), name)
                self.extra_values[id(t.grad_fn)] = t
            elif name:
                self.leaf.setdefault(id(t), name)
        for leaf in graph.leaves:
            if id(leaf) not in self.leaf:
                name = leaf.name or mm.param_names.get(id(leaf))
                if name:
                    self.leaf[id(leaf)] = name
        if graph.output.name and id(graph.output.grad_fn) not in self.node:
            self.node[id(graph.output.grad_fn)] = graph.output.name
        self.graph = graph

    def symbol(self, item: Any) -> str:
        """The name of ``item`` in a derivative: its own name, else ``x3`` (leaf 3) or
        ``t5`` (the output of the op run at step #5 of the backward pass)."""
        if item is None:
            return "c"
        if isinstance(item, Function):
            return self.node.get(id(item)) or f"t{self.graph.number(item) + 1}"
        return self.leaf.get(id(item)) or f"x{self.graph.number(item)}"

    def symbols(self, node: Function) -> list[str]:
        """Distinct symbol names for the inputs of ``node`` (repeats get primes: x, x′)."""
        out: list[str] = []
        for source in node.next_edges:
            name = self.symbol(source)
            while name in out:
                name += "′"
            out.append(name)
        return out


@dataclass
class Frame:
    """What one picture shows of a backward trace: which gradients, which one is new."""

    trace: BackwardTrace | None
    shown: set[int] | None = None  # ids of nodes/leaves whose gradient is shown (None: all)
    highlight: frozenset[int] = frozenset()  # ids of the nodes/leaves whose gradient is new
    visible: frozenset[int] | None = None  # ids of the nodes/leaves drawn (None: all)
    note: str | None = None

    def has_grad(self, item_id: int) -> bool:
        """Is the gradient of this node or leaf filled in on this picture?"""
        return self.shown is None or item_id in self.shown


def _grad_line(value: Any, opts: Options, prefix: str = "grad ") -> str:
    text = escape(prefix + value_text(value, opts.max_printed))
    return f'<FONT COLOR="{_GRAD_COLOR}">{text}</FONT>'


class Drawer:
    """Builds the DOT statements of one picture."""

    def __init__(self, graph: Graph, params: Any, opts: Options, frame: Frame) -> None:
        self.g = graph
        self.opts = opts
        self.frame = frame
        self.mm = module_map(graph) if (opts.cluster_modules or opts.collapse) else ModuleMap()
        self.names = Names(graph, params, self.mm)
        self.values = (
            known_values(graph, self.names.extra_values) if opts.show_values else {}
        )
        self.lines: dict[str | None, list[str]] = {None: []}  # cluster key -> statements
        self.groups = self._groups()
        self.collapsed = {id(c) for c in self.groups.values()}
        self.group_output: dict[int, Function] = {}  # id(cluster) -> node run first
        for node in graph.nodes:
            group = self.groups.get(id(node))
            if group is not None:
                self.group_output.setdefault(id(group), node)

    # -------------------------------------------------------------- collapsed modules
    def _groups(self) -> dict[int, Cluster]:
        """id(node or absorbed leaf) -> the collapsed module that stands for it.

        ``collapse=True`` collapses the innermost modules (those with no sub-module in the
        graph); ``collapse=d`` the modules at depth d (1 = outermost). Ops made directly
        by an enclosing module (a model's own ``sum``) stay ops inside its cluster.
        """
        collapse = self.opts.collapse
        if collapse is False:
            return {}
        if collapse is True:
            chosen = {id(c) for c in self.mm.all_clusters if not c.children}
        else:
            chosen = {id(c) for c in self.mm.all_clusters if c.depth == int(collapse) - 1}
        groups: dict[int, Cluster] = {}
        for item in [*self.g.nodes, *self.g.leaves]:
            c = self.mm.of_item.get(id(item))
            while c is not None and id(c) not in chosen:
                c = c.parent
            if c is not None:
                groups[id(item)] = c
        return groups

    def _hidden(self, cluster: Cluster) -> bool:
        """True if ``cluster`` is a collapsed module or inside one (drawn as a box, not a
        cluster)."""
        collapsed = self.collapsed
        c: Cluster | None = cluster
        while c is not None:
            if id(c) in collapsed:
                return True
            c = c.parent
        return False

    def rep(self, item: Any) -> str:
        """The DOT id drawn for a node or leaf: its own, or its collapsed module's."""
        group = self.groups.get(id(item))
        if group is not None:
            return group.key.replace("cluster_", "module")
        return self.g.key(item)

    def container(self, cluster: Cluster | None) -> str | None:
        """The cluster a statement goes into (None: the top level)."""
        return cluster.key if (cluster is not None and self.opts.cluster_modules) else None

    # -------------------------------------------------------------- statements
    def add(self, cluster_key: str | None, statement: str) -> None:
        """Queue one DOT statement for a cluster (or the top level)."""
        self.lines.setdefault(cluster_key, []).append(statement)

    def op_statement(self, node: Function) -> str:
        """The box of one primitive: step, name, parameters, shape, data, grad."""
        opts, frame = self.opts, self.frame
        k = self.g.number(node)
        title = node.name
        name = self.names.node.get(id(node))
        if name:
            title = f"{name} = {title}"
        if opts.number_steps:
            title = f"#{k + 1} {title}"
        lines = [escape(title)]
        index = getattr(node, "index", None) if "index_repr" in type(node).params else None
        params = {} if index is not None else node.describe()
        if index is not None:  # GetItem: the index as written, with small index arrays
            lines.append(escape(index_text(index)))
        elif params:
            lines.append(escape(params_text(params, getattr(node, "in_shape", None))))
        if opts.show_shapes:
            lines.append(escape(shape_text(node.out_shape, node.out_dtype)))
        if opts.show_values and id(node) in self.values:
            lines.append(escape("data " + value_text(self.values[id(node)], opts.max_printed)))
        trace = frame.trace
        if opts.show_grads and trace is not None and frame.has_grad(id(node)):
            g = trace.node_grads.get(id(node))
            if g is not None:
                lines.append(_grad_line(g, opts))
        style = _OP_STYLE
        if node is self.g.output.grad_fn:
            style += " peripheries=2"
        if id(node) in frame.highlight:
            style += " " + _HIGHLIGHT
        return f"{self.g.key(node)} [label={html_label(lines, bold_first=True)} {style}]"

    def leaf_statement(self, leaf: Tensor) -> str:
        """The box of one leaf: name, shape, data, grad."""
        opts, frame = self.opts, self.frame
        k = self.g.number(leaf)
        lines = [escape(self.names.leaf.get(id(leaf)) or f"leaf {k}")]
        if opts.show_shapes:
            lines.append(escape(shape_text(leaf.data.shape, leaf.data.dtype)))
        if opts.show_values:
            lines.append(escape("data " + value_text(leaf.data, opts.max_printed)))
        g = self._leaf_grad(leaf)
        if g is not None:
            lines.append(_grad_line(g, opts))
        style = _LEAF_STYLE
        if id(leaf) in frame.highlight:
            style += " " + _HIGHLIGHT
        return f"{self.g.key(leaf)} [label={html_label(lines, bold_first=True)} {style}]"

    def _shown(self, item: Any) -> bool:
        """Is this node or leaf drawn on this picture (a neighbourhood view draws a few)?"""
        return self.frame.visible is None or id(item) in self.frame.visible

    def _leaf_grad(self, leaf: Tensor) -> Any:
        """The gradient of a leaf to show on this picture, or None."""
        frame = self.frame
        if not (self.opts.show_grads and frame.has_grad(id(leaf))):
            return None
        if frame.trace is not None:
            return frame.trace.leaf_grads.get(id(leaf))
        return None if leaf.grad is None else leaf.grad.data  # graph freed: .grad is left

    def constant_statements(self, node: Function, cluster_key: str | None) -> None:
        """A small grey box for each constant input of ``node`` (÷N, −max, an input image
        that needs no gradient), so an op with two inputs shows two arrows."""
        missing = [i for i, e in enumerate(node.next_edges) if e is None]
        if not missing:
            return
        values = _constant_values(node)
        known = values if len(values) == len(missing) else [None] * len(missing)
        for i, value in zip(missing, known):
            key = f"{self.g.key(node)}c{i}"
            if value is None:
                text = "constant"
            else:
                text = value_text(value, self.opts.max_printed)
                if np.ndim(value) and not self.opts.show_values and np.size(value) > 1:
                    text = "constant " + shape_text(np.shape(value), np.asarray(value).dtype)
            self.add(cluster_key, f"{key} [label={html_label([escape(text)])} {_CONST_STYLE}]")
            self.add(None, f"{key} -> {self.g.key(node)} [{_CONST_EDGE}]")

    def group_statement(self, cluster: Cluster, members: list[Any]) -> str:
        """The single box of a collapsed module: title, parameters, steps, output."""
        opts = self.opts
        lines = [escape(cluster.title)]
        order = {key: i for i, key in enumerate(self.mm.param_names)}  # registration order
        leaves = sorted((m for m in members if isinstance(m, Tensor)),
                        key=lambda t: order.get(id(t), len(order) + self.g.number(t)))
        for leaf in leaves:
            pname = self.names.leaf.get(id(leaf)) or f"leaf {self.g.number(leaf)}"
            short = pname[len(cluster.path) + 1:] if (
                cluster.path and pname.startswith(cluster.path + ".")
            ) else pname
            lines.append(escape(f"{short} {tuple(leaf.data.shape)}"))
            g = self._leaf_grad(leaf)
            if g is not None:  # a parameter's gradient: what the optimiser will use
                lines.append(_grad_line(g, opts, f"grad {short} "))
        nodes = [m for m in members if isinstance(m, Function)]
        first = self.group_output[id(cluster)]  # runs first in backward: the module's output
        if opts.number_steps:
            lo, hi = self.g.number(first) + 1, max(self.g.number(n) for n in nodes) + 1
            lines.append(escape(f"steps #{lo}–#{hi}" if hi > lo else f"step #{lo}"))
        if opts.show_shapes:
            lines.append(escape("→ " + shape_text(first.out_shape, first.out_dtype)))
        if opts.show_values and id(first) in self.values:
            lines.append(escape("data " + value_text(self.values[id(first)], opts.max_printed)))
        trace = self.frame.trace
        if opts.show_grads and trace is not None and self.frame.has_grad(id(first)):
            g = trace.node_grads.get(id(first))
            if g is not None:
                lines.append(_grad_line(g, opts))
        style = _MODULE_STYLE
        if self.frame.highlight and any(
            id(m) in self.frame.highlight for m in members
        ):
            style += " " + _HIGHLIGHT
        if first is self.g.output.grad_fn:
            style += " peripheries=2"
        return f"{self.rep(first)} [label={html_label(lines, bold_first=True)} {style}]"

    def edge_statement(self, source: Any, node: Function, label: str | None) -> str:
        """One arrow from an input to the op that used it (red once its gradient ran)."""
        attrs = []
        if label is not None:
            attrs.append(f"label={label}")
        trace = self.frame.trace
        group = self.groups.get(id(node))
        if group is not None:  # a collapsed module: its gradient is that of its output
            node = self.group_output[id(group)]
        if (
            self.frame.shown is not None and trace is not None
            and id(node) in self.frame.shown
        ):
            attrs.append(f'color="{_GRAD_COLOR}" penwidth=1.6')
        tail = f" [{' '.join(attrs)}]" if attrs else ""
        return f"{self.rep(source)} -> {self.rep(node)}{tail}"

    def edge_labels(self, node: Function) -> list[str | None]:
        """One label per input edge of ``node``: local derivative (and gradient), or None."""
        opts = self.opts
        if not opts.derivatives:
            return [None] * len(node.next_edges)
        derivs = local_derivatives(node, self.names.symbols(node))
        labels: list[str | None] = []
        trace = self.frame.trace
        for i, text in enumerate(derivs):
            lines = [escape(text)]
            if (
                opts.show_grads and trace is not None and self.frame.has_grad(id(node))
                and (id(node), i) in trace.edge_grads
            ):
                lines.append(_grad_line(trace.edge_grads[(id(node), i)], opts))
            labels.append(html_label(lines))
        return labels

    # -------------------------------------------------------------- the whole picture
    def draw(self) -> GraphPicture:
        """Every box and arrow of the picture, then the assembled graph."""
        g = self.g
        members: dict[int, list[Any]] = {}
        group_of_key: dict[int, Cluster] = {}
        for leaf in g.leaves:
            group = self.groups.get(id(leaf))
            if group is not None:
                members.setdefault(id(group), []).append(leaf)
                group_of_key[id(group)] = group
                continue
            if self._shown(leaf):
                self.add(self.container(self.mm.of_item.get(id(leaf))),
                         self.leaf_statement(leaf))
        for node in g.nodes:
            if not self._shown(node):
                continue
            group = self.groups.get(id(node))
            if group is not None:
                members.setdefault(id(group), []).append(node)
                group_of_key[id(group)] = group
                continue
            container = self.container(self.mm.of_item.get(id(node)))
            self.add(container, self.op_statement(node))
            self.constant_statements(node, container)
        for key, cluster in group_of_key.items():
            self.add(self.container(cluster.parent), self.group_statement(cluster, members[key]))
        seen_pairs: set[tuple[str, str]] = set()
        for node in g.nodes:
            if not self._shown(node):
                continue
            labels = self.edge_labels(node) if id(node) not in self.groups else None
            for index, source in enumerate(node.next_edges):
                if source is None or not self._shown(source):
                    continue
                s, c = self.rep(source), self.rep(node)
                if s == c:
                    continue
                if self.groups:  # collapsed modules: one arrow per pair of boxes
                    if (s, c) in seen_pairs:
                        continue
                    seen_pairs.add((s, c))
                label = labels[index] if labels is not None else None
                self.add(None, self.edge_statement(source, node, label))
        return self.assemble()

    def assemble(self) -> GraphPicture:
        """Nest the queued statements into clusters and return the ``GraphPicture``."""
        opts = self.opts
        dot = GraphPicture(name="autocnn")
        dot.attr(rankdir=opts.rankdir, newrank="true")
        dot.attr("node", fontname="Helvetica", fontsize="11")
        dot.attr("edge", fontname="Helvetica", fontsize="9", arrowsize="0.7")
        if self.frame.note:
            dot.attr(label=f"<{escape(self.frame.note)}>", labelloc="t", fontsize="12",
                     fontname="Helvetica")
        blocks: dict[str, list[str]] = {}
        for cluster in reversed(self.mm.all_clusters):  # children before their parents
            if not opts.cluster_modules or self._hidden(cluster):
                continue
            fill = _CLUSTER_COLORS[cluster.depth % len(_CLUSTER_COLORS)]
            inner = [
                f'label=<{escape(cluster.title)}> labeljust=l style="rounded,filled" '
                f'fillcolor="{fill}" color="#999999" fontname="Helvetica" fontsize="11"',
                *self.lines.get(cluster.key, []),
            ]
            for child in cluster.children:
                inner.extend(blocks.pop(child.key, []))
            if len(inner) == 1:  # nothing of this module is on the picture
                continue
            blocks[cluster.key] = [
                f"subgraph {cluster.key} {{",
                *("\t" + line for line in inner),
                "}",
            ]
        body = []
        for root in self.mm.roots:
            body.extend(blocks.pop(root.key, []))
        body.extend(self.lines[None])
        dot.body.extend(f"\t{line}\n" for line in body)
        return dot


def draw(
    graph: Graph, params: Any, opts: Options, frame: Frame
) -> GraphPicture:
    """One picture of ``graph`` with the gradients ``frame`` says to show."""
    return Drawer(graph, params, opts, frame).draw()


