"""What a training report says, computed from the model, its history and the test set.

Each function returns plain Python data (lists, dicts, NumPy arrays), no HTML: ``page.py``
turns them into the page, and tests can check the numbers directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def epochs_of(history: Any) -> list[dict[str, float]]:
    """The per-epoch metrics as dicts: from a ``History``, a list of records or of dicts."""
    records = getattr(history, "records", history)
    if records is None:
        return []
    out = []
    for r in records:
        if isinstance(r, dict):
            out.append(dict(r))
        elif hasattr(r, "__dataclass_fields__"):
            out.append({k: getattr(r, k) for k in r.__dataclass_fields__})
        else:
            raise TypeError(
                "report: history must be a History, or a list of EpochRecords or dicts, got "
                f"an item of type {type(r).__name__}"
            )
    return out


def parameter_rows(model: Any) -> list[dict[str, Any]]:
    """One row per module that owns parameters: its path, type, parameter shapes, and the
    count written out as a formula, ``8·1·3·3 + 8 = 80`` (weight entries + bias entries)."""
    rows = []
    for path, module in model.named_modules():
        own = list(module.named_parameters(recurse=False))
        if not own:
            continue
        terms, total = [], 0
        for _, p in own:
            shape = tuple(p.data.shape)
            terms.append("·".join(str(d) for d in shape) if shape else "1")
            total += int(np.prod(shape, dtype=np.int64))
        formula = " + ".join(terms)
        if len(own) > 1 or "·" in formula:
            formula += f" = {total:,}"
        rows.append({
            "path": path or "(model)", "type": type(module).__name__,
            "shapes": {name: tuple(p.data.shape) for name, p in own},
            "formula": formula, "count": total,
        })
    return rows


def probabilities(model: Any, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Softmax of the model's logits for ``images``, in evaluation mode, as (N, classes)."""
    from autocnn.training import predict

    logits = np.asarray(predict(model, images, batch_size=batch_size), dtype=np.float64)
    logits = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def confusion(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """counts[i, j] = test images of class i predicted as class j."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(labels, int), np.asarray(predicted, int)), 1)
    return counts


def per_class_accuracy(counts: np.ndarray) -> list[float]:
    """Fraction of each class's test images predicted correctly (nan for an empty class)."""
    totals = counts.sum(axis=1)
    return [float(counts[i, i] / totals[i]) if totals[i] else float("nan")
            for i in range(len(counts))]


def most_confident_mistakes(probs: np.ndarray, labels: np.ndarray, k: int = 8) -> list[int]:
    """Indices of the ``k`` wrongly classified images the model was surest about."""
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(labels))
    order = np.argsort(-probs[wrong, predicted[wrong]], kind="stable")
    return [int(i) for i in wrong[order[:k]]]


def conv_layers(model: Any) -> list[tuple[str, Any]]:
    """Every ``nn.Conv2d`` of the model with its path, in ``named_modules()`` order."""
    from autocnn.nn import Conv2d

    return [(path, m) for path, m in model.named_modules() if isinstance(m, Conv2d)]


def layer_outputs(model: Any, image: np.ndarray) -> list[tuple[str, Any, np.ndarray]]:
    """(path, module, output) of every conv layer for one (C, H, W) image, in eval mode.

    The outputs are recorded by ``autocnn.explain.activations`` (forward hooks), so any
    model works, nested or not; a layer called twice shows its first call.
    """
    from autocnn.explain import activations

    convs = conv_layers(model)
    acts = activations(model, np.asarray(image, dtype=_dtype(model)))
    return [(path, conv, acts[path]) for path, conv in convs if path in acts]


def _dtype(model: Any) -> Any:
    for p in model.parameters():
        return p.data.dtype
    return np.float32
