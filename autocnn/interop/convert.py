"""``to_torch`` and ``from_torch``: whole models across, weights and buffers copied.

The module tree is walked without recursion (an explicit stack, children before parents),
so any depth converts. Each module is, in this order:

1. a layer of the table in ``layers.py`` (exact type, or a subclass that keeps the layer's
   own ``forward``): built from its settings, then its parameters and buffers copied by
   state-dict name, in their own dtype;
2. a container (``Sequential``, ``ModuleList``): rebuilt from the converted children, names
   kept;
3. any other Module whose ``forward`` only calls its sub-modules and uses Python's operators
   (``replay.py``): a class of the other library with the same name runs the same
   ``forward`` on the converted children; its own parameters, buffers and settings are
   copied. ``models.BasicBlock`` and ``models.Residual`` go this way;
4. otherwise refused: ``ConversionError`` names the module's path and type and says why.

Training mode (``.training``) is copied for every module.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from autocnn import nn
from autocnn.autograd.tensor import Tensor
from autocnn.interop.layers import ConversionError, from_torch_table, to_torch_table
from autocnn.interop.replay import allowed_names, plain_settings, replay_problem


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(
            "autocnn.interop needs PyTorch: pip install 'autocnn[torch]'"
        ) from exc
    return torch


def _post_order(root: Any, children_of: Any) -> list[tuple[str, Any]]:
    """(path, module) pairs with every module after all of its descendants."""
    order: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any, bool]] = [("", root, False)]
    while stack:
        path, module, expanded = stack.pop()
        if expanded:
            order.append((path, module))
            continue
        stack.append((path, module, True))
        for name, child in reversed(list(children_of(module))):
            if child is not None:
                stack.append((f"{path}.{name}" if path else name, child, False))
    return order


def _describe(path: str, module: Any) -> str:
    where = f"'{path}'" if path else "the model itself"
    return f"{where} ({type(module).__module__}.{type(module).__qualname__})"


def _table_entry(module: Any, table: dict[type, Any]) -> Any:
    """The table's builder for this module's type, or for a base whose forward it keeps."""
    kind = type(module)
    if kind in table:
        return table[kind]
    for base in kind.__mro__[1:]:
        if base in table and kind.forward is base.forward:
            return table[base]
    return None


# ----------------------------------------------------------------------- autocnn → torch

def to_torch(module: nn.Module) -> Any:
    """The equivalent ``torch.nn`` module, with parameters and buffers copied.

    Layers of ``autocnn.nn``, containers, and Modules whose ``forward`` only calls their
    sub-modules (such as ``models.BasicBlock``) convert; anything else raises
    ``ConversionError`` naming the module. Each tensor keeps its dtype (float32 → float32).
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"to_torch: expected an autocnn nn.Module, got {type(module).__name__}")
    torch = _torch()
    table = to_torch_table(torch.nn)
    done: dict[int, Any] = {}
    classes: dict[type, type] = {}  # one generated class per replayed type, per conversion
    for path, m in _post_order(module, lambda x: x._modules.items()):
        kids = OrderedDict((n, done[id(c)]) for n, c in m._modules.items() if c is not None)
        build = _table_entry(m, table)
        if build is not None:
            t = build(m)
            _copy_tensors_to_torch(torch, m, t)
        elif isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward:
            t = torch.nn.Sequential(kids)
        elif isinstance(m, nn.ModuleList):
            t = torch.nn.ModuleList(list(kids.values()))
        elif isinstance(m, nn.Module) and getattr(type(m), "_torch_class", None) is not None:
            t = _rebuild(torch.nn.Module, type(m)._torch_class, m, kids,
                         lambda arr, p: _torch_tensor(torch, arr, p))
        else:
            t = _replay_in_torch(torch, path, m, kids, classes)
        t.train(m.training)
        done[id(m)] = t
    return done[id(module)]


def _torch_tensor(torch: Any, value: Tensor, parameter: bool) -> Any:
    data = torch.from_numpy(np.array(value.data))  # a copy, in the array's own dtype
    return torch.nn.Parameter(data, requires_grad=value.requires_grad) if parameter else data


def _copy_tensors_to_torch(torch: Any, m: nn.Module, t: Any) -> None:
    """Copy m's own parameters and buffers into the torch layer t, by name and in dtype."""
    expected = set(dict(t.named_parameters(recurse=False))) | set(
        dict(t.named_buffers(recurse=False)))
    ours = {n for n, v in (*m._parameters.items(), *m._buffers.items()) if v is not None}
    if ours != expected:  # a table entry out of step with a layer: never load half a layer
        raise ConversionError(
            f"to_torch: {type(m).__name__} has tensors {sorted(ours)} but the torch layer "
            f"expects {sorted(expected)}"
        )
    for name, p in m._parameters.items():
        if p is not None:
            setattr(t, name, _torch_tensor(torch, p, True))
    for name, b in m._buffers.items():
        if b is not None:
            t.register_buffer(name, _torch_tensor(torch, b, False))


def _replay_in_torch(torch: Any, path: str, m: nn.Module, kids: dict[str, Any],
                     classes: dict[type, type]) -> Any:
    settings = plain_settings(m)
    allowed = allowed_names(m._modules, m._parameters, m._buffers, settings)
    problem = replay_problem(type(m).forward, allowed)
    if problem is not None:
        raise ConversionError(
            f"to_torch: no PyTorch counterpart for {_describe(path, m)}: its forward "
            f"{problem}. Layers of autocnn.nn convert, and so do modules whose forward only "
            f"calls their sub-modules and combines tensors with + - * / @"
        )
    cls = classes.get(type(m))
    if cls is None:
        cls = type(type(m).__name__, (torch.nn.Module,), {
            "forward": type(m).forward,
            "__doc__": f"PyTorch replay of autocnn's {type(m).__qualname__} (to_torch).",
            "_autocnn_class": type(m),
        })
        classes[type(m)] = cls
    return _rebuild(torch.nn.Module, cls, m, kids, lambda arr, p: _torch_tensor(torch, arr, p))


def _rebuild(base: type, cls: type, m: Any, kids: dict[str, Any], tensor_of: Any) -> Any:
    """An instance of ``cls`` (a ``base`` subclass) holding kids, m's tensors and settings.

    ``__init__`` is not called — its arguments are unknown — only ``base.__init__``; the
    forward was checked to read nothing else.
    """
    obj = cls.__new__(cls)
    base.__init__(obj)
    for name, child in m._modules.items():
        if child is None:
            object.__setattr__(obj, name, None)
        else:
            setattr(obj, name, kids[name])
    for name, p in m._parameters.items():
        if p is None:
            obj.register_parameter(name, None)
        else:
            setattr(obj, name, tensor_of(p, True))
    for name, b in m._buffers.items():
        obj.register_buffer(name, None if b is None else tensor_of(b, False))
    for name, value in plain_settings(m).items():
        if name != "training" and name not in kids:
            object.__setattr__(obj, name, value)
    return obj


# ----------------------------------------------------------------------- torch → autocnn

def from_torch(torch_module: Any) -> nn.Module:
    """The autocnn module equivalent to a ``torch.nn`` module, parameters and buffers
    copied (dtype kept). Torch layers without an autocnn counterpart (``LSTM``, a
    ``Conv2d`` with ``padding_mode="reflect"``, …) raise ``ConversionError`` by name."""
    torch = _torch()
    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(
            f"from_torch: expected a torch.nn.Module, got {type(torch_module).__name__}"
        )
    table = from_torch_table(torch.nn)
    done: dict[int, nn.Module] = {}
    classes: dict[type, type] = {}
    for path, t in _post_order(torch_module, lambda x: x._modules.items()):
        kids = OrderedDict((n, done[id(c)]) for n, c in t._modules.items() if c is not None)
        build = _table_entry(t, table)
        where = f"from_torch: {_describe(path, t)}"
        if build is not None:
            m = build(t, where)
            _copy_tensors_from_torch(t, m, where)
        elif (isinstance(t, torch.nn.Sequential)
              and type(t).forward is torch.nn.Sequential.forward):
            m = nn.Sequential(kids)
        elif isinstance(t, torch.nn.ModuleList):
            m = nn.ModuleList(list(kids.values()))
        elif getattr(type(t), "_autocnn_class", None) is not None:
            m = _rebuild(nn.Module, type(t)._autocnn_class, t, kids, _autocnn_tensor)
        else:
            m = _replay_in_autocnn(path, t, kids, classes)
        m.train(t.training)
        done[id(t)] = m
    return done[id(torch_module)]


def _autocnn_tensor(value: Any, parameter: bool) -> Tensor:
    arr = value.detach().cpu().numpy().copy()
    if parameter:
        p = nn.Parameter(arr)
        p.requires_grad = bool(value.requires_grad)
        return p
    return Tensor(arr)


def _copy_tensors_from_torch(t: Any, m: nn.Module, where: str) -> None:
    own = {n: v for n, v in (*t._parameters.items(), *t._buffers.items()) if v is not None}
    ours = {n for n, v in (*m._parameters.items(), *m._buffers.items()) if v is not None}
    if set(own) != ours:
        raise ConversionError(f"{where}: has tensors {sorted(own)} but the autocnn layer "
                              f"holds {sorted(ours)}")
    for name, p in t._parameters.items():
        if p is not None:
            setattr(m, name, _autocnn_tensor(p, True))
    for name, b in t._buffers.items():
        if b is not None:
            m.register_buffer(name, _autocnn_tensor(b, False))


def _replay_in_autocnn(path: str, t: Any, kids: dict[str, nn.Module],
                       classes: dict[type, type]) -> nn.Module:
    settings = plain_settings(t)
    allowed = allowed_names(t._modules, t._parameters, t._buffers, settings)
    forward = type(t).forward
    problem = replay_problem(forward, allowed)
    if problem is not None:
        raise ConversionError(
            f"from_torch: no autocnn counterpart for {_describe(path, t)}: its forward "
            f"{problem}. torch.nn layers with an autocnn twin convert, and so do modules "
            f"whose forward only calls their sub-modules and combines tensors with + - * / @"
        )
    cls = classes.get(type(t))
    if cls is None:
        cls = type(type(t).__name__, (nn.Module,), {
            "forward": forward,
            "__doc__": f"autocnn replay of torch's {type(t).__qualname__} (from_torch).",
            "_torch_class": type(t),
        })
        classes[type(t)] = cls
    return _rebuild(nn.Module, cls, t, kids, _autocnn_tensor)
