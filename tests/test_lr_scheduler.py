"""Learning-rate schedules: the same rates as PyTorch's, step by step, and clear errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from autocnn import nn, optim
from autocnn.optim import lr_scheduler as ours


def _ours(kind: str = "sgd", lr: float = 0.1):
    model = nn.Linear(3, 2)
    if kind == "sgd":
        return optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return optim.Adam(model.parameters(), lr=lr)


def _torch_opt(torch, kind: str = "sgd", lr: float = 0.1):
    params = [torch.nn.Parameter(torch.zeros(2, 3))]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def _sequence(sched, opt, steps: int, key: str = "lr") -> list:
    out = []
    for _ in range(steps):
        group = opt.param_groups[0]
        out.append(group[key] if key != "beta1" else group["betas"][0])
        opt.step()
        sched.step()
    return out


CASES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, 12, "sgd"),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}, 20, "sgd"),
    ("CosineAnnealingLR", {"T_max": 5}, 5, "adam"),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 25}, 25, "sgd"),
    ("OneCycleLR", {"max_lr": 0.01, "epochs": 3, "steps_per_epoch": 7,
                    "anneal_strategy": "linear", "three_phase": True}, 21, "adam"),
]


@pytest.mark.torch
@pytest.mark.parametrize(("name", "kwargs", "steps", "kind"), CASES)
def test_learning_rates_match_pytorch_step_by_step(name, kwargs, steps, kind) -> None:
    torch = pytest.importorskip("torch")
    mine = _ours(kind)
    sched = getattr(ours, name)(mine, **kwargs)
    theirs = _torch_opt(torch, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that no optimizer.step() had a grad
        twin = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
        expected = _sequence(twin, theirs, steps)
    got = _sequence(sched, mine, steps)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert sched.get_last_lr() == pytest.approx(twin.get_last_lr(), rel=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_cycles_the_momentum_like_pytorch(kind: str) -> None:
    torch = pytest.importorskip("torch")
    key = "momentum" if kind == "sgd" else "beta1"
    mine, theirs = _ours(kind), _torch_opt(torch, kind)
    sched = ours.OneCycleLR(mine, max_lr=0.2, total_steps=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=0.2, total_steps=15)
        expected = _sequence(twin, theirs, 15, key)
    np.testing.assert_allclose(_sequence(sched, mine, 15, key), expected, rtol=1e-12)


@pytest.mark.torch
def test_linear_warmup_is_torch_linear_lr_where_they_coincide() -> None:
    torch = pytest.importorskip("torch")
    mine, theirs = _ours(), _torch_opt(torch)
    sched = ours.LinearWarmup(mine, warmup_steps=4, start_factor=0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = torch.optim.lr_scheduler.LinearLR(theirs, start_factor=0.25, end_factor=1.0,
                                                 total_iters=4)
        expected = _sequence(twin, theirs, 9)
    np.testing.assert_allclose(_sequence(sched, mine, 9), expected, rtol=1e-12)


def test_linear_warmup_from_zero_then_cosine_hands_over_at_the_full_rate() -> None:
    opt = _ours(lr=0.2)
    cosine = ours.CosineAnnealingLR(opt, T_max=4)
    sched = ours.LinearWarmup(opt, warmup_steps=2, after=cosine)
    got = _sequence(sched, opt, 7)
    full = [0.2 * 0.5 * (1 + np.cos(np.pi * t / 4)) for t in range(5)]
    np.testing.assert_allclose(got, [0.0, 0.1, *full], rtol=1e-12, atol=1e-15)


def test_state_dict_is_json_and_resumes_the_same_sequence() -> None:
    opt = _ours()
    sched = ours.OneCycleLR(opt, max_lr=0.5, total_steps=12)
    _sequence(sched, opt, 5)
    saved_sched = json.loads(json.dumps(sched.state_dict()))
    saved_opt = opt.state_dict()
    rest = _sequence(sched, opt, 6)
    again = _ours()
    resumed = ours.OneCycleLR(again, max_lr=0.5, total_steps=12)
    again.load_state_dict(saved_opt)  # as in PyTorch: scheduler first, then the states
    resumed.load_state_dict(saved_sched)
    assert _sequence(resumed, again, 6) == rest


@pytest.mark.parametrize(("make", "words"), [
    (lambda o: ours.StepLR(o, step_size=0), "StepLR: expected 'step_size' to be an int >= 1"),
    (lambda o: ours.CosineAnnealingLR(o, T_max=2.5), "'T_max' to be an int"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1), "either 'total_steps'"),
    (lambda o: ours.OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="exp"),
     "valid: 'cos', 'linear'"),
    (lambda o: ours.LinearWarmup(o, warmup_steps=3, start_factor=2.0), "'start_factor' in"),
    (lambda o: ours.StepLR("sgd", step_size=2), "autocnn Optimizer, got str"),
])
def test_bad_arguments_are_named(make, words: str) -> None:
    with pytest.raises((ValueError, TypeError), match=words):
        make(_ours())


def test_one_cycle_refuses_to_step_past_its_total() -> None:
    opt = _ours()
    sched = ours.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="more than total_steps=3"):
        sched.step()
