"""The learning-rate range test (Smith 2017; fastai's ``lr_find``): which rate to train with.

Train for ``num_iter`` mini-batches while the learning rate grows exponentially from
``start_lr`` to ``end_lr``, recording the loss of each batch. At first the rate is too small
to change anything, then the loss falls faster and faster, and at some rate it blows up.
The suggestion is the rate where the (smoothed) loss falls fastest against log(lr) — a
little before the minimum, where training is quick and still stable. The model, the
optimiser and the package generator are put back as they were afterwards, so the test
changes nothing for the run that follows.

    result = lr_find(model, train, optimizer)
    result.plot("lr_find.png")       # loss vs lr on a log scale, the suggestion marked
    print(result.suggestion)
"""

from __future__ import annotations

import copy
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.data.loader import DataLoader
from autocnn.files import atomic_write
from autocnn.random import generator


@dataclass
class LRFindResult:
    """The rates tried, the loss of each step (raw and smoothed) and the suggested rate."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    suggestion: float = math.nan

    def plot(self, path: str | os.PathLike) -> Path:
        """Save loss vs learning rate (log scale) with the suggestion marked, as a PNG."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        ax.plot(self.lrs, self.losses, color="0.75", lw=0.8, label="loss of each batch")
        ax.plot(self.lrs, self.smoothed, color="C0", label="smoothed")
        if math.isfinite(self.suggestion):
            at = int(np.argmin(np.abs(np.log(self.lrs) - math.log(self.suggestion))))
            ax.plot([self.suggestion], [self.smoothed[at]], "o", color="C3", ms=8,
                    label=f"suggested lr {self.suggestion:.2g}")
        ax.set_xscale("log")
        finite = [v for v in self.smoothed if math.isfinite(v)]
        if finite:  # the explosion at the end would squash the interesting part
            ax.set_ylim(min(finite) - 0.05 * abs(min(finite)), 1.5 * finite[0] + 1e-12)
        ax.set(xlabel="learning rate (log scale)", ylabel="training loss",
               title="learning-rate range test")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        atomic_write(path, buffer.getvalue())
        return Path(path)


def suggest_lr(lrs: list[float], smoothed: list[float], skip: int = 5) -> float:
    """The rate of steepest descent of ``smoothed`` against log(lr), before its minimum."""
    values = np.asarray(smoothed, dtype=float)
    if len(values) < skip + 3 or not np.isfinite(values[0]):
        return math.nan
    end = int(np.nanargmin(values)) + 1
    if end - skip < 3:
        return math.nan
    logs = np.log(np.asarray(lrs[skip:end]))
    slope = np.gradient(values[skip:end], logs)
    return float(lrs[skip + int(np.argmin(slope))])


def lr_find(model: Any, train_data: Any, optimizer: Any, start_lr: float = 1e-6,
            end_lr: float = 1.0, num_iter: int = 100, batch_size: int = 32,
            loss_fn: Any = None, smooth: float = 0.05, diverge: float = 4.0) -> LRFindResult:
    """Run the range test; an ``LRFindResult`` (``.lrs``, ``.losses``, ``.suggestion``).

    The rate of step i is ``start_lr · (end_lr / start_lr) ** (i / (num_iter − 1))``; the
    loss is smoothed with an exponential moving average (weight ``smooth``, bias
    corrected) and the test stops early once it exceeds ``diverge`` times its best value.
    Batches are drawn from ``train_data`` (reshuffled when it runs out).
    """
    from autocnn.training.loop import _loader, default_loss

    if not (isinstance(start_lr, (int, float)) and isinstance(end_lr, (int, float))
            and 0 < start_lr < end_lr and math.isfinite(end_lr)):
        raise ValueError(f"lr_find: expected 0 < 'start_lr' < 'end_lr', got start_lr="
                         f"{start_lr!r}, end_lr={end_lr!r}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 10:
        raise ValueError(f"lr_find: expected 'num_iter' to be an int >= 10, got {num_iter!r}")
    loss_fn = loss_fn or default_loss
    loader: DataLoader = _loader(train_data, batch_size, shuffle=True)
    saved_model = model.state_dict()
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_generator = copy.deepcopy(generator().bit_generator.state)
    result = LRFindResult()
    average, best = 0.0, math.inf
    model.train()
    try:
        batches = iter(loader)
        for i in range(num_iter):
            lr = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            try:
                images, labels = next(batches)
            except StopIteration:
                batches = iter(loader)
                images, labels = next(batches)
            with np.errstate(all="ignore"):  # the last rates are meant to blow up
                optimizer.zero_grad()
                loss = loss_fn(model(images), labels)
                loss.backward()
                optimizer.step()
            value = float(loss.item())
            average = smooth * value + (1 - smooth) * average
            smoothed = average / (1 - (1 - smooth) ** (i + 1))
            result.lrs.append(lr)
            result.losses.append(value)
            result.smoothed.append(smoothed)
            if not math.isfinite(smoothed) or smoothed > diverge * best:
                break
            best = min(best, smoothed)
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        generator().bit_generator.state = saved_generator
    result.suggestion = suggest_lr(result.lrs, result.smoothed)
    return result
