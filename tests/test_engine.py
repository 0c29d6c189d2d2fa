"""The backward engine: accumulation, graph freeing, grad(), double backward, big graphs."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn.autograd import Function, grad, graph_order


def f64(values, requires_grad=True, name=None):
    return ac.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad,
                     name=name)


def test_gradients_accumulate_across_backward_calls() -> None:
    x = f64([1.0, 2.0])
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2 + 3, 4 + 3])


def test_a_reused_tensor_gets_the_sum_of_its_branches() -> None:
    x = f64([2.0])
    h = x * 3          # h feeds two branches: a diamond
    y = h * h + h.exp()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * (2 * 6 + np.exp(6)))


def test_only_leaves_get_grad() -> None:
    x = f64([1.0])
    h = x * 2
    (h * h).sum().backward()
    assert x.grad is not None and h.grad is None


def test_broadcast_inputs_get_gradients_of_their_own_shape() -> None:
    a = f64(np.ones((2, 3)))
    b = f64(np.ones(3))
    c = f64(np.ones((2, 1)))
    (a * b + c).sum().backward()
    assert b.grad.shape == (3,) and c.grad.shape == (2, 1)
    np.testing.assert_allclose(b.grad.data, [2, 2, 2])
    np.testing.assert_allclose(c.grad.data, [[3], [3]])


def test_backward_of_a_non_scalar_needs_a_gradient() -> None:
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*Pass gradient="):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2, 20])


def test_backward_gradient_of_the_wrong_shape_is_refused() -> None:
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*output has shape \(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_a_tensor_without_history_explains_why() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        ac.tensor([1.0]).sum().backward()
    x = f64([1.0])
    with ac.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="no_grad"):
        y.sum().backward()


def test_second_backward_through_a_freed_graph_says_to_retain_it() -> None:
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward() -> None:
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [4, 8])


def test_backward_of_a_leaf_accumulates_the_given_gradient() -> None:
    x = f64([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_allclose(x.grad.data, [3, 4])


def test_grad_returns_gradients_without_touching_dot_grad() -> None:
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = grad(y, [x, w])
    np.testing.assert_allclose(gx.data, [3, 4])
    np.testing.assert_allclose(gw.data, [1, 2])
    assert x.grad is None and w.grad is None


def test_grad_with_respect_to_an_intermediate_tensor() -> None:
    x = f64([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = grad(y, h)
    np.testing.assert_allclose(gh.data, 2 * h.data)


def test_grad_of_an_unused_input_raises_unless_allowed() -> None:
    x, z = f64([1.0]), f64([1.0])
    with pytest.raises(RuntimeError, match="inputs\\[1\\] was not used"):
        grad((x * 2).sum(), [x, z])
    gx, gz = grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.item() == 2


def test_grad_with_several_outputs_and_grad_outputs() -> None:
    x = f64([1.0, 2.0])
    (g,) = grad([x * 2, x * x], [x], grad_outputs=[np.ones(2), np.array([1.0, 0.5])])
    np.testing.assert_allclose(g.data, [2 + 2, 2 + 2])


def test_create_graph_makes_gradients_differentiable() -> None:
    x = f64([1.5])
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(g.data, [3 * 1.5**2])
    (g2,) = grad(g.sum(), x)
    np.testing.assert_allclose(g2.data, [6 * 1.5])


def test_no_graph_is_recorded_for_the_backward_pass_without_create_graph() -> None:
    x = f64([1.5])
    (x**3).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_no_graph_is_recorded_under_no_grad() -> None:
    x = f64([1.0])
    with ac.no_grad():
        y = (x * 2).exp().sum()
    assert y.grad_fn is None and not y.requires_grad


def test_a_chain_of_100000_ops_backpropagates_without_recursion() -> None:
    x = f64([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0
    del y  # freeing a 100,000-node chain must not overflow the C stack either


def test_graph_order_runs_consumers_before_producers_and_is_deterministic() -> None:
    x = f64([1.0])
    a = x * 2
    b = a.exp()
    c = a + b
    order = graph_order([c.grad_fn])
    names = [n.name for n in order]
    assert names == ["Add", "Exp", "Mul"]
    assert [n.name for n in graph_order([c.grad_fn])] == names


def test_gradients_keep_the_dtype_of_their_tensor() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)  # float32
    (x * np.float64(2.0)).sum().backward()
    assert x.grad.dtype == np.float32


def test_two_leaves_never_share_a_gradient_array() -> None:
    a = ac.tensor([1.0, 2.0], requires_grad=True)
    b = ac.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data[0] = 100.0  # e.g. in-place gradient clipping
    assert b.grad.data[0] == 1.0


class Cube(Function):
    """y = x³;  dL/dx = dL/dy · 3x²"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_y):
        (x,) = ctx.saved_tensors
        return grad_y * 3 * x * x


def test_a_user_defined_function_gets_first_and_second_derivatives() -> None:
    from autocnn.autograd import gradcheck, gradgradcheck

    x = f64([0.5, -1.5, 2.0])
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))


class Scale(Function):
    """y = k·x, with a constant k passed positionally."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad_y):
        return grad_y * ctx.k  # no gradient returned for the constant k: allowed


def test_a_function_may_omit_gradients_of_trailing_constants() -> None:
    x = f64([1.0, 2.0])
    Scale.apply(x, 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3, 3])


class WrongArity(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_a_backward_with_too_few_gradients_is_named() -> None:
    a, b = f64([1.0]), f64([2.0])
    with pytest.raises(RuntimeError, match="backward of WrongArity returned 1 gradient"):
        WrongArity.apply(a, b).sum().backward()


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return ac.tensor(np.ones((5,)))


def test_a_gradient_of_the_wrong_shape_names_the_op_and_input() -> None:
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"WrongShape returned a gradient of shape \(5,\) "
                                           r"for its input 0, which has shape \(2,\)"):
        WrongShape.apply(x).sum().backward()


class TwoOutputs(Function):
    @staticmethod
    def forward(ctx, x):
        return x, x


def test_a_forward_returning_two_outputs_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="exactly one output"):
        TwoOutputs.apply(f64([1.0]))


def test_a_pytorch_style_forward_gets_a_hint_that_forward_sees_arrays():
    from autocnn.autograd import Function

    class Cube(Function):
        @staticmethod
        def forward(ctx, a):
            return a.exp()  # a Tensor method; forward is given a NumPy array

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(AttributeError, match="forward receives NumPy arrays"):
        Cube.apply(ac.ones(2, requires_grad=True))
