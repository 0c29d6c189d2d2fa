"""Argument normalisation for tensors: the checks and conversions every entry point shares.

What a tensor may hold (dtype kinds, ``DEFAULT_DTYPE``, which dtypes may require grad),
how user data becomes an array (``_to_array``), how the operands of an operator are
promoted as PyTorch promotes them (``_operands``), and how axes, shapes and indices are
normalised once, so the primitives receive only valid, canonical arguments.

Part of the ``Tensor`` split (see ``tensor.py``): the class lives in ``tensor.py``, the
constructors in ``constructors.py``, the in-place methods and version counters in
``inplace.py``. Every name here stays importable from ``autocnn.autograd.tensor``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

#: The class and the primitives, bound by ``tensor.py`` once they exist: the helpers
#: test for the class and build tensors, and the class's methods call the helpers.
Tensor: Any = None
_ops: Any = None


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
            # NumPy already gives float op bool the float dtype (PyTorch's rule): no copy
            # of a bool mask then (the masks of ReLU's and max pooling's backward)
            if da.kind == "f" and db.kind in "iu":
                b = (b.data if isinstance(b, Tensor) else b).astype(da)
            elif db.kind == "f" and da.kind in "iu":
                a = Tensor._constant(a.data.astype(db))
    return a, b


def _integral(v: Any) -> bool:
    """True for bool/int tensors, arrays and Python numbers (the operands of a true division
    that PyTorch promotes to the default float dtype)."""
    if isinstance(v, Tensor):
        return v.data.dtype.kind in "biu"
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "biu"
    return isinstance(v, int)


def _real_value(value: Any, target: Any, op: str) -> np.ndarray:
    """A value written into ``target`` as an array, refusing what NumPy would coerce:
    None becomes NaN in a float array, a string is parsed, a complex number is cut."""
    arr = np.asarray(value)
    if arr.dtype.kind in "biuf" or (arr.dtype.kind == "O" and target.data.dtype.kind == "O"):
        return arr
    raise TypeError(f"{op}: the value must be real numbers (a number, an array or a Tensor), "
                    f"got {type(value).__name__} {value!r:.60}")


def _check_matmul_operands(a: Any, b: Any) -> None:
    for side, v in (("left", a), ("right", b)):
        ndim = np.ndim(v.data if isinstance(v, Tensor) else v)
        if ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 axis, got a 0-d {side} "
                             f"operand {v!r:.40}; multiply by a scalar with *")


def _check_axis_int(value: Any, op: str, arg: str = "axis") -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{op}: '{arg}' must be an int, got {value!r}")
    return int(value)


def _integer_subtract(a: np.ndarray, b: int | float) -> np.ndarray:
    try:
        return np.subtract(a, b)
    except OverflowError as exc:
        raise ValueError(f"sub: {b!r} does not fit in the dtype {a.dtype} of the tensor") from exc


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

