"""Graph pictures: how long exporting and rendering take (targets of issue 6).

Targets: a 100,000-op chain exports to DOT in under 5 s (recursion-free walk); the graph
of a LeNet forward + loss renders to SVG in under 5 s with every primitive and under 2 s
with collapsed modules; a 2,400-box graph renders in under 10 s; all backward-step frames
of the seed CNN (collapsed) render in under 10 s. Rendering needs Graphviz's `dot`;
without it only the DOT export is timed.

Run:  python benchmarks/viz_graph.py [--quick]
"""

from __future__ import annotations

import shutil

from common import base_parser, fmt, interleave, print_table, verdict

import autocnn as ac
from autocnn import nn, viz
from autocnn.models import build_model


def chain(n: int) -> ac.Tensor:
    y = ac.tensor(1.0, requires_grad=True, name="x")
    for _ in range(n):
        y = y * 1.0
    return y


def deep_mlp(layers: int) -> ac.Tensor:
    """tanh(x @ W + 1) repeated: 3 ops and 1 parameter per layer (4 boxes)."""
    x = ac.randn(2, 4)
    for _ in range(layers):
        x = (x @ ac.randn(4, 4, requires_grad=True) + 1.0).tanh()
    return x.sum()


def model_loss(name: str) -> ac.Tensor:
    ac.manual_seed(0)
    model = build_model(name)
    return nn.CrossEntropyLoss()(model(ac.randn(4, 1, 28, 28)), ac.tensor([0, 1, 2, 3]))


def main() -> None:
    args = base_parser(__doc__).parse_args()
    repeats = 1 if args.quick else (args.repeats or 3)
    has_dot = shutil.which("dot") is not None
    long_chain = chain(100_000)
    lenet = model_loss("lenet")
    seed = model_loss("seed")
    n_boxes = viz.to_dot(lenet).source.count("[label=")
    big = deep_mlp(600)
    n_big = viz.to_dot(big).source.count("[label=")

    def frames_svg() -> None:
        for frame in viz.backward_frames(seed, collapse=True):
            frame.pipe(format="svg")

    cases = {
        "to_dot, 100k-op chain": lambda: viz.to_dot(long_chain).source,
        f"LeNet loss ({n_boxes} boxes) → SVG": (
            (lambda: viz.to_dot(lenet).pipe(format="svg")) if has_dot else None
        ),
        f"deep MLP ({n_big} boxes) → SVG": (
            (lambda: viz.to_dot(big).pipe(format="svg")) if has_dot else None
        ),
        "LeNet loss, collapsed → SVG": (
            (lambda: viz.to_dot(lenet, collapse=True).pipe(format="svg")) if has_dot else None
        ),
        "seed CNN, every collapsed frame → SVG": frames_svg if has_dot else None,
    }
    targets = dict(zip(cases, (5.0, 5.0, 10.0, 2.0, 10.0)))
    samples = interleave(cases, repeats=repeats, warmup=0)
    rows = []
    for name, target in targets.items():
        s = samples.get(name)
        median = s.median if s is not None else float("nan")
        rows.append([name, fmt(median, ".2f", " s"), f"< {target:g} s",
                     verdict(None if s is None else median < target)])
    print_table(["case", "median", "target", "verdict"], rows)
    if not has_dot:
        print("Graphviz's `dot` is not installed: rendering cases not measured")


if __name__ == "__main__":
    main()
