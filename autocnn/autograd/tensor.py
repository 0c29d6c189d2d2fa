"""``Tensor``: a NumPy array plus what reverse-mode autodiff needs to know about it.

A tensor holds ``.data`` (an ``np.ndarray``), ``.requires_grad``, ``.grad_fn`` (the node of
the primitive that produced it, ``None`` for leaves) and, for leaves, ``.grad``. Operators
and methods run primitives from ``autocnn.ops``; the few that are compositions (``mean``,
``var``, ``sqrt``, ``softmax``, ...) are written here from those primitives, so every one of
them has a backward without writing one.

The class is split by concern into four files, and every name stays importable from
here: this file (the class: attributes, hooks, conversion, operators, methods),
``tensor_args.py`` (argument normalisation: dtypes, data, operands, axes, shapes),
``constructors.py`` (``tensor``, ``zeros``, ``randn``, ...) and ``inplace.py`` (in-place
methods and version counters, the ``InPlace`` base class). The default floating dtype is
float32; float64 is kept when given (gradcheck works in float64).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from autocnn.autograd import grad_mode
from autocnn.autograd import hooks as _hooks
from autocnn.autograd import tensor_args as _args
from autocnn.autograd.inplace import InPlace
from autocnn.autograd.tensor_args import (  # noqa: F401  (names importable from here)
    _COMPARISONS,
    DEFAULT_DTYPE,
    _as_tensor_arg,
    _backend,
    _check_kind,
    _check_nonempty,
    _check_requires_grad,
    _count,
    _float_default,
    _index_arrays,
    _integer_subtract,
    _integral,
    _norm_axes,
    _not_numbers,
    _operands,
    _renamed,
    _resolve_shape,
    _to_array,
    _to_dtype,
    check_bool,
)


class Tensor(InPlace):
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
        a, b = _operands(self, other, "matmul")
        _args._check_matmul_operands(a, b)
        return _ops.MatMul.apply(a, b)

    def __rmatmul__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, "matmul")
        _args._check_matmul_operands(b, a)
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
        axes = tuple(_args._check_axis_int(a, "transpose", "axes") for a in axes)
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
        axis = _args._check_axis_int(axis, "unsqueeze")
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"unsqueeze: axis {axis} is out of range for a result of {ndim} axes"
            )
        axis %= ndim
        shape = self.data.shape
        return self.reshape(*shape[:axis], 1, *shape[axis:])

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Repeat size-1 (and missing leading) axes to reach ``shape``."""
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (shape,)
        if not isinstance(shape, (tuple, list)) or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                for s in shape):
            raise TypeError(f"broadcast_to: 'shape' must be a tuple of non-negative ints, got "
                            f"{shape!r}")
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


_args.Tensor = Tensor

from autocnn import ops as _ops  # noqa: E402  (the primitives need Tensor defined first)

_args._ops = _ops

from autocnn.autograd.constructors import (  # noqa: E402, F401  (need Tensor; importable here)
    arange,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
