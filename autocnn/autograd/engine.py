"""The engine: a primitive call records a graph node (``Function``), and ``run_backward``
runs the recorded graph in reverse — reverse-mode automatic differentiation in one file.

**Recording.** A ``Function`` is one primitive operation, its forward and its backward side
by side. A subclass is a primitive: ``forward(ctx, *arrays, **params)`` computes the result in NumPy
and saves what backward needs with ``ctx.save_for_backward``; ``backward(ctx, grad)``
returns one gradient per positional input, written with Tensor operations so that the
gradient is itself differentiable (double backward). ``MyFn.apply(*inputs)`` runs it.

The ``ctx`` *is* the graph node. When grad mode is on and an input requires grad, ``apply``
keeps the node as the output's ``grad_fn`` and fills in:

- ``next_edges``: for each positional input, where its gradient goes — the node that
  produced it, the leaf tensor whose ``.grad`` collects it, or ``None`` (no gradient needed).
  The node does not hold its non-leaf inputs, so their arrays are freed unless saved.
- ``out_shape`` / ``out_dtype``: what the engine checks incoming gradients against.
- the saved arrays, each with its origin (an input, the output, or a constant) and the
  version of the tensor it came from, so ``saved_tensors`` can rebuild graph-connected
  tensors and refuse to run on data that was changed in place since.

Nodes never reference their own output tensor, so graphs hold no reference cycles and are
freed by reference counting alone.

**Running it backward.** ``graph_order`` lists the nodes reachable from the outputs so
that every node comes after all the nodes that use its output (Kahn's algorithm with
dependency counts, an explicit stack, no recursion: a chain of 100,000 ops is fine).
``run_backward`` walks that order once: it pops the finished gradient of each node from a
local map keyed by ``id(node)``, calls the node's backward rule, sums each returned gradient
back to its input's shape (the one place where broadcasting is undone) and adds it to the
map entry of the input's node, or to a leaf's ``.grad``. Intermediate gradients never live
on tensors or nodes, so a second backward is correct and their memory goes back as soon as
they are used.

Backward rules are written with Tensor operations. With ``create_graph=False`` they run
under no-grad and record nothing; with ``create_graph=True`` they record a graph of the
gradient itself, which is what double backward differentiates.

What is not the algorithm — error messages and repairs of a forward's or a backward's
result (``node_errors.py``), checks of backward()'s and grad()'s arguments
(``backward_args.py``), hooks, observers and grad() targets (``extras.py``), exact SymPy
arithmetic (``ops/backend.py``) — sits behind one named call each, marked ``EXTRA``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np

from autocnn.autograd import anomaly, grad_mode

#: the origin of a saved value that is the node's own output (see ``Saved``)
OUTPUT = object()
#: what ``_saved`` holds once a backward without retain_graph released the saved values
FREED = object()


class Function:
    """Base class of every primitive; subclass it to add one (see the module docstring).

    Example::

        class Cube(Function):
            '''y = x³;  dL/dx = dL/dy · 3x²'''

            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 3 * x * x

        y = Cube.apply(x)
    """

    __slots__ = ("__dict__", "__weakref__", "_saved", "next_edges", "out_dtype", "out_shape")

    #: the modules that made this node, outermost first (set by ``tag_scope``)
    scope: tuple | None = None
    #: where user code created the node (recorded only under anomaly mode)
    _stack: str | None = None

    #: ctx attributes that describe the op (shown in graph pictures and anomaly reports)
    params: ClassVar[tuple[str, ...]] = ()
    #: True for ops whose output may be a NumPy view of input 0 (they share its version)
    returns_view: ClassVar[bool] = False

    # ------------------------------------------------------------------ to override
    @staticmethod
    def forward(ctx: Function, *args: Any, **kwargs: Any) -> np.ndarray:
        """Compute the output from NumPy arrays (and constants); return one array."""
        raise NotImplementedError(f"{type(ctx).__name__} must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Function, grad_output: Any) -> Any:
        """Return dL/d(input) for each positional input (a Tensor, or None if not needed)."""
        raise NotImplementedError(
            f"{type(ctx).__name__} must implement backward(ctx, grad_output)"
        )

    # ------------------------------------------------------------------ ctx helpers
    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays (inputs, the output, or values computed in forward) for backward."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as Tensors connected to the graph (inputs and output keep their
        history, so a backward written with them is differentiable again)."""
        if self._saved is FREED:
            raise node_errors.freed_error(self)
        return tuple([_rebuild(self, entry) for entry in self._saved])

    @property
    def saved(self) -> tuple[Saved, ...]:
        """What this node saved, as ``Saved`` records read by field (empty once freed):
        for tools that look at a graph (``viz``) without running its backward."""
        saved = self._saved
        return () if saved is FREED else tuple(e for e in saved if isinstance(e, Saved))

    @property
    def freed(self) -> bool:
        """True once a backward without ``retain_graph`` released the saved values."""
        return self._saved is FREED

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each positional input: does the backward pass need its gradient?"""
        return tuple([edge is not None for edge in self.next_edges])

    @property
    def name(self) -> str:
        """The primitive's name, e.g. ``Mul``."""
        return type(self).__name__

    def describe(self) -> dict[str, Any]:
        """The op's parameters (stride, axis, ...) as a dict, for labels and messages."""
        return {p: getattr(self, p) for p in self.params if hasattr(self, p)}

    def release(self) -> None:
        """Free the saved values (the engine calls this after a backward)."""
        if self._saved:
            self._saved = FREED

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.describe().items())
        return f"<{self.name}({args})>"

    # ------------------------------------------------------------------ running it
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run the primitive on ``args`` (Tensors or constants) and record it if needed."""
        # The hottest function of the package: the textbook steps inline, extras named.
        ctx = _new(cls)
        ctx._saved = ()
        # 1. each input's array, and where its gradient goes: the node that made it, the
        #    leaf itself, or nowhere (None)
        arrays, edges, record, constants = [], [], False, False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                if a._requires_grad:
                    record = True
                    edges.append(a.grad_fn or a)
                else:
                    edges.append(None)
            else:
                arrays.append(a)
                edges.append(None)
                constants = True
        record = record and grad_mode.enabled
        ctx.next_edges = edges if record else ()  # forward may read ctx.needs_input_grad
        if constants:
            arrays = backend.exact_constants(arrays)  # EXTRA: exact arithmetic (SymPy)
        # 2. the forward computation, in NumPy
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except (ValueError, IndexError, TypeError, AttributeError) as exc:
            raise node_errors.explain(cls, args, exc) from exc  # EXTRA: name op, shapes
        if type(out) is not np.ndarray:
            out = node_errors.as_output(cls, ctx, out)  # a NumPy scalar, SymPy, a mistake
        # 3. the output tensor, and the node only when a gradient will be needed
        result = _new(Tensor)
        result.data = out
        result._requires_grad = record
        result.grad_fn = ctx if record else None
        if record:
            _check_floating(cls, out)
            ctx.next_edges = tuple(edges)
            ctx.out_shape = out.shape
            ctx.out_dtype = out.dtype
            if ctx._saved:  # what backward needs, each with its origin and version
                ctx._saved = tuple([_remember(s, args, arrays, out, result)
                                    for s in ctx._saved])
        if cls.returns_view and isinstance(args[0], Tensor):
            result._vbox = args[0]._version_box()  # EXTRA: a view shares its version counter
        if grad_mode.anomaly:
            anomaly.after_forward(cls, ctx, arrays, out, record)  # EXTRA: anomaly mode
        return result


_new = object.__new__


def _check_floating(cls: type, out: np.ndarray) -> None:
    if out.dtype.kind not in _DIFFERENTIABLE_KINDS:
        raise TypeError(
            f"{cls.__name__}: an op recorded for backward must give a floating result, "
            f"got dtype {out.dtype}"
        )


# ---------------------------------------------------------------------- saved values
class Saved(NamedTuple):
    """One value a node saved for backward, as ``saved_tensors`` rebuilds it.

    ``origin`` is where the value came from: the input's node, the input leaf itself,
    ``OUTPUT`` (the node's own output) or None (a constant, or an array computed in
    forward). ``box``/``version`` are the version counter of the tensor it came from and
    its value at saving time (None/0 for constants), so a later in-place change is caught.
    ``copy_of`` is the index of the input a constant is an exact copy of (user Functions
    only, see ``_copied_input``), else None.
    """

    value: Any
    origin: Any
    box: list[int] | None
    version: int
    copy_of: int | None = None

    @property
    def is_output(self) -> bool:
        """True if the value is the node's own output."""
        return self.origin is OUTPUT


def _remember(item: Any, args: tuple, arrays: list, out: np.ndarray, result: Tensor) -> Saved:
    """Describe a saved item (see ``Saved``). Matching is by identity: a saved array *is*
    an input's ``.data`` or the output."""
    if isinstance(item, Tensor):
        box = item._version_box()
        return Saved(item.data, item.grad_fn or (item if item._requires_grad else None),
                     box, box[0])
    if item is out:
        box = result._version_box()
        return Saved(out, OUTPUT, box, box[0])
    if isinstance(item, np.generic):  # NumPy gives 0-d results as scalars
        return Saved(np.asarray(item), None, None, 0)
    if type(item) is np.ndarray:
        for a, arr in zip(args, arrays):
            if arr is item and isinstance(a, Tensor):
                box = a._version_box()
                return Saved(item, a.grad_fn or (a if a._requires_grad else None), box, box[0])
        copy_of = node_errors.copied_input(result.grad_fn, item, args, arrays)
        return Saved(item, None, None, 0, copy_of)
    return Saved(item, None, None, 0)


def _rebuild(ctx: Function, entry: Saved) -> Any:
    """A saved value as backward sees it: an input or the output keeps its history."""
    value, origin, box, version, copy_of = entry
    if box is not None and box[0] != version:
        raise node_errors.modified_error(ctx, entry)  # EXTRA: changed in place since
    if origin is None:  # a constant, or an array computed in forward
        if copy_of is not None and grad_mode.enabled:
            raise node_errors.copy_error(ctx, copy_of)  # EXTRA: a copy has no 2nd derivative
        return Tensor._constant(value) if type(value) is np.ndarray else value
    if origin is OUTPUT:
        return Tensor._from_node(value, ctx)
    if isinstance(origin, Tensor):  # a leaf: the tensor itself, so double backward reaches it
        return origin
    return Tensor._from_node(value, origin)


# ---------------------------------------------------------------------- backward
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


def _add_plain(a: Tensor, b: Tensor) -> Tensor:
    x, y = a.data, b.data
    if type(x) is np.ndarray and x.nbytes >= workspace.MIN_BYTES:  # reused memory (ops)
        return Tensor._constant(workspace.elementwise(np.add, x, y))
    return Tensor._constant(x + y)


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
                grads = node_errors.one_per_input(node, grads)
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


def _fit(grad: Any, edge: Function | Tensor, node: Function, index: int) -> Tensor:
    """A gradient a backward returned, as a Tensor of its input's shape and dtype."""
    if type(grad) is not Tensor:
        grad = node_errors.as_grad(grad, node, index)
    if isinstance(edge, Function):
        shape, dtype = edge.out_shape, edge.out_dtype
    else:
        shape, dtype = edge.data.shape, edge.data.dtype
    if grad.data.shape != shape:
        grad = _sum_to(grad, shape, node, index)
    if grad.data.dtype is not dtype and not backend.keeps_dtype(grad.data.dtype, dtype):
        grad = grad.astype(dtype)
    return grad


def backward_from(
    tensor: Tensor, gradient: Any, retain_graph: bool | None, create_graph: bool
) -> None:
    """``Tensor.backward``: accumulate gradients into the leaves' ``.grad``."""
    backward_args.check_differentiable(tensor, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    g = backward_args.root_grad(tensor, gradient, "backward")  # dL/d(tensor): ones for a scalar
    g = backward_args.unaliased(g, gradient, create_graph)
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
    outs = backward_args.tensor_list(outputs, "outputs")
    ins = backward_args.tensor_list(inputs, "inputs")
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
        backward_args.check_differentiable(o, "grad", i)
    if retain_graph is None:
        retain_graph = create_graph
    roots = [backward_args.root_grad(o, g, "grad") for o, g in zip(outs, grad_outputs)]
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


# Imported last: these modules need Function (and Tensor) to exist already.
from autocnn import ops as _ops  # noqa: E402  (the engine's one import point into ops)
from autocnn.autograd import backward_args, node_errors  # noqa: E402
from autocnn.autograd.extras import backward_pass  # noqa: E402
from autocnn.autograd.tensor import Tensor  # noqa: E402  (Tensor needs Function first)
from autocnn.ops import backend, workspace  # noqa: E402

_DIFFERENTIABLE_KINDS = backend.DIFFERENTIABLE_KINDS
