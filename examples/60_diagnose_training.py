"""Diagnose training runs: the classic mistakes, each found and explained (docs/diagnose.md).

A healthy run of the lesson's CNN on the built-in shapes, then the seven mistakes students
make most — zero init, init ×10, a learning rate 100× too large or 10⁴× too small, inputs
in 0..255, dead ReLUs, a forgotten ``zero_grad`` — each diagnosed with
``autocnn.diagnose``: one verdict per run, with its evidence and what to do. The last two
runs write their reports and pictures into ``diagnosis-healthy/`` and ``diagnosis-lr-x100/``
(compare the update:data pictures of the two).

    python examples/60_diagnose_training.py
"""

from __future__ import annotations

import os

import autocnn as ac
from autocnn import functional as F
from autocnn import optim
from autocnn.data import DataLoader, load_shapes
from autocnn.diagnose import Monitor, diagnose
from autocnn.models import build_model
from autocnn.perf import limit_blas_threads

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
STEPS = 20 if SMALL else 80
LR = 0.005  # autocnn train's Adam learning rate: the healthy baseline

limit_blas_threads(1)  # small matrices: one BLAS thread is the fastest
train = load_shapes(n_train=256 if SMALL else 1000, n_test=10, image_size=12, seed=0).train


def fresh_model():
    ac.manual_seed(0)
    return build_model("seed", in_channels=1, image_size=12, num_classes=train.num_classes)


def zero_init(model):
    for p in model.parameters():
        p.data[...] = 0


def init_times_10(model):
    for p in model.parameters():
        if p.ndim >= 2:
            p.data *= 10


def dead_relus(model):
    params = dict(model.named_parameters())
    for name in ("1.bias", "5.bias"):  # batch norm's shift: every ReLU input far below 0
        params[name].data[...] = -3


RUNS = {  # name: (change to the model, learning rate, data)
    "healthy": (None, LR, train),
    "zero init": (zero_init, LR, train),
    "init ×10": (init_times_10, LR, train),
    "lr ×100": (None, LR * 100, train),
    "lr ÷10⁴": (None, LR / 1e4, train),
    "inputs 0..255": (None, LR, (train.images * 255, train.labels)),
    "dead ReLUs": (dead_relus, LR, train),
}


def forgotten_zero_grad() -> Monitor:
    """A hand-written loop that forgets optimizer.zero_grad(), watched by a Monitor."""
    model = fresh_model()
    optimizer = optim.Adam(model.parameters(), lr=LR)
    loader = DataLoader(train, batch_size=32, shuffle=True)
    with Monitor(model, optimizer, every=5, num_classes=train.num_classes) as monitor:
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)   # no optimizer.zero_grad() here
            loss.backward()
            optimizer.step()
            monitor.step(loss)
    return monitor


def main() -> None:
    reports = {}
    for name, (change, lr, data) in RUNS.items():
        model = fresh_model()
        if change is not None:
            change(model)
        reports[name] = diagnose(model, data, optim.Adam(model.parameters(), lr=lr),
                                 steps=STEPS, every=5)
    reports["no zero_grad"] = forgotten_zero_grad().report()

    print(f"{'run':<15} verdict")
    for name, report in reports.items():
        codes = ", ".join(report.codes) or "healthy (no finding)"
        print(f"{name:<15} {codes}")
        for finding in report.findings:
            print(f"{'':<15}   do this: {finding.advice}")

    print("\nThe full report of the run with lr ×100:\n")
    print(reports["lr ×100"])
    for name, folder in (("healthy", "diagnosis-healthy"), ("lr ×100", "diagnosis-lr-x100")):
        written = reports[name].save(folder)
        print(f"wrote {', '.join(written)} to {folder}/")


if __name__ == "__main__":
    main()
