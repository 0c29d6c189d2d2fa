"""What ``Function.apply`` and the engine do when something is off, kept off the reading path.

``engine.py`` calls each of these at one marked spot: a NumPy error from a forward gets the
op's name and the inputs' shapes (``explain``); a forward that returned a NumPy scalar, a
SymPy number or a mistake is turned into an array or refused (``as_output``); a backward
that returned too few gradients or an array instead of a Tensor is fixed or refused
(``one_per_input``, ``as_grad``); saved values that were freed, changed in place, or are a
copy of an input (``copied_input``) give errors that say what happened and what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.ops import backend

if TYPE_CHECKING:
    from autocnn.autograd.engine import Function, Saved


def copied_input(ctx: Function, item: np.ndarray, args: tuple, arrays: list) -> int | None:
    """The index of an input requiring grad that ``item`` is an exact copy of (``x.copy()``).

    Only for Functions written outside autocnn (its own primitives save computed masks on
    purpose): such a copy is a constant to the graph, so the first derivative is right but
    a second one would silently lose the path through it. ``_rebuild`` then refuses to
    build a double-backward graph from it, and says why.
    """
    if type(ctx).__module__.startswith("autocnn."):
        return None
    for i, (a, arr) in enumerate(zip(args, arrays)):
        if (isinstance(a, Tensor) and a._requires_grad and type(arr) is np.ndarray
                and arr.shape == item.shape and arr.dtype == item.dtype
                and np.array_equal(arr, item)):
            return i
    return None


def freed_error(ctx: Function) -> RuntimeError:
    return RuntimeError(
        f"{ctx.name}: trying to backward through the graph a second time, or to read "
        "saved values after they were freed. The first backward() released them to "
        "give the memory back; pass retain_graph=True to that first call if you need "
        "to backward through the same graph again."
    )


def modified_error(ctx: Function, entry: Saved) -> RuntimeError:
    kind = "its output" if entry.is_output else f"a tensor of shape {entry.value.shape}"
    return RuntimeError(
        f"{ctx.name}: {kind} that this op saved for backward was modified in place "
        f"after it was saved (version {entry.version}, now {entry.box[0]}); its gradient "
        "would be wrong. Do not change tensors in place (e.g. with an optimiser step, "
        "add_(), or x[...] = ...) between a forward pass and its backward; clone them instead."
    )


def copy_error(ctx: Function, index: int) -> RuntimeError:
    return RuntimeError(
        f"{ctx.name}: forward saved a copy of input {index} (e.g. x.copy()) rather than the "
        "input itself, so the graph cannot see that the saved value depends on that input "
        "and a second derivative (create_graph=True, double backward) would silently miss "
        f"that path. Fix: in {ctx.name}.forward, call ctx.save_for_backward(x) with the "
        "input array itself (autocnn never changes saved inputs: in-place changes are "
        "caught by version counters), or recompute the value in backward with Tensor ops."
    )


def as_output(cls: type, ctx: Function, out: Any) -> np.ndarray:
    """The result of ``forward`` as an array; a saved reference to it follows along."""
    arr = _to_array(cls, out)
    if ctx._saved:  # forward saved its result before it became an array
        ctx._saved = tuple([arr if s is out else s for s in ctx._saved])
    return arr


def _to_array(cls: type, out: Any) -> np.ndarray:
    if isinstance(out, (np.generic, int, float, complex)):
        return np.asarray(out)
    if isinstance(out, np.ndarray):  # an ndarray subclass
        return np.asarray(out)
    if backend.is_exact_scalar(out):  # a full reduction of an object array returns a bare scalar
        return np.asarray(out, dtype=object)
    if isinstance(out, tuple):
        raise TypeError(
            f"{cls.__name__}.forward returned a tuple; an autocnn Function has exactly one "
            "output (return one array, or write one Function per output)"
        )
    if isinstance(out, Tensor):
        raise TypeError(
            f"{cls.__name__}.forward returned a Tensor; forward works on NumPy arrays "
            "(its arguments are the inputs' .data) and must return an array"
        )
    raise TypeError(f"{cls.__name__}.forward returned {type(out).__name__}, expected an array")


def _shape_of(a: Any) -> str:
    if isinstance(a, Tensor):
        return str(a.shape)
    if isinstance(a, np.ndarray):
        return f"array{a.shape}"
    return repr(a)


def explain(cls: type, args: tuple, exc: Exception) -> Exception:
    """Re-raise a NumPy error from forward with the op's name and its inputs' shapes."""
    message = str(exc)
    if message.startswith(cls.__name__.lower() + ":") or message.startswith(cls.__name__):
        return exc  # the op already explained itself
    shapes = ", ".join(_shape_of(a) for a in args)
    hint = ""
    if isinstance(exc, (AttributeError, TypeError)) and not cls.__module__.startswith("autocnn."):
        # a user's Function written in PyTorch style calls Tensor methods on its inputs
        hint = (" — note: Function.forward receives NumPy arrays (the tensors' .data), not "
                "Tensors; compute with NumPy there and return an array")
    try:
        return type(exc)(f"{cls.__name__.lower()}: {message} (inputs: {shapes}){hint}")
    except TypeError:  # an exception class whose constructor takes other arguments
        return exc


def one_per_input(node: Function, grads: Any) -> tuple:
    """A backward's result as a tuple with one entry per positional input."""
    if type(grads) is not tuple:
        grads = (grads,)
    edges = node.next_edges
    if len(grads) == len(edges):
        return grads
    if len(grads) < len(edges) and all(e is None for e in edges[len(grads):]):
        return grads + (None,) * (len(edges) - len(grads))
    raise RuntimeError(
        f"backward of {node.name} returned {len(grads)} gradient(s), but the op has "
        f"{len(edges)} positional input(s); return one gradient (or None) per input"
    )


def as_grad(value: Any, node: Function, index: int) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return Tensor._constant(np.asarray(value))
    raise TypeError(
        f"backward of {node.name} returned {type(value).__name__} as the gradient of its "
        f"input {index}; expected a Tensor, an array or None"
    )
