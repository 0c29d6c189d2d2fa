"""``detect_anomaly``: stop at the first NaN or inf, and say which primitive made it.

Inside the block every op checks its output and every backward its gradients. A forward
failure names the primitive, the line of user code that called it, and the input values at
the offending index (``Log received 0.0 at (3,)``); a backward failure names the primitive,
the input whose gradient went bad, and where the node was created. The checks cost a pass
over every array, so anomaly mode is for debugging, not for training runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from autocnn.autograd import grad_mode


class detect_anomaly:  # noqa: N801 - a context manager named like PyTorch's
    """Raise ``RuntimeError`` at the first NaN/inf produced in forward or backward.

    Use as ``with detect_anomaly(): ...`` or as a decorator ``@detect_anomaly()``.
    """

    def __init__(self, enabled: bool = True) -> None:
        self._mode = bool(enabled)
        self._saved: list[bool] = []

    def __enter__(self) -> detect_anomaly:
        self._saved.append(grad_mode.anomaly)
        grad_mode.anomaly = self._mode
        return self

    def __exit__(self, *exc: object) -> None:
        grad_mode.anomaly = self._saved.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self._mode):
                return func(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return grad_mode.anomaly
