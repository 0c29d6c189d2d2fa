"""``autocnn graph``: draw the computation graph of a built-in model's loss, or of a formula.

    autocnn graph --out graph.svg                      # the seed CNN, one box per layer
    autocnn graph --full --out full.svg                # every primitive, grouped by layer
    autocnn graph --steps --out steps/                 # backprop, one SVG per step
    autocnn graph --values --grads --out g.svg         # data and gradients on each box
    autocnn graph --expr "tanh(a*b + c)" --out e.svg   # a scalar formula, micrograd-style

The model is the one ``autocnn train`` trains with its defaults — built for the shapes
dataset (12×12 images, 5 classes) unless ``--image-size``/``--classes`` say otherwise — in
training mode (batch norm uses the batch's statistics, as in a training step), on two
shapes images; the loss is the cross-entropy of its logits against their labels. A model
that is a ``Sequential`` is drawn collapsed (one box per layer, its parameters and their
gradients inside); ``--full`` draws every primitive. The format comes from the file's
suffix (svg, png, pdf or dot).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autocnn.commands import UserError

#: a graph picture is of a small batch; more would only allocate (the picture is the same)
MAX_BATCH = 64


def add_parser(subparsers: Any) -> None:
    """Register ``autocnn graph``."""
    parser = subparsers.add_parser(
        "graph",
        help="draw the computation graph of a built-in model's loss or of a formula",
        description="Draw the graph of the loss of the model `autocnn train` trains (one "
        "box per layer; every primitive with --full), backpropagation as one picture per "
        "step with --steps, or a scalar formula with --expr.",
    )
    parser.add_argument("--model", default="seed", metavar="NAME",
                        help="built-in model to draw (default: seed)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="output file: .svg, .png, .pdf or .dot (with --steps: a "
                        "directory, or a file name used as the stem of numbered files)")
    parser.add_argument("--full", action="store_true",
                        help="draw every primitive (grouped by layer) instead of one box "
                        "per layer")
    parser.add_argument("--collapse", action="store_true",
                        help="one box per layer (the default for a Sequential model)")
    parser.add_argument("--steps", action="store_true",
                        help="write one picture per step of the backward pass")
    parser.add_argument("--values", action="store_true",
                        help="show the data of each box (min / mean / max for large tensors)")
    parser.add_argument("--grads", action="store_true",
                        help="show dL/d(box) on each box (--steps frames always do)")
    parser.add_argument("--expr", default=None, metavar="FORMULA",
                        help='draw a scalar formula instead, e.g. "tanh(a*b + c)" (names '
                        "are scalar leaves; values with --at)")
    parser.add_argument("--at", default=None, metavar="NAME=VALUE,...",
                        help="with --expr: the leaves' values, e.g. a=2,b=-3 (default "
                        "micrograd's a=2, b=-3, c=10, f=-2, others 1)")
    parser.add_argument("--batch", type=int, default=2, metavar="N",
                        help="images in the batch (default: 2)")
    parser.add_argument("--image-size", type=int, default=12, metavar="S",
                        help="height and width of the images (default: 12, as autocnn train)")
    parser.add_argument("--classes", type=int, default=5, metavar="K",
                        help="number of classes (default: 5, the shapes dataset)")
    parser.set_defaults(run=run)


def _images(args: argparse.Namespace) -> tuple[Any, Any]:
    """``--batch`` shapes images of side ``--image-size`` and their labels (mod K); random
    images for sizes the shapes dataset does not make (below 6 or above 28)."""
    import numpy as np

    from autocnn.data import load_shapes
    from autocnn.random import generator

    if 6 <= args.image_size <= 28:
        test = load_shapes(n_train=1, n_test=args.batch, image_size=args.image_size,
                           seed=0).test
        return test.images[: args.batch], test.labels[: args.batch] % args.classes
    size = args.image_size
    images = generator().standard_normal((args.batch, 1, size, size)).astype(np.float32)
    return images, generator().integers(0, args.classes, size=args.batch)


def _model_and_loss(args: argparse.Namespace) -> tuple[Any, Any]:
    import autocnn as ac
    from autocnn import nn
    from autocnn.models import MODELS, build_model

    if args.model not in MODELS:
        raise UserError(
            f"unknown model {args.model!r}; valid models: " + ", ".join(sorted(MODELS))
        )
    if not 1 <= args.batch <= MAX_BATCH:
        raise UserError(f"--batch must be between 1 and {MAX_BATCH}, got {args.batch}")
    if args.classes < 1:
        raise UserError(f"--classes must be at least 1, got {args.classes}")
    ac.manual_seed(0)
    try:
        model = build_model(args.model, in_channels=1, image_size=args.image_size,
                            num_classes=args.classes)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    images, labels = _images(args)
    model.train()  # the graph of a training step
    loss = nn.CrossEntropyLoss()(model(ac.tensor(images)), ac.tensor(labels))
    loss.name = "loss"
    return model, loss


def _expression(args: argparse.Namespace) -> Any:
    from autocnn.viz import expression_graph

    values: dict[str, float] = {}
    for item in (args.at or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            values[name.strip()] = float(value)
        except ValueError:
            raise UserError(f"--at expects NAME=VALUE pairs separated by commas, got "
                            f"{item!r}") from None
    try:
        return expression_graph(args.expr, values)
    except (TypeError, ValueError) as exc:
        raise UserError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    """Build the model (or formula), take its loss, and write the picture(s)."""
    from autocnn import nn, viz
    from autocnn.viz.render import FORMATS, write_picture

    out = Path(args.out)
    suffix = out.suffix.lower().lstrip(".")
    if suffix and suffix not in FORMATS:
        raise UserError(
            f"cannot write {args.out!r}: unknown format {suffix!r}; valid formats: "
            + ", ".join(FORMATS)
        )
    if not suffix and not args.steps:
        raise UserError(
            f"--out {args.out!r} has no suffix; end it with one of: "
            + ", ".join("." + f for f in FORMATS)
        )
    if args.full and args.collapse:
        raise UserError("--full and --collapse contradict each other; pass one of them")
    if args.expr is not None:
        output, tensors = _expression(args)
        what, params, collapse = f"formula {args.expr!r}", tensors, False
        style: dict[str, Any] = {"rankdir": "LR", "derivatives": True}
        values = True
    else:
        model, output = _model_and_loss(args)
        what, params = f"{args.model} model's loss", dict(model.named_parameters())
        collapse = args.collapse or (isinstance(model, nn.Sequential) and not args.full)
        style, values = {}, args.values
    if args.steps:
        # the full graph of a CNN is thousands of pixels tall: each frame of it shows the
        # neighbourhood of the step instead, at a readable size
        near = {"around": 2} if (args.full and args.expr is None) else {}
        frames = viz.backward_frames(output, params, show_values=values, collapse=collapse,
                                     **style, **near)
        written = frames.save(out)
        print(f"wrote {len(written)} pictures of the backward pass of the {what}: "
              f"{written[0]} ... {written[-1]}")
        return 0
    grads = args.grads or args.expr is not None
    picture = viz.to_dot(output, params, show_values=values, show_grads=grads,
                         collapse=collapse, number_steps=True, **style)
    path = write_picture(picture, out, suffix, "autocnn graph")
    boxes = picture.source.count(" [label=")
    view = "one box per layer" if collapse else "every primitive"
    print(f"wrote the graph of the {what} ({boxes} boxes, {view}) to {path}")
    return 0
