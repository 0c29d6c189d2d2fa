"""``Monitor``: watch a training run through hooks and measure its health every k steps.

Use it in your own loop, with one extra line after ``optimizer.step()``::

    monitor = Monitor(model, optimizer, every=10)
    with monitor:                                  # installs the hooks; removes them after
        for images, labels in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            monitor.step(loss)
    print(monitor.report())                        # the verdicts, with "do this" lines

What it measures, and how:

- a forward hook on every leaf module records, on every k-th step, the mean and std of
  its output, the dead fraction (ReLU: units that are 0 for every image of the batch) and
  the saturated fraction (tanh |y| > 0.97, sigmoid y < 0.03 or y > 0.97), keeps a sample
  of the values for the histograms, and puts a tensor hook on the output to record the
  gradient that flows back into it;
- the same forward hook checks every step for the first module whose output is NaN or
  inf while its inputs were finite (the module that produced it);
- ``step()`` compares every parameter with a copy taken before the optimiser's step, for
  the update:data ratio std(update) / std(weight before the step) (log10; the lecture's
  healthy value is about 10^-3), and records the grad:data ratio and the gradient norm;
- a tensor hook on every parameter sums the gradients the backward passes deliver; when
  ``.grad`` holds more than that sum at ``step()``, gradients of earlier steps were never
  cleared (the forgotten ``zero_grad``).

With no step sampled, the hooks cost one ``isfinite`` pass per module output. Part of
``autocnn.diagnose``; the verdicts are drawn by ``autocnn.diagnose.verdicts``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor

#: |tanh| above this (sigmoid below 1 − this... see ``_saturated``) counts as saturated
TANH_SATURATION = 0.97
#: how many values of one layer's output (and gradient) are kept for the histograms
VALUES_KEPT = 20_000


def _log10_ratio(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """log10(std(numerator) / std(denominator)); −inf for a zero numerator, nan when the
    denominator has no spread (a bias of zeros: the ratio means nothing there)."""
    top = float(np.std(numerator))
    bottom = float(np.std(denominator))
    if not bottom > 0 or not math.isfinite(bottom) or not math.isfinite(top):
        return math.nan
    return math.log10(top / bottom) if top > 0 else -math.inf


def _sample(values: np.ndarray) -> np.ndarray:
    flat = values.reshape(-1)
    if flat.size > VALUES_KEPT:
        flat = flat[:: -(-flat.size // VALUES_KEPT)]
    return flat.astype(np.float64, copy=True)


def _kind(module: Any) -> str:
    return type(module).__name__


class Monitor:
    """Record the health of a training run every ``every`` steps; ``report()`` judges it.

    - ``model``: the ``nn.Module`` being trained;
    - ``optimizer``: optional; when given, the advice names its learning rate;
    - ``every``: measure on step 0, k, 2k, ... (a step is one call of ``step()``);
    - ``num_classes``: optional; when given, the first loss is compared with ln(C).

    ``attach()`` installs the hooks and ``detach()`` removes them (or use ``with``);
    ``step(loss)`` goes right after ``optimizer.step()``.
    """

    def __init__(self, model: Any, optimizer: Any = None, every: int = 10,
                 num_classes: int | None = None) -> None:
        if not hasattr(model, "named_parameters") or not hasattr(model, "named_modules"):
            raise TypeError(f"Monitor: 'model' must be an nn.Module, got "
                            f"{type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"Monitor: expected 'every' to be an int >= 1, got {every!r}")
        if num_classes is not None and (isinstance(num_classes, bool) or
                                        not isinstance(num_classes, (int, np.integer))
                                        or num_classes < 2):
            raise ValueError(f"Monitor: expected 'num_classes' to be an int >= 2 or None, "
                             f"got {num_classes!r}")
        self.model = model
        self.optimizer = optimizer
        self.every = int(every)
        self.num_classes = None if num_classes is None else int(num_classes)
        #: the number of ``step()`` calls so far
        self.step_count = 0
        #: the steps that were measured
        self.steps: list[int] = []
        #: the loss passed to every ``step()`` (nan when none was passed)
        self.losses: list[float] = []
        #: layer name → {"kind", "records": [...], "values", "grads", "grad_records": [...]}
        self.layers: dict[str, dict[str, Any]] = {}
        #: parameter name → [{"step", "grad_norm", "grad_data", "update_data"}, ...]
        self.params: dict[str, list[dict[str, float]]] = {}
        #: the first NaN/inf seen: {"step", "where", "kind", ...}, or None
        self.nonfinite: dict[str, Any] | None = None
        #: parameter name → the first step whose .grad held stale gradients, with the ratio
        self.accumulated: dict[str, dict[str, float]] = {}
        self._handles: list[Any] = []
        self._snapshot: dict[str, np.ndarray] | None = None
        self._incoming: dict[str, np.ndarray] | None = None
        self._seen: set[str] = set()
        self._loss_given = False
        self._warned = False

    # ------------------------------------------------------------------ hooks
    @property
    def attached(self) -> bool:
        """True while the hooks are installed."""
        return bool(self._handles)

    def attach(self) -> Monitor:
        """Install the module and tensor hooks (once); returns the monitor."""
        if self._handles:
            return self
        for name, module in self.model.named_modules():
            if any(True for _ in module.children()):
                continue  # containers: their leaves are hooked, and say more
            label = name or _kind(module)
            self._handles.append(module.register_forward_hook(self._forward_hook(label)))
        for name, p in self.model.named_parameters():
            if p.requires_grad:
                self._handles.append(p.register_hook(self._param_hook(name)))
        if self.step_count % self.every == 0:
            self._prepare()
        return self

    def detach(self) -> None:
        """Remove every hook the monitor installed (the records stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> Monitor:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    def _sampling(self) -> bool:
        return self.step_count % self.every == 0

    def _forward_hook(self, name: str) -> Any:
        def hook(module: Any, inputs: tuple, output: Any) -> None:
            if not isinstance(output, Tensor) or not output.requires_grad:
                return  # evaluation under no_grad: not a training step
            if self.nonfinite is None:
                self._check_finite(name, module, inputs, output)
            if self._sampling() and name not in self._seen:
                self._seen.add(name)
                self._record_activation(name, module, output)
        return hook

    def _check_finite(self, name: str, module: Any, inputs: tuple, output: Tensor) -> None:
        data = output.data
        if np.isfinite(data).all():
            return
        finite_in = all(np.isfinite(x.data).all() for x in inputs if isinstance(x, Tensor))
        if finite_in:
            bad = int(np.size(data) - np.count_nonzero(np.isfinite(data)))
            self.nonfinite = {"step": self.step_count, "where": f"{name} ({_kind(module)})",
                              "kind": "forward", "count": bad, "size": int(np.size(data))}
            self.nonfinite["anomaly"] = _ask_anomaly_mode(module, inputs)

    def _record_activation(self, name: str, module: Any, output: Tensor) -> None:
        y = np.asarray(output.data, dtype=np.float64)
        kind = _kind(module)
        entry = self.layers.setdefault(name, {"kind": kind, "records": [],
                                              "grad_records": []})
        record: dict[str, float] = {"step": self.step_count,
                                    "mean": float(np.mean(y)), "std": float(np.std(y))}
        if kind == "ReLU" and y.ndim >= 2 and len(y) > 1:
            record["dead"] = float(np.mean(np.all(y <= 0, axis=0)))
        if kind == "Tanh":
            record["saturated"] = float(np.mean(np.abs(y) > TANH_SATURATION))
        if kind == "Sigmoid":
            record["saturated"] = float(np.mean(np.abs(y - 0.5) > TANH_SATURATION - 0.5))
        entry["records"].append(record)
        entry["values"] = _sample(y)
        step = self.step_count

        def grad_hook(grad: Tensor) -> None:
            g = np.asarray(grad.data, dtype=np.float64)
            entry["grad_records"].append({"step": step, "mean": float(np.mean(g)),
                                          "std": float(np.std(g))})
            entry["grads"] = _sample(g)
        output.register_hook(grad_hook)

    def _param_hook(self, name: str) -> Any:
        def hook(grad: Tensor) -> None:
            if self._incoming is None:
                return
            g = np.asarray(grad.data)
            if name in self._incoming:
                self._incoming[name] = self._incoming[name] + g
            else:
                self._incoming[name] = g.copy()
        return hook

    def _prepare(self) -> None:
        """Before a measured step: copy the weights and start summing incoming gradients."""
        self._snapshot = {n: p.data.copy() for n, p in self.model.named_parameters()}
        self._incoming = {}
        self._seen = set()

    # ------------------------------------------------------------------ the step
    def step(self, loss: Tensor | float | None = None) -> None:
        """Call once per training step, right after ``optimizer.step()``."""
        if not self._handles and not self._warned:
            self._warned = True
            warnings.warn("Monitor.step: the monitor's hooks are not installed (use `with "
                          "monitor:` or monitor.attach() before the loop): only the losses "
                          "and the weight ratios are measured", stacklevel=2)
        if loss is None:
            value = math.nan
        elif isinstance(loss, Tensor):
            value = float(loss.item())
        else:
            value = float(loss)
        self.losses.append(value)
        self._loss_given = loss is not None
        if self.nonfinite is None:
            self._check_grads_and_loss(value)
        if self._sampling():
            self._record_params()
        self.step_count += 1
        if self._sampling():
            self._prepare()

    def _check_grads_and_loss(self, loss: float) -> None:
        if math.isinf(loss) or (math.isnan(loss) and self._loss_given):
            self.nonfinite = {"step": self.step_count, "where": "the loss", "kind": "loss",
                              "value": loss}
            return
        for name, p in self.model.named_parameters():
            if p.grad is not None and not np.isfinite(p.grad.data).all():
                self.nonfinite = {"step": self.step_count, "where": name, "kind": "gradient"}
                return

    def _record_params(self) -> None:
        self.steps.append(self.step_count)
        snapshot, incoming = self._snapshot or {}, self._incoming or {}
        for name, p in self.model.named_parameters():
            grad = None if p.grad is None else np.asarray(p.grad.data)
            with np.errstate(all="ignore"):
                record = {
                    "step": self.step_count,
                    "data_std": float(np.std(p.data)),
                    "grad_norm": math.nan if grad is None else float(np.linalg.norm(grad)),
                    "grad_data": (math.nan if grad is None else
                                  _log10_ratio(grad, snapshot.get(name, p.data))),
                    # relative to the weight *before* the step: after a huge step the
                    # new weight is mostly the update, and the ratio would stop at ~1
                    "update_data": (_log10_ratio(p.data - snapshot[name], snapshot[name])
                                    if name in snapshot else math.nan),
                }
            self.params.setdefault(name, []).append(record)
            fresh = incoming.get(name)
            if grad is not None and fresh is not None and name not in self.accumulated:
                fresh_norm = float(np.linalg.norm(fresh))
                excess = float(np.linalg.norm(grad - fresh))
                # float32 sums of the same numbers differ in the last bits only
                if fresh_norm > 0 and excess > 1e-3 * max(fresh_norm, 1e-30):
                    self.accumulated[name] = {"step": self.step_count,
                                              "ratio": float(np.linalg.norm(grad)) / fresh_norm}
        self._snapshot, self._incoming = None, None

    # ------------------------------------------------------------------ results
    def learning_rate(self) -> float | None:
        """The first parameter group's learning rate, when an optimiser was given."""
        groups = getattr(self.optimizer, "param_groups", None)
        return float(groups[0]["lr"]) if groups else None

    def weight_names(self) -> list[str]:
        """The parameters the ratio verdicts look at: weights with ≥ 2 axes, in order."""
        return [n for n, p in self.model.named_parameters() if p.ndim >= 2]

    def findings(self) -> list[Any]:
        """The verdicts drawn from the records so far (see ``autocnn.diagnose.verdicts``)."""
        from autocnn.diagnose.verdicts import training_findings

        return training_findings(self)

    def report(self) -> Any:
        """A ``Report`` with the findings of the training steps and these records."""
        from autocnn.diagnose.findings import Report
        from autocnn.diagnose.verdicts import order_findings

        return Report(order_findings(self.findings()), {}, self)

    def summary_lines(self) -> list[str]:
        """A few indented lines saying what the last measured step saw, per layer."""
        lines = [f"  training: {self.step_count} steps, measured every {self.every} "
                 f"({len(self.steps)} times)"]
        finite = [x for x in self.losses if math.isfinite(x)]
        if finite:
            lines.append(f"  loss: first {self.losses[0]:.4g}, last {self.losses[-1]:.4g}")
        for name, entry in self.layers.items():
            if not entry["records"] or entry["kind"] == "Flatten":
                continue  # a Flatten's values are those of the layer before
            r = entry["records"][-1]
            extra = "".join(f", {k} {100 * r[k]:.0f}%" for k in ("dead", "saturated") if k in r)
            lines.append(f"  layer {name} ({entry['kind']}): output mean {r['mean']:+.3g}, "
                         f"std {r['std']:.3g}{extra}")
        for name in self.weight_names():
            records = self.params.get(name)
            if records:
                r = records[-1]
                lines.append(f"  {name}: log10 update:data {_fmt(r['update_data'])}, "
                             f"log10 grad:data {_fmt(r['grad_data'])}, "
                             f"grad norm {r['grad_norm']:.3g}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The records as plain data (histograms of the last values, not the values)."""
        layers = {}
        for name, entry in self.layers.items():
            item = {"kind": entry["kind"], "records": entry["records"],
                    "grad_records": entry["grad_records"]}
            for key in ("values", "grads"):
                if key in entry and np.isfinite(entry[key]).all():
                    counts, edges = np.histogram(entry[key], bins=40)
                    item[f"{key}_histogram"] = {"counts": counts, "edges": edges}
            layers[name] = item
        return {"steps": self.steps, "every": self.every, "step_count": self.step_count,
                "losses": self.losses, "layers": layers, "params": self.params,
                "nonfinite": self.nonfinite, "accumulated": self.accumulated}


def _ask_anomaly_mode(module: Any, inputs: tuple) -> str | None:
    """Run ``module`` once more on the same (finite) inputs under anomaly mode: the first
    line of what it says names the primitive that made the NaN/inf (``None`` if silent).

    Without a graph, so nothing is recorded; the monitor's own hook ignores this call.
    """
    from autocnn.autograd.anomaly import detect_anomaly
    from autocnn.autograd.grad_mode import no_grad

    try:
        with detect_anomaly(), no_grad(), np.errstate(all="ignore"):
            module(*inputs)
    except RuntimeError as exc:
        return str(exc).splitlines()[0]
    return None


def _fmt(value: float) -> str:
    if value != value:
        return "n/a"
    if math.isinf(value):
        return "-inf (no change)" if value < 0 else "inf"
    return f"{value:.2f}"
