"""``autocnn.nn``: layers as modules that hold their parameters.

A ``Module`` registers the ``Parameter``s, buffers and sub-modules assigned to it; layers
call ``autocnn.functional`` in ``forward`` (no layer has a backward of its own). Names,
defaults, initialisation and state-dict keys follow PyTorch, so weights move between the
two libraries by name.

==================  ============================================================
file                names
==================  ============================================================
``module.py``       Module (registration, traversal, train/eval, state dicts)
``parameter.py``    Parameter
``linear.py``       Linear
``conv.py``         Conv2d
``pooling.py``      MaxPool2d, AvgPool2d
``normalization``   BatchNorm1d, BatchNorm2d
``activation.py``   ReLU, Sigmoid, Tanh, Softmax
``dropout.py``      Dropout
``flatten.py``      Flatten
``container.py``    Sequential, ModuleList
``loss.py``         CrossEntropyLoss, MSELoss
``init.py``         weight initialisation (``nn.init.kaiming_uniform_`` ...)
==================  ============================================================
"""

from autocnn.nn import init
from autocnn.nn.activation import ReLU, Sigmoid, Softmax, Tanh
from autocnn.nn.container import ModuleList, Sequential
from autocnn.nn.conv import Conv2d
from autocnn.nn.dropout import Dropout
from autocnn.nn.flatten import Flatten
from autocnn.nn.linear import Linear
from autocnn.nn.loss import CrossEntropyLoss, MSELoss
from autocnn.nn.module import IncompatibleKeys, Module, StateDictError
from autocnn.nn.normalization import BatchNorm1d, BatchNorm2d
from autocnn.nn.parameter import Parameter
from autocnn.nn.pooling import AvgPool2d, MaxPool2d

__all__ = [
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout",
    "Flatten", "IncompatibleKeys", "Linear", "MSELoss", "MaxPool2d", "Module", "ModuleList",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "StateDictError", "Tanh", "init",
]
