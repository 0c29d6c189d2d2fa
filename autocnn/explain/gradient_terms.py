"""``explain_grad``: the terms whose sum is one entry of a parameter's gradient.

The backward twin of ``explain_output``. A weight enters the graph through a few reshapes
and transposes into a product; the chain rule then says its gradient entry is a sum over
every place that product used it. For a conv weight (o, c, i, j) with stride s, dilation d
and padding P that is

    ∂L/∂W[o, c, i, j] = Σ_{n, p, q}  g[n, o, p, q] · x[n, c, p·s + i·d − P, q·s + j·d − P]

with g = ∂L/∂(conv output) and x the conv input (zero where the window lies in the
padding); for a linear weight (o, k): Σ_n g[n, o] · x[n, k]; for a bias: Σ g over every
position it was added to; for batch norm's γ: Σ g · x̂.

How it is found, on the user's own graph: walk from ``param`` through Reshape/Transpose
nodes (mapping the index) to the nodes that use it (MatMul, Mul, Add); run one backward
pass (``.grad`` untouched) with an engine observer (``autocnn.autograd.hooks``) that
records the gradient arriving at those nodes; read the other factor from what the node
saved for its own backward. The module that owns ``param``
(known from the graph's scope tags) names the terms as the formula above does. Uses of
any other primitive appear as one term each: the gradient that primitive sent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocnn.autograd import hooks
from autocnn.autograd.engine import Function, graph_order, run_backward
from autocnn.autograd.tensor import Tensor
from autocnn.explain._results import ToDict

#: expressions with more terms than this are not put into ``to_dict()`` (SymPy gets slow)
MAX_EXPRESSION_TERMS = 2000


@dataclass
class GradTerm(ToDict):
    """One term ``grad · factor`` of the sum (``factor`` is 1 for an addition)."""

    grad_label: str
    grad: float
    factor_label: str | None
    factor: float
    value: float


@dataclass
class GradExplanation(ToDict):
    """``param.grad[index]`` as a list of terms, their sum, and the engine's value."""

    param: str
    index: tuple[int, ...]
    formula: str
    terms: list[GradTerm] = field(default_factory=list)
    sum: float = 0.0
    grad: float = 0.0

    @property
    def matches(self) -> bool:
        """Whether the terms add up to the engine's gradient entry (to float round-off)."""
        scale = max(1.0, sum(abs(t.value) for t in self.terms))
        return bool(abs(self.sum - self.grad) <= 1e-6 * scale)

    def expression(self) -> Any:
        """The sum as an exact SymPy expression in named symbols (``g_0_1_2_3·x_0_0_3_4``)."""
        import sympy

        return sympy.Add(*[_symbol(t.grad_label) * (1 if t.factor_label is None
                                                    else _symbol(t.factor_label))
                           for t in self.terms])

    def exact_sum(self) -> Any:
        """The sum in exact rationals: every factor is the rational its float prints as."""
        import sympy

        from autocnn.symbolic.tensors import to_exact

        return sympy.Add(*[to_exact(t.grad) * to_exact(t.factor) for t in self.terms])

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON values, with the SymPy expression as text when it is small."""
        out = super().to_dict()
        out["matches"] = self.matches
        if len(self.terms) <= MAX_EXPRESSION_TERMS:
            out["expression"] = str(self.expression())
        return out


def _symbol(label: str) -> Any:
    import sympy

    name = label.replace("x̂", "xhat").replace("[", "_").replace("]", "").replace(", ", "_")
    return sympy.Symbol(name.replace("-", "m"), real=True)


def _label(name: str, idx: Any) -> str:
    return f"{name}[{', '.join(str(int(i)) for i in idx)}]"


def _broadcast_positions(operand_shape: tuple, out_shape: tuple, idx: tuple) -> list[tuple]:
    """The output positions that read operand entry ``idx`` under broadcasting."""
    lead = len(out_shape) - len(operand_shape)
    ranges = [range(s) for s in out_shape[:lead]]
    for k, s in enumerate(operand_shape):
        ranges.append(range(out_shape[lead + k]) if s == 1 else [idx[k]])
    return list(itertools.product(*ranges))


def _uses(loss: Tensor, param: Tensor, index: tuple) -> list[tuple[Function, int, tuple]]:
    """(node, operand position, index in that operand) for every use of ``param[index]``."""
    nodes = graph_order([loss.grad_fn])
    consumers: dict[int, list[tuple[Function, int]]] = {}
    for node in nodes:
        for k, edge in enumerate(node.next_edges):
            if edge is not None:
                consumers.setdefault(id(edge), []).append((node, k))
    uses = []
    stack: list[tuple[Any, tuple, tuple]] = [(param, index, param.shape)]
    while stack:
        source, idx, shape = stack.pop()
        for node, k in consumers.get(id(source), []):
            name = node.name
            if name == "Reshape":
                flat = np.ravel_multi_index(idx, shape)
                new = tuple(int(i) for i in np.unravel_index(flat, node.out_shape))
                stack.append((node, new, tuple(node.out_shape)))
            elif name == "Transpose":
                stack.append((node, tuple(idx[a] for a in node.axes), tuple(node.out_shape)))
            else:
                uses.append((node, k, idx, shape))
    return uses


def _owner(node: Function, param: Tensor) -> Any:
    for module in reversed(node.scope or ()):
        if any(p is param for p in module._parameters.values()):
            return module
    return None


def _param_name(node: Function, param: Tensor) -> str:
    scope = node.scope or ()
    if not scope:
        return "param"
    root = scope[0]
    for name, p in root.named_parameters():
        if p is param:
            return name
    return "param"


def _conv_geometry(nodes_in_scope: list[Function], module: Any) -> tuple[int, int, int] | None:
    """(N, Ho, Wo) of the conv's output, read from its (F_out, N, Ho, Wo) reshape."""
    for node in nodes_in_scope:
        shape = tuple(node.out_shape)
        if node.name == "Reshape" and len(shape) == 4 and shape[0] == module.out_channels:
            return shape[1], shape[2], shape[3]
    return None


def explain_grad(loss: Tensor, param: Tensor, index: Any) -> GradExplanation:
    """The terms whose sum is ``param.grad[index]`` for the gradient of ``loss``.

    ``loss`` is a scalar tensor whose graph is still alive (before ``loss.backward()``, or
    after ``loss.backward(retain_graph=True)``); ``param`` a tensor it depends on (a
    parameter of the model); ``index`` an entry of ``param``. One extra backward pass runs;
    no ``.grad`` is changed. The result lists the terms (``.terms``), their ``.sum``, the
    engine's gradient entry ``.grad`` and ``.matches``; ``.expression()`` is the same sum
    in SymPy symbols and ``.exact_sum()`` its exact rational value.

    Example::

        loss = F.cross_entropy(model(x), y)
        e = explain.explain_grad(loss, model[0].weight, (3, 0, 1, 2))
        e.terms[0].grad_label, e.terms[0].factor_label    # 'g[0, 3, 0, 0]', 'x[0, 0, 0, 1]'
        e.sum, e.grad
    """
    where = "explain.explain_grad"
    if not isinstance(loss, Tensor) or loss.size != 1:
        raise ValueError(f"{where}: 'loss' must be a scalar Tensor, got "
                         f"{getattr(loss, 'shape', type(loss).__name__)}")
    if loss.grad_fn is None:
        raise ValueError(f"{where}: 'loss' has no graph (was it computed under no_grad?)")
    if not isinstance(param, Tensor) or not param.requires_grad:
        raise TypeError(f"{where}: 'param' must be a Tensor that requires grad, got "
                        f"{type(param).__name__}")
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        index = (int(index),)
    index = tuple(int(i) for i in index)
    if len(index) != param.ndim or not all(0 <= i < s for i, s in zip(index, param.shape)):
        raise ValueError(f"{where}: 'index' {index} is not an entry of 'param' of shape "
                         f"{tuple(param.shape)}")
    uses = _uses(loss, param, index)
    if not uses:
        raise ValueError(f"{where}: 'loss' does not depend on 'param'")
    seen: dict[int, tuple[np.ndarray, tuple]] = {}
    wanted = {id(node) for node, *_ in uses}

    class Recorder:
        """An engine observer: keeps the gradient arriving at the nodes that use param."""

        def after_node(self, node: Function, grad_out: Tensor, grads: tuple) -> None:
            if id(node) in wanted:
                seen[id(node)] = (np.asarray(grad_out.data), grads)

    ones = Tensor(np.ones(loss.shape, dtype=loss.data.dtype))
    handle = hooks.add_observer(Recorder())
    try:
        (total,) = run_backward([loss], [ones], retain_graph=True, create_graph=False,
                                targets=[param])
    finally:
        handle.remove()
    engine = float(total.data[index]) if total is not None else 0.0

    all_nodes = graph_order([loss.grad_fn])
    terms: list[GradTerm] = []
    formulas: list[str] = []
    name = _param_name(uses[0][0], param)
    for node, k, idx, shape in uses:
        g, grads = seen.get(id(node), (None, None))
        if g is None:
            continue
        module = _owner(node, param)
        kind = type(module).__name__ if module is not None else ""
        in_scope = [n for n in all_nodes if module is not None and module in (n.scope or ())]
        new, text = _decompose(node, k, idx, shape, g, grads, kind, module, in_scope)
        terms.extend(new)
        formulas.append(text)
    s = float(sum(t.value for t in terms))
    return GradExplanation(param=name, index=index, formula=" + ".join(formulas),
                           terms=terms, sum=s, grad=engine)


def _decompose(node, k, idx, shape, g, grads, kind, module, in_scope):
    """The terms one use of the parameter entry contributes, and their formula as text."""
    name = node.name
    if name == "MatMul" and g.ndim == 2:
        a, b = (t.data for t in node.saved_tensors)
        if k == 0:  # A[r, c]: Σ_j G[r, j] · B[c, j]
            r, c = idx
            pairs = [((r, j), (c, j), g[r, j], b[c, j]) for j in range(g.shape[1])]
            geo = _conv_geometry(in_scope, module) if kind == "Conv2d" else None
            if geo is not None:
                return _conv_terms(pairs, module, geo), (
                    "Σ_{n,p,q} g[n, o, p, q] · x[n, c, p·s + i·d − P, q·s + j·d − P]")
            return [GradTerm(_label("g", gi), float(gv), _label("B", bi), float(bv),
                             float(gv * bv)) for gi, bi, gv, bv in pairs], "Σ_j g[r, j] · B[c, j]"
        r, c = idx  # B[r, c]: Σ_i A[i, r] · G[i, c]
        if kind == "Linear":
            return [GradTerm(_label("g", (i, c)), float(g[i, c]), _label("x", (i, r)),
                             float(a[i, r]), float(g[i, c] * a[i, r]))
                    for i in range(g.shape[0])], "Σ_n g[n, o] · x[n, k]"
        return [GradTerm(_label("g", (i, c)), float(g[i, c]), _label("A", (i, r)),
                         float(a[i, r]), float(g[i, c] * a[i, r]))
                for i in range(g.shape[0])], "Σ_i g[i, c] · A[i, r]"
    if name in ("Add", "Mul"):
        positions = _broadcast_positions(shape, g.shape, idx)
        geo = _conv_geometry(in_scope, module) if kind == "Conv2d" else None
        if name == "Add":
            labels = [_conv_out_label(p, geo) if geo else _label("g", p) for p in positions]
            return [GradTerm(lab, float(g[p]), None, 1.0, float(g[p]))
                    for lab, p in zip(labels, positions)], "Σ g over the positions it is added to"
        saved = node.saved_tensors
        other = saved[1 - k]
        if other is not None:
            factor = np.broadcast_to(other.data, g.shape)
            fname = "x̂" if kind.startswith("BatchNorm") else "other"
            return [GradTerm(_label("g", p), float(g[p]), _label(fname, p), float(factor[p]),
                             float(g[p] * factor[p])) for p in positions], (
                f"Σ g · {fname} over the positions it multiplies")
    # any other primitive: the gradient it sent, as one term
    sent = grads[k].data if grads is not None and grads[k] is not None else None
    value = float(np.asarray(sent)[idx]) if sent is not None else 0.0
    return [GradTerm(f"from {name}", value, None, 1.0, value)], f"(gradient from {name})"


def _conv_out_label(pos: tuple, geo: tuple[int, int, int]) -> str:
    o, j = pos
    n, rest = divmod(j, geo[1] * geo[2])
    return _label("g", (n, o, *divmod(rest, geo[2])))


def _conv_terms(pairs, module, geo) -> list[GradTerm]:
    _, Ho, Wo = geo
    kh, kw = module.kernel_size
    s, pad, d = module.stride, module.padding, module.dilation
    terms = []
    for (o, j), (c_flat, _), gv, xv in pairs:
        n, rest = divmod(j, Ho * Wo)
        p, q = divmod(rest, Wo)
        c, rest = divmod(c_flat, kh * kw)
        i, jj = divmod(rest, kw)
        h, w = p * s[0] + i * d[0] - pad[0], q * s[1] + jj * d[1] - pad[1]
        terms.append(GradTerm(_label("g", (n, o, p, q)), float(gv), _label("x", (n, c, h, w)),
                              float(xv), float(gv * xv)))
    return terms


__all__ = ["GradExplanation", "GradTerm", "explain_grad"]
