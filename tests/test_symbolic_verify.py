"""symbolic.verify and exact_gradcheck: the engine's backward equals sympy.diff exactly."""

from __future__ import annotations

import fractions

import numpy as np
import pytest

from autocnn import functional as F
from autocnn import symbolic
from autocnn.ops import Fold, IndexAdd, Unfold
from tests.wrong_backwards import HalfWrongSquare

PRIMITIVES = {
    "add": (lambda x, y: x + y, [(2, 3), (3,)]),
    "sub": (lambda x, y: x - y, [(2, 1), (1, 2)]),
    "mul": (lambda x, y: x * y + x, [(2, 1), (1, 3)]),
    "div": (lambda x, y: x / y, [(2, 2), (2,)]),
    "pow": (lambda x, y: x ** y, [(2,), (2,)]),
    "neg": (lambda x: -x, [(3,)]),
    "exp": (lambda x: x.exp(), [(3,)]),
    "log": (lambda x: x.log(), [(3,)]),
    "sqrt": (lambda x: x.sqrt(), [(3,)]),
    "tanh": (lambda x: x.tanh(), [(3,)]),
    "sigmoid": (lambda x: x.sigmoid(), [(3,)]),
    "abs": (lambda x: x.abs(), [(3,)]),
    "relu": (lambda x: x.relu(), [(4,)]),
    "maximum": (lambda x, y: x.maximum(y), [(3,), (3,)]),
    "matmul": (lambda x, y: x @ y, [(2, 3), (3, 2)]),
    "sum": (lambda x: x.sum(axis=1), [(2, 3)]),
    "mean": (lambda x: x.mean(axis=0, keepdims=True), [(2, 3)]),
    "var": (lambda x: x.var(axis=0), [(3, 2)]),
    "max": (lambda x: x.max(axis=1), [(2, 3)]),
    "min": (lambda x: x.min(), [(2, 3)]),
    "softmax": (lambda x: x.softmax(axis=1), [(2, 3)]),
    "log_softmax": (lambda x: x.log_softmax(axis=0), [(3, 2)]),
    "reshape_transpose": (lambda x: x.reshape(3, 2).transpose(1, 0).flatten(), [(2, 3)]),
    "getitem_repeated": (lambda x: x[np.array([0, 0, 1])], [(2, 2)]),
    "pad": (lambda x: x.pad(((1, 0), (0, 2))), [(2, 2)]),
    "broadcast_to": (lambda x: x.broadcast_to((2, 3)), [(1, 3)]),
}

PRIMITIVES.update({
    "unfold": (lambda x: Unfold.apply(x, kernel_size=(2, 2), stride=(1, 1), dilation=(1, 1)),
               [(1, 1, 3, 3)]),
    "fold": (lambda c: Fold.apply(c, out_shape=(1, 1, 3, 3), kernel_size=(2, 2),
                                  stride=(1, 1), dilation=(1, 1)), [(4, 4)]),
    "index_add": (lambda x: IndexAdd.apply(x, shape=(3,), index=np.array([0, 2, 0])), [(3,)]),
})

FUNCTIONAL = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b), [(1, 2, 3, 3), (2, 2, 2, 2), (2,)]),
    "conv2d_stride_padding": (lambda x, w: F.conv2d(x, w, stride=2, padding=1),
                              [(1, 1, 4, 4), (2, 1, 3, 3)]),
    "conv2d_dilation": (lambda x, w: F.conv2d(x, w, dilation=2, padding=1),
                        [(1, 1, 4, 4), (1, 1, 2, 2)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(1, 1, 4, 4)]),
    "max_pool2d_padding": (lambda x: F.max_pool2d(x, 2, stride=1, padding=1), [(1, 1, 3, 3)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2, stride=1, padding=1), [(1, 1, 3, 3)]),
    "batch_norm_training": (lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
                            [(3, 2), (2,), (2,)]),
    "batch_norm_eval": (lambda x, g, b: F.batch_norm(x, np.array([0.5, -1.0]),
                                                     np.array([2.0, 0.5]), g, b),
                        [(2, 2), (2,), (2,)]),
    "cross_entropy": (lambda z: F.cross_entropy(z, np.array([0, 2])), [(2, 3)]),
    "cross_entropy_sum": (lambda z: F.cross_entropy(z, np.array([1, 0, 2]), reduction="sum"),
                          [(3, 3)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(2, 3), (2, 3), (2,)]),
    "mse_loss": (lambda x, y: F.mse_loss(x, y), [(2, 2), (2, 2)]),
}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_gradient_equals_sympy_diff(name: str) -> None:
    fn, shapes = PRIMITIVES[name]
    report = symbolic.verify(fn, *shapes)
    assert report, str(report)
    assert report.checked == sum(int(np.prod(s)) for s in shapes)


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_gradient_equals_sympy_diff(name: str) -> None:
    fn, shapes = FUNCTIONAL[name]
    report = symbolic.verify(fn, *shapes)
    assert report, str(report)


def test_polynomial_ops_are_proved_not_just_sampled() -> None:
    report = symbolic.verify(lambda x, w, b: F.conv2d(x, w, b, padding=1),
                             (1, 1, 3, 3), (1, 1, 2, 2), (1,))
    assert report.proved == report.checked == 14
    assert "all proved" in str(report)


def test_verify_lists_each_disagreeing_entry_with_a_counterexample() -> None:
    report = symbolic.verify(lambda x: HalfWrongSquare.apply(x), (2,))
    assert not report
    assert len(report.mismatches) == 2
    text = str(report)
    assert "2 of 2 gradient entries disagree" in text
    assert "d/dx[0]" in text and "e.g. at" in text
    m = report.mismatches[0]
    assert m.values[0] != m.values[1]


def test_verify_refuses_large_shapes() -> None:
    with pytest.raises(ValueError, match="smaller shapes"):
        symbolic.verify(lambda x: x.sum(), (20, 30))


def test_exact_gradcheck_has_zero_tolerance_on_fractions() -> None:
    x = [[fractions.Fraction(1, 3), fractions.Fraction(2, 5)], [fractions.Fraction(-1, 2), 3]]
    report = symbolic.exact_gradcheck(
        lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), x, [1, 2], [0, 1])
    assert report, str(report)
    assert report.checked == 8


def test_exact_gradcheck_catches_a_wrong_backward() -> None:
    report = symbolic.exact_gradcheck(lambda x: HalfWrongSquare.apply(x).sum(),
                                      [fractions.Fraction(1, 3)])
    assert not report
    assert "1 of 1 entries differ" in str(report)


def test_exact_gradcheck_works_for_conv_with_stride() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (1, 1, 4, 4))
    w = rng.integers(-2, 3, (1, 1, 2, 2))
    assert symbolic.exact_gradcheck(lambda x, w: F.conv2d(x, w, stride=2), x, w)
