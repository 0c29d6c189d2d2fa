"""Shared helpers of the benchmark scripts: timing, page faults, PyTorch interleaving, tables.

The benchmarks compare autocnn with PyTorch CPU (and with plain NumPy floors) *in the same
run*, because the machine is shared and its speed drifts from minute to minute. The rules
every script follows, and that this module makes easy:

- **Interleave repeat by repeat.** :func:`interleave` calls every case once per repeat, in
  turn (autocnn, NumPy, PyTorch, then NumPy, PyTorch, autocnn, ...: the order rotates), so
  a noisy neighbour slows all of them alike, and each case equally often runs right after
  PyTorch, whose idle OpenMP threads keep spinning for a while and slow whatever comes next.
- **Median of per-repeat ratios.** :func:`ratio` divides the two cases' times repeat by
  repeat and takes the median of those ratios — more robust than a ratio of medians when
  the load changes during the run.
- **Page faults per call.** Every fresh large temporary costs minor page faults when first
  touched (about 2.5 µs per 4 KiB page on this machine). :func:`timed_call` reads
  ``resource.getrusage(RUSAGE_SELF).ru_minflt`` around each call (process-wide, so PyTorch's
  threads count for PyTorch's calls). Not available on Windows: the count is then ``nan``.
- **PyTorch with 2 threads.** :func:`load_torch` imports it when installed, sets
  ``torch.set_num_threads(2)`` (the machine's core count), and returns ``None`` otherwise,
  so every script still runs, and reports autocnn against NumPy only.
- **``--quick``.** :func:`base_parser` gives every script ``--quick`` (few repeats, for a
  smoke run) and ``--repeats N``.

A typical script::

    from common import base_parser, interleave, load_torch, ratio

    args = base_parser(__doc__).parse_args()
    torch = load_torch()
    samples = interleave({"autocnn": step_ac, "torch": step_torch}, repeats=args.repeats)
    print(samples["autocnn"].median_ms, ratio(samples["autocnn"], samples["torch"]))

Scripts import it as ``from common import ...`` (Python puts the script's own directory,
``benchmarks/``, first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

try:  # Unix only; page faults are reported as nan elsewhere
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

#: default repeats (full run) and repeats with ``--quick``
FULL_REPEATS = 15
QUICK_REPEATS = 3


def page_faults() -> float:
    """Minor page faults of this process so far (``ru_minflt``); ``nan`` where unavailable."""
    if resource is None:  # pragma: no cover - Windows
        return math.nan
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


def timed_call(fn: Callable[[], Any]) -> tuple[float, float]:
    """Call ``fn()`` once; return (seconds, minor page faults during the call)."""
    faults = page_faults()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    return seconds, page_faults() - faults


@dataclass
class Samples:
    """The per-repeat measurements of one case: ``seconds[k]`` and ``faults[k]`` of repeat k."""

    seconds: list[float] = field(default_factory=list)
    faults: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median time of one call, in seconds."""
        return statistics.median(self.seconds)

    @property
    def median_ms(self) -> float:
        """Median time of one call, in milliseconds."""
        return 1e3 * self.median

    @property
    def median_faults(self) -> float:
        """Median number of minor page faults of one call."""
        return statistics.median(self.faults)


@contextmanager
def survivors_frozen(enabled: bool = True) -> Iterator[None]:
    """Move every object alive now out of the garbage collector's reach, for the block.

    Everything alive when timing starts (PyTorch's and NumPy's modules, the cases' inputs)
    is collected once and frozen (``gc.freeze``), so each ``gc.collect()`` inside the block
    only walks what the repeats themselves left behind. Without it, a collection walked every
    object PyTorch had created: milliseconds per repeat, and caches evicted before every
    timed call. The collector is unfrozen on the way out, even after an error.
    """
    if not enabled:
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def interleave(
    cases: dict[str, Callable[[], Any] | None], repeats: int, warmup: int = 2,
    collect: bool = True, min_seconds: float = 0.0, max_repeats: int = 1000,
    settle: float = 0.0,
) -> dict[str, Samples]:
    """Time every case ``repeats`` times, interleaved: one call of each case per repeat.

    ``cases`` maps a name to a zero-argument callable (a case whose value is ``None`` is
    skipped and absent from the result, e.g. PyTorch when it is not installed). Each case is
    first called ``warmup`` times, interleaved too. With ``collect`` the garbage collector
    runs before each repeat (not timed), so no case pays for another case's garbage.

    ``min_seconds`` raises the number of repeats (up to ``max_repeats``) until the timed
    calls take about that long, judged from the warm-up: a 3 ms case then gets hundreds of
    samples instead of a handful, and the median of its ratios settles. It changes how
    precise a figure is, not what it measures: every case gets the same repeats.

    ``settle`` seconds of idle time (not timed) precede every timed call, for cases whose
    library leaves worker threads spinning after it returns (see ``train_step.py``).
    """
    active = {name: fn for name, fn in cases.items() if fn is not None}
    start = time.perf_counter()
    for _ in range(warmup):
        for fn in active.values():
            fn()
    if min_seconds > 0 and warmup > 0 and active:
        per_repeat = (time.perf_counter() - start) / warmup
        wanted = math.ceil(min_seconds / max(per_repeat, 1e-9))
        repeats = max(repeats, min(wanted, max_repeats))
    samples = {name: Samples() for name in active}
    names = list(active)
    with survivors_frozen(collect):
        for k in range(repeats):
            if collect:
                gc.collect()
            # Rotate the order: a case that runs right after PyTorch meets its OpenMP
            # threads still spinning (and after NumPy, OpenBLAS's); each case must take
            # that turn alike.
            shift = k % len(names) if names else 0
            for name in names[shift:] + names[:shift]:
                if settle > 0:
                    time.sleep(settle)
                seconds, faults = timed_call(active[name])
                samples[name].seconds.append(seconds)
                samples[name].faults.append(faults)
    return samples


def ratio(numerator: Samples, denominator: Samples | None) -> float:
    """Median over repeats of ``numerator.seconds[k] / denominator.seconds[k]``.

    Returns ``nan`` when ``denominator`` is None (e.g. PyTorch not installed).
    """
    if denominator is None:
        return math.nan
    pairs = zip(numerator.seconds, denominator.seconds, strict=True)
    return statistics.median(a / b for a, b in pairs)


def geomean(values: Iterable[float]) -> float:
    """Geometric mean (``nan`` if any value is nan or the sequence is empty)."""
    values = list(values)
    if not values or any(math.isnan(v) for v in values):
        return math.nan
    return math.exp(sum(math.log(v) for v in values) / len(values))


def load_torch(threads: int = 2) -> Any | None:
    """Import PyTorch with ``threads`` intra-op threads, or return None if not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def base_parser(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with ``--quick`` and ``--repeats``; use :func:`repeats_of` after."""
    first_line = (description or "").strip().splitlines()[0] if description else None
    parser = argparse.ArgumentParser(description=first_line)
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: {QUICK_REPEATS} repeats per case")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"repeats per case (default {FULL_REPEATS})")
    return parser


def repeats_of(args: argparse.Namespace) -> int:
    """The number of repeats the parsed ``--quick``/``--repeats`` options ask for."""
    if args.repeats is not None:
        return args.repeats
    return QUICK_REPEATS if args.quick else FULL_REPEATS


def add_process_options(parser: argparse.ArgumentParser) -> None:
    """``--runs`` (fresh processes) and ``--allocator``; use :func:`runs_and_allocators`."""
    parser.add_argument("--runs", type=int, default=None,
                        help="fresh processes per measurement (default 3, 1 with --quick)")
    parser.add_argument("--allocator", choices=("default", "tuned", "both"), default="both",
                        help="glibc malloc as is, after autocnn.perf.tune_allocator(), or both")


def runs_and_allocators(args: argparse.Namespace) -> tuple[int, list[str]]:
    """How many fresh processes, and which allocator settings, the options ask for."""
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    allocators = ["default", "tuned"] if args.allocator == "both" else [args.allocator]
    return runs, allocators


def verdict(ok: bool | None) -> str:
    """``PASS``, ``FAIL``, or ``n/a`` when the check could not be made (``None``)."""
    if ok is None:
        return "n/a"
    return "PASS" if ok else "FAIL"


def fmt(value: float, spec: str = ".2f", suffix: str = "") -> str:
    """Format a number, or ``-`` for nan (a missing measurement)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:{spec}}{suffix}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a plain-text table with right-aligned columns (the first left-aligned)."""
    table = [list(headers), *[list(map(str, row)) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        return "  ".join(cells)

    print(line(table[0]))
    print("  ".join("-" * w for w in widths))
    for row in table[1:]:
        print(line(row))
