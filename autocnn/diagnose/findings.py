"""What a diagnosis says: ``Finding`` (one verdict), ``Report`` (all of them), ``CODES``.

A finding is one thing that is wrong with a training run, stated the way a teaching
assistant would: a ``code`` (a stable name such as ``"lr_too_high"``), the ``evidence``
(the measured numbers, in words) and the ``advice`` (one "do this" line). ``CODES`` lists
every code with a one-line explanation of the check behind it; docs/diagnose.md explains
each at length. A ``Report`` holds the findings of a run together with the measurements
they were drawn from, prints itself as a readable text, writes itself as JSON and draws
the pictures of ``autocnn.diagnose.plots``.

Part of ``autocnn.diagnose`` (DESIGN.md: looking inside a training run, through hooks).
"""

from __future__ import annotations

import json
import math
import os
import textwrap
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autocnn.files import atomic_write

#: every finding code, with the check that produces it (in the order a report lists them)
CODES: dict[str, str] = {
    "inputs_unnormalised": "the inputs' mean or spread is far from 0 and 1 (e.g. pixels in "
    "0..255)",
    "weights_constant": "every entry of a weight is the same value (e.g. zero init): the "
    "units stay identical and symmetry is never broken",
    "softmax_before_loss": "the model ends in a Softmax while the loss applies log-softmax "
    "itself",
    "grad_accumulation": "a parameter's .grad held more than the last backward's gradient "
    "(a forgotten zero_grad)",
    "initial_loss_high": "the loss before training is far above ln(num_classes): the model "
    "is confidently wrong at initialisation",
    "initial_loss_low": "the loss before training is far below ln(num_classes): the model "
    "cannot know the answers yet",
    "lr_too_high": "the update:data ratio of the weights is far above 10^-3",
    "lr_too_low": "the update:data ratio of the weights is far below 10^-3",
    "nonfinite": "a NaN or inf appeared in the forward pass, the loss or a gradient",
    "loss_spike": "the training loss jumped far above its recent values",
    "dead_relu": "a ReLU layer outputs 0 for every image of the batch in most of its units",
    "saturated": "a tanh or sigmoid layer sits in its flat tails for most of its outputs",
    "vanishing_gradients": "the first layers get gradients many times smaller, relative to "
    "their weights, than the last ones",
    "overfit_failed": "a copy of the model could not drive the loss of one batch near zero",
}

#: how bad a finding is: "error" (training cannot work), "warning" (it will suffer)
SEVERITIES = ("error", "warning")


@dataclass
class Finding:
    """One verdict: ``code`` (a key of ``CODES``), ``evidence``, ``advice``.

    ``where`` names the layer or parameter concerned (``"0.weight"``, ``"2 (ReLU)"``) when
    there is one, ``step`` the training step it was seen at, and ``values`` the numbers
    behind the evidence (for programs; the text says the same in words).
    """

    code: str
    evidence: str
    advice: str
    severity: str = "warning"
    where: str | None = None
    step: int | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"Finding: unknown code {self.code!r}; valid codes are "
                             f"{', '.join(CODES)}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Finding: unknown severity {self.severity!r}; valid "
                             f"severities are {', '.join(SEVERITIES)}")

    def text(self, width: int = 92) -> str:
        """``[code] evidence`` and ``do this: advice``, wrapped at ``width`` columns."""
        evidence = textwrap.fill(f"[{self.code}] {self.evidence}", width,
                                 subsequent_indent="   ")
        advice = textwrap.fill(f"do this: {self.advice}", width, initial_indent="    ",
                               subsequent_indent="             ")
        return f"{evidence}\n{advice}"


@dataclass(repr=False)
class Report:
    """The findings of a diagnosis and the measurements behind them.

    - ``findings``: the ``Finding`` list, most important first (empty for a healthy run);
    - ``checks``: what each check before training measured (``"initial_loss"``,
      ``"overfit"``, ``"inputs"``, ...), as plain numbers;
    - ``monitor``: the ``Monitor`` that watched the training steps, or ``None``; its
      records feed the pictures.
    """

    findings: list[Finding] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    monitor: Any = None

    @property
    def healthy(self) -> bool:
        """True when no check found anything wrong."""
        return not self.findings

    @property
    def codes(self) -> list[str]:
        """The codes of the findings, in order (``[]`` for a healthy run)."""
        return [f.code for f in self.findings]

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def text(self) -> str:
        """The report as readable text: the verdicts, then what was measured."""
        lines = ["autocnn diagnosis"]
        if self.findings:
            lines.append(f"{len(self.findings)} problem(s) found, most important first:")
            lines += ["", *(f"{i}. {f.text()}" for i, f in enumerate(self.findings, 1))]
        else:
            lines.append("no problems found: every check passed.")
        measured = _measured_lines(self.checks, self.monitor)
        if measured:
            lines += ["", "what was measured:", *measured]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        # short: the records behind a report are large (print(report) shows it all)
        return f"Report(codes={self.codes}, healthy={self.healthy})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython and Jupyter show the readable text, not the repr."""
        printer.text(self.text())

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready values (non-finite numbers become ``None``)."""
        payload: dict[str, Any] = {
            "healthy": self.healthy,
            "findings": [asdict(f) for f in self.findings],
            "checks": self.checks,
        }
        if self.monitor is not None:
            payload["training"] = self.monitor.to_dict()
        return _plain(payload)

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write ``to_dict()`` as JSON, atomically; the path."""
        path = Path(path)
        atomic_write(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    def save(self, folder: str | os.PathLike, plots: bool = True) -> list[str]:
        """Write ``diagnosis.txt``, ``diagnosis.json`` and (with ``plots``) the pictures
        into ``folder`` (created if needed); the names of the files written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "diagnosis.txt", self.text())
        self.to_json(folder / "diagnosis.json")
        names = ["diagnosis.txt", "diagnosis.json"]
        if plots and self.monitor is not None and self.monitor.steps:
            from autocnn.diagnose.plots import save_plots

            names += save_plots(self.monitor, folder)
        return names


def _measured_lines(checks: dict[str, Any], monitor: Any) -> list[str]:
    lines = []
    inputs = checks.get("inputs")
    if inputs:
        lines.append(f"  inputs: mean {inputs['mean']:.3g}, std {inputs['std']:.3g}, range "
                     f"{inputs['min']:.3g}..{inputs['max']:.3g}")
    loss = checks.get("initial_loss")
    if loss:
        lines.append(f"  initial loss {loss['loss']:.4g} (ln {loss['num_classes']} = "
                     f"{loss['expected']:.4g})")
    overfit = checks.get("overfit")
    if overfit:
        lines.append(f"  one-batch overfit: loss {overfit['start']:.4g} → {overfit['end']:.4g} "
                     f"in {overfit['steps']} steps ({overfit['batch']} images)")
    if monitor is not None and monitor.steps:
        lines += monitor.summary_lines()
    return lines


def _plain(value: Any) -> Any:
    """JSON-ready: NumPy scalars to Python numbers, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
