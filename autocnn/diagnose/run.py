"""``diagnose(model, data, ...)``: every check on a model and its data, in one call.

It runs the checks before training on the model as it is (inputs, initial weights, the
initial loss, one-batch overfitting on a copy), then trains a *copy* of the model for a
few steps with a copy of the optimiser while a ``Monitor`` watches, and returns a
``Report``. The model and optimiser passed in are never changed (the data order is drawn
from the package generator, as any training would). Part of ``autocnn.diagnose``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.diagnose import checks as _checks
from autocnn.diagnose.findings import Finding, Report
from autocnn.diagnose.monitor import Monitor
from autocnn.diagnose.verdicts import order_findings

#: the checks ``diagnose`` can run (``checks=`` takes any subset, in any order)
CHECKS: tuple[str, ...] = ("inputs", "weights", "initial_loss", "overfit", "training")


def _batch_source(data: Any, batch_size: int) -> tuple[Any, np.ndarray, np.ndarray, int]:
    """A DataLoader over ``data``, its first images and labels, and the class count."""
    from autocnn.data import ArrayDataset, DataLoader

    if isinstance(data, DataLoader):
        loader = data
        images, labels = loader.images, loader.labels
        dataset = loader.dataset
    elif isinstance(data, ArrayDataset) or (isinstance(data, tuple) and len(data) == 2):
        loader = DataLoader(data, batch_size=batch_size, shuffle=True)
        images, labels, dataset = loader.images, loader.labels, data
    else:
        raise TypeError(
            "diagnose: 'data' must be an ArrayDataset, a pair (images, labels) or a "
            f"DataLoader, got {type(data).__name__}"
        )
    if len(labels) == 0:
        raise ValueError("diagnose: 'data' holds no images")
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"diagnose: expected integer class labels, got dtype {labels.dtype}")
    num_classes = (dataset.num_classes if isinstance(dataset, ArrayDataset)
                   else int(labels.max()) + 1)
    return loader, np.asarray(images), labels, max(int(num_classes), 2)


def _copy_optimizer(optimizer: Any, model: Any, twin: Any) -> Any:
    """An optimiser of the same kind and settings over the copy's parameters."""
    from autocnn.optim import Adam

    if optimizer is None:
        return Adam(twin.parameters(), lr=1e-3)
    mapping = {id(p): q for p, q in zip(model.parameters(), twin.parameters())}
    groups = []
    for group in optimizer.param_groups:
        missing = [p for p in group["params"] if id(p) not in mapping]
        if missing:
            raise ValueError(
                "diagnose: 'optimizer' updates parameters that are not the model's (of shapes "
                f"{[list(p.shape) for p in missing[:3]]}); pass the optimiser of this model"
            )
        groups.append({**{k: v for k, v in group.items() if k != "params"},
                       "params": [mapping[id(p)] for p in group["params"]]})
    return type(optimizer)(groups, lr=groups[0]["lr"])


def _check_names(checks: Iterable[str]) -> tuple[str, ...]:
    if isinstance(checks, str):
        checks = (checks,)
    chosen = tuple(checks)
    unknown = [c for c in chosen if c not in CHECKS]
    if unknown:
        raise ValueError(f"diagnose: unknown check(s) {unknown}; valid checks are "
                         f"{', '.join(CHECKS)}")
    return chosen


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"diagnose: expected {name!r} to be an int >= 1, got {value!r}")
    return int(value)


def before_training(model: Any, images: np.ndarray, labels: np.ndarray, num_classes: int,
                    loss_fn: Any = None, checks: Iterable[str] = CHECKS,
                    overfit_steps: int = 50, overfit_batch: int = 16
                    ) -> tuple[dict[str, Any], list[Finding]]:
    """The checks before training on a batch of ``images`` and ``labels``; (measured,
    findings). The model is left as it was (the overfit check trains a copy)."""
    chosen = _check_names(checks)
    measured: dict[str, Any] = {}
    findings: list[Finding] = []
    batch = slice(0, max(overfit_batch, 2))
    if "inputs" in chosen:
        measured["inputs"], found = _checks.check_inputs(images[:1000])
        findings += found
    if "weights" in chosen:
        measured["weights"], found = _checks.check_weights(model)
        findings += found + (_checks.check_softmax(model) if loss_fn is None else [])
    if "initial_loss" in chosen:
        measured["initial_loss"], found = _checks.check_initial_loss(
            model, images[:256], labels[:256], num_classes, loss_fn)
        # ln C is the initial value of the cross-entropy only: another loss is measured
        # (and shown) but not judged, apart from a NaN
        findings += [f for f in found if loss_fn is None or f.code == "nonfinite"]
    if "overfit" in chosen:
        measured["overfit"], found = _checks.check_overfit(
            model, images[batch], labels[batch], num_classes, loss_fn, steps=overfit_steps)
        findings += found
    return measured, findings


def diagnose(model: Any, data: Any, optimizer: Any = None, *, loss_fn: Any = None,
             steps: int = 60, every: int = 5, batch_size: int = 32,
             checks: Iterable[str] = CHECKS, overfit_steps: int = 50) -> Report:
    """Run the health checks on ``model`` and ``data``; a ``Report`` of the findings.

    - ``data``: an ``ArrayDataset``, a pair ``(images, labels)`` or a ``DataLoader``;
    - ``optimizer``: the optimiser you would train with (its kind and settings are copied
      onto a copy of the model); ``None`` means ``Adam(lr=1e-3)``;
    - ``loss_fn``: ``loss_fn(logits, labels)``, default cross-entropy;
    - ``steps``, ``every``, ``batch_size``: the monitored training of the copy (measure on
      every ``every``-th of ``steps`` steps);
    - ``checks``: which of ``CHECKS`` to run; ``overfit_steps``: the one-batch check's steps.

    ``report.findings`` lists what is wrong, root cause first, each with ``.code``,
    ``.evidence`` and ``.advice``; ``print(report)`` shows them; ``report.save(folder)``
    writes the text, the JSON and the pictures.
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"diagnose: 'model' must be an nn.Module, got {type(model).__name__}")
    chosen = _check_names(checks)
    steps, every = _positive(steps, "steps"), _positive(every, "every")
    batch_size = _positive(batch_size, "batch_size")
    overfit_steps = _positive(overfit_steps, "overfit_steps")
    loader, images, labels, num_classes = _batch_source(data, batch_size)
    measured, findings = before_training(model, images, labels, num_classes, loss_fn, chosen,
                                         overfit_steps)
    monitor = None
    if "training" in chosen:
        twin = _checks.model_copy(model)
        monitor = train_monitored(twin, loader, _copy_optimizer(optimizer, model, twin),
                                  loss_fn, steps, every)
        findings += monitor.findings()
    return Report(order_findings(findings), measured, monitor)


def train_monitored(model: Any, loader: Any, optimizer: Any, loss_fn: Any = None,
                    steps: int = 60, every: int = 5) -> Monitor:
    """Train ``model`` for ``steps`` steps of ``loader`` under a ``Monitor``; the monitor.

    Stops at the first NaN/inf, after re-running that step under anomaly mode to name
    the primitive that produced it.
    """
    from autocnn.autograd.anomaly import detect_anomaly

    loss_fn = loss_fn or _checks._cross_entropy
    model.train()
    monitor = Monitor(model, optimizer, every=every)
    batches = itertools.chain.from_iterable(itertools.repeat(loader))
    with monitor, np.errstate(all="ignore"):
        for images, labels in itertools.islice(batches, steps):
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            value = float(loss.item())
            if math.isfinite(value):
                loss.backward()
                optimizer.step()
            monitor.step(loss)
            if monitor.nonfinite is not None:
                if not monitor.nonfinite.get("anomaly"):  # e.g. NaN first in backward
                    monitor.nonfinite["anomaly"] = _anomaly_message(model, loss_fn, images,
                                                                    labels, detect_anomaly)
                break
    return monitor


def _anomaly_message(model: Any, loss_fn: Any, images: Tensor, labels: Tensor,
                     detect_anomaly: Any) -> str | None:
    """What anomaly mode says about one more forward and backward of the same batch."""
    try:
        with detect_anomaly():
            model.zero_grad()
            loss_fn(model(images), labels).backward()
    except RuntimeError as exc:
        return str(exc).splitlines()[0]
    return None
