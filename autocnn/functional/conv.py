"""``conv2d``: convolution as pad → unfold → matmul → + bias.

Unfold lays every receptive field out as a column of a (C·kh·kw, N·Ho·Wo) matrix, so the
whole convolution is one matrix product with the filters flattened to rows:

    Y[o, (n,p,q)] = Σ_(c,i,j) W[o, (c,i,j)] · cols[(c,i,j), (n,p,q)] + b[o]

Its backward needs no code here: the engine chains the backward rules of Add, MatMul,
Unfold (whose adjoint is Fold) and Pad.
"""

from __future__ import annotations

from typing import Any

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_ndim, pair
from autocnn.ops import Unfold, output_size


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> Tensor:
    """2-D cross-correlation of ``x`` (N, C, H, W) with ``weight`` (O, C, kh, kw), plus bias.

    ``stride``, ``padding`` (zeros) and ``dilation`` are an int or a (height, width) pair.
    The result has shape (N, O, Ho, Wo) with Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1.
    """
    x = as_tensor(x, "conv2d", "input")
    weight = as_tensor(weight, "conv2d", "weight")
    check_ndim(x, (4,), "conv2d", "input", "4-D (N, C, H, W)")
    check_ndim(weight, (4,), "conv2d", "weight", "4-D (out_channels, in_channels, kh, kw)")
    stride = pair(stride, "conv2d", "stride", 1)
    padding = pair(padding, "conv2d", "padding", 0)
    dilation = pair(dilation, "conv2d", "dilation", 1)
    N, C, H, W = x.shape
    F_out, Cw, kh, kw = weight.shape
    if Cw != C:
        raise ValueError(
            f"conv2d: weight of shape {list(weight.shape)} expects input {list(x.shape)} to "
            f"have {Cw} channels, but got {C} channels"
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
    y = weight.reshape(F_out, C * kh * kw) @ cols  # (F_out, N·Ho·Wo)
    if bias is not None:
        y = y + bias.reshape(F_out, 1)
    Ho = output_size(Hp, kh, stride[0], dilation[0])
    Wo = output_size(Wp, kw, stride[1], dilation[1])
    # A transposed view, not a copy: the next layer's unfold reads it channel-major anyway.
    return y.reshape(F_out, N, Ho, Wo).transpose(1, 0, 2, 3)
