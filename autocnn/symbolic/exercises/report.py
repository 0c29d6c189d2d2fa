"""The exercise checker's report: one verdict per gradient, the wrong entries, the patterns."""

from __future__ import annotations

from dataclasses import dataclass, field

from autocnn.symbolic.tensors import index_name


# ----------------------------------------------------------------------------- report
@dataclass
class WrongEntry:
    """One wrong gradient entry."""

    index: tuple[int, ...]
    got: float
    expected: float

    def __str__(self) -> str:
        return (f"{index_name(self.index)}: got {self.got:.6g}, expected {self.expected:.6g} "
                f"(off by {self.got - self.expected:+.3g})")


@dataclass
class GradientResult:
    """The verdict on one input's gradient."""

    input: str
    ok: bool
    shape_ok: bool = True
    wrong: int = 0
    total: int = 0
    max_error: float = 0.0
    examples: list[WrongEntry] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    expected_expression: str = ""
    message: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"  dL/d{self.input}: correct ({self.total} entries)"
        lines = [f"  dL/d{self.input}: WRONG"]
        if self.message:
            lines.append(f"    {self.message}")
        if self.shape_ok:
            lines.append(f"    {self.wrong} of {self.total} entries wrong, largest error "
                         f"{self.max_error:.3g}")
            lines += [f"    {e}" for e in self.examples]
        for p in self.patterns:
            lines.append(f"    likely mistake: {p}")
        if self.expected_expression and self.examples:
            lines.append(f"    exact expected expression of {self.input}"
                         f"{index_name(self.examples[0].index)}: {self.expected_expression}")
        return "\n".join(lines)


@dataclass
class ExerciseReport:
    """The checker's verdict: truthy when every gradient is right.

    ``results`` has one ``GradientResult`` per input; ``patterns`` collects every named
    mistake; ``exact`` says what the exact re-check (rationals, then symbols) found, and
    ``exact_failed`` is True when that re-check found a wrong entry — the report is then
    falsy even though every entry passed the float check.
    """

    op: str
    results: list[GradientResult] = field(default_factory=list)
    forward_message: str = ""
    exact: str = ""
    exact_failed: bool = False

    def __bool__(self) -> bool:
        return (not self.forward_message and not self.exact_failed
                and all(r.ok for r in self.results))

    @property
    def patterns(self) -> list[str]:
        """Every mistake pattern recognised, over all gradients."""
        return list(dict.fromkeys(p for r in self.results for p in r.patterns))

    def __str__(self) -> str:
        head = f"check_backward {self.op}: " + ("all gradients correct" if self else
                                               "MISTAKES FOUND")
        lines = [head]
        if self.forward_message:
            lines.append(f"  forward: {self.forward_message}")
        lines += [str(r) for r in self.results]
        if self.exact:
            verdict = "exact check FAILED" if self.exact_failed else "exact check"
            lines.append(f"  {verdict}: {self.exact}")
        return "\n".join(lines)

    __repr__ = __str__


