"""Sliding windows: ``Unfold`` (every kh×kw window of an image, as matrix columns) and its
adjoint ``Fold`` (add the columns back onto the image). Convolution and pooling are built
from them.

Layout (measured fastest on this project's machines, see DESIGN.md): the windows of an
(N, C, H, W) input become one channel-major matrix of shape (C·kh·kw, N·Ho·Wo), row
``(c, i, j)`` holding pixel (i, j) of every window of channel c. It is filled by kh·kw
strided slab copies — never a loop over pixels — and it is exactly the right operand for
convolution's three products as plain 2-D matmuls:

    Y = W(O, C·kh·kw) @ cols,   dW = dY @ colsᵀ,   dcols = Wᵀ @ dY   (then fold)

Pooling reshapes the same matrix to (C, kh·kw, N·Ho·Wo) and reduces over the middle axis,
which NumPy does as elementwise max/add of contiguous slabs.
"""

from __future__ import annotations

from autocnn.autograd.engine import Function
from autocnn.ops import workspace


def output_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Windows along one axis: ⌊(size − dilation·(kernel − 1) − 1) / stride⌋ + 1."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def _slab(i: int, dilation: int, stride: int, count: int) -> slice:
    """The input rows (or columns) that kernel offset ``i`` touches across all windows."""
    start = i * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


def _slabs(kh, kw, dh, dw, sh, sw, Ho, Wo):
    """(i, j, rows, columns) for every kernel offset, in row-major order."""
    rows = [_slab(i, dh, sh, Ho) for i in range(kh)]
    columns = [_slab(j, dw, sw, Wo) for j in range(kw)]
    return [(i, j, r, c) for i, r in enumerate(rows) for j, c in enumerate(columns)]


def _geometry(ctx: Function, in_shape, kernel_size, stride, dilation, op: str):
    if len(in_shape) != 4:
        raise ValueError(f"{op}: expected an (N, C, H, W) input, got shape {tuple(in_shape)}")
    N, C, H, W = in_shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    Ho, Wo = output_size(H, kh, sh, dh), output_size(W, kw, sw, dw)
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"{op}: the window ({kh}×{kw}, dilation {dilation}) is larger than the input "
            f"of height×width {H}×{W}"
        )
    ctx.kernel_size, ctx.stride, ctx.dilation, ctx.in_shape = (
        kernel_size, stride, dilation, tuple(in_shape)
    )
    return N, C, H, W, kh, kw, sh, sw, dh, dw, Ho, Wo


class Unfold(Function):
    """cols[(c,i,j), (n,p,q)] = x[n, c, p·sh + i·dh, q·sw + j·dw];  dL/dx = fold(dL/dcols)"""

    params = ("kernel_size", "stride", "dilation")

    @staticmethod
    def forward(ctx, x, kernel_size, stride=(1, 1), dilation=(1, 1)):
        N, C, _, _, kh, kw, sh, sw, dh, dw, Ho, Wo = _geometry(
            ctx, x.shape, kernel_size, stride, dilation, "unfold"
        )
        # every element is written below; the memory is reused from an earlier step
        cols = workspace.empty((C, kh, kw, N, Ho, Wo), x.dtype)
        channels_first = x.transpose(1, 0, 2, 3)  # a view: (C, N, H, W)
        for i, j, rows, columns in _slabs(kh, kw, dh, dw, sh, sw, Ho, Wo):
            cols[:, i, j] = channels_first[:, :, rows, columns]
        return cols.reshape(C * kh * kw, N * Ho * Wo)

    @staticmethod
    def backward(ctx, grad):
        return Fold.apply(grad, ctx.in_shape, ctx.kernel_size, ctx.stride, ctx.dilation)


class Fold(Function):
    """x[n, c, p·sh + i·dh, q·sw + j·dw] += cols[(c,i,j), (n,p,q)];  dL/dcols = unfold(dL/dx)

    Overlapping windows add up, which is what makes it the adjoint of ``Unfold``.
    """

    params = ("kernel_size", "stride", "dilation")

    @staticmethod
    def forward(ctx, cols, out_shape, kernel_size, stride=(1, 1), dilation=(1, 1)):
        N, C, H, W, kh, kw, sh, sw, dh, dw, Ho, Wo = _geometry(
            ctx, out_shape, kernel_size, stride, dilation, "fold"
        )
        if cols.shape != (C * kh * kw, N * Ho * Wo):
            raise ValueError(
                f"fold: expected columns of shape {(C * kh * kw, N * Ho * Wo)} for an output "
                f"of shape {tuple(out_shape)}, got {cols.shape}"
            )
        blocks = cols.reshape(C, kh, kw, N, Ho, Wo)
        slabs = _slabs(kh, kw, dh, dw, sh, sw, Ho, Wo)
        # Windows that do not overlap (pooling with stride = kernel) put each column entry
        # on its own pixel: assigning is then the same sum and 3× faster than +=, and when
        # they also tile the image no pixel is left for np.zeros to fill.
        disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
        if disjoint:
            tiled = (dh, dw) == (1, 1) and (sh, sw) == (kh, kw) and (
                Ho * kh == H and Wo * kw == W
            )
            x = workspace.empty((C, N, H, W), cols.dtype)
            if not tiled:
                x[...] = 0
            for i, j, rows, columns in slabs:
                x[:, :, rows, columns] = blocks[:, i, j]
        else:
            x = workspace.empty((C, N, H, W), cols.dtype)
            if (sh, sw) == (1, 1):
                # Offset (0, 0) fills the rectangle [0, Ho) × [0, Wo) (convolution's usual
                # case): assign it and zero only the rest, saving a pass over the image.
                x[:, :, Ho:, :] = 0
                x[:, :, :Ho, Wo:] = 0
                x[:, :, :Ho, :Wo] = blocks[:, 0, 0]
                slabs = slabs[1:]
            else:
                x[...] = 0
            for i, j, rows, columns in slabs:
                x[:, :, rows, columns] += blocks[:, i, j]
        return x.transpose(1, 0, 2, 3)

    @staticmethod
    def backward(ctx, grad):
        return Unfold.apply(grad, ctx.kernel_size, ctx.stride, ctx.dilation)
