"""The layer table: each autocnn layer and its ``torch.nn`` counterpart, both ways.

Every entry builds the other library's layer from this one's settings (weights are copied
afterwards, by state-dict name, in ``convert.py``). Settings that one side has and the other
does not (PyTorch's ``padding_mode="reflect"``, a batch norm without running statistics, …)
are refused with the module's name rather than dropped, so a converted model never computes
something else silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autocnn import nn


class ConversionError(TypeError):
    """A module (named in the message) has no counterpart in the other library."""


def _refuse(where: str, what: str) -> None:
    raise ConversionError(f"{where}: {what}")


# ----------------------------------------------------------------------- autocnn → torch

def to_torch_table(tnn: Any) -> dict[type, Callable[[Any], Any]]:
    """autocnn layer type → function(layer) returning the torch layer (no weights yet)."""

    def conv2d(m: nn.Conv2d) -> Any:
        return tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                          m.dilation, m.groups, bias=m.bias is not None)

    def conv1d(m: nn.Conv1d) -> Any:
        return tnn.Conv1d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                          m.dilation, m.groups, bias=m.bias is not None)

    def conv_t(m: nn.ConvTranspose2d) -> Any:
        return tnn.ConvTranspose2d(m.in_channels, m.out_channels, m.kernel_size, m.stride,
                                   m.padding, m.output_padding, m.groups,
                                   bias=m.bias is not None, dilation=m.dilation)

    def cross_entropy(m: nn.CrossEntropyLoss) -> Any:
        import torch

        weight = None if m.weight is None else torch.from_numpy(np.array(m.weight.data))
        return tnn.CrossEntropyLoss(weight=weight, ignore_index=m.ignore_index,
                                    reduction=m.reduction, label_smoothing=m.label_smoothing)

    return {
        nn.Linear: lambda m: tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None),
        nn.Conv2d: conv2d,
        nn.Conv1d: conv1d,
        nn.ConvTranspose2d: conv_t,
        nn.MaxPool2d: lambda m: tnn.MaxPool2d(m.kernel_size, m.stride, m.padding, m.dilation,
                                              m.return_indices, m.ceil_mode),
        nn.AvgPool2d: lambda m: tnn.AvgPool2d(m.kernel_size, m.stride, m.padding, m.ceil_mode,
                                              m.count_include_pad),
        nn.AdaptiveAvgPool2d: lambda m: tnn.AdaptiveAvgPool2d(m.output_size),
        nn.AdaptiveMaxPool2d: lambda m: tnn.AdaptiveMaxPool2d(m.output_size, m.return_indices),
        nn.MaxUnpool2d: lambda m: tnn.MaxUnpool2d(m.kernel_size, m.stride, m.padding),
        nn.BatchNorm1d: lambda m: tnn.BatchNorm1d(m.num_features, m.eps, m.momentum),
        nn.BatchNorm2d: lambda m: tnn.BatchNorm2d(m.num_features, m.eps, m.momentum),
        nn.LayerNorm: lambda m: tnn.LayerNorm(m.normalized_shape, m.eps, m.elementwise_affine,
                                              bias=m.bias is not None or not
                                              m.elementwise_affine),
        nn.GroupNorm: lambda m: tnn.GroupNorm(m.num_groups, m.num_channels, m.eps, m.affine),
        nn.ReLU: lambda m: tnn.ReLU(),
        nn.Sigmoid: lambda m: tnn.Sigmoid(),
        nn.Tanh: lambda m: tnn.Tanh(),
        nn.Softmax: lambda m: tnn.Softmax(dim=m.axis),
        nn.LeakyReLU: lambda m: tnn.LeakyReLU(m.negative_slope),
        nn.ELU: lambda m: tnn.ELU(m.alpha),
        nn.GELU: lambda m: tnn.GELU(approximate=m.approximate),
        nn.SiLU: lambda m: tnn.SiLU(),
        nn.Softplus: lambda m: tnn.Softplus(m.beta, m.threshold),
        nn.Identity: lambda m: tnn.Identity(),
        nn.Dropout: lambda m: tnn.Dropout(m.p),
        nn.Flatten: lambda m: tnn.Flatten(m.start_axis, m.end_axis),
        nn.CrossEntropyLoss: cross_entropy,
        nn.MSELoss: lambda m: tnn.MSELoss(reduction=m.reduction),
    }


# ----------------------------------------------------------------------- torch → autocnn

def _dtype(t: Any) -> np.dtype | None:
    """The NumPy dtype of a torch layer's weight (None when it has none)."""
    w = getattr(t, "weight", None)
    if w is None:
        return None
    return np.dtype(str(w.dtype).replace("torch.", ""))


def from_torch_table(tnn: Any) -> dict[type, Callable[[Any, str], nn.Module]]:
    """torch layer type → function(layer, path) returning the autocnn layer (no weights)."""

    def conv_padding(t: Any, where: str) -> Any:
        if t.padding_mode != "zeros":
            _refuse(where, f"padding_mode={t.padding_mode!r} (autocnn pads with zeros only)")
        if isinstance(t.padding, str):
            if t.padding == "valid":
                return (0,) * len(t.kernel_size)
            _refuse(where, f"padding={t.padding!r}; give the padding as numbers")
        return t.padding

    def conv2d(t: Any, where: str) -> nn.Module:
        return nn.Conv2d(t.in_channels, t.out_channels, t.kernel_size, t.stride,
                         conv_padding(t, where), t.dilation, t.groups,
                         bias=t.bias is not None, dtype=_dtype(t))

    def conv1d(t: Any, where: str) -> nn.Module:
        return nn.Conv1d(t.in_channels, t.out_channels, t.kernel_size, t.stride,
                         conv_padding(t, where), t.dilation, t.groups,
                         bias=t.bias is not None, dtype=_dtype(t))

    def conv_t(t: Any, where: str) -> nn.Module:
        return nn.ConvTranspose2d(t.in_channels, t.out_channels, t.kernel_size, t.stride,
                                  conv_padding(t, where), t.output_padding, t.groups,
                                  bias=t.bias is not None, dilation=t.dilation,
                                  dtype=_dtype(t))

    def batch_norm(kind: type) -> Callable[[Any, str], nn.Module]:
        def build(t: Any, where: str) -> nn.Module:
            if not t.affine:
                _refuse(where, "affine=False (autocnn's batch norm always learns γ and β)")
            if not t.track_running_stats or t.momentum is None:
                _refuse(where, "no running statistics or momentum=None (cumulative average)"
                        " — autocnn's batch norm keeps exponential running statistics")
            return kind(t.num_features, t.eps, t.momentum, dtype=_dtype(t))
        return build

    def avg_pool(t: Any, where: str) -> nn.Module:
        if t.divisor_override is not None:
            _refuse(where, f"divisor_override={t.divisor_override} is not supported")
        return nn.AvgPool2d(t.kernel_size, t.stride, t.padding, t.ceil_mode,
                            t.count_include_pad)

    def softmax(t: Any, where: str) -> nn.Module:
        if t.dim is None:
            _refuse(where, "Softmax(dim=None) picks an axis implicitly; give dim")
        return nn.Softmax(t.dim)

    def cross_entropy(t: Any, where: str) -> nn.Module:
        weight = None if t.weight is None else t.weight.detach().cpu().numpy().copy()
        return nn.CrossEntropyLoss(weight=weight, ignore_index=t.ignore_index,
                                   reduction=t.reduction, label_smoothing=t.label_smoothing)

    def layer_norm(t: Any, where: str) -> nn.Module:
        has_bias = getattr(t, "bias", None) is not None
        return nn.LayerNorm(tuple(t.normalized_shape), t.eps, t.elementwise_affine,
                            bias=has_bias or not t.elementwise_affine, dtype=_dtype(t))

    def group_norm(t: Any, where: str) -> nn.Module:
        return nn.GroupNorm(t.num_groups, t.num_channels, t.eps, t.affine, dtype=_dtype(t))

    return {
        tnn.Linear: lambda t, w: nn.Linear(t.in_features, t.out_features,
                                           bias=t.bias is not None, dtype=_dtype(t)),
        tnn.Conv2d: conv2d,
        tnn.Conv1d: conv1d,
        tnn.ConvTranspose2d: conv_t,
        tnn.MaxPool2d: lambda t, w: nn.MaxPool2d(t.kernel_size, t.stride, t.padding,
                                                 t.dilation, t.return_indices, t.ceil_mode),
        tnn.AvgPool2d: avg_pool,
        tnn.AdaptiveAvgPool2d: lambda t, w: nn.AdaptiveAvgPool2d(t.output_size),
        tnn.AdaptiveMaxPool2d: lambda t, w: nn.AdaptiveMaxPool2d(t.output_size,
                                                                 t.return_indices),
        tnn.MaxUnpool2d: lambda t, w: nn.MaxUnpool2d(t.kernel_size, t.stride, t.padding),
        tnn.BatchNorm1d: batch_norm(nn.BatchNorm1d),
        tnn.BatchNorm2d: batch_norm(nn.BatchNorm2d),
        tnn.LayerNorm: layer_norm,
        tnn.GroupNorm: group_norm,
        tnn.ReLU: lambda t, w: nn.ReLU(),
        tnn.Sigmoid: lambda t, w: nn.Sigmoid(),
        tnn.Tanh: lambda t, w: nn.Tanh(),
        tnn.Softmax: softmax,
        tnn.LeakyReLU: lambda t, w: nn.LeakyReLU(t.negative_slope),
        tnn.ELU: lambda t, w: nn.ELU(t.alpha),
        tnn.GELU: lambda t, w: nn.GELU(t.approximate),
        tnn.SiLU: lambda t, w: nn.SiLU(),
        tnn.Softplus: lambda t, w: nn.Softplus(t.beta, t.threshold),
        tnn.Identity: lambda t, w: nn.Identity(),
        tnn.Dropout: lambda t, w: nn.Dropout(t.p),
        tnn.Flatten: lambda t, w: nn.Flatten(t.start_dim, t.end_dim),
        tnn.CrossEntropyLoss: cross_entropy,
        tnn.MSELoss: lambda t, w: nn.MSELoss(reduction=t.reduction),
    }


#: autocnn containers (children converted one by one, names kept)
CONTAINERS = (nn.Sequential, nn.ModuleList)

