"""What the explain result objects share: turning their arrays and SymPy numbers into
plain JSON values (``to_dict``), so the HTML page can embed them."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """``value`` as JSON-friendly Python: arrays → nested lists, exact SymPy numbers →
    their text (``"3/7"``), non-finite floats → ``"inf"``/``"-inf"``/``"nan"``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            return [jsonable(v) for v in value.tolist()] if value.ndim else jsonable(value[()])
        return jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else str(f)
    if value is None or isinstance(value, str):
        return value
    if dataclasses.is_dataclass(value):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)  # SymPy expressions and anything else: their text


class ToDict:
    """Mixin for result dataclasses: ``to_dict()`` gives every field as JSON values."""

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON values (lists, numbers, strings), plus the class name."""
        out = {"type": type(self).__name__}
        out.update(jsonable(self))
        return out
