"""Semantics of the functional ops checked against NumPy written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F

rng: np.random.Generator  # re-seeded before every test (below)


@pytest.fixture(autouse=True)
def _fresh_generator() -> None:
    """A freshly seeded generator per test: no test's inputs depend on which ran before."""
    global rng
    rng = np.random.default_rng(3)


def conv_by_loops(x, w, b, stride, pad):
    """The definition, one output entry at a time."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    N, _, H, W = x.shape
    n_out, _, kh, kw = w.shape
    Ho, Wo = (H - kh) // stride + 1, (W - kw) // stride + 1
    y = np.zeros((N, n_out, Ho, Wo))
    for n in range(N):
        for o in range(n_out):
            for p in range(Ho):
                for q in range(Wo):
                    patch = x[n, :, p * stride:p * stride + kh, q * stride:q * stride + kw]
                    y[n, o, p, q] = np.sum(patch * w[o]) + b[o]
    return y


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (3, 2)])
def test_conv2d_equals_the_definition(stride, pad):
    x, w = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    y = F.conv2d(ac.tensor(x), ac.tensor(w), ac.tensor(b), stride=stride, padding=pad)
    np.testing.assert_allclose(y.numpy(), conv_by_loops(x, w, b, stride, pad), atol=1e-12)


def test_conv2d_keeps_float32():
    x = ac.randn(1, 1, 5, 5)
    w = ac.randn(2, 1, 3, 3)
    assert F.conv2d(x, w).dtype == np.float32


def test_max_pool2d_ties_send_gradient_to_first_maximal_entry():
    x = ac.tensor(np.full((1, 1, 2, 2), 3.0), requires_grad=True, dtype=np.float64)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_max_pool2d_padding_never_wins():
    x = ac.tensor(-np.ones((1, 1, 3, 3)) * 5, dtype=np.float64)
    np.testing.assert_array_equal(F.max_pool2d(x, 3, 1, 1).numpy(), -5.0)


def test_avg_pool2d_counts_zero_padding_in_the_mean():
    x = ac.tensor(np.ones((1, 1, 2, 2)), dtype=np.float64)
    y = F.avg_pool2d(x, 3, 1, 1).numpy()[0, 0]
    np.testing.assert_allclose(y, np.full((2, 2), 4 / 9))


def test_batch_norm_running_statistics_after_several_steps_match_numpy():
    C, m = 3, 0.1
    rm, rv = ac.zeros(C, dtype=np.float64), ac.ones(C, dtype=np.float64)
    expect_m, expect_v = np.zeros(C), np.ones(C)
    for _ in range(5):
        x = rng.standard_normal((4, C, 3, 2)) * 3 + 2
        y = F.batch_norm(ac.tensor(x), rm, rv, training=True, momentum=m).numpy()
        mean = x.mean(axis=(0, 2, 3))
        biased = x.var(axis=(0, 2, 3))
        count = x.size // C
        expect_m = (1 - m) * expect_m + m * mean
        expect_v = (1 - m) * expect_v + m * biased * count / (count - 1)
        np.testing.assert_allclose(
            y, (x - mean[:, None, None]) / np.sqrt(biased[:, None, None] + 1e-5), atol=1e-12
        )
    np.testing.assert_allclose(rm.numpy(), expect_m, atol=1e-12)
    np.testing.assert_allclose(rv.numpy(), expect_v, atol=1e-12)


def test_batch_norm_eval_is_a_fixed_affine_map():
    rm, rv = ac.tensor([1.0, -2.0], dtype=np.float64), ac.tensor([4.0, 0.25], dtype=np.float64)
    g, b = ac.tensor([2.0, 3.0], dtype=np.float64), ac.tensor([0.5, -1.0], dtype=np.float64)
    x = rng.standard_normal((5, 2))
    y = F.batch_norm(ac.tensor(x), rm, rv, g, b, training=False, eps=0.0).numpy()
    scale = g.numpy() / np.sqrt(rv.numpy())
    np.testing.assert_allclose(y, scale * x + (b.numpy() - scale * rm.numpy()), atol=1e-12)


def test_batch_norm_update_bumps_running_stat_version():
    rm, rv = ac.zeros(2, dtype=np.float64), ac.ones(2, dtype=np.float64)
    y = rm * 2.0  # a graph that saved nothing of rm still runs; the version moved
    x = ac.tensor(rng.standard_normal((3, 2)), requires_grad=True, dtype=np.float64)
    w = ac.tensor([1.0, 1.0], requires_grad=True, dtype=np.float64)
    z = (w * rv).sum()  # Mul saved rv
    F.batch_norm(x, rm, rv, training=True)
    with pytest.raises(RuntimeError, match="in place"):
        z.backward()
    del y


def test_cross_entropy_is_finite_for_logits_of_plus_minus_1000():
    z = ac.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], requires_grad=True,
                  dtype=np.float64)
    loss = F.cross_entropy(z, [0, 2])
    loss.backward()
    assert loss.item() == pytest.approx(0.5 * (0.0 + 1.0 + np.log1p(np.exp(-1.0))))
    probs = np.exp(z.numpy() - z.numpy().max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    onehot = np.eye(3)[[0, 2]]
    np.testing.assert_allclose(z.grad.numpy(), (probs - onehot) / 2, atol=1e-12)


def test_cross_entropy_reductions_relate():
    z = ac.tensor(rng.standard_normal((5, 4)), dtype=np.float64)
    t = np.array([1, 0, 3, 2, 1])
    each = F.cross_entropy(z, t, reduction="none").numpy()
    assert F.cross_entropy(z, t, reduction="sum").item() == pytest.approx(each.sum())
    assert F.cross_entropy(z, t).item() == pytest.approx(each.mean())


def test_dropout_is_identity_in_eval_and_for_p_zero():
    x = ac.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_p_one_gives_zeros():
    np.testing.assert_array_equal(F.dropout(ac.randn(3, 3), 1.0).numpy(), 0.0)


def test_dropout_keeps_expected_fraction_and_scales_survivors():
    x = ac.ones(200, 100, dtype=np.float64)
    y = F.dropout(x, 0.3).numpy()
    assert set(np.unique(y)) <= {0.0, 1 / 0.7}
    assert abs((y == 0).mean() - 0.3) < 0.02
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_is_seeded_by_manual_seed():
    ac.manual_seed(5)
    a = F.dropout(ac.ones(10, 10), 0.5).numpy()
    ac.manual_seed(5)
    b = F.dropout(ac.ones(10, 10), 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_functional_ops_accept_arrays_and_lists():
    y = F.linear([[1.0, 2.0]], np.array([[3.0, 4.0]]), [0.5])
    np.testing.assert_allclose(y.numpy(), [[11.5]])
    np.testing.assert_allclose(F.relu([-1.0, 2.0]).numpy(), [0.0, 2.0])


def test_flatten_merges_all_but_the_batch_axis():
    assert F.flatten(ac.zeros(2, 3, 4, 5)).shape == (2, 60)
    assert F.flatten(ac.zeros(2, 3, 4, 5), start_axis=2).shape == (2, 3, 20)
