"""A whole class: one notebook per student, a teacher's key folder, grading them all.

``make(exercises, roster, out)`` reads a roster CSV (a column ``id``, optionally ``name``),
gives each student their own variant of each exercise (the seed derived from the student
id with SHA-256, so re-running ``make`` gives the same instances), and writes::

    out/students/ID.ipynb     the problems, the data, one stub function per part, shape checks
    out/submissions/          where the returned notebooks go (ID.ipynb or ID.py)
    out/key/key.json          roster, seeds and exact answer keys (teacher only)
    out/key/solutions/ID.md   each student's worked solutions (and ID.tex)

Nothing of the key is written into a student's notebook (a test checks every value).
``grade_folder(submissions, key)`` grades every submission and writes ``scores.csv``,
``feedback/ID.md`` and ``results/ID.json`` (Gradescope format) into the output folder.
Every file goes through ``autocnn.files.atomic_write``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from autocnn.course.export import to_gradescope, to_otter
from autocnn.course.grading import TIMEOUT, GradeResult, grade_all
from autocnn.course.variants import Variant, exercise_name, variant
from autocnn.files import atomic_write
from autocnn.symbolic.latex import standalone


def student_seed(student_id: str, exercise: str) -> int:
    """The seed of ``student_id``'s variant of ``exercise`` (SHA-256: the same everywhere)."""
    digest = hashlib.sha256(f"autocnn-course:{exercise}:{student_id}".encode()).hexdigest()
    return int(digest[:12], 16)


def read_roster(path: str | Path) -> list[dict[str, str]]:
    """The students of a roster CSV: a column ``id`` (or ``student_id``, or the first one),
    optionally ``name``. Ids must be unique and usable as file names."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"course: roster {str(path)!r} does not exist")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    if not rows:
        raise ValueError(f"course: roster {str(path)!r} has no students (a header line "
                         "'id,name' and one line per student)")
    fields = list(rows[0])
    id_field = next((f for f in ("id", "student_id", "sid") if f in fields), fields[0])
    students, seen = [], set()
    for i, row in enumerate(rows, start=2):
        sid = (row.get(id_field) or "").strip()
        if not sid or any(c in sid for c in "/\\:*?\"<>|") or sid.startswith("."):
            raise ValueError(f"course: roster line {i}: student id {sid!r} is empty or not "
                             "usable as a file name")
        if sid in seen:
            raise ValueError(f"course: roster line {i}: student id {sid!r} appears twice")
        seen.add(sid)
        students.append({"id": sid, "name": (row.get("name") or "").strip()})
    return students


# ----------------------------------------------------------------------------- notebooks
def _py_value(value: Any) -> str:
    """A given input as Python source (no answer is ever passed through here)."""
    if isinstance(value, int | str) or value is None:
        return repr(value)
    if isinstance(value, list):
        return repr(value)
    arr = np.asarray(value, dtype=object)

    def one(v: Any) -> str:
        v = sympy.sympify(v)
        if v.is_Integer:
            return str(int(v))
        if v.is_Rational:
            return f"{int(v.p)}/{int(v.q)}"
        if isinstance(v, sympy.log) and v.args[0].is_Rational:
            return f"np.log({v.args[0]})"
        raise ValueError(f"course: cannot write the input value {v} as Python")

    def nest(a: np.ndarray) -> str:
        if a.ndim == 0:
            return one(a[()])
        if a.ndim == 1:
            return "[" + ", ".join(one(e) for e in a) + "]"
        return "[" + ", ".join(nest(a[i]) for i in range(a.shape[0])) + "]"

    return f"np.array({nest(arr)}, dtype=float)"


#: cells the grader skips (checks and demos would run the student's functions a second time)
SKIP_TAG = "autocnn-not-graded"


STUB_TAG = "autocnn-stub"


def _cell(kind: str, text: str, graded: bool = True, stub: bool = False,
          grade_id: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {} if graded else {"tags": [SKIP_TAG]}
    if stub:
        meta = {"tags": [STUB_TAG]}
    if grade_id:  # nbgrader's cell metadata: stubs are answer cells, checks are test cells
        meta["nbgrader"] = {"grade_id": grade_id, "solution": stub, "grade": not stub,
                            "locked": not stub, "schema_version": 3,
                            **({} if stub else {"points": 0})}
    cell: dict[str, Any] = {"cell_type": kind, "metadata": meta, "source": text.splitlines(True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _shape_of(v: Variant, part_name: str) -> Any:
    key = v.key[part_name]
    return None if isinstance(key, str) else list(np.shape(np.asarray(key, dtype=object)))


def student_notebook(student: dict[str, str], variants: list[Variant]) -> dict[str, Any]:
    """The notebook of one student: problem, data, stubs and visible (shape-only) checks."""
    who = f"{student['name']} ({student['id']})" if student.get("name") else student["id"]
    cells = [_cell("markdown", f"# Backpropagation exercises — {who}\n\nYour own instance "
                   "of each exercise. Fill in every function (keep their names and "
                   "arguments), run the checks, then hand in this notebook as it is. Each "
                   "part is graded on its own, entry by entry.\n"),
             _cell("code", "import numpy as np\n")]
    for number, v in enumerate(variants, start=1):
        cells.append(_cell("markdown", f"## {number}. {v.title}\n\n{v.statement}\n"))
        if v.exercise == "find-the-bug":  # the evidence, run now: the seed stays with us
            cells.append(_cell("markdown", "The gradient check, run with the secret mistake "
                               "injected:\n\n```text\n"
                               f"{injected_bug_demo(v.inputs['op'], v.seed)}\n```\n"))
        if v.inputs:
            data = "\n".join(f"{k} = {_py_value(val)}" for k, val in v.inputs.items())
            cells.append(_cell("code", f"# the data of your instance\n{data}\n"))
        for p in v.parts:
            args = ", ".join(v.args)
            cells.append(_cell("code", f"def {p.function}({args}):\n    \"\"\"{p.label}: "
                               f"return {p.returns}.\"\"\"\n    raise NotImplementedError("
                               f"\"{p.function}\")\n", stub=True,
                               grade_id=f"{v.exercise}-{p.name}"))
        checks = [f"    ({p.function!r}, {p.function}, {_shape_of(v, p.name)!r}),"
                  for p in v.parts]
        call = ", ".join(v.args)
        cells.append(_cell("code", f"# visible checks [{SKIP_TAG}]: each function runs and "
                           "returns the right shape (not whether the values are right)\nfor "
                           "name, fn, "
                           "shape in [\n" + "\n".join(checks) + "\n]:\n    try:\n        "
                           f"out = fn({call})\n    except NotImplementedError:\n        "
                           "print(f'{name}: not written yet'); continue\n    got = None if "
                           "isinstance(out, str) else list(np.shape(out))\n    print(f'{name}:"
                           " ' + ('shape OK' if got == shape else f'shape {got}, expected "
                           "{shape}'))\n", graded=False, grade_id=f"{v.exercise}-checks"))
    return {"cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "autocnn": {"student": student["id"], "exercises": [v.exercise for v in variants]}},
        "nbformat": 4, "nbformat_minor": 5}


def notebook_with_answers(notebook: str | Path, source: str, out: str | Path) -> Path:
    """A copy of a student notebook with its stub cells replaced by ``source`` (one cell).

    For teachers: run the reference solution through the whole make → grade pipeline.
    """
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    cells, placed = [], False
    for cell in nb["cells"]:
        if STUB_TAG in (cell.get("metadata") or {}).get("tags", []):
            if not placed:
                cells.append(_cell("code", source))
                placed = True
            continue
        cells.append(cell)
    if not placed:
        cells.append(_cell("code", source))
    nb["cells"] = cells
    atomic_write(out, json.dumps(nb, indent=1) + "\n")
    return Path(out)


def injected_bug_demo(op: str, seed: int) -> str:
    """The evidence for "find the bug": a per-entry gradcheck run with the secret mistake."""
    import autocnn as ac
    from autocnn.autograd import gradcheck
    from autocnn.course.inject import inject

    v = variant("find-the-bug", seed)
    mistake = v.key["mistake"]
    rng = np.random.default_rng(seed % (2**32))
    if op == "conv2d":
        shapes, fn = [(1, 2, 5, 5), (2, 2, 3, 3), (2,)], lambda x, w, b: ac.functional.conv2d(
            x, w, b, padding=1)
    elif op == "batch_norm":
        shapes, fn = [(4, 3), (3,), (3,)], lambda x, w, b: ac.functional.batch_norm(
            x, None, None, w, b, training=True)
    elif op == "max_pool2d":
        shapes, fn = [(1, 1, 4, 4)], lambda x: ac.functional.max_pool2d(x, 2)
    elif op == "linear":
        shapes, fn = [(3, 4), (2, 4), (2,)], ac.functional.linear
    elif op == "cross_entropy":
        target = rng.integers(0, 4, 3)
        shapes, fn = [(3, 4)], lambda z: ac.functional.cross_entropy(z, target)
    else:
        shapes, fn = [(2, 3)], (lambda x: x.sigmoid()) if op == "sigmoid" else (
            lambda x: x.tanh())
    inputs = [ac.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    with inject(op, mistake):
        try:
            gradcheck(fn, inputs)
            return f"gradcheck of {op}: passed (the mistake does not show on these inputs)"
        except Exception as exc:  # gradcheck's report is the evidence
            return f"gradcheck of {op} with the injected mistake:\n{exc}"


# ----------------------------------------------------------------------------- make
def make(exercises: list[str | int], roster: str | Path, out: str | Path) -> dict[str, Any]:
    """Write the student notebooks and the key folder (see the module docstring).

    Returns a summary: ``{"students": n, "exercises": [...], "out": str}``.
    """
    names = [exercise_name(e) for e in exercises]
    if not names:
        raise ValueError("course.make: give at least one exercise")
    students = read_roster(roster)
    out = Path(out)
    for folder in ("students", "submissions", "key/solutions"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    key: dict[str, Any] = {"exercises": names, "students": {}}
    for s in students:
        variants = [variant(n, student_seed(s["id"], n)) for n in names]
        atomic_write(out / "students" / f"{s['id']}.ipynb",
                     json.dumps(student_notebook(s, variants), indent=1) + "\n")
        key["students"][s["id"]] = {
            "name": s["name"],
            "seeds": {v.exercise: v.seed for v in variants},
            "answers": {v.exercise: {k: _key_text(val) for k, val in v.key.items()}
                        for v in variants}}
        md = "\n".join(f"# {v.title}\n\n{v.statement}\n\n{v.solution_markdown}"
                       for v in variants)
        tex = "\n".join(f"\\section*{{{v.title}}}\n{v.solution_latex}" for v in variants)
        atomic_write(out / "key" / "solutions" / f"{s['id']}.md", md)
        atomic_write(out / "key" / "solutions" / f"{s['id']}.tex",
                     standalone(tex, f"Solutions for {s['name'] or s['id']}"))
    atomic_write(out / "key" / "key.json", json.dumps(key, indent=1, ensure_ascii=False) + "\n")
    return {"students": len(students), "exercises": names, "out": str(out)}


def _key_text(value: Any) -> Any:
    if isinstance(value, str):
        return value
    arr = np.asarray(value, dtype=object)
    if arr.ndim == 0:
        return str(arr[()])
    return np.vectorize(str, otypes=[object])(arr).tolist()


# ----------------------------------------------------------------------------- grade
def grade_folder(submissions: str | Path, key: str | Path, out: str | Path | None = None,
                 timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """Grade every submission (``ID.ipynb`` or ``ID.py``) against the key folder.

    Writes ``scores.csv`` (one row per roster student; a missing submission scores 0),
    ``feedback/ID.md``, ``results/ID.json`` (Gradescope ``results.json``) and
    ``otter/ID.json`` into ``out`` (default: ``grades`` beside the submissions folder).
    Returns the rows of the CSV.
    """
    submissions, key = Path(submissions), Path(key)
    key_file = key / "key.json" if key.is_dir() else key
    if not key_file.is_file():
        raise FileNotFoundError(f"course.grade: no key.json in {str(key)!r} (the key folder "
                                "written by `autocnn course make`)")
    if not submissions.is_dir():
        raise FileNotFoundError(f"course.grade: submissions folder {str(submissions)!r} "
                                "does not exist")
    data = json.loads(key_file.read_text(encoding="utf-8"))
    out = Path(out) if out is not None else submissions.parent / "grades"
    exercises = data["exercises"]
    for folder in ("results", "otter", "feedback"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    files = {p.stem: p for p in sorted(submissions.iterdir())
             if p.suffix in (".ipynb", ".py") and p.is_file()}
    unknown = sorted(set(files) - set(data["students"]))
    rows = []
    for sid, info in data["students"].items():
        row: dict[str, Any] = {"student": sid, "name": info.get("name", "")}
        path = files.get(sid)
        results: list[GradeResult] = []
        if path is None:
            feedback = "No submission found.\n"
            for ex in exercises:
                row[ex] = 0.0
        else:
            results = grade_all(path, [(ex, int(info["seeds"][ex])) for ex in exercises],
                                timeout=timeout, student=sid)
            for ex, result in zip(exercises, results):
                row[ex] = result.score
            feedback = "\n".join(r.feedback() for r in results)
            atomic_write(out / "results" / f"{sid}.json",
                         json.dumps(to_gradescope(results), indent=1) + "\n")
            atomic_write(out / "otter" / f"{sid}.json",
                         json.dumps(to_otter(results), indent=1) + "\n")
        row["total"] = round(sum(float(row[ex]) for ex in exercises), 4)
        row["max"] = sum(variant(ex, int(info["seeds"][ex])).points for ex in exercises)
        atomic_write(out / "feedback" / f"{sid}.md", f"# Feedback for {sid}\n\n{feedback}")
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["student", "name", *exercises, "total", "max"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(out / "scores.csv", buffer.getvalue())
    if unknown:
        atomic_write(out / "unknown_submissions.txt", "\n".join(unknown) + "\n")
    return rows
