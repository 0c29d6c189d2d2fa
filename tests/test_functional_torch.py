"""Values and gradients of every functional op against PyTorch (float64, CPU).

Skipped when torch is not installed; it is an oracle for tests only, never a dependency.
"""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
TF = pytest.importorskip("torch.nn.functional")

rng: np.random.Generator  # re-seeded before every test (below)


@pytest.fixture(autouse=True)
def _fresh_generator() -> None:
    """A freshly seeded generator per test: no test's inputs depend on which ran before."""
    global rng
    rng = np.random.default_rng(11)
TOL = dict(rtol=1e-10, atol=1e-10)


def both(*arrays: np.ndarray):
    """Matching leaves in autocnn and torch."""
    ours = [ac.tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def compare(ours_out, theirs_out, ours_in, theirs_in):
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), **TOL)
    g = rng.standard_normal(ours_out.shape)
    ours_out.backward(ac.tensor(g))
    theirs_out.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL)


@pytest.mark.parametrize(
    "xs, ws, stride, padding, dilation",
    [
        ((2, 3, 7, 6), (4, 3, 3, 2), 1, 0, 1),
        ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1, 1),
        ((1, 2, 9, 8), (3, 2, 2, 3), (1, 2), (1, 0), (2, 1)),
        ((3, 1, 28, 28), (8, 1, 3, 3), 1, 1, 1),
        ((2, 3, 12, 12), (5, 3, 5, 5), 1, 0, 1),
        ((1, 4, 6, 9), (2, 4, 1, 4), (3, 1), (2, 2), (1, 2)),
    ],
)
def test_conv2d_matches_torch(xs, ws, stride, padding, dilation):
    (x, w, b), (tx, tw, tb) = both(rng.standard_normal(xs), rng.standard_normal(ws),
                                   rng.standard_normal(ws[0]))
    compare(F.conv2d(x, w, b, stride, padding, dilation),
            TF.conv2d(tx, tw, tb, stride, padding, dilation), (x, w, b), (tx, tw, tb))


@pytest.mark.parametrize(
    "xs, kernel, stride, padding",
    [((2, 3, 8, 8), 2, None, 0), ((2, 2, 7, 9), 3, 2, 1), ((1, 3, 6, 7), (2, 3), (1, 2), (1, 1))],
)
@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pooling_matches_torch(xs, kernel, stride, padding, pool):
    (x,), (tx,) = both(rng.standard_normal(xs))
    ours = getattr(F, f"{pool}_pool2d")(x, kernel, stride, padding)
    theirs = getattr(TF, f"{pool}_pool2d")(tx, kernel, stride, padding)
    compare(ours, theirs, (x,), (tx,))


def test_max_pool2d_ties_route_gradient_like_torch():
    arr = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.5, 2.0, 2.0]]]])
    (x,), (tx,) = both(arr)
    compare(F.max_pool2d(x, 2), TF.max_pool2d(tx, 2), (x,), (tx,))


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 5), (5, 2, 7)])
def test_batch_norm_training_steps_match_torch(shape):
    C = shape[1]
    rm, rv = ac.zeros(C, dtype=np.float64), ac.ones(C, dtype=np.float64)
    trm, trv = torch.zeros(C, dtype=torch.float64), torch.ones(C, dtype=torch.float64)
    for _ in range(4):
        arr = rng.standard_normal(shape) * 2 + 1
        (x, g, b), (tx, tg, tb) = both(arr, rng.standard_normal(C), rng.standard_normal(C))
        compare(F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.2),
                TF.batch_norm(tx, trm, trv, tg, tb, training=True, momentum=0.2),
                (x, g, b), (tx, tg, tb))
        np.testing.assert_allclose(rm.numpy(), trm.numpy(), **TOL)
        np.testing.assert_allclose(rv.numpy(), trv.numpy(), **TOL)
    (x, g, b), (tx, tg, tb) = both(rng.standard_normal(shape), rng.standard_normal(C),
                                   rng.standard_normal(C))
    compare(F.batch_norm(x, rm, rv, g, b), TF.batch_norm(tx, trm, trv, tg, tb),
            (x, g, b), (tx, tg, tb))


def test_linear_matches_torch():
    (x, w, b), (tx, tw, tb) = both(rng.standard_normal((4, 2, 5)), rng.standard_normal((3, 5)),
                                   rng.standard_normal(3))
    compare(F.linear(x, w, b), TF.linear(tx, tw, tb), (x, w, b), (tx, tw, tb))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_matches_torch_even_for_huge_logits(reduction, scale):
    (z,), (tz,) = both(rng.standard_normal((6, 4)) * scale)
    target = np.array([0, 3, 1, 2, 3, 0])
    ours = F.cross_entropy(z, target, reduction=reduction)
    theirs = TF.cross_entropy(tz, torch.tensor(target), reduction=reduction)
    assert np.all(np.isfinite(ours.numpy()))
    compare(ours, theirs, (z,), (tz,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(reduction):
    (a, b), (ta, tb) = both(rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
    compare(F.mse_loss(a, b, reduction), TF.mse_loss(ta, tb, reduction=reduction),
            (a, b), (ta, tb))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "log_softmax"])
def test_activations_match_torch(name):
    (x,), (tx,) = both(rng.standard_normal((3, 5)))
    ours = getattr(F, name)(x)
    theirs = getattr(TF, name)(tx, -1) if "softmax" in name else getattr(torch, name)(tx)
    compare(ours, theirs, (x,), (tx,))
