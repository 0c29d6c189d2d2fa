"""``export``: an autocnn model as a standard ONNX file.

The model runs once on the example input, module by module. Layers of the table in
``layers.py`` become their ONNX nodes; ``Sequential`` chains them; any other Module whose
``forward`` only calls its sub-modules and uses Python's operators (the same rule as
``autocnn.interop``, e.g. ``models.BasicBlock``) runs its own ``forward`` on ``Value``s,
so ``x + self.body(x)`` becomes an ``Add`` node. Anything else is refused by name.

The graph is checked with ``onnx.checker`` (full check, with shape inference) before it is
written, atomically, through ``autocnn.files``. The input's first axis is named ``batch``
and left free, so the file accepts any batch size.
"""

from __future__ import annotations

import copy
import os
import types
from typing import Any

import numpy as np

from autocnn import nn
from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.files import atomic_write
from autocnn.interop.replay import allowed_names, plain_settings, replay_problem
from autocnn.onnx.builder import ExportError, GraphBuilder, Value
from autocnn.onnx.layers import EMITTERS

OPSET = 17


def _emitter(module: nn.Module) -> Any:
    kind = type(module)
    if kind in EMITTERS:
        return EMITTERS[kind]
    for base in kind.__mro__[1:]:
        if base in EMITTERS and kind.forward is base.forward:
            return EMITTERS[base]
    return None


def _emit(b: GraphBuilder, module: nn.Module, x: Value, path: str) -> Value:
    """The output Value of ``module`` on ``x``. Recursion follows the module tree (a few
    levels deep for real models), never the graph."""
    emit = _emitter(module)
    if emit is not None:
        return emit(b, module, x, path)
    if type(module) is nn.Sequential:
        for name, child in module._modules.items():
            x = _emit(b, child, x, f"{path}.{name}" if path else name)
        return x
    settings = plain_settings(module)
    problem = replay_problem(type(module).forward,
                             allowed_names(module._modules, module._parameters,
                                           module._buffers, settings))
    if problem is not None:
        where = f"'{path}'" if path else "the model itself"
        raise ExportError(
            f"onnx.export: no ONNX translation for {where} ({type(module).__qualname__}): "
            f"its forward {problem}"
        )
    return type(module).forward(_shadow(b, module, path), x)


def _shadow(b: GraphBuilder, module: nn.Module, path: str) -> Any:
    """A stand-in ``self`` whose sub-modules export themselves and whose tensors are Values."""
    shadow = types.SimpleNamespace(**plain_settings(module))
    shadow.training = False
    for name, child in module._modules.items():
        child_path = f"{path}.{name}" if path else name
        if child is None:
            setattr(shadow, name, None)
        else:
            setattr(shadow, name, lambda v, c=child, p=child_path: _emit(b, c, v, p))
    for table in (module._parameters, module._buffers):
        for name, t in table.items():
            full = f"{path}.{name}" if path else name
            setattr(shadow, name, None if t is None else
                    Value(b, b.constant(np.asarray(t.data), full), t.detach()))
    return shadow


def export(model: nn.Module, example_input: Any, path: str | os.PathLike[str]) -> Any:
    """Write ``model`` as an ONNX file (opset 17, float32) at ``path``; return the
    ``onnx.ModelProto``.

    ``example_input`` is one batch (an array or tensor) that fixes every shape but the
    batch size. The model is exported with its evaluation-mode meaning (batch norm uses its
    running statistics, dropout passes through), in float32, whatever mode and dtype it
    has; the model itself is not changed (a copy is exported). Needs the ``onnx`` package
    (``pip install 'autocnn[onnx]'``).
    """
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:  # pragma: no cover - exercised only without onnx
        raise ImportError("autocnn.onnx needs the onnx package: pip install "
                          "'autocnn[onnx]'") from exc
    if not isinstance(model, nn.Module):
        raise TypeError(f"onnx.export: 'model' must be an autocnn nn.Module, got "
                        f"{type(model).__name__}")
    arr = np.asarray(example_input.data if isinstance(example_input, Tensor) else example_input,
                     dtype=np.float32)
    if arr.ndim < 1:
        raise ValueError(f"onnx.export: 'example_input' must be a batch with a first axis, "
                         f"got shape {list(arr.shape)}")
    # A copy, in evaluation mode and float32: the caller's model is not touched (converting
    # a float64 model to float32 and back in place would round its weights).
    work = copy.deepcopy(model).float().eval()
    b = GraphBuilder(helper, numpy_helper)
    with no_grad():
        out = _emit(b, work, Value(b, "input", Tensor(arr)), "")
    if not isinstance(out, Value):
        raise ExportError(f"onnx.export: the model returned {type(out).__name__}, not a tensor")
    (y,) = b.node("Identity", [out.name], hint="output")
    batch = ["batch", *arr.shape[1:]]
    out_shape = ["batch", *out.shape[1:]]
    graph = helper.make_graph(
        b.nodes, type(model).__name__,
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, batch)],
        [helper.make_tensor_value_info(y, onnx.TensorProto.FLOAT, out_shape)],
        initializer=b.initializers,
    )
    proto = helper.make_model(graph, producer_name="autocnn",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    proto.ir_version = min(proto.ir_version, 8)  # readable by ONNX Runtime ≥ 1.10
    onnx.checker.check_model(proto, full_check=True)
    atomic_write(path, proto.SerializeToString())
    return proto
