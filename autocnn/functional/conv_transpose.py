"""``conv_transpose2d``: the adjoint of convolution, built on ``fold``.

A convolution gathers each kh×kw window of its input into one output pixel (unfold, then a
matmul). Its transpose runs the same wiring backwards: every input pixel is spread over a
kh×kw window of the output, scaled by the filters, and overlapping windows add up — which
is exactly ``Fold``:

    cols = Wᵀ(O·kh·kw, C) @ x(C, N·H·W)          one window of values per input pixel
    full = fold(cols)                            windows added onto an (N, F_out, Hf, Wf) image
    y    = full, extended by ``output_padding`` zeros at the bottom/right, cropped by
           ``padding`` on every side, + bias

with Hf = (H − 1)·stride + dilation·(kh − 1) + 1, so the output height is
Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1, as in PyTorch.
``output_padding`` only picks which of the input sizes that a strided convolution maps to
the same output size is meant; it must be smaller than the stride or the dilation.

Its backward needs no code here: Fold's adjoint is Unfold, so dL/dx is a convolution of
dL/dy with the same filters.
"""

from __future__ import annotations

from typing import Any

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_kernel, check_ndim, pair
from autocnn.functional.conv import check_groups
from autocnn.ops import Fold


def conv_transpose2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    groups: int = 1,
    dilation: int | tuple[int, int] = 1,
) -> Tensor:
    """Transposed 2-D convolution of ``x`` (N, C, H, W) with ``weight`` (C, O/groups, kh, kw).

    The argument order and the weight layout (input channels first) are PyTorch's. The
    result has shape (N, O, Ho, Wo) with
    Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    x = as_tensor(x, op, "input")
    weight = as_tensor(weight, op, "weight")
    check_ndim(x, (4,), op, "input", "4-D (N, C, H, W)")
    check_ndim(weight, (4,), op, "weight", "4-D (in_channels, out_channels/groups, kh, kw)")
    stride = pair(stride, op, "stride", 1)
    padding = pair(padding, op, "padding", 0)
    output_padding = pair(output_padding, op, "output_padding", 0)
    dilation = pair(dilation, op, "dilation", 1)
    G = check_groups(groups, op)
    for a in (0, 1):
        if output_padding[a] >= stride[a] and output_padding[a] >= dilation[a]:
            raise ValueError(
                f"{op}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    N, C, H, W = x.shape
    check_kernel(weight, op)
    Cw, Og, kh, kw = weight.shape
    if C % G:
        raise ValueError(
            f"{op}: groups={G} must divide the input channels, but input {list(x.shape)} "
            f"has {C} channels"
        )
    if Cw != C:
        raise ValueError(
            f"{op}: weight of shape {list(weight.shape)} expects input {list(x.shape)} to have "
            f"{Cw} channels, but got {C} channels"
        )
    F_out = Og * G
    if bias is not None:
        bias = as_tensor(bias, op, "bias")
        if bias.shape != (F_out,):
            raise ValueError(
                f"{op}: expected 'bias' of shape [{F_out}] (one per output channel), got "
                f"{list(bias.shape)}"
            )
    Hf = (H - 1) * stride[0] + dilation[0] * (kh - 1) + 1
    Wf = (W - 1) * stride[1] + dilation[1] * (kw - 1) + 1
    Ho = Hf + output_padding[0] - 2 * padding[0]
    Wo = Wf + output_padding[1] - 2 * padding[1]
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"{op}: padding {padding} crops the whole output: input {H}×{W} gives "
            f"{Ho}×{Wo}"
        )

    # x as a (C, N·H·W) matrix, channel-major like Unfold's columns.
    rows = x.transpose(1, 0, 2, 3).reshape(C, N * H * W)
    k = kh * kw
    if G == 1:
        cols = weight.reshape(C, F_out * k).T @ rows  # (O·kh·kw, N·H·W)
    else:
        Cg = C // G
        w = weight.reshape(G, Cg, Og * k).transpose(0, 2, 1)  # (G, Og·k, Cg)
        cols = (w @ rows.reshape(G, Cg, N * H * W)).reshape(F_out * k, N * H * W)
    y = Fold.apply(cols, out_shape=(N, F_out, Hf, Wf), kernel_size=(kh, kw), stride=stride,
                   dilation=dilation)
    if output_padding != (0, 0):
        y = y.pad(((0, 0), (0, 0), (0, output_padding[0]), (0, output_padding[1])))
    if padding != (0, 0):
        y = y[:, :, padding[0]:padding[0] + Ho, padding[1]:padding[1] + Wo]
    if bias is not None:
        y = y + bias.reshape(1, F_out, 1, 1)
    return y
