"""Non-finite values never pass a check: gradcheck, gradgradcheck and every symbolic check
fail on a nan or inf on either side, and say which entry it was."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import autocnn as ac
from autocnn import symbolic
from autocnn.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from autocnn.symbolic.compare import compare
from autocnn.symbolic.exercises import check_backward
from autocnn.symbolic.formulas import check_formula

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _x(values) -> ac.Tensor:
    return ac.tensor(np.array(values, dtype=np.float64), requires_grad=True)


class _BackwardGives(Function):
    """y = 2x with a backward that returns ``ctx.value`` times the correct gradient."""

    value = float("nan")

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        return grad * 2 * _BackwardGives.value


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_gradcheck_fails_on_a_non_finite_analytic_gradient(bad: float) -> None:
    _BackwardGives.value = bad
    with pytest.raises(GradcheckError, match=r"index \(0,\): analytic (nan|inf|-inf)") as info:
        gradcheck(lambda t: _BackwardGives.apply(t), (_x([1.0, 2.0]),))
    assert {m.index for m in info.value.entries} == {(0,), (1,)}
    assert not gradcheck(lambda t: _BackwardGives.apply(t), (_x([1.0]),),
                         raise_exception=False)


def test_gradcheck_fails_outside_the_domain_and_names_the_output_entry() -> None:
    x = _x([2.0, -1.0, 3.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: t.log(), (x,))
    text = str(info.value)
    assert "output 0 is nan at index (1,)" in text
    assert "numeric nan" in text


def test_gradcheck_fails_when_only_the_numeric_side_is_non_finite() -> None:
    # f(x) = x where finite, but the forward gives inf at x = 0 only for perturbed inputs
    class Spike(Function):
        @staticmethod
        def forward(ctx, x):
            return np.where(x == 1.0, x, np.inf)

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(GradcheckError, match=r"numeric (nan|inf)"):
        gradcheck(lambda t: Spike.apply(t), (_x([1.0]),))


def test_gradcheck_still_passes_finite_correct_gradients() -> None:
    assert gradcheck(lambda t: (t * t).log(), (_x([2.0, -1.0, 3.0]),))
    assert gradgradcheck(lambda t: (t * t * t).sum(), (_x([2.0, -1.0]),))


def test_gradgradcheck_fails_on_a_non_finite_second_derivative() -> None:
    # sqrt(x²) = |x|: fine first derivative away from 0, but nan second derivative at 0
    with pytest.raises(GradcheckError, match="nan"):
        gradgradcheck(lambda t: (t * t).sqrt(), (_x([0.0, 1.0]),))


@pytest.mark.parametrize("kwargs", [{"eps": 0.0}, {"eps": float("nan")}, {"atol": -1.0},
                                    {"rtol": float("inf")}, {"atol": "1e-5"}])
def test_gradcheck_tolerances_are_finite_non_negative_numbers(kwargs) -> None:
    for check in (gradcheck, gradgradcheck):
        with pytest.raises(ValueError, match=f"{check.__name__}: '"):
            check(lambda t: t * 2, (_x([1.0]),), **kwargs)


def test_gradgradcheck_refuses_non_finite_grad_outputs() -> None:
    with pytest.raises(ValueError, match=r"grad_outputs\[0\]"):
        gradgradcheck(lambda t: t * t, (_x([1.0]),), grad_outputs=[np.array([np.nan])])


# ---------------------------------------------------------------------- symbolic checks
@pytest.mark.parametrize("bad", [sympy.nan, sympy.oo, -sympy.oo, sympy.zoo])
def test_compare_never_calls_a_non_finite_side_equal(bad) -> None:
    x = sympy.Symbol("x")
    for a, b in [(bad, bad), (bad, x), (x, bad), (x + bad, x + bad)]:
        result = compare(a, b)
        assert not result
        assert result.status == "nonfinite"


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_verify_fails_on_non_finite_gradients_and_names_the_entry(bad: float) -> None:
    report = symbolic.verify(lambda x: x * bad, (2,))
    assert not report
    assert "d/dx[0]" in str(report) and "non-finite" in str(report)


def test_exact_gradcheck_fails_when_both_sides_are_infinite() -> None:
    report = symbolic.exact_gradcheck(lambda x: x * float("inf"), np.array([1.0, 2.0]))
    assert not report
    assert len(report.mismatches) == 2


def test_check_formula_reports_a_non_finite_reference_as_a_failure() -> None:
    report = check_formula("x_0", sympy.Symbol("x_0") * sympy.oo)
    assert not report
    assert report.status == "nonfinite"
    assert "never passes" in str(report)


def test_check_backward_fails_a_nan_gradient() -> None:
    report = check_backward(lambda x: x * 2, lambda g, x: g * np.nan, shapes=[(3,)])
    assert not report
