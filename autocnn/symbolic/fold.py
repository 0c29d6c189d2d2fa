"""Folding an eval-mode ``BatchNorm2d`` into the ``Conv2d`` before it.

At test time batch norm is the fixed affine map y = a·x + c per channel, with
a = γ/sqrt(σ²_pop + ε) and c = β − a·μ_pop (derived and proved in ``batchnorm.py``). Applied
after a convolution, it scales each filter and shifts its bias:

    W'[o] = a[o] · W[o]          b'[o] = a[o] · (b[o] − μ_pop[o]) + β[o]

so the two layers become one convolution — the usual speed-up for deployment.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def fold_batchnorm(conv: Any, bn: Any) -> Any:
    """A new ``nn.Conv2d`` equal to ``bn(conv(x))`` with ``bn`` in evaluation mode.

    ``conv`` and ``bn`` are left unchanged. Raises if ``bn`` is in training mode (its output
    then depends on the batch, so no fixed convolution can equal it) or if the channel
    counts differ.
    """
    from autocnn import nn

    if type(conv).__name__ != "Conv2d" or type(bn).__name__ != "BatchNorm2d":
        raise TypeError(f"fold_batchnorm: expected (Conv2d, BatchNorm2d), got "
                        f"({type(conv).__name__}, {type(bn).__name__})")
    if bn.training:
        raise ValueError("fold_batchnorm: the BatchNorm2d is in training mode, where it uses "
                         "batch statistics; call bn.eval() first (only the test-time map folds)")
    if bn.num_features != conv.out_channels:
        raise ValueError(f"fold_batchnorm: BatchNorm2d({bn.num_features}) cannot follow a "
                         f"Conv2d with {conv.out_channels} output channels")
    weight = conv.weight.data.astype(np.float64)
    bias = (conv.bias.data.astype(np.float64) if conv.bias is not None
            else np.zeros(conv.out_channels))
    scale = bn.weight.data.astype(np.float64) / np.sqrt(
        bn.running_var.data.astype(np.float64) + bn.eps)
    folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                       conv.padding, conv.dilation, bias=True, dtype=conv.weight.dtype)
    dtype = conv.weight.dtype
    folded.weight.data[...] = (weight * scale[:, None, None, None]).astype(dtype)
    folded.bias.data[...] = ((bias - bn.running_mean.data) * scale
                             + bn.bias.data).astype(dtype)
    folded.eval()
    return folded
