"""What steers a ``fit`` from outside the gradient step: the schedule, early stopping, Ctrl-C.

- ``Schedule`` drives the learning rate: ``"cosine"`` (the built-in per-epoch half cosine,
  ``cosine_lr``), or any ``autocnn.optim.lr_scheduler`` scheduler, stepped after every
  epoch or, when its ``interval`` is ``"batch"``, after every batch.
- ``EarlyStopping(patience)`` watches the monitored loss (the test loss when there is test
  data, else the training loss) and says when it has not improved for ``patience``
  epochs; it also remembers the best epoch, for ``keep="best"``.
- ``StopOnInterrupt`` turns the first Ctrl-C into a request to stop after the current
  epoch (which then ends cleanly and is saved); a second Ctrl-C stops at once.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
from typing import IO, Any

from autocnn.optim.lr_scheduler import (
    SCHEDULES,
    CosineAnnealingLR,
    LinearWarmup,
    LRScheduler,
    OneCycleLR,
    StepLR,
)


def cosine_lr(base_lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of epoch ``epoch`` (1-based) of ``epochs`` on a half cosine.

    lr = base_lr · ½ (1 + cos(π (epoch − 1) / epochs)): the full rate in the first epoch,
    falling smoothly towards zero, so the last epochs take small, careful steps.
    """
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))


class Schedule:
    """The learning-rate schedule of a ``fit``: None, ``"cosine"`` or an ``LRScheduler``."""

    def __init__(self, schedule: str | LRScheduler | None, optimizer: Any, epochs: int) -> None:
        if schedule is not None and schedule != "cosine" \
                and not isinstance(schedule, LRScheduler):
            raise ValueError(f"fit: unknown 'lr_schedule' {schedule!r}; valid: None, 'cosine' "
                             "or a scheduler of autocnn.optim.lr_scheduler")
        self.schedule, self.optimizer, self.epochs = schedule, optimizer, epochs
        if schedule == "cosine":
            # the starting rates are kept in the groups, so a resumed run finds them again
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])

    @property
    def per_batch(self) -> bool:
        """Whether the scheduler is stepped after every batch rather than every epoch."""
        return isinstance(self.schedule, LRScheduler) and self.schedule.interval == "batch"

    def start_epoch(self, epoch: int) -> None:
        """Set the rates of epoch ``epoch`` (the ``"cosine"`` schedule only)."""
        if self.schedule == "cosine":
            for group in self.optimizer.param_groups:
                group["lr"] = cosine_lr(group["initial_lr"], epoch, self.epochs)

    def after_batch(self) -> None:
        """Step a per-batch scheduler."""
        if self.per_batch:
            self.schedule.step()

    def end_epoch(self) -> None:
        """Step a per-epoch scheduler."""
        if isinstance(self.schedule, LRScheduler) and not self.per_batch:
            self.schedule.step()

    def state_dict(self) -> dict[str, Any] | None:
        """The scheduler's state (JSON-able), or None for the built-in schedules."""
        return self.schedule.state_dict() if isinstance(self.schedule, LRScheduler) else None

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        """Restore what ``state_dict()`` returned."""
        if isinstance(self.schedule, LRScheduler) and state is not None:
            self.schedule.load_state_dict(state)


def build_schedule(name: str, optimizer: Any, epochs: int, steps_per_epoch: int
                   ) -> str | LRScheduler | None:
    """The schedule ``autocnn train --schedule NAME`` means, for ``fit(lr_schedule=...)``.

    ``constant``: no change; ``cosine``: half a cosine, one value per epoch (the default);
    ``step``: ×0.1 after each third of the epochs (``StepLR``); ``onecycle``: ``OneCycleLR``
    peaking at the given rate, per batch; ``warmup``: ``LinearWarmup`` over the first epoch
    from 0, then a per-batch cosine to 0. Unknown names raise ``ValueError`` listing these.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid schedules are {', '.join(SCHEDULES)}")
    if name == "constant":
        return None
    if name == "cosine":
        return "cosine"
    if name == "step":
        return StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    lr = optimizer.param_groups[0]["lr"]
    if name == "onecycle":
        return OneCycleLR(optimizer, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch)
    total = epochs * steps_per_epoch
    after = CosineAnnealingLR(optimizer, T_max=max(1, total - steps_per_epoch))
    after.interval = "batch"
    return LinearWarmup(optimizer, warmup_steps=steps_per_epoch, after=after)


class EarlyStopping:
    """Stop when the monitored loss has not improved for ``patience`` epochs in a row.

    ``patience=None`` never stops but still tracks the best epoch. Improvement means a
    strictly lower loss than the best so far.
    """

    def __init__(self, patience: int | None = None) -> None:
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int)
                                     or patience < 1):
            raise ValueError(f"fit: expected 'patience' to be an int >= 1 or None, got "
                             f"{patience!r}")
        self.patience = patience
        self.best = math.inf
        self.best_epoch = 0
        self.bad_epochs = 0

    def update(self, epoch: int, loss: float) -> bool:
        """Record epoch ``epoch``'s loss; True when it is the best so far."""
        if loss < self.best:
            self.best, self.best_epoch, self.bad_epochs = loss, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        """True once ``patience`` epochs in a row brought no improvement."""
        return self.patience is not None and self.bad_epochs >= self.patience

    def state_dict(self) -> dict[str, Any]:
        """The best loss, its epoch and the count of epochs without improvement."""
        return {"best": self.best if math.isfinite(self.best) else None,
                "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned."""
        self.best = math.inf if state["best"] is None else float(state["best"])
        self.best_epoch, self.bad_epochs = int(state["best_epoch"]), int(state["bad_epochs"])


class StopOnInterrupt:
    """A context manager: while active, the first Ctrl-C only sets ``requested``.

    Installed only in the main thread (where Python delivers signals) and only when there
    is somewhere to save to; otherwise Ctrl-C raises ``KeyboardInterrupt`` as usual.
    """

    def __init__(self, enabled: bool, stream: IO[str] | None = None) -> None:
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.stream = stream if stream is not None else sys.stderr
        self.requested = False
        self._previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.stream.write("\nCtrl-C: finishing this epoch, then saving a checkpoint "
                          "(press Ctrl-C again to stop at once, without saving)\n")
        self.stream.flush()

    def __enter__(self) -> StopOnInterrupt:
        if self.enabled:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            signal.signal(signal.SIGINT, self._previous)
