"""Charts drawn as inline SVG text: the learning curves of a report.

Written by hand rather than with matplotlib so the page stays small, sharp at any zoom and
free of fonts or images from elsewhere; the chart is plain ``<svg>`` a reader can inspect.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

#: the colours of the train and test lines (also used in the legend)
TRAIN_COLOR = "#1f77b4"
TEST_COLOR = "#d62728"


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    start = math.ceil(lo / step) * step
    out, v = [], start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def line_chart(title: str, x: Sequence[float], series: dict[str, Sequence[float]],
               y_label: str, width: int = 360, height: int = 220) -> str:
    """An SVG chart of one or two lines (``{"train": [...], "test": [...]}``) against ``x``.

    Non-finite points (a test loss never measured) are left out of the line.
    """
    left, right, top, bottom = 48, 12, 28, 40
    pw, ph = width - left - right, height - top - bottom
    values = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    x0, x1 = (min(x), max(x)) if x else (0, 1)
    if x1 <= x0:
        x0, x1 = x0 - 1, x1 + 1

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return top + (hi - v) / (hi - lo) * ph

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="{left}" y="16" class="chart-title">{html.escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>',
    ]
    for t in _ticks(lo, hi):
        y = sy(t)
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#eee"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" '
                     f'class="tick">{t:g}</text>')
    for t in sorted({int(v) for v in x}):
        parts.append(f'<text x="{sx(t):.1f}" y="{top + ph + 14}" text-anchor="middle" '
                     f'class="tick">{t}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" '
                 'class="axis">epoch</text>')
    parts.append(f'<text x="12" y="{top + ph / 2}" text-anchor="middle" class="axis" '
                 f'transform="rotate(-90 12 {top + ph / 2})">{html.escape(y_label)}</text>')
    colors = {"train": TRAIN_COLOR, "test": TEST_COLOR}
    for i, (name, ys) in enumerate(series.items()):
        color = colors.get(name, "#555")
        pts = [(sx(a), sy(b)) for a, b in zip(x, ys) if b is not None and math.isfinite(b)]
        if not pts:
            continue
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                     'stroke-width="2"/>')
        parts.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>'
                     for a, b in pts)
        lx = left + pw - 110 + 56 * i  # above the plot, right of the title: never on a line
        ly = 16
        parts.append(f'<line x1="{lx}" x2="{lx + 16}" y1="{ly - 4}" y2="{ly - 4}" '
                     f'stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{lx + 20}" y="{ly}" class="tick">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
