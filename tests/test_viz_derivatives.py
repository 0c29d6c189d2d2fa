"""Edge labels with local derivatives: taken from each primitive's backward rule, and equal
to what SymPy's own differentiation of the forward expression gives."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy

import autocnn as ac
from autocnn import ops, viz
from autocnn.viz.derivatives import docstring_rules, local_derivatives
from tests.wrong_backwards import HalfWrongSquare

a_sym, b_sym = sympy.symbols("a b", positive=True)

# (primitive, its forward written independently in SymPy, how to call it on tensors)
ELEMENTWISE = [
    (ops.Add, a_sym + b_sym, lambda a, b: a + b),
    (ops.Mul, a_sym * b_sym, lambda a, b: a * b),
    (ops.Div, a_sym / b_sym, lambda a, b: a / b),
    (ops.Pow, a_sym**b_sym, lambda a, b: a**b),
    (ops.Neg, -a_sym, lambda a, b: -a),
    (ops.Exp, sympy.exp(a_sym), lambda a, b: a.exp()),
    (ops.Log, sympy.log(a_sym), lambda a, b: a.log()),
    (ops.Tanh, sympy.tanh(a_sym), lambda a, b: a.tanh()),
    (ops.Sigmoid, 1 / (1 + sympy.exp(-a_sym)), lambda a, b: a.sigmoid()),
]


def parse_label(text: str) -> sympy.Expr:
    """The right-hand side of ``∂(...)/∂a = ...`` back as a SymPy expression."""
    rhs = text.split(" = ", 1)[1]
    return sympy.sympify(rhs.replace("·", "*").replace("^", "**"),
                         locals={"a": a_sym, "b": b_sym})


@pytest.mark.parametrize(("cls", "forward", "call"), ELEMENTWISE,
                         ids=[c.__name__ for c, _, _ in ELEMENTWISE])
def test_edge_label_equals_sympy_derivative_of_the_forward(cls, forward, call) -> None:
    a = ac.tensor(np.float64(1.3), requires_grad=True, name="a")
    b = ac.tensor(np.float64(0.7), requires_grad=True, name="b")
    y = call(a, b)
    node = y.grad_fn
    assert type(node) is cls
    names = ["a", "b"][: len(node.next_edges)]
    labels = local_derivatives(node, names)
    for name, label in zip(names, labels):
        assert label.startswith("∂(") and f")/∂{name} = " in label
        expected = sympy.diff(forward, sympy.Symbol(name, positive=True))
        assert sympy.simplify(parse_label(label) - expected) == 0, label


def test_mul_edge_reads_like_the_lesson() -> None:
    a = ac.tensor(np.float64(2.0), requires_grad=True, name="a")
    b = ac.tensor(np.float64(-3.0), requires_grad=True, name="b")
    source = viz.to_dot(a * b, derivatives=True).source
    assert "∂(a·b)/∂a = b" in source and "∂(a·b)/∂b = a" in source


def test_the_label_comes_from_the_backward_rule_not_a_table() -> None:
    class Cube(ac.autograd.Function):
        """y = x³;  dL/dx = dL/dy · 3x²"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = ac.tensor(np.float64(2.0), requires_grad=True, name="x")
    source = viz.to_dot(Cube.apply(x), derivatives=True).source
    assert "∂(x^3)/∂x = 3·x^2" in source


def test_a_wrong_backward_rule_shows_its_wrong_derivative() -> None:
    x = ac.tensor(np.float64(2.0), requires_grad=True, name="x")
    assert "∂(x^2)/∂x = x" in viz.to_dot(HalfWrongSquare.apply(x), derivatives=True).source


def test_a_tensor_used_twice_gets_distinct_symbols() -> None:
    x = ac.tensor(np.float64(3.0), requires_grad=True, name="x")
    source = viz.to_dot(x * x, derivatives=True).source
    assert "∂(x·x′)/∂x = x′" in source and "∂(x·x′)/∂x′ = x" in source


def test_unnamed_inputs_and_constants_get_stand_in_names() -> None:
    x = ac.tensor(np.float64(3.0), requires_grad=True)
    source = viz.to_dot((x * 2.0).exp(), derivatives=True).source
    assert "∂(x0·c)/∂x0 = c" in source  # the constant 2.0 is not kept by the graph: c
    assert "∂(exp(t2))/∂t2 = exp(t2)" in source  # t2: the output of the op of step #2


def test_ops_without_a_scalar_form_show_their_docstring_rule() -> None:
    A = ac.randn(2, 3, dtype=np.float64, requires_grad=True, name="A")
    B = ac.randn(3, 4, dtype=np.float64, requires_grad=True, name="B")
    source = viz.to_dot((A @ B).reshape(8).sum(), derivatives=True).source
    assert "dL/dA = dL/dY @ Bᵀ" in source and "dL/dB = Aᵀ @ dL/dY" in source
    assert "dL/dx = dL/dy in x&#x27;s shape" in source  # Reshape, escaped
    assert "dL/dx = dL/dy broadcast back over the summed axes" in source


def test_docstring_rules_split_one_formula_per_input() -> None:
    assert docstring_rules(ops.Div, 2) == ("dL/da = dL/dy / b", "dL/db = −dL/dy · a / b²")
    assert docstring_rules(ops.Unfold, 1) == ("dL/dx = fold(dL/dcols)",)


def test_with_show_grads_each_edge_carries_the_gradient_flowing_along_it() -> None:
    a = ac.tensor(np.float64(2.0), requires_grad=True, name="a")
    b = ac.tensor(np.float64(-3.0), requires_grad=True, name="b")
    c = ac.tensor(np.float64(10.0), requires_grad=True, name="c")
    L = (a * b + c) * 2.0
    source = viz.to_dot(L, show_grads=True, derivatives=True).source
    edge_a = next(ln for ln in source.splitlines() if "∂a =" in ln)
    L.backward()
    assert re.search(rf"grad {a.grad.item():.4g}<", edge_a)  # dL/da along a's edge: 2·b
    assert a.grad.item() == -6.0
