"""Selecting reductions: max and min over axes, whose gradient goes to the selected entry.

``Sum`` is with the arithmetic (``arithmetic.py``: it is the add of many entries); mean is a
composition.

``first_max_mask`` (where the gradient of a max goes) lives beside ``Max``, with its speed
path for small groups such as pooling windows.

``axis`` is always a sorted tuple of non-negative axes here (``Tensor`` normalises it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.engine import Function
from autocnn.ops import backend
from autocnn.ops.arithmetic import kept_shape


def _drop_axes(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the result with keepdims=False."""
    return tuple(s for i, s in enumerate(shape) if i not in axis)


def _to_the_selected(ctx: Any, grad: Any) -> Any:
    """The backward of Max and Min: dL/dy goes to the entry the saved mask selected."""
    (mask,) = ctx.saved_tensors
    if not ctx.keepdims:
        grad = grad.reshape(kept_shape(ctx.in_shape, ctx.axis))
    return grad.broadcast_to(ctx.in_shape) * mask


class Max(Function):
    """y = max_axis x;  dL/dx = dL/dy at the arg-max of each group, 0 elsewhere

    NOTE: ties send the gradient to the first maximal entry (row-major order over the
    reduced axes), as PyTorch's max_pool2d does. The mask is computed in forward, and only
    when a gradient will be needed: a boolean mask is a quarter of the float32 input.
    """

    params = ("axis", "keepdims")

    @staticmethod
    def forward(ctx, x, axis, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.in_shape = axis, keepdims, x.shape
        if not (ctx.needs_input_grad and ctx.needs_input_grad[0]):
            return backend.amax(x, axis, keepdims)
        kept = backend.amax(x, axis, True)
        ctx.save_for_backward(first_max_mask(x, axis, maximum=kept))
        return kept if keepdims else kept.reshape(_drop_axes(x.shape, axis))

    @staticmethod
    def backward(ctx, grad):
        return _to_the_selected(ctx, grad)


def first_max_mask(
    x: np.ndarray, axis: tuple[int, ...], maximum: np.ndarray | None = None
) -> np.ndarray:
    """A boolean mask, True at the first maximal entry of each reduced group.

    NOTE: ties are a policy. The gradient of a max goes to the first maximal entry in
    row-major order over the reduced axes, as PyTorch's max_pool2d and max(dim) do.
    ``maximum``, if given, is ``amax(x, axis, keepdims=True)`` already computed.
    """
    if not axis:
        return np.ones(x.shape, dtype=bool)
    if not backend.is_exact_array(x) and _group_size(x, axis) <= _SLAB_GROUPS:
        mask = _first_max_mask_slabs(x, axis, maximum)
        if mask is not None:
            return mask
    kept = [a for a in range(x.ndim) if a not in axis]
    moved = np.transpose(x, kept + list(axis))
    groups = moved.reshape(*moved.shape[: len(kept)], -1)
    try:
        winner = np.argmax(groups, axis=-1)
    except TypeError as exc:  # symbols have no order
        raise backend.unordered_error("max") from exc
    mask = np.zeros(groups.shape, dtype=bool)
    np.put_along_axis(mask, winner[..., None], True, axis=-1)
    mask = mask.reshape(moved.shape)
    inverse = np.argsort(kept + list(axis))
    mask = np.transpose(mask, inverse)
    return backend.exact_mask(mask) if backend.is_exact_array(x) else mask


#: groups of at most this many entries (pooling windows up to 4×4) take the slab loop below
_SLAB_GROUPS = 16


def _group_size(x: np.ndarray, axis: tuple[int, ...]) -> int:
    size = 1
    for a in axis:
        size *= x.shape[a]
    return size


def _first_max_mask_slabs(
    x: np.ndarray, axis: tuple[int, ...], maximum: np.ndarray | None
) -> np.ndarray | None:
    """first_max_mask for small groups: one pass per group entry, each over a whole slab.

    An argmax over a transposed view of small groups (a pooling window) is very slow in
    NumPy; comparing the k slabs ``x[..., i, ...]`` with the maximum, in row-major order,
    and keeping only hits not already taken is the same rule at elementwise speed.
    Returns None (use the argmax path) when a group holds a NaN: np.max then returns NaN,
    which equals nothing, while argmax's rule (the first NaN wins) is what we keep.
    """
    if maximum is None:
        maximum = np.max(x, axis=axis, keepdims=True)
    if maximum.dtype.kind in "fc" and np.isnan(maximum).any():
        return None
    mask = np.empty(x.shape, dtype=bool)
    taken = None
    index: list[Any] = [slice(None)] * x.ndim
    for position in np.ndindex(*(x.shape[a] for a in axis)):
        for a, i in zip(axis, position):
            index[a] = slice(i, i + 1)
        hit = mask[tuple(index)]
        np.equal(x[tuple(index)], maximum, out=hit)
        if taken is None:
            taken = hit.copy()
        else:
            np.greater(hit, taken, out=hit)  # hit and not taken
            np.logical_or(taken, hit, out=taken)
    return mask


def first_min_mask(x: np.ndarray, axis: tuple[int, ...], minimum: np.ndarray) -> np.ndarray:
    """A mask, True at the first minimal entry of each reduced group (``minimum`` is
    ``amin(x, axis, keepdims=True)``).

    The first True of ``x == minimum`` is the first maximum of that boolean array, so the
    max rule picks it; a NaN (np.min's answer for a group holding one) matches itself.
    Exact entries take the max rule on −x, which is exact for them.
    """
    if backend.is_exact_array(x):
        return first_max_mask(-x, axis)
    hits = np.equal(x, minimum)
    if x.dtype.kind == "f":
        hits |= np.isnan(x) & np.isnan(minimum)
    return first_max_mask(hits, axis)


class Min(Function):
    """y = min_axis x;  dL/dx = dL/dy at the arg-min of each group, 0 elsewhere

    Its own rule rather than −max(−x): negation overflows at an integer type's minimum,
    wraps for unsigned types (uint8 images) and is undefined for booleans.
    NOTE: ties send the gradient to the first minimal entry (row-major order over the
    reduced axes), the same policy as ``Max``.
    """

    params = ("axis", "keepdims")

    @staticmethod
    def forward(ctx, x, axis, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.in_shape = axis, keepdims, x.shape
        if not (ctx.needs_input_grad and ctx.needs_input_grad[0]):
            return backend.amin(x, axis, keepdims)
        kept = backend.amin(x, axis, True)
        ctx.save_for_backward(first_min_mask(x, axis, kept))
        return kept if keepdims else kept.reshape(_drop_axes(x.shape, axis))

    @staticmethod
    def backward(ctx, grad):
        return _to_the_selected(ctx, grad)
