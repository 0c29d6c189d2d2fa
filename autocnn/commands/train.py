"""``autocnn train``: train a CNN on a dataset and write what it learned to a folder.

With no options it trains the lesson's CNN (``seed``: two conv → batch norm → ReLU → max
pool blocks and a linear layer) on the built-in shapes dataset in well under a minute and
reaches ≥ 99 % test accuracy. ``--out`` receives::

    model.npz           the weights (ac.save; reload with `autocnn evaluate --model`)
    model.json          what the weights belong to: architecture, image shape, classes
    metrics.csv/.json   loss, accuracy, time and images/s per epoch
    graph.svg           the computation graph of the loss of one batch (graph.dot
                        when Graphviz's `dot` program is not installed)
    curves.png          loss and accuracy per epoch
    filters.png         the learned filters of the first conv
    feature_maps.png    one test image and its feature maps
    report.html         all of it and more on one offline page (autocnn.report)
    checkpoints/        last.npz (and best.npz) after every epoch, and run.json:
                        `autocnn train --resume OUT/checkpoints` goes on from there

Everything is written to a temporary folder beside ``--out`` first, which then replaces
``--out`` as a whole (an atomic exchange of the two folders, ``autocnn.files.folder_writer``):
a failed, interrupted or killed run leaves the earlier run complete, and a reader never
sees a new ``model.json`` beside old weights. Outputs of an earlier run that this run does
not write (say ``curves.png`` with ``--no-plots``) are thereby gone; other files in
``--out`` (notes, subfolders) are carried over into the new folder. ``--out`` may not be
the current folder, one of its parents, the home folder or the file-system root.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable
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
                "graph.dot", "curves.png", "filters.png", "feature_maps.png", "report.html")


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
                        "cache folder $AUTOCNN_DATA or ~/.cache/autocnn/NAME, then for "
                        "fashion-mnist /usr/share/datasets/fashion-mnist)")
    parser.add_argument("--download", action="store_true",
                        help="mnist/fashion-mnist: download the files once into the folder "
                        "(checked against their published MD5 checksums)")
    parser.add_argument("--no-plots", action="store_true", help="skip the matplotlib plots")
    parser.add_argument("--no-graph", action="store_true", help="skip the graph picture")
    parser.add_argument("--augment", default=None, metavar="SPEC",
                        help="augment training batches, e.g. shift:2,flip or crop:4 "
                        "(see docs/training.md)")
    parser.add_argument("--schedule", default="cosine", metavar="NAME",
                        help="learning-rate schedule: constant, cosine (default), step, "
                        "onecycle, warmup")
    parser.add_argument("--patience", type=int, default=None, metavar="N",
                        help="stop when the test loss has not improved for N epochs")
    parser.add_argument("--keep", default="last", choices=("last", "best"),
                        help="the model written: the last epoch's (default) or the best "
                        "epoch's (lowest test loss)")
    parser.add_argument("--checkpoint-dir", default=None, metavar="DIR",
                        help="where checkpoints go after every epoch (default: OUT/checkpoints)")
    parser.add_argument("--resume", default=None, metavar="DIR",
                        help="go on from the checkpoint folder DIR of an interrupted run (its "
                        "settings are reused; --epochs may extend it)")
    parser.add_argument("--diagnose", action="store_true",
                        help="health checks before training and every 10 steps; prints the "
                        "verdicts and writes --out/diagnosis/ (see docs/diagnose.md)")
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
    for name in ("epochs", "batch_size", "train_size", "threads", "patience"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.lr is not None and not args.lr > 0:
        raise UserError(f"--lr must be positive, got {args.lr}")
    if args.seed < 0:
        raise UserError(f"--seed must be non-negative, got {args.seed}")
    if not 6 <= args.image_size <= 28:
        raise UserError(f"--image-size must be between 6 and 28, got {args.image_size}")


def check_out(value: str | os.PathLike) -> Path:
    """``--out`` as a Path, refusing folders a run must never replace.

    A run replaces its folder as a whole, so ``--out .`` would swap out the current folder
    (the user's project) and ``--out ~`` the home folder: refused, as are their parents
    and the root of the file system.
    """
    if not str(value).strip():
        raise UserError("--out must name a folder, got an empty string")
    out = Path(value).expanduser()
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder")
    real = Path(os.path.realpath(out))
    cwd = Path(os.path.realpath(Path.cwd()))
    home = Path(os.path.realpath(Path.home()))
    protected = {"the current folder": cwd, "the home folder": home}
    for what, folder in protected.items():
        relation = what if real == folder else f"a parent of {what}" if real in folder.parents \
            else None
        if relation:
            raise UserError(f"--out {value} is {relation}; a run replaces its output folder "
                            "as a whole, so give it a folder of its own (e.g. --out "
                            "runs/my-run)")
    own = "give a run a folder of its own (e.g. --out runs/my-run)"
    if real.parent == real:
        raise UserError(f"--out {value} is the root of the file system; {own}")
    if real.parent.parent == real.parent or (real.is_dir() and os.path.ismount(real)):
        # /tmp, /usr, /home or a mounted disk: system folders, never a run's own
        raise UserError(f"--out {value} is a top-level or mounted folder ({real}); {own}")
    if real.is_dir() and not _holds_a_run(real):
        folders = sorted(p.name for p in real.iterdir() if p.is_dir() and p.name not in
                         RUN_FOLDERS)
        if folders:
            raise UserError(
                f"--out {value} holds folders ({', '.join(folders[:3])}"
                f"{', …' if len(folders) > 3 else ''}) but no earlier run; a run replaces "
                f"its output folder as a whole, so {own}"
            )
    return out


#: sub-folders a run itself writes into --out (checkpoints for --resume, --diagnose's)
RUN_FOLDERS = ("checkpoints", "diagnosis")


def _holds_a_run(folder: Path) -> bool:
    """True when ``folder`` holds an output of an earlier ``autocnn train``."""
    return any((folder / name).exists() for name in (*OUTPUT_FILES, *RUN_FOLDERS))


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
    from autocnn.commands.train_extras import checkpoint_folder, prepare_resume

    args = prepare_resume(args)
    _check_args(args)
    import autocnn as ac
    from autocnn import optim
    from autocnn.models import build_model
    from autocnn.training import evaluate, fit

    out = check_out(args.out if args.out is not None else f"runs/{args.dataset}-{args.model}")
    threads = _setup_threads(args.threads)
    ac.perf.tune_allocator()
    ac.manual_seed(args.seed)

    options = dataset_options(args)
    train, test = load_data(args.dataset, options, args.data_dir, args.download)
    from autocnn.commands.train_extras import make_loader, make_schedule

    loader = make_loader(train, args)
    channels, height, width = train.image_shape
    model = build_model(args.model, in_channels=channels, image_size=height,
                        num_classes=train.num_classes)
    from autocnn.explain import shapes  # a model that cannot take these images: say why

    if not (fit_report := shapes(model, train.image_shape)).ok:
        raise UserError(f"model {args.model} does not fit {channels}×{height}×{width} "
                        f"images:\n{fit_report}")
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
    schedule = make_schedule(args.schedule, optimizer, epochs, len(loader))
    checkpoints, remember_settings = checkpoint_folder(args, out)
    print(f"training {epochs} epochs, batch size {args.batch_size}, {args.optimizer} "
          f"lr {lr:g} ({args.schedule} schedule), seed {args.seed}"
          + (f", augment {args.augment}" if args.augment else "") + f"; {threads}")
    from autocnn.diagnose import TrainingDiagnosis

    diagnosis = TrainingDiagnosis(model, train, optimizer, every=10) if args.diagnose else None
    start = time.perf_counter()
    try:
        history = fit(model, loader, optimizer, epochs=epochs, test_data=test,
                      batch_size=args.batch_size, lr_schedule=schedule,
                      checkpoint_dir=checkpoints, resume=args.resume is not None,
                      keep=args.keep, patience=args.patience, on_epoch=remember_settings,
                      monitor=diagnosis.monitor if diagnosis else None)
    except FloatingPointError as exc:
        if diagnosis is not None:  # the failed run's diagnosis says why it failed
            diagnosis.finish(out / "diagnosis", not args.no_plots, exc, sys.stdout)
        raise UserError(f"{exc} (got --lr {lr:g})") from exc
    except ValueError as exc:  # a checkpoint of another run (CheckpointError)
        raise UserError(str(exc)) from exc
    if diagnosis is not None:
        diagnosis.stop()  # the hooks go before the outputs run the model again
    if history.stopped == "interrupted":
        if diagnosis is not None:  # what was seen until Ctrl-C
            diagnosis.finish(out / "diagnosis", not args.no_plots, stream=sys.stdout)
        return 130
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
        "augment": args.augment, "schedule": args.schedule, "keep": args.keep,
        "best_epoch": history.best_epoch, "stopped": history.stopped,
    }
    diagnosis_report = None
    if diagnosis is not None:  # printed now, saved with the run (inside its atomic folder)
        diagnosis_report = diagnosis.finish(None, stream=sys.stdout)

    def write_diagnosis(staging: Path) -> None:
        if diagnosis_report is not None:
            diagnosis_report.save(staging / "diagnosis", plots=not args.no_plots)

    try:
        written = write_outputs(out, model, history, test, metadata,
                                plots=not args.no_plots, graph=not args.no_graph,
                                extra=write_diagnosis)
    except PermissionError as exc:
        raise UserError(f"cannot write the outputs to --out {out}: {exc}") from exc
    print(f"wrote {', '.join(written)} to {out}/")
    return 0


def write_outputs(out: Path, model: Any, history: Any, test: Any, metadata: dict[str, Any],
                  plots: bool = True, graph: bool = True,
                  extra: Callable[[Path], None] | None = None) -> list[str]:
    """Write every output into a temporary sibling folder that then replaces ``out``.

    Returns the names of the files written. The swap is one atomic step
    (``autocnn.files.folder_writer``), so ``out`` holds either the earlier run or this one,
    never a mix, even after a kill -9; outputs of an earlier run (``OUTPUT_FILES``) that
    this run does not write are gone with the old folder, and any other entry of ``out`` is
    carried over. A failure before the swap leaves ``out`` untouched and no temporary
    folder behind.
    """
    from autocnn.files import folder_writer
    from autocnn.training import save_model

    # checkpoints/ is carried over (--resume reads it); diagnosis/ describes one run, so it
    # goes with the old folder like every other output
    carried = lambda name: name not in OUTPUT_FILES and name != "diagnosis"  # noqa: E731
    with folder_writer(out, keep=carried) as staging:
        save_model(model, staging / "model.npz", metadata)
        history.to_csv(staging / "metrics.csv")
        history.to_json(staging / "metrics.json", **{k: metadata[k] for k in (
            "dataset", "model", "test_accuracy", "test_loss", "train_seconds")})
        if graph:
            _write_graph(model, test, staging, out)
        if plots:
            _write_plots(model, history, test, staging)
        from autocnn.report.train import write_run_report

        if extra is not None:  # more outputs of this run (--diagnose's folder)
            extra(staging)
        write_run_report(staging, model, history, test, metadata, graph=graph)
        names = sorted(p.name for p in staging.iterdir())
    return names


def _write_graph(model: Any, test: Any, folder: Path, out: Path) -> None:
    """The graph of the loss of a two-image batch: small enough to read."""
    from autocnn import functional as F
    from autocnn.autograd.tensor import Tensor
    from autocnn.viz import render
    from autocnn.viz.render import dot_available

    model.eval()
    images, labels = Tensor(test.images[:2]), Tensor(test.labels[:2])
    loss = F.cross_entropy(model(images), labels)
    params = dict(model.named_parameters())
    if dot_available():
        render(loss, folder / "graph.svg", params=params)
        return
    render(loss, folder / "graph.dot", format="dot", params=params)
    from autocnn.report.train import missing_dot_message

    print(missing_dot_message(out), file=sys.stderr)


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
