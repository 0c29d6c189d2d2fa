"""Every functional op against central finite differences, first and second derivatives.

float64, tiny shapes (finite differences cost two forward passes per input entry), over a
grid of stride / padding / dilation and non-square images and kernels. Inputs of max
pooling have distinct entries so no window holds a near-tie.
"""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn.autograd import gradcheck, gradgradcheck

rng: np.random.Generator  # re-seeded before every test (below)


@pytest.fixture(autouse=True)
def _fresh_generator() -> None:
    """A freshly seeded generator per test: no test's inputs depend on which ran before."""
    global rng
    rng = np.random.default_rng(7)


def leaf(*shape: int) -> ac.Tensor:
    return ac.tensor(rng.standard_normal(shape), requires_grad=True, dtype=np.float64)


def distinct(*shape: int) -> ac.Tensor:
    arr = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.13 - 1.0
    return ac.tensor(arr, requires_grad=True, dtype=np.float64)


CONV_GRID = [
    # x shape, weight shape, stride, padding, dilation
    ((2, 2, 5, 4), (3, 2, 3, 2), 1, 0, 1),
    ((1, 2, 5, 6), (2, 2, 3, 3), 2, 1, 1),
    ((1, 1, 6, 5), (2, 1, 2, 2), (1, 2), (1, 0), (2, 1)),
    ((2, 1, 3, 4), (1, 1, 3, 1), 1, (0, 2), 1),
    ((1, 3, 4, 4), (2, 3, 1, 1), 2, 0, 1),
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CONV_GRID)
def test_conv2d_gradients_match_finite_differences(xs, ws, stride, padding, dilation):
    x, w, b = leaf(*xs), leaf(*ws), leaf(ws[0])

    def fn(x, w, b):
        return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv2d_without_bias_gradients_match_finite_differences():
    x, w = leaf(1, 2, 4, 5), leaf(2, 2, 2, 3)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, w))


POOL_GRID = [
    # x shape, kernel, stride, padding
    ((2, 2, 4, 4), 2, None, 0),
    ((1, 2, 5, 7), (2, 3), (1, 2), 0),
    ((1, 1, 5, 5), 3, 2, 1),
    ((2, 1, 6, 5), (3, 2), 1, (1, 0)),
]


@pytest.mark.parametrize("xs, kernel, stride, padding", POOL_GRID)
def test_max_pool2d_gradients_match_finite_differences(xs, kernel, stride, padding):
    x = distinct(*xs)
    fn = lambda x: F.max_pool2d(x, kernel, stride, padding)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("xs, kernel, stride, padding", POOL_GRID)
def test_avg_pool2d_gradients_match_finite_differences(xs, kernel, stride, padding):
    x = leaf(*xs)
    fn = lambda x: F.avg_pool2d(x, kernel, stride, padding)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 3, 2), (2, 3, 4)])
def test_batch_norm_training_gradients_with_running_stats_untouched(shape):
    C = shape[1]
    x, gamma, beta = leaf(*shape), leaf(C), leaf(C)
    running_mean = ac.tensor(rng.standard_normal(C), dtype=np.float64)
    running_var = ac.tensor(rng.uniform(0.5, 2, C), dtype=np.float64)
    before = running_mean.numpy().copy(), running_var.numpy().copy()

    def fn(x, gamma, beta):
        # copies: the many finite-difference evaluations must not move the real statistics
        return F.batch_norm(x, running_mean.clone(), running_var.clone(), gamma, beta,
                            training=True)

    assert gradcheck(fn, (x, gamma, beta))
    assert gradgradcheck(fn, (x, gamma, beta))
    np.testing.assert_array_equal(running_mean.numpy(), before[0])
    np.testing.assert_array_equal(running_var.numpy(), before[1])


def test_batch_norm_all_ones_upstream_gives_zero_input_gradient():
    # Why gradcheck uses a random upstream gradient: with all ones, dL/dx vanishes exactly.
    x = leaf(5, 3)
    F.batch_norm(x, None, None, training=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0.0, atol=1e-12)


def test_batch_norm_eval_gradients_match_finite_differences():
    x, gamma, beta = leaf(3, 2, 2, 2), leaf(2), leaf(2)
    rm = ac.tensor([0.3, -0.2], dtype=np.float64)
    rv = ac.tensor([1.5, 0.7], dtype=np.float64)
    fn = lambda x, g, b: F.batch_norm(x, rm, rv, g, b, training=False)  # noqa: E731
    assert gradcheck(fn, (x, gamma, beta))
    assert gradgradcheck(fn, (x, gamma, beta))


@pytest.mark.parametrize("xs, ws", [((3, 4), (2, 4)), ((2, 3, 5), (1, 5))])
def test_linear_gradients_match_finite_differences(xs, ws):
    x, w, b = leaf(*xs), leaf(*ws), leaf(ws[0])
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradients_match_finite_differences(reduction):
    logits = leaf(4, 3)
    target = np.array([0, 2, 1, 2])
    fn = lambda z: F.cross_entropy(z, target, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, (logits,))
    assert gradgradcheck(fn, (logits,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradients_match_finite_differences(reduction):
    a, b = leaf(3, 2), leaf(3, 2)
    fn = lambda a, b: F.mse_loss(a, b, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


@pytest.mark.parametrize(
    "fn",
    [F.relu, F.sigmoid, F.tanh, lambda x: F.softmax(x, 0), lambda x: F.log_softmax(x),
     lambda x: F.flatten(x)],
    ids=["relu", "sigmoid", "tanh", "softmax", "log_softmax", "flatten"],
)
def test_activation_gradients_match_finite_differences(fn):
    arr = rng.uniform(0.3, 2.0, (3, 2, 2)) * rng.choice([-1, 1], (3, 2, 2))
    x = ac.tensor(arr, requires_grad=True, dtype=np.float64)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def _dropout_with_a_fixed_mask(x: ac.Tensor) -> ac.Tensor:
    # Reseeding before each call gives every finite-difference evaluation the same mask:
    # dropout is then a fixed linear map, which is what its gradient describes.
    ac.manual_seed(11)
    return F.dropout(x, p=0.4, training=True)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4, 3)])
def test_dropout_gradients_match_finite_differences(shape):
    x = leaf(*shape)
    y = _dropout_with_a_fixed_mask(x)
    assert 0 < int((y.numpy() == 0).sum()) < y.size  # some entries dropped, some kept
    assert gradcheck(_dropout_with_a_fixed_mask, (x,))
    assert gradgradcheck(_dropout_with_a_fixed_mask, (x,))


def test_dropout_gradcheck_fails_when_the_mask_changes_between_calls():
    # The check above is not vacuous: with a fresh mask per call the finite differences
    # no longer describe the recorded graph, and gradcheck says so.
    x = leaf(6, 7)
    assert not gradcheck(lambda t: F.dropout(t, p=0.4, training=True), (x,),
                         raise_exception=False)


def test_dropout_gradient_is_the_scaled_mask():
    x = leaf(50, 40)
    y = F.dropout(x, p=0.25, training=True)
    g = rng.standard_normal(y.shape)
    y.backward(ac.tensor(g))
    kept = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, g / 0.75, 0.0))
