"""Exact gradients: the engine's own backward rules, run on SymPy symbols.

A tensor of symbols goes through the very same primitives as a tensor of floats, so
``backward()`` produces exact gradient formulas. ``symbolic.verify`` proves them equal to
``sympy.diff``; ``exact_gradcheck`` is a gradient check with zero tolerance on exact
rationals; ``check_formula`` proves or refutes a formula typed as a string; and the shape
table answers the lesson's 196,608-input question.
"""

import os
from fractions import Fraction

import numpy as np

import autocnn.functional as F
from autocnn import nn, symbolic

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"

# 1. Symbols in, formulas out.
x = symbolic.symbols("x", (3,))
loss = (x * x).sum()
loss.backward()
print("L =", loss.data[()])
print("dL/dx =", list(x.grad.data))

# 2. A conv layer: each output is a sum of products, each gradient an exact formula.
img = symbolic.symbols("x", (1, 1, 3, 3))
kernel = symbolic.symbols("w", (1, 1, 2, 2))
out = F.conv2d(img, kernel)
print("\nY[0,0,0,0] =", out.data[0, 0, 0, 0])
out.sum().backward()
print("dL/dw[0,0,0,0] (with dL/dY = 1) =", kernel.grad.data[0, 0, 0, 0])

# 3. The engine's backward against sympy.diff, for a few layers.
checks = {
    "conv2d, stride 2, padding 1": (lambda x, w: F.conv2d(x, w, stride=2, padding=1),
                                    [(1, 1, 4, 4), (1, 1, 3, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(1, 1, 4, 4)]),
    "softmax + cross-entropy": (lambda z: F.cross_entropy(z, np.array([0, 2])), [(2, 3)]),
}
if not SMALL:
    checks["batch_norm (training)"] = (
        lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), [(3, 2), (2,), (2,)])
print()
for name, (fn, shapes) in checks.items():
    print(f"{name}: {symbolic.verify(fn, *shapes)}")

# 4. Gradient check with zero tolerance on exact fractions.
report = symbolic.exact_gradcheck(lambda x: (x.exp() * x).sum(), [Fraction(1, 2), Fraction(-3, 4)])
print("\n" + str(report))

# 5. A student's formula for d(variance)/dx_0, proved or refuted.
for formula in ["2*(x_0 - (x_0 + x_1 + x_2)/3)/3", "(x_0 - (x_0 + x_1 + x_2)/3)"]:
    print("\n" + str(symbolic.check_formula(formula, lambda x: x.var(), (3,), wrt="x_0")))

# 6. Output sizes and parameter counts as formulas.
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(8 * 16 * 16, 10))
print("\n" + str(symbolic.shape_table(model, (1, 3, 32, 32))))
print("\n" + symbolic.dense_vs_conv())
