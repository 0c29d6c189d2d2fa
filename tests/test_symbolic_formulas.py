"""Student formula strings: proved equal to the engine's gradient, or refuted at a point."""

from __future__ import annotations

import pytest
import sympy

from autocnn import symbolic


def test_mean_gradient_formula_is_proved() -> None:
    report = symbolic.check_formula("1/3", lambda x: x.mean(), (3,), wrt="x_1")
    assert report and report.status == "proved"


def test_variance_formula_with_wrong_divisor_gets_a_counterexample() -> None:
    report = symbolic.check_formula("(x_0 - (x_0 + x_1 + x_2)/3)", lambda x: x.var(), (3,),
                                    wrt="x_0")
    assert not report and report.status == "refuted"
    student, correct = report.values
    assert student != correct
    # the point really is a counterexample: both sides evaluated independently
    x0, x1, x2 = (sympy.Symbol(f"x_{i}", real=True) for i in range(3))
    at = report.point
    assert correct == (2 * (x0 - (x0 + x1 + x2) / 3) / 3).xreplace(at)
    assert "wrong: at x_0 =" in str(report)


def test_variance_formula_is_proved() -> None:
    assert symbolic.check_formula("2*(x_0 - (x_0+x_1+x_2)/3)/3", lambda x: x.var(), (3,),
                                  wrt="x_0")


def test_sigmoid_derivative_in_another_form_is_proved() -> None:
    report = symbolic.check_formula("exp(-x_0)/(1 + exp(-x_0))^2",
                                    lambda x: x.sigmoid().sum(), (2,), wrt="x_0")
    assert report.status == "proved"


def test_softmax_derivative_is_proved() -> None:
    assert symbolic.check_formula("exp(x_0)*exp(x_1)/(exp(x_0)+exp(x_1))**2",
                                  lambda x: x.softmax()[0], (2,), wrt="x_0")


def test_relu_step_formula_agrees_away_from_the_kink() -> None:
    assert symbolic.check_formula("Heaviside(x_0)", lambda x: x.relu().sum(), (2,), wrt="x_0")


def test_unknown_names_are_reported_with_the_variables() -> None:
    report = symbolic.check_formula("1/N", lambda x: x.mean(), (3,), wrt="x_0")
    assert report.status == "invalid" and "unknown name(s) N" in report.message
    assert "x_0, x_1, x_2" in report.message


def test_a_comparison_is_not_a_formula() -> None:
    report = symbolic.check_formula("x_0 > 0", lambda x: x.relu().sum(), (2,), wrt="x_0")
    assert report.status == "invalid" and "Heaviside" in report.message


def test_syntax_errors_are_reported_not_raised() -> None:
    assert symbolic.check_formula("x_0 +", lambda x: x.sum(), (2,)).status == "invalid"


def test_formula_against_a_given_expression() -> None:
    x = sympy.Symbol("x", real=True)
    assert symbolic.check_formula("2*x", sympy.diff(x**2, x))
    report = symbolic.check_formula("x**2", sympy.diff(x**2, x))
    assert not report and str(report).startswith("formula 'x**2'")


def test_non_scalar_function_is_refused() -> None:
    with pytest.raises(ValueError, match="scalar"):
        symbolic.check_formula("1", lambda x: x * 2, (2,))


def test_wrt_must_name_an_entry() -> None:
    with pytest.raises(ValueError, match="'wrt' must name an input entry"):
        symbolic.check_formula("1", lambda x: x.sum(), (2,), wrt="y_0")
