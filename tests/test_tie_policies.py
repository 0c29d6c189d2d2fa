"""Kinks and ties are policies, pinned exactly (see the NOTE comments beside each primitive)."""

from __future__ import annotations

import numpy as np

import autocnn as ac


def test_max_sends_the_gradient_to_the_first_maximal_entry() -> None:
    x = ac.tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])


def test_max_over_several_axes_uses_row_major_order_for_ties() -> None:
    x = ac.tensor(np.array([[[0.0, 5.0], [5.0, 1.0]]]), requires_grad=True)
    x.max(axis=(1, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[0, 1], [0, 0]]])


def test_min_sends_the_gradient_to_the_first_minimal_entry() -> None:
    x = ac.tensor(np.array([4.0, 1.0, 1.0]), requires_grad=True)
    x.min().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0])


def test_relu_has_gradient_zero_at_zero() -> None:
    x = ac.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 1])


def test_maximum_sends_a_tie_to_its_second_operand() -> None:
    a = ac.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ac.tensor(np.array([1.0, 3.0]), requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0, 0])
    np.testing.assert_array_equal(b.grad.data, [1, 1])


def test_abs_has_gradient_zero_at_zero() -> None:
    x = ac.tensor(np.array([-2.0, 0.0, 2.0]), requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1, 0, 1])
