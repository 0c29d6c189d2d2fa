"""A complete, correct set of part functions for every exercise of ``autocnn.course``,
written with the engine (an independent reference for the exact keys), as student source."""

SOURCE = '''
import numpy as np
import autocnn as ac
from autocnn import functional as F


def _grads(fn, arrays, g=None):
    ts = [ac.tensor(np.asarray(a, dtype=float), requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(None if g is None else ac.tensor(np.asarray(g, dtype=float)))
    return [t.grad.data for t in ts]


def lesson_forward(x, w, g):
    return F.conv2d(ac.tensor(x), ac.tensor(w)).data


def lesson_grad_input(x, w, g):
    return _grads(lambda a, b: F.conv2d(a, b), [x, w], g)[0]


def lesson_grad_weight(x, w, g):
    return _grads(lambda a, b: F.conv2d(a, b), [x, w], g)[1]


def _conv(x, w, b, g, stride, padding):
    return _grads(lambda a, c, d: F.conv2d(a, c, d, stride=stride, padding=padding),
                  [x, w, b], g)


def conv_grad_input(x, w, b, g, stride, padding):
    return _conv(x, w, b, g, stride, padding)[0]


def conv_grad_weight(x, w, b, g, stride, padding):
    return _conv(x, w, b, g, stride, padding)[1]


def conv_grad_bias(x, w, b, g, stride, padding):
    return g.sum(axis=(0, 2, 3))


def _bn(x, gamma, beta, g, eps):
    return _grads(lambda a, c, d: F.batch_norm(a, None, None, c, d, training=True, eps=eps),
                  [x, gamma, beta], g)


def bn_grad_input(x, gamma, beta, g, eps):
    return _bn(x, gamma, beta, g, eps)[0]


def bn_grad_gamma(x, gamma, beta, g, eps):
    return _bn(x, gamma, beta, g, eps)[1]


def bn_grad_beta(x, gamma, beta, g, eps):
    return _bn(x, gamma, beta, g, eps)[2]


def pool_forward(x, g):
    return F.max_pool2d(ac.tensor(x), 2).data


def pool_grad_input(x, g):
    return _grads(lambda a: F.max_pool2d(a, 2), [x], g)[0]


def softmax(logits, target):
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def cross_entropy(logits, target):
    return F.cross_entropy(ac.tensor(logits), np.array(target)).data


def cross_entropy_grad(logits, target):
    return _grads(lambda z: F.cross_entropy(z, np.array(target)), [logits])[0]
'''
