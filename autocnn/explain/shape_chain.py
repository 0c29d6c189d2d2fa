"""``shapes``: the chain of shapes through a model, with the size formulas filled in, and
— when a layer does not fit what reaches it — which layer, why, and the fix.

    >>> print(explain.shapes(model, (1, 28, 28)))
    0: Conv2d(1, 4, kernel_size=3)   (1, 28, 28) → (4, 26, 26)   H: 28 + 2·0 − 3 + 1 = 26 ...
    ...
    9: Linear  fails: Flatten gives 4·13·13 = 676, but Linear expects 100
    fix: nn.Linear(676, 10)

It runs the model once on zeros of ``(1, *input_shape)`` (no graph, evaluation mode) with a
forward pre-hook and a forward hook on every module, so it works on any module tree: the
module whose pre-hook ran last without its forward hook finishing is the one that failed.
``nn.Sequential`` calls it when a forward raises a ``ValueError``, so the error message a
user sees already holds the chain and the fix.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import check_model, evaluating, model_dtype, module_paths
from autocnn.explain._results import ToDict
from autocnn.nn.module import Module

#: set while ``shapes`` runs a model, so that Sequential does not annotate (and re-run) then
_rerunning = threading.local()


@dataclass
class ShapeStep(ToDict):
    """One module call: its path, what came in and went out, and the size formula."""

    path: str
    module: str
    in_shape: tuple[int, ...] | None
    out_shape: tuple[int, ...] | None
    formula: str = ""


@dataclass
class ShapeReport(ToDict):
    """The chain of shapes (``steps``, the leaf modules in call order, shapes without the
    batch axis), whether the forward worked (``ok``), and if not: the failing module
    (``failed``), the error, an explanation and the fix."""

    input_shape: tuple[int, ...]
    steps: list[ShapeStep] = field(default_factory=list)
    ok: bool = True
    failed: str | None = None
    error: str | None = None
    reason: str | None = None
    fix: str | None = None

    @property
    def chain(self) -> str:
        """One line: ``28 → conv 3×3 → 26 → pool 2 → 13 ⇒ ...``."""
        parts = [_side(self.input_shape)]
        for s in self.steps:
            short = _short(s)
            if short and s.out_shape is not None and s.out_shape != s.in_shape:
                parts.append(f"{short} → {_side(s.out_shape)}")
        text = " → ".join(parts)
        return f"{text} ⇒ {self.reason}" if self.reason else text

    def __str__(self) -> str:
        width = max([len(f"{s.path}: {s.module}") for s in self.steps] + [10])
        lines = [f"input {self.input_shape} (one example, batch axis left out)"]
        for s in self.steps:
            head = f"{s.path}: {s.module}".ljust(width)
            if s.out_shape is None:
                lines.append(f"{head}  {s.in_shape} → fails")
            else:
                lines.append(f"{head}  {s.in_shape} → {s.out_shape}"
                             + (f"   {s.formula}" if s.formula else ""))
        lines.append("chain: " + self.chain)
        if not self.ok:
            lines.append(f"{self.failed} fails: {self.reason or self.error}")
            if self.fix:
                lines.append(f"fix: {self.fix}")
        return "\n".join(lines)


def _side(shape: tuple[int, ...]) -> str:
    """The spatial size of a shape for the chain: ``28`` for (1, 28, 28), else the shape."""
    if len(shape) == 3 and shape[1] == shape[2]:
        return str(shape[1])
    if len(shape) == 3:
        return f"{shape[1]}×{shape[2]}"
    return str(shape[0]) if len(shape) == 1 else str(shape)


def _short(step: ShapeStep) -> str:
    m = step.module
    if m.startswith("Conv2d"):
        return "conv " + step.formula.split("|")[0].strip() if "|" in step.formula else "conv"
    if m.startswith(("MaxPool2d", "AvgPool2d")):
        return "pool " + step.formula.split("|")[0].strip() if "|" in step.formula else "pool"
    if m.startswith("Flatten"):
        return "flatten"
    if m.startswith("Linear"):
        return "linear"
    return ""


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _window_formula(size: int, k: int, s: int, p: int, d: int) -> str:
    """⌊(size + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1, written as simply as it gets."""
    if d != 1:
        return f"⌊({size} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1"
    if s == 1:
        return f"{size} + 2·{p} − {k} + 1"
    return f"⌊({size} + 2·{p} − {k})/{s}⌋ + 1"


def _formula(module: Module, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> str:
    """The size formula of ``module`` with the numbers filled in."""
    name = type(module).__name__
    if name in ("Conv2d", "MaxPool2d", "AvgPool2d") and len(in_shape) == 3 and \
            len(out_shape) == 3:
        k, s, p = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding)
        d = _pair(getattr(module, "dilation", 1))
        label = f"{k[0]}×{k[1]}" if name == "Conv2d" else (
            str(k[0]) if k[0] == k[1] else f"{k[0]}×{k[1]}")
        if name == "Conv2d" and (s != (1, 1)):
            label += f" stride {s[0]}"
        if p != (0, 0):
            label += f" pad {p[0]}"
        h = f"H: {_window_formula(in_shape[1], k[0], s[0], p[0], d[0])} = {out_shape[1]}"
        square = in_shape[1] == in_shape[2] and k[0] == k[1] and s[0] == s[1] and \
            p[0] == p[1] and d[0] == d[1]
        w = "" if square else \
            f", W: {_window_formula(in_shape[2], k[1], s[1], p[1], d[1])} = {out_shape[2]}"
        return f"{label} | {h}{w}"
    if name == "Flatten" and len(out_shape) >= 1:
        start = module.start_axis - 1
        factors = in_shape[start:]
        return f"{'·'.join(map(str, factors))} = {out_shape[start]}"
    if name == "Linear":
        return f"{module.in_features} inputs → {module.out_features} outputs"
    return ""


def _fix(module: Module, in_shape: tuple[int, ...]) -> tuple[str | None, str | None]:
    """(why it fails, the fix) for the layers whose mismatch has a one-line fix."""
    name = type(module).__name__
    if name == "Linear" and len(in_shape) > 1:
        flat = int(np.prod(in_shape))
        return (f"it received feature maps of shape {in_shape} (Linear works on the last "
                f"axis only)", f"add nn.Flatten() before it, and make it "
                f"nn.Linear({flat}, {module.out_features})")
    if name == "Linear" and len(in_shape) >= 1 and in_shape[-1] != module.in_features:
        bias = "" if module.bias is not None else ", bias=False"
        return (f"its input has {in_shape[-1]} features, but Linear expects "
                f"{module.in_features}", f"nn.Linear({in_shape[-1]}, {module.out_features}{bias})")
    if name == "Conv2d" and len(in_shape) == 3 and in_shape[0] != module.in_channels:
        k = module.kernel_size
        return (f"its input has {in_shape[0]} channels, but Conv2d expects "
                f"{module.in_channels}",
                f"nn.Conv2d({in_shape[0]}, {module.out_channels}, kernel_size="
                f"{k[0] if k[0] == k[1] else k})")
    if name.startswith("BatchNorm") and len(in_shape) >= 1 and \
            in_shape[0] != module.num_features:
        return (f"its input has {in_shape[0]} channels, but {name} expects "
                f"{module.num_features}", f"nn.{name}({in_shape[0]})")
    if name in ("Conv2d", "MaxPool2d", "AvgPool2d") and len(in_shape) == 3:
        k, p = _pair(module.kernel_size), _pair(module.padding)
        if any(in_shape[1 + a] + 2 * p[a] < k[a] for a in range(2)):
            return (f"its {in_shape[1]}×{in_shape[2]} input (padding {p[0]}) is smaller than "
                    f"the {k[0]}×{k[1]} window", "use larger images, padding, or fewer "
                    "pooling layers before it")
    return None, None


def _flatten_reason(steps: list[ShapeStep], module: Module, in_shape: tuple[int, ...]) -> str:
    """``Flatten gives 4·13·13 = 676, but Linear expects 100`` when a Flatten fed it."""
    prev = next((s for s in reversed(steps[:-1]) if s.out_shape is not None), None)
    if prev is not None and prev.module.startswith("Flatten") and "=" in prev.formula:
        return f"Flatten gives {prev.formula}, but Linear expects {module.in_features}"
    return ""


def shapes(model: Module, input_shape: Any) -> ShapeReport:
    """Run ``model`` on zeros of shape ``(1, *input_shape)`` and report every module's
    input and output shape with its size formula; on a mismatch, say which module failed,
    why, and how to fix it (see the module docstring). Never raises on a shape error.

    ``input_shape`` is the shape of one example without the batch axis: ``(1, 28, 28)``.

    Example::

        report = explain.shapes(model, (1, 28, 28))
        report.ok, report.failed, report.fix       # False, '9: Linear', 'nn.Linear(676, 10)'
        print(report)
    """
    where = "explain.shapes"
    model = check_model(model, where)
    try:
        input_shape = tuple(int(s) for s in input_shape)
    except TypeError:
        raise TypeError(f"{where}: 'input_shape' must be a tuple of ints such as (1, 28, 28), "
                        f"got {input_shape!r}") from None
    if not input_shape or any(s <= 0 for s in input_shape):
        raise ValueError(f"{where}: 'input_shape' must be positive sizes such as (1, 28, 28), "
                         f"got {input_shape}")
    paths = module_paths(model)
    leaves = {p for p, m in paths.items() if not m._modules}
    report = ShapeReport(input_shape=input_shape)
    open_calls: list[tuple[str, Module, tuple[int, ...] | None]] = []
    handles = []

    def pre(path: str):
        def hook(module: Module, inputs: tuple) -> None:
            x = inputs[0] if inputs else None
            shape = tuple(x.shape[1:]) if isinstance(x, Tensor) else None
            open_calls.append((path, module, shape))
        return hook

    def post(path: str):
        def hook(module: Module, inputs: tuple, output: Any) -> None:
            _, _, in_shape = open_calls.pop()
            if path in leaves:
                out = tuple(output.shape[1:]) if isinstance(output, Tensor) else None
                report.steps.append(ShapeStep(path, _describe(module), in_shape, out,
                                              _formula(module, in_shape or (), out or ())))
        return hook

    # while this run lasts, Sequential must not annotate (that would run the model again)
    was_rerunning = getattr(_rerunning, "active", False)
    _rerunning.active = True
    try:
        for path, m in paths.items():
            handles.append(m.register_forward_pre_hook(pre(path)))
            handles.append(m.register_forward_hook(post(path)))
        with evaluating(model), no_grad():
            model(Tensor(np.zeros((1, *input_shape), dtype=model_dtype(model))))
    except (ValueError, TypeError, IndexError) as exc:
        report.ok = False
        report.error = str(exc)
        leaf = next(((p, m, s) for p, m, s in reversed(open_calls) if p in leaves),
                    open_calls[-1] if open_calls else None)
        if leaf is not None:
            path, module, in_shape = leaf
            report.failed = f"{path}: {type(module).__name__}"
            report.steps.append(ShapeStep(path, _describe(module), in_shape, None))
            reason, report.fix = _fix(module, in_shape or ())
            if type(module).__name__ == "Linear" and report.fix and \
                    report.fix.startswith("nn.Linear"):
                reason = _flatten_reason(report.steps, module, in_shape or ()) or reason
            report.reason = reason
    finally:
        _rerunning.active = was_rerunning
        for h in handles:
            h.remove()
    return report


def _describe(module: Module) -> str:
    extra = module.extra_repr() if hasattr(module, "extra_repr") else ""
    return f"{type(module).__name__}({extra})"




# ---------------------------------------------------------------------------- Sequential's errors


def annotate(error: ValueError, model: Module, first_input: Any, name: str) -> None:
    """Add the shape chain and the fix to ``error``, raised by child ``name`` of ``model``.

    ``nn.Sequential.forward`` calls this when a child raises a ``ValueError``; the message
    then begins with ``9: Linear failed`` and ends with the chain and the fix. The error is
    changed in place (same type, same traceback); an error already annotated by an inner
    ``Sequential``, or raised during the re-run itself, is left alone.
    """
    if getattr(error, "_autocnn_shapes", False) or getattr(_rerunning, "active", False):
        return
    error._autocnn_shapes = True  # type: ignore[attr-defined]
    shape = getattr(first_input, "shape", None)
    if shape is None or len(shape) < 2 or not error.args:
        return
    try:
        report = shapes(model, tuple(shape[1:]))
    except Exception:  # the explanation must never hide the user's error
        return
    child = model._modules.get(name)
    lines = [f"{name}: {type(child).__name__} failed: {error.args[0]}"]
    if not report.ok:
        lines.append(f"shapes (one example, batch axis left out): {report.chain}")
        if report.fix:
            lines.append(f"fix: {report.fix}")
        lines.append(f"(explain.shapes(model, {tuple(shape[1:])}) prints every layer)")
    error.args = ("\n".join(lines), *error.args[1:])


__all__ = ["ShapeReport", "ShapeStep", "annotate", "shapes"]
