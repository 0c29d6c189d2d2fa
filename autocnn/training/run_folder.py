"""The checkpoint folder of one ``fit``: save after every epoch, restore to resume.

``fit`` talks to a ``RunFolder`` at three points — ``restore`` before the first epoch
(``resume=True``), ``save`` after each epoch, ``best_weights`` at the end (``keep="best"``)
— so the loop itself stays short. The file format is ``autocnn.training.checkpoint``'s.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autocnn.training.checkpoint import (
    BEST,
    LAST,
    CheckpointError,
    check_matches,
    data_fingerprint,
    find_checkpoint,
    model_fingerprint,
    read_checkpoint,
    restore_generator,
    save_checkpoint,
)
from autocnn.training.control import EarlyStopping, Schedule
from autocnn.training.history import EpochRecord, History


class RunFolder:
    """Checkpoints of ``model`` + ``optimizer`` trained on ``loader``'s data, in ``folder``."""

    def __init__(self, folder: str | os.PathLike, model: Any, optimizer: Any, loader: Any,
                 resume: bool = False) -> None:
        self.folder = Path(folder)
        self.model, self.optimizer = model, optimizer
        name = getattr(getattr(loader, "dataset", None), "name", None)
        self.identity = {
            "model": model_fingerprint(model),
            "optimizer": type(optimizer).__name__,
            "data": data_fingerprint(loader.images, loader.labels, name),
        }

    def save(self, history: History, schedule: Schedule, stopper: EarlyStopping,
             best: bool = False) -> None:
        """Write ``last.npz`` (and ``best.npz`` when this epoch is the best so far)."""
        meta = {
            **self.identity,
            "epoch": len(history),
            "history": [asdict(r) for r in history.records],
            "schedule": schedule.state_dict(),
            "stopper": stopper.state_dict(),
        }
        self.folder.mkdir(parents=True, exist_ok=True)  # at the first save: a run that
        # fails in its first epoch leaves no folder behind
        save_checkpoint(self.folder / LAST, self.model, self.optimizer, meta)
        if best:
            save_checkpoint(self.folder / BEST, self.model, self.optimizer, meta)

    def restore(self, schedule: Schedule, stopper: EarlyStopping) -> History:
        """Load the last checkpoint into model, optimiser, generator, schedule; its history."""
        path = find_checkpoint(self.folder)
        checkpoint = read_checkpoint(path)
        meta = checkpoint["meta"]
        check_matches(meta, self.identity["model"], self.identity["data"],
                      self.identity["optimizer"], f"the checkpoint {path}")
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        schedule.load_state_dict(meta["schedule"])
        stopper.load_state_dict(meta["stopper"])
        restore_generator(meta["generator"])
        return History([EpochRecord(**r) for r in meta["history"]])

    def best_weights(self) -> Any:
        """The model state dict of the best epoch (``best.npz``)."""
        path = self.folder / BEST
        if not path.is_file():
            raise CheckpointError(
                f"fit: keep='best' but {self.folder} has no {BEST} (the epochs before the "
                "resume were run with keep='last'); resume with the keep= of the first run")
        return read_checkpoint(path)["model"]

    def resume_hint(self, epoch: int) -> str:
        """What to type to go on after an interruption."""
        python = f"fit(..., checkpoint_dir={str(self.folder)!r}, resume=True)"
        if (self.folder / "run.json").is_file():  # written by `autocnn train`
            how = f"`autocnn train --resume {self.folder}` (from Python: {python})"
        else:
            how = python
        return (f"interrupted: epoch {epoch} was finished and saved in {self.folder}/; "
                f"resume with {how}")
