"""``autocnn evaluate --model FILE``: reload a trained model and report its test accuracy.

The model file (``model.npz``, written by ``autocnn train``) holds only arrays; its sidecar
``model.json`` names the architecture, the image shape, the classes and the dataset it was
trained on. ``evaluate`` rebuilds that architecture, loads the weights (a file that does not
fit the architecture is refused, naming the mismatched entries), rebuilds the same test set
(or another one given with ``--dataset``), and prints the accuracy overall and per class.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autocnn.commands import UserError


def add_parser(subparsers: Any) -> None:
    """Register ``autocnn evaluate`` and its options."""
    parser = subparsers.add_parser(
        "evaluate",
        help="reload a model written by `autocnn train` and report its test accuracy",
        description="Reload a model written by `autocnn train` (model.npz with its "
        "model.json) and report its accuracy on the test set it was trained for.",
    )
    parser.add_argument("--model", required=True, metavar="FILE",
                        help="the model file, e.g. runs/shapes-seed/model.npz")
    parser.add_argument("--dataset", default=None,
                        help="evaluate on this dataset instead of the one in model.json")
    parser.add_argument("--data-dir", default=None,
                        help="mnist/fashion-mnist: folder with the IDX files (default: the "
                        "folder the model was trained from, else the cache folder)")
    parser.add_argument("--batch-size", type=int, default=500, help="images per batch (500)")
    parser.set_defaults(run=run)


def load_trained_model(path: Path) -> tuple[Any, dict[str, Any]]:
    """The model and metadata of ``path``, with every failure turned into ``UserError``."""
    from autocnn.nn import StateDictError
    from autocnn.training import load_model

    if not path.is_file():
        raise UserError(f"no such model file: {path}")
    try:
        return load_model(path)
    except StateDictError as exc:
        raise UserError(f"the weights in {path} do not match the model its metadata names: "
                        f"{exc}") from exc
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    """Evaluate the model; the exit code."""
    from autocnn.commands.train import DATASETS, load_data
    from autocnn.training import confusion_matrix, evaluate, limit_blas_threads, predict

    if args.batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {args.batch_size}")
    path = Path(args.model)
    model, meta = load_trained_model(path)
    name = args.dataset or meta.get("dataset")
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}; valid datasets are {', '.join(DATASETS)}")
    same_data = name == meta.get("dataset")
    options = meta.get("dataset_options", {}) if same_data else {}
    data_dir = args.data_dir or (meta.get("data_dir") if same_data else None)
    limit_blas_threads(1)
    _, test = load_data(name, options, data_dir)
    expected = (int(meta["in_channels"]), int(meta["image_size"]), int(meta["image_size"]))
    if test.image_shape != expected:
        raise UserError(
            f"the model in {path} takes images of {'×'.join(map(str, expected))}, but the "
            f"{name} test images are {'×'.join(map(str, test.image_shape))}"
        )
    if test.num_classes != int(meta["num_classes"]):
        raise UserError(f"the model in {path} has {meta['num_classes']} classes, the {name} "
                        f"dataset {test.num_classes}")
    result = evaluate(model, test, batch_size=args.batch_size)
    predictions = predict(model, test.images, args.batch_size).argmax(axis=1)
    matrix = confusion_matrix(test.labels, predictions, test.num_classes)
    print(f"model    {path} ({meta['model']}, trained on {meta.get('dataset', '?')})")
    print(f"dataset  {name}: {len(test)} test images")
    print(f"accuracy {100 * result['accuracy']:.2f}%   loss {result['loss']:.4f}")
    width = max(len(str(c)) for c in test.classes)
    for i, cls in enumerate(test.classes):
        total = int(matrix[i].sum())
        share = f"{100 * matrix[i, i] / total:6.2f}%" if total else "     -"
        print(f"  {cls:>{width}}  {share}  ({int(matrix[i, i])}/{total})")
    return 0
