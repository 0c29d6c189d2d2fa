"""``inject(op, mistake)``: break one backward on purpose, for the exercise "find the bug".

Inside ``with inject("batch_norm", "gamma_forgotten"):`` every batch norm computed in
training mode has the right forward and the catalogued wrong backward
(``autocnn.symbolic.exercises.CATALOGUE``, the same table the checker names mistakes
from), so a gradcheck fails on exactly the entries the mistake touches, a training curve
drifts, and the graph's edge gradients show the wrong values. Leaving the block — normally
or by an exception — restores the original; nothing stays patched.

How, without touching the engine:

* a **primitive** (``sigmoid``, ``tanh``, or ``sign_error`` on any ``autocnn.ops``
  primitive): the ``backward`` attribute of its ``Function`` class is swapped for a wrong
  rule written with Tensor operations, and restored in ``finally``;
* a **layer** (``conv2d``, ``batch_norm``, ``max_pool2d``, ``linear``, ``cross_entropy``,
  compositions without a backward of their own): the functional is replaced, wherever
  autocnn modules and ``__main__`` hold it, by one that computes the same forward and runs
  as a single graph node whose backward is the catalogued rule (the untouched inputs get
  the engine's correct gradient). That node's gradients are constants: double backward
  through an injected layer is not supported.

Injections do not nest for the same op (the inner one would restore the outer's patch).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autocnn.autograd.engine import Function
from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.symbolic.exercises.mistakes import CATALOGUE, vjp

_LOCK = threading.Lock()
_ACTIVE: set[str] = set()


# ----------------------------------------------------------------------------- primitives
def _primitive_class(op: str) -> type[Function] | None:
    from autocnn import ops

    for name in dir(ops):
        obj = getattr(ops, name)
        if (isinstance(obj, type) and issubclass(obj, Function) and obj is not Function
                and name.lower() == op.lower()):
            return obj
    return None


def _wrong_primitive_backward(op: str, mistake: str, original: Callable) -> Callable:
    """The wrong rule for a primitive's ``backward(ctx, grad)``, in Tensor operations."""
    if mistake == "sign_error":
        def backward(ctx: Function, grad: Tensor) -> Any:
            result = original(ctx, grad)
            if isinstance(result, tuple):
                return tuple(None if r is None else -r for r in result)
            return None if result is None else -result
        return backward
    if (op, mistake) == ("sigmoid", "derivative_is_output"):
        def backward(ctx: Function, grad: Tensor) -> Any:
            (y,) = ctx.saved_tensors  # Sigmoid saves its output
            return grad * y
        return backward
    if (op, mistake) == ("tanh", "one_plus_tanh_squared"):
        def backward(ctx: Function, grad: Tensor) -> Any:
            (y,) = ctx.saved_tensors  # Tanh saves its output
            return grad * (1 + y * y)
        return backward
    raise ValueError(f"course.inject: no wrong rule {mistake!r} for the primitive {op!r}")


# ----------------------------------------------------------------------------- layers
class _InjectedLayer(Function):
    """One graph node for a whole layer: the layer's forward, a catalogued wrong backward."""

    params = ("layer", "mistake")

    @staticmethod
    def forward(ctx: Function, *arrays: np.ndarray, layer: str, mistake: str, out: np.ndarray,
                correct: Callable, rule_args: Callable, params: dict) -> np.ndarray:
        ctx.layer, ctx.mistake = layer, mistake
        ctx.arrays = [np.array(a, copy=True) for a in arrays]
        ctx.correct, ctx.rule_args, ctx.extra = correct, rule_args, params
        return out

    @staticmethod
    def backward(ctx: Function, grad: Tensor) -> tuple:
        g = np.asarray(grad.data, dtype=np.float64)
        right = vjp(ctx.correct, ctx.arrays, g)
        names, args, kwargs = ctx.rule_args(g, ctx.arrays)
        wrong = CATALOGUE[ctx.layer][ctx.mistake].rule(*args, **kwargs)
        out = []
        for name, r in zip(names, right):
            value = wrong.get(name, r) if name is not None else r
            out.append(None if value is None else Tensor(np.asarray(value, dtype=np.float64)))
        return tuple(out)


def _square(value: Any) -> int | None:
    """An int, or a (height, width) pair of equal ints, as one int (None otherwise)."""
    if isinstance(value, int):
        return value
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        return int(value[0])
    return None


def _layer_wrapper(layer: str, mistake: str, original: Callable) -> Callable:
    """A functional with ``original``'s signature whose backward is the wrong rule."""
    def run(tensors: list[Any], names: list[str | None], correct: Callable,
            rule_args: Callable, **extra: Any) -> Tensor:
        with no_grad():
            out = correct(*[t.data if isinstance(t, Tensor) else np.asarray(t)
                            for t in tensors]).data
        inputs = [t if isinstance(t, Tensor) else Tensor(np.asarray(t, dtype=np.float64))
                  for t in tensors]
        return _InjectedLayer.apply(*inputs, layer=layer, mistake=mistake, out=out,
                                    correct=correct, rule_args=rule_args, params=extra)

    def lift(fn: Callable) -> Callable:
        def forward_of_arrays(*arrays: Any) -> Tensor:
            return fn(*[a if isinstance(a, Tensor) else Tensor(a) for a in arrays])
        return forward_of_arrays

    if layer == "conv2d":
        def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                   dilation: Any = 1) -> Tensor:
            stride, padding = _square(stride), _square(padding)
            if _square(dilation) != 1 or stride is None or padding is None:
                raise ValueError("course.inject('conv2d', ...): only square stride and "
                                 f"padding and dilation 1 are supported, got stride={stride!r}"
                                 f", padding={padding!r}, dilation={dilation!r}")
            out_c = (weight.shape[0],)
            b = bias if bias is not None else Tensor(np.zeros(out_c))
            correct = lift(lambda x_, w_, b_: original(x_, w_, b_, stride, padding))
            return run([x, weight, b], ["x", "weight", "bias"], correct,
                       lambda g, a: (["x", "weight", "bias"],
                                     (g, *a), {"stride": stride, "padding": padding}))
        return conv2d
    if layer == "batch_norm":
        def batch_norm(x: Any, running_mean: Any, running_var: Any, weight: Any = None,
                       bias: Any = None, training: bool = False, momentum: float = 0.1,
                       eps: float = 1e-5) -> Tensor:
            if not training:  # eval mode has no batch statistics: nothing to break
                return original(x, running_mean, running_var, weight, bias, training,
                                momentum, eps)
            with no_grad():  # once, for the running statistics' update
                original(x, running_mean, running_var, weight, bias, True, momentum, eps)
            c = (x.shape[1],)
            w = weight if weight is not None else Tensor(np.ones(c))
            b = bias if bias is not None else Tensor(np.zeros(c))
            correct = lift(lambda x_, w_, b_: original(x_, None, None, w_, b_, True,
                                                        momentum, eps))
            return run([x, w, b], ["x", "weight", "bias"], correct,
                       lambda g, a: (["x", "weight", "bias"], (g, *a), {"eps": eps}))
        return batch_norm
    if layer == "max_pool2d":
        def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, *args: Any,
                       **kwargs: Any) -> Tensor:
            if args or kwargs or not isinstance(kernel_size, int):
                raise ValueError("course.inject('max_pool2d', ...): only an int kernel_size "
                                 "and stride are supported")
            correct = lift(lambda x_: original(x_, kernel_size, stride))
            return run([x], ["x"], correct,
                       lambda g, a: (["x"], (g, *a), {"kernel_size": kernel_size,
                                                      "stride": stride}))
        return max_pool2d
    if layer == "linear":
        def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
            b = bias if bias is not None else Tensor(np.zeros((weight.shape[0],)))
            correct = lift(lambda x_, w_, b_: original(x_, w_, b_))
            return run([x, weight, b], ["x", "weight", "bias"], correct,
                       lambda g, a: (["x", "weight", "bias"], (g, *a), {}))
        return linear
    if layer == "cross_entropy":
        def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
            if reduction != "mean":
                return original(logits, target, reduction)
            t = np.asarray(target.data if isinstance(target, Tensor) else target)
            correct = lift(lambda z_: original(z_, t))
            return run([logits], ["logits"], correct,
                       lambda g, a: (["logits"], (g, *a), {"target": t}))
        return cross_entropy
    raise ValueError(f"course.inject: no layer {layer!r}")


_LAYERS = ("conv2d", "batch_norm", "max_pool2d", "linear", "cross_entropy")
_PRIMITIVE_RULES = {"sigmoid": ("derivative_is_output", "sign_error"),
                    "tanh": ("one_plus_tanh_squared", "sign_error")}

#: what ``inject`` can plant: op → the mistake keys (the fast rules of the catalogue)
INJECTABLE: dict[str, tuple[str, ...]] = {
    **{layer: tuple(k for k, m in CATALOGUE[layer].items() if m.fast) for layer in _LAYERS},
    **_PRIMITIVE_RULES,
}


def _holders(obj: Any) -> list[tuple[Any, str]]:
    """(module, attribute) pairs of autocnn modules and ``__main__`` that hold ``obj``.

    The module that defines ``obj`` keeps it: the catalogue's rules (and the correct
    forward) call it from there, so they always reach the real layer.
    """
    out = []
    home = getattr(obj, "__module__", None)
    for name, module in list(sys.modules.items()):
        if module is None or name == home or not (
                name == "autocnn" or name.startswith("autocnn.") or name == "__main__"):
            continue
        for attr, value in list(vars(module).items()):
            if value is obj:
                out.append((module, attr))
    return out


@contextlib.contextmanager
def inject(op: str, mistake: str) -> Iterator[str]:
    """Swap ``op``'s backward for the catalogued wrong rule ``mistake`` inside the block.

    ``op`` is a layer (``conv2d``, ``batch_norm``, ``max_pool2d``, ``linear``,
    ``cross_entropy``) or a primitive (``sigmoid``, ``tanh``; ``sign_error`` works on any
    primitive of ``autocnn.ops``, e.g. ``"mul"``); ``mistake`` a key of
    :data:`INJECTABLE` (or ``CATALOGUE[op]``). Yields the mistake's description. The
    original is restored when the block ends, also after an exception.
    """
    if not isinstance(op, str) or not isinstance(mistake, str):
        raise TypeError(f"course.inject: 'op' and 'mistake' must be strings, got "
                        f"{type(op).__name__} and {type(mistake).__name__}")
    key = op.lower()
    if key in _LAYERS:
        known = INJECTABLE[key]
        if mistake not in known:
            raise ValueError(f"course.inject: unknown mistake {mistake!r} for {op!r}; "
                             f"known: {', '.join(known)}")
        import autocnn.functional as functional

        original = getattr(functional, key)
        replacement = _layer_wrapper(key, mistake, original)
        text = CATALOGUE[key][mistake].text
        patch = [(holder, attr, original, replacement) for holder, attr in _holders(original)]
    else:
        cls = _primitive_class(key)
        if cls is None:
            raise ValueError(f"course.inject: unknown op {op!r}; layers: {', '.join(_LAYERS)}; "
                             f"primitives: any Function of autocnn.ops, e.g. sigmoid, tanh, mul")
        known = _PRIMITIVE_RULES.get(key, ("sign_error",))
        if mistake not in known:
            raise ValueError(f"course.inject: unknown mistake {mistake!r} for {op!r}; "
                             f"known: {', '.join(known)}")
        original = cls.__dict__["backward"]
        wrong = _wrong_primitive_backward(key, mistake, original.__func__ if isinstance(
            original, staticmethod) else original)
        text = CATALOGUE.get(key, {}).get(mistake).text if mistake in CATALOGUE.get(key, {}) \
            else "sign error (the gradient has the wrong sign)"
        patch = [(cls, "backward", original, staticmethod(wrong))]
    with _LOCK:
        if key in _ACTIVE:
            raise RuntimeError(f"course.inject: {op!r} already has an injected mistake "
                               "(injections of one op do not nest)")
        _ACTIVE.add(key)
    try:
        for holder, attr, _, new in patch:
            setattr(holder, attr, new)
        yield text
    finally:
        for holder, attr, old, _ in patch:
            setattr(holder, attr, old)
        with _LOCK:
            _ACTIVE.discard(key)
