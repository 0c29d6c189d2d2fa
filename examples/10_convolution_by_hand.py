"""Convolution three ways: an explicit loop, autocnn's conv2d, and its gradient.

A filter slides over the image; at each position the output is the sum of the products of
the filter with the patch under it, plus the bias. This script computes that with four
nested loops, compares it with ``F.conv2d`` (pad → unfold → matmul → + bias), prints the
feature map of a vertical-edge filter, and shows how padding, stride and dilation change
the output size.
"""

import numpy as np

import autocnn as ac
import autocnn.functional as F

ac.manual_seed(0)
np.set_printoptions(precision=2, suppress=True)

# A 6×6 image with a bright vertical bar in column 2.
image = np.zeros((6, 6))
image[:, 2] = 1.0
edge = np.array([[1.0, 0.0, -1.0]] * 3)  # responds to left-to-right intensity drops
bias = -0.5


def conv_by_loops(x: np.ndarray, k: np.ndarray, b: float) -> np.ndarray:
    """The definition: one output entry per position of the filter."""
    kh, kw = k.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for p in range(out.shape[0]):
        for q in range(out.shape[1]):
            out[p, q] = np.sum(x[p:p + kh, q:q + kw] * k) + b
    return out


by_hand = conv_by_loops(image, edge, bias)
x = ac.tensor(image.reshape(1, 1, 6, 6), dtype=ac.float64)
w = ac.tensor(edge.reshape(1, 1, 3, 3), requires_grad=True, dtype=ac.float64)
b = ac.tensor([bias], requires_grad=True, dtype=ac.float64)
feature_map = F.conv2d(x, w, b)

print("image:\n", image)
print("feature map by four loops:\n", by_hand)
print("feature map by F.conv2d:\n", feature_map.numpy()[0, 0])
assert np.allclose(by_hand, feature_map.numpy()[0, 0])

# The gradient with respect to the filter: every patch, weighted by dL/dY.
feature_map.relu().sum().backward()
print("dL/dW (loss = sum of ReLU(feature map)):\n", w.grad.numpy()[0, 0])
print("dL/db:", b.grad.numpy())

print("\noutput sizes for a 28×28 input and a 3×3 kernel:")
x = ac.randn(1, 1, 28, 28)
k = ac.randn(1, 1, 3, 3)
for stride, padding, dilation in [(1, 0, 1), (1, 1, 1), (2, 0, 1), (2, 1, 1), (1, 0, 2)]:
    y = F.conv2d(x, k, stride=stride, padding=padding, dilation=dilation)
    print(f"  stride={stride} padding={padding} dilation={dilation} -> {y.shape[2]}×{y.shape[3]}"
          f"   (28 + 2·{padding} − {dilation}·2 − 1) // {stride} + 1 = "
          f"{(28 + 2 * padding - dilation * 2 - 1) // stride + 1}")
