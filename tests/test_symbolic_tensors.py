"""Symbolic and exact tensors: the engine runs on SymPy entries, forward and backward."""

from __future__ import annotations

import fractions

import numpy as np
import pytest
import sympy

import autocnn as ac
from autocnn import symbolic
from autocnn.symbolic.tensors import random_rationals, rationalize


def test_symbols_are_named_by_index_and_require_grad() -> None:
    x = symbolic.symbols("x", (2, 3))
    assert x.requires_grad and x.shape == (2, 3)
    assert x.data[0, 1] == sympy.Symbol("x_0_1", real=True)
    assert x.data[1, 2].name == "x_1_2"


def test_square_sum_gradient_is_two_x_exactly() -> None:
    x = symbolic.symbols("x", (3,))
    (x * x).sum().backward()
    expected = [2 * sympy.Symbol(f"x_{i}", real=True) for i in range(3)]
    assert list(x.grad.data) == expected


def test_mean_gradient_is_the_exact_rational_one_third() -> None:
    # the implicit seed of backward() must be SymPy's 1, not Python's int (1/3 → 0.333…)
    x = symbolic.symbols("x", (3,))
    x.mean().backward()
    assert all(g == sympy.Rational(1, 3) for g in x.grad.data)


def test_float_constants_become_exact_rationals_next_to_symbols() -> None:
    x = symbolic.exact([sympy.Rational(1, 3)])
    y = (x + 1e-5) ** 0.5
    assert y.data[0] == sympy.sqrt(sympy.Rational(1, 3) + sympy.Rational(1, 100000))


def test_fraction_inputs_give_exact_gradients() -> None:
    x = symbolic.exact([fractions.Fraction(1, 3), fractions.Fraction(-2, 7)])
    (x * x * x).sum().backward()
    assert list(x.grad.data) == [sympy.Rational(1, 3), 3 * sympy.Rational(4, 49)]


def test_exact_reads_floats_as_the_decimal_they_print_as() -> None:
    assert symbolic.exact([0.1]).data[0] == sympy.Rational(1, 10)


def test_relu_sends_no_gradient_at_exactly_zero() -> None:
    # NOTE pinned: H(0) = 0 for the engine, unlike SymPy's Heaviside(0) = 1/2
    x = symbolic.exact([sympy.Integer(0), sympy.Rational(1, 2), sympy.Rational(-1, 2)])
    x.relu().sum().backward()
    assert list(x.grad.data) == [0, 1, 0]


def test_max_of_exact_ties_goes_to_the_first_entry() -> None:
    x = symbolic.exact([[sympy.Rational(1, 2), sympy.Rational(1, 2), sympy.Rational(1, 5)]])
    x.max(axis=1).sum().backward()
    assert list(x.grad.data[0]) == [1, 0, 0]


def test_max_of_symbols_explains_that_the_argmax_is_undefined() -> None:
    x = symbolic.symbols("x", (3,))
    with pytest.raises(TypeError, match="arg-max of symbolic entries"):
        x.max().backward()


def test_too_large_shapes_are_refused_with_advice() -> None:
    with pytest.raises(ValueError, match=r"use smaller shapes"):
        symbolic.symbols("x", (1, 3, 32, 32))


def test_bad_symbol_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="identifier"):
        symbolic.symbols("not a name", (2,))


def test_rationalize_replaces_floats_exactly() -> None:
    x = sympy.Symbol("x")
    assert rationalize(x ** 0.5 + 1e-5) == sympy.sqrt(x) + sympy.Rational(1, 100000)


def test_random_rationals_are_distinct_and_nonzero() -> None:
    values = random_rationals((4, 4), np.random.default_rng(0))
    flat = list(values.reshape(-1))
    assert len(set(flat)) == 16 and 0 not in flat


def test_symbolic_log_softmax_needs_no_max_shift() -> None:
    z = symbolic.symbols("z", (2,))
    out = z.log_softmax(axis=0)
    z0, z1 = z.data
    assert sympy.simplify(out.data[0] - (z0 - sympy.log(sympy.exp(z0) + sympy.exp(z1)))) == 0


def test_numeric_tensors_are_unaffected_by_the_exact_constant_rule() -> None:
    x = ac.tensor(np.array([4.0]), dtype=np.float64)
    assert (x + 1e-5).dtype == np.float64 and float(x.sqrt().item()) == 2.0
