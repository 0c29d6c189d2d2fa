"""Opt-in performance settings that change the process, not the library's results.

autocnn allocates a fresh NumPy array for every intermediate of a forward and backward
pass. With glibc's default ``malloc`` each array above the mmap threshold (128 KiB at
start) gets fresh pages from the kernel, and every page costs a minor page fault when first
written — a few microseconds per 4 KiB page, a large share of a small convolution's time
(see ``docs/performance.md``). :func:`tune_allocator` asks glibc to keep large blocks in the
heap and not give freed memory back to the kernel, so the next step reuses warm pages.

It is never turned on at import: it changes the whole process (every library in it, which
is why the benchmarks apply it to autocnn and PyTorch alike), and the memory a process
frees is then kept rather than returned to the system. The ``autocnn train`` command and
scripts that want the speed call it once at start-up. On systems without glibc (macOS,
Windows, musl) it does nothing and says so.

:func:`limit_blas_threads` is the other process-wide setting: it asks OpenBLAS to use one
thread (or a few), which on a busy machine makes small matrix products much faster.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Any

# mallopt parameter numbers, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: glibc's ceiling for M_MMAP_THRESHOLD on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)
MAX_MMAP_THRESHOLD = 32 * 1024 * 1024
_INT_MAX = 2**31 - 1


def _glibc() -> Any | None:
    """The C library as a ctypes handle if it is glibc (has ``mallopt``), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        version = libc.gnu_get_libc_version
        libc.mallopt  # noqa: B018 - raises AttributeError when absent
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_char_p
    return libc


def tune_allocator(
    mmap_threshold: int = MAX_MMAP_THRESHOLD, trim_threshold: int = 256 * 1024 * 1024
) -> dict[str, Any]:
    """Make glibc's malloc reuse freed memory for large arrays instead of fresh pages.

    Sets ``M_MMAP_THRESHOLD`` (blocks at least this large, in bytes, are mapped afresh from
    the kernel and unmapped when freed; at most 32 MiB) and ``M_TRIM_THRESHOLD`` (free
    memory at the top of the heap beyond this many bytes is returned to the kernel). Raising
    both keeps the arrays of one training step in warm pages for the next step; the process
    keeps up to about ``trim_threshold`` bytes of freed memory for reuse.

    Affects the whole process and cannot be undone exactly (glibc stops adapting its
    thresholds once they are set). Returns what it did: ``{"applied": bool, "reason": str,
    "mmap_threshold": int | None, "trim_threshold": int | None, "libc": str | None}``.
    On a system without glibc it changes nothing and ``applied`` is False.
    """
    for name, value in (("mmap_threshold", mmap_threshold), ("trim_threshold", trim_threshold)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"tune_allocator: '{name}' must be an int number of bytes, got "
                f"{type(value).__name__}"
            )
        if value < 0:
            raise ValueError(f"tune_allocator: '{name}' must be non-negative, got {value}")
    if mmap_threshold > MAX_MMAP_THRESHOLD:
        raise ValueError(
            f"tune_allocator: 'mmap_threshold' must be at most {MAX_MMAP_THRESHOLD} bytes "
            f"(glibc's ceiling), got {mmap_threshold}"
        )
    if trim_threshold > _INT_MAX:
        raise ValueError(
            f"tune_allocator: 'trim_threshold' must be at most {_INT_MAX} bytes (a C int), "
            f"got {trim_threshold}"
        )
    result: dict[str, Any] = {
        "applied": False, "reason": "", "mmap_threshold": None, "trim_threshold": None,
        "libc": None,
    }
    libc = _glibc()
    if libc is None:
        result["reason"] = f"not glibc on {sys.platform}: nothing changed"
        return result
    result["libc"] = "glibc " + libc.gnu_get_libc_version().decode()
    # mallopt returns 1 on success and 0 on error; the C int arguments fit by the checks above
    if not libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(mmap_threshold)):
        result["reason"] = "mallopt(M_MMAP_THRESHOLD) was refused: nothing changed"
        return result
    if not libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(trim_threshold)):
        result["reason"] = "mallopt(M_TRIM_THRESHOLD) was refused (mmap threshold was set)"
        result["mmap_threshold"] = mmap_threshold
        return result
    result.update(
        applied=True, reason="large arrays now reuse freed heap memory",
        mmap_threshold=mmap_threshold, trim_threshold=trim_threshold,
    )
    return result


_BLAS_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_",
                 "scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_")


def limit_blas_threads(threads: int = 1) -> dict[str, Any]:
    """Ask the OpenBLAS library NumPy loaded to use ``threads`` threads; what was done.

    A CNN on small images multiplies small matrices, where BLAS threads gain little; on a
    busy machine (other processes on the same cores) they spin and wait for each other and
    a training step can become ten times slower. ``autocnn train`` therefore uses one
    thread unless ``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` is set. Works on Linux
    with OpenBLAS (NumPy's wheels); elsewhere it changes nothing and says so. Returns
    ``{"applied": bool, "library": str | None, "reason": str, "previous": int | None}``,
    where ``previous`` is the thread count before the call (when OpenBLAS reports it), so
    that ``limit_blas_threads(result["previous"])`` restores it.
    """
    result: dict[str, Any] = {"applied": False, "library": None, "reason": "", "previous": None}
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
        libraries = sorted(p for p in paths if p.endswith(".so") or ".so." in p)
    except OSError:
        result["reason"] = "cannot list the loaded libraries (not Linux): nothing changed"
        return result
    for path in libraries:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _BLAS_SETTERS:
            setter = getattr(library, name, None)
            if setter is not None:
                getter = getattr(library, name.replace("_set_", "_get_"), None)
                if getter is not None:
                    getter.restype = ctypes.c_int
                    result["previous"] = int(getter())
                setter(ctypes.c_int(int(threads)))
                result.update(applied=True, library=path,
                              reason=f"OpenBLAS now uses {int(threads)} thread(s)")
                return result
    result["reason"] = "no OpenBLAS library with a thread setting is loaded: nothing changed"
    return result
