"""Every primitive (and every Tensor-method composition) against finite differences.

First derivatives with ``gradcheck`` and second derivatives with ``gradgradcheck``, in
float64, over scalars, vectors, matrices and broadcasting shapes. Inputs are kept away
from kinks (|x| ≥ 0.3 for abs/ReLU/max, positive for log and fractional powers).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autocnn as ac
from autocnn.autograd import gradcheck, gradgradcheck
from autocnn.ops import Fold, IndexAdd, Pad, Unfold
from tests.strategies import arrays, axes_of, permutations_of, small_shapes
from tests.strategies import leaf as float64_leaf

rng: np.random.Generator  # re-seeded before every test (below)


@pytest.fixture(autouse=True)
def _fresh_generator() -> None:
    """A freshly seeded generator per test: no test's inputs depend on which ran before."""
    global rng
    rng = np.random.default_rng(1234)


def leaf(*shape: int, low: float = -2.0, high: float = 2.0, margin: float = 0.0):
    arr = rng.uniform(low, high, size=shape)
    if margin:
        arr = np.where(np.abs(arr) < margin, np.sign(arr + 1e-12) * margin, arr)
    return ac.tensor(arr, requires_grad=True, dtype=np.float64)


def positive(*shape: int):
    return leaf(*shape, low=0.5, high=2.0)


def distinct(*shape: int):
    """Entries far apart from each other, so a max has no near-ties."""
    arr = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 + 0.1
    return ac.tensor(arr, requires_grad=True, dtype=np.float64)


BINARY_SHAPES = [((), ()), ((3,), ()), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1))]

BINARY = {
    "add": (lambda a, b: a + b, leaf),
    "sub": (lambda a, b: a - b, leaf),
    "mul": (lambda a, b: a * b, leaf),
    "div": (lambda a, b: a / b, positive),
    "pow": (lambda a, b: a**b, positive),
    "maximum": (lambda a, b: a.maximum(b), distinct),
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_binary_primitives_first_and_second_derivatives(name, shapes) -> None:
    fn, make = BINARY[name]
    a, b = make(*shapes[0]), make(*shapes[1])
    if name == "maximum":
        b = ac.tensor(b.data + 0.05, requires_grad=True)  # no ties between a and b
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


UNARY = {
    "neg": (lambda x: -x, leaf),
    "exp": (lambda x: x.exp(), leaf),
    "log": (lambda x: x.log(), positive),
    "sqrt": (lambda x: x.sqrt(), positive),
    "abs": (lambda x: x.abs(), lambda *s: leaf(*s, margin=0.3)),
    "tanh": (lambda x: x.tanh(), leaf),
    "sigmoid": (lambda x: x.sigmoid(), leaf),
    "relu": (lambda x: x.relu(), lambda *s: leaf(*s, margin=0.3)),
    "square": (lambda x: x**2, leaf),
    "reciprocal": (lambda x: 1 / x, positive),
    "power_of_two": (lambda x: 2**x, leaf),
    "scale_shift": (lambda x: 3 * x - 1, leaf),
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
def test_unary_primitives_first_and_second_derivatives(name, shape) -> None:
    fn, make = UNARY[name]
    x = make(*shape)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


REDUCTIONS = {
    "sum_all": lambda x: x.sum(),
    "sum_axis": lambda x: x.sum(axis=1),
    "sum_axes_keepdims": lambda x: x.sum(axis=(0, 2), keepdims=True),
    "mean": lambda x: x.mean(axis=-1),
    "var": lambda x: x.var(axis=(0, 1)),
    "var_unbiased": lambda x: x.var(axis=2, ddof=1, keepdims=True),
    "max_all": lambda x: x.max(),
    "max_axis": lambda x: x.max(axis=1),
    "max_axes_keepdims": lambda x: x.max(axis=(0, 2), keepdims=True),
    "min_axis": lambda x: x.min(axis=0),
    "softmax": lambda x: x.softmax(axis=1),
    "log_softmax": lambda x: x.log_softmax(axis=-1),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions_first_and_second_derivatives(name) -> None:
    x = distinct(2, 3, 4)
    assert gradcheck(REDUCTIONS[name], (x,))
    assert gradgradcheck(REDUCTIONS[name], (x,))


SHAPE_OPS = {
    "reshape": lambda x: x.reshape(4, 6),
    "reshape_minus_one": lambda x: x.reshape(-1, 2),
    "transpose": lambda x: x.transpose(2, 0, 1),
    "T": lambda x: x.T,
    "flatten": lambda x: x.flatten(1),
    "unsqueeze_squeeze": lambda x: x.unsqueeze(1).squeeze(1) * x,
    "broadcast_to": lambda x: x[:, :1].broadcast_to((5, 2, 3, 4)),
    "basic_index": lambda x: x[1, :, 1:3],
    "step_index": lambda x: x[:, ::2, ::-1],
    "integer_index_with_repeats": lambda x: x[[0, 1, 1, 0], [2, 2, 2, 0]],
    "boolean_mask": lambda x: x[x.data > 0],
    "pad": lambda x: x.pad(((0, 1), (2, 0), (1, 1)), value=0.5),
    "astype": lambda x: x.astype(np.float64) * x,
}


@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_shape_and_indexing_first_and_second_derivatives(name) -> None:
    x = leaf(2, 3, 4)
    fn = SHAPE_OPS[name]
    # square the result so the second derivative is not identically zero
    assert gradcheck(lambda x: fn(x) ** 2, (x,))
    assert gradgradcheck(lambda x: fn(x) ** 2, (x,))


def test_repeated_integer_indices_accumulate_their_gradients() -> None:
    x = ac.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
     ((2, 3), (4, 3, 2)), ((2, 1, 2, 3), (3, 3, 2))],
    ids=str,
)
def test_matmul_first_and_second_derivatives(sa, sb) -> None:
    a, b = leaf(*sa), leaf(*sb)
    assert gradcheck(lambda a, b: a @ b, (a, b))
    assert gradgradcheck(lambda a, b: a @ b, (a, b))


WINDOWS = [
    ((1, 1, 4, 4), (2, 2), (1, 1), (1, 1)),
    ((2, 3, 5, 6), (3, 2), (2, 1), (1, 1)),
    ((1, 2, 7, 5), (2, 2), (1, 2), (2, 1)),
    ((2, 1, 6, 6), (3, 3), (3, 3), (1, 1)),
]


@pytest.mark.parametrize(("shape", "k", "s", "d"), WINDOWS, ids=str)
def test_unfold_and_fold_first_and_second_derivatives(shape, k, s, d) -> None:
    x = leaf(*shape)
    assert gradcheck(lambda x: Unfold.apply(x, k, s, d) ** 2, (x,))
    assert gradgradcheck(lambda x: Unfold.apply(x, k, s, d) ** 2, (x,))
    cols_shape = Unfold.apply(x.detach(), k, s, d).shape
    c = leaf(*cols_shape)
    assert gradcheck(lambda c: Fold.apply(c, shape, k, s, d) ** 2, (c,))
    assert gradgradcheck(lambda c: Fold.apply(c, shape, k, s, d) ** 2, (c,))


@pytest.mark.parametrize(("shape", "k", "s", "d"), WINDOWS, ids=str)
def test_fold_is_the_adjoint_of_unfold(shape, k, s, d) -> None:
    """<unfold(x), c> == <x, fold(c)> for all x, c: the defining property of an adjoint."""
    x = rng.standard_normal(shape)
    cols = Unfold.apply(ac.tensor(x), k, s, d).data
    c = rng.standard_normal(cols.shape)
    folded = Fold.apply(ac.tensor(c), shape, k, s, d).data
    assert np.isclose(np.sum(cols * c), np.sum(x * folded))


def test_unfold_lays_windows_out_channel_major() -> None:
    x = np.arange(2 * 2 * 3 * 3, dtype=np.float64).reshape(2, 2, 3, 3)
    cols = Unfold.apply(ac.tensor(x), (2, 2), (1, 1), (1, 1)).data
    assert cols.shape == (2 * 2 * 2, 2 * 2 * 2)
    # row (c, i, j), column (n, p, q) holds x[n, c, p + i, q + j]
    for c in range(2):
        for i in range(2):
            for j in range(2):
                for n in range(2):
                    for p in range(2):
                        for q in range(2):
                            assert cols[c * 4 + i * 2 + j, n * 4 + p * 2 + q] == x[n, c, p + i,
                                                                                   q + j]


def test_pad_and_index_add_are_each_others_adjoint() -> None:
    x = leaf(2, 3)
    assert gradcheck(lambda x: Pad.apply(x, pad_width=((1, 2), (0, 1)), value=0.0) ** 2, (x,))
    g = leaf(3)
    assert gradgradcheck(
        lambda g: IndexAdd.apply(g, shape=(4,), index=(np.array([0, 0, 3]),)) ** 2, (g,)
    )


def test_hessian_vector_product_matches_the_analytic_hessian() -> None:
    """For f(x) = Σ x³ the Hessian is diag(6x): H·v = 6 x v."""
    x = leaf(5)
    v = rng.standard_normal(5)
    (g,) = ac.autograd.grad((x**3).sum(), x, create_graph=True)
    (hv,) = ac.autograd.grad((g * ac.tensor(v)).sum(), x)
    np.testing.assert_allclose(hv.data, 6 * x.data * v)


def test_third_derivative_through_three_nested_backwards() -> None:
    x = ac.tensor([0.7], requires_grad=True, dtype=np.float64)
    (d1,) = ac.autograd.grad(x.tanh(), x, create_graph=True)
    (d2,) = ac.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = ac.autograd.grad(d2.sum(), x)
    t = np.tanh(0.7)
    # d³/dx³ tanh = −2(1 − t²)(1 − 3t²)
    np.testing.assert_allclose(d3.data, [-2 * (1 - t**2) * (1 - 3 * t**2)])


# ---------------------------------------------------------------------- any shape (hypothesis)
SHAPE_POLYMORPHIC = {
    "sum": lambda x, axes: x.sum(axis=axes),
    "sum_keepdims": lambda x, axes: x.sum(axis=axes, keepdims=True),
    "mean": lambda x, axes: x.mean(axis=axes),
    "max": lambda x, axes: x.max(axis=axes),
    "var": lambda x, axes: x.var(axis=axes),
}


@settings(max_examples=20, deadline=None)
@given(shape=small_shapes, op=st.sampled_from(sorted(SHAPE_POLYMORPHIC)), data=st.data())
def test_reductions_over_any_axes_of_any_shape(shape, op, data) -> None:
    axes = data.draw(axes_of(shape))
    size = int(np.prod(shape))
    # distinct entries 0.37 apart: a max has no near-ties for the finite differences
    arr = data.draw(st.permutations(list(range(size))))
    x = float64_leaf(np.asarray(arr, dtype=np.float64).reshape(shape) * 0.37)
    assert gradcheck(lambda t: SHAPE_POLYMORPHIC[op](t, axes), (x,))


@settings(max_examples=20, deadline=None)
@given(shape=small_shapes, data=st.data())
def test_transpose_and_reshape_of_any_shape_move_gradients_back(shape, data) -> None:
    x = float64_leaf(data.draw(arrays(shape)))
    axes = data.draw(permutations_of(len(shape)))
    assert gradcheck(lambda t: t.transpose(*axes).reshape(-1) * 2.0, (x,))
    assert gradcheck(lambda t: t.flatten().tanh().reshape(shape), (x,))
