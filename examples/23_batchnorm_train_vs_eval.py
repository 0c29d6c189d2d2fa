"""Batch normalisation in training and in evaluation mode.

Training mode: each channel is normalised with the mean and (biased) variance of the
current batch, then scaled by γ and shifted by β; the layer also keeps exponential moving
averages of the batch statistics (``running_mean``, ``running_var``, momentum 0.1, the
variance unbiased, as PyTorch).

Evaluation mode: the running statistics replace the batch's, so batch norm becomes a fixed
affine map per channel,  y = a·x + b  with  a = γ / √(running_var + ε)  and
b = β − a · running_mean — the same output for an image whatever else is in the batch.
"""

import numpy as np

import autocnn as ac
from autocnn import nn

np.set_printoptions(precision=4, suppress=True)
ac.manual_seed(0)

bn = nn.BatchNorm2d(2)
bn.weight.data[:] = [2.0, 0.5]   # γ
bn.bias.data[:] = [1.0, -1.0]    # β
print(bn)
print("γ =", bn.weight.data, " β =", bn.bias.data, " ε =", bn.eps, " momentum =", bn.momentum)
print("running_mean =", bn.running_mean.data, " running_var =", bn.running_var.data,
      "(before any batch)\n")

# ---- training mode: batch statistics ------------------------------------------------
bn.train()
for step in range(1, 4):
    x = ac.randn(8, 2, 4, 4) * np.array([3.0, 0.5]).reshape(1, 2, 1, 1) + np.array(
        [5.0, -2.0]).reshape(1, 2, 1, 1)
    y = bn(x)
    data = x.data.astype(np.float64)
    mean = data.mean(axis=(0, 2, 3))
    var = data.var(axis=(0, 2, 3))              # biased: used to normalise
    print(f"training batch {step}: batch mean {mean}, batch variance {var}")
    print(f"  output per channel: mean {y.data.mean(axis=(0, 2, 3))} (= β), "
          f"std {y.data.std(axis=(0, 2, 3))} (= |γ|)")
    print(f"  running_mean → {bn.running_mean.data}, running_var → {bn.running_var.data}")

# check the normalisation of the last batch by hand
by_hand = (bn.weight.data.reshape(1, 2, 1, 1) * (data - mean.reshape(1, 2, 1, 1))
           / np.sqrt(var.reshape(1, 2, 1, 1) + bn.eps) + bn.bias.data.reshape(1, 2, 1, 1))
print(f"\nx̂ = (x − μ_B)/√(σ²_B + ε), y = γ x̂ + β: largest difference from the layer "
      f"{np.abs(by_hand - y.data).max():.2e}")

# ---- evaluation mode: a fixed affine map ------------------------------------------
bn.eval()
a = bn.weight.data / np.sqrt(bn.running_var.data + bn.eps)
b = bn.bias.data - a * bn.running_mean.data
print("\nevaluation mode: y = a·x + b per channel, with")
print("  a = γ / √(running_var + ε) =", a)
print("  b = β − a · running_mean    =", b)
image = ac.randn(1, 2, 4, 4) * 2.0 + 3.0
alone = bn(image).data
with_others = bn(ac.tensor(np.concatenate([image.data, 10 * np.ones((3, 2, 4, 4), "f4")])))
affine = a.reshape(1, 2, 1, 1) * image.data + b.reshape(1, 2, 1, 1)
print(f"  layer output vs a·x + b: largest difference {np.abs(alone - affine).max():.2e}")
print("  same image in another batch: largest difference "
      f"{np.abs(with_others.data[:1] - alone).max():.2e} (no batch statistics at test time)")
print("  running statistics unchanged in evaluation:", bn.running_mean.data)
