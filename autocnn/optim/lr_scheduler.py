"""Learning-rate schedules: ``StepLR``, ``CosineAnnealingLR``, ``OneCycleLR``, ``LinearWarmup``.

The first three have PyTorch's names, arguments and semantics (the same learning rates,
step by step, which the tests check against ``torch.optim.lr_scheduler``). As in PyTorch a
scheduler is built after its optimiser, sets the first learning rate at once, and moves on
one step each time ``scheduler.step()`` is called — after ``optimizer.step()``:

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(30):
        train_one_epoch(model, opt)
        sched.step()

``StepLR`` and ``CosineAnnealingLR`` are usually stepped once per epoch, ``OneCycleLR`` once
per batch (its ``total_steps`` counts batches). ``fit(..., lr_schedule=scheduler)`` steps a
scheduler once per epoch, or once per batch when its ``interval`` is ``"batch"`` (the
default for ``OneCycleLR`` only).

``LinearWarmup`` is autocnn's own (PyTorch composes ``LinearLR`` and ``SequentialLR`` for
it): the rate climbs in a straight line from ``start_factor × lr`` to ``lr`` over
``warmup_steps`` steps, then stays there, or hands over to the scheduler ``after``.

``state_dict()`` / ``load_state_dict()`` hold plain numbers (checkpoints store them as JSON).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from autocnn.optim.optimizer import Optimizer

__all__ = ["SCHEDULES", "CosineAnnealingLR", "LRScheduler", "LinearWarmup", "OneCycleLR",
           "StepLR"]

#: the schedule names ``autocnn train --schedule`` accepts (see ``docs/training.md``)
SCHEDULES = ("constant", "cosine", "step", "onecycle", "warmup")


def _check_int(value: Any, name: str, arg: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected '{arg}' to be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_real(value: Any, name: str, arg: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected '{arg}' to be a finite number, got {value!r}")
    return float(value)


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and writes ``get_lr()`` into the groups.

    Subclasses implement ``get_lr()`` (the rates for the new ``last_epoch``). The first
    rates are set by the constructor (``last_epoch`` becomes 0), as in PyTorch.
    """

    #: when ``fit`` steps this scheduler: after every "epoch" or after every "batch"
    interval = "epoch"

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected 'optimizer' to be an autocnn Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: param_groups[{i}] has no 'initial_lr' to resume "
                                   f"from with last_epoch={last_epoch}")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._initial = True
        self.step()
        self._initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of every group at ``last_epoch`` (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` (or the constructor) set."""
        return list(self._last_lr)

    def step(self) -> None:
        """Move on one step (an epoch or a batch) and set the new learning rates."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimiser, as plain numbers and lists (JSON-friendly)."""
        return {k: (v.state_dict() if isinstance(v, LRScheduler) else v)
                for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (of a scheduler of the same kind)."""
        for key, value in state_dict.items():
            own = self.__dict__.get(key)
            if isinstance(own, LRScheduler):
                own.load_state_dict(value)
            else:
                self.__dict__[key] = list(value) if isinstance(value, tuple) else value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps (``torch``'s StepLR).

    lr = initial_lr · gamma ** (last_epoch // step_size).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = _check_int(step_size, "StepLR", "step_size")
        self.gamma = _check_real(gamma, "StepLR", "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The previous rate, times ``gamma`` when ``last_epoch`` is a multiple of step_size."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from the initial rate down to ``eta_min`` over ``T_max`` steps.

    lr = eta_min + ½ (initial_lr − eta_min)(1 + cos(π · last_epoch / T_max)), computed step
    by step from the previous rate exactly as ``torch.optim.lr_scheduler.CosineAnnealingLR``
    does (so the floats agree with PyTorch's, not only the formula). Past ``T_max`` the
    rate climbs back up, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = _check_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = _check_real(eta_min, "CosineAnnealingLR", "eta_min")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The rate at ``last_epoch`` by PyTorch's recursive form of the cosine."""
        groups = self.optimizer.param_groups
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:
            return [low + (base - low) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (group["lr"] - low) + low for group in groups]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): warm up to ``max_lr``, then anneal far below it.

    Arguments and formulas as ``torch.optim.lr_scheduler.OneCycleLR``: the rate starts at
    ``max_lr / div_factor``, rises to ``max_lr`` over the first ``pct_start`` of
    ``total_steps`` (or ``epochs * steps_per_epoch``) and falls to ``initial_lr /
    final_div_factor`` by the end, along cosines (``anneal_strategy="cos"``) or lines; with
    ``cycle_momentum`` the momentum (SGD) or β₁ (Adam) moves the opposite way between
    ``max_momentum`` and ``base_momentum``. Stepped once per batch (``interval = "batch"``);
    stepping past ``total_steps`` is an error.
    """

    interval = "batch"

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected 'optimizer' to be an autocnn Optimizer, got "
                            f"{type(optimizer).__name__}")
        if total_steps is not None:
            self.total_steps = _check_int(total_steps, name, "total_steps")
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_check_int(epochs, name, "epochs")
                                * _check_int(steps_per_epoch, name, "steps_per_epoch"))
        else:
            raise ValueError(f"{name}: give either 'total_steps' or both 'epochs' and "
                             "'steps_per_epoch'")
        if isinstance(pct_start, bool) or not isinstance(pct_start, float) \
                or not 0 <= pct_start <= 1:
            raise ValueError(f"{name}: expected 'pct_start' to be a float in [0, 1], got "
                             f"{pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: unknown 'anneal_strategy' {anneal_strategy!r}; valid: "
                             "'cos', 'linear'")
        self.anneal_strategy = anneal_strategy
        n = self.total_steps
        if three_phase:
            self.phases = [
                [float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum",
                 "base_momentum"],
                [float(2 * pct_start * n) - 2, "max_lr", "initial_lr", "base_momentum",
                 "max_momentum"],
                [n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
            ]
        else:
            self.phases = [
                [float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum",
                 "base_momentum"],
                [n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"],
            ]
        groups = optimizer.param_groups
        max_lrs = self._per_group(max_lr, "max_lr", len(groups))
        if last_epoch == -1:
            for group, top in zip(groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: 'cycle_momentum' needs an optimiser with momentum "
                                 f"or betas, got {type(optimizer).__name__}")
            self.use_beta1 = "betas" in optimizer.defaults
            highs = self._per_group(max_momentum, "max_momentum", len(groups))
            lows = self._per_group(base_momentum, "base_momentum", len(groups))
            if last_epoch == -1:
                for group, high, low in zip(groups, highs, lows):
                    if self.use_beta1:
                        group["betas"] = (high, *group["betas"][1:])
                    else:
                        group["momentum"] = high
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _per_group(value: Any, arg: str, count: int) -> list[float]:
        values = list(value) if isinstance(value, (list, tuple)) else [value] * count
        if len(values) != count:
            raise ValueError(f"OneCycleLR: expected {count} values of '{arg}' (one per "
                             f"parameter group), got {len(values)}")
        return [_check_real(v, "OneCycleLR", arg) for v in values]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        """The rate of the phase ``last_epoch`` falls in (and the momentum, when cycled)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, more than total_steps="
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    lr = self._anneal(group[lr_from], group[lr_to], pct)
                    momentum = self._anneal(group[m_from], group[m_to], pct)
                    break
                start = end
            lrs.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs


class LinearWarmup(LRScheduler):
    """Climb linearly from ``start_factor × lr`` to ``lr`` in ``warmup_steps`` steps, then hold.

    lr(t) = initial_lr · (start_factor + (1 − start_factor) · min(t, warmup_steps) /
    warmup_steps). With ``start_factor > 0`` this is ``torch.optim.lr_scheduler.LinearLR(
    start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)``; ``start_factor
    = 0`` (the default: the first step takes no step at all) is allowed here, not there.

    ``after`` (optional) is a scheduler built on the same optimiser that takes over once
    the warm-up is done: each later ``step()`` steps it, starting from its own step 0 at the
    full rate (what ``SequentialLR([LinearLR, after], milestones=[warmup_steps])`` does).
    Large batches and Adam often need a few hundred warm-up batches before the full rate.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, start_factor: float = 0.0,
                 after: LRScheduler | None = None, last_epoch: int = -1) -> None:
        self.warmup_steps = _check_int(warmup_steps, "LinearWarmup", "warmup_steps")
        self.start_factor = _check_real(start_factor, "LinearWarmup", "start_factor")
        if not 0 <= self.start_factor <= 1:
            raise ValueError(f"LinearWarmup: expected 'start_factor' in [0, 1], got "
                             f"{start_factor!r}")
        if after is not None and not isinstance(after, LRScheduler):
            raise TypeError(f"LinearWarmup: expected 'after' to be a scheduler or None, got "
                            f"{type(after).__name__}")
        if after is not None and after.optimizer is not optimizer:
            raise ValueError("LinearWarmup: 'after' must schedule the same optimiser")
        self.after = after
        if after is not None:
            self.interval = after.interval
        # the scheduler ``after`` has set its own first rate; start from the initial rates
        for group in optimizer.param_groups:
            if "initial_lr" in group and last_epoch == -1:
                group["lr"] = group["initial_lr"]
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The warm-up rate, or the full rate once ``warmup_steps`` steps have passed."""
        t = min(self.last_epoch, self.warmup_steps)
        factor = self.start_factor + (1.0 - self.start_factor) * t / self.warmup_steps
        return [base * factor for base in self.base_lrs]

    def step(self) -> None:
        """One warm-up step; past the warm-up, a step of ``after`` (when given)."""
        if self.after is not None and self.last_epoch >= self.warmup_steps:
            self._step_count += 1
            self.last_epoch += 1
            if self.last_epoch > self.warmup_steps:
                self.after.step()
            self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
            return
        super().step()
        if self.after is not None and self.last_epoch == self.warmup_steps:
            # hand over: ``after`` restarts from its step 0, the full initial rate
            for group, base in zip(self.optimizer.param_groups, self.base_lrs):
                group["lr"] = base
            self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
