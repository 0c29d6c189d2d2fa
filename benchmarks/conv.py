"""conv2d, max pool and batch norm, forward + backward: autocnn vs plain NumPy vs PyTorch CPU.

Shapes (float32; issue 3):

    (a) conv  N=64, C=1,  28×28, 8 filters 3×3, padding 1
    (b) conv  N=64, C=16, 14×14, 32 filters 3×3, padding 1
    (c) conv  N=32, C=3,  32×32, 16 filters 5×5, no padding
    pool      max_pool2d 2×2 on (b)'s input
    bn        batch_norm (training, with running statistics) on (b)'s input

One call = forward, then backward of a fixed random upstream gradient, then the gradients
are dropped. "numpy" is the floor: the same computation written directly in NumPy with a
hand-written backward and no graph (an im2col conv whose columns are built as kh·kw slab
copies, the four-slice max pool, the textbook batch-norm backward), defined in this file.
PyTorch runs with 2 threads. Each ratio comes from its two cases interleaved call by call
(autocnn with NumPy, autocnn with PyTorch, NumPy with PyTorch; see ``common.py``); ratios
are medians of per-repeat ratios, and the final figures are medians over ``--runs`` fresh
processes, one per case (glibc's malloc adapts to what ran before in a process). Every pair
gets at least 15 repeats, and fast cases more, until the pair has been timed for about
``--min-seconds`` (1 s): 15 samples of a 3 ms call leave its median ratio at the mercy of a
few noisy milliseconds.

The allocator question (docs/performance.md): each process runs either with glibc's default
malloc or after ``autocnn.perf.tune_allocator()`` (which applies to every library in the
process, PyTorch included). By default both variants run, in alternating processes.

    python benchmarks/conv.py                 # 3 runs × both allocator settings
    python benchmarks/conv.py --quick         # 1 run, few repeats
    python benchmarks/conv.py --allocator tuned --runs 5
    python benchmarks/conv.py --min-seconds 3 # more repeats for the fast cases

SGEMM rate. For every conv shape the same process also times a square NumPy float32
matmul (``np.matmul(a, b, out=c)``, n×n with 2·n³ equal to the conv's GEMM work: the three
products Y = W·cols, dW = dY·colsᵀ, dcols = Wᵀ·dY, 3 · 2·O·C·kh·kw·N·Ho·Wo flops),
interleaved with autocnn's call. ``sgemm/ac`` = that matmul's time / autocnn's, repeat by
repeat: the fraction of this machine's SGEMM rate the whole conv forward + backward runs at.

Targets (issue 18): conv geomean of (a)–(c) ≤ 1.1× PyTorch, no conv shape > 1.6×, no shape
slower than the NumPy im2col reference (ac/numpy ≤ 1), and shape (b) at ≥ 40 % of the SGEMM
rate. (Issue 3's were 2.5×, 4× and 1.5×.) Pool and batch norm ratios are reported.
The machine may be shared: figures are noisy; compare ratios from the same run only.
"""

from __future__ import annotations

import argparse
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
    geomean,
    interleave,
    load_torch,
    print_table,
    ratio,
    repeats_of,
    runs_and_allocators,
    verdict,
)

CONV_SHAPES = {
    # name: (N, C, H, W, out_channels, k, padding)
    "conv (a)": (64, 1, 28, 28, 8, 3, 1),
    "conv (b)": (64, 16, 14, 14, 32, 3, 1),
    "conv (c)": (32, 3, 32, 32, 16, 5, 0),
}
POOL_BN_INPUT = (64, 16, 14, 14)
LIBRARIES = ("autocnn", "numpy", "torch")
TARGET_GEOMEAN, TARGET_WORST, TARGET_NUMPY = 1.1, 1.6, 1.0
#: shape (b) must run at this fraction of the machine's SGEMM rate or more (issue 18)
TARGET_SGEMM = 0.40
SGEMM_SHAPE = "conv (b)"
#: a fast case (conv (a) takes ~3 ms) is repeated until each pair is timed this long
MIN_SECONDS = 1.0
EPS, MOMENTUM = 1e-5, 0.1


# --------------------------------------------------------------------------- NumPy floors
def numpy_conv(x, w, b, dy, pad):
    """im2col conv forward + backward in plain NumPy; returns (y, dx, dw, db)."""
    N, C, H, W = x.shape
    F_out, _, kh, kw = w.shape
    if pad:
        xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
        xp[:, :, pad:pad + H, pad:pad + W] = x
    else:
        xp = x
    Hp, Wp = xp.shape[2:]
    Ho, Wo = Hp - kh + 1, Wp - kw + 1
    # channel-major columns (C, kh, kw, N, Ho, Wo): kh·kw slab copies, kept for dW
    cols = np.empty((C, kh, kw, N, Ho, Wo), dtype=x.dtype)
    xc = xp.transpose(1, 0, 2, 3)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xc[:, :, i:i + Ho, j:j + Wo]
    cols = cols.reshape(C * kh * kw, N * Ho * Wo)
    w2 = w.reshape(F_out, -1)
    y = w2 @ cols
    y += b[:, None]
    y = y.reshape(F_out, N, Ho, Wo).transpose(1, 0, 2, 3)
    # backward
    dy2 = dy.transpose(1, 0, 2, 3).reshape(F_out, -1)
    dw = (dy2 @ cols.T).reshape(w.shape)
    db = dy2.sum(axis=1)
    dcols = (w2.T @ dy2).reshape(C, kh, kw, N, Ho, Wo)
    dxp = np.zeros((C, N, Hp, Wp), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + Ho, j:j + Wo] += dcols[:, i, j]
    dx = dxp[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)
    return y, dx, dw, db


def numpy_max_pool(x, dy):
    """2×2 max pool forward + backward (gradient to the first maximum of each window)."""
    parts = [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
    y = np.maximum(np.maximum(parts[0], parts[1]), np.maximum(parts[2], parts[3]))
    dx = np.zeros_like(x)
    taken = np.zeros(y.shape, dtype=bool)
    for (i, j), part in zip(((0, 0), (0, 1), (1, 0), (1, 1)), parts):
        hit = (part == y) & ~taken
        dx[:, :, i::2, j::2] = dy * hit
        taken |= hit
    return y, dx


def numpy_batch_norm(x, gamma, beta, running_mean, running_var, dy):
    """Training batch norm forward + backward, with the running-statistics update."""
    axes = (0, 2, 3)
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + EPS)
    x_hat = xc * inv
    g = gamma.reshape(1, -1, 1, 1)
    y = x_hat * g + beta.reshape(1, -1, 1, 1)
    running_mean *= 1 - MOMENTUM
    running_mean += MOMENTUM * mean.reshape(-1)
    running_var *= 1 - MOMENTUM
    running_var += MOMENTUM * var.reshape(-1) * (m / (m - 1))
    dgamma = (dy * x_hat).sum(axis=axes)
    dbeta = dy.sum(axis=axes)
    dx_hat = dy * g
    dx = (inv / m) * (m * dx_hat - dx_hat.sum(axis=axes, keepdims=True)
                      - x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True))
    return y, dx, dgamma, dbeta


# --------------------------------------------------------------------------- cases
def _arrays(rng, *shapes):
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def conv_case(shape, torch, rng):
    """Callables (autocnn, numpy, torch or None) and a correctness check for one conv."""
    import autocnn as ac
    import autocnn.functional as F

    N, C, H, W, F_out, k, pad = shape
    Ho, Wo = H + 2 * pad - k + 1, W + 2 * pad - k + 1
    x, w, b, dy = _arrays(rng, (N, C, H, W), (F_out, C, k, k), (F_out,), (N, F_out, Ho, Wo))
    xa, wa, ba = (ac.tensor(v, requires_grad=True) for v in (x, w, b))
    dya = ac.tensor(dy)

    def run_autocnn():
        y = F.conv2d(xa, wa, ba, padding=pad)
        y.backward(dya)
        grads = (y.data, xa.grad.data, wa.grad.data, ba.grad.data)
        xa.grad = wa.grad = ba.grad = None
        return grads

    def run_numpy():
        return numpy_conv(x, w, b, dy, pad)

    run_torch = None
    if torch is not None:
        xt, wt, bt = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
        dyt = torch.tensor(dy)

        def run_torch():
            y = torch.nn.functional.conv2d(xt, wt, bt, padding=pad)
            y.backward(dyt)
            xt.grad = wt.grad = bt.grad = None

    _check("conv", run_autocnn(), run_numpy())
    return {"autocnn": run_autocnn, "numpy": run_numpy, "torch": run_torch}


def pool_case(torch, rng):
    """Callables for 2×2 max pooling of (b)'s input, forward + backward."""
    import autocnn as ac
    import autocnn.functional as F

    N, C, H, W = POOL_BN_INPUT
    x, dy = _arrays(rng, (N, C, H, W), (N, C, H // 2, W // 2))
    xa, dya = ac.tensor(x, requires_grad=True), ac.tensor(dy)

    def run_autocnn():
        y = F.max_pool2d(xa, 2)
        y.backward(dya)
        grads = (y.data, xa.grad.data)
        xa.grad = None
        return grads

    def run_numpy():
        return numpy_max_pool(x, dy)

    run_torch = None
    if torch is not None:
        xt, dyt = torch.tensor(x, requires_grad=True), torch.tensor(dy)

        def run_torch():
            torch.nn.functional.max_pool2d(xt, 2).backward(dyt)
            xt.grad = None

    _check("max pool", run_autocnn(), run_numpy())
    return {"autocnn": run_autocnn, "numpy": run_numpy, "torch": run_torch}


def bn_case(torch, rng):
    """Callables for training-mode batch norm of (b)'s input, forward + backward."""
    import autocnn as ac
    import autocnn.functional as F

    N, C, H, W = POOL_BN_INPUT
    x, dy, gamma, beta = _arrays(rng, (N, C, H, W), (N, C, H, W), (C,), (C,))
    xa, ga, ba = (ac.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    rm_a, rv_a = ac.tensor(np.zeros(C, np.float32)), ac.tensor(np.ones(C, np.float32))
    rm_n, rv_n = np.zeros(C, np.float32), np.ones(C, np.float32)
    dya = ac.tensor(dy)

    def run_autocnn():
        y = F.batch_norm(xa, rm_a, rv_a, ga, ba, training=True, momentum=MOMENTUM, eps=EPS)
        y.backward(dya)
        grads = (y.data, xa.grad.data, ga.grad.data, ba.grad.data)
        xa.grad = ga.grad = ba.grad = None
        return grads

    def run_numpy():
        return numpy_batch_norm(x, gamma, beta, rm_n, rv_n, dy)

    run_torch = None
    if torch is not None:
        xt, gt, bt = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
        rm_t, rv_t, dyt = torch.zeros(C), torch.ones(C), torch.tensor(dy)

        def run_torch():
            y = torch.nn.functional.batch_norm(xt, rm_t, rv_t, gt, bt, training=True,
                                               momentum=MOMENTUM, eps=EPS)
            y.backward(dyt)
            xt.grad = gt.grad = bt.grad = None

    _check("batch norm", run_autocnn(), run_numpy())
    return {"autocnn": run_autocnn, "numpy": run_numpy, "torch": run_torch}


def conv_gemm_flops(shape) -> int:
    """Floating-point operations of a conv's three matrix products (forward + backward)."""
    N, C, H, W, F_out, k, pad = shape
    Ho, Wo = H + 2 * pad - k + 1, W + 2 * pad - k + 1
    return 3 * 2 * F_out * C * k * k * N * Ho * Wo


def sgemm_case(flops: int, rng):
    """A square float32 matmul of about ``flops`` operations, and its true flop count.

    n = round((flops / 2)^(1/3)); the output is preallocated, so the call times the BLAS
    kernel and nothing else: the machine's SGEMM rate for work of this size.
    """
    n = max(1, round((flops / 2) ** (1 / 3)))
    a, b = _arrays(rng, (n, n), (n, n))
    c = np.empty((n, n), dtype=np.float32)

    def run_sgemm():
        np.matmul(a, b, out=c)

    return run_sgemm, 2 * n ** 3


def _check(name, ours, floor):
    """The benchmark is only meaningful if autocnn and the NumPy floor agree."""
    for a, b in zip(ours, floor):
        scale = max(1.0, float(np.abs(b).max()))
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-4 * scale):
            raise AssertionError(f"{name}: autocnn and the NumPy reference disagree")


# --------------------------------------------------------------------------- one process
CASES = [*CONV_SHAPES, "max pool 2×2 (b)", "batch norm (b)"]


def measure(case: str, repeats: int, min_seconds: float = 0.0) -> dict:
    """Time one case in this process: medians, page faults and ratios as a dict.

    Each pair of cases gets at least ``repeats`` repeats, more if needed for the timed calls
    to last about ``min_seconds`` (see ``common.interleave``).
    """
    torch = load_torch()
    rng = np.random.default_rng(0)
    if case in CONV_SHAPES:
        fns = conv_case(CONV_SHAPES[case], torch, rng)
    elif case.startswith("max pool"):
        fns = pool_case(torch, rng)
    else:
        fns = bn_case(torch, rng)
    # Pairwise interleaving: each ratio comes from its two cases run alternately. With all
    # three in one rotation, PyTorch's OpenMP threads, still spinning after its call, slowed
    # the NumPy-side cases unevenly (autocnn/numpy on (a): 1.6×, 1.3× without PyTorch).
    numpy_pair = interleave({"autocnn": fns["autocnn"], "numpy": fns["numpy"]}, repeats,
                            min_seconds=min_seconds)
    torch_pair = interleave({"autocnn": fns["autocnn"], "torch": fns["torch"]}, repeats,
                            min_seconds=min_seconds)
    floor_pair = interleave({"numpy": fns["numpy"], "torch": fns["torch"]}, repeats,
                            min_seconds=min_seconds)
    shown = {"autocnn": numpy_pair["autocnn"], "numpy": numpy_pair["numpy"],
             "torch": torch_pair.get("torch")}
    row = {"repeats": len(numpy_pair["autocnn"].seconds)}
    for lib in LIBRARIES:
        s = shown[lib]
        row[f"{lib}_ms"] = s.median_ms if s else float("nan")
        row[f"{lib}_faults"] = s.median_faults if s else float("nan")
    row["vs_torch"] = ratio(torch_pair["autocnn"], torch_pair.get("torch"))
    row["vs_numpy"] = ratio(numpy_pair["autocnn"], numpy_pair["numpy"])
    row["numpy_vs_torch"] = ratio(floor_pair["numpy"], floor_pair.get("torch"))
    if case in CONV_SHAPES:
        flops = conv_gemm_flops(CONV_SHAPES[case])
        run_sgemm, sgemm_flops = sgemm_case(flops, rng)
        sgemm_pair = interleave({"autocnn": fns["autocnn"], "sgemm": run_sgemm}, repeats,
                                min_seconds=min_seconds)
        # fraction of the SGEMM rate = (flops / t_ac) / (sgemm_flops / t_sgemm)
        row["sgemm_fraction"] = ratio(sgemm_pair["sgemm"], sgemm_pair["autocnn"]) * (
            flops / sgemm_flops)
        row["sgemm_gflops"] = sgemm_flops / sgemm_pair["sgemm"].median / 1e9
        row["autocnn_gflops"] = flops / sgemm_pair["autocnn"].median / 1e9
    return row


def child(case: str, allocator: str, repeats: int, min_seconds: float) -> None:
    """Entry point of one measuring process: print one JSON line."""
    tuned = None
    if allocator == "tuned":
        from autocnn.perf import tune_allocator

        tuned = tune_allocator()
    print(json.dumps({"allocator": tuned, "result": measure(case, repeats, min_seconds)}))


# --------------------------------------------------------------------------- report
def summarise(runs: list[dict]) -> dict:
    """Medians over runs of every figure, per case."""
    names = list(runs[0])
    return {
        name: {key: statistics.median(run[name][key] for run in runs if key in run[name])
           for key in runs[0][name]}
        for name in names
    }


def report(variant: str, runs: list[dict], repeats: int) -> dict:
    """Print the table and the verdicts of one allocator variant; return its key figures."""
    table = summarise(runs)
    counts = sorted({int(run[name]["repeats"]) for run in runs for name in run})
    shown = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    print(f"\n=== allocator: {variant} — medians over {len(runs)} run(s) of {shown} "
          f"interleaved repeats (at least {repeats}) ===")
    headers = ["case", "autocnn ms", "numpy ms", "torch ms", "ac/torch", "ac/numpy",
               "numpy/torch", "faults ac", "faults np", "faults torch"]
    rows = []
    for name, r in table.items():
        rows.append([
            name, fmt(r["autocnn_ms"], ".3f"), fmt(r["numpy_ms"], ".3f"),
            fmt(r["torch_ms"], ".3f"), fmt(r["vs_torch"], ".2f", "×"),
            fmt(r["vs_numpy"], ".2f", "×"), fmt(r["numpy_vs_torch"], ".2f", "×"),
            fmt(r["autocnn_faults"], ".0f"), fmt(r["numpy_faults"], ".0f"),
            fmt(r["torch_faults"], ".0f"),
        ])
    print_table(headers, rows)
    convs = [table[name] for name in CONV_SHAPES]
    gm = geomean(r["vs_torch"] for r in convs)
    worst = max(r["vs_torch"] for r in convs)
    worst_np = max(r["vs_numpy"] for r in convs)
    has_torch = gm == gm  # not nan
    print("SGEMM rate, measured in each conv's process (square float32 matmul of equal flops):")
    for name in CONV_SHAPES:
        r = table[name]
        # PyTorch's figure is a ratio of medians from different pairs: context, not a target
        torch_gflops = conv_gemm_flops(CONV_SHAPES[name]) / r["torch_ms"] / 1e6
        print(f"  {name}: sgemm {fmt(r['sgemm_gflops'], '.1f')} GFLOP/s, autocnn conv "
              f"{fmt(r['autocnn_gflops'], '.1f')} GFLOP/s of GEMM work = "
              f"{fmt(100 * r['sgemm_fraction'], '.0f')} % of the SGEMM rate (PyTorch "
              f"{fmt(torch_gflops, '.1f')} GFLOP/s, about "
              f"{fmt(100 * torch_gflops / r['sgemm_gflops'], '.0f')} %)")
    frac = table[SGEMM_SHAPE]["sgemm_fraction"]
    print(f"{SGEMM_SHAPE} at the SGEMM rate:           {fmt(100 * frac, '.0f')} % "
          f"(target ≥ {100 * TARGET_SGEMM:.0f} %)  {verdict(frac >= TARGET_SGEMM)}")
    print(f"conv geomean autocnn/torch over (a)–(c): {fmt(gm, '.2f', '×')} "
          f"(target ≤ {TARGET_GEOMEAN}×)  {verdict(gm <= TARGET_GEOMEAN if has_torch else None)}")
    print(f"worst conv shape autocnn/torch:          {fmt(worst, '.2f', '×')} "
          f"(target ≤ {TARGET_WORST}×)  {verdict(worst <= TARGET_WORST if has_torch else None)}")
    print(f"worst conv shape autocnn/numpy im2col:   {fmt(worst_np, '.2f', '×')} "
          f"(target ≤ {TARGET_NUMPY}×)  {verdict(worst_np <= TARGET_NUMPY)}")
    for name in CONV_SHAPES:
        print(f"  {name} autocnn/numpy im2col: {fmt(table[name]['vs_numpy'], '.2f', '×')}")
    print(f"numpy im2col geomean / torch:            "
          f"{fmt(geomean(r['numpy_vs_torch'] for r in convs), '.2f', '×')} (the floor)")
    return {"geomean": gm, "table": table, "sgemm_fraction": frac}


def run_child(case: str, allocator: str, repeats: int, min_seconds: float) -> dict:
    """Measure one case in a fresh interpreter.

    Fresh, because glibc's malloc adapts its thresholds to the largest block freed so far:
    in a shared process the page faults of a case would depend on the cases run before it.
    The allocator setting is process-wide for the same reason.
    """
    cmd = [sys.executable, os.path.abspath(__file__), "--child", allocator,
           "--case", case, "--repeats", str(repeats), "--min-seconds", str(min_seconds)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark process ({case}, {allocator}) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = base_parser(__doc__)
    add_process_options(parser)
    parser.add_argument("--child", choices=("default", "tuned"), help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--min-seconds", type=float, default=None,
                        help="more repeats for fast cases, until each pair of cases is timed "
                             f"for about this long (default {MIN_SECONDS}; 0 with --quick or "
                             "--repeats)")
    args = parser.parse_args()
    repeats = repeats_of(args)
    min_seconds = args.min_seconds
    if min_seconds is None:
        min_seconds = 0.0 if (args.quick or args.repeats is not None) else MIN_SECONDS
    if args.child:
        child(args.case, args.child, repeats, min_seconds)
        return
    runs_wanted, variants = runs_and_allocators(args)
    load_start = _load()
    print(f"load average at start: {load_start} (2 cores: above ~0.5 the figures are noisy)")
    collected: dict[str, list[dict]] = {v: [{} for _ in range(runs_wanted)] for v in variants}
    tuned_info = None
    for run in range(runs_wanted):
        for variant in variants:  # alternate the variants so drift hits both alike
            results = collected[variant][run]
            for case in CASES:
                out = run_child(case, variant, repeats, min_seconds)
                tuned_info = out["allocator"] or tuned_info
                results[case] = out["result"]
            conv_ratios = [results[n]["vs_torch"] for n in CONV_SHAPES]
            print(f"run {run + 1} [{variant:7s}] conv autocnn/torch: "
                  + "  ".join(fmt(r, ".2f", "×") for r in conv_ratios), flush=True)
    print(f"load average at end: {_load()}")
    if any(float(v) > 1.0 for v in (load_start, _load()) if v != "unknown"):
        print("WARNING: other jobs held a core during the run. A 2-thread BLAS call then "
              "waits for its second thread, and times can grow tenfold: rerun when quiet.")
    if tuned_info is not None:
        print(f"\ntune_allocator() returned: {tuned_info}")
    summaries = {v: report(v, collected[v], repeats) for v in variants}
    if len(variants) == 2:
        d, t = summaries["default"]["table"], summaries["tuned"]["table"]
        print("\nautocnn time, tuned allocator / default allocator (medians):")
        for name in d:
            print(f"  {name:18s} {t[name]['autocnn_ms'] / d[name]['autocnn_ms']:.2f}×  "
                  f"(page faults per call {d[name]['autocnn_faults']:.0f} → "
                  f"{t[name]['autocnn_faults']:.0f})")


def _load() -> str:
    """The 1-minute load average (other jobs on the machine), if the system reports it."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "unknown"


if __name__ == "__main__":
    main()
