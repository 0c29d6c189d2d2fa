"""``check_same``: do two models — autocnn or PyTorch, in any pairing — compute the same?

Both run on the same input. Their outputs are compared, then one fixed upstream gradient
(seeded normal entries, not a sum, so a permutation of outputs cannot cancel out) is pushed
back through each, and the gradients of the input and of every parameter, matched by
state-dict name, are compared; so are the buffers afterwards (batch norm's running
statistics change in training mode) and then restored, so checking changes neither model.
``.grad`` is left untouched (the gradients come from ``autocnn.autograd.grad`` /
``torch.autograd.grad``).

An entry agrees when |a − b| ≤ tol · (1 + |b|); the default tolerance is 1e-10 when both
sides are float64 and 1e-5 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocnn import nn
from autocnn.autograd.tensor import Tensor


@dataclass
class SameReport:
    """The outcome of ``check_same``: truthy when everything agrees within ``tolerance``."""

    tolerance: float
    differences: dict[str, float] = field(default_factory=dict)  # what → max |a − b|
    failures: list[str] = field(default_factory=list)

    @property
    def max_difference(self) -> float:
        """The largest absolute difference over outputs, gradients and buffers."""
        return max(self.differences.values(), default=0.0)

    @property
    def worst(self) -> str:
        """Which comparison had the largest difference (``"output"``, ``"grad 0.weight"``…)."""
        if not self.differences:
            return ""
        return max(self.differences, key=self.differences.__getitem__)

    def __bool__(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        head = (f"check_same: {'same' if self else 'DIFFERENT'} — largest difference "
                f"{self.max_difference:.3g} at {self.worst or '-'} (tolerance {self.tolerance:g}, "
                f"{len(self.differences)} comparisons)")
        shown = self.failures[:8]
        more = len(self.failures) - len(shown)
        tail = f"\n  … and {more} more" if more > 0 else ""
        return head + "".join(f"\n  {f}" for f in shown) + tail


def _is_torch(model: Any) -> bool:
    return type(model).__module__.startswith("torch") or any(
        c.__module__.startswith("torch") for c in type(model).__mro__[1:])


def _dtype_of(model: Any, torch_side: bool, fallback: np.dtype) -> np.dtype:
    for p in model.parameters():
        return np.dtype(str(p.dtype).replace("torch.", "")) if torch_side else p.dtype
    return fallback


def _run(model: Any, x: np.ndarray, upstream_seed: int) -> dict[str, np.ndarray]:
    """Output, gradients (input and parameters) and buffers of one model, by name; the
    buffers are put back as they were afterwards."""
    torch_side = _is_torch(model)
    saved = [(b, np.array(b.detach().cpu().numpy() if torch_side else b.data))
             for _, b in model.named_buffers()]
    try:
        return _forward_backward(model, x, upstream_seed, torch_side)
    finally:
        for b, arr in saved:
            if torch_side:
                import torch

                with torch.no_grad():
                    b.copy_(torch.from_numpy(arr))
            else:
                b.data[...] = arr


def _forward_backward(model: Any, x: np.ndarray, upstream_seed: int, torch_side: bool
                      ) -> dict[str, np.ndarray]:
    dtype = _dtype_of(model, torch_side, x.dtype if x.dtype.kind == "f" else np.float32)
    params = list(model.named_parameters())
    out: dict[str, np.ndarray] = {}
    if torch_side:
        import torch

        tx = torch.tensor(x.astype(dtype), requires_grad=True)
        y = model(tx)
        ys = list(y) if isinstance(y, (tuple, list)) else [y]
        floats = [v for v in ys if v.dtype.is_floating_point]
        for i, v in enumerate(ys):
            out[f"output {i}" if len(ys) > 1 else "output"] = v.detach().cpu().numpy()
        ups = _upstream(floats, upstream_seed, lambda a: torch.tensor(a, dtype=floats[0].dtype))
        leaves = [tx] + [p for _, p in params if p.requires_grad]
        grads = torch.autograd.grad(floats, leaves, ups, allow_unused=True)
        to_np = lambda g: None if g is None else g.detach().cpu().numpy()  # noqa: E731
        buffers = [(n, b.detach().cpu().numpy().copy()) for n, b in model.named_buffers()]
    else:
        from autocnn.autograd import grad as ac_grad

        tx = Tensor(x.astype(dtype), requires_grad=True)
        y = model(tx)
        ys = list(y) if isinstance(y, (tuple, list)) else [y]
        floats = [v for v in ys if v.dtype.kind == "f"]
        for i, v in enumerate(ys):
            out[f"output {i}" if len(ys) > 1 else "output"] = np.array(v.data)
        ups = _upstream(floats, upstream_seed, lambda a: Tensor(a.astype(floats[0].dtype)))
        leaves = [tx] + [p for _, p in params if p.requires_grad]
        grads = _ac_grads(ac_grad, floats, leaves, ups)
        to_np = lambda g: None if g is None else np.array(g.data)  # noqa: E731
        buffers = [(n, np.array(b.data)) for n, b in model.named_buffers()]
    names = ["input"] + [n for n, p in params if p.requires_grad]
    for n, g in zip(names, grads):
        out[f"grad {n}"] = to_np(g)
    for n, b in buffers:
        out[f"buffer {n}"] = b
    return out


def _ac_grads(ac_grad: Any, outputs: list, leaves: list, ups: list) -> list:
    """autocnn gradients of the outputs against ``ups``; None for leaves they do not use."""
    if not outputs:
        return [None] * len(leaves)
    return list(ac_grad(outputs, leaves, grad_outputs=ups, allow_unused=True))


def _upstream(outputs: list, seed: int, make: Any) -> list:
    rng = np.random.default_rng(seed)
    return [make(rng.standard_normal(tuple(v.shape))) for v in outputs]


def check_same(a: Any, b: Any, example_input: Any, tol: float | None = None) -> SameReport:
    """Compare two models (autocnn or torch, either order) on ``example_input``.

    Returns a ``SameReport``: truthy when outputs, the gradients of the input and of every
    parameter (by name) and the buffers agree within ``tol`` (default: 1e-10 if both
    models are float64, else 1e-5); ``str(report)`` names the largest difference.
    """
    for name, model in (("a", a), ("b", b)):
        if not (isinstance(model, nn.Module) or _is_torch(model)):
            raise TypeError(f"check_same: '{name}' must be an autocnn or torch module, got "
                            f"{type(model).__name__}")
    x = example_input
    if isinstance(x, Tensor):
        x = x.data
    elif type(x).__module__.startswith("torch"):
        x = x.detach().cpu().numpy()
    x = np.array(x)
    ra, rb = _run(a, x, 0), _run(b, x, 0)
    if tol is None:
        both64 = all(v.dtype == np.float64 for k, v in (*ra.items(), *rb.items())
                     if k.startswith("output") and v is not None and v.dtype.kind == "f")
        tol = 1e-10 if both64 else 1e-5
    report = SameReport(tolerance=tol)
    for key in sorted(set(ra) | set(rb), key=lambda k: (k not in ra, k)):
        va, vb = ra.get(key), rb.get(key)
        if va is None or vb is None:
            if (va is None) != (vb is None):
                report.failures.append(f"{key}: present in only one of the models")
            continue
        if va.shape != vb.shape:
            report.failures.append(f"{key}: shapes {list(va.shape)} and {list(vb.shape)}")
            continue
        va64, vb64 = va.astype(np.float64), vb.astype(np.float64)
        diff = float(np.max(np.abs(va64 - vb64), initial=0.0))
        report.differences[key] = diff
        bad = np.abs(va64 - vb64) > tol * (1 + np.abs(vb64))
        if bad.any():
            i = np.unravel_index(int(np.argmax(bad)), va.shape)
            report.failures.append(f"{key}: largest difference {diff:.3g}; e.g. at "
                                   f"{list(i)}: {va64[i]!r} vs {vb64[i]!r}")
    return report
