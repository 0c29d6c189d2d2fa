"""In-place changes to saved tensors are caught instead of giving wrong gradients."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac


def test_changing_a_saved_input_in_place_makes_backward_raise() -> None:
    x = ac.tensor([1.0, 2.0])               # data, no grad: in-place changes are allowed
    w = ac.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()                      # Mul saved x
    x.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Mul: .*modified in place.*version 0, now 1"):
        y.backward()


def test_an_update_under_no_grad_before_backward_is_caught() -> None:
    w = ac.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    with ac.no_grad():
        w -= 0.1                            # e.g. an optimiser step taken too early
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_changing_a_saved_output_in_place_is_caught() -> None:
    x = ac.tensor([1.0, 2.0])
    w = ac.tensor([0.5], requires_grad=True)
    h = (x * w).exp()                       # Exp saves its output
    loss = h.sum()
    with ac.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"Exp: its output .* modified in place"):
        loss.backward()


def test_views_share_the_version_of_their_base() -> None:
    x = ac.tensor(np.ones((2, 2)))
    w = ac.tensor([2.0], requires_grad=True)
    y = (x * w).sum()
    view = x.reshape(4)
    view[0] = 5.0                           # writes into x's memory
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_detached_tensors_share_the_version_of_their_source() -> None:
    x = ac.tensor([1.0, 2.0])
    w = ac.tensor([2.0, 2.0], requires_grad=True)
    y = (x * w).sum()
    x.detach().fill_(0.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_in_place_ops_on_leaves_that_require_grad_are_refused_while_recording() -> None:
    w = ac.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"inside `with ac\.no_grad"):
        w += 1
    with pytest.raises(RuntimeError, match="add_"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="setitem"):
        w[0] = 2.0


def test_augmented_assignment_on_a_non_leaf_records_a_new_node() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    original = h
    h += 1                                   # rebinds h; `original` is unchanged
    assert h is not original and h.grad_fn.name == "Add"
    np.testing.assert_allclose(original.data, [2, 4])
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2, 2])


def test_in_place_ops_change_values_and_keep_identity_under_no_grad() -> None:
    w = ac.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    with ac.no_grad():
        w -= 0.5
        w *= 2
        w /= 4
        w.add_(1.0)
    assert w.data is data
    np.testing.assert_allclose(w.data, [1.25, 1.75])
    t = ac.zeros(3)
    t[1] = 7.0
    t.copy_(t + 1)
    np.testing.assert_allclose(t.data, [1, 8, 1])
    t.zero_()
    assert not t.data.any()


def test_a_backward_after_an_untouched_forward_still_works() -> None:
    x = ac.tensor([1.0, 2.0])
    w = ac.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    x2 = ac.tensor([5.0])
    x2.add_(1.0)                             # unrelated tensor
    y.backward()
    np.testing.assert_allclose(w.grad.data, [1, 2])
