"""The training loop: mini-batch gradient descent, evaluated after every epoch.

This is the loop every course writes on the board, kept short enough to read:

    for epoch in range(epochs):
        for images, labels in loader:            # a shuffled mini-batch
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()                      # the engine fills every .grad
            optimizer.step()                     # one step down the gradient

``train_epoch`` is the inner loop, ``fit`` the outer one (with a progress bar and a test
evaluation per epoch), ``evaluate`` and ``predict`` run a model without recording a graph.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.data.dataset import ArrayDataset
from autocnn.data.loader import DataLoader
from autocnn.training.history import EpochRecord, History
from autocnn.training.progress import ProgressBar

LossFn = Callable[[Tensor, Tensor], Tensor]


def _loader(data: ArrayDataset | DataLoader | tuple, batch_size: int, shuffle: bool) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def default_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy of the logits against integer class labels (mean over the batch)."""
    from autocnn.functional import cross_entropy

    return cross_entropy(logits, labels)


def cosine_lr(base_lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of epoch ``epoch`` (1-based) of ``epochs`` on a half cosine.

    lr = base_lr · ½ (1 + cos(π (epoch − 1) / epochs)): the full rate in the first epoch,
    falling smoothly towards zero, so the last epochs take small, careful steps.
    """
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))


def evaluate(model: Any, data: ArrayDataset | DataLoader | tuple, batch_size: int = 500,
             loss_fn: LossFn | None = None) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``data``, in evaluation mode, with no graph.

    The model's previous mode (training or evaluation) is restored afterwards. Returns
    ``{"loss": ..., "accuracy": ..., "count": ...}``.
    """
    loss_fn = loss_fn or default_loss
    loader = _loader(data, batch_size, shuffle=False)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with no_grad():
            for images, labels in loader:
                logits = model(images)
                n = len(labels.data)
                total_loss += float(loss_fn(logits, labels).item()) * n
                correct += int(np.sum(logits.data.argmax(axis=1) == labels.data))
                count += n
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    if not count:
        return {"loss": math.nan, "accuracy": math.nan, "count": 0}
    return {"loss": total_loss / count, "accuracy": correct / count, "count": count}


def predict(model: Any, images: np.ndarray | Tensor, batch_size: int = 500) -> np.ndarray:
    """The model's output (e.g. logits) for ``images``, in evaluation mode, as an array."""
    arr = np.asarray(images.data if isinstance(images, Tensor) else images)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            outs = [model(Tensor(arr[i : i + batch_size])).data
                    for i in range(0, len(arr), batch_size)]
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    return np.concatenate(outs) if outs else np.zeros((0,))


def train_epoch(model: Any, loader: DataLoader, optimizer: Any, loss_fn: LossFn | None = None,
                progress: ProgressBar | None = None) -> dict[str, float]:
    """One pass of mini-batch gradient descent over ``loader``.

    Returns the mean training loss and accuracy (measured on each batch as it was seen, in
    training mode), the seconds taken and the images per second.
    """
    loss_fn = loss_fn or default_loss
    if hasattr(model, "train"):
        model.train()
    total_loss, correct, count = 0.0, 0, 0
    start = time.perf_counter()
    for images, labels in loader:
        # a learning rate that is too large overflows somewhere in the step: NumPy's
        # RuntimeWarnings would only repeat, less clearly, what the check below reports
        with np.errstate(all="ignore"):
            optimizer.zero_grad()
            logits = model(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
        n = len(labels.data)
        batch_loss = float(loss.item())
        if not math.isfinite(batch_loss):
            raise FloatingPointError(
                f"train_epoch: the loss became {batch_loss} after {count + n} images; lower "
                "the learning rate"
            )
        total_loss += batch_loss * n
        correct += int(np.sum(logits.data.argmax(axis=1) == labels.data))
        count += n
        if progress is not None:
            elapsed = time.perf_counter() - start
            progress.update(1, loss=total_loss / count, acc=correct / count,
                            **{"img/s": count / max(elapsed, 1e-9)})
    seconds = time.perf_counter() - start
    return {
        "loss": total_loss / count if count else math.nan,
        "accuracy": correct / count if count else math.nan,
        "seconds": seconds,
        "images_per_second": count / max(seconds, 1e-9),
    }


def fit(
    model: Any,
    train_data: ArrayDataset | DataLoader | tuple,
    optimizer: Any,
    epochs: int = 5,
    test_data: ArrayDataset | DataLoader | tuple | None = None,
    batch_size: int = 64,
    loss_fn: LossFn | None = None,
    stream: IO[str] | None = None,
    progress: bool = True,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    lr_schedule: str | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; a ``History``.

    ``train_data`` (and ``test_data``) is an ``ArrayDataset``, a pair of arrays or a ready
    ``DataLoader``; datasets are shuffled every epoch with the package generator. After each
    epoch the model is evaluated on ``test_data`` (when given) and the progress bar's line
    ends with the test accuracy. ``progress=False`` prints nothing. ``on_epoch`` is called
    with each ``EpochRecord``. ``lr_schedule="cosine"`` lowers the learning rate of every
    parameter group from its starting value along half a cosine, one step per epoch (see
    ``cosine_lr``); ``None`` keeps it constant.
    """
    if lr_schedule not in (None, "cosine"):
        raise ValueError(f"fit: unknown 'lr_schedule' {lr_schedule!r}; valid: None, 'cosine'")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: expected 'epochs' to be an int >= 1, got {epochs!r}")
    loader = _loader(train_data, batch_size, shuffle=True)
    stream = stream if stream is not None else sys.stdout
    history = History()
    base_lrs = [group["lr"] for group in optimizer.param_groups] if lr_schedule else []
    for epoch in range(1, int(epochs) + 1):
        for group, base in zip(optimizer.param_groups if lr_schedule else (), base_lrs):
            group["lr"] = cosine_lr(base, epoch, int(epochs))
        bar = (ProgressBar(len(loader), f"epoch {epoch}/{epochs}", stream)
               if progress else None)
        trained = train_epoch(model, loader, optimizer, loss_fn, bar)
        with np.errstate(all="ignore"):  # weights spoilt by the last step: checked below
            tested = (evaluate(model, test_data, loss_fn=loss_fn) if test_data is not None
                      else {"loss": math.nan, "accuracy": math.nan, "count": 0})
        if tested["count"] and not math.isfinite(tested["loss"]):
            raise FloatingPointError(
                f"fit: the test loss became {tested['loss']} after epoch {epoch}; lower the "
                "learning rate"
            )
        record = EpochRecord(epoch, trained["loss"], trained["accuracy"], tested["loss"],
                             tested["accuracy"], trained["seconds"],
                             trained["images_per_second"])
        history.records.append(record)
        if bar is not None:
            shown: dict[str, Any] = {"time": trained["seconds"]}
            if test_data is not None:
                shown["test_acc"] = tested["accuracy"]
            bar.close(**shown)
        if on_epoch is not None:
            on_epoch(record)
    return history
