"""The graph being built: named values, initializers and nodes, with ``onnx.helper``.

Each ``Value`` pairs an ONNX value name with the autocnn tensor that the real model computed
at that point of the example forward pass; so every shape is known while exporting, and the
exported graph can be compared entry by entry with autocnn. ``Value`` has Python's
operators (+ − * / @, unary −), which add the ONNX node and compute the autocnn result, so
a residual block's ``forward`` (``x + self.body(x)``) exports as written.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor


class ExportError(TypeError):
    """A module or operation (named in the message) has no ONNX translation here."""


class GraphBuilder:
    """Collects nodes and initializers; hands out unique value names."""

    def __init__(self, helper: Any, numpy_helper: Any) -> None:
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()
        self._counter = 0

    def fresh(self, hint: str) -> str:
        """A new value name such as ``conv_3``."""
        self._counter += 1
        name = f"{hint}_{self._counter}"
        self._names.add(name)
        return name

    def constant(self, array: Any, name: str | None = None) -> str:
        """An initializer holding ``array`` (floats as float32); returns its name."""
        arr = np.asarray(array)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        name = name if name is not None and name not in self._names else self.fresh("const")
        self._names.add(name)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op: str, inputs: list[str], hint: str | None = None, n_out: int = 1,
             **attrs: Any) -> list[str]:
        """Add one node; returns the names of its outputs."""
        outs = [self.fresh(hint or op.lower()) for _ in range(n_out)]
        self.nodes.append(self.helper.make_node(op, inputs, outs, name=outs[0], **attrs))
        return outs


class Value:
    """An ONNX value and the autocnn tensor it stands for (the example's actual result)."""

    def __init__(self, builder: GraphBuilder, name: str, tensor: Tensor) -> None:
        self.builder, self.name, self.tensor = builder, name, tensor

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape on the example input."""
        return self.tensor.shape

    def _operand(self, other: Any) -> Value:
        if isinstance(other, Value):
            return other
        if isinstance(other, Tensor):
            arr = np.asarray(other.data)
        elif isinstance(other, (int, float, np.ndarray, np.number)):
            arr = np.asarray(other, dtype=np.float32)
        else:
            raise ExportError(
                f"onnx.export: cannot combine a tensor with {type(other).__name__} in a forward"
            )
        return Value(self.builder, self.builder.constant(arr), Tensor(arr.astype(np.float32)))

    def _binary(self, op: str, other: Any, reflected: bool = False) -> Value:
        b = self._operand(other)
        a, b = (b, self) if reflected else (self, b)
        fn = {"Add": lambda p, q: p + q, "Sub": lambda p, q: p - q,
              "Mul": lambda p, q: p * q, "Div": lambda p, q: p / q,
              "MatMul": lambda p, q: p @ q}[op]
        (out,) = self.builder.node(op, [a.name, b.name])
        return Value(self.builder, out, fn(a.tensor, b.tensor))

    def __add__(self, other: Any) -> Value:
        return self._binary("Add", other)

    def __radd__(self, other: Any) -> Value:
        return self._binary("Add", other, reflected=True)

    def __sub__(self, other: Any) -> Value:
        return self._binary("Sub", other)

    def __rsub__(self, other: Any) -> Value:
        return self._binary("Sub", other, reflected=True)

    def __mul__(self, other: Any) -> Value:
        return self._binary("Mul", other)

    def __rmul__(self, other: Any) -> Value:
        return self._binary("Mul", other, reflected=True)

    def __truediv__(self, other: Any) -> Value:
        return self._binary("Div", other)

    def __rtruediv__(self, other: Any) -> Value:
        return self._binary("Div", other, reflected=True)

    def __matmul__(self, other: Any) -> Value:
        return self._binary("MatMul", other)

    def __rmatmul__(self, other: Any) -> Value:
        return self._binary("MatMul", other, reflected=True)

    def __neg__(self) -> Value:
        (out,) = self.builder.node("Neg", [self.name])
        return Value(self.builder, out, -self.tensor)
