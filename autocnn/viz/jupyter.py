"""Showing pictures in Jupyter: inline SVG that stays readable as graphs grow.

The HTML a notebook shows for a picture (``GraphPicture`` in ``picture.py`` uses it).
Notebooks shrink an SVG to the width of the cell, so a graph of a few hundred nodes
becomes a grey smudge. ``GraphPicture`` (what ``to_dot`` returns: a ``graphviz.Digraph``
in every other respect) shows its SVG at Graphviz's natural size — 14-point text stays
14-point — inside a box that scrolls when the picture is larger than ``MAX_WIDTH`` by
``MAX_HEIGHT`` pixels. Small graphs are shown as they are. Without the ``dot`` program the
notebook shows the DOT source and the command that installs Graphviz.
"""

from __future__ import annotations

import html
import re

from autocnn.viz.graphviz_tool import INSTALL_HINT

#: the largest box a picture takes in a notebook before it scrolls, in pixels
MAX_WIDTH = 960
MAX_HEIGHT = 640

_SIZE = re.compile(r'<svg width="(?P<w>[\d.]+)pt" height="(?P<h>[\d.]+)pt"')


def readable_svg_html(svg: str) -> str:
    """Wrap an SVG from Graphviz in a scrolling box that keeps its natural size.

    The ``pt`` width and height Graphviz writes become pixels at 96/72 (what a browser
    would use), the SVG is told not to shrink (``max-width: none``), and the box scrolls.
    """
    start = svg.find("<svg")
    if start > 0:  # drop the XML prolog and doctype: the SVG is embedded in HTML
        svg = svg[start:]
    m = _SIZE.search(svg)
    if m is None:
        return f'<div style="overflow:auto">{svg}</div>'
    w, h = float(m["w"]) * 96 / 72, float(m["h"]) * 96 / 72
    box_w, box_h = min(w, MAX_WIDTH) + 20, min(h, MAX_HEIGHT) + 20
    svg = svg[: m.start()] + (
        f'<svg style="max-width:none" width="{w:.0f}px" height="{h:.0f}px"'
    ) + svg[m.end():]
    return (
        f'<div style="overflow:auto; max-width:{box_w:.0f}px; max-height:{box_h:.0f}px">'
        f"{svg}</div>"
    )


def missing_dot_html(source: str) -> str:
    """What a notebook shows when Graphviz's ``dot`` program is not installed."""
    return (
        f"<p><b>Graphviz's <code>dot</code> program was not found</b>; {html.escape(INSTALL_HINT)}"
        f"</p><pre style=\"max-height:{MAX_HEIGHT}px; overflow:auto\">{html.escape(source)}</pre>"
    )
