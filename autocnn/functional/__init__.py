"""``autocnn.functional`` (imported as ``F``): the CNN layers as functions.

Every function here is a composition of the primitives in ``autocnn.ops``; none defines a
backward of its own. Layouts follow PyTorch: images (N, C, H, W), conv weights
(out_channels, in_channels, kh, kw), linear weights (out_features, in_features).

======================  ==========================================================
file                    functions
======================  ==========================================================
``linear.py``           linear
``conv.py``             conv2d (pad → unfold → matmul → + bias; ``groups``), conv1d
``conv_transpose.py``   conv_transpose2d (matmul → fold → crop)
``pooling.py``          max_pool2d, avg_pool2d (pad → unfold → max / mean)
``adaptive_pooling``    adaptive_avg_pool2d, adaptive_max_pool2d
``unpool.py``           max_unpool2d (a scatter of the pooled maxima)
``normalization``       batch_norm (training and evaluation)
``layer_norm.py``       layer_norm, group_norm (per-example statistics)
``activation.py``       relu, sigmoid, tanh, softmax, log_softmax, flatten, leaky_relu,
                        elu, gelu, silu, softplus
``dropout.py``          dropout (inverted)
``loss.py``             cross_entropy, mse_loss
======================  ==========================================================
"""

from autocnn.functional.activation import (
    elu,
    flatten,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from autocnn.functional.adaptive_pooling import adaptive_avg_pool2d, adaptive_max_pool2d
from autocnn.functional.conv import conv1d, conv2d
from autocnn.functional.conv_transpose import conv_transpose2d
from autocnn.functional.dropout import dropout
from autocnn.functional.layer_norm import group_norm, layer_norm
from autocnn.functional.linear import linear
from autocnn.functional.loss import cross_entropy, mse_loss
from autocnn.functional.normalization import batch_norm
from autocnn.functional.pooling import avg_pool2d, max_pool2d
from autocnn.functional.unpool import max_unpool2d

__all__ = [
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool2d", "batch_norm", "conv1d",
    "conv2d", "conv_transpose2d", "cross_entropy", "dropout", "elu", "flatten", "gelu",
    "group_norm", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d",
    "max_unpool2d", "mse_loss", "relu", "sigmoid", "silu", "softmax", "softplus", "tanh",
]
