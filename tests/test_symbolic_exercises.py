"""The exercise checker: wrong entries reported, and each seeded mistake pattern named."""

from __future__ import annotations

import numpy as np
import pytest

from autocnn.autograd import Function
from autocnn.symbolic import check_backward


# ----------------------------------------------------------------- a student's conv2d backward
def conv_backward(g, x, w, b, stride=1, padding=0, *, flip=False, batch_sum=True,
                  pad_error=0, stride_error=0, swap=False, sign=1, scale=1):
    """Scatter form: each output position adds g·window to dW and g·kernel to dX.

    The switches reproduce typical mistakes; with the defaults it is correct.
    """
    N, _, H, W = x.shape
    F_out, _, kh, kw = w.shape
    P, s = padding + pad_error, stride + stride_error
    Ho, Wo = g.shape[2:]
    # zeros beyond the right edge too, so a wrong stride or padding reads zeros, not garbage
    extra = max(0, s * (Ho - 1) + kh - (H + 2 * P)), max(0, s * (Wo - 1) + kw - (W + 2 * P))
    xp = np.pad(x, ((0, 0), (0, 0), (P, P + extra[0]), (P, P + extra[1])))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n in range(N):
        for o in range(F_out):
            kernel = w[:, o] if swap else (w[o, :, ::-1, ::-1] if flip else w[o])
            for p in range(Ho):
                for q in range(Wo):
                    hs, ws = p * s, q * s
                    window = xp[n, :, hs:hs + kh, ws:ws + kw]
                    if batch_sum or n == 0:
                        dw[o] += g[n, o, p, q] * window
                    dxp[n, :, hs:hs + kh, ws:ws + kw] += g[n, o, p, q] * kernel
    db = g.sum(axis=(0, 2, 3)) if batch_sum else g[0].sum(axis=(1, 2))
    dx = dxp[:, :, P:P + H, P:P + W]
    return sign * scale * dx, sign * scale * dw, sign * scale * db


def _with(**mistake):
    return lambda *a, **k: conv_backward(*a, **k, **mistake)


def test_correct_conv_backward_passes_and_is_exact() -> None:
    report = check_backward("conv2d", conv_backward)
    assert report, str(report)
    assert report.exact.startswith("equal with zero tolerance on exact rational inputs")
    assert report.exact.endswith("proved equal on symbolic inputs (for every input of these "
                                 "shapes)")


@pytest.mark.parametrize("mistake,params,pattern", [
    ({"flip": True}, {}, "kernel not rotated"),
    ({"swap": True}, {}, "kernel not transposed"),
    ({"batch_sum": False}, {}, "missing sum over the batch"),
    ({"sign": -1.0}, {}, "sign error"),
    ({"pad_error": 1}, {}, "padding off by one (backward used padding P + 1)"),
    ({"pad_error": -1}, {}, "padding off by one (backward used padding P − 1)"),
    ({"stride_error": 1}, {"stride": 2, "padding": 0},
     "stride off by one (backward used stride s + 1)"),
    ({"stride_error": -1}, {"stride": 2, "padding": 0},
     "stride off by one (backward used stride s − 1)"),
    ({"scale": 0.5}, {}, "extra factor 1/N"),
])
def test_seeded_conv_mistake_is_named(mistake, params, pattern) -> None:
    report = check_backward("conv2d", _with(**mistake), params=params)
    assert not report
    assert any(pattern in p for p in report.patterns), str(report)


def test_wrong_conv_entries_are_listed_with_the_exact_expected_expression() -> None:
    report = check_backward("conv2d", _with(flip=True))
    dx = report.results[0]
    assert not dx.ok and dx.wrong > 0 and len(dx.examples) == 3
    e = dx.examples[0]
    assert e.got != e.expected
    assert "g_0_0_0_0*w_" in dx.expected_expression
    assert "likely mistake: kernel not rotated" in str(report)
    assert report.results[1].ok and report.results[2].ok  # dW and db are right


# ----------------------------------------------------------------- a student's batch norm
def bn_backward(g, x, gamma, beta, eps=1e-5, *, drop=(), ddof=0, sign=1.0, n_factor=1.0,
                batch_sum=True):
    """Staged batch-norm backward (dx̂ → dσ² → dμ → dx) with optional mistakes."""
    n = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).sum(axis=0) / (n - ddof)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    dx_hat = g * gamma
    dvar = (dx_hat * (x - mu)).sum(axis=0) * -0.5 / std**3
    dmu = -(dx_hat / std).sum(axis=0) + dvar * (-2 * (x - mu)).sum(axis=0) / (n - ddof)
    dx = dx_hat / std
    if "var" not in drop:
        dx = dx + dvar * 2 * (x - mu) / (n - ddof)
    if "mu" not in drop:
        dx = dx + dmu / n
    dgamma = (g * x_hat).sum(axis=0) if batch_sum else (g * x_hat)[0]
    dbeta = g.sum(axis=0) if batch_sum else g[0]
    return sign * n_factor * dx, sign * dgamma, sign * dbeta


def _bn(**mistake):
    return lambda *a, **k: bn_backward(*a, **k, **mistake)


def test_correct_batchnorm_backward_passes() -> None:
    report = check_backward("batch_norm", bn_backward)
    assert report, str(report)


@pytest.mark.parametrize("mistake,pattern", [
    ({"n_factor": 4.0}, "missing 1/N"),
    ({"drop": ("mu", "var")}, "only the direct path x → x̂ was kept"),
    ({"drop": ("mu",)}, "the path through μ (dμ/N) was dropped"),
    ({"drop": ("var",)}, "the path through σ² was dropped"),
    ({"sign": -1.0}, "sign error"),
    ({"batch_sum": False}, "missing sum over the batch"),
    ({"ddof": 1}, "unbiased variance"),
])
def test_seeded_batchnorm_mistake_is_named(mistake, pattern) -> None:
    report = check_backward("batch_norm", _bn(**mistake))
    assert not report
    assert any(pattern in p for p in report.patterns), str(report)


def test_batchnorm_report_gives_the_compact_expected_expression() -> None:
    report = check_backward("batch_norm", _bn(drop=("mu",)))
    dx = report.results[0]
    assert "gamma*" in dx.expected_expression and "xhat_0" in dx.expected_expression


# ----------------------------------------------------------------- other ops
def test_maxpool_gradient_spread_over_window_is_named() -> None:
    def spread(g, x, kernel_size=2, stride=None):
        return (np.repeat(np.repeat(g, 2, axis=2), 2, axis=3),)

    report = check_backward("max_pool2d", spread)
    assert any("copied to every entry" in p for p in report.patterns), str(report)


def test_correct_maxpool_backward_passes() -> None:
    def route(g, x, kernel_size=2, stride=None):
        N, C, H, W = x.shape
        win = x.reshape(N, C, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5)
        win = win.reshape(N, C, H // 2, W // 2, 4)
        mask = np.zeros_like(win)
        np.put_along_axis(mask, win.argmax(-1)[..., None], 1.0, axis=-1)
        dx = (mask * g[..., None]).reshape(N, C, H // 2, W // 2, 2, 2)
        return (dx.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H, W),)

    assert check_backward("max_pool2d", route)


def test_linear_weight_gradient_transposed_is_named() -> None:
    def lin(g, x, w, b):
        return g @ w, x.T @ g, g.sum(0)

    report = check_backward("linear", lin)
    assert not report
    assert any("transposed" in p for p in report.patterns), str(report)


def test_softmax_ce_missing_one_over_n_and_onehot_are_named() -> None:
    def grad_ce(g, z, target=None, mean=True, onehot=True):
        e = np.exp(z - z.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        if onehot:
            p[np.arange(len(target)), target] -= 1
        return (g * p / (len(z) if mean else 1),)

    assert check_backward("cross_entropy", grad_ce)
    missing = check_backward("cross_entropy", lambda *a, **k: grad_ce(*a, **k, mean=False))
    assert any("missing 1/N" in p for p in missing.patterns), str(missing)
    no_onehot = check_backward("cross_entropy", lambda *a, **k: grad_ce(*a, **k, onehot=False))
    assert any("one-hot" in p for p in no_onehot.patterns), str(no_onehot)


class StudentSquare(Function):
    """y = x³ with a wrong backward (3x instead of 3x²)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x


def test_function_subclass_for_any_engine_op_is_checked() -> None:
    report = check_backward(lambda x: x * x * x, StudentSquare, shapes=[(2, 3)])
    assert not report
    assert report.results[0].wrong > 0
    assert "dL/dx: WRONG" in str(report)


def test_wrong_forward_of_a_function_subclass_is_reported() -> None:
    report = check_backward(lambda x: x * x, StudentSquare, shapes=[(3,)])
    assert "forward differs" in str(report)


def test_unknown_op_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known ops: batch_norm, conv2d"):
        check_backward("dropout", lambda g, x: (g,))


def test_wrong_number_of_gradients_is_reported_naming_the_inputs() -> None:
    report = check_backward("conv2d", lambda g, x, w, b, **k: (g, g))
    assert not report
    assert "returned 2 gradients, expected 3 (one per input: x, weight, bias)" in report.error


# ----------------------------------------------------------------- the exact re-check decides
def test_error_below_the_float_tolerance_fails_the_exact_check() -> None:
    from fractions import Fraction

    def bw(g, x, w, b):  # db off by a factor 1 + 1e-9: passes np.isclose, not exactness
        return g @ w, g.T @ x, g.sum(0) * Fraction(1000000001, 1000000000)

    report = check_backward("linear", bw)
    assert all(r.ok for r in report.results)  # the float check alone would pass it
    assert not report and report.exact_failed
    text = str(report)
    assert "all gradients correct" not in text and "MISTAKES FOUND" in text
    assert "exact check FAILED: dL/dbias[0] differs on exact inputs: got -1000000001/" in text
    assert "expected -1 " in text


def test_a_correct_linear_backward_still_passes_the_exact_check() -> None:
    report = check_backward("linear", lambda g, x, w, b: (g @ w, g.T @ x, g.sum(0)))
    assert report and not report.exact_failed
    assert "all gradients correct" in str(report)
    assert "exact check: equal with zero tolerance" in str(report)


# ----------------------------------------------------------------- expected expression, any op
def test_linear_wrong_entry_has_the_exact_expected_expression() -> None:
    import sympy

    report = check_backward("linear", lambda g, x, w, b: (g @ w * 2, g.T @ x, g.sum(0)))
    dx = report.results[0]
    assert not dx.ok and dx.examples[0].index == (0, 0)
    expr = sympy.sympify(dx.expected_expression.split("   ")[0])
    g, w = sympy.symbols("g_0_0 g_0_1"), sympy.symbols("w_0_0 w_1_0")
    # dL/dx[0, 0] = Σ_o g[0, o]·W[o, 0] (x has shape (3, 4), W has shape (2, 4))
    assert sympy.expand(expr - (g[0] * w[0] + g[1] * w[1])) == 0
    assert f"exact expected expression of dL/dx[0, 0]: {dx.expected_expression}" in str(report)


def test_forward_callable_wrong_entry_has_the_exact_expected_expression() -> None:
    import sympy

    report = check_backward(lambda x: x.sigmoid(), lambda g, x: (g * x,), shapes=[(3,)])
    dx = report.results[0]
    i = dx.examples[0].index[0]
    expr = sympy.sympify(dx.expected_expression.split("   ")[0])
    x, g = sympy.Symbol(f"x_{i}"), sympy.Symbol(f"g_{i}")
    reference = sympy.diff(g / (1 + sympy.exp(-x)), x)  # independent: SymPy's own derivative
    assert sympy.simplify(expr - reference) == 0
    assert "exact expected expression of dL/dx[" in str(report)


def test_expected_expression_says_why_when_the_forward_cannot_take_symbols() -> None:
    def bad_forward(x):
        return x * float(np.asarray(x.data, dtype=np.float64).sum())  # needs numbers

    report = check_backward(bad_forward, lambda g, x: (g,), shapes=[(2,)])
    assert report.results[0].expected_expression.startswith("(not derived")
