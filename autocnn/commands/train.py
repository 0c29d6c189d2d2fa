"""``autocnn train``: train a CNN on a dataset and write what it learned to a folder.

With no options it trains the lesson's CNN (``seed``: two conv → batch norm → ReLU → max
pool blocks and a linear layer) on the built-in shapes dataset in well under a minute and
reaches ≥ 99 % test accuracy. ``--out`` receives::

    model.npz           the weights (ac.save; reload with `autocnn evaluate --model`)
    model.json          what the weights belong to: architecture, image shape, classes
    metrics.csv/.json   loss, accuracy, time and images/s per epoch
    graph.svg           the computation graph of the loss of one batch (graph.dot
                        when Graphviz's `dot` program is not installed)
    curves.png          loss and accuracy per epoch          } with matplotlib
    filters.png         the learned filters of the first conv } (the [plot] extra)
    feature_maps.png    one test image and its feature maps  }

Everything is written to a temporary folder first and moved into ``--out`` only when the
run succeeded, so a failed or interrupted run never destroys earlier results. A successful
run then removes the outputs of an earlier run that it did not write itself (say
``curves.png`` when run with ``--no-plots``); other files in ``--out`` are never touched.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autocnn.commands import UserError

DATASETS = ("shapes", "digits", "mnist", "fashion-mnist")
MODELS = ("seed", "lenet", "vgg_small", "resnet_small")
OPTIMIZERS = ("adam", "sgd")

#: passes over the training set when --epochs is not given
DEFAULT_EPOCHS = {"shapes": 5, "digits": 15, "mnist": 3, "fashion-mnist": 5}
DEFAULT_LR = {"adam": 0.005, "sgd": 0.05}

#: every file a run can write into --out; the ones a new run does not write are removed
OUTPUT_FILES = ("model.npz", "model.json", "metrics.csv", "metrics.json", "graph.svg",
                "graph.dot", "curves.png", "filters.png", "feature_maps.png")


def add_parser(subparsers: Any) -> None:
    """Register ``autocnn train`` and its options."""
    parser = subparsers.add_parser(
        "train",
        help="train a CNN (default: the lesson's CNN on built-in shapes, < 1 minute)",
        description="Train a CNN built from autocnn's primitives and write the model, "
        "per-epoch metrics, the computation graph and (with matplotlib) plots to --out.",
    )
    parser.add_argument("--dataset", default="shapes",
                        help=f"one of {', '.join(DATASETS)} (default: shapes)")
    parser.add_argument("--model", default="seed",
                        help=f"one of {', '.join(MODELS)} (default: seed)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the training set (default: "
                        + ", ".join(f"{k} {v}" for k, v in DEFAULT_EPOCHS.items()) + ")")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step (32)")
    parser.add_argument("--lr", type=float, default=None,
                        help="starting learning rate, lowered along a cosine "
                        "(default: adam 0.005, sgd 0.05)")
    parser.add_argument("--optimizer", default="adam",
                        help=f"one of {', '.join(OPTIMIZERS)} (default: adam; sgd uses "
                        "momentum 0.9)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (0)")
    parser.add_argument("--out", default=None,
                        help="folder for the outputs (default: runs/DATASET-MODEL)")
    parser.add_argument("--image-size", type=int, default=12,
                        help="shapes only: image side, 6 to 28 (default: 12)")
    parser.add_argument("--train-size", type=int, default=3000,
                        help="shapes only: number of training images (default: 3000)")
    parser.add_argument("--data-dir", default=None,
                        help="mnist/fashion-mnist: folder with the IDX files (default: the "
                        "cache folder $AUTOCNN_DATA or ~/.cache/autocnn/NAME)")
    parser.add_argument("--download", action="store_true",
                        help="mnist/fashion-mnist: download the files once into the folder "
                        "(checked against their published MD5 checksums)")
    parser.add_argument("--no-plots", action="store_true", help="skip the matplotlib plots")
    parser.add_argument("--no-graph", action="store_true", help="skip the graph picture")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (default: 1, faster for small CNNs on busy "
                        "machines; OPENBLAS_NUM_THREADS / OMP_NUM_THREADS also apply)")
    parser.set_defaults(run=run)


def _check_choice(value: str, valid: tuple[str, ...], what: str) -> str:
    if value not in valid:
        raise UserError(f"unknown {what} {value!r}; valid {what}s are {', '.join(valid)}")
    return value


def _check_args(args: argparse.Namespace) -> None:
    _check_choice(args.dataset, DATASETS, "dataset")
    _check_choice(args.model, MODELS, "model")
    _check_choice(args.optimizer, OPTIMIZERS, "optimizer")
    for name in ("epochs", "batch_size", "train_size", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.lr is not None and not args.lr > 0:
        raise UserError(f"--lr must be positive, got {args.lr}")
    if args.seed < 0:
        raise UserError(f"--seed must be non-negative, got {args.seed}")
    if not 6 <= args.image_size <= 28:
        raise UserError(f"--image-size must be between 6 and 28, got {args.image_size}")


def load_data(name: str, options: dict[str, Any], data_dir: str | None = None,
              download: bool = False) -> Any:
    """The ``Split`` of dataset ``name``, with dataset errors turned into ``UserError``."""
    from autocnn.data import DatasetError, load_dataset

    try:
        return load_dataset(name, root=data_dir, download=download, **options)
    except (DatasetError, OSError) as exc:
        raise UserError(str(exc)) from exc


def dataset_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword options that rebuild the same dataset (stored in model.json)."""
    if args.dataset == "shapes":
        return {"n_train": args.train_size, "n_test": 1000, "image_size": args.image_size,
                "seed": args.seed}
    return {}


def _setup_threads(threads: int | None) -> str:
    from autocnn.training import limit_blas_threads

    if threads is None and (os.environ.get("OPENBLAS_NUM_THREADS")
                            or os.environ.get("OMP_NUM_THREADS")):
        return "BLAS threads as set in the environment"
    return limit_blas_threads(threads or 1)["reason"]


def run(args: argparse.Namespace) -> int:
    """Train, report, and write the outputs; the exit code."""
    _check_args(args)
    import autocnn as ac
    from autocnn import optim
    from autocnn.models import build_model
    from autocnn.training import evaluate, fit

    out = Path(args.out if args.out is not None else f"runs/{args.dataset}-{args.model}")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder")
    threads = _setup_threads(args.threads)
    ac.perf.tune_allocator()
    ac.manual_seed(args.seed)

    options = dataset_options(args)
    train, test = load_data(args.dataset, options, args.data_dir, args.download)
    channels, height, width = train.image_shape
    model = build_model(args.model, in_channels=channels, image_size=height,
                        num_classes=train.num_classes)
    epochs = args.epochs or DEFAULT_EPOCHS[args.dataset]
    lr = args.lr or DEFAULT_LR[args.optimizer]
    if args.optimizer == "adam":
        optimizer = optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    print(f"dataset  {args.dataset}: {len(train)} training and {len(test)} test images of "
          f"{channels}×{height}×{width}, {train.num_classes} classes "
          f"({', '.join(train.classes)})")
    print(f"model    {args.model}: {model.num_parameters():,} parameters")
    print(f"training {epochs} epochs, batch size {args.batch_size}, {args.optimizer} "
          f"lr {lr:g} (cosine decay), seed {args.seed}; {threads}")
    start = time.perf_counter()
    try:
        history = fit(model, train, optimizer, epochs=epochs, test_data=test,
                      batch_size=args.batch_size, lr_schedule="cosine")
    except FloatingPointError as exc:
        raise UserError(f"{exc} (got --lr {lr:g})") from exc
    seconds = time.perf_counter() - start
    result = evaluate(model, test)
    print(f"test accuracy {100 * result['accuracy']:.2f}% ({result['count']} images), "
          f"test loss {result['loss']:.4f}, trained in {seconds:.1f}s")

    metadata = {
        "model": args.model, "in_channels": channels, "image_size": height,
        "num_classes": train.num_classes, "classes": list(train.classes),
        "dataset": args.dataset, "dataset_options": options,
        "data_dir": str(Path(args.data_dir).resolve()) if args.data_dir else None,
        "test_accuracy": result["accuracy"], "test_loss": result["loss"],
        "epochs": epochs, "batch_size": args.batch_size, "optimizer": args.optimizer,
        "lr": lr, "seed": args.seed, "train_seconds": seconds, "autocnn": ac.__version__,
    }
    try:
        written = write_outputs(out, model, history, test, metadata,
                                plots=not args.no_plots, graph=not args.no_graph)
    except PermissionError as exc:
        raise UserError(f"cannot write the outputs to --out {out}: {exc}") from exc
    print(f"wrote {', '.join(written)} to {out}/")
    return 0


def write_outputs(out: Path, model: Any, history: Any, test: Any, metadata: dict[str, Any],
                  plots: bool = True, graph: bool = True) -> list[str]:
    """Write every output into a temporary folder, then move them into ``out``.

    Returns the names of the files written. Outputs an earlier ``autocnn train`` wrote into
    ``out`` (the names of ``OUTPUT_FILES``) that this run does not write are removed, so
    the folder never mixes two runs; any other file of ``out`` is left as it is. A failure
    before the move leaves ``out`` untouched.
    """
    from autocnn.training import save_model

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        save_model(model, staging / "model.npz", metadata)
        history.to_csv(staging / "metrics.csv")
        history.to_json(staging / "metrics.json", **{k: metadata[k] for k in (
            "dataset", "model", "test_accuracy", "test_loss", "train_seconds")})
        if graph:
            _write_graph(model, test, staging)
        if plots:
            _write_plots(model, history, test, staging)
        out.mkdir(parents=True, exist_ok=True)
        names = sorted(p.name for p in staging.iterdir())
        for name in names:
            os.replace(staging / name, out / name)
        for name in OUTPUT_FILES:
            if name not in names and (out / name).is_file():
                (out / name).unlink()  # left by an earlier run: it would describe another model
        return names
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_graph(model: Any, test: Any, folder: Path) -> None:
    """The graph of the loss of a two-image batch: small enough to read."""
    from autocnn import functional as F
    from autocnn.autograd.tensor import Tensor
    from autocnn.viz import render
    from autocnn.viz.render import INSTALL_HINT, dot_available

    model.eval()
    images, labels = Tensor(test.images[:2]), Tensor(test.labels[:2])
    loss = F.cross_entropy(model(images), labels)
    params = dict(model.named_parameters())
    if dot_available():
        render(loss, folder / "graph.svg", params=params)
        return
    render(loss, folder / "graph.dot", format="dot", params=params)
    print(f"Graphviz's `dot` program was not found, so the graph was written as DOT text "
          f"(graph.dot); {INSTALL_HINT}, then run: dot -Tsvg graph.dot -o graph.svg",
          file=sys.stderr)


def _write_plots(model: Any, history: Any, test: Any, folder: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        print("matplotlib is not installed, so no plots were drawn "
              "(pip install \"autocnn[plot]\")", file=sys.stderr)
        return
    from autocnn.training import plot_feature_maps, plot_filters, plot_history

    plot_history(history, folder / "curves.png")
    plot_filters(model, folder / "filters.png")
    label = int(test.labels[0])
    plot_feature_maps(model, test.images[0], folder / "feature_maps.png",
                      title=str(test.classes[label]))
