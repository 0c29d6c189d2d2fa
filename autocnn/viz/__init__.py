"""Pictures of the graph the engine recorded: Graphviz DOT, rendered files, Jupyter views,
and backpropagation step by step.

    from autocnn import viz
    viz.to_dot(loss, dict(model.named_parameters()))      # a graphviz.Digraph
    viz.render(loss, "graph.svg", show_values=True)        # an SVG file
    viz.save(viz.to_dot(loss, collapse=True), "layers.png")  # a picture, saved
    viz.backward_frames(loss).save("steps")                # one SVG per backward step

Files: ``walk.py`` (the graph in backward order), ``labels.py`` (label text, escaping),
``derivatives.py`` (edge labels from the backward rules), ``modules.py`` (module
clusters), ``trace.py`` (values and a recorded backward pass), ``dot.py`` (``to_dot``),
``render.py`` (``render``), ``frames.py`` (``backward_frames``), ``jupyter.py`` (inline
display).
"""

from autocnn.viz.dot import to_dot
from autocnn.viz.frames import Frames, backward_frames
from autocnn.viz.render import FORMATS, render, save

__all__ = ["FORMATS", "Frames", "backward_frames", "render", "save", "to_dot"]
