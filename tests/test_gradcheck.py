"""gradcheck and gradgradcheck catch wrong backwards and report them usefully."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from tests.wrong_backwards import HalfWrongSquare


def f64(shape, name=None, seed=0):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return ac.tensor(arr, requires_grad=True, dtype=np.float64, name=name)


def test_gradcheck_catches_a_wrong_backward_and_reports_the_worst_entry() -> None:
    x = f64((2, 3), name="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(HalfWrongSquare.apply, (x,))
    err = info.value
    assert isinstance(err, RuntimeError)
    worst = err.entries[0]
    assert worst.input_index == 0 and worst.input_name == "x" and worst.output_index == 0
    assert worst.analytic == pytest.approx(worst.numeric / 2, rel=1e-6)
    message = str(err)
    for part in ("input 0 ('x')", "index", "analytic", "numeric", "abs err", "rel err"):
        assert part in message


def test_gradcheck_returns_false_instead_of_raising_when_asked() -> None:
    assert gradcheck(HalfWrongSquare.apply, (f64(3),), raise_exception=False) is False


class CentreWithWrongBackward(Function):
    """y = x − mean(x), whose true backward is g − mean(g).

    This wrong backward returns 0: it agrees with the truth exactly when the upstream
    gradient is constant (all ones), as batch norm's dx does. Only a random upstream
    gradient exposes it.
    """

    @staticmethod
    def forward(ctx, x):
        return x - x.mean()

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


def test_a_random_upstream_gradient_exposes_errors_that_all_ones_would_hide() -> None:
    x = f64(5)
    ones = CentreWithWrongBackward.apply(x)
    # with all ones, the error is invisible: vᵀJ = 0 for the true and the wrong backward
    (g,) = ac.autograd.grad(ones, x, grad_outputs=np.ones(5))
    np.testing.assert_allclose(g.data, 0)
    with pytest.raises(GradcheckError):
        gradcheck(CentreWithWrongBackward.apply, (x,))


def test_float32_inputs_are_checked_in_float64_with_a_warning() -> None:
    x = ac.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="checking in float64"):
        assert gradcheck(lambda x: (x * x).sum(), (x,))


def test_gradcheck_checks_only_inputs_that_require_grad_and_passes_constants() -> None:
    x = f64(3)
    c = ac.tensor(np.ones(3))
    assert gradcheck(lambda x, c, k: (x * c * k).exp(), (x, c, 2.0))


def test_gradcheck_with_no_differentiable_input_refuses() -> None:
    with pytest.raises(ValueError, match="none of the inputs requires grad"):
        gradcheck(lambda x: x * 2, (ac.tensor(np.ones(2)),))


def test_gradcheck_handles_several_outputs_and_names_the_wrong_one() -> None:
    x = f64(3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: (x.exp(), HalfWrongSquare.apply(x)), (x,))
    assert info.value.entries[0].output_index == 1


class RightFirstWrongSecond(Function):
    """y = x³ whose backward is right to first order but not differentiable correctly:
    it returns 3·x.detach()², so its second derivative is lost."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() * x.detach()


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable() -> None:
    x = f64(3)
    assert gradcheck(RightFirstWrongSecond.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(RightFirstWrongSecond.apply, (x,))


def test_gradgradcheck_accepts_given_upstream_gradients() -> None:
    x = f64((2, 2))
    assert gradgradcheck(lambda x: x.tanh(), (x,), grad_outputs=[np.ones((2, 2))])
