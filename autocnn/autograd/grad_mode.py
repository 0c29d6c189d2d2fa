"""Grad mode and anomaly mode: the two switches the engine reads on every op.

``Function.apply`` records a graph node only when grad mode is on and an input requires
grad; ``no_grad`` turns recording off (inference, optimiser updates), ``enable_grad`` turns
it back on inside a ``no_grad`` block. Anomaly mode (``detect_anomaly``) makes every op check
its output, and every backward its gradients, for NaN and inf.

The flags are plain module attributes read as ``grad_mode.enabled``: one attribute lookup
per op, the cheapest switch Python offers. autocnn is single-threaded by design.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

enabled: bool = True
anomaly: bool = False


def is_grad_enabled() -> bool:
    """True when operations record the graph that backward needs."""
    return enabled


class _GradModeContext:
    """Sets grad mode for a ``with`` block or, used as a decorator, for a function's body."""

    _mode: bool

    def __new__(cls, func: Callable | None = None):
        self = super().__new__(cls)
        if func is not None:  # used bare, as ``@no_grad``
            return self(func)
        return self

    def __init__(self, func: Callable | None = None) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> _GradModeContext:
        global enabled
        self._saved.append(enabled)
        enabled = self._mode
        return self

    def __exit__(self, *exc: object) -> None:
        global enabled
        enabled = self._saved.pop()

    def __call__(self, func: F) -> F:
        mode = self._mode
        if inspect.isgeneratorfunction(func):
            return _generator_wrapper(func, mode)  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            global enabled
            saved, enabled = enabled, mode
            try:
                return func(*args, **kwargs)
            finally:
                enabled = saved

        return wrapper  # type: ignore[return-value]


def _generator_wrapper(func: Callable, mode: bool) -> Callable:
    """Wrap a generator function so that ``mode`` holds while its body runs.

    A plain wrapper would only set the mode while the generator object is *created*; the
    body runs later, at each ``next()``. As PyTorch does, the mode is set around every
    resumption of the generator and restored each time it yields back to the caller.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global enabled
        gen = func(*args, **kwargs)
        resume: Callable = gen.send
        arg: Any = None
        while True:
            saved, enabled = enabled, mode
            try:
                value = resume(arg)
            except StopIteration as stop:
                return stop.value
            finally:
                enabled = saved
            try:
                arg = yield value
                resume = gen.send
            except GeneratorExit:
                gen.close()
                raise
            except BaseException as exc:  # thrown into the wrapper: the body handles it
                resume, arg = gen.throw, exc

    return wrapper


class no_grad(_GradModeContext):  # noqa: N801 - named as the PyTorch context users know
    """Do not record the graph: ``with ac.no_grad(): ...`` or ``@ac.no_grad()``.

    Inside, results never require grad and nothing is saved for backward, so inference and
    parameter updates cost no memory for the graph.
    """

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Record the graph again inside a ``no_grad`` block (also a decorator)."""

    _mode = True


class set_grad_enabled:  # noqa: N801
    """Set grad mode to ``mode`` for a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._saved = enabled

    def __enter__(self) -> set_grad_enabled:
        global enabled
        self._saved, enabled = enabled, self._mode
        return self

    def __exit__(self, *exc: object) -> None:
        global enabled
        enabled = self._saved
