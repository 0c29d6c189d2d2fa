"""The checker names the classic mistakes, prints each once, hides the answer on request,
labels entries dL/dx[i, j], and tells a float-only pass from an exact one."""

from __future__ import annotations

import numpy as np
import pytest

from autocnn.symbolic import check_backward
from autocnn.symbolic.exercises import CATALOGUE


def bn_compact(g, x, gamma, beta, eps=1e-5, *, mu_over_n=True, use_gamma=True,
               eps_inside=True, flip=None):
    """A student's compact-form batch-norm backward, with switches for mistakes."""
    n = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    std = np.sqrt(var + eps) if eps_inside else np.sqrt(var) + eps
    x_hat = (x - mu) / std
    gam = gamma if use_gamma else 1.0
    sum_g = g.sum(axis=0)
    sum_gx = (g * x_hat).sum(axis=0)
    direct, mean_term, var_term = n * g, -sum_g, -x_hat * sum_gx
    if flip == "mean":
        mean_term = -mean_term
    if flip == "var":
        var_term = -var_term
    if not mu_over_n:  # the μ path is Σ-over-the-batch times 1/N; dropping 1/N scales it by N
        mean_term = n * mean_term
    dx = gam / (n * std) * (direct + mean_term + var_term)
    return dx, (g * x_hat).sum(axis=0), sum_g


def conv_one_axis(g, x, w, b, stride=1, padding=0, axis=2):
    """conv2d backward whose dL/dx flips the kernel along one axis only."""
    from autocnn.symbolic.conv2d import conv2d_backward_formula

    flipped = w[:, :, ::-1, :] if axis == 2 else w[:, :, :, ::-1]
    right = conv2d_backward_formula(x, w, g, stride, padding)
    wrong = conv2d_backward_formula(x, np.ascontiguousarray(flipped), g, stride, padding,
                                    rotate=False)
    return (np.asarray(wrong["x"], dtype=float), np.asarray(right["weight"], dtype=float),
            np.asarray(right["bias"], dtype=float))


@pytest.mark.parametrize("switch,key,words", [
    ({"mu_over_n": False}, "mu_path_missing_1_over_n", "1/N dropped on the μ path"),
    ({"use_gamma": False}, "gamma_forgotten", "γ forgotten"),
    ({"eps_inside": False}, "eps_outside_sqrt", "ε outside the square root"),
    ({"flip": "mean"}, "sign_error_mean_term", "sign error in one term"),
    ({"flip": "var"}, "sign_error_variance_term", "sign error in one term"),
])
def test_batchnorm_mistakes_of_the_issue_are_named(switch, key, words) -> None:
    report = check_backward("batch_norm", lambda *a, **k: bn_compact(*a, **k, **switch))
    assert not report
    assert key in report.pattern_keys, str(report)
    assert words in str(report)


@pytest.mark.parametrize("axis,key", [(2, "kernel_flipped_rows_only"),
                                      (3, "kernel_flipped_columns_only")])
def test_kernel_flipped_on_one_axis_only_is_named(axis, key) -> None:
    report = check_backward("conv2d", lambda *a, **k: conv_one_axis(*a, **k, axis=axis))
    assert report.pattern_keys == [key], str(report)
    assert "kernel flipped on one axis only" in str(report)
    assert "kernel not rotated" not in str(report)


def test_each_pattern_is_printed_once_for_all_gradients() -> None:
    def no_batch_sum(g, x, w, b):
        return g @ w, np.outer(g[0], x[0]), g[0]

    report = check_backward("linear", no_batch_sum)
    text = str(report)
    assert text.count("missing sum over the batch") == 1
    assert "(dL/dweight, dL/dbias)" in text


def test_labels_name_the_gradient_and_the_entry() -> None:
    def wrong(g, logits, target):
        return (np.zeros_like(logits),)

    text = str(check_backward("cross_entropy", wrong))
    assert "dL/dlogits: WRONG" in text and "dL/dlogits[0, 0]: got 0" in text


def test_show_expected_false_hides_values_and_expressions() -> None:
    def doubled(g, x, w, b):
        return 2 * (g @ w), g.T @ x, g.sum(0)

    shown = check_backward("linear", doubled)
    hidden = check_backward("linear", doubled, show_expected=False)
    assert "expected" in str(shown) and "exact expected expression" in str(shown)
    assert "expected" not in str(hidden).replace("expected 3", "")
    assert "(wrong)" in str(hidden)
    assert hidden.results[0].wrong == shown.results[0].wrong


def test_long_expressions_are_shortened_with_their_size() -> None:
    from autocnn.symbolic.exercises.report import shorten

    text = "x_0 + " * 200
    out = shorten(text, limit=50)
    assert len(out) < 120 and f"{len(text)} characters" in out


def test_a_float_only_pass_is_labelled_and_differs_from_an_exact_pass() -> None:
    report = check_backward("batch_norm", bn_compact)  # np.sqrt: no exact re-check
    assert report and report.verdict == "float check only" and not report.exact_ok
    assert "float check only" in str(report) and "all gradients correct" not in str(report)
    exact = check_backward("linear", lambda g, x, w, b: (g @ w, g.T @ x, g.sum(0)))
    assert exact.exact_ok and exact.verdict in ("exact", "proved")


def test_an_error_of_1e9_fails_even_when_the_exact_check_cannot_run() -> None:
    def off(g, x, gamma, beta, eps=1e-5):
        dx, dgamma, dbeta = bn_compact(g, x, gamma, beta, eps)
        return dx, dgamma, dbeta + 1e-9

    report = check_backward("batch_norm", off)
    assert not report, str(report)
    assert "above float64 rounding" in str(report)
    assert "all gradients correct" not in str(report)


def test_student_code_that_raises_gives_a_message_not_a_traceback() -> None:
    def broken(g, x, w, b):
        return g @ w.T, None, g.sum(0)  # shapes do not match: matmul raises

    report = check_backward("linear", broken)
    assert not report
    assert report.error.startswith("your backward raised ValueError")
    assert "line " in report.error and "broken" in report.error
    assert "Traceback" not in str(report)


def test_every_catalogue_entry_has_text_and_a_rule() -> None:
    assert {"conv2d", "batch_norm", "max_pool2d", "linear", "cross_entropy"} <= set(CATALOGUE)
    for op, entries in CATALOGUE.items():
        for key, mistake in entries.items():
            assert mistake.op == op and mistake.key == key and mistake.text
            assert callable(mistake.rule)


@pytest.mark.parametrize("formula,fn", [
    ("sigmoid(x_0)*(1 - sigmoid(x_0))", lambda x: x.sigmoid().sum()),
    ("1 - tanh(x_0)^2", lambda x: x.tanh().sum()),
    ("sigmoid(x_0)", lambda x: (1 + x.exp()).log().sum()),   # d softplus = sigmoid
    ("exp(x_0)/sqrt(exp(2*x_0)) * abs(1)", lambda x: x.exp().log().sum()),
    ("softplus(x_0) - log(1 + exp(x_0)) + 2*x_0", lambda x: (x * x).sum()),
])
def test_check_formula_knows_the_course_functions(formula, fn) -> None:
    from autocnn.symbolic import check_formula

    report = check_formula(formula, fn, (1,), wrt="x_0")
    assert report.status == "proved", str(report)


def test_check_formula_reads_relu_as_max_with_zero() -> None:
    from autocnn.symbolic import check_formula

    ok = check_formula("relu(x_0) - relu(-x_0)", lambda x: (x * x).sum() / 2, (1,), wrt="x_0")
    assert ok, str(ok)                     # max(x, 0) − max(−x, 0) = x (piecewise: points)
    wrong = check_formula("relu(x_0)", lambda x: (x * x).sum() / 2, (1,), wrt="x_0")
    assert wrong.status == "refuted" and wrong.values[0] == 0 and "-" in str(wrong.values[1])
