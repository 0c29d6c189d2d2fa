"""``autocnn graph``: draw the computation graph of a built-in model's loss.

    autocnn graph --out graph.svg                      # the seed CNN, every primitive
    autocnn graph --model lenet --collapse --out g.png # one box per layer
    autocnn graph --steps --collapse --out steps/      # backprop, one SVG per step
    autocnn graph --values --grads --out g.svg         # data and gradients on each box

The model (from ``autocnn.models``) runs on a small random batch, the cross-entropy loss
of its logits against random labels is taken, and the graph of that loss is drawn with
``autocnn.viz``. The format comes from the file's suffix (svg, png, pdf or dot).
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
        help="draw the computation graph of a built-in model's loss (Graphviz)",
        description="Draw the graph of a built-in model's loss on a small random batch: "
        "every primitive the engine recorded, grouped by module, or one box per module "
        "with --collapse; --steps writes backpropagation as one picture per step.",
    )
    parser.add_argument("--model", default="seed", metavar="NAME",
                        help="built-in model to draw (default: seed)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="output file: .svg, .png, .pdf or .dot (with --steps: a "
                        "directory, or a file name used as the stem of numbered files)")
    parser.add_argument("--collapse", action="store_true",
                        help="draw each layer as one box instead of its primitives")
    parser.add_argument("--steps", action="store_true",
                        help="write one picture per step of the backward pass")
    parser.add_argument("--values", action="store_true",
                        help="show the data of each box (min/mean/max for large tensors)")
    parser.add_argument("--grads", action="store_true",
                        help="show dL/d(box) on each box (--steps frames always do)")
    parser.add_argument("--batch", type=int, default=2, metavar="N",
                        help="batch size of the random input (default: 2)")
    parser.add_argument("--image-size", type=int, default=None, metavar="S",
                        help="height and width of the random input (default: the model's)")
    parser.set_defaults(run=run)


def _model_and_loss(args: argparse.Namespace) -> tuple[Any, Any]:
    import autocnn as ac
    from autocnn import nn
    from autocnn.models import MODELS, build_model
    from autocnn.random import generator

    if args.model not in MODELS:
        raise UserError(
            f"unknown model {args.model!r}; valid models: " + ", ".join(sorted(MODELS))
        )
    if not 1 <= args.batch <= MAX_BATCH:
        raise UserError(f"--batch must be between 1 and {MAX_BATCH}, got {args.batch}")
    kwargs = {} if args.image_size is None else {"image_size": args.image_size}
    try:
        model = build_model(args.model, **kwargs)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    size = args.image_size or 28
    channels = 1
    x = ac.randn(args.batch, channels, size, size)
    labels = ac.tensor(generator().integers(0, 10, size=args.batch))
    loss = nn.CrossEntropyLoss()(model(x), labels)  # a module: drawn as its own box
    loss.name = "loss"
    return model, loss


def run(args: argparse.Namespace) -> int:
    """Build the model, take its loss, and write the picture(s)."""
    from autocnn import viz
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
    model, loss = _model_and_loss(args)
    params = dict(model.named_parameters())
    if args.steps:
        frames = viz.backward_frames(loss, params, show_values=args.values,
                                     collapse=args.collapse)
        written = frames.save(out)
        print(f"wrote {len(written)} pictures of the backward pass of the {args.model} model: "
              f"{written[0]} ... {written[-1]}")
        return 0
    picture = viz.to_dot(loss, params, show_values=args.values, show_grads=args.grads,
                         collapse=args.collapse)
    path = write_picture(picture, out, suffix, "autocnn graph")
    nodes = picture.source.count(" [label=")
    print(f"wrote the graph of the {args.model} model's loss ({nodes} boxes) to {path}")
    return 0
