"""``to_dot``: the recorded graph of a tensor as a Graphviz picture.

This file is the public entry point only: the options are checked, the graph is walked
(``walk.py``), the gradients are traced when asked (``trace.py``), and the drawer
(``drawer.py``, shared with ``backward_frames``) writes the picture, a ``GraphPicture``
(``picture.py``).
"""

from __future__ import annotations

from typing import Any

from autocnn.autograd.tensor import Tensor
from autocnn.viz.drawer import Frame, Options, check_options, draw
from autocnn.viz.labels import MAX_PRINTED
from autocnn.viz.picture import GraphPicture
from autocnn.viz.trace import graph_is_freed, trace_backward
from autocnn.viz.walk import walk


def to_dot(
    output: Tensor,
    params: Any = None,
    show_shapes: bool = True,
    show_values: bool = False,
    show_grads: bool = False,
    cluster_modules: bool = True,
    *,
    number_steps: bool = False,
    derivatives: bool = False,
    collapse: bool | int = False,
    rankdir: str = "TB",
    grad_output: Any = None,
    max_printed: int = MAX_PRINTED,
) -> GraphPicture:
    """The graph that produced ``output`` as a ``graphviz.Digraph`` (shown inline in Jupyter).

    - ``params``: names for tensors, as ``dict(model.named_parameters())``, any dict or
      pairs of name → Tensor, or a list of tensors named by their ``.name``. Leaves are
      named from it, else from their ``.name``, else from the module that owns them. The
      graph does not keep intermediate tensors, so an intermediate's name and value show
      only if the tensor is passed here (``params=[h]`` after ``h.name = "h"``).
    - ``show_shapes``: each box shows the shape and dtype of the tensor it made.
    - ``show_values`` / ``show_grads``: the data and dL/d(data) of every box; tensors with
      at most ``max_printed`` entries are printed, larger ones summarised (min, mean, max).
      Gradients come from one backward pass run by the engine itself with dL/d(output) =
      ``grad_output`` (default ones); ``.grad`` attributes are not touched. Intermediate
      values are known where the graph keeps them (saved for backward) or were passed in
      ``params``.
    - ``cluster_modules``: boxes made inside a module's forward are drawn inside a cluster
      labelled ``path: Type`` (``features.0: Conv2d``).
    - ``number_steps``: prefix each op with its step (#1, #2, ...) in the backward pass, the
      exact order the engine runs them.
    - ``derivatives``: label each edge with the local derivative the op's backward rule
      gives (``∂(a·b)/∂a = b``), plus the gradient flowing along it with ``show_grads``.
    - ``collapse``: draw each innermost module (``True``) or each module at depth
      ``collapse`` (1 = outermost) as one box listing its parameters.
    - ``rankdir``: Graphviz layout direction, "TB" (inputs at top), "BT", "LR" or "RL".
    """
    opts = Options(
        show_shapes=show_shapes, show_values=show_values, show_grads=show_grads,
        cluster_modules=cluster_modules, number_steps=number_steps, derivatives=derivatives,
        collapse=collapse, rankdir=rankdir, max_printed=max_printed,
    )
    check_options(opts)
    graph = walk(output, "to_dot")
    frame = Frame(trace=None)
    if show_grads:
        if graph_is_freed(graph):
            frame.note = (
                "gradients of intermediate boxes are not shown: backward() without "
                "retain_graph=True already freed the graph (leaves show their .grad)"
            )
        else:
            frame.trace = trace_backward(graph, grad_output)
    return draw(graph, params, opts, frame)
