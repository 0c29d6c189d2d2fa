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

import sys
from typing import Any, ClassVar

import numpy as np

from autocnn.autograd import grad_mode

_SELF = object()  # marks a saved array that is the node's own output
_FREED = object()  # marks saved values released by a backward without retain_graph


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
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name}: trying to backward through the graph a second time, or to read "
                "saved values after they were freed. The first backward() released them to "
                "give the memory back; pass retain_graph=True to that first call if you need "
                "to backward through the same graph again."
            )
        return tuple([_rebuild(self, entry) for entry in saved])

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
            self._saved = _FREED

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.describe().items())
        return f"<{self.name}({args})>"

    # ------------------------------------------------------------------ running it
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run the primitive on ``args`` (Tensors or constants) and record it if needed."""
        # This is the hottest function of the package: every op of every forward and of
        # every backward passes here once, so it is written for speed.
        ctx = _new(cls)
        ctx._saved = ()
        arrays = []
        edges = []
        record = False
        has_float = False
        for a in args:
            if type(a) is Tensor or isinstance(a, Tensor):
                arrays.append(a.data)
                if a._requires_grad:
                    record = True
                    edges.append(a.grad_fn or a)
                else:
                    edges.append(None)
            else:
                if isinstance(a, float):
                    has_float = True
                arrays.append(a)
                edges.append(None)
        if has_float:
            arrays = _exact_constants(arrays)
        if record and not grad_mode.enabled:
            record = False
        ctx.next_edges = edges if record else ()
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except (ValueError, IndexError, TypeError, AttributeError) as exc:
            raise _explain(cls, args, exc) from exc
        raw_out = out  # forward may have saved it before it is made an array
        if type(out) is not np.ndarray:
            out = _as_output(cls, out)
        if grad_mode.anomaly:
            _anomaly_check_forward(cls, ctx, arrays, out)

        result = _new(Tensor)
        result.data = out
        if cls.returns_view and isinstance(args[0], Tensor):
            result._vbox = args[0]._version_box()
        if not record:
            result._requires_grad = False
            result.grad_fn = None
            return result
        if out.dtype.kind not in "fcO":
            raise TypeError(
                f"{cls.__name__}: an op recorded for backward must give a floating result, "
                f"got dtype {out.dtype}"
            )
        result._requires_grad = True
        result.grad_fn = ctx
        ctx.next_edges = tuple(edges)
        ctx.out_shape = out.shape
        ctx.out_dtype = out.dtype
        if grad_mode.anomaly:
            ctx._stack = _user_frame()
        if ctx._saved:
            ctx._saved = tuple([_origin(args, arrays, out, raw_out, result, s)
                                for s in ctx._saved])
        return result


_new = object.__new__


# ---------------------------------------------------------------------- saved values
def _origin(args: tuple, arrays: list, out: np.ndarray, raw_out: Any, result: Tensor, item):
    """Describe a saved item as (value, origin, version box, version) for ``_rebuild``.

    The origin is the input tensor's node (or the leaf tensor itself), ``_SELF`` for the
    output, or ``None`` for a constant. Matching is by identity: a saved array *is* an
    input's ``.data`` or the output.
    """
    if isinstance(item, Tensor):
        box = item._version_box()
        return (item.data, item.grad_fn or (item if item._requires_grad else None), box, box[0])
    if item is out or item is raw_out:
        box = result._version_box()
        return (out, _SELF, box, box[0])
    if isinstance(item, np.generic):  # NumPy gives 0-d results as scalars
        return (np.asarray(item), None, None, 0)
    if type(item) is not np.ndarray:
        return (item, None, None, 0)
    for a, arr in zip(args, arrays):
        if arr is item and isinstance(a, Tensor):
            box = a._version_box()
            origin = a.grad_fn or (a if a._requires_grad else None)
            return (item, origin, box, box[0])
    return (item, None, None, 0)


def _rebuild(ctx: Function, entry: tuple) -> Any:
    value, origin, box, version = entry
    if box is not None and box[0] != version:
        kind = "its output" if origin is _SELF else f"a tensor of shape {value.shape}"
        raise RuntimeError(
            f"{ctx.name}: {kind} that this op saved for backward was modified in place "
            f"after it was saved (version {version}, now {box[0]}); its gradient would be "
            "wrong. Do not change tensors in place (e.g. with an optimiser step, add_(), or "
            "x[...] = ...) between a forward pass and its backward; clone them instead."
        )
    if type(value) is not np.ndarray:
        return value
    if origin is None:
        return Tensor._constant(value)
    if origin is _SELF:
        return Tensor._from_node(value, ctx)
    if isinstance(origin, Tensor):  # a leaf: the tensor itself, so double backward reaches it
        return origin
    return Tensor._from_node(value, origin)


# ---------------------------------------------------------------------- errors
def _as_output(cls: type, out: Any) -> np.ndarray:
    if isinstance(out, (np.generic, int, float, complex)):
        return np.asarray(out)
    if isinstance(out, np.ndarray):  # an ndarray subclass
        return np.asarray(out)
    if _is_exact_scalar(out):  # a full reduction of an object array returns a bare scalar
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


def _exact_constants(arrays: list) -> list:
    """Float constants meeting an object (SymPy) array become exact rationals.

    Otherwise ``Rational(1, 3) + 1e-5`` is a 15-digit SymPy Float and an exact gradient
    check of, say, batch norm (ε = 1e-5) would silently lose its exactness.
    """
    for x in arrays:  # a plain loop: this runs for every op with a float constant (relu)
        if type(x) is np.ndarray and x.dtype.kind == "O":
            break
    else:
        return arrays
    import sympy

    return [(sympy.Rational(repr(float(x))) if np.isfinite(x) else sympy.sympify(float(x)))
            if isinstance(x, float) else x for x in arrays]


def _is_exact_scalar(out: Any) -> bool:
    """A SymPy expression or a fractions.Fraction (entries of symbolic tensors)."""
    import fractions

    return isinstance(out, fractions.Fraction) or type(out).__module__.startswith("sympy.")


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


# ---------------------------------------------------------------------- anomaly mode
def _user_frame() -> str:
    """The innermost line of code outside autocnn's own package (who called the op)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if _PACKAGE_DIR not in filename:
            import linecache

            line = linecache.getline(filename, frame.f_lineno).strip()
            return f"{filename}:{frame.f_lineno}: {line}"
        frame = frame.f_back
    return "<unknown>"


def _bad_indices(arr: np.ndarray, limit: int = 3) -> list[tuple[int, ...]]:
    bad = np.argwhere(~np.isfinite(arr))
    return [tuple(int(i) for i in row) for row in bad[:limit]]


def _value_at(arr: Any, index: tuple[int, ...], out_shape: tuple[int, ...]) -> str | None:
    """The input's value at an output index, when the input broadcasts elementwise to it."""
    if not isinstance(arr, np.ndarray):
        return repr(arr) if isinstance(arr, (int, float)) else None
    if arr.ndim > len(out_shape):
        return None
    offset = len(out_shape) - arr.ndim
    idx = []
    for axis, size in enumerate(arr.shape):
        out_size = out_shape[offset + axis]
        if size == out_size:
            idx.append(index[offset + axis])
        elif size == 1:
            idx.append(0)
        else:
            return None
    return repr(arr[tuple(idx)].item()) if arr.dtype.kind in "fiub" else None


def _anomaly_check_forward(cls: type, ctx: Function, arrays: list, out: np.ndarray) -> None:
    if out.dtype.kind not in "fc" or np.isfinite(out).all():
        return
    indices = _bad_indices(out)
    first = indices[0] if indices else ()
    kind = "nan" if np.isnan(out[first]) else "inf"
    lines = [
        f"detect_anomaly: {cls.__name__} produced {kind} at index {first} of its output "
        f"(shape {out.shape}).",
        f"  called from {_user_frame()}",
    ]
    for i, arr in enumerate(arrays):
        value = _value_at(arr, first, out.shape)
        if value is not None:
            lines.append(f"  input {i} of {cls.__name__.lower()} received {value} at {first}")
        elif isinstance(arr, np.ndarray) and arr.dtype.kind == "f" and not np.isfinite(arr).all():
            lines.append(f"  input {i} already held nan/inf at {_bad_indices(arr)}")
    params = ctx.describe()
    if params:
        lines.append(f"  parameters: {params}")
    raise RuntimeError("\n".join(lines))


def anomaly_check_backward(node: Function, grads: tuple) -> None:
    """Raise if a backward (under anomaly mode) returned a NaN or inf gradient."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        arr = g.data if isinstance(g, Tensor) else np.asarray(g)
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            first = _bad_indices(arr)[0]
            kind = "nan" if np.isnan(arr[first]) else "inf"
            raise RuntimeError(
                f"detect_anomaly: the backward of {node.name} returned {kind} in the gradient "
                f"of its input {i} at index {first}.\n"
                f"  {node.name} was created at {node._stack or '<created outside anomaly mode>'}"
            )


_PACKAGE_DIR = __file__.rsplit("autograd", 1)[0]

from autocnn.autograd.tensor import Tensor  # noqa: E402  (Tensor needs Function first)
