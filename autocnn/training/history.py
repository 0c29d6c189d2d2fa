"""What a ``fit`` measured: one ``EpochRecord`` per epoch, kept in a ``History``.

A ``History`` writes itself as CSV (one row per epoch) or JSON, atomically.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.files import atomic_write, atomic_writer


@dataclass
class EpochRecord:
    """What one epoch measured."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float
    images_per_second: float


@dataclass
class History:
    """The ``EpochRecord`` of every epoch of a ``fit``, in order."""

    records: list[EpochRecord] = field(default_factory=list)
    #: why the run ended before its last epoch: None, "early" (patience) or "interrupted"
    stopped: str | None = None
    #: the epoch with the lowest monitored loss (test loss, else training loss); 0 if none
    best_epoch: int = 0

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> EpochRecord:
        return self.records[i]

    def column(self, name: str) -> list[float]:
        """One metric over the epochs, e.g. ``history.column("test_accuracy")``."""
        return [getattr(r, name) for r in self.records]

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write one row per epoch (header = the ``EpochRecord`` field names)."""
        path = Path(path)
        with atomic_writer(path, "w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow([f.name for f in fields(EpochRecord)])
            for r in self.records:
                writer.writerow(list(asdict(r).values()))
        return path

    def to_json(self, path: str | os.PathLike, **extra: Any) -> Path:
        """Write ``{"epochs": [...], **extra}`` as JSON."""
        path = Path(path)
        payload = {"epochs": [asdict(r) for r in self.records], **extra}
        atomic_write(path, json.dumps(payload, indent=2, default=json_default) + "\n")
        return path


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)`` for NumPy scalars and arrays (as numbers and lists)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
