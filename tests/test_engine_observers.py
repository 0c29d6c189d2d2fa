"""The engine's one hook interface: observers at fixed points, module forward hooks, and
the plain path when nothing is installed; and a saved copy of an input (issue 12, item 6)."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import nn
from autocnn.autograd import Function, detect_anomaly, grad, gradcheck, hooks
from autocnn.autograd.engine import Saved
from autocnn.autograd.extras import backward_pass


class Recorder:
    """An observer that logs every call it gets."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def before_node(self, node, grad_output):
        self.calls.append(("before", node.name, grad_output.data.copy()))

    def after_node(self, node, grad_output, grads):
        self.calls.append(("after", node.name, len(grads)))

    def on_grad(self, leaf, grad):
        self.calls.append(("leaf", leaf.name, grad.data.copy()))


def test_observers_see_each_node_before_and_after_its_backward_in_engine_order() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64, name="x")
    y = (x * 3.0).exp().sum()
    rec = Recorder()
    with hooks.add_observer(rec):
        y.backward()
    assert [c[:2] for c in rec.calls] == [
        ("before", "Sum"), ("after", "Sum"), ("before", "Exp"), ("after", "Exp"),
        ("before", "Mul"), ("after", "Mul"), ("leaf", "x"),
    ]
    np.testing.assert_allclose(rec.calls[-1][2], x.grad.data)
    count = len(rec.calls)
    (x * 2.0).sum().backward()  # removed on leaving the block
    assert len(rec.calls) == count


def test_with_nothing_installed_the_engine_takes_its_plain_path(monkeypatch) -> None:
    monkeypatch.setattr(hooks.state, "count", 0)  # as in a fresh process
    assert backward_pass([], None, lambda a, b: a) is None
    with hooks.add_observer(Recorder()):
        assert hooks.state.count == 1
        assert backward_pass([], None, lambda a, b: a) is not None
    assert hooks.state.count == 0
    assert backward_pass([], [ac.ones(1, requires_grad=True)], lambda a, b: a) is not None


def test_anomaly_mode_is_an_observer_only_inside_its_block() -> None:
    before = hooks.state.count
    with detect_anomaly():
        assert hooks.state.count == before + 1
    assert hooks.state.count == before


def test_module_forward_hooks_run_after_every_module_call() -> None:
    seen = []
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with hooks.add_module_forward_hook(lambda m, args, kwargs, out: seen.append(type(m))):
        model(ac.ones(1, 2))
    model(ac.ones(1, 2))
    assert seen == [nn.Linear, nn.ReLU, nn.Sequential]  # inner modules finish first


def test_saved_values_are_read_by_field() -> None:
    x = ac.tensor([0.5, 1.5], requires_grad=True)
    y = x.tanh()
    (entry,) = y.grad_fn.saved
    assert isinstance(entry, Saved) and entry.is_output and entry.value is y.data
    y.sum().backward()
    assert y.grad_fn.freed and y.grad_fn.saved == ()


# ---------------------------------------------------------------------- a saved copy
class SquareSavingACopy(Function):
    """y = x²;  dL/dx = dL/dy · 2x — but forward saves ``x.copy()``, not x itself."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x.copy())
        return x * x

    @staticmethod
    def backward(ctx, grad_y):
        (x,) = ctx.saved_tensors
        return grad_y * 2 * x


def test_a_saved_copy_gives_the_right_first_derivative() -> None:
    x = ac.tensor([0.5, -1.0, 2.0], requires_grad=True, dtype=np.float64)
    assert gradcheck(SquareSavingACopy.apply, (x,))


def test_a_saved_copy_refuses_double_backward_and_names_the_function_and_the_fix() -> None:
    x = ac.tensor([0.5, -1.0], requires_grad=True, dtype=np.float64)
    with pytest.raises(RuntimeError) as info:
        grad(SquareSavingACopy.apply(x).sum(), x, create_graph=True)
    message = str(info.value)
    assert "SquareSavingACopy" in message and "copy of input 0" in message
    assert "ctx.save_for_backward(x)" in message  # the fix


def test_saving_the_input_itself_gives_the_second_derivative() -> None:
    class Square(Function):
        """y = x²;  dL/dx = dL/dy · 2x"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_y):
            (x,) = ctx.saved_tensors
            return grad_y * 2 * x

    x = ac.tensor([0.5, -1.0], requires_grad=True, dtype=np.float64)
    (g,) = grad(Square.apply(x).sum(), x, create_graph=True)
    (gg,) = grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, [2.0, 2.0])
