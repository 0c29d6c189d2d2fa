"""Exercise 1 (solution): conv2d backward by hand, checked by ``symbolic.check_backward``.

Each output entry Y[n,o,p,q] used one window of the (padded) input and the whole kernel
W[o]. Going backward, every output position therefore *scatters*: g·window into dW[o], and
g·W[o] into the window's place in dX. The bias received g at every position: a sum.
"""

import numpy as np

from autocnn.symbolic import check_backward


def conv2d_backward(g, x, w, b, stride=1, padding=0):
    """dL/dx, dL/dw, dL/db of conv2d for upstream gradient g (all NumPy arrays)."""
    N, _, H, W = x.shape
    F_out, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(N):
        for o in range(F_out):
            for p in range(g.shape[2]):
                for q in range(g.shape[3]):
                    rows = slice(p * stride, p * stride + kh)
                    cols = slice(q * stride, q * stride + kw)
                    dw[o] += g[n, o, p, q] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += g[n, o, p, q] * w[o]
    db = g.sum(axis=(0, 2, 3))
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, db


for params in ({"stride": 1, "padding": 1}, {"stride": 2, "padding": 0}):
    report = check_backward("conv2d", conv2d_backward, params=params)
    print(f"{params}:\n{report}\n")
    assert report
