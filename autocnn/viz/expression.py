"""``expression_graph``: a scalar formula such as ``"tanh(a*b + c)"`` as a recorded graph.

What ``autocnn graph --expr`` draws, micrograd-style: every name is a scalar leaf, every
operator one box. The text is parsed with Python's ``ast`` and only a small grammar is
accepted — names, numbers, ``+ - * / **``, unary minus and the functions of ``FUNCTIONS``
— then evaluated by walking the tree; nothing is ever passed to ``eval``, so no text can
run code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor

#: the functions an expression may call, each a method of Tensor
FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": Tensor.tanh, "exp": Tensor.exp, "log": Tensor.log, "relu": Tensor.relu,
    "sigmoid": Tensor.sigmoid, "sqrt": Tensor.sqrt, "abs": Tensor.abs,
}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}

#: the values of micrograd's README example, used for names not given a value
DEFAULT_VALUES = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}


def _fail(text: str, why: str) -> ValueError:
    return ValueError(
        f"expression_graph: cannot draw {text!r}: {why}. Allowed: names, numbers, "
        "+ - * / **, unary minus, parentheses and the functions "
        + ", ".join(sorted(FUNCTIONS))
    )


def expression_names(text: str) -> list[str]:
    """The variable names of ``text`` in order of first appearance (checked like
    ``expression_graph`` does)."""
    tree = _parse(text)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in names:
            names.append(node.id)
    return names


def _parse(text: str) -> ast.Expression:
    if not isinstance(text, str):
        raise TypeError(f"expression_graph: expected the formula as a str, got "
                        f"{type(text).__name__}")
    if len(text) > 500:
        raise _fail(text[:40] + "…", "it is longer than 500 characters")
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _fail(text, f"it is not a formula ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise _fail(text, "it is nested too deeply") from None


def expression_graph(text: str, values: Mapping[str, float] | None = None
                     ) -> tuple[Tensor, list[Tensor]]:
    """Build ``text`` on scalar leaves; ``(output, tensors)``.

    Each name is a float64 scalar leaf with ``requires_grad=True``, valued from
    ``values``, else from ``DEFAULT_VALUES`` (micrograd's a=2, b=-3, c=10, f=-2), else 1.
    The output gets the name ``out``. ``tensors`` lists the leaves, then every
    intermediate result: pass it as ``params`` to ``to_dot`` and every box shows its value
    (the graph itself keeps only what backward needs).
    """
    tree = _parse(text)
    values = dict(values or {})
    unknown = [k for k in values if not str(k).isidentifier()]
    if unknown:
        raise ValueError(f"expression_graph: value names must be identifiers, got {unknown}")
    leaves: dict[str, Tensor] = {}
    made: list[Tensor] = []

    def keep(t: Any) -> Any:
        if isinstance(t, Tensor) and t.grad_fn is not None:
            made.append(t)
        return t

    def leaf(name: str) -> Tensor:
        if name not in leaves:
            v = float(values.get(name, DEFAULT_VALUES.get(name, 1.0)))
            leaves[name] = Tensor(np.array(v), requires_grad=True, name=name)
        return leaves[name]

    def build(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _fail(text, f"{node.id} is a function; call it, {node.id}(...)")
            return leaf(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return keep(_BINARY[type(node.op)](build(node.left), build(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            x = build(node.operand)
            return keep(-x) if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.Call):
            fn = node.func.id if isinstance(node.func, ast.Name) else None
            if fn not in FUNCTIONS:
                raise _fail(text, f"{ast.unparse(node.func)}(...) is not an allowed function")
            if len(node.args) != 1 or node.keywords:
                raise _fail(text, f"{fn} takes exactly one argument")
            x = build(node.args[0])
            if not isinstance(x, Tensor):
                x = Tensor(np.array(float(x)))
            return keep(FUNCTIONS[fn](x))
        raise _fail(text, f"{ast.unparse(node)!r} is not allowed")

    out = build(tree)
    if not isinstance(out, Tensor) or out.grad_fn is None:
        raise _fail(text, "it has no variable in an operation, so there is no graph to draw")
    out.name = "out"
    return out, [*leaves.values(), *made]
