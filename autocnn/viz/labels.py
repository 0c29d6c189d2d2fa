"""Label text for graph pictures: escaping, shapes, values and their summaries.

Every label is written as a Graphviz *HTML-like* label (``<...>``), and every piece of
user text in it (tensor names, module paths, parameters, values) goes through ``escape``.
In that form Graphviz gives no meaning to quotes, braces, backslashes or ``\\n``, and the
only special characters left (``& < >`` and quotes) become entities, so any name yields
valid DOT. Control characters are shown as escapes instead of being passed through.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

import numpy as np

#: tensors with at most this many entries are printed in full; larger ones are summarised
MAX_PRINTED = 16

_CONTROL = re.compile("[\x00-\x1f\x7f]")


def escape(text: Any) -> str:
    """``text`` made safe inside an HTML-like Graphviz label.

    ``& < > " '`` become entities, a newline becomes a line break (``<BR/>``), and other
    control characters are shown as Python escapes (``\\t``), never passed through.
    """
    s = str(text)
    if _CONTROL.search(s) is None:
        return html.escape(s, quote=True)
    lines = []
    for line in s.split("\n"):
        line = _CONTROL.sub(lambda m: repr(m.group())[1:-1], line)
        lines.append(html.escape(line, quote=True))
    return "<BR/>".join(lines)


def html_label(lines: list[str], bold_first: bool = False) -> str:
    """Join already escaped lines into one HTML-like label (first line in bold if asked)."""
    if not lines:
        return "<>"
    parts = [f"<B>{lines[0]}</B>" if bold_first else lines[0], *lines[1:]]
    return "<" + "<BR/>".join(parts) + ">"


@lru_cache(maxsize=1024)
def shape_text(shape: tuple[int, ...], dtype: Any) -> str:
    """``(2, 3) float64`` — the shape and dtype of a tensor."""
    dims = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    return f"{dims} {np.dtype(dtype).name}"


def _number(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.4g}"
    return str(x)


def value_text(value: Any, max_printed: int = MAX_PRINTED) -> str:
    """Small arrays printed in full (4 significant digits), large ones as min/mean/max."""
    arr = np.asarray(value)
    if arr.dtype.kind == "O":  # SymPy expressions: print small ones, count the rest
        if arr.size <= max_printed:
            return str(arr.item() if arr.ndim == 0 else arr.tolist())
        return f"{arr.size} expressions"
    if arr.ndim == 0 or arr.size == 1:
        return _number(arr.reshape(()).item())
    if arr.size <= max_printed:
        return np.array2string(arr, precision=4, separator=", ", suppress_small=True,
                               max_line_width=60)
    if arr.dtype.kind in "fiub":
        return (
            f"min {_number(arr.min())}  mean {_number(arr.mean())}  max {_number(arr.max())}"
        )
    return f"{arr.size} values"


def _every_axis(axis: Any, in_shape: tuple[int, ...]) -> bool:
    """True when ``axis`` (a reduction's axes) names every axis of an input of ``in_shape``."""
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    if not isinstance(axis, (tuple, list)):
        return False
    ndim = len(in_shape)
    return sorted(int(a) % ndim if ndim else int(a) for a in axis) == list(range(ndim))


def params_text(params: dict[str, Any], in_shape: tuple[int, ...] | None = None) -> str:
    """An op's parameters as ``stride=(1, 1), axis=0`` (NumPy dtypes shown by name).

    ``in_shape`` is the shape of the op's input, for reductions (Sum, Max): when their
    ``axis`` names every axis of it — ``(a * b).sum()`` — they show ``all axes`` instead of
    an ``axis=(0, 1)`` the user never wrote.
    """
    parts = []
    for key, val in params.items():
        if key == "axis" and in_shape is not None and _every_axis(val, tuple(in_shape)):
            parts.append("all axes")
            continue
        if isinstance(val, np.dtype):
            val = val.name
        parts.append(f"{key}={val}")
    return ", ".join(parts)
