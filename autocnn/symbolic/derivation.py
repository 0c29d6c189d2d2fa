"""The ``Derivation`` base class: forward steps, closed-form gradients, proofs, rendering.

A derivation holds, for one small concrete instance of an op (say batch norm over N = 3
values):

* ``steps`` — the forward pass, step by step (name → SymPy expression or object array),
  each with its textbook formula for any size;
* ``grads`` — the closed-form gradient per input (name → object array of expressions),
  written the way a textbook writes it (rotated kernels, Σg, x̂ …), *not* taken from the
  engine;
* ``check()`` — proves every entry of every closed form equal to the engine's backward on
  symbolic inputs and to ``sympy.diff`` of the forward formula, plus any extra identities
  the derivation states (staged vs compact batch norm, conv-BN folding, …);
* ``to_latex()``, ``to_markdown()``, ``_repr_latex_()`` (Jupyter) and ``str()``.

Subclasses (one file per op) fill these in; see ``batchnorm.py`` for the longest.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from autocnn.symbolic.compare import compare
from autocnn.symbolic.latex import latex_text
from autocnn.symbolic.latex import standalone as latex_standalone
from autocnn.symbolic.tensors import index_name


@dataclass
class Formula:
    """A formula shown to the reader: plain text and LaTeX of the general (any-size) form."""

    label: str
    text: str
    latex: str


@dataclass
class Identity:
    """An extra claim a derivation proves: ``lhs == rhs`` entry by entry."""

    label: str
    lhs: Any
    rhs: Any


@dataclass
class CheckLine:
    """One line of a check report: a claim, how many entries, and the outcome."""

    claim: str
    entries: int
    proved: int
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no entry was refuted."""
        return not self.failures

    def __str__(self) -> str:
        if not self.ok:
            return f"FAILED  {self.claim}: " + "; ".join(self.failures[:3])
        how = ("proved" if self.proved == self.entries
               else f"{self.proved} proved, {self.entries - self.proved} equal at exact points")
        return f"OK      {self.claim} ({self.entries} entries, {how})"


@dataclass
class CheckReport:
    """The result of ``Derivation.check()``: truthy when every claim holds."""

    title: str
    lines: list[CheckLine] = field(default_factory=list)

    def __bool__(self) -> bool:
        return all(line.ok for line in self.lines)

    def __str__(self) -> str:
        verdict = "all claims hold" if self else "SOME CLAIMS FAIL"
        return "\n".join([f"check of {self.title}: {verdict}"] + [f"  {ln}" for ln in self.lines])

    __repr__ = __str__


def as_array(value: Any) -> np.ndarray:
    """A SymPy expression, list or array as an object array (a scalar gives shape ())."""
    if isinstance(value, np.ndarray):
        return value.astype(object)
    out = np.empty((), dtype=object)
    if isinstance(value, (list, tuple)):
        return np.array(value, dtype=object)
    out[()] = sympy.sympify(value)
    return out


def compare_arrays(claim: str, lhs: Any, rhs: Any, subs: dict | None = None) -> CheckLine:
    """Compare two arrays entry by entry (after substituting ``subs`` into both)."""
    a, b = as_array(lhs), as_array(rhs)
    if a.shape != b.shape:
        return CheckLine(claim, max(a.size, b.size), 0, [f"shapes differ: {a.shape} vs {b.shape}"])
    line = CheckLine(claim, a.size, 0)
    for idx in np.ndindex(*a.shape):
        left, right = sympy.sympify(a[idx]), sympy.sympify(b[idx])
        if subs:
            left, right = left.xreplace(subs), right.xreplace(subs)
        result = compare(left, right)
        if result.status == "proved":
            line.proved += 1
        elif not result:
            where = ", ".join(f"{k}={v}" for k, v in list(result.point.items())[:4])
            values = (f" (e.g. at {where}{', …' if len(result.point) > 4 else ''}: "
                      f"{_show(result.values[0], 60)} vs {_show(result.values[1], 60)})"
                      if result.point else "")
            line.failures.append(f"entry {index_name(idx)} differs{values}")
    return line


def _show(value: Any, limit: int = 220) -> str:
    text = sympy.sstr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first(value: Any) -> tuple[str, Any]:
    arr = as_array(value)
    if arr.shape == ():
        return "", arr[()]
    idx = (0,) * arr.ndim
    return index_name(idx), arr[idx]


class Derivation:
    """Base class of the textbook derivations (see the module docstring).

    Attributes set by subclasses: ``title``, ``summary``, ``instance`` (a sentence naming
    the concrete sizes), ``forward`` (list of ``Formula``), ``steps`` (OrderedDict),
    ``gradient_formulas`` (list of ``Formula``), ``grads`` (dict), ``sections`` (extra
    headed lists of ``Formula``), ``subs`` (step symbol → its definition), ``identities``.
    Subclasses implement ``engine_grads()`` and ``reference_grads()``.
    """

    title: str = ""
    summary: str = ""
    instance: str = ""

    def __init__(self) -> None:
        self.forward: list[Formula] = []
        self.steps: OrderedDict[str, Any] = OrderedDict()
        self.gradient_formulas: list[Formula] = []
        self.grads: OrderedDict[str, Any] = OrderedDict()
        self.sections: list[tuple[str, list[Formula]]] = []
        self.subs: dict[Any, Any] = {}
        self.identities: list[Identity] = []
        self.notes: list[str] = []
        self._report: CheckReport | None = None

    # ------------------------------------------------------------ to be provided
    def engine_grads(self) -> dict[str, np.ndarray]:
        """The engine's gradients on this instance (name → object array)."""
        raise NotImplementedError

    def reference_grads(self) -> dict[str, np.ndarray]:
        """``sympy.diff`` of the forward formula (name → object array)."""
        raise NotImplementedError

    # ------------------------------------------------------------ checking
    def expand_steps(self, expr: Any) -> Any:
        """``expr`` with step symbols (μ, σ², x̂_i, …) replaced by their definitions."""
        arr = as_array(expr)
        out = np.empty(arr.shape, dtype=object)
        for idx in np.ndindex(*arr.shape):
            value = sympy.sympify(arr[idx])
            for _ in range(4):  # definitions may refer to earlier step symbols
                new = value.xreplace(self.subs)
                if new == value:
                    break
                value = new
            out[idx] = value
        return out if arr.shape else out[()]

    def check(self) -> CheckReport:
        """Prove each closed-form gradient equal to the engine's and to ``sympy.diff``."""
        if self._report is not None:
            return self._report
        report = CheckReport(self.title)
        engine, reference = self.engine_grads(), self.reference_grads()
        for name, closed in self.grads.items():
            closed = self.expand_steps(closed)
            report.lines.append(compare_arrays(
                f"closed form of dL/d{name} = engine backward", closed, engine[name]))
            report.lines.append(compare_arrays(
                f"closed form of dL/d{name} = sympy.diff", closed, reference[name]))
        for identity in self.identities:
            report.lines.append(compare_arrays(
                identity.label, self.expand_steps(identity.lhs), self.expand_steps(identity.rhs)))
        self._report = report
        return report

    # ------------------------------------------------------------ rendering
    def _groups(self) -> list[tuple[str, list[Formula]]]:
        groups = [("Forward pass", self.forward), ("Gradients", self.gradient_formulas)]
        return groups + self.sections

    def _instance_lines(self) -> list[tuple[str, str, str]]:
        rows = []
        for name, value in self.steps.items():
            where, first = _first(value)
            rows.append((f"{name}{where}", _show(first), sympy.latex(first)))
        for name, value in self.grads.items():
            where, first = _first(value)
            rows.append((f"dL/d{name}{where}", _show(first), sympy.latex(first)))
        return rows

    def __str__(self) -> str:
        lines = [self.title, "=" * len(self.title), "", self.summary, ""]
        for heading, formulas in self._groups():
            lines += [heading, "-" * len(heading)]
            width = max((len(f.label) for f in formulas), default=0)
            lines += [f"  {f.label.ljust(width)}  {f.text}" for f in formulas]
            lines.append("")
        lines += ["Concrete instance: " + self.instance, "-" * 18]
        lines += [f"  {label} = {text}" for label, text, _ in self._instance_lines()]
        lines.append("")
        if self.notes:
            lines += ["Notes", "-----"] + [f"  {n}" for n in self.notes] + [""]
        lines += ["Proof", "-----", str(self.check())]
        return "\n".join(lines) + "\n"

    def to_latex(self, standalone: bool = False) -> str:
        """LaTeX (align* environments) with the steps, gradients and the proof as a list.

        Pure ASCII: the Unicode of the text parts becomes math macros (see
        :mod:`autocnn.symbolic.latex`), so pdflatex compiles it. A fragment for
        ``\\input``; with ``standalone=True`` a complete document.
        """
        out = [f"\\paragraph{{{latex_text(self.title)}}} {latex_text(self.summary)}"]
        for heading, formulas in self._groups():
            out.append(f"\\subparagraph{{{latex_text(heading)}}}")
            out.append("\\begin{align*}")
            out.append(" \\\\\n".join(f"&\\text{{{latex_text(f.label)}}} && {f.latex}"
                                      for f in formulas))
            out.append("\\end{align*}")
        out.append(f"\\subparagraph{{Concrete instance}} {latex_text(self.instance)}")
        out.append("\\begin{align*}")
        out.append(" \\\\\n".join(f"&\\text{{{latex_text(label)}}} && {tex}"
                                  for label, _, tex in self._instance_lines()))
        out.append("\\end{align*}")
        proof = self.check()
        out.append("\\subparagraph{Proof} " + ("All claims hold." if proof else
                                                "SOME CLAIMS FAIL."))
        out.append("\\begin{itemize}")
        for line in proof.lines:
            status = "OK" if line.ok else "FAILED"
            out.append(f"  \\item[{status}] {latex_text(str(line)[len(status):].strip())}")
        out.append("\\end{itemize}")
        text = "\n".join(out) + "\n"
        return latex_standalone(text, self.title) if standalone else text

    def to_markdown(self) -> str:
        """Markdown with $…$ math: the steps, gradients, a concrete instance and the proof."""
        out = [f"## {self.title}", "", self.summary, ""]
        for heading, formulas in self._groups():
            out += [f"### {heading}", "", "| step | formula |", "|---|---|"]
            out += [f"| {f.label} | ${f.latex}$ |" for f in formulas]
            out.append("")
        out += ["### Concrete instance", "", self.instance, "", "```text"]
        out += [f"{label} = {text}" for label, text, _ in self._instance_lines()]
        out += ["```", ""]
        if self.notes:
            out += ["### Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        out += ["### Proof", "", "```text", str(self.check()), "```", ""]
        return "\n".join(out)

    def _repr_latex_(self) -> str:
        body = []
        for _, formulas in self._groups():
            body += [f"&\\text{{{latex_text(f.label)}}} && {f.latex}" for f in formulas]
        return "$\\begin{aligned}" + " \\\\ ".join(body) + "\\end{aligned}$"
