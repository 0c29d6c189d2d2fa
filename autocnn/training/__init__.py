"""Training a model: the loop, its measurements, checkpoints and pictures.

The package is split by concern so that the loop a student reads stays short:

| module | holds |
|---|---|
| ``loop`` | ``fit``, ``train_epoch``, ``evaluate``, ``predict`` — the loop itself |
| ``metrics`` | ``accuracy``, ``confusion_matrix`` |
| ``progress`` | ``ProgressBar`` |
| ``history`` | ``EpochRecord``, ``History`` (CSV / JSON) |
| ``plots`` | ``plot_history``, ``plot_filters``, ``plot_feature_maps`` |
| ``control`` | the schedule, early stopping, Ctrl-C handling of ``fit`` |
| ``checkpoint``, ``run_folder`` | checkpoint files and the folder ``fit`` resumes from |
| ``live`` | ``fit(..., live=True)``: a figure redrawn in a notebook |
| ``lr_find`` | ``lr_find``: the learning-rate range test |

Model files (``save_model``, ``load_model``) live in ``autocnn.model_files`` and BLAS thread
control (``limit_blas_threads``) in ``autocnn.perf``; both stay importable from here. The
``autocnn train`` command is a thin layer over this package. Sits at the top of DESIGN.md's
ladder, beside ``autocnn.data``.
"""

from __future__ import annotations

from autocnn.model_files import load_model, metadata_path, read_metadata, save_model
from autocnn.perf import limit_blas_threads
from autocnn.training.checkpoint import CheckpointError, read_checkpoint
from autocnn.training.history import EpochRecord, History
from autocnn.training.loop import (
    LossFn,
    cosine_lr,
    default_loss,
    evaluate,
    fit,
    predict,
    train_epoch,
)
from autocnn.training.metrics import accuracy, confusion_matrix
from autocnn.training.plots import first_conv, plot_feature_maps, plot_filters, plot_history
from autocnn.training.progress import ProgressBar

__all__ = [
    "CheckpointError",
    "EpochRecord",
    "History",
    "LossFn",
    "ProgressBar",
    "accuracy",
    "confusion_matrix",
    "cosine_lr",
    "default_loss",
    "evaluate",
    "first_conv",
    "fit",
    "limit_blas_threads",
    "load_model",
    "metadata_path",
    "plot_feature_maps",
    "plot_filters",
    "plot_history",
    "predict",
    "read_checkpoint",
    "read_metadata",
    "save_model",
    "train_epoch",
]
