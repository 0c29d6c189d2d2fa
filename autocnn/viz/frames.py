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

from autocnn.autograd.engine import Function
from autocnn.autograd.tensor import Tensor
from autocnn.viz.drawer import Drawer, Frame, Options, check_options, draw
from autocnn.viz.jupyter import readable_svg_html
from autocnn.viz.labels import MAX_PRINTED
from autocnn.viz.picture import GraphPicture
from autocnn.viz.render import check_format, write_picture
from autocnn.viz.trace import trace_backward
from autocnn.viz.walk import walk


class Frames:
    """The pictures of one backward pass: ``frames[k]`` shows the gradients after step k.

    Step k is the engine running the backward rule of the op numbered ``#k`` in the
    pictures (``number_steps``), so a caption's step number is the number in the box; the
    leaves whose gradient is complete after it (their last contribution arrived) are
    filled in on the same picture. With collapsed modules a step is a module: every op of
    it and its parameters' gradients, the box saying which op numbers it covers.

    A sequence of ``graphviz.Digraph`` (``len``, indexing, iteration); ``save`` writes them
    as numbered files; in Jupyter it shows as a slider (with ipywidgets) or, without it, as
    the pictures one below the other.
    """

    def __init__(self, output: Tensor, params: Any, opts: Options, grad_output: Any,
                 around: int | None = None) -> None:
        self._graph = walk(output, "backward_frames")
        self._around = around
        self._neighbours = _neighbours(self._graph) if around is not None else {}
        self._params = params
        self._opts = opts
        self._trace = trace_backward(self._graph, grad_output)
        probe = Drawer(self._graph, params, opts, Frame(self._trace))
        self._groups = probe.groups  # collapsed modules, if any
        self._names = probe.names
        #: what each picture after the first adds: ("node", node) or ("module", node) with
        #: the node the step starts with, and the engine's steps it covers
        self.steps: list[tuple[str, Any]] = []
        self._spans: list[tuple[int, int]] = []  # [start, end) in the trace's steps
        self._visible_steps()

    def _visible_steps(self) -> None:
        """Group the engine's steps into pictures: one per op (and the leaves completed
        right after it); with collapsed modules, one per run of steps inside one module."""
        current: Any = None  # the module (or the op) of the picture being filled
        for i, (kind, item) in enumerate(self._trace.steps):
            group = self._groups.get(id(item))
            if kind == "node":
                key = id(group) if group is not None else id(item)
                if key != current or not self.steps:
                    self.steps.append(("module" if group is not None else "node", item))
                    self._spans.append((i, i + 1))
                    current = key
                    continue
            if self.steps:  # a leaf (or an op of the same module): part of this picture
                start, _ = self._spans[-1]
                self._spans[-1] = (start, i + 1)

    def __len__(self) -> int:
        return len(self.steps) + 1

    def _near(self, centre: frozenset[int]) -> frozenset[int]:
        """The nodes and leaves at most ``around`` edges from ``centre`` (either way)."""
        seen = set(centre)
        frontier = set(centre)
        for _ in range(int(self._around or 0)):
            frontier = {n for f in frontier for n in self._neighbours.get(f, ())} - seen
            seen |= frontier
        return frozenset(seen)

    def _numbers(self, k: int) -> tuple[int, int]:
        """The first and last op numbers (``#``) of step ``k``."""
        start, end = self._spans[k - 1]
        nums = [self._graph.number(item) + 1 for kind, item in self._trace.steps[start:end]
                if kind == "node"]
        return min(nums), max(nums)

    def _leaf_names(self, k: int) -> list[str]:
        start, end = self._spans[k - 1]
        return [self._names.leaf.get(id(item)) or f"leaf {self._graph.number(item)}"
                for kind, item in self._trace.steps[start:end] if kind == "leaf"]

    def caption(self, k: int) -> str:
        """What picture ``k`` shows, in words; its step numbers are the ops' ``#`` numbers."""
        n = len(self.steps)
        if k == 0:
            return f"step 0/{n}: forward pass recorded, no gradient computed yet"
        kind, item = self.steps[k - 1]
        lo, hi = self._numbers(k)
        leaves = self._leaf_names(k)
        done = (f", which completes {', '.join(name + '.grad' for name in leaves)}"
                if leaves else "")
        if kind == "module":
            group = self._groups[id(item)]
            ops = f"ops #{lo}–#{hi}" if hi > lo else f"op #{lo}"
            earlier = any(kd == "module" and self._groups[id(it)] is group
                          for kd, it in self.steps[: k - 1])
            if earlier:  # e.g. the reshape of a weight, run after everything it feeds
                return (f"step {k}/{n} ({ops}): the engine finishes {group.title}, the ops "
                        f"that prepared its parameters{done}")
            return (f"step {k}/{n} ({ops}): the gradient reached the output of "
                    f"{group.title}; the engine runs backward through it{done}")
        assert isinstance(item, Function)
        name = self._names.node.get(id(item))
        what = f"{name} = {item.name}" if name else item.name
        return (f"step {k}/{n}: the gradient of #{lo} {what} is complete; the engine runs "
                f"its backward rule{done}")

    def __getitem__(self, k: int) -> GraphPicture:
        n = len(self)
        if not isinstance(k, int):
            raise TypeError(f"backward_frames: frame index must be an int, got {type(k).__name__}")
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(f"backward_frames: frame {k} out of range (0..{n - 1})")
        steps = self._trace.steps
        end = self._spans[k - 1][1] if k > 0 else 0
        start = self._spans[k - 1][0] if k > 0 else 0
        shown = {id(item) for _, item in steps[:end]}
        highlight = frozenset(id(item) for _, item in steps[start:end])
        visible = None
        if self._around is not None and k > 0:
            visible = self._near(highlight)
        frame = Frame(self._trace, shown=shown, highlight=highlight, note=self.caption(k),
                      visible=visible)
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


def _neighbours(graph: Any) -> dict[int, set[int]]:
    """id(node or leaf) -> ids of the nodes and leaves one edge away, in either direction."""
    out: dict[int, set[int]] = {}
    for node in graph.nodes:
        for source in node.next_edges:
            if source is None:
                continue
            out.setdefault(id(node), set()).add(id(source))
            out.setdefault(id(source), set()).add(id(node))
    return out


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
    around: int | None = None,
) -> Frames:
    """Backpropagation through ``output``'s graph, one picture per step (see ``Frames``).

    The steps are the engine's own: ``frames[k]`` shows exactly k computed gradients (each
    node's gradient when the engine runs its backward, each leaf's once complete), the k-th
    highlighted, with the ops numbered in backward order. ``grad_output`` is dL/d(output)
    (default ones); ``.grad`` attributes are not touched. Other options are ``to_dot``'s.
    The graph must not have been freed by an earlier ``backward()`` (draw it first, or pass
    ``retain_graph=True`` to that backward). ``around=d`` draws, on each picture after the
    first, only the boxes at most ``d`` edges from what the step computed: a readable
    neighbourhood of a large graph instead of all of it.
    """
    if around is not None and (isinstance(around, bool) or not isinstance(around, int)
                               or around < 0):
        raise ValueError(f"backward_frames: around must be None or an int >= 0, got "
                         f"{around!r}")
    opts = Options(
        show_shapes=show_shapes, show_values=show_values, show_grads=True,
        cluster_modules=cluster_modules, number_steps=True, derivatives=derivatives,
        collapse=collapse, rankdir=rankdir, max_printed=max_printed,
    )
    check_options(opts)
    return Frames(output, params, opts, grad_output, around)
