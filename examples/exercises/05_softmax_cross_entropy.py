"""Exercise 5 (solution): the gradient of mean cross-entropy on softmax — p − one_hot, / N."""

import numpy as np

from autocnn.symbolic import check_backward, derive_softmax_ce


def cross_entropy_backward(g, logits, target):
    """dL/dlogits for L = mean_n −log softmax(logits_n)[target_n]; g is dL/dL (a scalar)."""
    shifted = logits - logits.max(axis=1, keepdims=True)  # same softmax, no overflow
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    p[np.arange(len(target)), target] -= 1.0
    return (g * p / len(logits),)


report = check_backward("cross_entropy", cross_entropy_backward)
print(report)
assert report
print("\n" + str(derive_softmax_ce().check()))
