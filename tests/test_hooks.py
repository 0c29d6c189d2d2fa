"""Hooks against PyTorch: the values each hook sees, the order of calls, replacement by the
return value, removal, hooks under create_graph, and module hooks inside a Sequential."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autocnn as ac
from autocnn import nn
from autocnn.autograd import grad, hooks

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:Full backward hook is firing")]


def _pair(arr: np.ndarray):
    """The same float64 leaf in both libraries."""
    return ac.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)


def _close(a, b) -> None:
    a = a.data if isinstance(a, ac.Tensor) else a
    np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------- retain_grad
def test_retain_grad_fills_a_hidden_gradient_like_pytorch_and_accumulates():
    rng = np.random.default_rng(0)
    x, tx = _pair(rng.standard_normal((3, 4)))
    w, tw = _pair(rng.standard_normal((4, 2)))
    h, th = (x @ w).tanh(), (tx @ tw).tanh()
    h.retain_grad()
    th.retain_grad()
    assert h.retains_grad and th.retains_grad and not x.retains_grad
    for _ in range(2):  # a second backward accumulates, as for leaves
        (h * h).sum().backward(retain_graph=True)
        (th * th).sum().backward(retain_graph=True)
        _close(h.grad, th.grad)
    _close(x.grad, tx.grad)


def test_reading_grad_of_a_non_leaf_warns_and_names_retain_grad():
    x = ac.tensor(np.ones(2), requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match=r"retain_grad\(\)"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None  # a leaf: no warning
        y.retain_grad()
        assert y.grad is None  # retained but not computed yet: no warning


def test_retain_grad_and_register_hook_refuse_tensors_without_grad():
    t = ac.ones(2)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        t.retain_grad()
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        t.register_hook(lambda g: g)


# ---------------------------------------------------------------------- tensor hooks
def _hooked_graph(lib, x, w, seen, replace):
    """y = tanh(x·w) used twice; hooks on x (leaf), y (non-leaf) and the loss."""
    y = (x * w).tanh()
    z = y * 3 + y * y
    for name, t in (("x", x), ("y", y), ("z", z)):
        def hook(g, name=name):
            seen.append((name, g.detach().numpy().copy() if lib is torch else g.data.copy()))
            return g * 0.5 if name in replace else None

        t.register_hook(hook)
    z.sum().backward()
    return y


@pytest.mark.parametrize("replace", [(), ("y",), ("x", "z")])
def test_tensor_hooks_see_the_same_values_in_the_same_order_as_pytorch(replace):
    rng = np.random.default_rng(1)
    xa = rng.standard_normal(5)
    wa = rng.standard_normal(5)
    (x, tx), (w, tw) = _pair(xa), _pair(wa)
    seen, tseen = [], []
    _hooked_graph(ac, x, w, seen, replace)
    _hooked_graph(torch, tx, tw, tseen, replace)
    assert [n for n, _ in seen] == [n for n, _ in tseen] == ["z", "y", "x"]
    for (_, a), (_, b) in zip(seen, tseen):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    _close(x.grad, tx.grad)  # the replaced gradients flowed on
    _close(w.grad, tw.grad)


def test_a_leaf_hook_runs_once_on_the_sum_of_all_its_uses():
    x, tx = _pair(np.array([1.0, 2.0]))
    calls, tcalls = [], []
    x.register_hook(lambda g: calls.append(g.data.copy()))
    tx.register_hook(lambda g: tcalls.append(g.numpy().copy()))
    (x * 2 + x * x).sum().backward()
    (tx * 2 + tx * tx).sum().backward()
    assert len(calls) == len(tcalls) == 1
    np.testing.assert_allclose(calls[0], tcalls[0])


def test_several_hooks_chain_in_registration_order_and_retained_grad_sees_the_result():
    for lib in (ac, torch):
        x = lib.tensor(np.ones(3), requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g + 1)
        y.register_hook(lambda g: g * 10)
        (y * 3).sum().backward()
        got = y.grad.data if lib is ac else y.grad.numpy()
        np.testing.assert_allclose(got, [40.0, 40.0, 40.0])  # (3 + 1) · 10, as PyTorch


def test_removed_hooks_are_not_called_and_cost_nothing_afterwards():
    x = ac.tensor(np.ones(2), requires_grad=True)
    before = hooks.state.count
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    assert hooks.state.count == before + 1
    handle.remove()
    handle.remove()  # twice is harmless
    assert hooks.state.count == before
    (x * 2).sum().backward()
    assert calls == []
    with x.register_hook(lambda g: calls.append(2)):
        (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert calls == [2]


def test_hooks_on_forgotten_tensors_stop_counting():
    before = hooks.state.count
    y = ac.tensor(np.ones(2), requires_grad=True) * 2
    y.register_hook(lambda g: None)
    y.retain_grad()
    assert hooks.state.count == before + 2
    del y
    assert hooks.state.count == before


def test_a_hook_returning_a_wrong_shape_names_the_hook():
    x = ac.tensor(np.ones(3), requires_grad=True)
    y = x * 2

    def shrink(g):
        return g[:2]

    y.register_hook(shrink)
    with pytest.raises(RuntimeError, match="shrink"):
        y.sum().backward()


def test_hooks_under_create_graph_get_differentiable_gradients_like_pytorch():
    xa = np.array([0.3, -0.7, 1.1])
    results = []
    for lib in (ac, torch):
        x = lib.tensor(xa, requires_grad=True)
        y = x * x * x
        y.register_hook(lambda g: g * g)  # replaces dL/dy = 1 by 1 (still differentiable)
        x.register_hook(lambda g, x=x: g * x)  # a replacement that depends on x
        (gx,) = (grad if lib is ac else torch.autograd.grad)((y.sum(),), (x,), create_graph=True)
        (ggx,) = (grad if lib is ac else torch.autograd.grad)((gx.sum(),), (x,))
        results.append([gx, ggx])
    for a, b in zip(*results):
        _close(a, b)


def test_grad_sees_hooked_gradients_and_fills_retained_grad_like_pytorch():
    out = []
    for lib in (ac, torch):
        a = lib.tensor(np.ones(2), requires_grad=True)
        b = a * 2
        b.register_hook(lambda g: g * 100)
        b.retain_grad()
        (ga,) = (grad if lib is ac else torch.autograd.grad)(((b * 3).sum(),), (a,))
        out.append((ga, b.grad))
    _close(out[0][0], out[1][0])
    _close(out[0][1], out[1][1])


# ---------------------------------------------------------------------- module hooks
def _twin_models():
    """The same Linear → Tanh → Linear in both libraries."""
    ac.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(),
                                 torch.nn.Linear(3, 2)).double()
    with torch.no_grad():
        for name, p in tmodel.named_parameters():
            p.copy_(torch.tensor(model.state_dict()[name]))
    return model, tmodel


def _as_np(v):
    if v is None:
        return None
    return v.data if isinstance(v, ac.Tensor) else v.detach().numpy()


def _record(model, log, replace_output=None, replace_grad_input=None):
    handles = []
    for i, layer in enumerate(model):
        def pre(m, args, i=i):
            log.append(("pre", i, _as_np(args[0]).copy()))

        def fwd(m, args, out, i=i):
            log.append(("fwd", i, _as_np(out).copy()))
            return out * 2 if i == replace_output else None

        def bwd(m, grad_input, grad_output, i=i):
            log.append(("bwd", i, [None if g is None else _as_np(g).copy() for g in grad_input],
                        [_as_np(g).copy() for g in grad_output]))
            if i == replace_grad_input:
                return tuple(g * -1 for g in grad_input)
            return None

        handles += [layer.register_forward_pre_hook(pre), layer.register_forward_hook(fwd),
                    layer.register_full_backward_hook(bwd)]
    return handles


def _compare_logs(log, tlog):
    assert [entry[:2] for entry in log] == [entry[:2] for entry in tlog]
    for a, b in zip(log, tlog):
        for va, vb in zip(a[2:], b[2:]):
            if isinstance(va, list):
                assert len(va) == len(vb)
                for ea, eb in zip(va, vb):
                    assert (ea is None) == (eb is None)
                    if ea is not None:
                        np.testing.assert_allclose(ea, eb, rtol=1e-10, atol=1e-12)
            else:
                np.testing.assert_allclose(va, vb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("input_requires_grad", [False, True])
@pytest.mark.parametrize(("replace_output", "replace_grad_input"), [(None, None), (1, 2)])
def test_module_hooks_in_a_sequential_match_pytorch(input_requires_grad, replace_output,
                                                    replace_grad_input):
    model, tmodel = _twin_models()
    xa = np.random.default_rng(2).standard_normal((5, 4))
    x = ac.tensor(xa, requires_grad=input_requires_grad)
    tx = torch.tensor(xa, requires_grad=input_requires_grad)
    log, tlog = [], []
    _record(model, log, replace_output, replace_grad_input)
    _record(tmodel, tlog, replace_output, replace_grad_input)
    out, tout = model(x), tmodel(tx)
    _close(out, tout)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    _compare_logs(log, tlog)
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        _close(p.grad, tp.grad)
    if input_requires_grad:
        _close(x.grad, tx.grad)


def test_a_forward_pre_hook_can_replace_the_arguments():
    layer = nn.Tanh()
    layer.register_forward_pre_hook(lambda m, args: args[0] * 0)  # a bare tensor is wrapped
    assert np.all(layer(ac.ones(3)).data == 0)


def test_removed_module_hooks_are_not_called():
    model, _ = _twin_models()
    log = []
    handles = _record(model, log)
    for h in handles:
        h.remove()
    model(ac.tensor(np.ones((1, 4)), requires_grad=True)).sum().backward()
    assert log == []


def test_module_hooks_keep_graph_clusters():
    model, _ = _twin_models()
    model[0].register_full_backward_hook(lambda m, gi, go: None)
    out = model(ac.tensor(np.ones((1, 4)), requires_grad=True))
    assert out.grad_fn.scope[0] is model
