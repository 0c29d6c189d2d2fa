"""The layers of autocnn.nn: initialisation, forward values, batch norm statistics,
containers, losses, repr and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn
from autocnn.autograd import gradcheck


# ---------------------------------------------------------------- initialisation
@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(200, 300), 200),
    (lambda: nn.Conv2d(6, 500, kernel_size=(3, 5)), 6 * 3 * 5),
])
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(make, fan_in):
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    w = layer.weight.numpy()
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # the whole interval is used
    # U(−b, b) has mean 0 and variance b²/3; with ≥ 45,000 draws both are close
    assert abs(w.mean()) < 0.02 * bound
    assert w.var() == pytest.approx(bound**2 / 3, rel=0.03)
    b = layer.bias.numpy()
    assert np.abs(b).max() <= bound and b.std() > 0.4 * bound


def test_init_draws_come_from_the_seeded_generator():
    ac.manual_seed(7)
    a = nn.Conv2d(2, 3, 3).weight.numpy().copy()
    ac.manual_seed(7)
    b = nn.Conv2d(2, 3, 3).weight.numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Conv2d(2, 3, 3).weight.numpy())


def test_kaiming_uniform_bound_uses_the_leaky_relu_gain():
    w = ac.zeros(1000, 10, dtype=np.float64)
    nn.init.kaiming_uniform_(w, a=0.0, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 10)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound


def test_init_fan_needs_two_axes():
    with pytest.raises(ValueError, match="at least 2 axes"):
        nn.init.kaiming_uniform_(ac.zeros(3))


def test_batchnorm_starts_as_identity_with_pytorch_buffers():
    bn = nn.BatchNorm2d(4)
    np.testing.assert_array_equal(bn.weight.numpy(), np.ones(4))
    np.testing.assert_array_equal(bn.bias.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(4))
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]


# ---------------------------------------------------------------- forward values
def test_linear_computes_x_times_weight_transposed_plus_bias():
    lin = nn.Linear(4, 3).double()
    x = np.random.default_rng(1).standard_normal((5, 4))
    expected = x @ lin.weight.numpy().T + lin.bias.numpy()
    np.testing.assert_allclose(lin(ac.tensor(x)).numpy(), expected, rtol=1e-12)


def test_linear_without_bias_has_no_bias_parameter():
    lin = nn.Linear(4, 3, bias=False)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    assert repr(lin) == "Linear(in_features=4, out_features=3, bias=False)"


def test_conv2d_layer_matches_direct_sum_over_windows():
    conv = nn.Conv2d(2, 3, kernel_size=(2, 3), stride=(1, 2), padding=1).double()
    x = np.random.default_rng(2).standard_normal((2, 2, 5, 6))
    w, b = conv.weight.numpy(), conv.bias.numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    Ho, Wo = (5 + 2 - 2) // 1 + 1, (6 + 2 - 3) // 2 + 1
    expected = np.zeros((2, 3, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i:i + 2, 2 * j:2 * j + 3]
            expected[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w) + b
    np.testing.assert_allclose(conv(ac.tensor(x)).numpy(), expected, rtol=1e-10)


def test_conv2d_gradients_match_finite_differences():
    conv = nn.Conv2d(2, 2, 3, padding=1, dilation=1).double()
    x = ac.randn(1, 2, 4, 5, dtype=np.float64, requires_grad=True)

    def run(x, w, b):
        return F.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation)

    np.testing.assert_array_equal(conv(x).numpy(), run(x, conv.weight, conv.bias).numpy())
    assert gradcheck(run, (x, conv.weight, conv.bias))


def test_pool_layers_match_numpy():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 6))
    windows = x.reshape(2, 3, 2, 2, 3, 2)
    np.testing.assert_allclose(nn.MaxPool2d(2)(ac.tensor(x)).numpy(), windows.max((3, 5)))
    np.testing.assert_allclose(nn.AvgPool2d(2)(ac.tensor(x)).numpy(), windows.mean((3, 5)))
    assert nn.MaxPool2d(3, stride=1, padding=1)(ac.tensor(x)).shape == (2, 3, 4, 6)


def test_activation_flatten_and_softmax_layers():
    x = ac.randn(2, 3, 2, 2, dtype=np.float64)
    a = x.numpy()
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-a)))
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(a))
    assert nn.Flatten()(x).shape == (2, 12) and nn.Flatten(2)(x).shape == (2, 3, 4)
    p = nn.Softmax(axis=1)(x).numpy()
    np.testing.assert_allclose(p, np.exp(a) / np.exp(a).sum(1, keepdims=True), rtol=1e-12)


def test_dropout_layer_zeroes_and_rescales_only_in_training():
    x = ac.ones(1000, dtype=np.float64)
    drop = nn.Dropout(0.25)
    y = drop(x).numpy()
    assert set(np.unique(y)) <= {0.0, 1 / 0.75}
    assert 0.2 < (y == 0).mean() < 0.3
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())


# ---------------------------------------------------------------- batch norm
def test_batchnorm2d_running_statistics_after_several_steps_match_numpy():
    bn = nn.BatchNorm2d(3, momentum=0.2).double()
    rng = np.random.default_rng(4)
    mean, var = np.zeros(3), np.ones(3)
    for step in range(4):
        x = rng.standard_normal((5, 3, 2, 3)) * (step + 1) + step
        y = bn(ac.tensor(x)).numpy()
        mu = x.mean(axis=(0, 2, 3))
        biased = x.var(axis=(0, 2, 3))
        m = 5 * 2 * 3
        mean = 0.8 * mean + 0.2 * mu
        var = 0.8 * var + 0.2 * biased * m / (m - 1)
        expected = (x - mu[None, :, None, None]) / np.sqrt(biased[None, :, None, None] + 1e-5)
        np.testing.assert_allclose(y, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4


def test_batchnorm_in_eval_does_not_touch_its_buffers():
    bn = nn.BatchNorm1d(2)
    bn(ac.randn(6, 2))
    state = bn.state_dict()
    bn.eval()
    bn(ac.randn(6, 2))
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, state[key], err_msg=key)


def test_batchnorm1d_accepts_sequences_and_scales_with_gamma_beta():
    bn = nn.BatchNorm1d(2).double()
    bn.weight.data[...] = [2.0, 3.0]
    bn.bias.data[...] = [1.0, -1.0]
    x = np.random.default_rng(5).standard_normal((4, 2, 3))
    mu, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    expected = (x - mu) / np.sqrt(var + 1e-5) * np.array([2.0, 3.0])[:, None] \
        + np.array([1.0, -1.0])[:, None]
    np.testing.assert_allclose(bn(ac.tensor(x)).numpy(), expected, rtol=1e-10)


def test_batchnorm_wrong_channel_count_names_layer_and_both_counts():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(8\): expected input with 8 channels "
                                         r"\(axis 1\), got 4 channels"):
        nn.BatchNorm2d(8)(ac.randn(2, 4, 3, 3))


def test_batchnorm_wrong_number_of_axes_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected a 4-D \(N, C, H, W\) "
                                         r"input, got a 2-D input of shape \[2, 3\]"):
        nn.BatchNorm2d(3)(ac.randn(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected a 2-D \(N, C\) or 3-D"):
        nn.BatchNorm1d(3)(ac.randn(2, 3, 2, 2))


def test_batchnorm_failed_call_does_not_count_a_batch():
    bn = nn.BatchNorm1d(2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(ac.randn(1, 2))
    assert bn.num_batches_tracked.item() == 0


# ---------------------------------------------------------------- containers
def test_sequential_indexing_slicing_iteration_and_len():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # names kept, as PyTorch
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        seq[3]
    with pytest.raises(TypeError, match="indices must be ints or slices"):
        seq["0"]


def test_sequential_forward_chains_modules_in_order():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    x = ac.randn(4, 2, dtype=np.float64)
    expected = seq[2](seq[1](seq[0](x))).numpy()
    np.testing.assert_array_equal(seq(x).numpy(), expected)


def test_sequential_append_setitem_and_delitem():
    seq = nn.Sequential(nn.ReLU())
    seq.append(nn.Tanh())
    seq[0] = nn.Sigmoid()
    assert [type(m).__name__ for m in seq] == ["Sigmoid", "Tanh"]
    del seq[0]
    assert [n for n, _ in seq.named_children()] == ["1"]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match=r"argument 1 must be an nn\.Module, got function"):
        nn.Sequential(nn.ReLU(), F.relu)


def test_module_list_registers_its_modules():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1)])
    holder = nn.Module()
    holder.layers = ml
    assert [n for n, _ in holder.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert len(ml) == 2 and ml[1] is list(ml)[1]


# ---------------------------------------------------------------- losses
def test_cross_entropy_loss_reductions_match_numpy():
    logits = ac.randn(5, 4, dtype=np.float64)
    target = np.array([0, 3, 1, 1, 2])
    z = logits.numpy()
    per = np.log(np.exp(z).sum(1)) - z[np.arange(5), target]
    np.testing.assert_allclose(nn.CrossEntropyLoss()(logits, target).item(), per.mean())
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction="sum")(logits, target).item(),
                               per.sum())
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction="none")(logits, target).numpy(),
                               per)


def test_mse_loss_reductions_match_numpy():
    a, b = ac.randn(3, 2, dtype=np.float64), ac.randn(3, 2, dtype=np.float64)
    d2 = (a.numpy() - b.numpy()) ** 2
    np.testing.assert_allclose(nn.MSELoss()(a, b).item(), d2.mean())
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(a, b).item(), d2.sum())


def test_loss_rejects_unknown_reduction_at_construction():
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")


# ---------------------------------------------------------------- repr and errors
@pytest.mark.parametrize("layer, text", [
    (nn.Conv2d(1, 8, 3, padding=1),
     "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"),
    (nn.Conv2d(3, 4, (2, 3), stride=2, dilation=2, bias=False),
     "Conv2d(3, 4, kernel_size=(2, 3), stride=(2, 2), dilation=(2, 2), bias=False)"),
    (nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0)"),
    (nn.AvgPool2d(3, stride=1, padding=1), "AvgPool2d(kernel_size=3, stride=1, padding=1)"),
    (nn.BatchNorm2d(8), "BatchNorm2d(8, eps=1e-05, momentum=0.1)"),
    (nn.Dropout(0.3), "Dropout(p=0.3)"),
    (nn.Softmax(), "Softmax(axis=-1)"),
    (nn.Flatten(), "Flatten(start_axis=1)"),
    (nn.CrossEntropyLoss(), "CrossEntropyLoss()"),
    (nn.MSELoss(reduction="sum"), "MSELoss(reduction='sum')"),
])
def test_layer_repr_shows_its_settings(layer, text):
    assert repr(layer) == text


@pytest.mark.parametrize("make, exc, message", [
    (lambda: nn.Linear(0, 3), ValueError, "Linear: 'in_features' must be a positive int, got 0"),
    (lambda: nn.Linear(2.5, 3), TypeError, "Linear: 'in_features' must be a positive int"),
    (lambda: nn.Conv2d(1, 2, kernel_size=(3, 3, 3)), TypeError,
     "Conv2d: 'kernel_size' must be an int or a pair of ints"),
    (lambda: nn.Conv2d(1, 2, 3, stride=0), ValueError, "Conv2d: 'stride' must be positive"),
    (lambda: nn.MaxPool2d(2, padding=-1), ValueError,
     "MaxPool2d: 'padding' must be non-negative"),
    (lambda: nn.BatchNorm2d(4, momentum=1.5), ValueError, "BatchNorm2d: 'momentum'"),
    (lambda: nn.BatchNorm2d(4, eps=-1), ValueError, "BatchNorm2d: 'eps'"),
    (lambda: nn.Dropout(1.5), ValueError, r"Dropout: probability 'p' must be a number in"),
    (lambda: nn.Linear(2, 2, dtype=np.int32), TypeError, "Linear: dtype must be floating"),
])
def test_layer_constructor_errors_name_layer_and_argument(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_conv2d_layer_channel_mismatch_names_both_counts():
    with pytest.raises(ValueError, match="have 3 channels, but got 4 channels"):
        nn.Conv2d(3, 8, 3)(ac.randn(1, 4, 6, 6))


def test_linear_layer_feature_mismatch_names_both_sizes():
    with pytest.raises(ValueError, match="expects inputs with 4 features"):
        nn.Linear(4, 2)(ac.randn(3, 5))


def test_parameter_is_a_leaf_that_requires_grad():
    p = nn.Parameter(np.zeros(3))
    assert p.requires_grad and p.is_leaf and p.dtype == np.float64
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        nn.Parameter(np.arange(3))
    with pytest.raises(TypeError, match="must be a leaf"):
        nn.Parameter(ac.ones(2, requires_grad=True) * 2)


def test_batchnorm_layers_accept_lists_and_arrays_like_every_layer():
    y = nn.BatchNorm1d(2)([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(y.numpy(), [[-1, -1], [1, 1]], atol=1e-3)
    assert nn.BatchNorm2d(3)(np.random.default_rng(0).standard_normal((2, 3, 4, 4))).shape == (
        2, 3, 4, 4)


def test_parameter_from_integer_lists_is_float32():
    assert nn.Parameter([1, 2]).dtype == np.float32


def test_repr_of_a_custom_module_shows_its_own_parameters_with_shapes():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ac.zeros(3, 4))

    assert repr(Scale()) == "Scale(\n  (w): Parameter(shape=(3, 4), dtype=float32)\n)"
