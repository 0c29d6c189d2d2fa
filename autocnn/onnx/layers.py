"""ONNX translations of autocnn's layers, one function per layer (opset 17).

Each takes the builder, the layer, its input ``Value`` and the layer's path (used to name
its weights ``features.0.weight``, as in the state dict) and returns the output ``Value``,
whose tensor is the autocnn layer's own output on the example. Layers are exported with
their evaluation-mode meaning (batch norm with running statistics, dropout as identity).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autocnn import nn
from autocnn.onnx.builder import ExportError, GraphBuilder, Value


def _pair(v: Any) -> list[int]:
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def _weight(b: GraphBuilder, path: str, name: str, t: Any) -> str:
    return b.constant(np.asarray(t.data), f"{path}.{name}" if path else name)


def _out(b: GraphBuilder, name: str, m: nn.Module, x: Value) -> Value:
    return Value(b, name, m(x.tensor))


def _conv(b: GraphBuilder, m: Any, x: Value, path: str) -> Value:
    k = list(m.kernel_size)
    pads = list(m.padding) * 2  # begin of every axis, then end of every axis
    ins = [x.name, _weight(b, path, "weight", m.weight)]
    if m.bias is not None:
        ins.append(_weight(b, path, "bias", m.bias))
    (y,) = b.node("Conv", ins, kernel_shape=k, strides=list(m.stride), pads=pads,
                  dilations=list(m.dilation), group=m.groups)
    return _out(b, y, m, x)


def _conv_transpose(b: GraphBuilder, m: nn.ConvTranspose2d, x: Value, path: str) -> Value:
    ins = [x.name, _weight(b, path, "weight", m.weight)]
    common = dict(kernel_shape=list(m.kernel_size), strides=list(m.stride),
                  dilations=list(m.dilation), group=m.groups)
    if all(op < s for op, s in zip(m.output_padding, m.stride)):
        if m.bias is not None:
            ins.append(_weight(b, path, "bias", m.bias))
        (y,) = b.node("ConvTranspose", ins, pads=list(m.padding) * 2,
                      output_padding=list(m.output_padding), **common)
        return _out(b, y, m, x)
    # ONNX Runtime refuses output_padding ≥ stride (allowed when < dilation): the same steps
    # as autocnn's — the full output, zeros appended, the padding cropped, then the bias.
    (y,) = b.node("ConvTranspose", ins, **common)
    oph, opw = m.output_padding
    (y,) = b.node("Pad", [y, b.constant(np.array([0, 0, 0, 0, 0, 0, oph, opw], np.int64))])
    y_tensor = m(x.tensor)
    ph, pw = m.padding
    Ho, Wo = y_tensor.shape[-2:]
    (y,) = b.node("Slice", [y, b.constant(np.array([ph, pw], np.int64)),
                            b.constant(np.array([ph + Ho, pw + Wo], np.int64)),
                            b.constant(np.array([2, 3], np.int64))])
    if m.bias is not None:
        bias = b.constant(np.asarray(m.bias.data).reshape(-1, 1, 1), f"{path}.bias")
        (y,) = b.node("Add", [y, bias])
    return Value(b, y, y_tensor)


def _linear(b: GraphBuilder, m: nn.Linear, x: Value, path: str) -> Value:
    w = _weight(b, path, "weight", m.weight)
    if len(x.shape) == 2:
        ins = [x.name, w] + ([_weight(b, path, "bias", m.bias)] if m.bias is not None else [])
        (y,) = b.node("Gemm", ins, transB=1)
    else:  # (N, ..., in) inputs: MatMul broadcasts over the leading axes, Gemm does not
        (wt,) = b.node("Transpose", [w], perm=[1, 0])
        (y,) = b.node("MatMul", [x.name, wt])
        if m.bias is not None:
            (y,) = b.node("Add", [y, _weight(b, path, "bias", m.bias)])
    return _out(b, y, m, x)


def _batch_norm(b: GraphBuilder, m: Any, x: Value, path: str) -> Value:
    ins = [x.name] + [_weight(b, path, n, getattr(m, n))
                      for n in ("weight", "bias", "running_mean", "running_var")]
    (y,) = b.node("BatchNormalization", ins, epsilon=m.eps, momentum=1 - m.momentum)
    return _out(b, y, m, x)


def _layer_norm(b: GraphBuilder, m: nn.LayerNorm, x: Value, path: str) -> Value:
    shape = m.normalized_shape
    scale = (_weight(b, path, "weight", m.weight) if m.weight is not None
             else b.constant(np.ones(shape, dtype=np.float32)))
    ins = [x.name, scale]
    if m.bias is not None:
        ins.append(_weight(b, path, "bias", m.bias))
    (y,) = b.node("LayerNormalization", ins, axis=-len(shape), epsilon=m.eps)
    return _out(b, y, m, x)


def _group_norm(b: GraphBuilder, m: nn.GroupNorm, x: Value, path: str) -> Value:
    # ONNX's GroupNormalization changed meaning between opsets; InstanceNormalization over
    # (N, G, C/G·…) is the same statistics, then the per-channel affine.
    N_shape = b.constant(np.array([0, m.num_groups, -1], dtype=np.int64))
    (g,) = b.node("Reshape", [x.name, N_shape])
    ones = b.constant(np.ones(m.num_groups, dtype=np.float32))
    zeros = b.constant(np.zeros(m.num_groups, dtype=np.float32))
    (g,) = b.node("InstanceNormalization", [g, ones, zeros], epsilon=m.eps)
    (shape,) = b.node("Shape", [x.name])
    (y,) = b.node("Reshape", [g, shape])
    if m.affine:
        per_channel = [m.num_channels] + [1] * (len(x.shape) - 2)
        w = b.constant(np.asarray(m.weight.data).reshape(per_channel), f"{path}.weight")
        bias = b.constant(np.asarray(m.bias.data).reshape(per_channel), f"{path}.bias")
        (y,) = b.node("Mul", [y, w])
        (y,) = b.node("Add", [y, bias])
    return _out(b, y, m, x)


def _max_pool(b: GraphBuilder, m: nn.MaxPool2d, x: Value, path: str) -> Value:
    if m.return_indices:
        raise ExportError(f"onnx.export: '{path}' MaxPool2d(return_indices=True): ONNX "
                          "indices count over the whole tensor, not per plane as here")
    (y,) = b.node("MaxPool", [x.name], kernel_shape=_pair(m.kernel_size),
                  strides=_pair(m.stride), pads=_pair(m.padding) * 2,
                  dilations=_pair(m.dilation), ceil_mode=int(m.ceil_mode))
    return _out(b, y, m, x)


def _avg_pool(b: GraphBuilder, m: nn.AvgPool2d, x: Value, path: str) -> Value:
    (y,) = b.node("AveragePool", [x.name], kernel_shape=_pair(m.kernel_size),
                  strides=_pair(m.stride), pads=_pair(m.padding) * 2,
                  ceil_mode=int(m.ceil_mode), count_include_pad=int(m.count_include_pad))
    return _out(b, y, m, x)


def _adaptive(op: str, global_op: str) -> Callable[..., Value]:
    def emit(b: GraphBuilder, m: Any, x: Value, path: str) -> Value:
        if getattr(m, "return_indices", False):
            raise ExportError(f"onnx.export: '{path}' {type(m).__name__}(return_indices=True)"
                              " has no ONNX translation")
        y_tensor = m(x.tensor)
        H, W = x.shape[-2:]
        Ho, Wo = y_tensor.shape[-2:]
        if (Ho, Wo) == (1, 1):
            (y,) = b.node(global_op, [x.name])
        elif H % Ho == 0 and W % Wo == 0:  # equal bins: an ordinary pooling
            k = [H // Ho, W // Wo]
            (y,) = b.node(op, [x.name], kernel_shape=k, strides=k)
        else:
            raise ExportError(
                f"onnx.export: '{path}' {type(m).__name__} from {H}×{W} to {Ho}×{Wo}: ONNX "
                "has no adaptive pooling with unequal bins"
            )
        return Value(b, y, y_tensor)
    return emit


def _unary(op: str, **attrs: Callable[[Any], Any]) -> Callable[..., Value]:
    def emit(b: GraphBuilder, m: Any, x: Value, path: str) -> Value:
        (y,) = b.node(op, [x.name], **{k: f(m) for k, f in attrs.items()})
        return _out(b, y, m, x)
    return emit


def _gelu(b: GraphBuilder, m: nn.GELU, x: Value, path: str) -> Value:
    c = b.constant
    if m.approximate == "tanh":
        (x3,) = b.node("Pow", [x.name, c(np.float32(3.0))])
        (t,) = b.node("Mul", [x3, c(np.float32(0.044715))])
        (t,) = b.node("Add", [x.name, t])
        (t,) = b.node("Mul", [t, c(np.float32(math.sqrt(2 / math.pi)))])
        (t,) = b.node("Tanh", [t])
    else:
        (t,) = b.node("Mul", [x.name, c(np.float32(1 / math.sqrt(2)))])
        (t,) = b.node("Erf", [t])
    (t,) = b.node("Add", [t, c(np.float32(1.0))])
    (t,) = b.node("Mul", [t, x.name])
    (y,) = b.node("Mul", [t, c(np.float32(0.5))])
    return _out(b, y, m, x)


def _silu(b: GraphBuilder, m: nn.SiLU, x: Value, path: str) -> Value:
    (s,) = b.node("Sigmoid", [x.name])
    (y,) = b.node("Mul", [x.name, s])
    return _out(b, y, m, x)


def _softplus(b: GraphBuilder, m: nn.Softplus, x: Value, path: str) -> Value:
    beta = b.constant(np.float32(m.beta))
    (bx,) = b.node("Mul", [x.name, beta])
    (s,) = b.node("Softplus", [bx])
    (s,) = b.node("Div", [s, beta])
    (over,) = b.node("Greater", [bx, b.constant(np.float32(m.threshold))])
    (y,) = b.node("Where", [over, x.name, s])  # the linear tail, as autocnn and PyTorch
    return _out(b, y, m, x)


def _identity(b: GraphBuilder, m: Any, x: Value, path: str) -> Value:
    (y,) = b.node("Identity", [x.name])
    return Value(b, y, x.tensor)


def _flatten(b: GraphBuilder, m: nn.Flatten, x: Value, path: str) -> Value:
    y_tensor = m(x.tensor)
    ndim = len(x.shape)
    start, end = m.start_axis % ndim, m.end_axis % ndim
    if start == 1 and end == ndim - 1:
        (y,) = b.node("Flatten", [x.name], axis=1)
    else:  # a Reshape; 0 copies the batch size, so other batch sizes still work
        shape = list(y_tensor.shape)
        if start > 0:
            shape[0] = 0
        (y,) = b.node("Reshape", [x.name, b.constant(np.array(shape, dtype=np.int64))])
    return Value(b, y, y_tensor)


#: layer type → emitter(builder, layer, input Value, path) → output Value
EMITTERS: dict[type, Callable[..., Value]] = {
    nn.Conv2d: _conv,
    nn.Conv1d: _conv,
    nn.ConvTranspose2d: _conv_transpose,
    nn.Linear: _linear,
    nn.BatchNorm1d: _batch_norm,
    nn.BatchNorm2d: _batch_norm,
    nn.LayerNorm: _layer_norm,
    nn.GroupNorm: _group_norm,
    nn.MaxPool2d: _max_pool,
    nn.AvgPool2d: _avg_pool,
    nn.AdaptiveAvgPool2d: _adaptive("AveragePool", "GlobalAveragePool"),
    nn.AdaptiveMaxPool2d: _adaptive("MaxPool", "GlobalMaxPool"),
    nn.ReLU: _unary("Relu"),
    nn.Sigmoid: _unary("Sigmoid"),
    nn.Tanh: _unary("Tanh"),
    nn.Softmax: _unary("Softmax", axis=lambda m: m.axis),
    nn.LeakyReLU: _unary("LeakyRelu", alpha=lambda m: m.negative_slope),
    nn.ELU: _unary("Elu", alpha=lambda m: m.alpha),
    nn.GELU: _gelu,
    nn.SiLU: _silu,
    nn.Softplus: _softplus,
    nn.Identity: _identity,
    nn.Dropout: _identity,  # evaluation mode
    nn.Flatten: _flatten,
}
