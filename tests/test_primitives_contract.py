"""Every primitive of ``autocnn.ops`` keeps the contract of a primitive (DESIGN.md).

For each class in ``autocnn.ops.PRIMITIVES``: it is registered (exported by name, defined in
``autocnn/ops/``, every ``Function`` there is listed); the first line of its docstring
states the function and its derivative (``y = …;  dL/dx = …``, or the names of the op
at hand: ``Y = A @ B;  dL/dA = …``); ``gradcheck`` agrees with
finite differences in float64; and ``symbolic.verify`` agrees with ``sympy.diff``. A new
primitive without an entry in ``EXAMPLES`` fails the first test, so none is forgotten.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest

import autocnn as ac
from autocnn import ops, symbolic
from autocnn.autograd import Function, gradcheck

# name -> (call, input shapes, kind of input values); kinds: "any", "positive", "distinct"
EXAMPLES = {
    "Add": (lambda a, b: ops.Add.apply(a, b), [(2, 3), (3,)], "any"),
    "Neg": (lambda x: ops.Neg.apply(x), [(2, 3)], "any"),
    "Mul": (lambda a, b: ops.Mul.apply(a, b), [(2, 3), (2, 1)], "any"),
    "Div": (lambda a, b: ops.Div.apply(a, b), [(2, 3), (3,)], "positive"),
    "Pow": (lambda a, b: ops.Pow.apply(a, b), [(2, 2), (2, 2)], "positive"),
    "Exp": (lambda x: ops.Exp.apply(x), [(3,)], "any"),
    "Log": (lambda x: ops.Log.apply(x), [(3,)], "positive"),
    "Abs": (lambda x: ops.Abs.apply(x), [(3,)], "distinct"),
    "Tanh": (lambda x: ops.Tanh.apply(x), [(3,)], "any"),
    "Sigmoid": (lambda x: ops.Sigmoid.apply(x), [(3,)], "any"),
    "Maximum": (lambda a, b: ops.Maximum.apply(a, b), [(2, 2), (2, 2)], "distinct"),
    "Erf": (lambda x: ops.Erf.apply(x), [(3,)], "any"),
    "Sum": (lambda x: ops.Sum.apply(x, axis=(1,)), [(2, 3)], "any"),
    "Max": (lambda x: ops.Max.apply(x, axis=(1,)), [(2, 3)], "distinct"),
    "Min": (lambda x: ops.Min.apply(x, axis=(1,)), [(2, 3)], "distinct"),
    "Reshape": (lambda x: ops.Reshape.apply(x, shape=(3, 2)), [(2, 3)], "any"),
    "Transpose": (lambda x: ops.Transpose.apply(x, axes=(1, 0)), [(2, 3)], "any"),
    "BroadcastTo": (lambda x: ops.BroadcastTo.apply(x, shape=(2, 3)), [(1, 3)], "any"),
    "Cast": (lambda x: ops.Cast.apply(x, dtype=x.dtype), [(3,)], "any"),
    "Identity": (lambda x: ops.Identity.apply(x), [(2, 2)], "any"),
    "GetItem": (lambda x: ops.GetItem.apply(x, index=(slice(0, 2), [0, 2, 2])), [(3, 3)],
                "any"),
    "IndexAdd": (lambda x: ops.IndexAdd.apply(x, shape=(3, 3), index=(slice(0, 2), [0, 2, 2])),
                 [(2, 3)], "any"),
    "Pad": (lambda x: ops.Pad.apply(x, pad_width=((1, 0), (0, 2)), value=0.0), [(2, 2)], "any"),
    "MatMul": (lambda a, b: ops.MatMul.apply(a, b), [(2, 3), (3, 2)], "any"),
    "Unfold": (lambda x: ops.Unfold.apply(x, kernel_size=(2, 2)), [(1, 1, 3, 3)], "any"),
    "Fold": (lambda c: ops.Fold.apply(c, out_shape=(1, 1, 3, 3), kernel_size=(2, 2)),
             [(4, 4)], "any"),
}

NAMES = [p.__name__ for p in ops.PRIMITIVES]


def _inputs(shapes: list[tuple[int, ...]], kind: str, seed: int) -> list[ac.Tensor]:
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        if kind == "positive":
            arr = rng.uniform(0.5, 2.0, shape)
        elif kind == "distinct":  # entries far from each other and from 0: no ties, no kink
            arr = (rng.permutation(int(np.prod(shape))) + 1.0).reshape(shape) * 0.37
            arr = arr * rng.choice([-1.0, 1.0], shape) + 0.05 * len(out)
        else:
            arr = rng.uniform(-2.0, 2.0, shape)
        out.append(ac.tensor(arr, requires_grad=True, dtype=np.float64))
    return out


def test_every_primitive_is_registered_and_has_an_example() -> None:
    defined = {
        obj.__name__
        for info in pkgutil.iter_modules(ops.__path__)
        for module in [importlib.import_module(f"autocnn.ops.{info.name}")]
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Function) and obj.__module__ == module.__name__
    }
    assert len(NAMES) == len(set(NAMES))
    assert set(NAMES) == defined  # every Function in ops/ is in PRIMITIVES, and only those
    assert set(NAMES) <= set(ops.__all__)
    assert set(EXAMPLES) == set(NAMES)
    for name in NAMES:  # and each is named in the table of autocnn/ops/__init__.py
        assert re.search(rf"\b{name}\b", ops.__doc__), name


@pytest.mark.parametrize("name", NAMES)
def test_the_first_docstring_line_states_the_function_and_its_derivative(name: str) -> None:
    first = inspect.getdoc(getattr(ops, name)).splitlines()[0]
    # "<output> = <formula>;  dL/d<input> = <formula>", e.g. "y = eˣ;  dL/dx = dL/dy · y"
    assert re.match(r"^\S.* \+?= .+;  dL/d\S+ = .+", first), first


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name: str) -> None:
    fn, shapes, kind = EXAMPLES[name]
    assert gradcheck(fn, tuple(_inputs(shapes, kind, seed=sum(map(ord, name)))))


@pytest.mark.parametrize("name", NAMES)
def test_symbolic_verify(name: str) -> None:
    fn, shapes, _ = EXAMPLES[name]
    report = symbolic.verify(fn, *shapes)
    assert report, str(report)
