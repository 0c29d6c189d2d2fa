"""Which module made which node, as paths and clusters: ``features.0: Conv2d``.

``nn.Module.__call__`` tags every node its forward creates with the modules that made it
(``node.scope``, outermost first; see ``autocnn.autograd.scope``). Paths come from the
outermost module's ``named_modules()``, so a node made by the first layer of a model's
``features`` block sits in the cluster ``features.0`` inside the cluster ``features``
inside the model's own. Parameters are placed in the cluster of the module that owns them
(from ``named_parameters()``). Everything here is duck-typed: only those two methods are
used, so this file does not import ``autocnn.nn``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autocnn.viz.walk import Graph


@dataclass
class Cluster:
    """One module drawn as a box: its path from the outermost module, its type, children."""

    key: str  # a DOT-safe id, "cluster_3"
    path: str
    module: Any
    parent: Cluster | None
    children: list[Cluster] = field(default_factory=list)
    members: list[Any] = field(default_factory=list)  # nodes and leaves drawn inside

    @property
    def title(self) -> str:
        """``features.0: Conv2d``, or just the type for the outermost module."""
        kind = type(self.module).__name__
        return f"{self.path}: {kind}" if self.path else kind

    @property
    def depth(self) -> int:
        """0 for an outermost module, 1 for its children, ..."""
        d, c = 0, self.parent
        while c is not None:
            d, c = d + 1, c.parent
        return d


def _named(module: Any, method: str) -> list[tuple[str, Any]]:
    fn = getattr(module, method, None)
    if fn is None:
        return []
    try:
        return list(fn())
    except TypeError:
        return []


@dataclass
class ModuleMap:
    """Clusters for every module seen in the graph, and where each node and leaf belongs."""

    roots: list[Cluster] = field(default_factory=list)
    of_item: dict[int, Cluster] = field(default_factory=dict)  # id(node or leaf) -> cluster
    param_names: dict[int, str] = field(default_factory=dict)  # id(leaf) -> full name
    all_clusters: list[Cluster] = field(default_factory=list)


def module_map(graph: Graph) -> ModuleMap:
    """Build the cluster tree of ``graph`` in a deterministic order (first use in the walk)."""
    mm = ModuleMap()
    by_module: dict[int, Cluster] = {}
    paths: dict[int, dict[int, str]] = {}  # id(outermost) -> {id(module): path}
    param_owner: dict[int, Any] = {}  # id(parameter) -> the module that owns it

    def path_of(outer: Any, module: Any) -> str:
        table = paths.get(id(outer))
        if table is None:  # first time this outermost module is seen: read its tree once
            named = _named(outer, "named_modules") or [("", outer)]
            table = {}
            for name, m in named:
                table.setdefault(id(m), name)
            table.setdefault(id(outer), "")
            paths[id(outer)] = table
            module_at = dict(named)
            for name, p in _named(outer, "named_parameters"):
                mm.param_names.setdefault(id(p), name)
                owner = name.rpartition(".")[0]
                if id(p) not in param_owner and owner in module_at:
                    param_owner[id(p)] = module_at[owner]
        return table.get(id(module), type(module).__name__)

    def cluster_for(chain: tuple) -> Cluster:
        parent = None
        outer = chain[0]
        for module in chain:
            c = by_module.get(id(module))
            if c is None:
                c = Cluster(f"cluster_{len(mm.all_clusters)}", path_of(outer, module),
                            module, parent)
                by_module[id(module)] = c
                mm.all_clusters.append(c)
                (parent.children if parent is not None else mm.roots).append(c)
            parent = c
        assert parent is not None
        return parent

    for node in graph.nodes:
        scope = node.scope
        if scope:
            cluster = cluster_for(tuple(scope))
            mm.of_item[id(node)] = cluster
    # a parameter is drawn in the cluster of the module that owns it, if that module has one
    for leaf in graph.leaves:
        owner = param_owner.get(id(leaf))
        if owner is not None and id(owner) in by_module:
            mm.of_item[id(leaf)] = by_module[id(owner)]
    return mm
