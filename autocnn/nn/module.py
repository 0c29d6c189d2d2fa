"""``Module``: the base class of every layer and model.

A module holds three ordered tables, filled by plain attribute assignment:

- ``_parameters``: the ``Parameter``s it learns (``self.weight = Parameter(...)``);
- ``_buffers``: tensors that are state but not learned, such as batch norm's running
  statistics (``self.register_buffer("running_mean", ac.zeros(C))``);
- ``_modules``: its sub-modules (``self.conv = Conv2d(...)``).

Everything else follows from those tables: ``parameters()`` for the optimiser,
``state_dict()`` for model files (keys such as ``features.0.weight``, the dotted path of
attribute names, exactly as PyTorch names them), ``train()``/``eval()`` for the layers that
behave differently at test time, and the ``repr`` that prints the architecture.

Every walk over the module tree here is iterative (an explicit stack), never recursive, so a
chain of 10,000 nested modules works as well as a small CNN.

``__call__`` runs ``forward`` between the hook points of ``autocnn.nn.hooks``: the module's
own hooks and the hooks every module call passes (``autocnn.autograd.scope`` tags the graph
nodes each call created with its module there, which is how graph pictures draw each layer
as a box).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.hooks import RemovableHandle
from autocnn.autograd.tensor import Tensor, check_bool
from autocnn.nn.hooks import call_with_hooks
from autocnn.nn.hooks import register as register_hook
from autocnn.nn.parameter import Parameter

#: how deeply ``repr`` nests before it summarises the rest (a 10,000-deep chain would
#: otherwise print about 10⁸ characters of indentation)
REPR_MAX_DEPTH = 32


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match, as PyTorch returns it."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class StateDictError(ValueError, RuntimeError):
    """A state dict does not fit a module (missing, unexpected or mis-shaped entries).

    It is a ``ValueError`` (autocnn's convention for bad values) and a ``RuntimeError``
    (what PyTorch raises here), so code written for either catches it.
    """


def _check_name(name: Any, what: str, owner: Module) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{type(owner).__name__}.{what}: name must be a str, got {name!r}")
    if not name or "." in name:
        raise ValueError(
            f"{type(owner).__name__}.{what}: name must be a non-empty string without '.', "
            f"got {name!r}"
        )


class Module:
    """Base class of layers and models: subclass it, assign layers and parameters in
    ``__init__`` (after ``super().__init__()``), and write ``forward``.

    Example::

        class TinyCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
                self.fc = nn.Linear(8 * 14 * 14, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv(x)), 2)
                return self.fc(F.flatten(x))
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ the computation
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module; every subclass defines it."""
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); define forward(self, ...) in the class"
        )

    #: this module's hook tables (``nn.hooks.ModuleHooks``), made by the first register_*
    _hooks: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` between the hook points (``autocnn.nn.hooks.call_with_hooks``)."""
        return call_with_hooks(self, args, kwargs)

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; a non-None return replaces
        the positional arguments. Returns a handle with ``.remove()`` (as PyTorch)."""
        return register_hook(self, "forward_pre", hook)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward``; a non-None return
        replaces the output. Returns a handle with ``.remove()`` (as PyTorch)."""
        return register_hook(self, "forward", hook)

    def register_full_backward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients w.r.t. the
        module's tensor inputs are computed; a non-None return replaces ``grad_input``.
        Returns a handle with ``.remove()`` (as PyTorch)."""
        return register_hook(self, "backward", hook)

    # ------------------------------------------------------------------ registration
    def _tables(self) -> tuple[dict, dict, dict]:
        try:
            return self.__dict__["_parameters"], self.__dict__["_buffers"], \
                self.__dict__["_modules"]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() at the start of __init__, "
                "before assigning parameters, buffers or sub-modules"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        registered = any(name in d.get(t, ()) for t in ("_parameters", "_buffers", "_modules"))
        if not (registered or isinstance(value, (Parameter, Module))):
            object.__setattr__(self, name, value)  # a plain attribute (a size, a flag, ...)
            return
        params, buffers, modules = self._tables()
        # A Parameter or a Module goes to its table, replacing whatever had that name.
        for kind, table in ((Parameter, params), (Module, modules)):
            if isinstance(value, kind):
                d.pop(name, None)
                for other in (params, buffers, modules):
                    if other is not table:
                        other.pop(name, None)
                table[name] = value
                return
        # Anything else may only replace a registered entry by a value of its own kind.
        for table, kind, ok in ((params, "parameter", "an nn.Parameter or None"),
                                (buffers, "buffer", "a Tensor or None"),
                                (modules, "sub-module", "an nn.Module or None")):
            if name not in table:
                continue
            if value is not None and not (table is buffers and isinstance(value, Tensor)):
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to {kind} "
                    f"'{name}' ({ok} is required)"
                )
            table[name] = value
            return

    def __getattr__(self, name: str) -> Any:
        # Called only when normal lookup fails: look in the three tables.
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = d.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                del entries[name]
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        extra = [k for t in self._tables() for k in t]
        return sorted(set(super().__dir__()) | set(extra))

    def _free_slot(self, name: str, kind: int) -> dict:
        """Table ``kind`` (0 parameters, 1 buffers, 2 modules), once ``name`` is known free."""
        tables = self._tables()
        taken = name in self.__dict__ or any(name in t for i, t in enumerate(tables) if i != kind)
        if taken:
            raise KeyError(f"{type(self).__name__}: attribute '{name}' already exists")
        return tables[kind]

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        _check_name(name, "register_parameter", self)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: '{name}' must be an nn.Parameter "
                f"or None, got {type(param).__name__}"
            )
        self._free_slot(name, 0)[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Register a tensor that is part of the module's state but not learned.

        Buffers (batch norm's running statistics, say) appear in ``state_dict()`` and are
        saved and loaded with the parameters, but the optimiser never sees them.
        """
        _check_name(name, "register_buffer", self)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: '{name}' must be a Tensor or None, "
                f"got {type(tensor).__name__}"
            )
        if isinstance(tensor, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: '{name}' is an nn.Parameter; "
                "assign it as an attribute to register it as a parameter instead"
            )
        self._free_slot(name, 1)[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a sub-module called ``name`` (as attribute assignment)."""
        _check_name(name, "add_module", self)
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: '{name}' must be an nn.Module or None, "
                f"got {type(module).__name__}"
            )
        self._free_slot(name, 2)[name] = module

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Every module of the tree with its dotted path, this one first (path ``prefix``).

        Pre-order, children in registration order; a module reached twice is listed once
        unless ``remove_duplicate=False``. Iterative, so any depth works. A module that
        contains itself (a cycle) raises ``ValueError``.
        """
        seen: set[int] = set()
        on_path: set[int] = set()
        leave = object()  # stack marker: the module's subtree is done
        stack: list[tuple[Any, Any]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if name is leave:
                on_path.discard(id(module))
                continue
            key = id(module)
            # A module met again on its own path is a cycle, whatever remove_duplicate says:
            # listing it once would hide a tree that repr, state_dict and hooks cannot walk.
            if key in on_path:
                raise ValueError(
                    f"{type(self).__name__}: the module tree has a cycle: '{name}' "
                    f"({type(module).__name__}) contains itself"
                )
            if remove_duplicate:
                if key in seen:
                    continue
                seen.add(key)
            yield name, module
            on_path.add(key)
            stack.append((leave, module))
            children = [(f"{name}.{k}" if name else k, m)
                        for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Every module of the tree, this one first."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their attribute names."""
        seen: set[int] = set()
        for name, m in self._tables()[2].items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, table: str, recurse: bool = True,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        where = type(self).__name__
        recurse = check_bool(recurse, where, "recurse")
        remove_duplicate = check_bool(remove_duplicate, where, "remove_duplicate")
        seen: set[int] = set()
        mods = (self.named_modules(remove_duplicate=remove_duplicate) if recurse
                else [("", self)])
        for prefix, module in mods:
            for name, t in getattr(module, table).items():
                if t is None:
                    continue
                if remove_duplicate:
                    if id(t) in seen:
                        continue
                    seen.add(id(t))
                yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``0.weight``), each shared one once."""
        return self._named_members("_parameters", recurse)  # type: ignore[return-value]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of the tree (what an optimiser is given)."""
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Every buffer with its dotted name (``1.running_mean``)."""
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of the tree."""
        for _, b in self.named_buffers(recurse):
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of learned numbers (entries of all parameters, shared ones once)."""
        return sum(p.size for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on every module; return self.

        Batch norm uses batch statistics in training and running statistics in evaluation;
        dropout is active only in training.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode on every module (``train(False)``); return self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (``.grad = None``, PyTorch's default).

        With ``set_to_none=False`` the gradients are filled with zeros instead.
        """
        set_to_none = check_bool(set_to_none, f"{type(self).__name__}.zero_grad", "set_to_none")
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0
                p.grad.mark_modified()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradient tracking of every parameter on or off (freeze layers); return self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def to(self, dtype: Any) -> Module:
        """Convert every floating parameter and buffer to ``dtype``, in place; return self.

        The Parameter objects stay the same (an optimiser built before still holds them);
        their arrays are replaced. ``model.to(ac.float64)`` is how tests run a model in
        double precision for gradient checks.
        """
        try:
            dt = np.dtype(dtype)
        except TypeError as exc:
            raise TypeError(f"{type(self).__name__}.to: dtype must be a NumPy floating dtype, "
                            f"got {dtype!r}") from exc
        if dt.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: dtype must be floating, got {dt}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t.dtype.kind == "f" and t.dtype != dt:
                t.data = t.data.astype(dt)
                if t.grad is not None:
                    t.grad = Tensor.constant(t.grad.data.astype(dt))
                t.mark_modified()
        return self

    def double(self) -> Module:
        """Convert floating parameters and buffers to float64; return self."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Convert floating parameters and buffers to float32; return self."""
        return self.to(np.float32)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter and buffer, by dotted name, in registration order.

        The keys are PyTorch's (``0.weight``, ``1.running_mean``, ``1.num_batches_tracked``),
        so the arrays can move to and from a PyTorch model of the same architecture.
        """
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for name, t in self._state_tensors().items():
            state[name] = np.array(t.data, copy=True)
        return state

    def _state_tensors(self) -> OrderedDict[str, Tensor]:
        out: OrderedDict[str, Tensor] = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            for table in (module._parameters, module._buffers):
                for name, t in table.items():
                    if t is not None:
                        out[f"{prefix}.{name}" if prefix else name] = t
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> IncompatibleKeys:
        """Copy the arrays of ``state_dict`` into this module's parameters and buffers.

        Values are copied in place (the Parameter objects an optimiser holds stay valid) and
        cast to each tensor's dtype. Mis-shaped entries always raise; with ``strict`` (the
        default) missing and unexpected keys raise too, every problem named in one message.
        Returns the missing and unexpected keys (empty lists when strict).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a mapping of name -> array "
                f"(from state_dict() or ac.load), got {type(state_dict).__name__}"
            )
        strict = check_bool(strict, f"{type(self).__name__}.load_state_dict", "strict")
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems: list[str] = []
        arrays: dict[str, np.ndarray] = {}
        for key, t in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            except Exception as exc:  # e.g. a value NumPy cannot convert at all
                problems.append(f"'{key}': cannot convert {type(value).__name__} to an "
                                f"array ({exc})")
                continue
            if arr.dtype.kind not in "biuf":
                problems.append(f"'{key}': expected a numeric array, got dtype {arr.dtype} "
                                f"({type(value).__name__})")
            elif arr.shape != t.shape:
                problems.append(f"size mismatch for '{key}': expected shape "
                                f"{list(t.shape)}, got {list(arr.shape)}")
            else:
                arrays[key] = arr
        if strict:
            head = []
            if missing:
                head.append("missing keys: " + ", ".join(
                    f"'{k}' {list(own[k].shape)}" for k in missing))
            if unexpected:
                head.append("unexpected keys: " + ", ".join(
                    f"'{k}' {_shape_text(state_dict[k])}" for k in unexpected))
            problems = head + problems
        if problems:
            raise StateDictError(
                f"{type(self).__name__}.load_state_dict: the state dict does not fit this "
                "module:\n  " + "\n  ".join(problems)
            )
        with no_grad():
            for key, arr in arrays.items():
                t = own[key]
                np.copyto(t.data, arr, casting="unsafe")
                t.mark_modified()
        return IncompatibleKeys(missing if not strict else [],
                                unexpected if not strict else [])

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The layer's settings shown inside its ``repr`` parentheses; override it."""
        return ""

    def __repr__(self) -> str:
        # An explicit stack of (module, name, depth) builds the nested lines without
        # recursion; the closing parenthesis of a module with children is a stack entry too.
        for _ in self.named_modules():  # a tree with a cycle: a clear ValueError, not an
            pass                        # endless (or depth-capped, repeating) picture
        lines: list[str] = []
        close = object()
        stack: list[tuple[Any, Any, int]] = [(self, None, 0)]
        while stack:
            module, name, depth = stack.pop()
            indent = "  " * depth
            if module is close:
                lines.append(indent + ")")
                continue
            head = f"{indent}({name}): " if name is not None else indent
            children = [(k, m) for k, m in module._modules.items() if m is not None]
            extra = module.extra_repr()
            # A layer's settings describe its parameters; a custom module's own parameters
            # would otherwise be invisible, so they get a line each, with their shapes.
            bare = [] if extra else [
                f"{indent}  ({k}): Parameter(shape={tuple(p.shape)}, dtype={p.dtype})"
                for k, p in module._parameters.items() if p is not None
            ]
            if not children and not bare:
                lines.append(f"{head}{type(module).__name__}({extra})")
                continue
            if not children:
                lines.extend([f"{head}{type(module).__name__}(", *bare, indent + ")"])
                continue
            if depth >= REPR_MAX_DEPTH:
                count = sum(1 for _ in module.modules()) - 1
                lines.append(f"{head}{type(module).__name__}(... {count} nested modules)")
                continue
            lines.append(f"{head}{type(module).__name__}(")
            if extra:
                lines.extend(f"{indent}  {line}" for line in extra.split("\n"))
            lines.extend(bare)
            stack.append((close, None, depth))
            stack.extend((m, k, depth + 1) for k, m in reversed(children))
        return "\n".join(lines)

    def summary(self) -> str:
        """A table of every module that holds parameters: path, type, shapes and counts.

        Ends with the total number of parameters (shared ones counted once).
        """
        rows = [("name", "layer", "parameters", "count")]
        for path, module in self.named_modules():
            own = [(n, p) for n, p in module._parameters.items() if p is not None]
            if not own:
                continue
            shapes = ", ".join(f"{n} {tuple(p.shape)}" for n, p in own)
            rows.append((path or "(self)", type(module).__name__, shapes,
                         f"{sum(p.size for _, p in own):,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        out = ["  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
        out.insert(1, "  ".join("-" * w for w in widths))
        total = self.num_parameters()
        trainable = self.num_parameters(trainable_only=True)
        out.append(f"total: {total:,} parameters ({trainable:,} trainable)")
        return "\n".join(out)


def _shape_text(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return str(list(shape)) if shape is not None else f"({type(value).__name__})"


