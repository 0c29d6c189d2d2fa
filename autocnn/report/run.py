"""Reading a run folder that ``autocnn train`` wrote, to (re)write its report.

A run folder holds ``model.npz`` + ``model.json`` (the weights and what they belong to:
architecture, dataset and its options) and ``metrics.json`` (the per-epoch history). The
test set is rebuilt from the dataset named in ``model.json`` — deterministic for the
built-in datasets — so the report shows the same images the run was tested on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: the settings of model.json shown in the report, in this order
SETTING_KEYS = ("dataset", "dataset_options", "model", "in_channels", "image_size",
                "num_classes", "classes", "epochs", "batch_size", "optimizer", "lr", "seed",
                "augment", "test_accuracy", "test_loss", "train_seconds", "autocnn")


def settings_of(metadata: dict[str, Any]) -> dict[str, Any]:
    """The run's settings worth showing, from the metadata ``autocnn train`` records."""
    shown = {k: metadata[k] for k in SETTING_KEYS if k in metadata}
    shown.update({k: v for k, v in metadata.items()
                  if k not in shown and k != "data_dir" and not isinstance(v, (dict, list))})
    return shown


def load_run(run_dir: str | os.PathLike[str]) -> tuple[Any, list[dict[str, Any]], Any,
                                                       dict[str, Any]]:
    """``(model, epochs, test_data, metadata)`` of the run in ``run_dir``.

    Raises ``FileNotFoundError`` naming the missing file when the folder is not a run.
    """
    from autocnn.data import load_dataset
    from autocnn.training import load_model

    folder = Path(run_dir)
    model_file = folder / "model.npz"
    if not model_file.is_file():
        raise FileNotFoundError(
            f"report: {folder} is not a run folder: it has no model.npz (autocnn train "
            "--out FOLDER writes one)"
        )
    model, meta = load_model(model_file)
    epochs: list[dict[str, Any]] = []
    metrics = folder / "metrics.json"
    if metrics.is_file():
        epochs = list(json.loads(metrics.read_text(encoding="utf-8")).get("epochs", []))
    name = meta.get("dataset")
    if not name:
        raise ValueError(f"report: {folder / 'model.json'} does not name the dataset it was "
                         "trained on, so its test images cannot be rebuilt")
    split = load_dataset(name, root=meta.get("data_dir"), **dict(meta.get("dataset_options")
                                                                  or {}))
    return model, epochs, split.test, meta


def report_run(run_dir: str | os.PathLike[str], path: str | os.PathLike[str] | None = None,
               graph: bool = True) -> Path:
    """Write the report of the run in ``run_dir`` (default ``run_dir/report.html``)."""
    from autocnn.report.page import write_report

    model, epochs, test, meta = load_run(run_dir)
    target = Path(path) if path is not None else Path(run_dir) / "report.html"
    title = f"Training report: {meta.get('model', 'model')} on {meta.get('dataset', 'data')}"
    return write_report(target, model, epochs, test, settings_of(meta), title=title,
                        graph=graph)
