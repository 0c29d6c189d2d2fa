"""Exercise 2 (solution): batch-norm backward in the compact one-line form.

With x̂ = (x − μ)/sqrt(σ² + ε) and g = ∂L/∂y, per channel over the N rows:

    ∂L/∂x = γ / (N sqrt(σ² + ε)) · (N g − Σ g − x̂ Σ (g x̂)),   ∂L/∂γ = Σ g x̂,   ∂L/∂β = Σ g
"""

import numpy as np

from autocnn.symbolic import check_backward, derive_batchnorm


def batchnorm_backward(g, x, gamma, beta, eps=1e-5):
    """dL/dx, dL/dγ, dL/dβ of training-mode batch norm on x of shape (N, C)."""
    n = x.shape[0]
    mu = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(((x - mu) ** 2).mean(axis=0) + eps)
    x_hat = (x - mu) * inv_std
    dgamma = (g * x_hat).sum(axis=0)
    dbeta = g.sum(axis=0)
    dx = gamma * inv_std / n * (n * g - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


report = check_backward("batch_norm", batchnorm_backward)
print(report)
assert report

# the same closed form, proved symbolically for one channel of 3 values
print("\n" + str(derive_batchnorm(3).check()))
