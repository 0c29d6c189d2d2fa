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

#: tensors with at most this many entries are printed in full, on one line; larger ones
#: are summarised as min / mean / max and shape (a box stays one line wide either way)
MAX_PRINTED = 8

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
    return f"{_dims(shape)} {np.dtype(dtype).name}"


def _number(x: Any) -> str:
    """One entry with 4 significant digits: ``0.1235``, ``-3``, ``1.5e-05``, ``nan``."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (float, np.floating)):
        text = f"{float(x):.4g}"
        return "0" if text == "-0" else text
    return str(x)


def _dims(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def value_text(value: Any, max_printed: int = MAX_PRINTED) -> str:
    """An array as one short line, never a multi-line repr.

    At most ``max_printed`` entries: printed flat with 4 significant digits,
    ``[0.1235, -0.3, 2]`` (with the shape after it when the array is not 1-D); larger
    arrays: ``min -0.52 / mean 0.013 / max 0.9  (2, 8, 12, 12)``.
    """
    arr = np.asarray(value)
    if arr.dtype.kind == "O":  # SymPy expressions: print small ones, count the rest
        if arr.size <= max_printed:
            return str(arr.item() if arr.ndim == 0 else arr.ravel().tolist())
        return f"{arr.size} expressions {_dims(arr.shape)}"
    if arr.ndim == 0 or arr.size == 1:
        return _number(arr.reshape(()).item())
    if arr.size <= max_printed:
        flat = "[" + ", ".join(_number(v) for v in arr.ravel().tolist()) + "]"
        return flat if arr.ndim == 1 else f"{flat} {_dims(arr.shape)}"
    if arr.dtype.kind in "fiub" and arr.size:
        with np.errstate(all="ignore"):
            return (f"min {_number(arr.min())} / mean {_number(arr.mean())} / "
                    f"max {_number(arr.max())}  {_dims(arr.shape)}")
    return f"{arr.size} values {_dims(arr.shape)}"


def _index_part(p: Any) -> str:
    if isinstance(p, np.ndarray):
        if p.size <= MAX_PRINTED:
            return "[" + ", ".join(_number(v) for v in p.ravel().tolist()) + "]"
        return f"array{_dims(p.shape)}"
    if isinstance(p, slice):
        return (":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step))
                .rstrip(":") or ":")
    if p is Ellipsis:
        return "..."
    if isinstance(p, (list, tuple)):
        return _index_part(np.asarray(p))
    return str(p)


def index_text(index: Any) -> str:
    """A ``GetItem`` index as the user would write it: ``x[[0, 1], [3, 2]]``, ``x[:, 1:3]``.

    Integer arrays of at most ``MAX_PRINTED`` entries are shown as their values (the
    cross-entropy's pick of each row's label reads ``x[[0, 1], [3, 2]]``); larger ones by
    shape.
    """
    parts = index if isinstance(index, tuple) else (index,)
    return "x[" + ", ".join(_index_part(p) for p in parts) + "]"


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
