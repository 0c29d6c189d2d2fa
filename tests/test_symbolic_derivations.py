"""Derivations: closed forms proved equal to the engine and to sympy.diff; rendering."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from autocnn import symbolic
from autocnn.symbolic.compare import compare


def test_batchnorm_grads_are_keyed_x_gamma_beta_and_proved() -> None:
    d = symbolic.derive_batchnorm(3)
    assert list(d.grads) == ["x", "gamma", "beta"]
    assert list(d.steps) == ["mean", "variance", "x_hat", "y"]
    report = d.check()
    assert report, str(report)
    claims = [line.claim for line in report.lines]
    assert "closed form of dL/dx = engine backward" in claims
    assert "closed form of dL/dx = sympy.diff" in claims
    assert all(line.proved == line.entries for line in report.lines)


@pytest.mark.parametrize("N", [2, 3, 4])
def test_batchnorm_staged_equals_compact(N: int) -> None:
    d = symbolic.derive_batchnorm(N)
    for i in range(N):
        staged = d.expand_steps(d.staged["dx"][i])
        compact = d.expand_steps(d.grads["x"][i])
        assert compare(staged, compact).status == "proved"
    text = d.side_by_side()
    assert text.count("staged :") == N and text.count("compact:") == N


def test_batchnorm_mean_step_is_the_average() -> None:
    d = symbolic.derive_batchnorm(2)
    x0, x1 = d.x
    assert d.steps["mean"] == (x0 + x1) / 2


def test_a_wrong_closed_form_makes_check_fail_with_a_point() -> None:
    d = symbolic.derive_batchnorm(2)
    d.grads["x"] = d.grads["x"] * 2  # the "missing 1/N" mistake
    report = d.check()
    assert not report
    assert "FAILED  closed form of dL/dx = engine backward" in str(report)
    assert "e.g. at" in str(report)


def test_batchnorm_test_time_fold_identity_is_proved() -> None:
    report = symbolic.derive_batchnorm(2).check()
    fold = [line for line in report.lines if "folded" in line.claim]
    assert fold and fold[0].ok and fold[0].proved == 1


@pytest.mark.parametrize("x_shape,w_shape,stride,padding", [
    ((1, 1, 3, 3), (1, 1, 2, 2), 1, 0),
    ((1, 2, 4, 4), (2, 2, 3, 3), 2, 1),
    ((2, 1, 5, 5), (1, 1, 2, 2), 2, 0),
    ((1, 1, 5, 5), (1, 1, 2, 2), 3, 1),
])
def test_conv2d_closed_forms_equal_engine_and_sympy(x_shape, w_shape, stride, padding) -> None:
    d = symbolic.derive_conv2d(x_shape, w_shape, stride, padding)
    assert list(d.grads) == ["x", "weight", "bias"]
    report = d.check()
    assert report, str(report)
    assert all(line.proved == line.entries for line in report.lines)


def test_conv2d_output_entry_is_a_sum_of_products() -> None:
    d = symbolic.derive_conv2d()
    y00 = d.steps["output"][0, 0, 0, 0]
    x, w, b = d.x, d.w, d.b
    expected = b[0] + sum(w[0, 0, i, j] * x[0, 0, i, j] for i in range(2) for j in range(2))
    assert sympy.expand(y00 - expected) == 0


def test_conv2d_dx_uses_the_rotated_kernel() -> None:
    d = symbolic.derive_conv2d((1, 1, 3, 3), (1, 1, 2, 2))
    g, w = d.g, d.w
    # the corner x[0,0] only meets kernel entry w[0,0] through output g[0,0]
    assert d.grads["x"][0, 0, 0, 0] == g[0, 0, 0, 0] * w[0, 0, 0, 0]
    # the opposite corner meets w[1,1] through g[1,1]: full correlation with rot180(W)
    assert d.grads["x"][0, 0, 2, 2] == g[0, 0, 1, 1] * w[0, 0, 1, 1]


def test_relu_maxpool_softmax_ce_derivations_hold() -> None:
    for d in (symbolic.derive_relu(), symbolic.derive_maxpool(), symbolic.derive_softmax_ce()):
        assert d.check(), str(d.check())


def test_softmax_ce_gradient_is_softmax_minus_onehot_over_n() -> None:
    d = symbolic.derive_softmax_ce(N=2, C=3, targets=[2, 0])
    p = d.steps["softmax"]
    assert d.grads["z"][0, 2] == (p[0, 2] - 1) / 2
    assert d.grads["z"][1, 1] == p[1, 1] / 2


def test_maxpool_routes_each_window_gradient_to_one_entry() -> None:
    d = symbolic.derive_maxpool(4, 2)
    engine = d.engine_grads()["x"]
    nonzero = sum(1 for v in engine.reshape(-1) if v != 0)
    assert nonzero == 4  # one winner per 2×2 window


@pytest.mark.parametrize("make", [symbolic.derive_batchnorm, symbolic.derive_conv2d,
                                  symbolic.derive_relu, symbolic.derive_maxpool,
                                  symbolic.derive_softmax_ce])
def test_every_rendering_contains_formulas_and_the_proof(make) -> None:
    d = make()
    text, latex, md = str(d), d.to_latex(), d.to_markdown()
    assert d.title in text and "Proof" in text and "all claims hold" in text
    assert "\\begin{align*}" in latex and ("\\frac" in latex or "\\max" in latex)
    assert md.startswith(f"## {d.title}") and "### Proof" in md and "$" in md
    assert d._repr_latex_().startswith("$\\begin{aligned}")


def test_derive_by_unknown_name_lists_known_ops() -> None:
    with pytest.raises(ValueError, match="known ops: batchnorm, conv2d, relu, maxpool"):
        symbolic.derive("dropout")


def test_derive_conv2d_rejects_mismatched_channels() -> None:
    with pytest.raises(ValueError, match="same C"):
        symbolic.derive_conv2d((1, 2, 3, 3), (1, 1, 2, 2))


def test_derive_conv2d_refuses_large_shapes() -> None:
    with pytest.raises(ValueError, match="smaller shapes"):
        symbolic.derive_conv2d((2, 3, 8, 8), (4, 3, 3, 3))


def test_derivation_steps_hold_object_arrays() -> None:
    d = symbolic.derive_conv2d()
    assert isinstance(d.steps["output"], np.ndarray) and d.steps["output"].dtype == object
