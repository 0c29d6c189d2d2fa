"""``autocnn lr-find``: the learning-rate range test, as a picture and a suggested rate.

Builds the model and data ``autocnn train`` would (same ``--dataset``, ``--model``,
``--optimizer`` and ``--seed``), raises the learning rate exponentially over ``--steps``
batches, and writes ``--out`` (default ``lr_find.png``): the loss against the rate on a log
scale with the suggested rate marked. It prints the suggestion and the ``autocnn train``
command that uses it. Nothing else is written; the test trains a throw-away copy.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from autocnn.commands import UserError


def add_parser(subparsers: Any) -> None:
    """Register ``autocnn lr-find`` and its options."""
    from autocnn.commands.train import DATASETS, MODELS, OPTIMIZERS

    parser = subparsers.add_parser(
        "lr-find",
        help="find a good learning rate (the range test: loss vs lr, suggestion marked)",
        description="Run the learning-rate range test on the model and data `autocnn "
        "train` would use, and draw the loss against the learning rate.",
    )
    parser.add_argument("--dataset", default="shapes", help=f"one of {', '.join(DATASETS)}")
    parser.add_argument("--model", default="seed", help=f"one of {', '.join(MODELS)}")
    parser.add_argument("--optimizer", default="adam", help=f"one of {', '.join(OPTIMIZERS)}")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step (32)")
    parser.add_argument("--start-lr", type=float, default=1e-6, help="first rate (1e-6)")
    parser.add_argument("--end-lr", type=float, default=1.0, help="last rate (1)")
    parser.add_argument("--steps", type=int, default=100, help="batches to try (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (0)")
    parser.add_argument("--out", default="lr_find.png", help="the picture (lr_find.png)")
    parser.add_argument("--image-size", type=int, default=12, help="shapes only (12)")
    parser.add_argument("--train-size", type=int, default=3000, help="shapes only (3000)")
    parser.add_argument("--data-dir", default=None, help="mnist/fashion-mnist: IDX folder")
    parser.add_argument("--download", action="store_true", help="as for autocnn train")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (1)")
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    from autocnn.commands.train import DATASETS, MODELS, OPTIMIZERS

    for value, valid, what in ((args.dataset, DATASETS, "dataset"), (args.model, MODELS, "model"),
                               (args.optimizer, OPTIMIZERS, "optimizer")):
        if value not in valid:
            raise UserError(f"unknown {what} {value!r}; valid {what}s are {', '.join(valid)}")
    if not 0 < args.start_lr < args.end_lr:
        raise UserError(f"--start-lr must be positive and below --end-lr, got {args.start_lr:g} "
                        f"and {args.end_lr:g}")
    if args.steps < 10:
        raise UserError(f"--steps must be at least 10, got {args.steps}")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {args.batch_size}")
    if not str(args.out).lower().endswith(".png"):
        raise UserError(f"--out must name a .png file, got {args.out}")


def run(args: argparse.Namespace) -> int:
    """Run the range test, write the picture, print the suggestion; the exit code."""
    _check(args)
    import autocnn as ac
    from autocnn import optim
    from autocnn.commands.train import dataset_options, load_data
    from autocnn.models import build_model
    from autocnn.perf import limit_blas_threads
    from autocnn.training.lr_find import lr_find

    limit_blas_threads(args.threads or 1)
    ac.manual_seed(args.seed)
    args.augment = getattr(args, "augment", None)
    train, _ = load_data(args.dataset, dataset_options(args), args.data_dir, args.download)
    channels, height, _ = train.image_shape
    model = build_model(args.model, in_channels=channels, image_size=height,
                        num_classes=train.num_classes)
    optimizer = (optim.Adam(model.parameters(), lr=args.start_lr) if args.optimizer == "adam"
                 else optim.SGD(model.parameters(), lr=args.start_lr, momentum=0.9))
    result = lr_find(model, train, optimizer, start_lr=args.start_lr, end_lr=args.end_lr,
                     num_iter=args.steps, batch_size=args.batch_size)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: the folder {out.parent} does not exist")
    result.plot(out)
    print(f"tried {len(result.lrs)} learning rates from {result.lrs[0]:.2g} to "
          f"{result.lrs[-1]:.2g} on {args.dataset} with {args.model} and {args.optimizer}")
    if math.isfinite(result.suggestion):
        print(f"suggested learning rate {result.suggestion:.2g} (steepest fall of the loss); "
              f"wrote {out}")
        print(f"train with it: autocnn train --dataset {args.dataset} --model {args.model} "
              f"--optimizer {args.optimizer} --lr {result.suggestion:.2g}")
    else:
        print(f"no clear fall of the loss between {args.start_lr:g} and {args.end_lr:g}: try "
              f"a wider range or more --steps; wrote {out}")
    return 0
