"""Exercise 3 (solution): max-pooling backward — route each window's gradient to its max.

NOTE: with ties, the first maximal entry in row-major order wins (as PyTorch): that is what
``np.argmax`` returns, so this solution matches the engine's tie rule exactly.
"""

import numpy as np

from autocnn.symbolic import check_backward


def maxpool_backward(g, x, kernel_size=2, stride=None):
    """dL/dx of max_pool2d (no padding) for upstream gradient g."""
    s = kernel_size if stride is None else stride
    k = kernel_size
    dx = np.zeros_like(x)
    N, C, Ho, Wo = g.shape
    for n in range(N):
        for c in range(C):
            for p in range(Ho):
                for q in range(Wo):
                    window = x[n, c, p * s:p * s + k, q * s:q * s + k]
                    i, j = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, p * s + i, q * s + j] += g[n, c, p, q]
    return (dx,)


for params in ({"kernel_size": 2}, {"kernel_size": 2, "stride": 1}):
    report = check_backward("max_pool2d", maxpool_backward, params=params)
    print(f"{params}:\n{report}\n")
    assert report
