"""``conv2d`` and ``conv1d``: convolution as pad → unfold → matmul → + bias.

Unfold lays every receptive field out as a column of a (C·kh·kw, N·Ho·Wo) matrix, so the
whole convolution is one matrix product with the filters flattened to rows:

    Y[o, (n,p,q)] = Σ_(c,i,j) W[o, (c,i,j)] · cols[(c,i,j), (n,p,q)] + b[o]

With ``groups`` = G the channels split into G independent blocks: the rows of ``cols``
are channel-major, so block g is a contiguous slice, and one batched matmul
(G, O/G, C/G·kh·kw) @ (G, C/G·kh·kw, N·Ho·Wo) convolves every block at once (depthwise
convolution is G = C). ``conv1d`` is ``conv2d`` on images of height 1.

Its backward needs no code here: the engine chains the backward rules of Add, MatMul,
Unfold (whose adjoint is Fold) and Pad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_kernel, check_ndim, pair, single
from autocnn.ops import Unfold, output_size


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of ``x`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw),
    plus bias.

    ``stride``, ``padding`` (zeros) and ``dilation`` are an int or a (height, width) pair.
    The result has shape (N, O, Ho, Wo) with Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1.
    ``groups`` splits the C input and O output channels into that many blocks, each
    convolved only with its own (as PyTorch); both C and O must be divisible by it.
    """
    x = as_tensor(x, "conv2d", "input")
    weight = as_tensor(weight, "conv2d", "weight")
    check_ndim(x, (4,), "conv2d", "input", "4-D (N, C, H, W)")
    check_ndim(weight, (4,), "conv2d", "weight", "4-D (out_channels, in_channels, kh, kw)")
    stride = pair(stride, "conv2d", "stride", 1)
    padding = pair(padding, "conv2d", "padding", 0)
    dilation = pair(dilation, "conv2d", "dilation", 1)
    G = check_groups(groups, "conv2d")
    N, C, H, W = x.shape
    check_kernel(weight, "conv2d")
    F_out, Cw, kh, kw = weight.shape
    if C % G:
        raise ValueError(
            f"conv2d: groups={G} must divide the input channels, but input {list(x.shape)} "
            f"has {C} channels"
        )
    if F_out % G:
        raise ValueError(
            f"conv2d: groups={G} must divide the output channels, but weight "
            f"{list(weight.shape)} has {F_out} output channels"
        )
    if Cw * G != C:
        given = f"given groups={G}, " if G != 1 else ""
        raise ValueError(
            f"conv2d: {given}weight of shape {list(weight.shape)} expects input "
            f"{list(x.shape)} to have {Cw * G} channels, but got {C} channels"
        )
    Hp, Wp = H + 2 * padding[0], W + 2 * padding[1]
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if span[0] > Hp or span[1] > Wp:
        raise ValueError(
            f"conv2d: kernel of size {kh}×{kw} (dilated span {span[0]}×{span[1]}) is larger "
            f"than the padded input of size {Hp}×{Wp} (input {H}×{W}, padding {padding})"
        )
    if bias is not None:
        bias = as_tensor(bias, "conv2d", "bias")
        if bias.shape != (F_out,):
            raise ValueError(
                f"conv2d: expected 'bias' of shape [{F_out}] (one per filter), got "
                f"{list(bias.shape)}"
            )

    if padding != (0, 0):
        x = x.pad(((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    cols = Unfold.apply(x, kernel_size=(kh, kw), stride=stride, dilation=dilation)
    if G == 1:
        y = weight.reshape(F_out, C * kh * kw) @ cols  # (F_out, N·Ho·Wo)
    else:
        L = cols.shape[1]
        blocks = weight.reshape(G, F_out // G, Cw * kh * kw) @ cols.reshape(G, Cw * kh * kw, L)
        y = blocks.reshape(F_out, L)
    if bias is not None:
        y = y + bias.reshape(F_out, 1)
    Ho = output_size(Hp, kh, stride[0], dilation[0])
    Wo = output_size(Wp, kw, stride[1], dilation[1])
    # A transposed view, not a copy: the next layer's unfold reads it channel-major anyway.
    return y.reshape(F_out, N, Ho, Wo).transpose(1, 0, 2, 3)


def check_groups(groups: Any, op: str) -> int:
    """``groups`` as a positive int."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: 'groups' must be a positive int, got {groups!r}")
    return int(groups)


def conv1d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int] = 1,
    padding: int | tuple[int] = 0,
    dilation: int | tuple[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of ``x`` (N, C, L) with ``weight`` (O, C/groups, k), plus bias.

    The result has shape (N, O, Lo), Lo = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
    It is ``conv2d`` on images of height 1, so every check and gradient is conv2d's.
    """
    x = as_tensor(x, "conv1d", "input")
    weight = as_tensor(weight, "conv1d", "weight")
    check_ndim(x, (3,), "conv1d", "input", "3-D (N, C, L)")
    check_ndim(weight, (3,), "conv1d", "weight", "3-D (out_channels, in_channels, k)")
    stride = single(stride, "conv1d", "stride", 1)
    padding = single(padding, "conv1d", "padding", 0)
    dilation = single(dilation, "conv1d", "dilation", 1)
    N, C, L = x.shape
    F_out, Cw, k = weight.shape
    y = conv2d(x.reshape(N, C, 1, L), weight.reshape(F_out, Cw, 1, k), bias, (1, stride),
               (0, padding), (1, dilation), groups)
    return y.reshape(N, F_out, y.shape[-1])
