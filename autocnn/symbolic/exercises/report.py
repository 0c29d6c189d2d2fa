"""The exercise checker's report: one verdict per gradient, the wrong entries, the patterns.

The report's verdict (``ExerciseReport.verdict``) is one of

* ``"proved"`` — equal on symbolic inputs: a proof for every input of those shapes;
* ``"exact"`` — equal with zero tolerance on exact rational inputs;
* ``"float check only"`` — equal to float tolerance *and* to float64 rounding, but the exact
  re-check could not run (the reason is given); truthy, but not the same result as the two
  above (``report.exact_ok`` is False), and never printed as "all gradients correct";
* ``"wrong"`` — a wrong entry, a shape, an error in the student's code (falsy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autocnn.symbolic.tensors import index_name

#: longest expression shown in full; longer ones are shortened, with their size given
EXPRESSION_LIMIT = 400


def shorten(text: str, limit: int = EXPRESSION_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit].rstrip()} … [shortened: {len(text)} characters in full]"


@dataclass
class WrongEntry:
    """One wrong gradient entry of the input ``input``."""

    index: tuple[int, ...]
    got: float
    expected: float
    input: str = ""
    show_expected: bool = True

    @property
    def label(self) -> str:
        """``dL/dx[0, 0]``."""
        return f"dL/d{self.input}{index_name(self.index)}" if self.input else \
            index_name(self.index)

    def __str__(self) -> str:
        if not self.show_expected:
            return f"{self.label}: got {self.got:.6g} (wrong)"
        return (f"{self.label}: got {self.got:.6g}, expected {self.expected:.6g} "
                f"(off by {self.got - self.expected:+.3g})")


@dataclass
class GradientResult:
    """The verdict on one input's gradient (``patterns``: the named mistakes it matches)."""

    input: str
    ok: bool
    shape_ok: bool = True
    wrong: int = 0
    total: int = 0
    max_error: float = 0.0
    examples: list[WrongEntry] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    pattern_keys: list[str] = field(default_factory=list)
    expected_expression: str = ""
    message: str = ""
    show_expected: bool = True

    @property
    def label(self) -> str:
        """``dL/dx``, ``dL/dweight``, ``dL/dlogits``."""
        return f"dL/d{self.input}"

    def lines(self, with_patterns: bool = True) -> list[str]:
        """The report's lines for this gradient (patterns optional: the report prints each
        pattern once, for all gradients together)."""
        if self.ok:
            return [f"  {self.label}: correct ({self.total} entries)"]
        lines = [f"  {self.label}: WRONG"]
        if self.message:
            lines.append(f"    {self.message}")
        if self.shape_ok and self.wrong:
            lines.append(f"    {self.wrong} of {self.total} entries wrong, largest error "
                         f"{self.max_error:.3g}")
            lines += [f"    {e}" for e in self.examples]
        if with_patterns:
            lines += [f"    likely mistake: {p}" for p in self.patterns]
        if self.show_expected and self.expected_expression and self.examples:
            lines.append(f"    exact expected expression of {self.examples[0].label}: "
                         f"{shorten(self.expected_expression)}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass
class ExerciseReport:
    """The checker's verdict: truthy when every gradient is right (see the module docstring).

    ``results`` has one ``GradientResult`` per input; ``patterns`` collects every named
    mistake (``pattern_keys`` their catalogue keys); ``exact`` says what the exact re-check
    (rationals, then symbols) found; ``exact_failed`` is True when it found a wrong entry
    (the report is then falsy although every entry passed the float check);
    ``exact_level`` is ``"proved"``, ``"exact"`` or ``""`` (it did not run); ``error`` is
    set when the student's code raised or returned something unusable.
    """

    op: str
    results: list[GradientResult] = field(default_factory=list)
    forward_message: str = ""
    exact: str = ""
    exact_failed: bool = False
    exact_level: str = ""
    error: str = ""

    @property
    def verdict(self) -> str:
        """``"proved"``, ``"exact"``, ``"float check only"`` or ``"wrong"``."""
        if (self.error or self.forward_message or self.exact_failed
                or not all(r.ok for r in self.results)):
            return "wrong"
        return self.exact_level or "float check only"

    @property
    def exact_ok(self) -> bool:
        """True only when the pass was confirmed exactly (rationals or a symbolic proof)."""
        return self.verdict in ("proved", "exact")

    def __bool__(self) -> bool:
        return self.verdict != "wrong"

    @property
    def patterns(self) -> list[str]:
        """Every mistake pattern recognised, over all gradients, each once."""
        return list(dict.fromkeys(p for r in self.results for p in r.patterns))

    @property
    def pattern_keys(self) -> list[str]:
        """The catalogue keys of :attr:`patterns` (``mistakes.CATALOGUE``), each once."""
        return list(dict.fromkeys(k for r in self.results for k in r.pattern_keys))

    def __str__(self) -> str:
        verdict = self.verdict
        head = {"proved": "all gradients correct",
                "exact": "all gradients correct",
                "float check only": "gradients agree (float check only: the exact re-check "
                                    "did not run, so this is not a proof)",
                "wrong": "MISTAKES FOUND"}[verdict]
        lines = [f"check_backward {self.op}: {head}"]
        if self.error:
            lines.append(f"  your code: {self.error}")
        if self.forward_message:
            lines.append(f"  forward: {self.forward_message}")
        for r in self.results:
            lines += r.lines(with_patterns=False)
        for pattern in self.patterns:
            where = [r.label for r in self.results if pattern in r.patterns]
            lines.append(f"  likely mistake: {pattern} ({', '.join(where)})")
        if self.exact:
            label = "exact check FAILED" if self.exact_failed else "exact check"
            lines.append(f"  {label}: {self.exact}")
        return "\n".join(lines)

    __repr__ = __str__
