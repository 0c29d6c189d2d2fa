"""Per-op cost of the graph machinery: a chain of 1,000 small elementwise ops on (4,) tensors.

The chain repeats [× w, + b, tanh, × 1.01] 250 times (w and b are leaves that require grad,
so their gradients accumulate 250 times each); one measurement is forward + backward of the
whole chain, and the figure is the median of 9 repeats divided by 1,000.

Each library runs in its own fresh process — importing PyTorch adds ~165k Python objects that
slow every garbage-collector pass of a Python engine, so sharing a process would penalise
autocnn — and the processes are interleaved run by run (autocnn, NumPy, PyTorch, autocnn,
...), so that a noisy neighbour hits all of them alike. The reported ratio is the median over
runs of autocnn's time divided by PyTorch's time in the same run.

    python benchmarks/overhead.py            # 3 runs
    python benchmarks/overhead.py --runs 5

"NumPy" is the floor: the same arithmetic with a hand-written backward, no graph at all.
Target (issue 18): autocnn at most 1.1× PyTorch's per-op time (issue 2 asked 2×).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CHAIN = 250  # blocks of 4 ops
REPEATS = 9


def _time(fn) -> float:
    fn()  # warm up
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) / (4 * CHAIN)


def bench_autocnn() -> float:
    import numpy as np

    import autocnn as ac

    w = ac.tensor(np.full(4, 0.9, dtype=np.float32), requires_grad=True)
    b = ac.tensor(np.full(4, 0.1, dtype=np.float32), requires_grad=True)
    x = ac.tensor(np.ones(4, dtype=np.float32), requires_grad=True)

    return _time(_chain_step(x, w, b))


def _chain_step(x, w, b):
    """One forward + backward of the chain; the same code runs on autocnn and torch."""

    def step() -> None:
        y = x
        for _ in range(CHAIN):
            y = (y * w + b).tanh() * 1.01
        y.sum().backward()
        x.grad = w.grad = b.grad = None

    return step


def bench_torch() -> float:
    import torch

    torch.set_num_threads(2)
    w = torch.full((4,), 0.9, requires_grad=True)
    b = torch.full((4,), 0.1, requires_grad=True)
    x = torch.ones(4, requires_grad=True)

    return _time(_chain_step(x, w, b))


def bench_numpy() -> float:
    import numpy as np

    w = np.full(4, 0.9, dtype=np.float32)
    b = np.full(4, 0.1, dtype=np.float32)
    x = np.ones(4, dtype=np.float32)

    def step() -> None:
        inputs, tanhs = [], []
        y = x
        for _ in range(CHAIN):
            inputs.append(y)
            t = np.tanh(y * w + b)
            tanhs.append(t)
            y = t * 1.01
        g = np.ones(4, dtype=np.float32)
        gw = np.zeros(4, dtype=np.float32)
        gb = np.zeros(4, dtype=np.float32)
        for y_in, t in zip(reversed(inputs), reversed(tanhs)):
            g = g * 1.01
            g = g * (1 - t * t)
            gb = gb + g
            gw = gw + g * y_in
            g = g * w

    return _time(step)


BENCHES = {"autocnn": bench_autocnn, "numpy": bench_numpy, "torch": bench_torch}


def run_child(library: str) -> float | None:
    """Time one library in a fresh interpreter; None if it is not installed."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", library], capture_output=True, text=True
    )
    if result.returncode != 0:
        if "ModuleNotFoundError" in result.stderr:
            return None
        raise RuntimeError(f"{library} benchmark failed:\n{result.stderr}")
    return json.loads(result.stdout)["seconds_per_op"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=sorted(BENCHES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is None and run_child("autocnn") is None:
        sys.exit("overhead.py: autocnn is not importable from this Python; "
                 "run `pip install -e .` in the repository first")
    if args.child:
        print(json.dumps({"seconds_per_op": BENCHES[args.child]()}))
        return

    rows: dict[str, list[float]] = {name: [] for name in BENCHES}
    ratios = []
    for run in range(args.runs):
        times = {name: run_child(name) for name in ("autocnn", "numpy", "torch")}
        for name, t in times.items():
            if t is not None:
                rows[name].append(t)
        if times["torch"] and times["autocnn"]:
            ratios.append(times["autocnn"] / times["torch"])
        shown = "  ".join(
            f"{n} {t * 1e6:6.2f} µs" if t is not None else f"{n} (not installed)"
            for n, t in times.items()
        )
        print(f"run {run + 1}: {shown}")

    print(f"\nper-op cost, forward + backward, chain of {4 * CHAIN} ops on (4,) float32, "
          f"median of {REPEATS} repeats per run, median of {args.runs} runs:")
    for name in ("autocnn", "numpy", "torch"):
        if rows[name]:
            print(f"  {name:8s} {statistics.median(rows[name]) * 1e6:7.2f} µs per op")
        else:
            print(f"  {name:8s} not installed")
    if ratios:
        ratio = statistics.median(ratios)
        print(f"  autocnn / torch (median of per-run ratios): {ratio:.2f}×  (target ≤ 1.1×)")


if __name__ == "__main__":
    main()
