"""Batch normalisation, derived: the lesson's steps, the backward twice, and test time.

Prints the derivation (forward steps, closed-form gradients, the staged dx̂ → dσ² → dμ → dx
chain, the test-time affine map and its folding into a convolution) with its proof, then
the staged and compact ∂L/∂x side by side for N = 2..4, proved equal, and finally folds a
real eval-mode BatchNorm2d into its Conv2d and checks the outputs numerically.
"""

import os

import numpy as np

import autocnn as ac
from autocnn import nn, symbolic
from autocnn.symbolic.compare import compare

SMALL = os.environ.get("AUTOCNN_EXAMPLE_SMALL") == "1"
ac.manual_seed(0)

derivation = symbolic.derive_batchnorm(N=3)
print(derivation)

print("Staged vs compact backward")
print("==========================")
for N in (2, 3) if SMALL else (2, 3, 4):
    d = symbolic.derive_batchnorm(N)
    verdicts = [compare(d.expand_steps(d.staged["dx"][i]), d.expand_steps(d.grads["x"][i]))
                .status for i in range(N)]
    print(f"N = {N}: staged = compact for every i: {verdicts}")
print(symbolic.derive_batchnorm(2).side_by_side())

print("\nFolding an eval-mode BatchNorm2d into its Conv2d")
print("================================================")
conv = nn.Conv2d(3, 4, 3, padding=1).double()
bn = nn.BatchNorm2d(4).double()
for _ in range(5):  # a few training batches give the running statistics
    bn(conv(ac.randn(8, 3, 6, 6, dtype=np.float64) * 2 + 1))
bn.eval()
folded = symbolic.fold_batchnorm(conv, bn)
x = ac.randn(2, 3, 6, 6, dtype=np.float64)
gap = np.abs(folded(x).data - bn(conv(x)).data).max()
print(f"max |folded(x) − bn(conv(x))| = {gap:.2e}")
assert gap < 1e-12
