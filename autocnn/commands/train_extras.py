"""The parts of ``autocnn train`` that checkpoints, augmentation and schedules add.

Kept apart from ``train.py`` (the command's main flow) so that each stays short:
``prepare_resume`` turns ``--resume DIR`` into the settings of the run that wrote DIR,
``checkpoint_folder`` chooses the folder and records those settings in ``run.json``,
``make_loader`` applies ``--augment`` and ``make_schedule`` turns ``--schedule`` into what
``fit(lr_schedule=...)`` takes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from autocnn.commands import UserError

#: the settings a resumed run takes from ``run.json`` (``--epochs`` on the command line wins)
RUN_SETTINGS = ("dataset", "model", "epochs", "batch_size", "lr", "optimizer", "seed", "out",
                "image_size", "train_size", "data_dir", "augment", "schedule", "patience",
                "keep", "no_plots", "no_graph")
RUN_FILE = "run.json"


def prepare_resume(args: argparse.Namespace) -> argparse.Namespace:
    """With ``--resume DIR``: the saved settings of that run (refused if there is none)."""
    if getattr(args, "resume", None) is None:
        return args
    from autocnn.training.checkpoint import CheckpointError, find_checkpoint

    folder = Path(args.resume)
    try:
        find_checkpoint(folder)
    except CheckpointError as exc:
        raise UserError(str(exc)) from exc
    settings_file = folder / RUN_FILE
    try:
        saved = json.loads(settings_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"cannot resume: {folder} has a checkpoint but no {RUN_FILE} (the "
                        "settings autocnn train writes); resume it from Python with "
                        "fit(..., checkpoint_dir=..., resume=True)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot resume: {settings_file} is not valid JSON ({exc})") from exc
    epochs = args.epochs
    for key in RUN_SETTINGS:
        if key in saved:
            setattr(args, key, saved[key])
    if epochs is not None:
        args.epochs = epochs
    args.checkpoint_dir = str(folder)
    print(f"resuming the run in {folder}/ ({args.dataset}, {args.model}, {args.optimizer}, "
          f"seed {args.seed}; its settings are reused)")
    return args


def checkpoint_folder(args: argparse.Namespace, out: Path) -> tuple[Path, Any]:
    """``--checkpoint-dir`` or ``OUT/checkpoints``, and an ``on_epoch`` for ``fit``.

    The ``on_epoch`` function writes this run's settings to ``run.json`` beside the first
    checkpoint (so a run that fails in its first epoch leaves nothing behind).
    """
    from autocnn.files import atomic_write

    folder = Path(args.checkpoint_dir) if args.checkpoint_dir else out / "checkpoints"
    settings = {key: getattr(args, key, None) for key in RUN_SETTINGS}

    def remember_settings(record: Any) -> None:
        if args.resume is None and record.epoch == 1:
            atomic_write(folder / RUN_FILE, json.dumps(settings, indent=2) + "\n")

    return folder, remember_settings


def make_loader(train: Any, args: argparse.Namespace) -> Any:
    """The shuffled training ``DataLoader``, with ``--augment``'s transforms if given."""
    from autocnn.data import DataLoader
    from autocnn.data.transforms import parse_augment

    try:
        transform = parse_augment(args.augment) if args.augment else None
    except ValueError as exc:
        raise UserError(f"--augment: {exc}") from exc
    return DataLoader(train, batch_size=args.batch_size, shuffle=True, transform=transform)


def make_schedule(name: str, optimizer: Any, epochs: int, steps_per_epoch: int) -> Any:
    """What ``fit(lr_schedule=...)`` takes for ``--schedule NAME``."""
    from autocnn.training.control import build_schedule

    try:
        return build_schedule(name, optimizer, epochs, steps_per_epoch)
    except ValueError as exc:
        raise UserError(f"--schedule: {exc}") from exc
