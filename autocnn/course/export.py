"""Grades in the formats course platforms read: Gradescope and otter-grader / nbgrader.

* :func:`to_gradescope` — the ``results.json`` of a Gradescope autograder (its documented
  format: a top-level ``score``, ``output``, ``visibility``, ``stdout_visibility``,
  ``execution_time`` and a ``tests`` list with ``name``, ``score``, ``max_score``,
  ``status`` ("passed"/"failed"), ``output`` and ``visibility`` per test — here one test
  per answer part);
* :func:`to_otter` — otter-grader's per-test results (``name``, ``score``, ``possible``,
  ``passed``, ``hidden``, ``message``), which nbgrader-style tools also read: each part
  is one test worth its points.

Write them with ``autocnn.files.atomic_write(path, json.dumps(...))``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autocnn.course.grading import GradeResult


def _as_list(results: GradeResult | Iterable[GradeResult]) -> list[GradeResult]:
    if isinstance(results, GradeResult):
        return [results]
    out = list(results)
    if not all(isinstance(r, GradeResult) for r in out):
        raise TypeError("course export: expected GradeResult objects (from course.grade)")
    return out


def to_gradescope(results: GradeResult | Iterable[GradeResult], visibility: str = "visible",
                  execution_time: float | None = None) -> dict[str, Any]:
    """Gradescope's ``results.json`` for one submission (one or several exercises)."""
    if visibility not in ("hidden", "after_due_date", "after_published", "visible"):
        raise ValueError(f"to_gradescope: unknown visibility {visibility!r}")
    grades = _as_list(results)
    tests = []
    for r in grades:
        for i, p in enumerate(r.parts, start=1):
            tests.append({
                "name": f"{r.exercise}: {p.label}",
                "number": f"{len(tests) + 1}" if len(grades) > 1 else str(i),
                "score": p.score,
                "max_score": p.max_score,
                "status": "passed" if p.passed else "failed",
                "output": p.feedback(),
                "tags": [r.exercise, *p.mistake_keys],
                "visibility": visibility,
            })
    out: dict[str, Any] = {
        "score": round(sum(r.score for r in grades), 6),
        "output": "\n".join(r.feedback() for r in grades),
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if execution_time is not None:
        out["execution_time"] = execution_time
    return out


def to_otter(results: GradeResult | Iterable[GradeResult]) -> dict[str, Any]:
    """otter-grader-style results: ``{"tests": {name: {...}}, "total", "possible"}``."""
    grades = _as_list(results)
    tests = {}
    for r in grades:
        for p in r.parts:
            name = f"{r.exercise}-{p.name}"
            tests[name] = {"name": name, "score": p.score, "possible": p.max_score,
                           "passed": p.passed, "hidden": False, "message": p.feedback()}
    return {"tests": tests, "total": round(sum(r.score for r in grades), 6),
            "possible": sum(r.max_score for r in grades)}
