"""One SGD training step of the LeNet-like net: autocnn vs PyTorch CPU, time and peak memory.

The model is ``autocnn.models.build_model("lenet")`` (conv 1→8 3×3 pad 1, ReLU, max pool 2,
conv 8→16 3×3 pad 1, ReLU, max pool 2, flatten, linear 784→10) and its ``torch.nn`` twin
with the same weights; the batch is 64 random 28×28 grey images, float32. One step =
``zero_grad`` → forward → cross-entropy → backward → ``SGD(lr=0.01).step()``.

Time. Both steps run in one process, interleaved repeat by repeat; the figure is the
median of the per-repeat ratios autocnn / PyTorch, and page faults per step are the
process's minor faults during the call (``ru_minflt``). PyTorch uses 2 threads.

Settling. After a call, OpenBLAS's worker threads (NumPy's matmul, so autocnn's) and
PyTorch's OpenMP threads keep spinning for a while before they sleep. On this 2-core
machine, a step started while the *other* library's threads still spin ran 3–7× slower
(measured: 756 ms and 446 ms per step back to back, 110 ms and 87 ms with a pause). So
each timed step is preceded by ``SETTLE`` = 0.3 s of idle time (not timed):
``common.interleave(..., settle=SETTLE)``, otherwise the same scheme as ``conv.py``
(order rotated each repeat, garbage collected before every repeat with the objects alive
at the start frozen).

Peak memory. Each library's step runs in a *fresh* process of its own (the other library is
never imported there), so neither pays for the other's allocations. After building the
model and data, the process reads its resident set size (``VmRSS``), resets the
kernel's high-water mark (writing ``5`` to ``/proc/self/clear_refs``, Linux ≥ 4.0), runs
three steps and reads the high-water mark again (``VmHWM``). Peak step memory = VmHWM −
VmRSS before the steps: everything the steps touched beyond what was already resident
(graph arrays, gradients, optimiser state, the library's temporaries, workspace and
allocator caches), measured the same way for both libraries, whatever allocator they use.
Before the baseline, two steps on a batch of 2 images page in the library's code, thread
stacks and lazily built kernels, which are memory but not the step's data. Where the reset
is not allowed, the growth of ``ru_maxrss`` is used instead (an underestimate if setup had
a higher peak; the report says which method ran).
For autocnn the script also reports the peak of ``tracemalloc`` (NumPy reports its array
allocations there): the bytes of arrays alive at once, without allocator overhead.

Scaling. A third fresh process times each library's step at batch 32 and at batch 256
(the same model and recipe, autocnn's pair and PyTorch's pair each interleaved repeat by
repeat, with the same settling pause), and reports the time per image at 256 divided by the
time per image at 32, the median of the per-repeat ratios ``t256 / (8 · t32)``: above 1, a
large batch costs more per image (large temporaries page-faulting on first touch, caches).

Each figure is the median over ``--runs`` fresh processes (default 3). Processes run with
glibc's default ``malloc`` and/or after ``autocnn.perf.tune_allocator()`` (applied to both
libraries alike; see docs/performance.md), alternating, as in ``conv.py``.

    python benchmarks/train_step.py            # 3 runs × both allocator settings
    python benchmarks/train_step.py --quick    # 1 run, few repeats
    python benchmarks/train_step.py --allocator tuned --runs 5

Targets (issue 18): step time ≤ 1.15× PyTorch; peak step memory ≤ 1.2× PyTorch; time per
image at batch 256 ≤ 1.2× that at batch 32. (Issue 3's were 3× and 2×.) The machine may
be shared with other work: figures are noisy; compare ratios from the same run only.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys

import numpy as np
from common import (
    add_process_options,
    base_parser,
    fmt,
    interleave,
    load_torch,
    print_table,
    ratio,
    repeats_of,
    runs_and_allocators,
    verdict,
)

N, SIZE, CLASSES, LR = 64, 28, 10, 0.01
#: seconds of idle time before each timed step (see "Settling" in the module docstring)
SETTLE = 0.3
TARGET_TIME = 1.15
TARGET_MEMORY = 1.2
TARGET_SCALING = 1.2
#: the two batch sizes of the scaling measurement
SMALL_BATCH, LARGE_BATCH = 32, 256


# --------------------------------------------------------------------------- the two steps
def _data(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 1, SIZE, SIZE)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=n).astype(np.int64)
    return x, y


def autocnn_step(state: dict | None = None, n: int = N):
    """A zero-argument step for autocnn, and the model's initial state dict."""
    import autocnn as ac
    import autocnn.functional as F
    from autocnn import optim
    from autocnn.models import build_model

    ac.manual_seed(0)
    model = build_model("lenet")
    if state is not None:
        model.load_state_dict(state)
    opt = optim.SGD(model.parameters(), lr=LR)
    x_np, y = _data(n)
    x = ac.tensor(x_np)
    losses = []

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    return step, model.state_dict(), losses


def torch_step(torch, state: dict | None = None, n: int = N):
    """A zero-argument step for PyTorch, with the given weights (name → array)."""
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(8, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(16 * 7 * 7, CLASSES),
    )
    if state is not None:
        model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x_np, y_np = _data(n)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    losses = []

    def step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    return step, losses


# --------------------------------------------------------------------------- measuring
def measure_time(repeats: int) -> dict:
    """Interleave the two steps in this process; medians, faults and the ratio."""
    torch = load_torch()
    ac_step, state, ac_losses = autocnn_step()
    cases = {"autocnn": ac_step, "torch": None}
    torch_losses: list[float] = []
    if torch is not None:
        t_step, torch_losses = torch_step(torch, state)
        cases["torch"] = t_step
    samples = interleave(cases, repeats, settle=SETTLE)
    # Same weights, same data, same updates: the losses must agree step by step.
    if torch_losses and not np.allclose(ac_losses, torch_losses, rtol=1e-3, atol=1e-4):
        raise AssertionError(f"autocnn and PyTorch losses differ: {ac_losses[:3]} vs "
                             f"{torch_losses[:3]}")
    out = {"autocnn_ms": samples["autocnn"].median_ms,
           "autocnn_faults": samples["autocnn"].median_faults,
           "torch_ms": float("nan"), "torch_faults": float("nan"), "ratio": float("nan")}
    if "torch" in samples:
        out.update(torch_ms=samples["torch"].median_ms,
                   torch_faults=samples["torch"].median_faults,
                   ratio=ratio(samples["autocnn"], samples["torch"]))
    return out


def measure_scaling(repeats: int) -> dict:
    """Per-image time at batch 256 over per-image time at batch 32, for each library."""
    torch = load_torch()
    scale = LARGE_BATCH / SMALL_BATCH
    ac_small, state, _ = autocnn_step(n=SMALL_BATCH)
    ac_large = autocnn_step(state, n=LARGE_BATCH)[0]
    pairs = {"autocnn": (ac_small, ac_large)}
    if torch is not None:
        pairs["torch"] = (torch_step(torch, state, n=SMALL_BATCH)[0],
                          torch_step(torch, state, n=LARGE_BATCH)[0])
    out = {}
    for lib, (small, large) in pairs.items():
        s = interleave({"small": small, "large": large}, repeats, settle=SETTLE)
        out[f"{lib}_scaling"] = ratio(s["large"], s["small"]) / scale
        out[f"{lib}_small_ms_per_image"] = s["small"].median_ms / SMALL_BATCH
        out[f"{lib}_large_ms_per_image"] = s["large"].median_ms / LARGE_BATCH
    return out


def _status_kib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure_memory(lib: str) -> dict:
    """Peak memory of one step of ``lib`` in this (fresh) process, in MiB."""
    import resource

    if lib == "torch":
        torch = load_torch()
        if torch is None:
            return {"peak_mib": float("nan"), "method": "torch not installed"}
        step, _ = torch_step(torch)
        tiny, _ = torch_step(torch, n=2)
    else:
        step, _, _ = autocnn_step()
        tiny = autocnn_step(n=2)[0]
    # Two steps on a batch of 2 first: they page in the code, thread stacks and lazily
    # built kernels of the library (memory, but not the step's data) while keeping next
    # to nothing of their own in the heap.
    tiny()
    tiny()
    gc.collect()
    before = _status_kib("VmRSS")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset = _reset_peak()
    for _ in range(3):  # the first steps included: what they cache is the step's memory too
        step()
    if reset:
        peak_kib = _status_kib("VmHWM") - before
        method = "VmHWM - VmRSS (peak during 3 steps above the resident model and data)"
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - max(before,
                                                                            maxrss_before)
        method = "ru_maxrss growth (HWM reset not allowed; may underestimate)"
    out = {"peak_mib": max(peak_kib, 0.0) / 1024, "method": method,
           "rss_before_mib": before / 1024}
    if lib == "autocnn":
        import tracemalloc

        gc.collect()
        # Let the workspace's kept buffers go (nothing uses them between steps), so that
        # the traced step allocates its arrays afresh and the peak counts all of them.
        from autocnn.ops import workspace

        workspace.release()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        step()
        out["tracemalloc_peak_mib"] = (tracemalloc.get_traced_memory()[1] - base) / 2**20
        tracemalloc.stop()
    return out


def child(kind: str, allocator: str, repeats: int) -> None:
    """Entry point of one measuring process: print one JSON line."""
    if allocator == "tuned":
        from autocnn.perf import tune_allocator

        tune_allocator()
    if kind == "time":
        result = measure_time(repeats)
    elif kind == "scaling":
        result = measure_scaling(repeats)
    else:
        result = measure_memory(kind)
    print(json.dumps(result))


def run_child(kind: str, allocator: str, repeats: int) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind,
           "--child-allocator", allocator, "--repeats", str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark process ({kind}, {allocator}) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report
def report(variant: str, runs: list[dict], repeats: int) -> None:
    """Print the medians over runs and the verdicts of one allocator setting."""
    def med(kind: str, key: str) -> float:
        values = [r[kind][key] for r in runs if key in r[kind]]
        return statistics.median(values) if values else float("nan")

    print(f"\n=== allocator: {variant} — medians over {len(runs)} fresh process(es); "
          f"time from {repeats} interleaved repeats ===")
    rows = [
        ["autocnn", fmt(med("time", "autocnn_ms"), ".2f"), fmt(med("time", "autocnn_faults"),
                                                                ".0f"),
         fmt(med("autocnn", "peak_mib"), ".1f"),
         fmt(med("autocnn", "tracemalloc_peak_mib"), ".1f")],
        ["torch", fmt(med("time", "torch_ms"), ".2f"), fmt(med("time", "torch_faults"), ".0f"),
         fmt(med("torch", "peak_mib"), ".1f"), "-"],
    ]
    print_table(["library", "step ms", "faults/step", "peak MiB (RSS)", "tracemalloc MiB"],
                rows)
    time_ratio = med("time", "ratio")
    torch_peak = med("torch", "peak_mib")
    mem_ratio = med("autocnn", "peak_mib") / torch_peak if torch_peak > 0 else float("nan")
    time_ok = time_ratio <= TARGET_TIME if time_ratio == time_ratio else None
    print(f"step time autocnn/torch (median of per-repeat ratios): {fmt(time_ratio, '.2f', '×')}"
          f" (target ≤ {TARGET_TIME}×)  {verdict(time_ok)}")
    print(f"peak step memory autocnn/torch:                       {fmt(mem_ratio, '.2f', '×')}"
          f" (target ≤ {TARGET_MEMORY}×)  "
          f"{verdict(mem_ratio <= TARGET_MEMORY if mem_ratio == mem_ratio else None)}")
    for lib in ("autocnn", "torch"):
        sc = med("scaling", f"{lib}_scaling")
        print(f"{lib:7s} ms per image at batch {SMALL_BATCH} / {LARGE_BATCH}: "
              f"{fmt(med('scaling', f'{lib}_small_ms_per_image'), '.3f')} / "
              f"{fmt(med('scaling', f'{lib}_large_ms_per_image'), '.3f')}; per-image time "
              f"{LARGE_BATCH}/{SMALL_BATCH}: {fmt(sc, '.2f', '×')}"
              + (f" (target ≤ {TARGET_SCALING}×)  "
                 f"{verdict(sc <= TARGET_SCALING if sc == sc else None)}"
                 if lib == "autocnn" else ""))
    print("per-run time ratios:", "  ".join(fmt(r["time"]["ratio"], ".2f", "×") for r in runs))
    print("memory method:", runs[0]["autocnn"].get("method"))
    print(f"autocnn tracemalloc peak (arrays alive at once): "
          f"{fmt(med('autocnn', 'tracemalloc_peak_mib'), '.1f')} MiB")


def main() -> None:
    parser = base_parser(__doc__)
    add_process_options(parser)
    parser.add_argument("--child", choices=("time", "autocnn", "torch", "scaling"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--child-allocator", choices=("default", "tuned"), default="default",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeats = repeats_of(args)
    if args.child:
        child(args.child, args.child_allocator, repeats)
        return
    runs_wanted, variants = runs_and_allocators(args)
    collected: dict[str, list[dict]] = {v: [] for v in variants}
    for run in range(runs_wanted):
        for variant in variants:  # alternate the settings so drift hits both alike
            result = {kind: run_child(kind, variant, repeats)
                      for kind in ("time", "autocnn", "torch", "scaling")}
            collected[variant].append(result)
            t, a, p = result["time"], result["autocnn"], result["torch"]
            print(f"run {run + 1} [{variant:7s}] time {fmt(t['autocnn_ms'], '.2f')} ms vs "
                  f"{fmt(t['torch_ms'], '.2f')} ms ({fmt(t['ratio'], '.2f', '×')}); peak "
                  f"{fmt(a['peak_mib'], '.1f')} MiB vs {fmt(p['peak_mib'], '.1f')} MiB",
                  flush=True)
    for variant in variants:
        report(variant, collected[variant], repeats)


if __name__ == "__main__":
    main()
