"""``Optimizer``: what every optimiser shares — parameter groups, ``zero_grad``, state.

An optimiser is given the parameters to update, either as one iterable of tensors or as a
list of *parameter groups*, dicts such as ``{"params": model.fc.parameters(), "lr": 0.01}``
whose settings override the defaults for those parameters. ``step()`` then changes each
parameter's ``.data`` in place, outside the graph, by the rule of the subclass, and bumps
the parameter's version counter: a graph recorded before the step that saved the old value
refuses to run backward (``RuntimeError`` naming the op) instead of giving a wrong gradient.

Subclasses implement ``_update(group, param, grad, state)`` for one parameter.

``state_dict()`` has PyTorch's nested layout; ``flatten_state_dict`` turns it into the flat
name → array mapping a model file holds (``ac.save`` does so by itself), and
``load_state_dict`` accepts either form. The flat key scheme:

    state.<index>.<name>        a parameter's state: ``state.0.exp_avg``, ``state.0.step``
    param_groups.<g>.<setting>  a group's setting: ``param_groups.0.lr`` (0-d array),
                                ``param_groups.0.betas`` (1-d), ``param_groups.0.params``
                                (the parameter indices, 1-d int64)
"""

from __future__ import annotations

import copy
import numbers
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autocnn.autograd.grad_mode import enable_grad, no_grad
from autocnn.autograd.tensor import Tensor


class Optimizer:
    """Base class of the optimisers: holds ``param_groups`` and per-parameter ``state``."""

    #: the settings every group must have, with their defaults filled in by the subclass
    defaults: dict[str, Any]

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        #: per-parameter state (momentum buffers, Adam's moments), keyed by id(param)
        self.state: dict[int, dict[str, Any]] = {}
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of tensors or of dicts, got a single "
                "Tensor; pass [tensor] or model.parameters()"
            )
        if isinstance(params, dict):
            params = [params]
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{name}: params must be an iterable of tensors or of dicts, got "
                f"{type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list (nothing to optimise)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own settings (missing ones take defaults)."""
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry, got "
                f"{type(group).__name__}"
            )
        if "params" not in group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry, got keys "
                             f"{sorted(group)}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: parameter {i} of a group must be a Tensor, got "
                    f"{type(p).__name__}"
                )
            if p.grad_fn is not None:
                raise ValueError(
                    f"{name}: cannot optimise a non-leaf tensor (parameter {i} was computed "
                    f"by {p.grad_fn.name}); optimise the leaf tensors it came from"
                )
            if not p.requires_grad:
                raise ValueError(
                    f"{name}: parameter {i} of shape {list(p.shape)} does not require grad, "
                    "so it would never be updated"
                )
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or known & {id(p) for p in params}:
            raise ValueError(f"{name}: some parameters appear more than once (in one group "
                             "or in several groups)")
        full = dict(self.defaults)
        full.update(group)
        full["params"] = params
        self._check_group(full)
        self.param_groups.append(full)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's settings; subclasses extend it."""
        check_non_negative(group["lr"], type(self).__name__, "lr")

    # ------------------------------------------------------------------ the update
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``.grad = None``, PyTorch's default).

        Call it before each backward: gradients accumulate across backward calls.
        """
        if not isinstance(set_to_none, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.zero_grad: 'set_to_none' must be a bool, "
                            f"got {set_to_none!r}")
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data[...] = 0
                    p.grad.mark_modified()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss if given.

        ``closure`` (optional) re-evaluates the model and returns the loss; it runs with
        grad mode on, before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.data
                    if grad.shape != p.data.shape:
                        raise ValueError(
                            f"{type(self).__name__}.step: gradient of shape {grad.shape} "
                            f"does not match its parameter of shape {p.data.shape}"
                        )
                    state = self.state.setdefault(id(p), {})
                    self._update(group, p.data, grad, state)
                    p.mark_modified()
        return loss

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                state: dict[str, Any]) -> None:
        """Change ``param`` in place from ``grad`` (NumPy arrays); subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """The optimiser's settings and state, with parameters numbered in group order.

        ``{"state": {index: {name: array or number}}, "param_groups": [{..., "params":
        [indices]}]}``, the same layout as PyTorch's; arrays are copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) in self.state:
                    state[index[id(p)]] = copy.deepcopy(self.state[id(p)])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore settings and state saved by ``state_dict()`` of an optimiser over the
        same parameters (same groups, same sizes).

        The flat form (``flatten_state_dict``, what ``ac.load`` of a saved optimiser state
        returns) is accepted too."""
        name = type(self).__name__
        if is_flat_state_dict(state_dict):
            state_dict = unflatten_state_dict(state_dict)
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if groups is None or "state" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             "'param_groups' (from Optimizer.state_dict())")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state has {len(groups)} "
                             f"parameter groups, this optimiser has {len(self.param_groups)}")
        for i, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters "
                    f"in the state, {len(own['params'])} here"
                )
        params = {}
        for saved, own in zip(groups, self.param_groups):
            for idx, p in zip(saved["params"], own["params"]):
                params[idx] = p
        new_state: dict[int, dict[str, Any]] = {}
        for idx, entry in state_dict["state"].items():
            p = params.get(int(idx))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter {idx}")
            restored = {}
            for key, value in entry.items():
                if isinstance(value, np.ndarray) and value.shape == p.data.shape:
                    value = value.astype(p.data.dtype, copy=True)
                elif isinstance(value, np.ndarray):
                    raise ValueError(
                        f"{name}.load_state_dict: state '{key}' of parameter {idx} has shape "
                        f"{value.shape}, the parameter {p.data.shape}"
                    )
                restored[key] = value
            new_state[id(p)] = restored
        for saved, own in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    own[key] = value
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def is_flat_state_dict(state_dict: Any) -> bool:
    """True when ``state_dict`` is an optimiser state in the flat form (``state.0.step``...)."""
    return (isinstance(state_dict, Mapping) and "param_groups" not in state_dict
            and any(isinstance(k, str) and k.startswith("param_groups.") for k in state_dict))


def is_optimizer_state_dict(state_dict: Any) -> bool:
    """True when ``state_dict`` has the nested layout of ``Optimizer.state_dict()``."""
    return (isinstance(state_dict, Mapping) and set(state_dict) == {"state", "param_groups"}
            and isinstance(state_dict["param_groups"], list))


def flatten_state_dict(state_dict: Mapping[str, Any]) -> OrderedDict[str, np.ndarray]:
    """The flat name → array form of ``Optimizer.state_dict()``, for ``ac.save``.

    Keys: ``state.<index>.<name>`` and ``param_groups.<g>.<setting>`` (see the module
    docstring); numbers become 0-d arrays, tuples 1-d arrays. ``unflatten_state_dict``
    inverts it exactly (same floats, same ints, same bools).
    """
    if not is_optimizer_state_dict(state_dict):
        raise TypeError(
            "flatten_state_dict: expected an optimiser state dict {'state': ..., "
            f"'param_groups': [...]}}, got {type(state_dict).__name__}"
        )
    flat: OrderedDict[str, np.ndarray] = OrderedDict()
    for g, group in enumerate(state_dict["param_groups"]):
        for key, value in group.items():
            flat[f"param_groups.{g}.{key}"] = _flat_value(f"param_groups.{g}.{key}", value)
    for index, entry in state_dict["state"].items():
        for key, value in entry.items():
            flat[f"state.{int(index)}.{key}"] = _flat_value(f"state.{index}.{key}", value)
    return flat


def _flat_value(key: str, value: Any) -> np.ndarray:
    if value is None:
        # no array stands for "absent"; the key is simply left out by callers that can
        raise TypeError(f"flatten_state_dict: entry '{key}' is None, which a file cannot hold")
    if isinstance(value, Tensor):
        value = value.data
    arr = np.array(value, copy=True)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"flatten_state_dict: entry '{key}' is {type(value).__name__}, "
                        "not a number, a tuple of numbers or an array")
    return arr


def unflatten_state_dict(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The nested ``Optimizer.state_dict()`` layout of a flat one (``flatten_state_dict``)."""
    groups: dict[int, dict[str, Any]] = {}
    state: dict[int, dict[str, Any]] = {}
    for key, value in flat.items():
        parts = key.split(".", 2)
        if len(parts) != 3 or parts[0] not in ("state", "param_groups") or not parts[1].isdigit():
            raise ValueError(
                f"unflatten_state_dict: key {key!r} is not state.<index>.<name> or "
                "param_groups.<g>.<setting>"
            )
        arr = np.asarray(value)
        if parts[0] == "state":
            state.setdefault(int(parts[1]), {})[parts[2]] = (
                arr.item() if arr.ndim == 0 else np.array(arr, copy=True))
        elif parts[2] == "params":
            groups.setdefault(int(parts[1]), {})["params"] = [int(i) for i in arr.ravel()]
        else:
            groups.setdefault(int(parts[1]), {})[parts[2]] = (
                arr.item() if arr.ndim == 0 else tuple(x.item() for x in arr))
    return {"state": state, "param_groups": [groups[g] for g in sorted(groups)]}


def check_non_negative(value: Any, name: str, arg: str) -> None:
    """Raise unless ``value`` is a real number >= 0 (learning rates, weight decay)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{name}: invalid {arg} {value!r} (must be a number >= 0)")


def check_unit_interval(value: Any, name: str, arg: str) -> None:
    """Raise unless 0 <= value < 1 (momentum-like coefficients)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name}: invalid {arg} {value!r} (must be in [0, 1))")
