"""Property tests: for any pair of broadcastable shapes, binary ops have correct gradients."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autocnn.autograd import grad, gradcheck
from tests.strategies import arrays, broadcastable_pairs, leaf

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@settings(max_examples=25, deadline=None)
@given(shapes=broadcastable_pairs(), op=st.sampled_from(sorted(OPS)), data=st.data())
def test_binary_op_gradients_match_finite_differences(shapes, op, data) -> None:
    a = leaf(data.draw(arrays(shapes[0])))
    b = leaf(data.draw(arrays(shapes[1], away_from_zero=0.5)))
    assert gradcheck(OPS[op], (a, b))


@settings(max_examples=25, deadline=None)
@given(shapes=broadcastable_pairs(), data=st.data())
def test_gradients_have_their_inputs_shapes_and_sum_the_broadcast_copies(shapes, data) -> None:
    a = leaf(data.draw(arrays(shapes[0])))
    b = leaf(data.draw(arrays(shapes[1])))
    out = a + b
    v = np.random.default_rng(0).standard_normal(out.shape)
    ga, gb = grad(out, [a, b], grad_outputs=v)
    assert ga.shape == a.shape and gb.shape == b.shape
    # every entry of v lands in exactly one entry of each gradient
    np.testing.assert_allclose(ga.data.sum(), v.sum())
    np.testing.assert_allclose(gb.data.sum(), v.sum())


@settings(max_examples=20, deadline=None)
@given(shapes=broadcastable_pairs(), data=st.data())
def test_mul_gradient_is_the_other_factor_summed_to_shape(shapes, data) -> None:
    a_arr = data.draw(arrays(shapes[0]))
    b_arr = data.draw(arrays(shapes[1]))
    a, b = leaf(a_arr), leaf(b_arr)
    (a * b).sum().backward()
    # reference: d/da Σ a·b by brute force over every output entry
    full = np.broadcast_shapes(a_arr.shape, b_arr.shape)
    expected = np.zeros(a_arr.shape)
    for index in np.ndindex(*full):
        a_index = tuple(i if s != 1 else 0 for i, s in
                        zip(index[len(full) - a_arr.ndim:], a_arr.shape))
        b_index = tuple(i if s != 1 else 0 for i, s in
                        zip(index[len(full) - b_arr.ndim:], b_arr.shape))
        expected[a_index] += b_arr[b_index]
    np.testing.assert_allclose(a.grad.data, expected, atol=1e-12)
