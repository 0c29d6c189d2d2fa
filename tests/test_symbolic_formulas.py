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


# ----------------------------------------------------------------- formula strings are not code
def _subclass_escape(path: str) -> str:
    """The classic escape through object.__subclasses__ to os.system (issue: parse_expr evals)."""
    i = [c.__name__ for c in ().__class__.__base__.__subclasses__()].index("catch_warnings")
    return (f"().__class__.__base__.__subclasses__()[{i}]()._module.__builtins__"
            f"['__import__']('os').system('touch {path}')")


def test_subclass_escape_is_refused_and_runs_nothing(tmp_path) -> None:
    target = tmp_path / "pwned"
    report = symbolic.check_formula(_subclass_escape(target), lambda x: (x * x).sum(), (3,))
    assert not target.exists()
    assert not report and report.status == "invalid"
    assert "cannot be read" in str(report) and "not allowed" in report.message


def test_open_call_in_a_formula_is_refused_without_writing(tmp_path) -> None:
    target = tmp_path / "x"
    report = symbolic.check_formula(f"open('{target}','w').write('1')*0 + 2*x_0",
                                    lambda x: (x * x).sum(), (3,))
    assert not target.exists()
    assert not report and report.status == "invalid" and "not allowed" in report.message


@pytest.mark.parametrize("formula,named", [
    ("x_0.real", "attribute"),
    ("open('f')", "'open' is not allowed"),
    ("__import__('os')", "'__import__' is not allowed"),
    ("(lambda: 1)()", "lambda"),
    ("[x_0 for _ in range(3)]", "comprehensions"),
    ("'abc'", "strings"),
    ("x_0[0]", "indexing"),
    ("sqrt(x_0, y=1)", "no keywords"),
    ("exp", "exp is a function"),
    ("9**9**9**9", "too large"),
    ("1e999 * x_0", "finite"),
    ("x_0 & 1", "BitAnd"),
    ("x_0 # comment", "'#'"),
    ("x_0 if x_0 else 1", "'if ... else'"),
    ("(x_0 := 1)", "':='"),
])
def test_forbidden_formula_is_an_invalid_report_naming_it(formula, named) -> None:
    report = symbolic.check_formula(formula, lambda x: (x * x).sum(), (3,))
    assert not report and report.status == "invalid", str(report)
    assert named in report.message, report.message


@pytest.mark.parametrize("formula", [
    "2x_0", "2 x_0", "x_0 2", "2(x_0)", "x_0(2)", "(x_0)(2)", "2*x_0^1", "x_0 + x_0",
    "4*x_0/2", "sqrt(4)*x_0", "2.0*x_0", "exp(log(2))*x_0", "Max(2, 1)*x_0", "abs(-2)*x_0",
])
def test_equivalent_spellings_of_2x_are_proved(formula) -> None:
    report = symbolic.check_formula(formula, lambda x: (x * x).sum(), (3,), wrt="x_0")
    assert report.status == "proved", str(report)


def test_caret_binds_like_power_not_xor() -> None:
    # 2*x_0^2 is 2·x_0², the derivative of (2/3)·x_0³; Python's ^ would read (2*x_0) xor 2
    assert symbolic.check_formula("2*x_0^2", lambda x: (x * x * x).sum() * 2 / 3, (1,))


@pytest.mark.parametrize("formula", ["1/0", "x_0/0", "log(0, 0)", "log(0)*x_0"])
def test_undefined_formula_is_an_invalid_report_not_an_error(formula) -> None:
    report = symbolic.check_formula(formula, lambda x: (x * x).sum(), (3,))
    assert not report and report.status == "invalid" and "undefined" in report.message
