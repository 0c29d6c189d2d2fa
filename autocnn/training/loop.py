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
import os
import sys
import time
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.data.dataset import ArrayDataset
from autocnn.data.loader import DataLoader
from autocnn.optim.lr_scheduler import LRScheduler
from autocnn.training.control import EarlyStopping, Schedule, StopOnInterrupt, cosine_lr
from autocnn.training.history import EpochRecord, History
from autocnn.training.live import LiveView
from autocnn.training.progress import ProgressBar
from autocnn.training.run_folder import RunFolder

__all__ = ["LossFn", "cosine_lr", "default_loss", "evaluate", "fit", "predict", "train_epoch"]

LossFn = Callable[[Tensor, Tensor], Tensor]


def _loader(data: ArrayDataset | DataLoader | tuple, batch_size: int, shuffle: bool) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def default_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy of the logits against integer class labels (mean over the batch)."""
    from autocnn.functional import cross_entropy

    return cross_entropy(logits, labels)


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
                progress: ProgressBar | None = None,
                on_step: Callable[[int, Tensor, Tensor, Tensor], None] | None = None,
                monitor: Any = None) -> dict[str, float]:
    """One pass of mini-batch gradient descent over ``loader``.

    Returns the mean training loss and accuracy (measured on each batch as it was seen, in
    training mode), the seconds taken and the images per second. ``on_step(step, loss,
    logits, labels)``, if given, is called after every ``optimizer.step()`` (``fit`` uses
    it for per-batch schedules and the live view). ``monitor`` (an
    ``autocnn.diagnose.Monitor``) gets ``monitor.step(loss)`` after every optimiser step.
    """
    loss_fn = loss_fn or default_loss
    if hasattr(model, "train"):
        model.train()
    total_loss, correct, count = 0.0, 0, 0
    start = time.perf_counter()
    for step, (images, labels) in enumerate(loader):
        # a learning rate that is too large overflows somewhere in the step: NumPy's
        # RuntimeWarnings would only repeat, less clearly, what the check below reports
        with np.errstate(all="ignore"):
            optimizer.zero_grad()
            logits = model(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
            if monitor is not None:
                monitor.step(loss)  # before the NaN check below: the diagnosis sees it
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
        if on_step is not None:
            on_step(step, loss, logits, labels)
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
    lr_schedule: str | LRScheduler | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    keep: str = "last",
    patience: int | None = None,
    live: bool = False,
    live_every: int = 20,
    report: str | os.PathLike | None = None,
    monitor: Any = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; a ``History``.

    ``train_data`` (and ``test_data``) is an ``ArrayDataset``, a pair of arrays or a ready
    ``DataLoader`` (say with a ``transform``); datasets are shuffled every epoch with the
    package generator. After each epoch the model is evaluated on ``test_data`` (when
    given) and the progress bar's line ends with the test accuracy. ``progress=False``
    prints nothing. ``on_epoch`` is called with each ``EpochRecord``.

    - ``lr_schedule``: ``None`` (constant), ``"cosine"`` (half a cosine, one value per
      epoch, see ``cosine_lr``) or a scheduler of ``autocnn.optim.lr_scheduler``.
    - ``checkpoint_dir``: after every epoch, save model, optimiser, generator, schedule and
      history there (``autocnn.training.checkpoint``); ``resume=True`` continues from the
      checkpoint in it, to the same result as a run never stopped. With a checkpoint
      folder, Ctrl-C finishes the current epoch, saves, and says how to resume.
    - ``patience``: stop early when the monitored loss (test loss if there is test data,
      else training loss) has not improved for that many epochs.
    - ``keep``: ``"last"`` leaves the model as the last epoch made it; ``"best"`` puts
      back the weights of the epoch with the lowest monitored loss.
    - ``live=True``: in Jupyter, redraw one figure every ``live_every`` steps (curves,
      update:data ratios, feature maps); a no-op elsewhere (see ``training.live``).
    - ``report``: a path; after training, the run's one-page HTML report is written there
      (``autocnn.report``; needs ``test_data``).
    - ``monitor``: an ``autocnn.diagnose.Monitor`` (attached), told of every step (see
      docs/diagnose.md).

    ``history.stopped`` says why a run ended before ``epochs``: ``"early"`` or
    ``"interrupted"``; ``history.best_epoch`` is the epoch of the lowest monitored loss.
    """
    if report is not None and test_data is None:
        raise ValueError("fit: 'report' needs 'test_data' (the report shows test results)")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit: expected 'epochs' to be an int >= 1, got {epochs!r}")
    if keep not in ("last", "best"):
        raise ValueError(f"fit: unknown 'keep' {keep!r}; valid: 'last', 'best'")
    loader = _loader(train_data, batch_size, shuffle=True)
    stream = stream if stream is not None else sys.stdout
    schedule = Schedule(lr_schedule, optimizer, int(epochs))
    stopper = EarlyStopping(patience)
    run = RunFolder(checkpoint_dir, model, optimizer, loader, resume) if checkpoint_dir else None
    if resume and run is None:
        raise ValueError("fit: 'resume=True' needs the 'checkpoint_dir' to resume from")
    history = run.restore(schedule, stopper) if run is not None and resume else History()
    view = LiveView(model, test_data, every=live_every) if live else None
    best_state = None
    with StopOnInterrupt(run is not None) as interrupt:
        for epoch in range(len(history) + 1, int(epochs) + 1):
            schedule.start_epoch(epoch)
            bar = (ProgressBar(len(loader), f"epoch {epoch}/{epochs}", stream)
                   if progress else None)

            def on_step(step: int, loss: Tensor, logits: Tensor, labels: Tensor) -> None:
                schedule.after_batch()
                if view is not None:
                    view.step(loss, logits, labels)

            trained = train_epoch(model, loader, optimizer, loss_fn, bar, on_step, monitor)
            schedule.end_epoch()
            with np.errstate(all="ignore"):  # weights spoilt by the last step: checked below
                tested = (evaluate(model, test_data, loss_fn=loss_fn) if test_data is not None
                          else {"loss": math.nan, "accuracy": math.nan, "count": 0})
            if tested["count"] and not math.isfinite(tested["loss"]):
                raise FloatingPointError(
                    f"fit: the test loss became {tested['loss']} after epoch {epoch}; lower "
                    "the learning rate"
                )
            record = EpochRecord(epoch, trained["loss"], trained["accuracy"], tested["loss"],
                                 tested["accuracy"], trained["seconds"],
                                 trained["images_per_second"])
            history.records.append(record)
            improved = stopper.update(epoch, tested["loss"] if tested["count"]
                                      else trained["loss"])
            if improved and keep == "best" and run is None:
                best_state = model.state_dict()
            if run is not None:
                run.save(history, schedule, stopper, best=improved and keep == "best")
            if bar is not None:
                shown: dict[str, Any] = {"time": trained["seconds"]}
                if test_data is not None:
                    shown["test_acc"] = tested["accuracy"]
                bar.close(**shown)
            if view is not None:
                view.epoch(record)
            if on_epoch is not None:
                on_epoch(record)
            if stopper.should_stop or interrupt.requested:
                history.stopped = "early" if stopper.should_stop else "interrupted"
                break
    history.best_epoch = stopper.best_epoch
    if history.stopped == "early" and progress:
        stream.write(f"early stop: no better loss for {patience} epochs since epoch "
                     f"{stopper.best_epoch}\n")
    if history.stopped == "interrupted" and run is not None:
        stream.write(run.resume_hint(len(history)) + "\n")
    if keep == "best" and stopper.best_epoch:
        model.load_state_dict(run.best_weights() if run is not None else best_state)
    if report is not None:
        from autocnn.report import write_report

        write_report(report, model, history, test_data)
    return history
