"""detect_anomaly names the primitive, the user's line and the offending input values."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn.autograd import Function, detect_anomaly


def test_log_of_zero_names_the_op_the_index_the_value_and_the_line() -> None:
    x = ac.tensor(np.array([1.0, 2.0, 3.0, 0.0]), requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError) as info:
        x.log()  # THE-LINE
    message = str(info.value)
    assert "Log produced inf at index (3,)" in message
    assert "received 0.0 at (3,)" in message
    assert "test_anomaly.py" in message and "THE-LINE" in message


def test_sqrt_of_a_tiny_negative_names_the_received_value() -> None:
    x = ac.tensor(np.array([4.0, -1e-9]))
    with detect_anomaly(), pytest.raises(RuntimeError, match=r"received -1e-09 at \(1,\)"):
        x.sqrt()


def test_broadcast_inputs_are_reported_at_the_matching_index() -> None:
    a = ac.tensor(np.array([[1.0, 0.0]]))
    b = ac.tensor(np.array([[0.0], [1.0]]))
    with detect_anomaly(), pytest.raises(RuntimeError) as info:
        a / b
    message = str(info.value)
    assert "Div produced inf at index (0, 0)" in message
    assert "input 0 of div received 1.0" in message and "input 1 of div received 0.0" in message


class BadBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad):
        return grad * np.nan


def test_a_nan_gradient_names_the_backward_and_where_the_node_was_made() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = BadBackward.apply(x)  # MADE-HERE
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "Mul produced nan" in message  # the primitive inside the backward rule
    assert "while computing the backward of BadBackward" in message and "MADE-HERE" in message


class ArrayBackward(Function):
    """A backward that returns a NumPy array directly (no primitive sees the nan)."""

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad):
        return np.full(grad.shape, np.inf)


def test_a_non_finite_returned_gradient_names_the_op_and_input() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = ArrayBackward.apply(x)
        with pytest.raises(RuntimeError, match=r"backward of ArrayBackward returned inf in "
                                               r"the gradient of its input 0 at index \(0,\)"):
            y.sum().backward()


def test_outside_anomaly_mode_nans_pass_silently_as_in_numpy() -> None:
    with np.errstate(divide="ignore"):
        out = ac.tensor(np.array([0.0])).log()
    assert np.isinf(out.data).all()


def test_detect_anomaly_restores_the_previous_mode_and_works_as_decorator() -> None:
    from autocnn.autograd import is_anomaly_enabled

    @detect_anomaly()
    def inside() -> bool:
        return is_anomaly_enabled()

    assert inside() and not is_anomaly_enabled()
