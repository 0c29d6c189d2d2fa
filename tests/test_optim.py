"""Optimisers: updates against NumPy by hand and against torch.optim, groups, state, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn, optim

STEPS = 4


def _grads(rng: np.random.Generator, shape: tuple[int, ...]) -> list[np.ndarray]:
    return [rng.standard_normal(shape) for _ in range(STEPS)]


def _run(opt_factory, start: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    """Apply the optimiser with the given gradient sequence; return the final values."""
    p = nn.Parameter(start.copy())
    opt = opt_factory([p])
    for g in grads:
        p.grad = ac.tensor(g)
        opt.step()
    return p.numpy()


# ---------------------------------------------------------------- SGD by hand
@pytest.mark.parametrize("momentum, nesterov, wd", [
    (0.0, False, 0.0), (0.9, False, 0.0), (0.9, True, 0.0), (0.5, False, 0.1),
    (0.8, True, 0.05), (0.0, False, 0.2),
])
def test_sgd_steps_match_the_update_formula_by_hand(momentum, nesterov, wd):
    rng = np.random.default_rng(0)
    start = rng.standard_normal((3, 2))
    grads = _grads(rng, (3, 2))
    lr = 0.1
    p, buf = start.copy(), None
    for g in grads:
        d = g + wd * p
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
    got = _run(lambda ps: optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=wd,
                                     nesterov=nesterov), start, grads)
    np.testing.assert_allclose(got, p, rtol=1e-13)


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam_steps_match_the_update_formula_by_hand(wd):
    rng = np.random.default_rng(1)
    start = rng.standard_normal(5)
    grads = _grads(rng, (5,))
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    p, m, v = start.copy(), np.zeros(5), np.zeros(5)
    for t, g in enumerate(grads, start=1):
        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    got = _run(lambda ps: optim.Adam(ps, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd),
               start, grads)
    np.testing.assert_allclose(got, p, rtol=1e-12)


def test_adam_first_step_moves_each_entry_by_about_lr():
    # m̂ = g and v̂ = g² after one step, so the update is lr·g/(|g| + ε) ≈ lr·sign(g)
    got = _run(lambda ps: optim.Adam(ps, lr=0.01), np.zeros(3),
               [np.array([5.0, -0.1, 1e3])])
    np.testing.assert_allclose(got, [-0.01, 0.01, -0.01], rtol=1e-5)


# ---------------------------------------------------------------- vs torch.optim
@pytest.mark.torch
@pytest.mark.parametrize("kind, kwargs", [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-4, "weight_decay": 0.1}),
])
def test_optimiser_steps_match_torch_optim(kind, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    start = rng.standard_normal((4, 3))
    grads = _grads(rng, (4, 3))
    got = _run(lambda ps: getattr(optim, kind)(ps, **kwargs), start, grads)
    tp = torch.nn.Parameter(torch.from_numpy(start.copy()))
    topt = getattr(torch.optim, kind)([tp], **kwargs)
    for g in grads:
        tp.grad = torch.from_numpy(g)
        topt.step()
    np.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.torch
def test_training_a_model_with_adam_matches_torch_step_by_step():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                               torch.nn.Linear(4, 2)).double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    opt, topt = optim.Adam(model.parameters(), lr=0.05), torch.optim.Adam(twin.parameters(),
                                                                           lr=0.05)
    x = np.random.default_rng(3).standard_normal((8, 3))
    y = np.arange(8) % 2
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(model(ac.tensor(x)), y).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)),
                                          torch.from_numpy(y)).backward()
        topt.step()
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key], value.numpy(), rtol=1e-10,
                                   err_msg=key)


# ---------------------------------------------------------------- behaviour
def test_step_changes_data_in_place_keeping_the_parameter_object():
    lin = nn.Linear(2, 2)
    weight, array = lin.weight, lin.weight.data
    lin(ac.randn(3, 2)).sum().backward()
    optim.SGD(lin.parameters(), lr=0.1).step()
    assert lin.weight is weight and lin.weight.data is array


def test_step_skips_parameters_without_gradient():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = ac.tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(a.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])


def test_step_between_forward_and_backward_raises_naming_the_op():
    lin = nn.Linear(2, 2)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    lin(ac.randn(3, 2)).sum().backward()
    loss = lin(ac.randn(3, 2)).sum()
    opt.step()  # changes the weight that the new graph saved
    with pytest.raises(RuntimeError, match=r"MatMul: .* modified in place after it was saved"):
        loss.backward()


def test_zero_grad_sets_grads_to_none():
    lin = nn.Linear(2, 2)
    opt = optim.Adam(lin.parameters())
    lin(ac.randn(1, 2)).sum().backward()
    opt.zero_grad()
    assert all(p.grad is None for p in lin.parameters())


def test_param_groups_use_their_own_learning_rates():
    a, b = nn.Parameter(np.ones(1)), nn.Parameter(np.ones(1))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = ac.tensor(np.ones(1))
    b.grad = ac.tensor(np.ones(1))
    opt.step()
    np.testing.assert_allclose(a.numpy(), [0.9])
    np.testing.assert_allclose(b.numpy(), [0.5])
    assert opt.param_groups[1]["momentum"] == 0.0  # defaults filled in


def test_closure_is_evaluated_and_its_loss_returned():
    p = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(p.numpy(), [1.0])  # 2 − 0.25 · 2·2


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(4)
    grads = _grads(rng, (3,))
    p1 = nn.Parameter(np.zeros(3))
    opt1 = optim.Adam([p1], lr=0.1)
    for g in grads[:2]:
        p1.grad = ac.tensor(g)
        opt1.step()
    p2 = nn.Parameter(p1.numpy().copy())
    opt2 = optim.Adam([p2], lr=0.5)
    opt2.load_state_dict(opt1.state_dict())
    assert opt2.param_groups[0]["lr"] == 0.1
    for g in grads[2:]:
        for p, opt in ((p1, opt1), (p2, opt2)):
            p.grad = ac.tensor(g)
            opt.step()
    np.testing.assert_array_equal(p1.numpy(), p2.numpy())


def test_state_dict_holds_copies():
    p = nn.Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = ac.tensor(np.ones(2))
    opt.step()
    state = opt.state_dict()
    state["state"][0]["momentum_buffer"][:] = 99
    assert opt.state[id(p)]["momentum_buffer"][0] == 1.0
    assert state["param_groups"][0]["params"] == [0]


def test_optimiser_repr_lists_group_settings():
    text = repr(optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1" in text


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-0.1), r"SGD: invalid lr -0.1 \(must be a number >= 0\)"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "SGD: invalid momentum -1"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "SGD: invalid weight_decay -1"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
    (lambda p: optim.Adam(p, lr=-1), "Adam: invalid lr -1"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), r"Adam: invalid beta1 \(betas\[0\]\) 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"Adam: invalid beta2 \(betas\[1\]\) -0.1"),
    (lambda p: optim.Adam(p, betas=0.9), r"Adam: betas must be a pair"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Adam: invalid eps"),
    (lambda p: optim.Adam(p, weight_decay=-1), "Adam: invalid weight_decay"),
])
def test_invalid_settings_raise_naming_optimiser_and_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make([nn.Parameter(np.zeros(1))])


def test_invalid_params_raise_clear_errors():
    p = nn.Parameter(np.zeros(1))
    with pytest.raises(TypeError, match="got a single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([ac.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="must be a Tensor, got int"):
        optim.SGD([1, 2], lr=0.1)
    with pytest.raises(TypeError, match="must be an iterable"):
        optim.SGD(3, lr=0.1)


# ------------------------------------------------ optimiser state through ac.save / ac.load
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_optimizer_state_goes_through_save_and_load_bit_for_bit(kind: str, tmp_path) -> None:
    ac.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = (optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True) if kind == "sgd"
           else optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99)))
    for _ in range(3):
        opt.zero_grad()
        (model(ac.randn(5, 4)) ** 2).sum().backward()
        opt.step()
    ac.save(opt.state_dict(), tmp_path / "opt.npz")
    flat = ac.load(tmp_path / "opt.npz")
    assert "param_groups.0.lr" in flat and any(k.startswith("state.0.") for k in flat)
    twin = (optim.SGD(model.parameters(), lr=1.0, momentum=0.5, nesterov=True) if kind == "sgd"
            else optim.Adam(model.parameters(), lr=1.0))
    twin.load_state_dict(flat)
    a, b = opt.state_dict(), twin.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for index, entry in a["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(b["state"][index][key], value)
            assert type(b["state"][index][key]) is type(value)


def test_flat_state_keys_follow_the_documented_scheme() -> None:
    from autocnn.optim.optimizer import flatten_state_dict, unflatten_state_dict

    model = nn.Linear(2, 1)
    opt = optim.Adam(model.parameters())
    flat = flatten_state_dict(opt.state_dict())
    assert list(flat) == ["param_groups.0.lr", "param_groups.0.betas", "param_groups.0.eps",
                          "param_groups.0.weight_decay", "param_groups.0.params"]
    assert unflatten_state_dict(flat)["param_groups"][0]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match=r"not state\.<index>\.<name>"):
        unflatten_state_dict({"lr": np.array(1.0)})
