"""Reusable memory for the large arrays of a training step: ``empty(shape, dtype)``.

Why. A convolution's column matrix and its gradient are megabytes each, freed at the end of
every step and asked for again, at the same size, in the next. glibc's ``malloc`` serves a
block that large with fresh pages from the kernel (its mmap threshold moves up to the size
of the largest block freed, and a request of that same size is still mapped afresh), so
every step page-faults every page in again: about 2.5 µs per 4 KiB page here, a quarter or
more of a conv's time (docs/performance.md). ``autocnn.perf.tune_allocator()`` fixes that
for the whole process, opt-in; this module fixes it for autocnn's own largest arrays,
without changing how anything else in the process allocates.

How. :func:`empty` keeps every buffer of at least :data:`MIN_BYTES` it hands out, and hands
a kept buffer out again (for a request of its size, or up to SLACK times smaller) only when
nothing else refers to it any more: the buffer's reference count says so (a NumPy view
keeps a reference to the array it views, and so does every Tensor, graph node or ``.grad``
holding it or a view of it). A buffer the user still holds, directly or through a view, is
never reused. A request that no kept buffer can serve lets go of the unused buffers smaller
than itself: they were free and still too small, and would otherwise hold memory for as
long as the process lives. What is handed out is uninitialised,
exactly as ``np.empty``; callers overwrite every element. This is a cache of memory, never
of values: no result depends on it.

At most :data:`MAX_BYTES` are kept; beyond that, buffers nobody uses are let go (oldest
first), and when all are in use a new request is served by plain ``np.empty``.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Sequence

import numpy as np

#: arrays smaller than this come from ``np.empty``: malloc's heap serves them from warm
#: memory anyway (the default mmap threshold starts at 128 KiB and rises with use)
MIN_BYTES = 1 << 20
#: the most memory kept for reuse, in bytes
MAX_BYTES = 256 << 20
#: a kept buffer serves a request of at least 1/SLACK of its size: a step's arrays of
#: different sizes then share memory, as they would with malloc, instead of each size
#: keeping buffers of its own. Measured on LeNet's step (docs/performance.md): 2 kept five
#: buffers (11.7 MiB: its first conv's 1.5 MiB outputs had two of their own), 3 keeps the
#: three that are in use at once at the peak (8.6 MiB: two 3.4 MiB and one 1.7 MiB).
SLACK = 3

# dtype -> flat buffers of that dtype, oldest first
_kept: dict[np.dtype, list[np.ndarray]] = {}
_kept_bytes = 0
# one thread at a time picks a buffer: between finding a buffer unused and taking the view
# that marks it used, another thread must not pick the same one
_lock = threading.Lock()


def _refcounts(buffers: list[np.ndarray]) -> list[int]:
    """``sys.getrefcount`` of each buffer, always counted from the same place (here)."""
    return [sys.getrefcount(buf) for buf in buffers]


#: the count _refcounts gives for a buffer that only its list refers to (measured, not
#: assumed: the interpreter's own references differ between Python versions)
_UNUSED = _refcounts([np.empty(0)])[0]


def _free_buffer(buffers: list[np.ndarray], nbytes: int) -> int | None:
    """The index of the smallest unused buffer of nbytes to SLACK·nbytes bytes, or None.

    Among equal sizes the latest in the list wins: the list is kept in order of use (see
    ``empty``), so that is the buffer used last, the likeliest still in the CPU's caches —
    as ``malloc`` hands back the block freed last. Picking the oldest instead made a batch
    norm step 1.5× slower (4.0 against 2.6 ms on 64×8×28×28, measured).
    """
    best = None
    for i, count in enumerate(_refcounts(buffers)):
        size = buffers[i].nbytes
        if count <= _UNUSED and nbytes <= size <= SLACK * nbytes and (
            best is None or size <= buffers[best].nbytes
        ):
            best = i
    return best


def _let_go(needed: int) -> None:
    """Drop kept buffers nobody uses, oldest first, until ``needed`` more bytes fit."""
    global _kept_bytes
    for key in list(_kept):
        buffers = _kept[key]
        unused = [i for i, count in enumerate(_refcounts(buffers)) if count <= _UNUSED]
        for i in reversed(unused):
            if _kept_bytes + needed <= MAX_BYTES:
                break
            _kept_bytes -= buffers[i].nbytes
            del buffers[i]
        if not buffers:
            del _kept[key]
        if _kept_bytes + needed <= MAX_BYTES:
            return


def _drop_smaller(buffers: list[np.ndarray], nbytes: int) -> None:
    """On a miss, let go of the unused buffers too small for it.

    A buffer that was free at this request and too small for it would otherwise be kept
    beside the new, larger one for as long as the process lives, holding memory that the
    next step serves again from the larger buffers (the first step's order of requests
    is not the order of later steps').
    """
    global _kept_bytes
    counts = _refcounts(buffers)
    for i in reversed(range(len(buffers))):
        if counts[i] <= _UNUSED and buffers[i].nbytes < nbytes:
            _kept_bytes -= buffers[i].nbytes
            del buffers[i]


def empty(shape: Sequence[int], dtype: np.dtype | type) -> np.ndarray:
    """An uninitialised C-contiguous array like ``np.empty(shape, dtype)``, reusing memory.

    Large numeric arrays (at least MIN_BYTES) come from a buffer kept from an earlier
    request (of the same size up to SLACK times larger) that nothing refers to any more;
    smaller ones, object arrays (SymPy) and requests beyond MAX_BYTES are plain
    ``np.empty``.
    """
    global _kept_bytes
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in shape)
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes < MIN_BYTES or dtype.hasobject:
        return np.empty(shape, dtype)
    with _lock:
        buffers = _kept.setdefault(dtype, [])
        best = _free_buffer(buffers, nbytes)
        if best is not None:
            buf = buffers.pop(best)
            buffers.append(buf)  # the list stays in order of use, least recent first
        else:
            _drop_smaller(buffers, nbytes)
            if _kept_bytes + nbytes > MAX_BYTES:
                _let_go(nbytes)
            if _kept_bytes + nbytes > MAX_BYTES:
                return np.empty(shape, dtype)
            buf = np.empty(count, dtype)
            _kept.setdefault(dtype, buffers).append(buf)
            _kept_bytes += nbytes
        return buf[:count].reshape(shape)  # a view: its reference marks buf as in use


def elementwise(ufunc: np.ufunc, a: np.ndarray, b: object) -> object:
    """``ufunc(a, b)`` (``np.add``, ``np.multiply``) for an array ``a`` of at least
    MIN_BYTES, its result in memory from :func:`empty`.

    Why: batch norm is a dozen full-size adds and products per layer and step, each a
    fresh array of the layer's size that glibc's ``malloc`` page-faults in again every step
    (2,300 faults and 9.4 ms of a 2.6 ms batch-norm step on 64×8×28×28, measured). The
    callers test ``a``'s size themselves, so small operands — the per-op overhead
    benchmark's — pay one comparison, not a call.

    The result dtype is ``np.result_type`` for two numeric arrays (the ufunc's own) and
    ``a``'s for a float array meeting a Python number; any other operand gets plain
    ``ufunc(a, b)``, which is what ``a + b`` and ``a * b`` are for an array ``a``.
    """
    if type(b) is np.ndarray:
        if b.ndim and a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
            shape = a.shape if a.shape == b.shape else np.broadcast_shapes(a.shape, b.shape)
            return ufunc(a, b, out=empty(shape, np.result_type(a, b)))
    elif type(b) in (float, int) and a.dtype.kind == "f":
        return ufunc(a, b, out=empty(a.shape, a.dtype))
    return ufunc(a, b)


def kept_bytes() -> int:
    """Bytes currently kept for reuse (in use or not); for tests and the docs."""
    return _kept_bytes


def release() -> int:
    """Let go of every kept buffer nobody uses; returns the bytes still kept (in use)."""
    with _lock:
        _let_go(MAX_BYTES + 1)
        return _kept_bytes
