"""explain_output and explain_grad: the written-out formulas add up to what the model and
the engine computed — every entry of a small model, exactly with rationals — and bad input
gets a message that says what is expected."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import explain, nn
from autocnn import functional as F


def _small_model(bn_stats: bool = True) -> nn.Sequential:
    """Every layer kind explain_output knows, in float64, small enough for exact work."""
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=np.float64),   # (3, 3, 3)
        nn.BatchNorm2d(3, dtype=np.float64),
        nn.ReLU(),
        nn.MaxPool2d(2, stride=1),                                   # (3, 2, 2)
        nn.Conv2d(3, 2, 2, padding=1, dilation=2, dtype=np.float64),  # (2, 2, 2)
        nn.Tanh(),
        nn.AvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 3, dtype=np.float64),
        nn.Sigmoid(),
    )
    rng = np.random.default_rng(4)
    bn = model[1]
    bn.running_mean.data = rng.normal(0, 0.3, 3)
    bn.running_var.data = rng.uniform(0.5, 2.0, 3)
    bn.weight.data = rng.uniform(0.5, 1.5, 3)
    bn.bias.data = rng.normal(0, 0.2, 3)
    return model


def _image() -> np.ndarray:
    return np.random.default_rng(5).standard_normal((2, 5, 5))


def test_explain_output_reproduces_every_entry_of_every_layer():
    model, img = _small_model(), _image()
    acts = explain.activations(model, img)
    for layer, out in acts.items():
        for idx in np.ndindex(*out.shape):
            e = explain.explain_output(model, img, layer, idx)
            assert e.value == out[idx]
            assert abs(e.result - out[idx]) <= 1e-12 * max(1.0, abs(out[idx])), (layer, idx)
            assert e.matches


def test_explain_output_is_exact_with_rationals_for_every_entry():
    import sympy

    model, img = _small_model(), _image()
    for layer, out in explain.activations(model, img).items():
        if layer in ("5", "9"):   # tanh and sigmoid of a rational are not rational
            continue
        for idx in np.ndindex(*out.shape):
            e = explain.explain_output(model, img, layer, idx, exact=True)
            assert sympy.simplify(e.result - e.value) == 0, (layer, idx)
            assert abs(float(e.result) - out[idx]) < 1e-9


def test_conv_explanation_holds_window_kernel_products_and_the_padding():
    model, img = _small_model(), _image()
    e = explain.explain_output(model, img, "0", (1, 0, 2))
    assert isinstance(e, explain.ConvExplanation)
    assert e.window.shape == e.kernel.shape == e.products.shape == (2, 3, 3)
    assert e.rows == [-1, 0, 1] and e.cols == [3, 4, 5]      # stride 2, padding 1
    assert np.all(e.window[:, 0, :] == 0) and np.all(e.window[:, :, 2] == 0)
    np.testing.assert_array_equal(e.window[:, 1:, :2], img[:, 0:2, 3:5])
    np.testing.assert_array_equal(e.kernel, model[0].weight.data[1])
    assert e.sum == pytest.approx(e.products.sum() + model[0].bias.data[1])
    d = e.to_dict()
    import json

    assert json.loads(json.dumps(d))["type"] == "ConvExplanation"
    assert len(d["window"]) == 2


def test_max_pool_explanation_names_the_input_that_won():
    model, img = _small_model(), _image()
    relu = explain.activations(model, img)["2"]
    e = explain.explain_output(model, img, "3", (2, 1, 0))
    r, c = e.winner
    assert relu[2, r, c] == relu[2, 1:3, 0:2].max() == e.value


def test_batch_norm_explanation_lists_its_statistics():
    model, img = _small_model(), _image()
    e = explain.explain_output(model, img, "1", (2, 1, 1))
    bn = model[1]
    assert (e.mean, e.var, e.gamma, e.beta) == (bn.running_mean.data[2], bn.running_var.data[2],
                                                bn.weight.data[2], bn.bias.data[2])
    assert e.normalised == pytest.approx((e.x - e.mean) / np.sqrt(e.var + bn.eps))


def _loss_of_small_model():
    model = _small_model().train()
    x = ac.tensor(np.random.default_rng(6).standard_normal((3, 2, 5, 5)))
    loss = F.cross_entropy(model(x), ac.tensor(np.array([0, 2, 1])))
    loss.backward(retain_graph=True)
    return model, loss


def test_explain_grad_terms_add_up_to_every_entry_of_every_gradient():
    model, loss = _loss_of_small_model()
    for name, p in model.named_parameters():
        for idx in np.ndindex(*p.shape):
            e = explain.explain_grad(loss, p, idx)
            assert e.param == name
            assert e.grad == p.grad.data[idx]
            assert abs(e.sum - p.grad.data[idx]) <= 1e-12 * max(1.0, sum(abs(t.value)
                                                                          for t in e.terms))
            assert e.matches


def test_explain_grad_names_conv_terms_as_the_chain_rule_writes_them():
    model, loss = _loss_of_small_model()
    e = explain.explain_grad(loss, model[0].weight, (1, 0, 2, 1))
    # stride 2, padding 1: output (n, 1, p, q) reads x[n, 0, 2p + 2 − 1, 2q + 1 − 1]
    assert len(e.terms) == 3 * 3 * 3
    assert e.terms[4].grad_label == "g[0, 1, 1, 1]"
    assert e.terms[4].factor_label == "x[0, 0, 3, 2]"
    lin = explain.explain_grad(loss, model[8].weight, (2, 1))
    assert [t.factor_label for t in lin.terms] == ["x[0, 1]", "x[1, 1]", "x[2, 1]"]
    assert [t.grad_label for t in lin.terms] == ["g[0, 2]", "g[1, 2]", "g[2, 2]"]


def test_explain_grad_sympy_expression_has_one_product_per_term():
    import sympy

    model, loss = _loss_of_small_model()
    e = explain.explain_grad(loss, model[8].weight, (0, 0))
    expr = e.expression()
    assert len(expr.args) == 3 and all(isinstance(a, sympy.Mul) for a in expr.args)
    assert float(e.exact_sum()) == pytest.approx(e.grad, rel=1e-12)
    assert "expression" in e.to_dict()


def test_explain_grad_leaves_gradients_untouched():
    model, loss = _loss_of_small_model()
    before = {n: p.grad.data.copy() for n, p in model.named_parameters()}
    explain.explain_grad(loss, model[4].weight, (0, 0, 0, 0))
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad.data, before[n])


# ---------------------------------------------------------------------------- bad input
def test_unknown_layer_lists_the_valid_ones():
    model = _small_model()
    with pytest.raises(ValueError, match=r"no layer 'conv1'.*'0' \(Conv2d\).*'9' \(Sigmoid\)"):
        explain.explain_output(model, _image(), "conv1", (0, 0, 0))
    with pytest.raises(ValueError, match="its layers are"):
        explain.grad_cam(model, _image(), "features.3")


@pytest.mark.parametrize("shape", [(5, 5), (1, 2, 5, 5), (3, 5, 5)])
def test_wrong_image_shape_names_the_expected_one(shape):
    with pytest.raises(ValueError, match=r"shape \(2, H, W\).*got shape"):
        explain.saliency(_small_model(), np.zeros(shape))


def test_grad_cam_of_a_non_conv_layer_lists_the_layers_that_qualify():
    with pytest.raises(ValueError, match=r"'8' \(Linear\).*qualify: '0' \(Conv2d\), "
                                         r"'1' \(BatchNorm2d\)"):
        explain.grad_cam(_small_model(), _image(), "8")


def test_bad_index_and_target_name_the_shape_and_range():
    model = _small_model()
    with pytest.raises(ValueError, match=r"of shape \(3, 3, 3\)"):
        explain.explain_output(model, _image(), "0", (3, 0, 0))
    with pytest.raises(ValueError, match=r"class index in \[0, 2\], got 7"):
        explain.saliency(model, _image(), target=7)
    with pytest.raises(ValueError, match="method"):
        explain.saliency(model, _image(), method="guided")


def test_other_activations_are_explained_by_applying_them_to_the_entry():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float64), nn.LeakyReLU(0.1), nn.GELU(),
                          nn.SiLU(), nn.Identity())
    img = np.random.default_rng(7).standard_normal((1, 5, 5))
    acts = explain.activations(model, img)
    for layer in ("1", "2", "3", "4"):
        for idx in np.ndindex(*acts[layer].shape):
            e = explain.explain_output(model, img, layer, idx)
            assert e.result == acts[layer][idx] and e.x == acts[str(int(layer) - 1)][idx]
    assert explain.explain_output(model, img, "1", (1, 2, 2)).formula.startswith(
        "LeakyReLU(negative_slope=0.1)(x)")
