"""Lesson 2.1, step by step: one 6×6 image through a filter, ReLU, pooling, an FC layer, softmax.

This is the lesson's worked example as code. A 6×6 picture of an X goes through

    filter (3×3) + bias → feature map (4×4) → ReLU → 2×2 max pooling (2×2)
    → flattening (4) → fully connected layer (2 scores: X, O) → softmax (probabilities)

and every intermediate value is printed. The same is done for an O, to see the network tell
them apart. Finally backpropagation computes how the loss changes with every pixel of the
filter: the number a training step would use to improve it.
"""

import numpy as np

import autocnn as ac
import autocnn.functional as F
from autocnn.data import glyph

np.set_printoptions(precision=2, suppress=True)


def show(title: str, value: ac.Tensor | np.ndarray) -> None:
    """Print one step: its name, its shape, its numbers."""
    array = np.asarray(value.data if isinstance(value, ac.Tensor) else value)
    print(f"\n{title}  {tuple(array.shape)}")
    print(array.squeeze())


# The input: the lesson's 6×6 X (ones on both diagonals), and an O for comparison.
x_image = glyph("x", 6)
o_image = glyph("o", 6)

# One filter, 3×3, that looks for a "\" diagonal, and its bias. In a trained network these
# numbers come from backpropagation; here they are chosen by hand, as in the lesson.
filter_3x3 = ac.tensor([[1.0, 0.0, 0.0],
                        [0.0, 1.0, 0.0],
                        [0.0, 0.0, 1.0]], requires_grad=True)
bias = ac.tensor([-2.0], requires_grad=True)

# The fully connected layer: 4 pooled values → 2 class scores (row 0: "X", row 1: "O").
fc_weight = ac.tensor([[1.0, -1.0, -1.0, 1.0],
                       [-1.0, 1.0, 1.0, -1.0]], requires_grad=True)
fc_bias = ac.tensor([0.0, 0.5], requires_grad=True)
CLASSES = ("X", "O")


def forward(image: np.ndarray, verbose: bool) -> ac.Tensor:
    """The lesson's network on one image; prints every step when ``verbose``."""
    x = ac.tensor(image[None, None])  # (N=1, C=1, H=6, W=6): the layout every layer expects
    if verbose:
        show("1. input image", x)
        show(f"2. filter (3×3) — bias is {bias.item():g}", filter_3x3)
    # Convolution: slide the filter over every 3×3 patch; each output is the dot product of
    # the filter with the patch, plus the bias → a 4×4 feature map.
    feature_map = F.conv2d(x, filter_3x3.reshape(1, 1, 3, 3), bias)
    activated = F.relu(feature_map)                  # ReLU(x) = max(0, x)
    pooled = F.max_pool2d(activated, kernel_size=2)  # the largest value of each 2×2 window
    flat = F.flatten(pooled)                         # 2×2 → a vector of 4
    scores = F.linear(flat, fc_weight, fc_bias)      # W · flat + b: one score per class
    probabilities = F.softmax(scores)                # exp(score) / Σ exp(score)
    if verbose:
        show("3. feature map = filter ⋆ image + bias", feature_map)
        print("   (1 where the filter's diagonal lies on the image's \\ stroke)")
        show("4. ReLU: negative values become 0", activated)
        show("5. 2×2 max pooling: the largest value of each window", pooled)
        show("6. flattened", flat)
        show("7. fully connected layer: class scores (X, O)", scores)
        show("8. softmax: probabilities (X, O)", probabilities)
    return scores


print("=" * 72)
print("The X image")
print("=" * 72)
scores_x = forward(x_image, verbose=True)

print("\n" + "=" * 72)
print("The O image, the same network")
print("=" * 72)
scores_o = forward(o_image, verbose=False)
for name, scores in (("X", scores_x), ("O", scores_o)):
    p = F.softmax(scores).data[0]
    guess = CLASSES[int(p.argmax())]
    print(f"image {name}: P(X) = {p[0]:.3f}, P(O) = {p[1]:.3f}  → the network says {guess}")

# Backpropagation: the cross-entropy loss of the X image (label 0) and its gradient with
# respect to every pixel of the filter. A training step subtracts lr × this gradient.
loss = F.cross_entropy(scores_x, np.array([0]))
loss.backward()
print(f"\nloss for the X image (cross-entropy, label X): {loss.item():.4f}")
show("dLoss/dfilter: how each filter pixel should move (opposite sign)", filter_3x3.grad)
print(f"\ndLoss/dbias = {bias.grad.item():.4f}")
