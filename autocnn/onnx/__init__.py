"""``autocnn.onnx``: export a model as a standard ONNX file (Conv, BatchNormalization, Relu,
MaxPool, AveragePool, Gemm, Flatten, Add, …) for ONNX Runtime, Netron and friends.

    from autocnn import onnx as ac_onnx
    ac_onnx.export(model, images[:1], "model.onnx")

The ``onnx`` package is an optional extra (``pip install 'autocnn[onnx]'``), imported only
when ``export`` runs.

=============  ==================================================================
file           what
=============  ==================================================================
``export.py``  export: the walk over the model, checking and writing the file
``layers.py``  one ONNX translation per layer
``builder.py`` the graph under construction and ``Value`` (operators → nodes)
=============  ==================================================================
"""

from autocnn.onnx.builder import ExportError
from autocnn.onnx.export import OPSET, export

__all__ = ["OPSET", "ExportError", "export"]
