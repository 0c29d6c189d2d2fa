"""Classification metrics of the training loop: accuracy and the confusion matrix."""

from __future__ import annotations

import math

import numpy as np

from autocnn.autograd.tensor import Tensor


def accuracy(logits: Tensor | np.ndarray, labels: Tensor | np.ndarray) -> float:
    """The fraction of rows of ``logits`` (N, classes) whose largest entry is the label."""
    scores = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    target = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if scores.ndim != 2 or target.shape != scores.shape[:1]:
        raise ValueError(
            f"accuracy: expected 'logits' (N, classes) and 'labels' (N,), got shapes "
            f"{list(scores.shape)} and {list(target.shape)}"
        )
    return float(np.mean(scores.argmax(axis=1) == target)) if target.size else math.nan


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``m[i, j]`` = how many images of class i were predicted as class j."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"confusion_matrix: 'labels' and 'predictions' must have the same shape, got "
            f"{list(labels.shape)} and {list(predictions.shape)}"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"confusion_matrix: 'num_classes' must be a positive int, got "
                         f"{num_classes!r}")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size == 0:
            continue
        if values.dtype.kind not in "iu":
            raise TypeError(f"confusion_matrix: '{name}' must be integer class indices, got "
                            f"dtype {values.dtype}")
        if values.min() < 0 or values.max() >= num_classes:
            bad = values[(values < 0) | (values >= num_classes)].reshape(-1)[0]
            raise ValueError(f"confusion_matrix: '{name}' holds {int(bad)}, outside the "
                             f"classes 0..{num_classes - 1}")
    return np.bincount((labels * num_classes + predictions).reshape(-1).astype(np.int64),
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)
