"""``autocnn.functional`` (imported as ``F``): the CNN layers as functions.

Every function here is a composition of the primitives in ``autocnn.ops``; none defines a
backward of its own. Layouts follow PyTorch: images (N, C, H, W), conv weights
(out_channels, in_channels, kh, kw), linear weights (out_features, in_features).

=================  =========================================================
file               functions
=================  =========================================================
``linear.py``      linear
``conv.py``        conv2d (pad → unfold → matmul → + bias)
``pooling.py``     max_pool2d, avg_pool2d (pad → unfold → max / mean)
``normalization``  batch_norm (training and evaluation)
``activation.py``  relu, sigmoid, tanh, softmax, log_softmax, flatten
``dropout.py``     dropout (inverted)
``loss.py``        cross_entropy, mse_loss
=================  =========================================================
"""

from autocnn.functional.activation import flatten, log_softmax, relu, sigmoid, softmax, tanh
from autocnn.functional.conv import conv2d
from autocnn.functional.dropout import dropout
from autocnn.functional.linear import linear
from autocnn.functional.loss import cross_entropy, mse_loss
from autocnn.functional.normalization import batch_norm
from autocnn.functional.pooling import avg_pool2d, max_pool2d

__all__ = [
    "avg_pool2d", "batch_norm", "conv2d", "cross_entropy", "dropout", "flatten", "linear",
    "log_softmax", "max_pool2d", "mse_loss", "relu", "sigmoid", "softmax", "tanh",
]
