"""The blocks of modern CNNs (issue 17): each layer against PyTorch (forward, input and
parameter gradients, float64), gradchecked, proved by symbolic.verify on a small case, and
drawn as its own cluster."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn, symbolic, viz
from autocnn.autograd import gradcheck
from tests.test_viz_modules import clusters_with_ops

TOL = dict(rtol=1e-10, atol=1e-10)

#: name -> (autocnn layer, the same torch layer as a string to eval with torch.nn, input shape)
LAYERS = {
    "conv2d_groups": (lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2),
                      "Conv2d(4, 6, 3, padding=1, groups=2)", (2, 4, 5, 5)),
    "conv2d_depthwise": (lambda: nn.Conv2d(3, 3, 3, stride=2, groups=3, bias=False),
                         "Conv2d(3, 3, 3, stride=2, groups=3, bias=False)", (2, 3, 7, 6)),
    "conv1d": (lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2),
               "Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)", (2, 4, 11)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1,
                                                    output_padding=1),
                         "ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)",
                         (2, 3, 4, 5)),
    "conv_transpose2d_dilation_groups": (
        lambda: nn.ConvTranspose2d(4, 6, (2, 3), stride=(1, 2), padding=(0, 1),
                                   output_padding=(1, 0), groups=2, dilation=(2, 1)),
        "ConvTranspose2d(4, 6, (2, 3), stride=(1, 2), padding=(0, 1), output_padding=(1, 0),"
        " groups=2, dilation=(2, 1))", (1, 4, 3, 4)),
    "adaptive_avg_pool2d": (lambda: nn.AdaptiveAvgPool2d((3, 4)), "AdaptiveAvgPool2d((3, 4))",
                            (2, 3, 7, 9)),
    "global_avg_pool": (lambda: nn.AdaptiveAvgPool2d(1), "AdaptiveAvgPool2d(1)", (2, 3, 5, 5)),
    "adaptive_max_pool2d": (lambda: nn.AdaptiveMaxPool2d((3, None)),
                            "AdaptiveMaxPool2d((3, None))", (2, 2, 7, 5)),
    "global_max_pool": (lambda: nn.AdaptiveMaxPool2d(1), "AdaptiveMaxPool2d(1)", (2, 3, 4, 4)),
    "max_pool_ceil_dilation": (lambda: nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True),
                               "MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True)", (2, 2, 9, 8)),
    "avg_pool_ceil_exclude_pad": (
        lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        "AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)", (2, 2, 8, 7)),
    "avg_pool_ceil": (lambda: nn.AvgPool2d(2, ceil_mode=True),
                      "AvgPool2d(2, ceil_mode=True)", (1, 2, 5, 7)),
    "identity": (lambda: nn.Identity(3, foo=1), "Identity(3, foo=1)", (2, 3)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), "LeakyReLU(0.2)", (3, 4)),
    "elu": (lambda: nn.ELU(0.7), "ELU(0.7)", (3, 4)),
    "gelu": (lambda: nn.GELU(), "GELU()", (3, 4)),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), "GELU(approximate='tanh')", (3, 4)),
    "silu": (lambda: nn.SiLU(), "SiLU()", (3, 4)),
    "softplus": (lambda: nn.Softplus(beta=2.0, threshold=3.0),
                 "Softplus(beta=2.0, threshold=3.0)", (3, 4)),
    "layer_norm": (lambda: nn.LayerNorm((3, 4)), "LayerNorm((3, 4))", (2, 5, 3, 4)),
    "layer_norm_no_bias": (lambda: nn.LayerNorm(4, bias=False), "LayerNorm(4, bias=False)",
                           (3, 4)),
    "group_norm": (lambda: nn.GroupNorm(2, 6), "GroupNorm(2, 6)", (2, 6, 3, 3)),
    "group_norm_no_affine": (lambda: nn.GroupNorm(3, 3, affine=False),
                             "GroupNorm(3, 3, affine=False)", (2, 3, 4)),
    "flatten_end_axis": (lambda: nn.Flatten(1, 2), "Flatten(1, 2)", (2, 3, 4, 5)),
}


def _random_affine(layer: nn.Module, rng: np.random.Generator) -> None:
    """Norm layers start at γ = 1, β = 0: move them so their gradients are tested too."""
    for _, p in layer.named_parameters():
        p.data[...] = rng.standard_normal(p.shape)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch_forward_and_backward(name: str) -> None:
    torch = pytest.importorskip("torch")
    make, torch_src, shape = LAYERS[name]
    rng = np.random.default_rng(7)
    ours = make().double()
    _random_affine(ours, rng)
    theirs = eval(f"torch.nn.{torch_src}", {"torch": torch}).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    arr = rng.standard_normal(shape) * 2
    x = ac.tensor(arr, requires_grad=True, dtype=np.float64)
    tx = torch.tensor(arr, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), **TOL)
    g = rng.standard_normal(y.shape)
    y.backward(ac.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOL)
    theirs_params = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[pname].grad.numpy(), **TOL,
                                   err_msg=pname)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradcheck(name: str) -> None:
    make, _, shape = LAYERS[name]
    rng = np.random.default_rng(3)
    layer = make().double()
    _random_affine(layer, rng)
    x = ac.tensor(rng.standard_normal(shape), requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda x, *params: layer(x), [x, *layer.parameters()])


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_is_drawn_as_its_own_cluster(name: str) -> None:
    make, _, shape = LAYERS[name]
    model = nn.Sequential(make(), nn.Identity()).double()
    x = ac.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True,
                  dtype=np.float64)
    out = model(x)
    source = viz.to_dot((out * out).sum(), params={"x": x}).source
    kind = type(model[0]).__name__
    found = clusters_with_ops(source)
    if kind == "Identity":  # creates no node, so there is nothing to draw: the input itself
        assert model[0](x) is x
        return
    assert f"0: {kind}" in found, list(found)
    assert found[f"0: {kind}"], f"no op drawn inside the {kind} cluster"


# ------------------------------------------------------------- functional forms and options

def _both(*arrays: np.ndarray):
    torch = pytest.importorskip("torch")
    return ([ac.tensor(a, requires_grad=True, dtype=np.float64) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _compare(ours, theirs, ours_in, theirs_in) -> None:
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOL)
    g = np.random.default_rng(5).standard_normal(ours.shape)
    ours.backward(ac.tensor(g))
    theirs.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL)


@pytest.mark.torch
def test_functional_activations_match_torch_including_kinks_and_tails() -> None:
    TF = pytest.importorskip("torch.nn.functional")
    arr = np.array([-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 9.99, 10.01, 40.0, 800.0])
    cases = [
        (lambda x: F.leaky_relu(x), lambda t: TF.leaky_relu(t)),
        (lambda x: F.leaky_relu(x, 1.5), lambda t: TF.leaky_relu(t, 1.5)),
        (lambda x: F.elu(x, 2.0), lambda t: TF.elu(t, 2.0)),
        (F.gelu, TF.gelu),
        (lambda x: F.gelu(x, approximate="tanh"), lambda t: TF.gelu(t, approximate="tanh")),
        (F.silu, TF.silu),
        (F.softplus, TF.softplus),
        (lambda x: F.softplus(x, beta=2.0, threshold=20.0),
         lambda t: TF.softplus(t, beta=2.0, threshold=20.0)),
    ]
    for ours_fn, theirs_fn in cases:
        (x,), (tx,) = _both(arr)
        _compare(ours_fn(x), theirs_fn(tx), (x,), (tx,))


@pytest.mark.torch
@pytest.mark.parametrize("kw", [
    dict(weight=True), dict(ignore_index=2), dict(label_smoothing=0.25),
    dict(weight=True, ignore_index=0, label_smoothing=0.1),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_options_match_torch(kw: dict, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    TF = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(2)
    target = np.array([0, 2, 1, 2, 3, 0])
    (z,), (tz,) = _both(rng.standard_normal((6, 4)) * 3)
    w = rng.random(4) + 0.5
    ours_kw = {**kw, "weight": w} if "weight" in kw else kw
    theirs_kw = {**kw, "weight": torch.tensor(w)} if "weight" in kw else kw
    ours = F.cross_entropy(z, target, reduction, **ours_kw)
    theirs = TF.cross_entropy(tz, torch.tensor(target), reduction=reduction, **theirs_kw)
    _compare(ours, theirs, (z,), (tz,))


@pytest.mark.torch
@pytest.mark.parametrize("kw", [{}, dict(weight=True), dict(label_smoothing=0.3, weight=True)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_match_torch(kw: dict, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    TF = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(4)
    p = rng.random((5, 3))
    p /= p.sum(axis=1, keepdims=True)
    (z,), (tz,) = _both(rng.standard_normal((5, 3)))
    w = rng.random(3) + 0.5
    ours_kw = {**kw, "weight": w} if "weight" in kw else kw
    theirs_kw = {**kw, "weight": torch.tensor(w)} if "weight" in kw else kw
    _compare(F.cross_entropy(z, p, reduction, **ours_kw),
             TF.cross_entropy(tz, torch.tensor(p), reduction=reduction, **theirs_kw),
             (z,), (tz,))


def test_cross_entropy_loss_module_keeps_weight_as_a_buffer() -> None:
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), ignore_index=1,
                               label_smoothing=0.1)
    assert list(loss.state_dict()) == ["weight"]
    assert "ignore_index=1" in repr(loss)
    z = ac.tensor(np.zeros((3, 3)))
    # uniform rows: −log p = log 3 for every class. Rows 0 and 2 count (weights 1 and 0.5):
    # (1 − ε)·(1 + 0.5)·log 3 / 1.5, plus ε/C·(Σ_c w_c = 3.5)·log 3 per counted row / 1.5
    expected = 0.9 * np.log(3) + 0.1 / 3 * 3.5 * 2 * np.log(3) / 1.5
    assert loss(z, np.array([0, 1, 2])).item() == pytest.approx(expected, rel=1e-12)
    with pytest.raises(TypeError, match="reduction='sum'"):
        nn.CrossEntropyLoss("sum")


@pytest.mark.torch
@pytest.mark.parametrize("shape, kernel, stride, padding, ceil", [
    ((2, 3, 6, 7), 2, None, 0, False), ((1, 2, 7, 7), 3, 2, 1, True),
    ((2, 1, 5, 8), (2, 3), (1, 2), (1, 1), False),
])
def test_max_pool_indices_and_unpool_match_torch(shape, kernel, stride, padding, ceil) -> None:
    pytest.importorskip("torch")
    TF = pytest.importorskip("torch.nn.functional")
    (x,), (tx,) = _both(np.random.default_rng(6).standard_normal(shape))
    y, idx = F.max_pool2d(x, kernel, stride, padding, ceil_mode=ceil, return_indices=True)
    ty, tidx = TF.max_pool2d(tx, kernel, stride, padding, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype == np.int64
    size = shape[-2:]
    unpool = nn.MaxUnpool2d(kernel, stride, padding)
    u = unpool(y, idx, output_size=size)
    tu = TF.max_unpool2d(ty, tidx, kernel, stride, padding, output_size=size)
    if stride is None:
        _compare(u, tu, (x,), (tx,))
    else:  # overlapping windows: equal values, but PyTorch's backward is not the adjoint
        np.testing.assert_allclose(u.numpy(), tu.detach().numpy(), **TOL)
        assert gradcheck(lambda x: nn.MaxUnpool2d(kernel, stride, padding)(
            *F.max_pool2d(x, kernel, stride, padding, ceil_mode=ceil, return_indices=True),
            output_size=size), [x.detach().requires_grad_()])
    with pytest.raises(ValueError, match="out of range"):
        F.max_unpool2d(y, idx.numpy() + 1000, kernel, stride, padding)


@pytest.mark.torch
def test_adaptive_max_pool_indices_match_torch() -> None:
    torch = pytest.importorskip("torch")
    TF = pytest.importorskip("torch.nn.functional")
    arr = np.random.default_rng(8).standard_normal((2, 3, 7, 10))
    _, idx = F.adaptive_max_pool2d(arr, (3, 4), return_indices=True)
    _, tidx = TF.adaptive_max_pool2d(torch.tensor(arr), (3, 4), return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.torch
def test_tensor_std_and_flatten_match_torch() -> None:
    torch = pytest.importorskip("torch")
    arr = np.random.default_rng(9).standard_normal((3, 4, 5))
    for axis, ddof in ((None, 0), (1, 1), ((0, 2), 0)):
        (x,), (tx,) = _both(arr)
        dim = axis if axis is not None else None
        _compare(x.std(axis=axis, ddof=ddof), tx.std(dim=dim, correction=ddof), (x,), (tx,))
    x = ac.tensor(arr)
    assert x.flatten(1, 2).shape == torch.tensor(arr).flatten(1, 2).shape == (3, 20)
    assert F.flatten(x, 0, 1).shape == (12, 5)
    with pytest.raises(ValueError, match="start_axis 2 comes after end_axis 1"):
        x.flatten(2, 1)


# ---------------------------------------------------------------- symbolic, on small cases

SYMBOLIC = {
    "conv2d_groups": (lambda x, w: F.conv2d(x, w, groups=2), [(1, 2, 2, 2), (2, 1, 2, 1)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, padding=1), [(1, 1, 3), (1, 1, 2), (1,)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1,
                                                         output_padding=1),
                         [(1, 1, 2, 2), (1, 1, 2, 2)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 2)), [(1, 1, 3, 3)]),
    "avg_pool_exclude_pad": (lambda x: F.avg_pool2d(x, 2, 1, 1, ceil_mode=True,
                                                    count_include_pad=False),
                             [(1, 1, 2, 2)]),
    "max_unpool2d": (lambda x: F.max_unpool2d(x, np.array([[[[0, 3], [9, 14]]]]), 2),
                     [(1, 1, 2, 2)]),
    "conv_transpose2d_dilation_groups": (
        lambda x, w: F.conv_transpose2d(x, w, output_padding=1, groups=2, dilation=2),
        [(1, 2, 2, 2), (2, 1, 2, 1)]),
    "max_pool_dilation_ceil": (lambda x: F.max_pool2d(x, 2, 1, dilation=2, ceil_mode=True),
                               [(1, 1, 4, 4)]),
    "softplus": (lambda x: F.softplus(x, beta=2.0, threshold=1.0), [(2,)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.5), [(3,)]),
    "elu": (lambda x: F.elu(x), [(2,)]),
    "gelu": (lambda x: F.gelu(x), [(2,)]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [(2,)]),
    "silu": (lambda x: F.silu(x), [(2,)]),
    "layer_norm": (lambda x, g, b: F.layer_norm(x, 3, g, b), [(1, 3), (3,), (3,)]),
    "group_norm": (lambda x, g: F.group_norm(x, 2, g), [(1, 4), (4,)]),
    "cross_entropy_options": (lambda z: F.cross_entropy(z, np.array([0, 2, 1]),
                                                        weight=np.array([1.0, 2.0, 3.0]),
                                                        ignore_index=1, label_smoothing=0.5),
                              [(3, 3)]),
    "cross_entropy_probabilities": (lambda z: F.cross_entropy(
        z, np.array([[0.25, 0.75], [1.0, 0.0]])), [(2, 2)]),
    "std": (lambda x: x.std(axis=1, ddof=1), [(2, 3)]),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_block_gradient_equals_sympy_diff(name: str) -> None:
    fn, shapes = SYMBOLIC[name]
    report = symbolic.verify(fn, *shapes)
    assert report, str(report)


def test_adaptive_max_pool_verified_at_an_exact_point() -> None:
    report = symbolic.verify(lambda x: F.adaptive_max_pool2d(x, 2), (1, 1, 3, 3))
    assert report, str(report)


# ---------------------------------------------------------------------------- bad input

def test_groups_that_do_not_divide_the_channels_name_both_counts() -> None:
    with pytest.raises(ValueError, match=r"groups=2 must divide the input channels, but "
                       r"input \[1, 3, 4, 4\] has 3 channels"):
        F.conv2d(ac.zeros(1, 3, 4, 4), ac.zeros(4, 1, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"groups=3 must divide out_channels=4"):
        nn.Conv2d(3, 4, 3, groups=3)
    with pytest.raises(ValueError, match=r"groups=2 must divide in_channels=3"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"num_groups=4 must divide num_channels=6"):
        nn.GroupNorm(4, 6)


def test_output_padding_not_smaller_than_stride_or_dilation_is_refused_with_the_rule() -> None:
    rule = r"output_padding must be smaller than either stride or dilation"
    with pytest.raises(ValueError, match=rule + r", got output_padding=\(2, 2\), stride=\(2, 2\)"):
        nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=rule):
        F.conv_transpose2d(ac.zeros(1, 1, 3, 3), ac.zeros(1, 1, 3, 3), output_padding=1)
    # allowed: smaller than the dilation although not than the stride (as PyTorch)
    y = F.conv_transpose2d(ac.zeros(1, 1, 3, 3), ac.zeros(1, 1, 3, 3), output_padding=1,
                           dilation=2)
    assert y.shape == (1, 1, 8, 8)


def test_other_bad_options_are_named() -> None:
    with pytest.raises(ValueError, match="gelu: 'approximate' must be 'none' or 'tanh'"):
        F.gelu(ac.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \[5\] must equal"):
        F.layer_norm(ac.zeros(2, 4), 5)
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(ac.zeros(2, 3), [0, 1], label_smoothing=1.5)
    with pytest.raises(TypeError, match="pass class weights by name"):
        F.cross_entropy(ac.zeros(2, 3), [0, 1], np.ones(3))
    with pytest.raises(ValueError, match="ignore_index' applies to class-index targets"):
        F.cross_entropy(ac.zeros(2, 3), np.ones((2, 3)) / 3, ignore_index=0)
    with pytest.raises(ValueError, match="output_size"):
        nn.AdaptiveAvgPool2d(0)


@pytest.mark.parametrize("fn, shapes", [
    (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
     [(1, 2, 3, 3), (2, 1, 3, 3)]),
    (lambda x, w: F.conv2d(x, w, groups=2, padding=1), [(1, 4, 4, 4), (2, 2, 3, 3)]),
    (lambda x: F.group_norm(x, 2), [(2, 4, 3)]),
    (lambda x: F.gelu(x) + F.elu(x) + F.softplus(x, 2.0) + F.silu(x), [(5,)]),
    (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(1, 2, 5, 7)]),
])
def test_blocks_are_twice_differentiable(fn, shapes) -> None:
    from autocnn.autograd import gradgradcheck

    rng = np.random.default_rng(11)
    inputs = [ac.tensor(rng.standard_normal(s), requires_grad=True, dtype=np.float64)
              for s in shapes]
    assert gradgradcheck(fn, inputs)
