"""The speed paths of the primitives give exactly what the plain rules give.

- ``first_max_mask`` on small groups (pooling windows) compares slab by slab instead of an
  argmax: checked against an argmax written here, on integer data full of ties, and on NaNs.
- ``Fold`` assigns instead of adding when the windows do not overlap, skips zeroing when
  they tile the image, and with stride 1 assigns the first window offset and zeroes only
  the pixels it leaves: checked against a pixel-by-pixel loop.
- ``max_pool2d`` and ``batch_norm`` built on them still match PyTorch, ties included.
- ``backward(g)`` no longer copies ``g``; no ``.grad`` may alias it all the same.
- ``Pad`` writes the constant only on the frame: checked against ``np.pad`` on every
  combination of padded axes, with an exact SymPy input too.
- ``GetItem`` makes its index label on demand: the label and the error still name the index.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn.ops import Fold, output_size
from autocnn.ops.reductions import first_max_mask

rng: np.random.Generator  # re-seeded before every test (below)


@pytest.fixture(autouse=True)
def _fresh_generator() -> None:
    """A freshly seeded generator per test: no test's inputs depend on which ran before."""
    global rng
    rng = np.random.default_rng(0)


def argmax_mask(x: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    """Reference: True at the first maximum of each group, row-major over ``axis``."""
    kept = [a for a in range(x.ndim) if a not in axis]
    mask = np.zeros(x.shape, dtype=bool)
    for outer in itertools.product(*(range(x.shape[a]) for a in kept)):
        best, best_at = None, None
        for inner in itertools.product(*(range(x.shape[a]) for a in axis)):
            index = [0] * x.ndim
            for a, i in zip(kept, outer):
                index[a] = i
            for a, i in zip(axis, inner):
                index[a] = i
            value = x[tuple(index)]
            if best is None or value > best or (np.isnan(value) and not np.isnan(best)):
                best, best_at = value, tuple(index)
            if np.isnan(best):
                break
        mask[best_at] = True
    return mask


@pytest.mark.parametrize(
    ("shape", "axis"),
    [
        ((3, 4, 5), (1,)),        # a pooling window axis: 4 entries
        ((2, 3, 3, 4), (1, 2)),   # two reduced axes, 9 entries
        ((4, 16), (1,)),          # the largest group the slab path takes
        ((4, 17), (1,)),          # the smallest group the argmax path takes
        ((5, 2, 3), (0, 2)),      # non-adjacent reduced axes
    ],
    ids=str,
)
def test_first_max_mask_matches_an_argmax_on_tied_data(shape, axis) -> None:
    x = rng.integers(0, 3, size=shape).astype(np.float32)  # many ties
    np.testing.assert_array_equal(first_max_mask(x, axis), argmax_mask(x, axis))


def test_first_max_mask_given_the_maximum_matches_the_mask_without_it() -> None:
    x = rng.integers(0, 3, size=(6, 4, 7)).astype(np.float64)
    maximum = np.max(x, axis=1, keepdims=True)
    np.testing.assert_array_equal(
        first_max_mask(x, (1,), maximum=maximum), argmax_mask(x, (1,))
    )


def test_first_max_mask_picks_the_first_nan_like_argmax() -> None:
    x = np.array([[1.0, np.nan, 5.0, np.nan], [2.0, 7.0, 7.0, 1.0]])
    np.testing.assert_array_equal(
        first_max_mask(x, (1,)), [[False, True, False, False],
                                          [False, True, False, False]]
    )


def test_first_max_mask_breaks_ties_between_inf_and_signed_zeros_in_order() -> None:
    x = np.array([[-0.0, 0.0, -1.0, -2.0], [-np.inf, -np.inf, -np.inf, -np.inf]])
    np.testing.assert_array_equal(first_max_mask(x, (1,)), argmax_mask(x, (1,)))


def fold_reference(cols, shape, k, s, d):
    """x[n, c, p·sh + i·dh, q·sw + j·dw] += cols[(c,i,j), (n,p,q)], pixel by pixel."""
    N, C, H, W = shape
    Ho, Wo = output_size(H, k[0], s[0], d[0]), output_size(W, k[1], s[1], d[1])
    x = np.zeros(shape)
    for n, c, i, j, p, q in itertools.product(range(N), range(C), range(k[0]), range(k[1]),
                                              range(Ho), range(Wo)):
        x[n, c, p * s[0] + i * d[0], q * s[1] + j * d[1]] += cols[
            (c * k[0] + i) * k[1] + j, (n * Ho + p) * Wo + q
        ]
    return x


@pytest.mark.parametrize(
    ("shape", "k", "s", "d"),
    [
        ((2, 3, 4, 6), (2, 2), (2, 2), (1, 1)),  # windows tile the image: no zeroing
        ((2, 2, 7, 7), (2, 2), (3, 3), (1, 1)),  # disjoint, with pixels no window covers
        ((1, 2, 7, 5), (2, 2), (2, 3), (1, 1)),  # disjoint; the last column is left out
        ((1, 2, 8, 8), (2, 2), (3, 3), (2, 2)),  # dilated windows, still disjoint
        ((2, 2, 5, 5), (3, 3), (1, 1), (1, 1)),  # overlapping, stride 1: first slab assigned
        ((1, 2, 7, 6), (3, 2), (1, 1), (2, 1)),  # stride 1, dilated rows, non-square
        ((1, 1, 4, 4), (4, 4), (1, 1), (1, 1)),  # one window covering the whole image
        ((2, 1, 7, 7), (3, 3), (2, 2), (1, 1)),  # overlapping, stride 2: zeros, then adds
        ((1, 1, 6, 7), (3, 2), (2, 1), (1, 1)),  # overlapping, mixed strides
        ((1, 1, 6, 6), (2, 3), (2, 3), (1, 1)),  # non-square tiling
    ],
    ids=str,
)
def test_fold_matches_a_pixel_by_pixel_sum(shape, k, s, d) -> None:
    N, C, H, W = shape
    L = N * output_size(H, k[0], s[0], d[0]) * output_size(W, k[1], s[1], d[1])
    cols = rng.standard_normal((C * k[0] * k[1], L))
    folded = Fold.apply(ac.tensor(cols), shape, k, s, d).data
    np.testing.assert_allclose(folded, fold_reference(cols, shape, k, s, d), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "kernel", "stride", "padding"),
    [((2, 3, 6, 6), 2, None, 0), ((2, 2, 7, 7), 3, 2, 1), ((1, 2, 6, 8), (2, 4), (2, 4), 0)],
    ids=str,
)
def test_max_pool2d_routes_tied_gradients_like_torch(shape, kernel, stride, padding) -> None:
    torch = pytest.importorskip("torch")
    x = rng.integers(0, 2, size=shape).astype(np.float64)  # windows full of ties
    xa = ac.tensor(x, requires_grad=True)
    ya = F.max_pool2d(xa, kernel, stride, padding)
    g = rng.standard_normal(ya.shape)
    ya.backward(ac.tensor(g))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(ya.data, yt.detach().numpy())
    # where the gradient goes is exact; overlapping windows may add in another order
    np.testing.assert_array_equal(xa.grad.data != 0, xt.grad.numpy() != 0)
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_values_and_gradients_match_torch(training) -> None:
    torch = pytest.importorskip("torch")
    x, g = rng.standard_normal((4, 3, 5, 5)) * 3 + 1, rng.standard_normal((4, 3, 5, 5))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    xa, ga, ba = (ac.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    ya = F.batch_norm(xa, ac.tensor(mean.copy()), ac.tensor(var.copy()), ga, ba,
                      training=training)
    ya.backward(ac.tensor(g))
    xt, gt, bt = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    yt = torch.nn.functional.batch_norm(xt, torch.tensor(mean), torch.tensor(var), gt, bt,
                                        training=training)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ya.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in ((xa, xt), (ga, gt), (ba, bt)):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("graph", ["leaf itself", "reshape", "transpose"])
def test_backward_never_stores_the_callers_gradient_array_in_grad(graph, create_graph) -> None:
    """backward(g) hands the engine a read-only view of g instead of a copy; a leaf's
    .grad must still be its own writeable array, and g must stay untouched and writeable."""
    x = ac.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = {"leaf itself": lambda: x, "reshape": lambda: x.reshape(3, 4),
         "transpose": lambda: x.transpose(1, 0).transpose(1, 0)}[graph]()
    g = rng.standard_normal((3, 4))
    expected = g.copy()
    y.backward(ac.tensor(g), create_graph=create_graph)
    assert not np.shares_memory(x.grad.data, g)
    assert x.grad.data.flags.writeable and g.flags.writeable
    x.grad.data[...] = 0.0
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("pad_width", [
    ((0, 0), (0, 0), (1, 1), (1, 1)),
    ((1, 0), (0, 2), (0, 0), (3, 1)),
    ((0, 0), (0, 0), (0, 0), (0, 0)),
    ((2, 2), (1, 1), (2, 0), (0, 2)),
])
@pytest.mark.parametrize("value", [0.0, -np.inf, 0.5])
def test_pad_matches_np_pad(pad_width, value) -> None:
    x = rng.standard_normal((2, 3, 4, 5))
    got = ac.tensor(x).pad(pad_width, value=value).numpy()
    np.testing.assert_array_equal(got, np.pad(x, pad_width, constant_values=value))


def test_pad_of_exact_entries_fills_the_frame_with_exact_values() -> None:
    import sympy

    x = np.array([[sympy.Symbol("a"), sympy.Rational(1, 3)]], dtype=object)
    got = ac.tensor(x).pad(((1, 0), (0, 1)), value=0.5).numpy()
    assert got.shape == (2, 3)
    assert got[0, 0] == sympy.Rational(1, 2) and got[1, 2] == sympy.Rational(1, 2)
    assert got[1, 0] == sympy.Symbol("a") and got[1, 1] == sympy.Rational(1, 3)


def test_getitem_label_and_error_name_the_index() -> None:
    x = ac.tensor(np.zeros((3, 4)), requires_grad=True)
    assert x[:, 1:3].grad_fn.describe() == {"index_repr": "[:, 1:3]"}
    with pytest.raises(IndexError, match=r"index \[5\]"):
        x[5]
