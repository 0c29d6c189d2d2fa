"""Why CNNs: parameters of a fully connected layer against a convolutional layer.

The lesson's first argument for CNNs: a 256×256 RGB image has 256·256·3 = 196,608 inputs,
and a fully connected layer joins every input to every unit, so it needs
196,608 × units weights (+ units biases). A convolutional layer only looks at a k×k patch
of every channel and shares that filter across all positions: k·k·3 × filters weights
(+ filters biases), whatever the image size.

The formulas are checked against autocnn's own layers (``num_parameters()``) on sizes that
fit in memory; a 1,000-unit dense layer on the full image would need 786 MB of float32.
"""

from autocnn import nn

H = W = 256
C = 3
INPUTS = H * W * C
print(f"a {H}×{W}×{C} image has {INPUTS:,} inputs\n")


def dense_parameters(inputs: int, units: int) -> int:
    """Weights (inputs × units) plus one bias per unit."""
    return inputs * units + units


def conv_parameters(in_channels: int, filters: int, k: int) -> int:
    """Weights (filters × in_channels × k × k) plus one bias per filter."""
    return filters * in_channels * k * k + filters


# The formulas agree with the layers themselves (small enough to build).
assert nn.Linear(INPUTS, 4).num_parameters() == dense_parameters(INPUTS, 4)
assert nn.Linear(48, 10).num_parameters() == dense_parameters(48, 10)
for filters, k in ((16, 3), (64, 5)):
    assert nn.Conv2d(C, filters, k).num_parameters() == conv_parameters(C, filters, k)
print("formulas checked against nn.Linear and nn.Conv2d\n")

print(f"{'layer':<42}{'parameters':>16}")
print("-" * 58)
for units in (100, 1_000, 10_000):
    print(f"{f'fully connected, {units:,} units':<42}{dense_parameters(INPUTS, units):>16,}")
for filters, k in ((16, 3), (64, 3), (64, 5), (256, 7)):
    label = f"convolution, {filters} filters of {k}×{k}×{C}"
    print(f"{label:<42}{conv_parameters(C, filters, k):>16,}")

dense, conv = dense_parameters(INPUTS, 1_000), conv_parameters(C, 64, 3)
print(f"\n1,000 dense units need {dense / conv:,.0f}× the parameters of 64 3×3 filters,")
print("and the dense count grows with the image while the convolution's does not:")
for side in (28, 64, 256, 1024):
    print(f"  {side:>4}×{side:<4} image: dense {dense_parameters(side * side * C, 1_000):>14,}"
          f"   conv {conv:>6,}")
