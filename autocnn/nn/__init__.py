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
``conv.py``         Conv2d, Conv1d, ConvTranspose2d
``pooling.py``      MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxUnpool2d
``normalization``   BatchNorm1d, BatchNorm2d
``layer_norm.py``   LayerNorm, GroupNorm
``activation.py``   ReLU, Sigmoid, Tanh, Softmax, LeakyReLU, ELU, GELU, SiLU, Softplus,
                    Identity
``dropout.py``      Dropout
``flatten.py``      Flatten
``container.py``    Sequential, ModuleList
``loss.py``         CrossEntropyLoss, MSELoss
``init.py``         weight initialisation (``nn.init.kaiming_uniform_`` ...)
==================  ============================================================
"""

from autocnn.nn import init
from autocnn.nn.activation import (
    ELU,
    GELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from autocnn.nn.container import ModuleList, Sequential
from autocnn.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from autocnn.nn.dropout import Dropout
from autocnn.nn.flatten import Flatten
from autocnn.nn.layer_norm import GroupNorm, LayerNorm
from autocnn.nn.linear import Linear
from autocnn.nn.loss import CrossEntropyLoss, MSELoss
from autocnn.nn.module import IncompatibleKeys, Module, StateDictError
from autocnn.nn.normalization import BatchNorm1d, BatchNorm2d
from autocnn.nn.parameter import Parameter
from autocnn.nn.pooling import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    MaxPool2d,
    MaxUnpool2d,
)

__all__ = [
    "ELU", "GELU", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "Conv1d", "Conv2d", "ConvTranspose2d", "CrossEntropyLoss", "Dropout",
    "Flatten", "GroupNorm", "Identity", "IncompatibleKeys", "LayerNorm", "LeakyReLU", "Linear",
    "MSELoss", "MaxPool2d", "MaxUnpool2d", "Module", "ModuleList", "Parameter", "ReLU",
    "Sequential", "SiLU", "Sigmoid", "Softmax", "Softplus", "StateDictError", "Tanh", "init",
]
