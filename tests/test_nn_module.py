"""nn.Module: registration, traversal, modes, grads, state dicts, repr, scope tagging."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn
from autocnn.autograd import graph_order


class Affine(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(np.ones(n))
        self.register_buffer("calls", ac.zeros(1, dtype=np.float64))
        self.note = "plain attribute"

    def forward(self, x):
        return x * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.head = Affine(4)

    def forward(self, x):
        return self.head(self.features(x))


# ---------------------------------------------------------------- registration
def test_parameters_buffers_and_modules_register_on_assignment():
    m = Affine(2)
    assert list(m._parameters) == ["scale"]
    assert list(m._buffers) == ["calls"]
    assert "note" not in m._parameters and m.note == "plain attribute"
    sub = Affine(2)
    m.inner = sub
    assert m._modules["inner"] is sub and m.inner is sub


def test_named_parameters_use_dotted_paths_in_registration_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["features.0.weight", "features.0.bias", "head.scale"]


def test_named_buffers_and_named_modules_paths():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["head.calls"]
    assert [n for n, _ in net.named_modules()] == [
        "", "features", "features.0", "features.1", "head"]
    assert [n for n, _ in net.named_children()] == ["features", "head"]
    assert len(list(net.children())) == 2 and len(list(net.modules())) == 5


def test_shared_parameter_is_listed_once_but_kept_under_both_state_keys():
    a = nn.Linear(2, 2)
    b = nn.Linear(2, 2)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    assert len(list(seq.parameters())) == 3
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_parameter_cannot_be_replaced_by_a_plain_tensor():
    m = Affine(2)
    with pytest.raises(TypeError, match="parameter 'scale'"):
        m.scale = ac.ones(2)
    m.scale = None
    assert m.scale is None and list(m.parameters()) == []


def test_buffer_assignment_must_be_a_tensor():
    m = Affine(2)
    with pytest.raises(TypeError, match="buffer 'calls'"):
        m.calls = [1.0]
    m.calls = ac.ones(1)
    assert np.array_equal(m.calls.numpy(), [1.0])


def test_assignment_before_super_init_explains_the_fix():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(1))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_register_buffer_rejects_bad_names_and_values():
    m = nn.Module()
    with pytest.raises(ValueError, match=r"without '\.'"):
        m.register_buffer("a.b", ac.zeros(1))
    with pytest.raises(TypeError, match="must be a Tensor"):
        m.register_buffer("a", np.zeros(1))
    m.register_buffer("a", ac.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("a", nn.Parameter(np.zeros(1)))


def test_deleting_a_registered_attribute_unregisters_it():
    m = Affine(2)
    del m.scale
    assert list(m.parameters()) == []
    with pytest.raises(AttributeError, match="scale"):
        _ = m.scale


def test_missing_attribute_error_names_the_class():
    with pytest.raises(AttributeError, match="'Affine' object has no attribute 'nope'"):
        _ = Affine(1).nope


def test_forward_not_defined_raises_with_class_name():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(ac.ones(1))


# ---------------------------------------------------------------- deep trees
def _chain(depth: int) -> nn.Module:
    root = nn.Module()
    node = root
    for _ in range(depth):
        child = nn.Module()
        child.w = nn.Parameter(np.zeros(1))
        node.next = child
        node = child
    return root


def test_traversals_work_on_a_10000_deep_chain_of_modules():
    root = _chain(10_000)
    assert sum(1 for _ in root.modules()) == 10_001
    names = [n for n, _ in root.named_parameters()]
    assert len(names) == 10_000 and names[1] == "next.next.w"
    assert len(root.state_dict()) == 10_000
    root.eval()
    assert not any(m.training for m in root.modules())
    root.zero_grad()
    text = repr(root)
    assert "nested modules" in text and len(text) < 10_000


def test_a_module_containing_itself_is_reported_as_a_cycle():
    a = nn.Module()
    b = nn.Module()
    a.b = b
    b.a = a
    # issue 11: every walk of the tree names the cycle (listing each module once hid it)
    for walk in (lambda: list(a.named_modules()), a.state_dict, lambda: repr(a), a.summary):
        with pytest.raises(ValueError, match="cycle"):
            walk()


# ---------------------------------------------------------------- modes and grads
def test_train_and_eval_set_every_module_and_return_self():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    with pytest.raises(TypeError, match="mode must be a bool"):
        net.train("no")


def test_eval_switches_batchnorm_to_running_statistics_and_dropout_off():
    model = nn.Sequential(nn.BatchNorm1d(3), nn.Dropout(0.5))
    x = ac.randn(8, 3, dtype=np.float64) * 3 + 5
    y_train = model(x).numpy()
    assert (y_train == 0).any()  # dropout zeroed entries in training
    model.eval()
    bn = model[0]
    expected = ((x.numpy() - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy()
                                                                 + bn.eps))
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-6)


def test_zero_grad_sets_every_gradient_to_none():
    net = Net()
    net(ac.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_without_set_to_none_fills_zeros():
    lin = nn.Linear(2, 2)
    lin(ac.randn(1, 2)).sum().backward()
    lin.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad.numpy(), np.zeros(p.shape)) for p in lin.parameters())


def test_requires_grad_false_freezes_parameters():
    lin = nn.Linear(2, 2).requires_grad_(False)
    assert lin(ac.randn(1, 2)).grad_fn is None
    assert lin.num_parameters(trainable_only=True) == 0 and lin.num_parameters() == 6


def test_to_float64_converts_parameters_and_buffers_in_place():
    bn = nn.BatchNorm2d(2)
    weight = bn.weight
    bn.double()
    assert bn.weight is weight and weight.dtype == np.float64
    assert bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64


def test_module_gradients_match_finite_differences_in_float64():
    net = Net().double()
    x = ac.randn(3, 3, dtype=np.float64)
    params = list(net.parameters())

    def run(w, b, s):
        return F.linear(x, w, b).relu() * s

    assert ac.autograd.gradcheck(run, params)
    np.testing.assert_allclose(net(x).numpy(), run(*params).numpy())


# ---------------------------------------------------------------- state dicts
def test_state_dict_holds_copies_with_buffers_included():
    bn = nn.BatchNorm2d(3)
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var",
                           "num_batches_tracked"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["weight"][0] = 42.0
    assert bn.weight.numpy()[0] == 1.0


def test_load_state_dict_copies_values_in_place_and_bumps_versions():
    src, dst = Net(), Net()
    weight = dst.features[0].weight
    version = weight._version_box()[0]
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert dst.features[0].weight is weight and weight._version == version + 1
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_load_state_dict_casts_to_the_parameter_dtype():
    lin = nn.Linear(2, 1)
    lin.load_state_dict({"weight": np.array([[1.5, 2.5]]), "bias": [0.5]})
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.numpy(), [[1.5, 2.5]])


def test_load_state_dict_strict_names_every_missing_unexpected_and_misshaped_key():
    net = Net()
    state = net.state_dict()
    del state["head.scale"]
    del state["head.calls"]
    state["extra.weight"] = np.zeros((2, 5))
    state["features.0.weight"] = np.zeros((5, 3))
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict(state)
    msg = str(info.value)
    for part in ("'head.scale' [4]", "'head.calls' [1]", "'extra.weight' [2, 5]",
                 "size mismatch for 'features.0.weight': expected shape [4, 3], got [5, 3]"):
        assert part in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)


def test_load_state_dict_failure_changes_nothing():
    lin = nn.Linear(2, 2)
    before = lin.state_dict()
    with pytest.raises(ValueError, match="size mismatch for 'bias'"):
        lin.load_state_dict({"weight": np.zeros((2, 2)), "bias": np.zeros(3)})
    np.testing.assert_array_equal(lin.weight.numpy(), before["weight"])


def test_load_state_dict_non_strict_returns_missing_and_unexpected_keys():
    lin = nn.Linear(2, 2)
    result = lin.load_state_dict({"weight": np.ones((2, 2)), "other": np.ones(1)},
                                 strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(lin.weight.numpy(), np.ones((2, 2)))


def test_load_state_dict_non_strict_still_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="size mismatch for 'weight'"):
        nn.Linear(2, 2).load_state_dict({"weight": np.ones((3, 2))}, strict=False)


def test_load_state_dict_rejects_non_numeric_values():
    with pytest.raises(ValueError, match="'bias': expected a numeric array"):
        nn.Linear(2, 2).load_state_dict({"weight": np.ones((2, 2)), "bias": ["a", "b"]})
    with pytest.raises(TypeError, match="expected a mapping"):
        nn.Linear(2, 2).load_state_dict([("weight", np.ones((2, 2)))])


# ---------------------------------------------------------------- printing
def test_repr_nests_children_like_pytorch():
    text = repr(Net())
    assert text == (
        "Net(\n"
        "  (features): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        "  (head): Affine(\n"
        "    (scale): Parameter(shape=(4,), dtype=float64)\n"
        "  )\n"
        ")"
    )


def test_summary_lists_parameter_shapes_and_total():
    text = Net().summary()
    assert "features.0" in text and "weight (4, 3), bias (4,)" in text
    assert text.splitlines()[-1] == "total: 20 parameters (20 trainable)"
    assert Net().num_parameters() == 4 * 3 + 4 + 4


# ---------------------------------------------------------------- scope tagging
def test_call_tags_nodes_with_the_modules_that_made_them():
    net = Net()
    x = ac.randn(2, 3)
    out = net(x)
    scopes = {tuple(type(m).__name__ for m in node.scope) for node in graph_order([out.grad_fn])}
    assert ("Net", "Sequential", "Linear") in scopes
    assert ("Net", "Sequential", "ReLU") in scopes
    assert ("Net", "Affine") in scopes
    assert all(node.scope for node in graph_order([out.grad_fn]))


def test_call_does_not_tag_nodes_made_before_the_module():
    lin = nn.Linear(3, 3)
    x = ac.randn(2, 3, requires_grad=True) * 2  # a node made outside any module
    before = x.grad_fn
    lin(x)
    assert before.scope is None


def test_no_graph_no_tagging_under_no_grad():
    with ac.no_grad():
        out = Net()(ac.randn(2, 3))
    assert out.grad_fn is None


# ---------------------------------------------------------------- memory
def test_training_step_leaves_no_reference_cycles():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    opt = ac.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = ac.randn(4, 1, 8, 8)
    gc.collect()
    gc.disable()
    try:
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), np.array([0, 1, 2, 0]))
            loss.backward()
            opt.step()
        del loss
        model.zero_grad()
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_deepcopy_gives_an_independent_model_with_the_same_values():
    import copy

    net = Net()
    twin = copy.deepcopy(net)
    assert type(twin.head.scale) is nn.Parameter and twin.head.scale is not net.head.scale
    for (k, a), (_, b) in zip(net.state_dict().items(), twin.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    twin.features[0].weight.data[...] = 0
    assert np.abs(net.features[0].weight.numpy()).sum() > 0
