"""Pictures of the graph the engine recorded: Graphviz DOT, rendered files, Jupyter views,
and backpropagation step by step.

    from autocnn import viz
    viz.to_dot(loss, dict(model.named_parameters()))      # a graphviz.Digraph
    viz.render(loss, "graph.svg", show_values=True)        # an SVG file
    viz.save(viz.to_dot(loss, collapse=True), "layers.png")  # a picture, saved
    viz.backward_frames(loss).save("steps")                # one SVG per backward step
    out, leaves = viz.expression_graph("tanh(a*b + c)")    # a scalar formula to draw

Files, bottom to top (each imports only files above it in this list, so there is no
import cycle): ``walk.py`` (the graph in backward order), ``labels.py`` (label text,
escaping), ``derivatives.py`` (edge labels from the backward rules), ``modules.py``
(module clusters), ``trace.py`` (values and a recorded backward pass),
``graphviz_tool.py`` (is ``dot`` installed), ``jupyter.py`` (the HTML a notebook shows),
``picture.py`` (``GraphPicture``, what every drawing returns), ``drawer.py`` (the DOT
statements of one picture, shared by ``to_dot`` and the frames), ``dot.py`` (``to_dot``),
``render.py`` (``render``, ``save``), ``frames.py`` (``backward_frames``),
``expression.py`` (``expression_graph``: a scalar formula drawn micrograd-style).
"""

from autocnn.viz.dot import to_dot
from autocnn.viz.expression import expression_graph
from autocnn.viz.frames import Frames, backward_frames
from autocnn.viz.render import FORMATS, render, save

__all__ = ["FORMATS", "Frames", "backward_frames", "expression_graph", "render", "save",
           "to_dot"]
