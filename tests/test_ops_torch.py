"""Primitives and Tensor methods against PyTorch (CPU, float64): values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac

pytestmark = pytest.mark.torch

rng: np.random.Generator  # re-seeded before every test (below)


@pytest.fixture(autouse=True)
def _fresh_generator() -> None:
    """A freshly seeded generator per test: no test's inputs depend on which ran before."""
    global rng
    rng = np.random.default_rng(7)

# (name, autocnn fn, torch fn, input shapes, positive inputs?)
CASES = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [(2, 3), (3,)], False),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [(2, 1), (1, 3)], False),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [(4, 3), (4, 1)], False),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [(3,), (2, 3)], True),
    ("pow", lambda a, b: a**b, lambda a, b: a**b, [(3,), (3,)], True),
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [(5, 2, 3), (3, 4)], False),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [(2, 3)], False),
    ("log", lambda a: a.log(), lambda a: a.log(), [(2, 3)], True),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [(2, 3)], True),
    ("abs", lambda a: a.abs(), lambda a: a.abs(), [(2, 3)], False),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [(2, 3)], False),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [(2, 3)], False),
    ("relu", lambda a: a.relu(), lambda a: a.relu(), [(2, 3)], False),
    ("sum", lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [(2, 3, 4)], False),
    ("mean", lambda a: a.mean(axis=(0, 2)), lambda a: a.mean(dim=(0, 2)), [(2, 3, 4)], False),
    ("var", lambda a: a.var(axis=1), lambda a: a.var(dim=1, unbiased=False), [(2, 5)], False),
    ("var_ddof1", lambda a: a.var(axis=0, ddof=1), lambda a: a.var(dim=0), [(4, 3)], False),
    ("max", lambda a: a.max(axis=1), lambda a: a.max(dim=1).values, [(3, 5)], False),
    ("min", lambda a: a.min(axis=0), lambda a: a.min(dim=0).values, [(3, 5)], False),
    ("softmax", lambda a: a.softmax(axis=1), lambda a: a.softmax(dim=1), [(3, 4)], False),
    ("log_softmax", lambda a: a.log_softmax(), lambda a: a.log_softmax(dim=-1), [(3, 4)],
     False),
    ("transpose", lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [(2, 3, 4)],
     False),
    ("getitem", lambda a: a[[0, 0, 1], 1:], lambda a: a[[0, 0, 1], 1:], [(2, 3)], False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_pytorch(case) -> None:
    torch = pytest.importorskip("torch")
    _, ours, theirs, shapes, positive = case
    arrays = [rng.uniform(0.5, 2.0, s) if positive else rng.standard_normal(s) for s in shapes]
    a_in = [ac.tensor(x, requires_grad=True) for x in arrays]
    t_in = [torch.tensor(x, requires_grad=True) for x in arrays]
    a_out, t_out = ours(*a_in), theirs(*t_in)
    np.testing.assert_allclose(a_out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = rng.standard_normal(a_out.shape)
    a_out.backward(v)
    t_out.backward(torch.tensor(v))
    for a, t in zip(a_in, t_in):
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_relu_gradient_at_zero_is_zero_as_in_pytorch() -> None:
    torch = pytest.importorskip("torch")
    x = ac.tensor(np.array([-1.0, 0.0, 1.0]), requires_grad=True)
    t = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    x.relu().sum().backward()
    t.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())


def test_max_ties_send_the_gradient_to_the_first_maximum_as_max_dim_in_pytorch() -> None:
    torch = pytest.importorskip("torch")
    arr = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x = ac.tensor(arr, requires_grad=True)
    t = torch.tensor(arr, requires_grad=True)
    x.max(axis=1).sum().backward()
    t.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])


def test_double_backward_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    arr = rng.standard_normal((3, 4))
    x = ac.tensor(arr, requires_grad=True)
    t = torch.tensor(arr, requires_grad=True)
    (gx,) = ac.autograd.grad((x.tanh() * x).log_softmax(axis=1).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((t.tanh() * t).log_softmax(dim=1).sum(), t, create_graph=True)
    (hx,) = ac.autograd.grad((gx * gx).sum(), x)
    (ht,) = torch.autograd.grad((gt * gt).sum(), t)
    np.testing.assert_allclose(hx.data, ht.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_pow_gradients_at_zero_take_pytorchs_limits():
    torch = pytest.importorskip("torch")
    base = np.array([0.0, 2.0, 0.0])
    expo = np.array([0.0, 2.0, 3.0])
    a = ac.tensor(base, requires_grad=True, dtype=np.float64)
    b = ac.tensor(expo, requires_grad=True, dtype=np.float64)
    (a**b).sum().backward()
    ta = torch.tensor(base, requires_grad=True)
    tb = torch.tensor(expo, requires_grad=True)
    (ta**tb).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())
