"""``GraphPicture``: what ``to_dot`` and every frame of ``backward_frames`` return.

A ``graphviz.Digraph`` in every respect (``.source``, ``.pipe``, ``.render``), that shows
itself in Jupyter at a readable size (``jupyter.py``): its SVG at Graphviz's natural size
in a scrolling box, or the DOT source and the install command without ``dot``.
"""

from __future__ import annotations

from typing import Any

import graphviz

from autocnn.viz.jupyter import missing_dot_html, readable_svg_html


class GraphPicture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that shows itself in Jupyter at a readable size."""

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **_: Any
    ) -> dict[str, Any]:
        try:
            svg = self.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
            return {"text/html": missing_dot_html(self.source), "text/plain": self.source}
        bundle = {"text/html": readable_svg_html(svg), "image/svg+xml": svg}
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        if exclude is not None:
            bundle = {k: v for k, v in bundle.items() if k not in set(exclude)}
        return bundle
