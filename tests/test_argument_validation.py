"""Every public argument is validated: bools are bools, sizes are non-negative ints, axes
are ints, gradients are numbers; wrong input raises TypeError/ValueError naming the
function and the argument, never a silent coercion or a raw NumPy message."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import functional as F
from autocnn import nn

NOT_BOOLS = ["no", "False", 1, 0, None, 1.0, [True]]


# ---------------------------------------------------------------------- bools are bools
@pytest.mark.parametrize("value", NOT_BOOLS)
def test_requires_grad_must_be_a_bool_everywhere(value) -> None:
    makers = [
        lambda: ac.tensor([1.0], requires_grad=value),
        lambda: ac.Tensor([1.0], requires_grad=value),
        lambda: ac.zeros(2, requires_grad=value),
        lambda: ac.ones(2, requires_grad=value),
        lambda: ac.randn(2, requires_grad=value),
        lambda: ac.rand(2, requires_grad=value),
        lambda: ac.zeros_like(np.ones(2), requires_grad=value),
        lambda: nn.Parameter(np.ones(2), requires_grad=value),
        lambda: ac.tensor([1.0]).requires_grad_(value),
    ]
    for make in makers:
        with pytest.raises(TypeError, match=r"requires_grad.*must be a bool"):
            make()
    t = ac.tensor([1.0])
    with pytest.raises(TypeError, match="requires_grad"):
        t.requires_grad = value
    assert t.requires_grad is False


@pytest.mark.parametrize("method", ["sum", "mean", "var", "max", "min"])
@pytest.mark.parametrize("value", ["yes", 1, None])
def test_keepdims_must_be_a_bool(method: str, value) -> None:
    with pytest.raises(TypeError, match=f"{method}: 'keepdims' must be a bool"):
        getattr(ac.ones(2, 3), method)(axis=0, keepdims=value)


def test_backward_flags_must_be_bools() -> None:
    x = ac.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="retain_graph"):
        (x * 2).sum().backward(retain_graph="yes")
    with pytest.raises(TypeError, match="create_graph"):
        (x * 2).sum().backward(create_graph=1)


# ---------------------------------------------------------------------- shapes and axes
@pytest.mark.parametrize("shape", [(2.5, 2), (2.0, 3), ("2", 3), (True, 6), (None,)])
def test_reshape_refuses_non_integer_sizes(shape) -> None:
    with pytest.raises(TypeError, match="reshape: sizes must be ints"):
        ac.ones(6).reshape(*shape)


@pytest.mark.parametrize("shape", [(2.5,), (-1,), ("3",), (True,)])
def test_constructors_refuse_non_integer_or_negative_sizes(shape) -> None:
    for make in (ac.zeros, ac.ones, ac.randn, ac.rand):
        with pytest.raises(ValueError, match="sizes must be non-negative ints"):
            make(*shape)


@pytest.mark.parametrize("axis", [1.5, "0", True, {0}, 1.0])
@pytest.mark.parametrize("method", ["sum", "mean", "var", "max", "min"])
def test_reduction_axis_must_be_int_or_tuple_of_ints(method: str, axis) -> None:
    with pytest.raises(TypeError, match=f"{method}: axis must be an int or a tuple of ints"):
        getattr(ac.ones(2, 3), method)(axis=axis)


@pytest.mark.parametrize("axis", [(0, 1), 1.0, "1", None, True])
def test_softmax_axis_must_be_an_int(axis) -> None:
    for fn in (F.softmax, F.log_softmax):
        with pytest.raises(TypeError, match="softmax: 'axis' must be an int"):
            fn(ac.ones(2, 3), axis=axis)


def test_flatten_start_axis_must_be_an_int() -> None:
    with pytest.raises(TypeError, match="flatten: 'start_axis' must be an int"):
        F.flatten(ac.ones(2, 3, 4), start_axis=1.0)


def test_softmax_over_an_empty_axis_and_flatten_of_an_empty_batch_work() -> None:
    assert F.softmax(ac.zeros(3, 0), axis=1).shape == (3, 0)
    assert F.log_softmax(ac.zeros(0, 4), axis=0).shape == (0, 4)
    assert F.softmax(ac.zeros(0, 4), axis=1).shape == (0, 4)
    assert F.flatten(ac.zeros(0, 3, 2, 2)).shape == (0, 12)
    assert nn.Flatten()(ac.zeros(0, 1, 28, 28)).shape == (0, 784)
    x = ac.zeros(0, 3, 2, requires_grad=True)
    F.flatten(x).sum().backward()
    assert x.grad.shape == (0, 3, 2)


@pytest.mark.torch
def test_empty_softmax_and_flatten_match_torch_shapes() -> None:
    torch = pytest.importorskip("torch")
    assert tuple(torch.zeros(3, 0).softmax(1).shape) == F.softmax(ac.zeros(3, 0), 1).shape
    assert tuple(torch.zeros(0, 3, 2, 2).flatten(1).shape) == F.flatten(
        ac.zeros(0, 3, 2, 2)).shape


# ---------------------------------------------------------------------- gradients
@pytest.mark.parametrize("gradient", [
    [1.0, None], None, "1", b"1", [["a", "b"]], {"a": 1}, True, np.array(["1", "2"]),
    np.array([1 + 1j, 2]),
])
def test_backward_refuses_gradients_that_are_not_numbers(gradient) -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises((TypeError, RuntimeError), match="backward"):
        y.backward(gradient)
    assert x.grad is None


def test_autograd_grad_refuses_non_numeric_grad_outputs() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="grad: 'gradient'"):
        ac.autograd.grad(x * 2, x, grad_outputs=[[1.0, None]])


def test_assigning_grad_takes_only_a_tensor_of_the_right_shape() -> None:
    x = ac.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="grad: assigned grad must be a Tensor"):
        x.grad = np.ones(2)
    with pytest.raises(TypeError, match="grad: assigned grad must be a Tensor"):
        x.grad = [1.0, 2.0]
    with pytest.raises(ValueError, match=r"grad: assigned grad has shape \(3,\)"):
        x.grad = ac.ones(3)
    x.grad = ac.ones(2)
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1])
    x.grad = None
    assert x.grad is None


# ---------------------------------------------------------------------- grad mode
def test_no_grad_on_a_generator_function_holds_inside_the_generator() -> None:
    seen = []

    @ac.no_grad()
    def batches(n):
        for i in range(n):
            seen.append(ac.is_grad_enabled())
            received = yield ac.tensor([float(i)], requires_grad=True) * 2
            seen.append(received)

    gen = batches(2)
    first = next(gen)
    assert not first.requires_grad and ac.is_grad_enabled()  # restored between items
    second = gen.send("hello")
    assert not second.requires_grad
    with pytest.raises(StopIteration):
        next(gen)
    assert seen == [False, "hello", False, None]
    assert ac.is_grad_enabled()


def test_enable_grad_on_a_generator_and_exceptions_thrown_into_it() -> None:
    @ac.enable_grad()
    def gen():
        try:
            yield ac.is_grad_enabled()
        except KeyError:
            yield "caught"

    with ac.no_grad():
        g = gen()
        assert next(g) is True
        assert not ac.is_grad_enabled()
        assert g.throw(KeyError("k")) == "caught"
        g.close()
    assert ac.is_grad_enabled()


# ---------------------------------------------------------------------- symbolic checks
@pytest.mark.parametrize("shape", [(2.5,), (2.0, 1), ("2",), 2.5, (True,), None, {2}])
def test_symbolic_shapes_must_be_tuples_of_ints(shape) -> None:
    from autocnn import symbolic
    from autocnn.symbolic.formulas import check_formula

    with pytest.raises(TypeError, match=r"symbolic.symbols: expected a shape"):
        symbolic.symbols("x", shape)
    with pytest.raises(TypeError, match=r"symbolic.verify: expected a shape"):
        symbolic.verify(lambda x: x, shape)
    with pytest.raises(TypeError, match=r"check_formula: expected a shape"):
        check_formula("1", lambda x: x.sum(), shape)


@pytest.mark.parametrize("fn", [3, "x * 2", None, (lambda x: x,)])
def test_verify_and_exact_gradcheck_need_a_callable(fn) -> None:
    from autocnn import symbolic

    with pytest.raises(TypeError, match=r"symbolic.verify: 'fn' must be a function"):
        symbolic.verify(fn, (2,))
    with pytest.raises(TypeError, match=r"symbolic.exact_gradcheck: 'fn' must be a function"):
        symbolic.exact_gradcheck(fn, [1.0])


@pytest.mark.parametrize("formula, message", [
    ("((x_0 + 1)", "the '(' at position 1 is never closed"),
    ("x_0 + 1)", "the ')' at position 8 closes nothing"),
    ("exp(x_0]", "the '(' at position 4 is closed by ']' at position 8"),
    ("(x_0 * (x_1 + 2)", "the '(' at position 1 is never closed"),
])
def test_formula_syntax_errors_name_the_unbalanced_parenthesis(formula, message) -> None:
    from autocnn.symbolic.formulas import check_formula

    report = check_formula(formula, lambda x: x.sum(), (2,))
    assert report.status == "invalid"
    assert "unbalanced parenthesis" in report.message and message in report.message


@pytest.mark.parametrize("formula", [
    "(x_0 + x_1 + x_2)**200",
    "(x_0 + 1)**999",
    "(x_0 + x_1)**40 * (x_1 + x_2)**40",
    "x_0^x_1^x_2^x_0^x_1",
    "exp(exp(exp(exp(x_0))))",
])
def test_check_formula_refuses_formulas_too_large_to_expand_at_once(formula) -> None:
    import time

    from autocnn.symbolic.formulas import check_formula

    start = time.perf_counter()
    report = check_formula(formula, lambda x: x.sum(), (3,))
    assert time.perf_counter() - start < 2.0
    assert report.status == "invalid"
    assert "too large" in report.message


def test_check_formula_has_a_time_limit(monkeypatch) -> None:
    from autocnn.symbolic import formulas

    monkeypatch.setattr(formulas, "_MAX_SECONDS", 0.05)
    # within the size bounds, but slower than the (lowered) time limit to compare
    report = formulas.check_formula("(x_0 + x_1 + x_2)**28", lambda x: x.sum(), (3,))
    assert report.status == "invalid"
    assert "took longer than 0.05 s" in report.message


def test_check_formula_still_proves_ordinary_formulas() -> None:
    from autocnn.symbolic.formulas import check_formula

    assert check_formula("1/3", lambda x: x.mean(), (3,))
    assert check_formula("2*(x_0 + x_1)**2", lambda x: ((x.sum()) ** 3 * 2 / 3), (2,))
    with pytest.raises(TypeError, match="check_formula: 'wrt'"):
        check_formula("1", lambda x: x.sum(), (2,), wrt=0)


@pytest.mark.parametrize(
    "returned", [None, "abc", (["a", "b", "c"],), 5j, {"x": 1}, ("x",)])
def test_check_backward_refuses_a_backward_that_returns_no_numbers(returned) -> None:
    from autocnn.symbolic.exercises import check_backward

    # the student's mistake is reported (a failed verdict naming it), never a traceback
    report = check_backward(lambda x: x * 2, lambda g, x: returned, shapes=[(3,)])
    assert not report
    assert "your code: the " in str(report)
    assert ("returned" in str(report)) or ("not an array of numbers" in str(report))
