"""Convolution derived: output entries as sums of products, and the three gradients.

For Y = conv2d(X, W, b) with stride s and zero padding P (cross-correlation, as PyTorch):

    Y[n,o,p,q] = b[o] + Σ_{c,i,j} W[o,c,i,j] · X[n, c, s·p + i − P, s·q + j − P]

and, with G = ∂L/∂Y,

    ∂L/∂b[o]       = Σ_{n,p,q} G[n,o,p,q]
    ∂L/∂W[o,c,i,j] = Σ_{n,p,q} G[n,o,p,q] · X[n, c, s·p + i − P, s·q + j − P]
                     (the valid cross-correlation of X with G)
    ∂L/∂X          = the full convolution of G (stride zeros inserted) with W rotated by
                     180°, summed over output channels o, then cropped by P on each side.

The formulas below are plain loops, written for any element type: they run on object
arrays of SymPy symbols (the derivation) and on float arrays (the exercise checker, which
also calls them with a mistake switched on — kernel not rotated, stride or padding off by
one, … — to name the mistake a student made).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.derivation import Derivation, Formula
from autocnn.symbolic.tensors import check_size, symbol_array


def _at(a: np.ndarray, n: int, c: int, h: int, w: int) -> Any:
    """a[n, c, h, w], or 0 outside the array (zero padding)."""
    if 0 <= h < a.shape[2] and 0 <= w < a.shape[3]:
        return a[n, c, h, w]
    return 0


def _zeros(shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
    if like.dtype == object:
        out = np.empty(shape, dtype=object)
        out[...] = sympy.Integer(0)
        return out
    return np.zeros(shape, dtype=like.dtype)


def conv2d_output_formula(x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                          stride: int = 1, padding: int = 0) -> np.ndarray:
    """Y[n,o,p,q] = b[o] + Σ_{c,i,j} W[o,c,i,j]·X[n,c,s·p+i−P,s·q+j−P], by loops."""
    N, C, H, Wd = x.shape
    F_out, _, kh, kw = w.shape
    Ho = (H + 2 * padding - kh) // stride + 1
    Wo = (Wd + 2 * padding - kw) // stride + 1
    y = _zeros((N, F_out, Ho, Wo), x)
    for n, o, p, q in np.ndindex(N, F_out, Ho, Wo):
        total = b[o] if b is not None else 0
        for c, i, j in np.ndindex(C, kh, kw):
            total = total + w[o, c, i, j] * _at(x, n, c, stride * p + i - padding,
                                                stride * q + j - padding)
        y[n, o, p, q] = total
    return y


def conv2d_backward_formula(
    x: np.ndarray, w: np.ndarray, grad: np.ndarray, stride: int = 1, padding: int = 0, *,
    rotate: bool = True, swap_channels: bool = False, stride_used: int | None = None,
    padding_used: int | None = None, batch_sum: bool = True,
) -> dict[str, np.ndarray]:
    """The textbook gradients of conv2d: bias, weight (valid correlation), x (full conv).

    The keyword switches reproduce common mistakes (the defaults are the correct rule):
    ``rotate=False`` uses W unrotated in ∂L/∂X; ``swap_channels=True`` indexes the kernel
    as W[c, o] instead of W[o, c]; ``stride_used``/``padding_used`` use a wrong stride or
    padding in the backward; ``batch_sum=False`` keeps only the first example's term in
    ∂L/∂W and ∂L/∂b.
    """
    s = stride if stride_used is None else stride_used
    P = padding if padding_used is None else padding_used
    N, C, H, Wd = x.shape
    F_out, _, kh, kw = w.shape
    _, _, Ho, Wo = grad.shape
    batch = range(N) if batch_sum else range(1)

    db = _zeros((F_out,), x)
    for o in range(F_out):
        db[o] = sum((grad[n, o, p, q] for n in batch for p in range(Ho) for q in range(Wo)),
                    start=db[o])

    dw = _zeros(w.shape, x)
    for o, c, i, j in np.ndindex(F_out, C, kh, kw):
        total = dw[o, c, i, j]
        for n in batch:
            for p, q in np.ndindex(Ho, Wo):
                total = total + grad[n, o, p, q] * _at(x, n, c, s * p + i - P, s * q + j - P)
        dw[o, c, i, j] = total

    # full convolution: G with s − 1 zeros between entries, padded by k − 1, against rot180(W)
    Hp, Wp = H + 2 * P, Wd + 2 * P
    spread = _zeros((N, F_out, Hp - kh + 1 + 2 * (kh - 1), Wp - kw + 1 + 2 * (kw - 1)), x)
    for n, o, p, q in np.ndindex(N, F_out, Ho, Wo):
        u, v = kh - 1 + s * p, kw - 1 + s * q
        if u < spread.shape[2] and v < spread.shape[3]:
            spread[n, o, u, v] = grad[n, o, p, q]
    kernel = w[:, :, ::-1, ::-1] if rotate else w
    dx = _zeros(x.shape, x)
    for n, c, h, v in np.ndindex(N, C, H, Wd):
        total = dx[n, c, h, v]
        for o, i, j in np.ndindex(F_out, kh, kw):
            k = kernel[c, o, i, j] if swap_channels else kernel[o, c, i, j]
            total = total + _at(spread, n, o, h + P + i, v + P + j) * k
        dx[n, c, h, v] = total
    return {"x": dx, "weight": dw, "bias": db}


class Conv2dDerivation(Derivation):
    """conv2d on a small symbolic instance (see the module docstring)."""

    title = "2-D convolution (cross-correlation, stride and zero padding)"

    def __init__(self, x_shape: tuple[int, int, int, int] = (1, 1, 3, 3),
                 w_shape: tuple[int, int, int, int] = (1, 1, 2, 2), stride: int = 1,
                 padding: int = 0) -> None:
        super().__init__()
        x_shape, w_shape = tuple(x_shape), tuple(w_shape)
        if len(x_shape) != 4 or len(w_shape) != 4 or x_shape[1] != w_shape[1]:
            raise ValueError(f"derive_conv2d: expected x_shape (N, C, H, W) and w_shape "
                             f"(O, C, kh, kw) with the same C, got {x_shape} and {w_shape}")
        if not (isinstance(stride, int) and stride >= 1 and isinstance(padding, int)
                and padding >= 0):
            raise ValueError(f"derive_conv2d: stride must be an int ≥ 1 and padding an int ≥ 0, "
                             f"got stride={stride!r}, padding={padding!r}")
        check_size([x_shape, w_shape], "derive_conv2d", limit=120)
        self.stride, self.padding = stride, padding
        self.x = symbol_array("x", x_shape)
        self.w = symbol_array("w", w_shape)
        self.b = symbol_array("b", (w_shape[0],))
        y = conv2d_output_formula(self.x, self.w, self.b, stride, padding)
        if y.size == 0:
            raise ValueError(f"derive_conv2d: kernel {w_shape[2:]} does not fit input "
                             f"{x_shape[2:]} with padding {padding}")
        self.g = symbol_array("g", y.shape)
        self.steps["output"] = y
        self.grads.update(conv2d_backward_formula(self.x, self.w, self.g, stride, padding))
        self.summary = (
            "Slide each filter over the image and take dot products; the gradients are again "
            "correlations and convolutions. g = ∂L/∂Y is the upstream gradient."
        )
        self.instance = (f"x {x_shape}, w {w_shape}, b ({w_shape[0]},), stride {stride}, "
                         f"padding {padding}; output {y.shape}.")
        self.forward = [
            Formula("output", "Y[n,o,p,q] = b[o] + Σ_{c,i,j} W[o,c,i,j] · X[n,c,s·p+i−P,s·q+j−P]",
                    r"Y_{n,o,p,q} = b_o + \sum_{c,i,j} W_{o,c,i,j}\,X_{n,c,\,sp+i-P,\,sq+j-P}"),
            Formula("output size", "H_out = ⌊(H + 2P − K)/s⌋ + 1",
                    r"H_{out} = \left\lfloor \frac{H + 2P - K}{s} \right\rfloor + 1"),
        ]
        self.gradient_formulas = [
            Formula("bias", "∂L/∂b[o] = Σ_{n,p,q} G[n,o,p,q]",
                    r"\frac{\partial L}{\partial b_o} = \sum_{n,p,q} G_{n,o,p,q}"),
            Formula("weight", "∂L/∂W[o,c,i,j] = Σ_{n,p,q} G[n,o,p,q] · X[n,c,s·p+i−P,s·q+j−P]"
                    "  (valid cross-correlation of X with G)",
                    r"\frac{\partial L}{\partial W_{o,c,i,j}} = \sum_{n,p,q} G_{n,o,p,q}\,"
                    r"X_{n,c,\,sp+i-P,\,sq+j-P}"),
            Formula("x", "∂L/∂X = crop_P( Σ_o full_conv( dilate_s(G[n,o]), rot180(W[o,c]) ) )"
                    "  (full convolution with the kernel rotated by 180°)",
                    r"\frac{\partial L}{\partial X_{n,c}} = \mathrm{crop}_P\Big(\sum_o "
                    r"\mathrm{dilate}_s(G_{n,o}) \ast_{full} \mathrm{rot}_{180}(W_{o,c})\Big)"),
        ]
        self.notes = [
            "rot180(W)[i, j] = W[K−1−i, K−1−j]; dilate_s puts s − 1 zeros between the entries "
            "of G (nothing to do for stride 1); crop_P removes the P rows and columns of "
            "padding on each side.",
            "Rows of the input that no window reaches (when (H + 2P − K) is not a multiple "
            "of s) get zero gradient.",
        ]

    def engine_grads(self) -> dict[str, np.ndarray]:
        """The engine's backward through F.conv2d (pad → unfold → matmul → + bias)."""
        from autocnn.functional import conv2d

        x, w, b = (Tensor(a.copy(), requires_grad=True) for a in (self.x, self.w, self.b))
        y = conv2d(x, w, b, stride=self.stride, padding=self.padding)
        y.backward(Tensor(self.g.copy()))
        return {"x": x.grad.data, "weight": w.grad.data, "bias": b.grad.data}

    def reference_grads(self) -> dict[str, np.ndarray]:
        """sympy.diff of L = Σ G·Y with respect to every entry of x, w, b."""
        y = self.steps["output"]
        loss = sympy.Add(*[gi * yi for gi, yi in zip(self.g.reshape(-1), y.reshape(-1))])
        out = {}
        for name, arr in (("x", self.x), ("weight", self.w), ("bias", self.b)):
            out[name] = np.vectorize(lambda s: sympy.diff(loss, s), otypes=[object])(arr)
        return out


def derive_conv2d(x_shape: tuple[int, int, int, int] = (1, 1, 3, 3),
                  w_shape: tuple[int, int, int, int] = (1, 1, 2, 2), stride: int = 1,
                  padding: int = 0) -> Conv2dDerivation:
    """The conv2d derivation on symbolic x, w, b of the given shapes."""
    return Conv2dDerivation(x_shape, w_shape, stride, padding)
