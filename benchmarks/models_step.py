"""One SGD step of the lesson's seed CNN (with batch norm) and of a VGG-style net on
224×224 colour images: autocnn vs PyTorch CPU, time and peak memory.

The cases (issue 18's last two targets):

- ``seed``: ``autocnn.models.build_model("seed")`` — (conv 3×3 → batch norm → ReLU → max
  pool 2) × 2 → linear — on a batch of 64 random 28×28 grey images;
- ``vgg224``: ``build_model("vgg_small", in_channels=3, image_size=224)`` — 3 stages of
  (conv 3×3 → batch norm → ReLU) × 2 → max pool 2, widths 16, 32, 64 — on a batch of 8
  random 3×224×224 images. Its first stage's column matrices are 231 MB each.

PyTorch runs the same model with the same weights (``autocnn.interop.to_torch``), both in
training mode. One step = ``zero_grad`` → forward → cross-entropy → backward →
``SGD.step()`` (lr 0.01; 1e-4 for the VGG net); the losses of the two libraries must
agree step by step.

Time: both steps in one process, interleaved repeat by repeat with a settling pause
before each (as in ``train_step.py``); the figure is the median of the per-repeat ratios
autocnn / PyTorch. Memory: each library in a fresh process of its own; the peak a step
adds above the resident model and data (``VmHWM`` − ``VmRSS`` after a high-water-mark
reset, as in ``train_step.py``) and the whole process's peak resident size (``VmHWM``),
which is what "works within 2 GB" is about. Each figure is the median over ``--runs``
fresh processes (default 3).

    python benchmarks/models_step.py                 # both cases, 3 runs
    python benchmarks/models_step.py --case vgg224   # one case
    python benchmarks/models_step.py --quick         # 1 run, few repeats

Targets (issue 18): the seed CNN step ≤ 1.15× PyTorch; the VGG-style step ≤ 1.5× PyTorch
with the process's peak memory within 2 GB.
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
from common import base_parser, fmt, interleave, load_torch, print_table, ratio, verdict
from train_step import SETTLE, _reset_peak, _status_kib

#: name -> (model name, build keywords, batch, channels, image side, time target, SGD lr)
#: (the VGG net's last linear layer has 50,176 inputs: at lr 0.01 its loss grows tenfold a
#: step on random data, and the two libraries' float32 rounding then drifts apart)
CASES = {
    "seed": ("seed", {}, 64, 1, 28, 1.15, 0.01),
    "vgg224": ("vgg_small", {"in_channels": 3, "image_size": 224}, 8, 3, 224, 1.5, 1e-4),
}
CLASSES = 10
#: the whole process's peak resident memory allowed for ``vgg224``
TARGET_PROCESS_MIB = 2048


def _data(case: str) -> tuple[np.ndarray, np.ndarray]:
    _, _, n, c, side, *_ = CASES[case]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, side, side)).astype(np.float32)
    return x, rng.integers(0, CLASSES, size=n).astype(np.int64)


def autocnn_step(case: str):
    """A zero-argument autocnn step of ``case``, its model, and the list of its losses."""
    import autocnn as ac
    import autocnn.functional as F
    from autocnn import optim
    from autocnn.models import build_model

    name, kwargs, *_ = CASES[case]
    ac.manual_seed(0)
    model = build_model(name, **kwargs)
    model.train()
    opt = optim.SGD(model.parameters(), lr=CASES[case][6])
    x_np, y = _data(case)
    x = ac.tensor(x_np)
    losses: list[float] = []

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    return step, model, losses


def torch_step(torch, model, case: str):
    """The same step in PyTorch, on a copy of the autocnn ``model``'s weights."""
    from autocnn.interop import to_torch

    tmodel = to_torch(model)
    tmodel.train()
    opt = torch.optim.SGD(tmodel.parameters(), lr=CASES[case][6])
    x_np, y_np = _data(case)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    losses: list[float] = []

    def step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    return step, losses


def measure_time(case: str, repeats: int) -> dict:
    """Interleave the two steps in this process; medians and the ratio."""
    torch = load_torch()
    ac_step, model, ac_losses = autocnn_step(case)
    cases = {"autocnn": ac_step, "torch": None}
    torch_losses: list[float] = []
    if torch is not None:
        cases["torch"], torch_losses = torch_step(torch, model, case)
    samples = interleave(cases, repeats, warmup=1, settle=SETTLE)
    if torch_losses and not np.allclose(ac_losses, torch_losses, rtol=1e-3, atol=1e-4):
        raise AssertionError(f"{case}: autocnn and PyTorch losses differ: {ac_losses[:3]} vs "
                             f"{torch_losses[:3]}")
    out = {"autocnn_ms": samples["autocnn"].median_ms, "torch_ms": float("nan"),
           "ratio": float("nan")}
    if "torch" in samples:
        out.update(torch_ms=samples["torch"].median_ms,
                   ratio=ratio(samples["autocnn"], samples["torch"]))
    return out


def measure_memory(case: str, lib: str) -> dict:
    """Peak memory of ``lib``'s steps of ``case`` in this (fresh) process, in MiB."""
    if lib == "torch":
        torch = load_torch()
        if torch is None:
            return {"step_mib": float("nan"), "process_mib": float("nan")}
        _, model, _ = autocnn_step(case)  # only to build the same weights
        step, _ = torch_step(torch, model, case)
        del model
    else:
        step, _, _ = autocnn_step(case)
    gc.collect()
    before = _status_kib("VmRSS")
    reset = _reset_peak()
    for _ in range(2):
        step()
    hwm = _status_kib("VmHWM")
    return {"step_mib": (hwm - before) / 1024 if reset else float("nan"),
            "process_mib": hwm / 1024}


def run_child(kind: str, case: str, repeats: int) -> dict:
    """One measurement in a fresh interpreter; its JSON result."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind, "--case", case,
           "--repeats", str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark process ({kind}, {case}) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(case: str, runs: list[dict]) -> None:
    """Medians over the runs of one case, and its verdicts."""
    def med(kind: str, key: str) -> float:
        values = [r[kind][key] for r in runs]
        return statistics.median(values)

    target = CASES[case][5]
    print(f"\n=== {case}: medians over {len(runs)} fresh process(es) ===")
    print_table(["library", "step ms", "step peak MiB", "process peak MiB"], [
        ["autocnn", fmt(med("time", "autocnn_ms"), ".1f"), fmt(med("autocnn", "step_mib"), ".1f"),
         fmt(med("autocnn", "process_mib"), ".0f")],
        ["torch", fmt(med("time", "torch_ms"), ".1f"), fmt(med("torch", "step_mib"), ".1f"),
         fmt(med("torch", "process_mib"), ".0f")],
    ])
    r = med("time", "ratio")
    print(f"step time autocnn/torch (median of per-repeat ratios): {fmt(r, '.2f', '×')} "
          f"(target ≤ {target}×)  {verdict(r <= target if r == r else None)}")
    print("per-run time ratios:", "  ".join(fmt(x["time"]["ratio"], ".2f", "×") for x in runs))
    step_ratio = med("autocnn", "step_mib") / med("torch", "step_mib")
    print(f"step peak memory autocnn/torch: {fmt(step_ratio, '.2f', '×')}")
    if case == "vgg224":
        peak = med("autocnn", "process_mib")
        print(f"autocnn process peak: {peak:.0f} MiB (target ≤ {TARGET_PROCESS_MIB} MiB)  "
              f"{verdict(peak <= TARGET_PROCESS_MIB)}")


def main() -> None:
    parser = base_parser(__doc__)
    parser.add_argument("--runs", type=int, default=None,
                        help="fresh processes per case (default 3; 1 with --quick)")
    parser.add_argument("--case", choices=sorted(CASES), action="append",
                        help="the case(s) to run (default: all)")
    parser.add_argument("--child", choices=("time", "autocnn", "torch"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    # a VGG step takes seconds: fewer repeats than the millisecond benchmarks use
    repeats = args.repeats or (2 if args.quick else 5)
    if args.child:
        (case,) = args.case
        if args.child == "time":
            print(json.dumps(measure_time(case, repeats)))
        else:
            print(json.dumps(measure_memory(case, args.child)))
        return
    runs = args.runs or (1 if args.quick else 3)
    for case in args.case or list(CASES):
        collected = []
        for run in range(runs):
            result = {kind: run_child(kind, case, repeats) for kind in ("time", "autocnn",
                                                                         "torch")}
            collected.append(result)
            t = result["time"]
            print(f"{case} run {run + 1}: {fmt(t['autocnn_ms'], '.1f')} ms vs "
                  f"{fmt(t['torch_ms'], '.1f')} ms ({fmt(t['ratio'], '.2f', '×')}); process "
                  f"peak {result['autocnn']['process_mib']:.0f} / "
                  f"{result['torch']['process_mib']:.0f} MiB", flush=True)
        report(case, collected)


if __name__ == "__main__":
    main()
