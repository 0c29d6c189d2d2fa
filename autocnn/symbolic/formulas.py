"""Checking a gradient formula a student types as a string.

``check_formula("1/3", lambda x: x.mean(), (3,), wrt="x_0")`` reads the string,
takes the engine's exact gradient of the (scalar) function with respect to the named
entry, and either proves the two equal or returns a counterexample: an exact point with both
values. Variables are the input entries, named as in ``symbolic.symbols`` (``x_0``,
``w_0_1``, …; inputs are x, y, z, … in order), and SymPy functions (sqrt, exp, log, Max,
Heaviside, …) may be used.

The string is never evaluated as Python (SymPy's ``parse_expr`` would ``eval`` it): it is
parsed with :mod:`ast` and only a whitelist is turned into SymPy — numbers, the variables,
``pi`` and ``E``, ``+ - * / **`` (``^`` is read as ``**``), implicit products such as
``2x_0`` or ``2(x_0 + 1)``, and calls of the functions listed in ``_CALLABLE``. Anything
else (attributes, indexing, strings, lambdas, comprehensions, other calls) gives an
"invalid" report naming what is not allowed, never an exception or a side effect.
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.compare import compare
from autocnn.symbolic.tensors import _as_shape, check_size, symbol_array

_NAMES = "xyzwvpqrs"
#: the functions a formula may call (with their SymPy meaning); lower-case abs/max/min too
_CALLABLE: dict[str, Any] = {
    "sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "tanh": sympy.tanh,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "sin": sympy.sin, "cos": sympy.cos,
    "Max": sympy.Max, "Min": sympy.Min, "Abs": sympy.Abs, "Heaviside": sympy.Heaviside,
    "sign": sympy.sign, "abs": sympy.Abs, "max": sympy.Max, "min": sympy.Min,
    # the activations of the course, by the names students use for them
    "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)), "relu": lambda a: sympy.Max(a, 0),
    "softplus": lambda a: sympy.log(1 + sympy.exp(a)),
}
_ARITY = {name: (1, 1) for name in _CALLABLE}
_ARITY.update({"log": (1, 2), "Heaviside": (1, 2), "Max": (1, 99), "Min": (1, 99),
               "max": (1, 99), "min": (1, 99)})
_FUNCTIONS = tuple(_CALLABLE)
_CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
_MAX_LENGTH, _MAX_NODES, _MAX_EXPONENT, _MAX_BITS = 20_000, 5_000, 1_000, 100_000
#: at most this many terms once every power of a sum is multiplied out: (x_0+x_1+x_2)**200
#: would expand to 20,301 terms and take minutes to compare
_MAX_TERMS = 500
#: a sum raised to a larger power than this is refused (its exact coefficients explode)
_MAX_SUM_EXPONENT = 60
#: powers with a non-constant exponent nested deeper than this (x^x^x^x) are refused
_MAX_TOWER = 3
#: reading and comparing one formula may take at most this long (seconds, wall clock)
_MAX_SECONDS = 10.0


@dataclass
class FormulaReport:
    """The verdict on a student's formula: truthy when proved equal.

    ``status`` is ``"proved"``, ``"points"`` (equal at exact points, not proved — only for
    piecewise formulas), ``"refuted"`` (``point`` and ``values`` = (student, correct)),
    ``"nonfinite"`` (one side is nan or infinite: never a pass) or ``"invalid"`` (the
    string could not be read, or is too large to work with; ``message`` says why).
    """

    formula: str
    wrt: str
    status: str
    expected: Any = None
    student: Any = None
    point: dict = field(default_factory=dict)
    values: tuple[Any, Any] = (None, None)
    message: str = ""

    def __bool__(self) -> bool:
        return self.status in ("proved", "points")

    def __str__(self) -> str:
        head = (f"formula for dL/d{self.wrt}: {self.formula!r}" if self.wrt
                else f"formula {self.formula!r}")
        if self.status == "invalid":
            return f"{head}\n  cannot be read: {self.message}"
        if self.status == "nonfinite":
            return (f"{head}\n  not finite: the formula gives {self.values[0]} and the "
                    f"gradient is {self.values[1]}; nan or an infinity never passes")
        if self.status == "proved":
            return f"{head}\n  correct: proved equal to {self.expected}"
        if self.status == "points":
            return (f"{head}\n  agrees with the engine's gradient {self.expected} at exact "
                    "random points (piecewise; not proved symbolically)")
        shown = ", ".join(f"{k} = {v}" for k, v in self.point.items())
        return (f"{head}\n  wrong: at {shown or 'every point'} it gives {self.values[0]}, but "
                f"the gradient is {self.values[1]}\n  (the gradient is {self.expected})")

    __repr__ = __str__


class FormulaError(ValueError):
    """A formula string that cannot be read (the message says what is not allowed)."""


def _tokens(formula: str, names: dict[str, Any]) -> str:
    """``^`` as ``**`` and implicit products (``2x_0``, ``2(x_0 + 1)``, ``x_0 x_1``) made
    explicit, on the token level: nothing is evaluated here."""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(formula).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER,
                                  tokenize.INDENT, tokenize.DEDENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise FormulaError(f"not a formula ({exc})") from None
    if any(t.type == tokenize.COMMENT for t in toks):
        raise FormulaError("'#' is not allowed in a formula")
    out: list[str] = []
    prev = None
    for t in toks:
        word = t.type == tokenize.NAME and not keyword.iskeyword(t.string)
        if prev is not None:
            prev_word = prev.type == tokenize.NAME and not keyword.iskeyword(prev.string)
            ends = prev.type == tokenize.NUMBER or prev_word or prev.string == ")"
            starts = word or t.type == tokenize.NUMBER or t.string == "("
            # a name followed by "(" stays a call unless the name is a variable or constant
            call = prev_word and t.string == "(" and prev.string not in names
            both_numbers = prev.type == tokenize.NUMBER and t.type == tokenize.NUMBER
            if ends and starts and not call and not both_numbers:
                out.append("*")
        out.append("**" if t.string == "^" else t.string)
        prev = t
    return " ".join(out)


_UNARY = {ast.UAdd: lambda a: a, ast.USub: lambda a: -a}
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_NOT_ALLOWED = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "lambda",
    ast.IfExp: "'if ... else'",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.List: "lists", ast.Tuple: "tuples", ast.Set: "sets", ast.Dict: "dicts",
    ast.NamedExpr: "':='", ast.Starred: "'*' unpacking",
    ast.JoinedStr: "strings", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Slice: "slices",
}


class _Builder:
    """Builds the SymPy expression from a whitelisted Python AST (nothing is executed)."""

    def __init__(self, variables: dict[str, sympy.Symbol]) -> None:
        self.variables = variables
        self.unknown: set[str] = set()
        self.nodes = 0

    def build(self, node: ast.AST) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise FormulaError(f"the formula is too long (more than {_MAX_NODES} parts)")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, (str, bytes)):
                raise FormulaError("strings are not allowed in a formula (numbers only)")
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value)):
                raise FormulaError(f"the constant {value!r} is not allowed (finite real "
                                   "numbers only)")
            return _small(sympy.Integer(value) if isinstance(value, int)
                          else sympy.Float(repr(value)))
        if isinstance(node, ast.Name):
            if node.id in self.variables:
                return self.variables[node.id]
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            if node.id in _CALLABLE:
                raise FormulaError(f"{node.id} is a function: write {node.id}(...)")
            self.unknown.add(node.id)
            return sympy.Symbol(node.id)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self.build(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                _check_power(left, right)
            result = _small(_BINARY[type(node.op)](left, right))
            _check_expansion(result)
            return result
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.Compare, ast.BoolOp)) or (
                isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            raise FormulaError("this is not an expression (a comparison or a logical "
                               "value?); write a step as Heaviside(x_0), with H(0) = 1/2")
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            op = type(node.op).__name__
            raise FormulaError(f"the operator {op} is not allowed (use + - * / ** or ^)")
        what = _NOT_ALLOWED.get(type(node), type(node).__name__)
        raise FormulaError(f"{what} not allowed in a formula")

    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            inner = _NOT_ALLOWED.get(type(node.func), type(node.func).__name__)
            raise FormulaError(f"only the functions {', '.join(_FUNCTIONS)} may be called "
                               f"({inner} not allowed)")
        name = node.func.id
        if name not in _CALLABLE or name in self.variables:
            raise FormulaError(f"calling {name!r} is not allowed; the functions are "
                               f"{', '.join(_FUNCTIONS)}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise FormulaError(f"{name}(...) takes plain arguments only (no keywords, no *)")
        lo, hi = _ARITY[name]
        if not lo <= len(node.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
            raise FormulaError(f"{name} takes {want} argument(s), got {len(node.args)}")
        result = _CALLABLE[name](*[self.build(a) for a in node.args])
        _check_expansion(result)
        return result


def _check_power(base: Any, exponent: Any) -> None:
    """Refuse powers whose exact value would be astronomically large (e.g. 9**9**9)."""
    if not getattr(exponent, "is_number", False):
        return
    size = abs(complex(sympy.N(exponent, 15)))
    if size > _MAX_EXPONENT:
        raise FormulaError(f"the exponent {exponent} is too large (at most {_MAX_EXPONENT})")
    if isinstance(base, sympy.Add) and not base.is_number and size > _MAX_SUM_EXPONENT:
        raise FormulaError(f"the exponent {exponent} of the sum {base} is too large to "
                           f"multiply out (at most {_MAX_SUM_EXPONENT} for a sum)")
    if isinstance(base, sympy.Rational):
        bits = max(int(base.p).bit_length(), int(base.q).bit_length())
        if bits * size > _MAX_BITS:
            raise FormulaError(f"a power with exponent {exponent} gives a number too large "
                               "to work with")


def _expanded_terms(expr: Any, cache: dict) -> int:
    """An upper estimate of the number of terms of ``expand(expr)``.

    A sum has the terms of its parts, a product their product, and a power n of a sum of
    k terms C(n + k − 1, k − 1) (the multinomial count); everything else is one term.
    """
    found = cache.get(expr)
    if found is not None:
        return found
    if isinstance(expr, sympy.Add):
        count = sum(_expanded_terms(a, cache) for a in expr.args)
    elif isinstance(expr, sympy.Mul):
        count = 1
        for a in expr.args:
            count *= _expanded_terms(a, cache)
            if count > _MAX_TERMS:
                break
    elif isinstance(expr, sympy.Pow) and expr.exp.is_Integer:
        k = _expanded_terms(expr.base, cache)
        n = abs(int(expr.exp))
        count = 1 if k == 1 else math.comb(min(n, 10_000) + k - 1, k - 1)
    else:
        count = 1
    cache[expr] = count
    return count


def _tower_height(expr: Any) -> int:
    """How deeply powers with non-constant exponents (and exp) nest in ``expr``."""
    if not isinstance(expr, sympy.Basic) or not expr.args:
        return 0
    inner = max(_tower_height(a) for a in expr.args)
    symbolic_power = (isinstance(expr, sympy.Pow) and not expr.exp.is_number) or isinstance(
        expr, sympy.exp)
    return inner + 1 if symbolic_power else inner


def _check_expansion(expr: Any) -> None:
    """Refuse formulas whose comparison would multiply out too many terms or towers."""
    terms = _expanded_terms(expr, {})
    if terms > _MAX_TERMS:
        raise FormulaError(
            f"the formula is too large to work with: multiplied out it has more than "
            f"{_MAX_TERMS} terms (at least {min(terms, 10**12)}); a gradient formula is "
            "usually much shorter — check the exponents"
        )
    if _tower_height(expr) > _MAX_TOWER:
        raise FormulaError(
            f"the formula nests powers with variable exponents (or exp) more than "
            f"{_MAX_TOWER} deep, which is too large to work with"
        )


def _small(value: Any) -> Any:
    """Refuse exact numbers too large to work with (products of huge powers)."""
    if isinstance(value, sympy.Rational) and max(
            int(value.p).bit_length(), int(value.q).bit_length()) > _MAX_BITS:
        raise FormulaError("a number in the formula is too large")
    return value


_CLOSING = {")": "(", "]": "[", "}": "{"}


def _check_brackets(formula: str) -> None:
    """Name the first unbalanced parenthesis (with its position, counted from 1)."""
    stack: list[tuple[str, int]] = []
    for position, char in enumerate(formula, start=1):
        if char in "([{":
            stack.append((char, position))
        elif char in _CLOSING:
            if not stack:
                raise FormulaError(f"unbalanced parenthesis: the {char!r} at position "
                                   f"{position} closes nothing")
            opener, where = stack.pop()
            if opener != _CLOSING[char]:
                raise FormulaError(f"unbalanced parenthesis: the {opener!r} at position "
                                   f"{where} is closed by {char!r} at position {position}")
    if stack:
        opener, where = stack[-1]
        raise FormulaError(f"unbalanced parenthesis: the {opener!r} at position {where} is "
                           "never closed")


class _TimeLimit:
    """Stop a SymPy computation after ``seconds`` with a FormulaError (main thread only:
    the alarm signal is the one way to interrupt pure-Python work; elsewhere no limit)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = False

    def __enter__(self) -> _TimeLimit:
        import signal
        import threading

        if (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
                and signal.getitimer(signal.ITIMER_REAL)[0] == 0):
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.active = True
        return self

    def _expired(self, signum: int, frame: Any) -> None:
        raise FormulaError(f"the formula took longer than {self.seconds:g} s to check; it is "
                           "too large to work with (simplify it, or check smaller shapes)")

    def __exit__(self, *exc: object) -> None:
        if self.active:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def _parse(formula: str, variables: dict[str, sympy.Symbol]) -> Any:
    """The SymPy expression of ``formula``; raises :class:`FormulaError` saying why not.

    The string is parsed by Python's ``ast`` and only a whitelist is accepted: numbers,
    the variables, ``pi``, ``E``, ``+ - * / **`` (or ``^``), parentheses and calls of the
    functions in ``_FUNCTIONS``. No Python code is ever run.
    """
    if len(formula) > _MAX_LENGTH:
        raise FormulaError(f"the formula is too long ({len(formula)} characters, at most "
                           f"{_MAX_LENGTH})")
    if not formula.strip():
        raise FormulaError("the formula is empty")
    _check_brackets(formula)
    text = _tokens(formula, {**_CONSTANTS, **variables})
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        detail = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise FormulaError(f"not a formula ({detail})") from None
    builder = _Builder(variables)
    try:
        expr = builder.build(tree.body)
    except RecursionError:
        raise FormulaError("the formula is nested too deeply") from None
    if builder.unknown:
        known = ", ".join(sorted(variables)[:12])
        raise FormulaError(f"unknown name(s) {', '.join(sorted(builder.unknown))}; the "
                           f"variables are {known}" + (", …" if len(variables) > 12 else ""))
    if not isinstance(expr, sympy.Expr):
        raise FormulaError("this is not an expression; write a step as Heaviside(x_0)")
    if expr.has(sympy.zoo, sympy.oo, sympy.nan):
        raise FormulaError(f"the formula is undefined or infinite ({expr}); a division by "
                           "zero or log(0)?")
    return expr


def check_formula(formula: str, fn: Callable[..., Tensor] | Any, *shapes: Any,
                  wrt: str = "x_0") -> FormulaReport:
    """Prove a formula string equal to the engine's gradient, or refute it at a point.

    ``fn`` is a function of tensors returning a scalar (its gradient w.r.t. the entry
    ``wrt`` is the reference), or directly a SymPy expression to compare with (then
    ``shapes`` may be empty and the variables are its free symbols).
    """
    if not isinstance(formula, str):
        raise TypeError(f"check_formula: 'formula' must be a string, got {type(formula).__name__}")
    if not isinstance(wrt, str):
        raise TypeError(f"check_formula: 'wrt' must be a string such as 'x_0', got {wrt!r}")
    if callable(fn):
        if not shapes:
            raise ValueError("check_formula: give the input shapes, e.g. "
                             "check_formula('1/3', lambda x: x.mean(), (3,), wrt='x_0')")
        shapes_t = [_as_shape(s, "check_formula") for s in shapes]
        check_size(shapes_t, "check_formula")
        arrays = [symbol_array(_NAMES[i], s) for i, s in enumerate(shapes_t)]
        variables = {s.name: s for a in arrays for s in a.reshape(-1)}
        if wrt not in variables:
            raise ValueError(f"check_formula: 'wrt' must name an input entry such as "
                             f"{next(iter(variables))!r}, got {wrt!r}")
        inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(*inputs)
        if not isinstance(out, Tensor) or out.size != 1:
            raise ValueError("check_formula: fn must return a scalar tensor (use .sum() or "
                             f"pick one entry), got shape {getattr(out, 'shape', None)}")
        out.reshape(()).backward()
        k = [s.name for a in arrays for s in a.reshape(-1)].index(wrt)
        flat = np.concatenate([t.grad.data.reshape(-1) for t in inputs])
        expected = sympy.sympify(flat[k])
    else:
        expected = sympy.sympify(fn)
        variables = {s.name: s for s in expected.free_symbols}
        wrt = ""
    try:
        with _TimeLimit(_MAX_SECONDS):
            student = _parse(formula, variables)
    except FormulaError as exc:
        return FormulaReport(formula, wrt, "invalid", expected, message=str(exc))
    except (TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        # SymPy refusing a whitelisted construct (e.g. log(0, 0)): still a readable report
        return FormulaReport(formula, wrt, "invalid", expected,
                             message=f"SymPy cannot build it ({type(exc).__name__}: {exc})")
    try:
        with _TimeLimit(_MAX_SECONDS):
            result = compare(student, expected)
    except FormulaError as exc:
        return FormulaReport(formula, wrt, "invalid", expected, student, message=str(exc))
    except (TypeError, ValueError, ArithmeticError) as exc:
        return FormulaReport(formula, wrt, "invalid", expected, student,
                             message=f"cannot be compared with the gradient "
                                     f"({type(exc).__name__}: {exc})")
    return FormulaReport(formula, wrt, result.status, expected, student, result.point,
                         result.values)
