"""``Tensor``: a NumPy array plus what reverse-mode autodiff needs to know about it.

A tensor holds ``.data`` (an ``np.ndarray``), ``.requires_grad``, ``.grad_fn`` (the node of
the primitive that produced it, ``None`` for leaves) and, for leaves, ``.grad``. Operators
and methods run primitives from ``autocnn.ops``; the few that are compositions (``mean``,
``var``, ``sqrt``, ``softmax``, ...) are written here from those primitives, so every one of
them has a backward without writing one.

Constructors (``tensor``, ``zeros``, ``randn``, ...) live here too. The default floating
dtype is float32; float64 is kept when given (gradcheck works in float64).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from autocnn import random as _random
from autocnn.autograd import grad_mode
from autocnn.autograd import hooks as _hooks

DEFAULT_DTYPE = np.dtype(np.float32)

def _backend() -> Any:
    """``autocnn.ops.backend``, the one module that knows about exact (SymPy) entries."""
    return _ops.backend


#: dtype kinds a tensor may hold: bool, ints, unsigned ints, floats, and object arrays of
#: SymPy entries. Complex numbers, datetimes, timedeltas, strings and raw bytes are refused:
#: no primitive has a rule for them (complex gradients would need a conjugate convention).
_TENSOR_KINDS = "biufO"
_KIND_NAMES = {"c": "complex", "M": "datetime", "m": "timedelta", "U": "string",
               "S": "bytes", "V": "void (raw bytes)"}


def _check_kind(dtype: np.dtype, where: str) -> None:
    if dtype.kind not in _TENSOR_KINDS:
        kind = _KIND_NAMES.get(dtype.kind, dtype.kind)
        raise TypeError(
            f"{where}: tensors hold real numbers (bool, int, uint, float), got {kind} dtype "
            f"{dtype}"
        )


def check_bool(value: Any, where: str, arg: str) -> bool:
    """``value`` as a bool, refusing anything that is not one (``"no"`` is not False)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{where}: '{arg}' must be a bool (True or False), got {value!r}")


def _check_requires_grad(dtype: np.dtype, where: str) -> None:
    if dtype.kind == "c":
        raise TypeError(
            f"{where}: complex tensors cannot require gradients (autocnn differentiates "
            f"real functions only), got dtype {dtype}"
        )
    if dtype.kind not in _backend().DIFFERENTIABLE_KINDS:
        raise TypeError(
            f"{where}: only floating-point tensors can require gradients, got dtype {dtype}. "
            "Pass dtype=ac.float32 (or float64) to make a differentiable tensor."
        )


def _to_dtype(dtype: Any, where: str) -> np.dtype | None:
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{where}: dtype must be a NumPy dtype or its name, got {dtype!r}") from exc
    _check_kind(dt, where)
    return dt


def _to_array(data: Any, dtype: np.dtype | None, where: str, copy: bool) -> np.ndarray:
    """Convert user data to an array with autocnn's dtype rules (float32 unless given)."""
    if isinstance(data, Tensor):
        arr = data.data
        return arr.astype(dtype if dtype is not None else arr.dtype, copy=copy)
    if isinstance(data, (np.ndarray, np.generic)):
        _check_kind(data.dtype, where)
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
        if _not_numbers(arr):
            raise TypeError(f"{where}: cannot make a tensor from an array of dtype {arr.dtype}")
        return arr
    if isinstance(data, (str, bytes, dict, set)) or data is None:
        raise TypeError(
            f"{where}: cannot make a tensor from {type(data).__name__} {data!r}; expected a "
            "number, a (nested) list of numbers, a NumPy array or a Tensor"
        )
    try:
        arr = np.array(data, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise TypeError(
            f"{where}: cannot make a tensor from {type(data).__name__} ({exc}); expected a "
            "number, a (nested) list of numbers of one shape, a NumPy array or a Tensor"
        ) from exc
    if _not_numbers(arr):
        raise TypeError(
            f"{where}: cannot make a tensor from {type(data).__name__} {data!r}; expected "
            "numbers (ragged lists and strings cannot become tensors)"
        )
    _check_kind(arr.dtype, where)
    if dtype is None and arr.dtype == np.float64:
        arr = arr.astype(DEFAULT_DTYPE)  # Python floats become float32, as in PyTorch
    return arr


def _not_numbers(arr: np.ndarray) -> bool:
    """Strings, bytes, or objects other than exact numbers and SymPy expressions."""
    backend = _backend()
    return arr.dtype.kind in "USV" or (backend.is_exact_array(arr)
                                       and not backend.is_exact_entries(arr))


def _as_tensor_arg(value: Any, where: str) -> Any:
    """Operands of operators: Tensors and numbers pass; lists and arrays become arrays.

    A NumPy scalar (``np.float64(2.0)``) acts as a Python number, as in PyTorch: it does
    not turn a float32 tensor into float64.
    """
    if isinstance(value, (Tensor, np.ndarray)):
        if isinstance(value, np.ndarray):
            _check_kind(value.dtype, where)
        return value
    if isinstance(value, np.generic):
        _check_kind(value.dtype, where)
        return value.item() if value.dtype.kind in "biuf" else value
    if isinstance(value, complex):
        raise TypeError(f"{where}: tensors hold real numbers, got the complex number {value!r}")
    if isinstance(value, numbers.Number):
        return value
    return _to_array(value, None, where, copy=False)


def _float_default(t: Tensor) -> Tensor:
    """An integer or bool tensor as the default float dtype (float32); others unchanged.

    PyTorch's promotion: a Python float, a true division or a floating function (exp,
    log, ...) meeting an integer tensor gives the default float dtype, not NumPy's float64.
    """
    if t.data.dtype.kind in "biu":
        return Tensor._constant(t.data.astype(DEFAULT_DTYPE))
    return t


def _operands(a: Tensor, b: Any, op: str) -> tuple[Any, Any]:
    """``a`` and the other operand, promoted as PyTorch promotes them.

    NumPy turns float32 + int64 into float64; PyTorch keeps float32. A model fed integer
    images must stay in the dtype of its weights, so integer operands meet the float dtype.
    A Python scalar never changes a floating tensor's dtype; a Python float meeting an
    integer tensor gives float32 (the default float dtype), not float64.
    """
    # fast paths first: these run for every operator of every forward and backward
    kind = type(b)
    if kind is int or (kind is Tensor and b.data.dtype is a.data.dtype):
        return a, b
    if kind is float:
        return (a if a.data.dtype.kind in "fO" else _float_default(a)), b
    b = _as_tensor_arg(b, op)
    if isinstance(b, float) and a.data.dtype.kind in "biu":
        return _float_default(a), b
    if isinstance(b, (Tensor, np.ndarray)):
        da = a.data.dtype
        db = b.data.dtype if isinstance(b, Tensor) else b.dtype
        if da is not db and da.kind != db.kind:
            if da.kind == "f" and db.kind in "biu":
                b = (b.data if isinstance(b, Tensor) else b).astype(da)
            elif db.kind == "f" and da.kind in "biu":
                a = Tensor._constant(a.data.astype(db))
    return a, b


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Make one with ``ac.tensor(data, requires_grad=False, dtype=None)``. Operations on tensors
    that require grad build a graph; ``backward()`` walks it in reverse and leaves gradients
    in the ``.grad`` of every leaf that requires grad.
    """

    # Only the three attributes every op result sets are slots; the rest are class-level
    # defaults that a tensor overrides in its own __dict__ when needed (leaves' .grad, a
    # name, a version counter), so that creating an op's result costs three stores.
    __slots__ = ("__dict__", "__weakref__", "_requires_grad", "data", "grad_fn")

    #: an optional name, shown in graph pictures and error messages
    name: str | None = None
    _vbox: list[int] | None = None

    # NumPy must not treat a Tensor as a sequence: `array * tensor` calls Tensor.__rmul__.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        arr = _to_array(data, _to_dtype(dtype, "Tensor"), "Tensor", copy=False)
        if check_bool(requires_grad, "Tensor", "requires_grad"):
            _check_requires_grad(arr.dtype, "Tensor")
        self.data = arr
        self.grad_fn = None
        self._requires_grad = bool(requires_grad)
        if name is not None:
            self.name = name

    # ------------------------------------------------------------------ fast constructors
    @classmethod
    def constant(cls, data: np.ndarray) -> Tensor:
        """A tensor that needs no gradient around ``data`` (shared, not copied, not checked):
        how library code wraps an array it computed. Users call ``ac.tensor``."""
        return Tensor._constant(data)

    @classmethod
    def _constant(cls, arr: np.ndarray) -> Tensor:
        t = object.__new__(Tensor)
        t.data = arr
        t.grad_fn = None
        t._requires_grad = False
        return t

    @classmethod
    def _from_node(cls, arr: np.ndarray, node: Any) -> Tensor:
        t = object.__new__(Tensor)
        t.data = arr
        t.grad_fn = node
        t._requires_grad = True
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = check_bool(value, "requires_grad", "requires_grad")
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "requires_grad: cannot turn off requires_grad of a non-leaf tensor (it was "
                "computed from tensors that require grad); use .detach() instead"
            )
        if value:
            _check_requires_grad(self.data.dtype, "requires_grad")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return the tensor."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self) -> Tensor | None:
        """dL/d(this tensor): filled by backward for leaves that require grad, and for
        non-leaves that called ``retain_grad()``. Reading it on another non-leaf warns."""
        g = self.__dict__.get("grad")
        if g is None and self.grad_fn is not None and "_retains_grad" not in self.__dict__:
            _warn_non_leaf_grad()
        return g

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        # As PyTorch: only None or a Tensor of this tensor's shape may be assigned; a NumPy
        # array (or a wrong shape) would break the optimisers later, far from the cause.
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"grad: assigned grad must be a Tensor or None, got "
                    f"{type(value).__name__}; wrap an array with ac.tensor(array)"
                )
            if value.data.shape != self.data.shape:
                raise ValueError(
                    f"grad: assigned grad has shape {value.data.shape}, but the tensor has "
                    f"shape {self.data.shape}"
                )
        self.__dict__["grad"] = value

    # ------------------------------------------------------------------ hooks
    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward (as PyTorch).

        A no-op on leaves, whose ``.grad`` is always filled."""
        _hooks.retain_grad(self)

    @property
    def retains_grad(self) -> bool:
        """True if ``retain_grad()`` was called on this non-leaf tensor."""
        return self.grad_fn is not None and "_retains_grad" in self.__dict__

    def register_hook(self, fn: Any) -> _hooks.RemovableHandle:
        """Call ``fn(grad)`` when the gradient w.r.t. this tensor is computed.

        ``grad`` is summed over every use of the tensor; a non-None return (a Tensor of the
        same shape) replaces it for the rest of the backward pass. Works on leaves and
        non-leaves and under ``create_graph=True``. Returns a handle with ``.remove()``.
        """
        return _hooks.register_tensor_hook(self, fn)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (their ``.grad`` is filled)."""
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        """The size along each axis."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the entries."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of entries (as ``ndarray.size``)."""
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed."""
        return self.transpose()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __hash__(self) -> int:
        return id(self)  # identity, as PyTorch: `==` is elementwise, so equality can't hash

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} entries is ambiguous; "
                "use (t == x).all() style reductions on .numpy()"
            )
        return bool(self.data.reshape(()))

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ conversion
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-entry tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one entry converts to a Python number, "
                f"got shape {self.data.shape}"
            )
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        """The entries as (nested) Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A tensor sharing this data, with no history and no grad."""
        t = Tensor._constant(self.data)
        t._vbox = self._version_box()
        t.name = self.name
        return t

    def clone(self) -> Tensor:
        """A copy of the data that keeps the history (gradients flow back through it)."""
        return self * 1 if self._requires_grad else Tensor._constant(self.data.copy())

    def astype(self, dtype: Any) -> Tensor:
        """The tensor converted to ``dtype`` (differentiable between floating dtypes)."""
        dt = _to_dtype(dtype, "astype")
        if dt == self.data.dtype:
            return self
        return _ops.Cast.apply(self, dtype=dt)

    def float(self) -> Tensor:
        """The tensor as float32."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """The tensor as float64."""
        return self.astype(np.float64)

    # ------------------------------------------------------------------ versions (in place)
    def _version_box(self) -> list[int]:
        """The shared counter that in-place changes bump (views and detach share it)."""
        box = self._vbox
        if box is None:
            box = self._vbox = [0]
        return box

    def mark_modified(self) -> None:
        """Record that ``.data`` was changed in place (optimisers, initialisers and running
        statistics call this), so a graph that saved the old values refuses to use them."""
        box = self._vbox
        if box is not None:
            box[0] += 1

    _bump_version = mark_modified  # the old private name, kept for code written against it

    @property
    def _version(self) -> int:
        return 0 if self._vbox is None else self._vbox[0]

    def _inplace(self, op: str, value: Any, fn: Any) -> Tensor:
        if grad_mode.enabled and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                    "the graph is being recorded; do the update inside `with ac.no_grad():`"
                )
            # A non-leaf: record the out-of-place op; `x += y` then rebinds x to the result.
            return fn(self, value)
        other = value.data if isinstance(value, Tensor) else np.asarray(value)
        result = fn(Tensor._constant(self.data), Tensor._constant(other)).data
        if result.shape != self.data.shape:
            raise ValueError(
                f"{op}: the result of shape {result.shape} does not fit in place into a "
                f"tensor of shape {self.data.shape}"
            )
        np.copyto(self.data, result, casting="same_kind")
        self.mark_modified()
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("+=", other, lambda a, b: a + b)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("-=", other, lambda a, b: a - b)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("*=", other, lambda a, b: a * b)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("/=", other, lambda a, b: a / b)

    def add_(self, other: Any) -> Tensor:
        """In place ``self += other`` (not allowed on tensors in a recorded graph)."""
        return self._inplace_strict("add_", other, lambda a, b: a + b)

    def sub_(self, other: Any) -> Tensor:
        """In place ``self -= other``."""
        return self._inplace_strict("sub_", other, lambda a, b: a - b)

    def mul_(self, other: Any) -> Tensor:
        """In place ``self *= other``."""
        return self._inplace_strict("mul_", other, lambda a, b: a * b)

    def div_(self, other: Any) -> Tensor:
        """In place ``self /= other``."""
        return self._inplace_strict("div_", other, lambda a, b: a / b)

    def copy_(self, other: Any) -> Tensor:
        """Copy ``other``'s values into this tensor in place."""
        return self._inplace_strict("copy_", other, lambda a, b: b.broadcast_to(a.shape))

    def fill_(self, value: float) -> Tensor:
        """Set every entry to ``value`` in place."""
        return self._inplace_strict("fill_", value, lambda a, b: b.broadcast_to(a.shape))

    def zero_(self) -> Tensor:
        """Set every entry to zero in place."""
        return self.fill_(0)

    def _inplace_strict(self, op: str, value: Any, fn: Any) -> Tensor:
        if grad_mode.enabled and self._requires_grad:
            raise RuntimeError(
                f"{op}: cannot change a tensor that requires grad in place while the graph is "
                "being recorded; use the out-of-place operator, or do it under ac.no_grad()"
            )
        return self._inplace(op, value, fn)

    def __setitem__(self, index: Any, value: Any) -> None:
        if grad_mode.enabled and self._requires_grad:
            raise RuntimeError(
                "setitem: cannot assign into a tensor that requires grad while the graph is "
                "being recorded; build the new tensor out of place, or assign under "
                "ac.no_grad()"
            )
        self.data[_index_arrays(index)] = value.data if isinstance(value, Tensor) else value
        self.mark_modified()

    # ------------------------------------------------------------------ autodiff
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is dL/d(self) and may be left out only for a one-entry tensor.
        ``retain_graph`` keeps the saved values for another backward (default: only when
        ``create_graph``); ``create_graph`` records the backward pass itself, so the
        gradients can be differentiated again.
        """
        from autocnn.autograd import engine

        if retain_graph is not None:
            check_bool(retain_graph, "backward", "retain_graph")
        check_bool(create_graph, "backward", "create_graph")
        engine.backward_from(self, gradient, retain_graph, create_graph)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        return _ops.Add.apply(*_operands(self, other, "add"))

    def __radd__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "add")
        return _ops.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "sub")
        if isinstance(b, (int, float)) and not isinstance(b, bool):
            # Negate the Python scalar in Python: it stays a "weak" scalar that does not
            # change a's dtype (Neg.apply(1) would be an int64 array: float32 − 1 → float64).
            if a.data.dtype.kind in "fO":
                return _ops.Add.apply(a, -b)
            # integer tensors never require grad: NumPy's subtract keeps their dtype
            return Tensor._constant(_integer_subtract(a.data, b))
        return _renamed(lambda: _ops.Add.apply(a, _ops.Neg.apply(b)), "add", "sub")

    def __rsub__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "sub")
        return _renamed(lambda: _ops.Add.apply(b, _ops.Neg.apply(a)), "add", "sub")

    def __mul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(*_operands(self, other, "mul"))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "mul")
        return _ops.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "div")
        if _integral(a) and _integral(b):  # true division of integers: float32, as PyTorch
            a, b = _operands(_float_default(a), b, "div")
        return _ops.Div.apply(a, b)

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "div")
        if _integral(a) and _integral(b):
            a, b = _operands(_float_default(a), b, "div")
        return _ops.Div.apply(b, a)

    def __pow__(self, exponent: Any) -> Tensor:
        return _ops.Pow.apply(*_operands(self, exponent, "pow"))

    def __rpow__(self, base: Any) -> Tensor:
        a, b = _operands(self, base, "pow")
        return _ops.Pow.apply(b, a)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(*_operands(self, other, "matmul"))

    def __rmatmul__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "matmul")
        return _ops.MatMul.apply(b, a)

    def __neg__(self) -> Tensor:
        return _ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    # comparisons give boolean tensors and are never differentiated
    def _compare(self, other: Any, ufunc: np.ufunc) -> Tensor:
        op = _COMPARISONS[ufunc]
        other = other.data if isinstance(other, Tensor) else _as_tensor_arg(other, op)
        a = self.data
        b = np.asarray(other)
        try:
            if _backend().is_exact_array(a) or _backend().is_exact_array(b):
                # symbolic entries: an array of SymPy relations (x_0 > 0), not truth values
                return Tensor._constant(_backend().compare(op, a, b))
            return Tensor._constant(np.asarray(ufunc(a, b)))
        except ValueError as exc:
            raise ValueError(
                f"{op}: cannot compare shapes {a.shape} and {b.shape}: they do not broadcast"
            ) from exc

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # ------------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        """e ** x, entry by entry."""
        return _ops.Exp.apply(_float_default(self))

    def log(self) -> Tensor:
        """The natural logarithm, entry by entry."""
        return _ops.Log.apply(_float_default(self))

    def sqrt(self) -> Tensor:
        """The square root: a composition, x ** 0.5."""
        if grad_mode.anomaly:  # name the function the user called, not only the primitive
            try:
                return _ops.Pow.apply(_float_default(self), 0.5)
            except RuntimeError as exc:
                raise RuntimeError(f"sqrt (computed as x ** 0.5): {exc}") from None
        return _ops.Pow.apply(_float_default(self), 0.5)

    def abs(self) -> Tensor:
        """|x|, entry by entry (its gradient at 0 is 0)."""
        return _ops.Abs.apply(self)

    def tanh(self) -> Tensor:
        """The hyperbolic tangent, entry by entry."""
        return _ops.Tanh.apply(_float_default(self))

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), entry by entry."""
        return _ops.Sigmoid.apply(_float_default(self))

    def relu(self) -> Tensor:
        """max(x, 0): the maximum primitive against the constant 0 (gradient 0 at x = 0)."""
        return _ops.Maximum.apply(self, 0.0)

    def maximum(self, other: Any) -> Tensor:
        """The larger of two tensors, entry by entry (a tie sends the gradient to ``other``)."""
        return _ops.Maximum.apply(self, _as_tensor_arg(other, "maximum"))

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The sum over ``axis`` (all axes when None); float16 accumulates in float32."""
        return _ops.Sum.apply(self, axis=_norm_axes(axis, self.data.ndim, "sum"),
                              keepdims=check_bool(keepdims, "sum", "keepdims"))

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The mean over ``axis``: a composition, sum / count.

        float16 is computed in float32 and rounded once at the end, as PyTorch does: the
        sum of 100,000 float16 ones (1e5 > 65504) would otherwise overflow to inf.
        """
        axes = _norm_axes(axis, self.data.ndim, "mean")
        keepdims = check_bool(keepdims, "mean", "keepdims")
        if self.data.dtype == np.float16:
            return self.astype(np.float32).mean(axis=axes, keepdims=keepdims).astype(np.float16)
        count = _count(self.data.shape, axes)
        return _ops.Sum.apply(self, axis=axes, keepdims=keepdims) / count

    def var(
        self, axis: int | Sequence[int] | None = None, keepdims: bool = False, ddof: int = 0
    ) -> Tensor:
        """The variance over ``axis``, Σ(x − mean)² / (count − ddof): a composition."""
        axes = _norm_axes(axis, self.data.ndim, "var")
        keepdims = check_bool(keepdims, "var", "keepdims")
        if not isinstance(ddof, (int, np.integer)) or isinstance(ddof, bool) or ddof < 0:
            raise TypeError(f"var: 'ddof' must be a non-negative int, got {ddof!r}")
        if self.data.dtype == np.float16:  # computed in float32, as mean (see there)
            return (self.astype(np.float32).var(axis=axes, keepdims=keepdims, ddof=ddof)
                    .astype(np.float16))
        count = _count(self.data.shape, axes)
        if count - ddof <= 0:
            raise ValueError(
                f"var: ddof={ddof} leaves no degrees of freedom for {count} entries per group"
            )
        centred = self - self.mean(axis=axes, keepdims=True)
        return (centred * centred).sum(axis=axes, keepdims=keepdims) / (count - ddof)

    def std(
        self, axis: int | Sequence[int] | None = None, keepdims: bool = False, ddof: int = 0
    ) -> Tensor:
        """The standard deviation over ``axis``, sqrt(var(axis, keepdims, ddof)): a composition.

        ``ddof`` as in ``var`` (0 by default, NumPy's); PyTorch's default is ``ddof=1``
        (``correction=1``).
        """
        return self.var(axis=axis, keepdims=keepdims, ddof=ddof).sqrt()

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The largest entry over ``axis``; its gradient goes to the first maximal entry."""
        axes = _norm_axes(axis, self.data.ndim, "max")
        _check_nonempty(self.data.shape, axes, "max")
        return _ops.Max.apply(self, axis=axes, keepdims=check_bool(keepdims, "max", "keepdims"))

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The smallest entry over ``axis``; its gradient goes to the first minimal entry."""
        axes = _norm_axes(axis, self.data.ndim, "min")
        _check_nonempty(self.data.shape, axes, "min")
        return _ops.Min.apply(self, axis=axes, keepdims=check_bool(keepdims, "min", "keepdims"))

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / Σ exp(x) along ``axis``: a composition, shifted by the max for stability."""
        return self._log_softmax(axis, "softmax").exp()

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x − log Σ exp(x) along ``axis``; stable for large inputs.

        The max is subtracted first and detached: the result does not depend on the shift,
        so its gradient needs no path through it.
        """
        return self._log_softmax(axis, "log_softmax")

    def _log_softmax(self, axis: int, op: str) -> Tensor:
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"{op}: 'axis' must be an int, got {axis!r}")
        axes = _norm_axes(axis, self.data.ndim, op)
        if not axes:  # a 0-d tensor is one class with probability 1: log p = 0
            return self * 0.0
        (ax,) = axes
        if self.data.shape[ax] == 0:  # softmax over no classes is empty, as in PyTorch
            return _float_default(self) * 0.0
        if self.data.dtype.kind in "biu":
            return _float_default(self)._log_softmax(axis, op)
        if self.data.dtype == np.float16:  # its sum of exponentials accumulates in float32
            return self.astype(np.float32)._log_softmax(axis, op).astype(np.float16)
        if _backend().is_exact_array(self.data):  # exact entries cannot overflow: no shift
            shifted = self
        else:
            shifted = self - Tensor._constant(self.data.max(axis=ax, keepdims=True))
        return shifted - shifted.exp().sum(axis=(ax,), keepdims=True).log()

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in a new shape (one axis may be −1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=_resolve_shape(shape, self.data.size,
                                                             self.data.shape))

    def view(self, *shape: Any) -> Tensor:
        """Alias of ``reshape``."""
        return self.reshape(*shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (reversed when none are given), as ``np.transpose``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        ndim = self.data.ndim
        if not axes:
            axes = tuple(range(ndim))[::-1]
        if sorted(a % ndim if -ndim <= a < ndim else a for a in axes) != list(range(ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {ndim} axes of a tensor "
                f"of shape {self.data.shape}"
            )
        axes = tuple(a % ndim for a in axes)
        return _ops.Transpose.apply(self, axes=axes)

    def permute(self, *axes: Any) -> Tensor:
        """Alias of ``transpose`` with explicit axes."""
        return self.transpose(*axes)

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        """Merge the axes ``start_axis`` … ``end_axis`` (inclusive) into one."""
        for arg, value in (("start_axis", start_axis), ("end_axis", end_axis)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"flatten: '{arg}' must be an int, got {value!r}")
        ndim = max(self.data.ndim, 1)
        (start,) = _norm_axes(start_axis, ndim, "flatten")
        (end,) = _norm_axes(end_axis, ndim, "flatten")
        if start > end:
            raise ValueError(
                f"flatten: start_axis {start_axis} comes after end_axis {end_axis} for a "
                f"tensor of {ndim} axes"
            )
        shape = self.data.shape
        # the merged size is computed, not left as -1: an empty batch (0, C, H, W) has no
        # unique -1, but its flattening (0, C·H·W) is well defined
        return self.reshape(*shape[:start], math.prod(shape[start:end + 1]), *shape[end + 1:])

    def squeeze(self, axis: int | Sequence[int] | None = None) -> Tensor:
        """Drop axes of size 1 (only ``axis`` if given; it must have size 1)."""
        shape = self.data.shape
        if axis is None:
            return self.reshape(*(s for s in shape if s != 1))
        axes = _norm_axes(axis, self.data.ndim, "squeeze")
        for a in axes:
            if shape[a] != 1:
                raise ValueError(
                    f"squeeze: axis {a} has size {shape[a]}, not 1 (tensor shape {shape})"
                )
        return self.reshape(*(s for i, s in enumerate(shape) if i not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert an axis of size 1 at position ``axis``."""
        ndim = self.data.ndim + 1
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"unsqueeze: axis {axis} is out of range for a result of {ndim} axes"
            )
        axis %= ndim
        shape = self.data.shape
        return self.reshape(*shape[:axis], 1, *shape[axis:])

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Repeat size-1 (and missing leading) axes to reach ``shape``."""
        shape = tuple(int(s) for s in shape)
        if shape == self.data.shape:
            return self
        return _ops.BroadcastTo.apply(self, shape=shape)

    def pad(self, pad_width: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
        """Pad with a constant; ``pad_width`` is one (before, after) pair per axis."""
        return _ops.Pad.apply(self, pad_width=_ops.norm_pad_width(pad_width, self.data.shape),
                              value=value)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.GetItem.apply(self, index=_index_arrays(index))


# ---------------------------------------------------------------------- helpers
def _integral(v: Any) -> bool:
    """True for bool/int tensors, arrays and Python numbers (the operands of a true division
    that PyTorch promotes to the default float dtype)."""
    if isinstance(v, Tensor):
        return v.data.dtype.kind in "biu"
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "biu"
    return isinstance(v, int)


def _integer_subtract(a: np.ndarray, b: int | float) -> np.ndarray:
    try:
        return np.subtract(a, b)
    except OverflowError as exc:
        raise ValueError(f"sub: {b!r} does not fit in the dtype {a.dtype} of the tensor") from exc


def _warn_non_leaf_grad() -> None:
    import warnings

    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
        ".grad attribute won't be populated during backward(). If you indeed want the .grad "
        "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
        "Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf "
        "Tensor instead.",
        UserWarning,
        stacklevel=3,
    )


def _renamed(run: Any, internal: str, public: str) -> Any:
    """Run a composition; its errors name the operator the user wrote, not its parts."""
    try:
        return run()
    except ValueError as exc:
        text = str(exc)
        if text.startswith(internal + ":"):
            raise ValueError(public + text[len(internal):]) from None
        raise


_COMPARISONS = {
    np.less: "lt", np.less_equal: "le", np.greater: "gt", np.greater_equal: "ge",
    np.equal: "eq", np.not_equal: "ne",
}



def _norm_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; None means all axes."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (int, np.integer, tuple, list)) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
    if ndim == 0:  # a 0-d tensor accepts axis 0 / -1 and reduces over nothing, as PyTorch
        if axis not in (0, -1, (0,), (-1,), ()):
            raise ValueError(f"{op}: axis {axis!r} is out of range for a 0-d tensor")
        return ()
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} axes"
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    count = 1
    for a in axes:
        count *= shape[a] if shape else 1
    return count


def _check_nonempty(shape: tuple[int, ...], axes: tuple[int, ...], op: str) -> None:
    if any(shape[a] == 0 for a in axes if shape):
        raise ValueError(f"{op}: cannot reduce over an empty axis (tensor shape {shape})")


def _resolve_shape(shape: tuple, size: int, old: tuple[int, ...]) -> tuple[int, ...]:
    # The common call (plain non-negative ints with the right product) returns at once:
    # reshape runs several times in every layer's forward and backward.
    if all(type(s) is int and s >= 0 for s in shape) and math.prod(shape) == size:
        return tuple(shape)
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"reshape: sizes must be ints, got {s!r} in shape {shape!r}")
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one axis may be -1, got shape {shape}")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {old} into {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    total = 1
    for s in shape:
        total *= s
    if total != size or any(s < 0 for s in shape):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {old} ({size} entries) into {shape}"
        )
    return shape


def _index_arrays(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


# ---------------------------------------------------------------------- constructors
def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (a number, nested lists, an array).

    Python floats become float32; NumPy arrays keep their dtype (float64 stays float64).
    """
    arr = _to_array(data, _to_dtype(dtype, "tensor"), "tensor", copy=True)
    if check_bool(requires_grad, "tensor", "requires_grad"):
        _check_requires_grad(arr.dtype, "tensor")
    t = Tensor._constant(arr)
    t._requires_grad = bool(requires_grad)
    t.name = name
    return t


def _shape_args(shape: tuple, op: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0:
            raise ValueError(f"{op}: sizes must be non-negative ints, got {shape}")
    return tuple(int(s) for s in shape)


def _make(arr: np.ndarray, requires_grad: bool, op: str, name: str | None = None) -> Tensor:
    if check_bool(requires_grad, op, "requires_grad"):
        _check_requires_grad(arr.dtype, op)
    t = Tensor._constant(arr)
    t._requires_grad = bool(requires_grad)
    t.name = name
    return t


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    return _to_dtype(dtype, op) or DEFAULT_DTYPE


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """A tensor of zeros: ``ac.zeros(2, 3)`` or ``ac.zeros((2, 3))``."""
    arr = np.zeros(_shape_args(shape, "zeros"), dtype=_float_dtype(dtype, "zeros"))
    return _make(arr, requires_grad, "zeros", name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """A tensor of ones."""
    arr = np.ones(_shape_args(shape, "ones"), dtype=_float_dtype(dtype, "ones"))
    return _make(arr, requires_grad, "ones", name)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    arr = np.asarray(t.data if isinstance(t, Tensor) else t)
    return _make(np.zeros(arr.shape, dtype=_to_dtype(dtype, "zeros_like") or arr.dtype),
                 requires_grad, "zeros_like", name)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``t``."""
    arr = np.asarray(t.data if isinstance(t, Tensor) else t)
    return _make(np.ones(arr.shape, dtype=_to_dtype(dtype, "ones_like") or arr.dtype),
                 requires_grad, "ones_like", name)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Standard normal samples from the generator ``ac.manual_seed`` seeds."""
    dt = _float_dtype(dtype, "randn")
    if dt.kind != "f":
        raise TypeError(f"randn: dtype must be floating, got {dt}")
    arr = _random.generator().standard_normal(_shape_args(shape, "randn"), dtype=dt)
    return _make(arr, requires_grad, "randn", name)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Uniform samples in [0, 1) from the generator ``ac.manual_seed`` seeds."""
    dt = _float_dtype(dtype, "rand")
    if dt.kind != "f":
        raise TypeError(f"rand: dtype must be floating, got {dt}")
    arr = _random.generator().random(_shape_args(shape, "rand"), dtype=dt)
    return _make(arr, requires_grad, "rand", name)


def arange(*args: Any, dtype: Any = None) -> Tensor:
    """Evenly spaced values, as ``np.arange`` (integers stay integers)."""
    return Tensor._constant(np.arange(*args, dtype=_to_dtype(dtype, "arange")))


from autocnn import ops as _ops  # noqa: E402  (the primitives need Tensor defined first)
