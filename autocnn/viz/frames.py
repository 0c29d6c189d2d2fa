"""``backward_frames``: backpropagation step by step, one picture per step, on any graph.

The engine's own backward pass is run once (``trace.py``: ``run_backward`` with an
engine observer) and every gradient is recorded as it becomes complete, in the
engine's order: a node's gradient dL/d(output of the node) when the engine runs its
backward rule, a leaf's gradient once the last contribution to it has arrived. Frame 0 is
the forward graph with no gradient; frame k shows exactly the first k gradients and
highlights the k-th. Frames are drawn on demand, so a long pass costs memory only for the
frames looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphviz

from autocnn.autograd.function import Function
from autocnn.autograd.tensor import Tensor
from autocnn.viz.dot import Options, _check_options, _Drawer, _Frame, draw
from autocnn.viz.jupyter import GraphPicture, readable_svg_html
from autocnn.viz.labels import MAX_PRINTED
from autocnn.viz.render import check_format, write_picture
from autocnn.viz.trace import trace_backward
from autocnn.viz.walk import walk


class Frames:
    """The pictures of one backward pass: ``frames[k]`` shows the first k gradients.

    A sequence of ``graphviz.Digraph`` (``len``, indexing, iteration); ``save`` writes them
    as numbered files; in Jupyter it shows as a slider (with ipywidgets) or, without it, as
    the pictures one below the other.
    """

    def __init__(self, output: Tensor, params: Any, opts: Options, grad_output: Any) -> None:
        self._graph = walk(output, "backward_frames")
        self._params = params
        self._opts = opts
        self._trace = trace_backward(self._graph, grad_output)
        probe = _Drawer(self._graph, params, opts, _Frame(self._trace))
        self._groups = probe.groups  # collapsed modules, if any
        self._names = probe.names
        #: what each frame adds: ("node", node), ("leaf", tensor) or ("module", node)
        self.steps: list[tuple[str, Any]] = self._visible_steps()

    def _visible_steps(self) -> list[tuple[str, Any]]:
        """The engine's steps that change the picture: with collapsed modules, a module's
        box counts once (when the gradient reaches its output) and its parameters are
        inside it; without collapsing, every step."""
        steps = list(self._trace.steps)
        groups = self._groups
        if not groups:
            return steps
        entered: set[int] = set()
        visible = []
        for kind, item in steps:
            group = groups.get(id(item))
            if group is None:
                visible.append((kind, item))
            elif kind == "node" and id(group) not in entered:
                entered.add(id(group))
                visible.append(("module", item))
        return visible

    def __len__(self) -> int:
        return len(self.steps) + 1

    def caption(self, k: int) -> str:
        """What frame ``k`` shows, in words."""
        n = len(self.steps)
        if k == 0:
            return f"step 0/{n}: forward pass recorded, no gradient computed yet"
        kind, item = self.steps[k - 1]
        if kind == "module":
            title = self._groups[id(item)].title
            return f"step {k}/{n}: the gradient reached the output of {title}"
        if kind == "node":
            assert isinstance(item, Function)
            number = self._graph.number(item) + 1
            name = self._names.node.get(id(item))
            what = f"#{number} {name} = {item.name}" if name else f"#{number} {item.name}"
            return (
                f"step {k}/{n}: the gradient of {what} is complete; the engine runs its "
                "backward rule"
            )
        name = self._names.leaf.get(id(item)) or f"leaf {self._graph.number(item)}"
        return f"step {k}/{n}: the gradient of {name} is complete (it goes to {name}.grad)"

    def __getitem__(self, k: int) -> GraphPicture:
        n = len(self)
        if not isinstance(k, int):
            raise TypeError(f"backward_frames: frame index must be an int, got {type(k).__name__}")
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(f"backward_frames: frame {k} out of range (0..{n - 1})")
        shown = {id(item) for _, item in self.steps[:k]}
        highlight = id(self.steps[k - 1][1]) if k > 0 else None
        frame = _Frame(self._trace, shown=shown, highlight=highlight, note=self.caption(k))
        return draw(self._graph, self._params, self._opts, frame)

    def __iter__(self) -> Iterator[GraphPicture]:
        for k in range(len(self)):
            yield self[k]

    def save(self, path: str | Path, format: str | None = None) -> list[Path]:
        """Write every frame: ``path`` is a directory (files ``step_000.svg``, ...) or a
        file name such as ``out/backprop.svg`` (files ``out/backprop_000.svg``, ...).

        ``format`` defaults to the file name's suffix, else "svg". Returns the paths
        written (``.dot`` files when Graphviz's ``dot`` program is missing).
        """
        p = Path(path)
        if p.suffix:
            directory, stem = p.parent, p.stem
            fmt = check_format(format or p.suffix, "backward_frames")
        else:
            directory, stem = p, "step"
            fmt = check_format(format or "svg", "backward_frames")
        width = max(3, len(str(len(self) - 1)))
        return [
            write_picture(self[k], directory / f"{stem}_{k:0{width}d}.{fmt}", fmt,
                          "backward_frames")
            for k in range(len(self))
        ]

    # -------------------------------------------------------------- Jupyter
    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        try:
            import ipywidgets as widgets
        except ImportError:
            display(HTML(self._stacked_html()))
            return
        out = widgets.Output()
        slider = widgets.IntSlider(value=0, min=0, max=len(self) - 1, description="step")

        def show(change: Any = None) -> None:
            out.clear_output(wait=True)
            with out:
                display(self[slider.value])

        slider.observe(show, names="value")
        show()
        display(widgets.VBox([slider, out]))

    def _stacked_html(self) -> str:
        """The plain fallback without ipywidgets: every frame, one below the other."""
        parts = []
        for k in range(len(self)):
            pic = self[k]
            try:
                parts.append(readable_svg_html(pic.pipe(format="svg", encoding="utf-8")))
            except graphviz.ExecutableNotFound:  # no dot: show the captions alone
                parts.append(f"<p>{self.caption(k)}</p>")
        return "\n".join(parts)


def backward_frames(
    output: Tensor,
    params: Any = None,
    *,
    grad_output: Any = None,
    show_shapes: bool = True,
    show_values: bool = True,
    derivatives: bool = False,
    cluster_modules: bool = True,
    collapse: bool | int = False,
    rankdir: str = "TB",
    max_printed: int = MAX_PRINTED,
) -> Frames:
    """Backpropagation through ``output``'s graph, one picture per step (see ``Frames``).

    The steps are the engine's own: ``frames[k]`` shows exactly k computed gradients (each
    node's gradient when the engine runs its backward, each leaf's once complete), the k-th
    highlighted, with the ops numbered in backward order. ``grad_output`` is dL/d(output)
    (default ones); ``.grad`` attributes are not touched. Other options are ``to_dot``'s.
    The graph must not have been freed by an earlier ``backward()`` (draw it first, or pass
    ``retain_graph=True`` to that backward).
    """
    opts = Options(
        show_shapes=show_shapes, show_values=show_values, show_grads=True,
        cluster_modules=cluster_modules, number_steps=True, derivatives=derivatives,
        collapse=collapse, rankdir=rankdir, max_printed=max_printed,
    )
    _check_options(opts)
    return Frames(output, params, opts, grad_output)
