"""``autocnn diagnose RUN_DIR``: is the training recipe of a run healthy? Verdicts and advice.

``RUN_DIR`` is a folder written by ``autocnn train``. When that run was trained with
``--diagnose``, its ``diagnosis/`` folder (verdicts, JSON, pictures) is shown as it is.
Otherwise — or with ``--rerun`` — the recipe in ``model.json`` (model, dataset, optimiser,
learning rate, batch size, seed) is diagnosed afresh: a new model of that recipe gets the
checks before training and a short monitored training run (``autocnn.diagnose.diagnose``),
and the result is written to ``RUN_DIR/diagnosis/``. The trained weights are not changed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from autocnn.commands import UserError

#: the folder of a run that holds its diagnosis
FOLDER = "diagnosis"


def add_parser(subparsers: Any) -> None:
    """Register ``autocnn diagnose`` and its options."""
    parser = subparsers.add_parser(
        "diagnose",
        help="check a training run's health: verdicts with evidence and what to do",
        description="Show the diagnosis of a run trained with `autocnn train --diagnose`, "
        "or diagnose the recipe of any run folder afresh (checks before training and a "
        "short monitored run) and write it to RUN_DIR/diagnosis/.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by autocnn train")
    parser.add_argument("--rerun", action="store_true",
                        help="diagnose the recipe afresh even if RUN_DIR/diagnosis/ exists")
    parser.add_argument("--steps", type=int, default=60,
                        help="training steps of the monitored run (60)")
    parser.add_argument("--every", type=int, default=5,
                        help="measure every this many steps (5)")
    parser.add_argument("--no-plots", action="store_true", help="skip the pictures")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the run's diagnosis (computing it first when needed)."""
    folder = Path(args.run_dir)
    if not folder.is_dir():
        raise UserError(f"RUN_DIR {folder} is not a folder (give the --out folder of "
                        "autocnn train)")
    for name in ("steps", "every"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name} must be at least 1, got {getattr(args, name)}")
    saved = folder / FOLDER / "diagnosis.txt"
    model_file = folder / "model.json"
    stale = (saved.is_file() and model_file.is_file()
             and saved.stat().st_mtime < model_file.stat().st_mtime)
    if saved.is_file() and not args.rerun and not stale:
        print(saved.read_text(encoding="utf-8"), end="")
        _list_pictures(folder / FOLDER)
        return 0
    if stale and not args.rerun:
        print(f"{saved} is older than the run's model.json (an earlier run): diagnosing "
              "the recipe afresh")
    report = _rerun(folder, args)
    print(report.text(), end="")
    report.save(folder / FOLDER, plots=not args.no_plots)
    print(f"wrote the diagnosis to {folder / FOLDER}/")
    _list_pictures(folder / FOLDER)
    return 0


def _list_pictures(folder: Path) -> None:
    pictures = sorted(p.name for p in folder.glob("*.png"))
    if pictures:
        print(f"pictures in {folder}/: {', '.join(pictures)} (see docs/diagnose.md)")


def _rerun(folder: Path, args: argparse.Namespace) -> Any:
    """Rebuild the run's recipe from model.json and diagnose it."""
    import autocnn as ac
    from autocnn import optim
    from autocnn.commands.train import load_data
    from autocnn.diagnose import diagnose
    from autocnn.model_files import read_metadata
    from autocnn.models import MODELS, build_model
    from autocnn.perf import limit_blas_threads

    try:
        meta = read_metadata(folder / "model.npz")
    except (FileNotFoundError, ValueError) as exc:
        files = sorted(p.name for p in folder.iterdir())
        shown = ", ".join(files[:8]) + (f" and {len(files) - 8} more" if len(files) > 8 else "")
        raise UserError(f"{exc}; RUN_DIR {folder} holds {shown or 'nothing'}") from exc
    if meta["model"] not in MODELS:
        raise UserError(f"model.json names the model {meta['model']!r}; valid models are "
                        f"{', '.join(MODELS)}")
    optimizer_name = meta.get("optimizer", "adam")
    if optimizer_name not in ("adam", "sgd"):
        raise UserError(f"model.json names the optimizer {optimizer_name!r}; valid "
                        "optimizers are adam, sgd")
    seed = int(meta.get("seed", 0))
    if not (os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")):
        limit_blas_threads(1)  # small matrices: as autocnn train, one thread is fastest
    ac.manual_seed(seed)
    train, _ = load_data(meta.get("dataset", "shapes"), meta.get("dataset_options") or {},
                         meta.get("data_dir"))
    model = build_model(meta["model"], in_channels=int(meta["in_channels"]),
                        image_size=int(meta["image_size"]), num_classes=int(meta["num_classes"]))
    lr = float(meta.get("lr", 0.005))
    if optimizer_name == "adam":
        optimizer = optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)  # as autocnn train
    print(f"diagnosing the recipe of {folder}: {meta['model']} on {meta.get('dataset')}, "
          f"{optimizer_name} lr {lr:g}, batch size {meta.get('batch_size', 32)}, seed {seed}, "
          f"{args.steps} steps")
    return diagnose(model, train, optimizer, steps=args.steps, every=args.every,
                    batch_size=int(meta.get("batch_size", 32)))
