"""Converting a user's own Module by replaying its ``forward`` in the other library.

A ``forward`` such as ResNet's ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``
means the same thing in autocnn and in PyTorch as long as it only calls its sub-modules
and combines tensors with Python's operators (+ − * / @ **, indexing), which the two
libraries define alike. Such a module is converted by converting its children and making
a class of the other library that runs the very same ``forward`` function.

Whether a ``forward`` is that simple is decided from its bytecode, conservatively: every
attribute it reads must be one of the module's sub-modules, parameters, buffers or plain
settings (numbers, strings, None, ``training``), and it may not read any global name (no
``F.relu``, no ``np``, no ``super()``), use a closure, define a nested function or
comprehension, or change an attribute. Anything else is refused with the reason, because
the replay would then run code of one library on tensors of the other.
"""

from __future__ import annotations

import dis
import types
from typing import Any

_FORBIDDEN = {
    "LOAD_GLOBAL": "reads the global name",
    "LOAD_NAME": "reads the global name",
    "LOAD_DEREF": "reads the closure variable",
    "LOAD_CLASSDEREF": "reads the closure variable",
    "LOAD_CLOSURE": "uses the closure variable",
    "IMPORT_NAME": "imports",
    "STORE_ATTR": "sets the attribute",
    "DELETE_ATTR": "deletes the attribute",
    "STORE_GLOBAL": "sets the global name",
    "LOAD_SUPER_ATTR": "calls super() for",
}
_ATTRIBUTE_READS = {"LOAD_ATTR", "LOAD_METHOD"}
_PLAIN = (bool, int, float, str, type(None))


def plain_settings(module: Any) -> dict[str, Any]:
    """The module's settings a forward may read: numbers, strings, None and tuples of them."""
    out = {}
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, _PLAIN) or (
            isinstance(value, tuple) and all(isinstance(v, _PLAIN) for v in value)
        ):
            out[name] = value
    return out


def replay_problem(forward: Any, allowed: set[str]) -> str | None:
    """Why ``forward`` cannot be replayed in the other library, or None if it can."""
    if not isinstance(forward, types.FunctionType):
        return "is not a plain Python function"
    code = forward.__code__
    if code.co_freevars:
        return f"uses the closure variable{'s' if len(code.co_freevars) > 1 else ''} " + (
            ", ".join(repr(v) for v in code.co_freevars))
    if any(isinstance(c, types.CodeType) for c in code.co_consts):
        return "defines a nested function, lambda or comprehension"
    if code.co_flags & (0x20 | 0x80 | 0x200):  # CO_GENERATOR, CO_COROUTINE, async generator
        return "is a generator or coroutine"
    for ins in dis.get_instructions(code):
        if ins.opname in _FORBIDDEN:
            return f"{_FORBIDDEN[ins.opname]} {ins.argval!r}"
        if ins.opname in _ATTRIBUTE_READS and ins.argval not in allowed:
            return (f"reads {ins.argval!r}, which is not one of its sub-modules, parameters, "
                    f"buffers or settings")
    return None


def allowed_names(children: Any, params: Any, buffers: Any, settings: Any) -> set[str]:
    """Every attribute name a replayable forward may read."""
    return {*children, *params, *buffers, *settings, "training"}
