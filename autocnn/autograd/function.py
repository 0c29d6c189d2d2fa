"""``Function``: one primitive operation, its forward and its backward side by side.

A subclass is a primitive: ``forward(ctx, *arrays, **params)`` computes the result in NumPy
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
"""

from __future__ import annotations

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
            raise _freed_error(self)
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
            raise _explain(cls, args, exc) from exc  # EXTRA: name the op and the shapes
        if type(out) is not np.ndarray:
            out = _as_output(cls, ctx, out)  # a NumPy scalar, a SymPy number, or a mistake
        # 3. the output tensor, and the node only when a gradient will be needed
        result = _new(Tensor)
        result.data = out
        result._requires_grad = record
        result.grad_fn = ctx if record else None
        if record:
            _check_differentiable(cls, out)
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


def _check_differentiable(cls: type, out: np.ndarray) -> None:
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
        return Saved(item, None, None, 0, _copied_input(result.grad_fn, item, args, arrays))
    return Saved(item, None, None, 0)


def _rebuild(ctx: Function, entry: Saved) -> Any:
    """A saved value as backward sees it: an input or the output keeps its history."""
    value, origin, box, version, copy_of = entry
    if box is not None and box[0] != version:
        raise _modified_error(ctx, entry)  # EXTRA: changed in place since it was saved
    if origin is None:  # a constant, or an array computed in forward
        if copy_of is not None and grad_mode.enabled:
            raise _copy_error(ctx, copy_of)  # EXTRA: a copy cannot carry a 2nd derivative
        return Tensor._constant(value) if type(value) is np.ndarray else value
    if origin is OUTPUT:
        return Tensor._from_node(value, ctx)
    if isinstance(origin, Tensor):  # a leaf: the tensor itself, so double backward reaches it
        return origin
    return Tensor._from_node(value, origin)


def _copied_input(ctx: Function, item: np.ndarray, args: tuple, arrays: list) -> int | None:
    """The index of an input requiring grad that ``item`` is an exact copy of (``x.copy()``).

    Only for Functions written outside autocnn (its own primitives save computed masks on
    purpose): such a copy is a constant to the graph, so the first derivative is right but
    a second one would silently lose the path through it. ``_rebuild`` then refuses to
    build a double-backward graph from it, and says why.
    """
    if type(ctx).__module__.startswith("autocnn."):
        return None
    for i, (a, arr) in enumerate(zip(args, arrays)):
        if (isinstance(a, Tensor) and a._requires_grad and type(arr) is np.ndarray
                and arr.shape == item.shape and arr.dtype == item.dtype
                and np.array_equal(arr, item)):
            return i
    return None


def _freed_error(ctx: Function) -> RuntimeError:
    return RuntimeError(
        f"{ctx.name}: trying to backward through the graph a second time, or to read "
        "saved values after they were freed. The first backward() released them to "
        "give the memory back; pass retain_graph=True to that first call if you need "
        "to backward through the same graph again."
    )


def _modified_error(ctx: Function, entry: Saved) -> RuntimeError:
    kind = "its output" if entry.is_output else f"a tensor of shape {entry.value.shape}"
    return RuntimeError(
        f"{ctx.name}: {kind} that this op saved for backward was modified in place "
        f"after it was saved (version {entry.version}, now {entry.box[0]}); its gradient "
        "would be wrong. Do not change tensors in place (e.g. with an optimiser step, "
        "add_(), or x[...] = ...) between a forward pass and its backward; clone them instead."
    )


def _copy_error(ctx: Function, index: int) -> RuntimeError:
    return RuntimeError(
        f"{ctx.name}: forward saved a copy of input {index} (e.g. x.copy()) rather than the "
        "input itself, so the graph cannot see that the saved value depends on that input "
        "and a second derivative (create_graph=True, double backward) would silently miss "
        f"that path. Fix: in {ctx.name}.forward, call ctx.save_for_backward(x) with the "
        "input array itself (autocnn never changes saved inputs: in-place changes are "
        "caught by version counters), or recompute the value in backward with Tensor ops."
    )


# ---------------------------------------------------------------------- errors
def _as_output(cls: type, ctx: Function, out: Any) -> np.ndarray:
    """The result of ``forward`` as an array; a saved reference to it follows along."""
    arr = _to_array(cls, out)
    if ctx._saved:  # forward saved its result before it became an array
        ctx._saved = tuple([arr if s is out else s for s in ctx._saved])
    return arr


def _to_array(cls: type, out: Any) -> np.ndarray:
    if isinstance(out, (np.generic, int, float, complex)):
        return np.asarray(out)
    if isinstance(out, np.ndarray):  # an ndarray subclass
        return np.asarray(out)
    if backend.is_exact_scalar(out):  # a full reduction of an object array returns a bare scalar
        return np.asarray(out, dtype=object)
    if isinstance(out, tuple):
        raise TypeError(
            f"{cls.__name__}.forward returned a tuple; an autocnn Function has exactly one "
            "output (return one array, or write one Function per output)"
        )
    if isinstance(out, Tensor):
        raise TypeError(
            f"{cls.__name__}.forward returned a Tensor; forward works on NumPy arrays "
            "(its arguments are the inputs' .data) and must return an array"
        )
    raise TypeError(f"{cls.__name__}.forward returned {type(out).__name__}, expected an array")


def _shape_of(a: Any) -> str:
    if isinstance(a, Tensor):
        return str(a.shape)
    if isinstance(a, np.ndarray):
        return f"array{a.shape}"
    return repr(a)


def _explain(cls: type, args: tuple, exc: Exception) -> Exception:
    """Re-raise a NumPy error from forward with the op's name and its inputs' shapes."""
    message = str(exc)
    if message.startswith(cls.__name__.lower() + ":") or message.startswith(cls.__name__):
        return exc  # the op already explained itself
    shapes = ", ".join(_shape_of(a) for a in args)
    hint = ""
    if isinstance(exc, (AttributeError, TypeError)) and not cls.__module__.startswith("autocnn."):
        # a user's Function written in PyTorch style calls Tensor methods on its inputs
        hint = (" — note: Function.forward receives NumPy arrays (the tensors' .data), not "
                "Tensors; compute with NumPy there and return an array")
    try:
        return type(exc)(f"{cls.__name__.lower()}: {message} (inputs: {shapes}){hint}")
    except TypeError:  # an exception class whose constructor takes other arguments
        return exc


from autocnn.autograd.tensor import Tensor  # noqa: E402  (Tensor needs Function first)
from autocnn.ops import backend  # noqa: E402  (the engine's one import point into ops)

_DIFFERENTIABLE_KINDS = backend.DIFFERENTIABLE_KINDS
