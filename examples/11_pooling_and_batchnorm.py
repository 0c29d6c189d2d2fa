"""Max pooling, average pooling and batch normalisation, on numbers small enough to read.

Pooling keeps one number per window (the largest, or the mean); its gradient goes back only
to the winner of each max window. Batch norm makes each channel zero-mean and unit-variance
over the batch in training, and keeps running statistics for evaluation.
"""

import numpy as np

import autocnn as ac
import autocnn.functional as F

np.set_printoptions(precision=3, suppress=True)

fmap = ac.tensor([[[[1.0, 3.0, 2.0, 0.0],
                    [4.0, 2.0, 1.0, 5.0],
                    [0.0, 1.0, 3.0, 3.0],
                    [2.0, 6.0, 1.0, 0.0]]]], requires_grad=True, dtype=ac.float64)
pooled = F.max_pool2d(fmap, 2)
print("feature map:\n", fmap.numpy()[0, 0])
print("2×2 max pooling:\n", pooled.numpy()[0, 0])
print("2×2 average pooling:\n", F.avg_pool2d(fmap, 2).numpy()[0, 0])
pooled.sum().backward()
print("gradient of the pooled sum (1 at each window's winner; the tie 3, 3 goes to the first):")
print(fmap.grad.numpy()[0, 0])

print("\nbatch norm over a batch of 4 examples with 2 features:")
x = ac.tensor([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]], dtype=ac.float64)
running_mean, running_var = ac.zeros(2, dtype=ac.float64), ac.ones(2, dtype=ac.float64)
gamma, beta = ac.tensor([1.0, 2.0], dtype=ac.float64), ac.tensor([0.0, 1.0], dtype=ac.float64)
y = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True)
print("training output (γ·x̂ + β):\n", y.numpy())
print("batch mean", x.numpy().mean(0), " biased var", x.numpy().var(0))
print("running mean after one step:", running_mean.numpy(), " running var:", running_var.numpy())
y_eval = F.batch_norm(x, running_mean, running_var, gamma, beta, training=False)
print("evaluation output (uses the running statistics):\n", y_eval.numpy())
