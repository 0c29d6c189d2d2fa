"""``grade(submission, exercise, seed)``: points per part, per-entry partial credit, the
mistake named, and a machine-readable result.

A submission is

* Python source (a ``str``) or a path to a ``.py`` file or a ``.ipynb`` notebook (its code
  cells), defining one function per part (``Part.function``, taking the exercise's
  inputs by name): it runs in a **separate process** (``autocnn.course.runner``), each
  part with its own time limit, so code that raises, loops forever or exits only costs
  that part;
* a mapping part name → value (an array, a number, a string) or → function;
* one function returning every part in order (a tuple).

Functions passed directly run in a forked child process with the same time limit (on
platforms without ``fork``, in this process, without a time limit). Every part is graded
even when another fails. A part scores ``points × (entries right / entries)``; an answer
of the wrong shape, an error or a timeout scores 0 for that part with a message saying so.
A wrong answer is compared with every catalogued mistake of its op
(``autocnn.symbolic.exercises.CATALOGUE``), and a match is named in the feedback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.course.runner import to_jsonable
from autocnn.course.variants import Part, Variant, variant

RTOL, ATOL = 1e-6, 1e-9
#: seconds each part may run
TIMEOUT = 10.0


@dataclass
class PartResult:
    """The grade of one part: points, how many entries were right, what went wrong."""

    name: str
    label: str
    score: float
    max_score: float
    status: str  # "correct", "partial", "wrong", "shape", "error", "timeout", "missing"
    correct_entries: int = 0
    total_entries: int = 0
    message: str = ""
    mistakes: list[str] = field(default_factory=list)
    mistake_keys: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every entry is right."""
        return self.status == "correct"

    def feedback(self) -> str:
        """One paragraph for the student (no answer values in it)."""
        head = f"{self.label}: {self.score:g} / {self.max_score:g}"
        if self.status == "correct":
            return f"{head} — correct."
        lines = [head + (f" — {self.correct_entries} of {self.total_entries} entries right"
                         if self.status in ("partial", "wrong") else "")]
        if self.message:
            lines.append(f"  {self.message}")
        lines += [f"  likely mistake: {m}" for m in self.mistakes]
        return "\n".join(lines)


@dataclass
class GradeResult:
    """The grade of one submission for one exercise instance (truthy when all correct)."""

    exercise: str
    seed: int
    parts: list[PartResult]
    student: str = ""

    @property
    def score(self) -> float:
        """Points earned."""
        return float(round(sum(p.score for p in self.parts), 6))

    @property
    def max_score(self) -> float:
        """Points possible."""
        return float(sum(p.max_score for p in self.parts))

    def __bool__(self) -> bool:
        return all(p.passed for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable result (JSON-ready)."""
        return {"exercise": self.exercise, "seed": self.seed, "student": self.student,
                "score": self.score, "max_score": self.max_score,
                "parts": [asdict(p) for p in self.parts]}

    def feedback(self) -> str:
        """The feedback text for the student: per part, points and what went wrong."""
        lines = [f"{self.exercise} (variant {self.seed}): {self.score:g} / "
                 f"{self.max_score:g} points"]
        lines += [p.feedback() for p in self.parts]
        return "\n".join(lines) + "\n"

    __str__ = feedback


# ----------------------------------------------------------------------------- running
def _args_json(v: Variant) -> dict[str, Any]:
    return {k: to_jsonable(val) if not isinstance(val, int | str | list) else val
            for k, val in v.float_inputs().items()}


def _source_of(submission: Any) -> str | None:
    """The Python source of a submission given as text or as a .py/.ipynb path."""
    if isinstance(submission, os.PathLike) or (
            isinstance(submission, str) and submission.endswith((".py", ".ipynb"))
            and "\n" not in submission and Path(submission).is_file()):
        path = Path(submission)
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            return notebook_source(text)
        return text
    return submission if isinstance(submission, str) else None


def notebook_source(text: str) -> str:
    """The code cells of a notebook (JSON text), joined; magics and shell lines dropped, and
    the cells tagged ``autocnn-not-graded`` (visible checks, demos) left out."""
    try:
        nb = json.loads(text)
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"course.grade: not a notebook ({exc})") from None
    out = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        tags = (cell.get("metadata") or {}).get("tags") or []
        if "autocnn-not-graded" in tags or "[autocnn-not-graded]" in src.split("\n", 1)[0]:
            continue  # the visible checks and demos: they call the student's functions
        out.append("\n".join(ln for ln in src.splitlines()
                             if not ln.lstrip().startswith(("%", "!"))))
    return "\n\n".join(out) + "\n"


def _run_source(source: str, calls: list[dict], timeout: float) -> dict[str, dict]:
    """Run ``calls`` against ``source`` in a child Python process (see ``runner``)."""
    import autocnn

    root = str(Path(autocnn.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                else "")
    request = json.dumps({"source": source, "calls": calls, "timeout": timeout})
    backstop = timeout * len(calls) + max(timeout, 30.0) + 10.0
    # the runner is loaded from its file, not with -m: that would import the autocnn.course
    # package (and SymPy) in the child first, which costs seconds per submission
    runner = Path(__file__).with_name("runner.py")
    boot = ("import importlib.util as u, sys; s = u.spec_from_file_location('autocnn_runner', "
            f"{str(runner)!r}); m = u.module_from_spec(s); s.loader.exec_module(m); "
            "sys.exit(m.main())")
    try:
        done = subprocess.run([sys.executable, "-c", boot], input=request,
                              capture_output=True, text=True, timeout=backstop, env=env)
        out, err = done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = f"the student's process was stopped after {backstop:g} s"
    results = {}
    for line in out.splitlines():
        try:
            item = json.loads(line)
            results[item["part"]] = item
        except (ValueError, KeyError, TypeError):
            continue
    for call in calls:
        if call["part"] not in results:
            last = err.strip().splitlines()[-1] if err.strip() else "no output"
            results[call["part"]] = {"ok": False, "error": f"the code did not finish this "
                                                          f"part ({last[:200]})"}
    return results


def _run_callable(fn: Callable, args: dict[str, Any], timeout: float) -> dict:
    """Call ``fn(**args)`` in a forked child with a deadline; the result as runner JSON."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        try:
            return {"ok": True, "value": to_jsonable(fn(**args))}
        except Exception as exc:  # the student's code, in-process: report, never crash
            return {"ok": False, "error": f"raised {type(exc).__name__}: {exc}"}
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(json.dumps({"ok": True, "value": to_jsonable(fn(**args))}))
        except BaseException as exc:
            from autocnn.symbolic.exercises.student import describe_exception

            send.send(json.dumps({"ok": False, "error": f"raised {describe_exception(exc)}"}))

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    try:
        if receive.poll(timeout):
            return json.loads(receive.recv())
        return {"ok": False, "error": f"timed out: ran longer than {timeout:g} s"}
    except EOFError:
        return {"ok": False, "error": "the code ended the process without an answer"}
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        receive.close()
        send.close()


def _answers(submission: Any, v: Variant, timeout: float) -> dict[str, dict]:
    """Each part's answer as runner JSON: {"ok": bool, "value": ..., "error": ...}."""
    names = [p.name for p in v.parts]
    source = _source_of(submission)
    if source is not None:
        calls = [{"part": p.name, "function": p.function, "args": _args_json(v)}
                 for p in v.parts]
        return _run_source(source, calls, timeout)
    args = v.float_inputs()
    if isinstance(submission, Mapping):
        out = {}
        for p in v.parts:
            if p.name not in submission:
                out[p.name] = {"ok": False, "missing": True,
                               "error": f"no answer for {p.name!r}"}
            elif callable(submission[p.name]):
                out[p.name] = _run_callable(submission[p.name], args, timeout)
            else:
                try:
                    out[p.name] = {"ok": True, "value": to_jsonable(submission[p.name])}
                except (TypeError, ValueError) as exc:
                    out[p.name] = {"ok": False, "error": f"not an array of numbers ({exc})"}
        return out
    if callable(submission):
        item = _run_callable(submission, args, timeout)
        if not item.get("ok"):
            return {n: item for n in names}
        value = item["value"]
        values = value.get("__ragged__") if isinstance(value, dict) else None
        if values is None and isinstance(value, dict) and "__array__" in value \
                and len(value["shape"]) and value["shape"][0] == len(names):
            arr = np.asarray([np.nan if x is None else x for x in value["__array__"]]
                             ).reshape(value["shape"])
            values = [to_jsonable(a) for a in arr]
        if values is None or len(values) != len(names):
            msg = f"the function must return {len(names)} values ({', '.join(names)})"
            return {n: {"ok": False, "error": msg} for n in names}
        return {n: {"ok": True, "value": val} for n, val in zip(names, values)}
    raise TypeError(f"course.grade: 'submission' must be source code, a .py/.ipynb path, a "
                    f"mapping of answers or a function, got {type(submission).__name__}")


# ----------------------------------------------------------------------------- grading
def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray([np.nan if x is None else x for x in value["__array__"]],
                          dtype=np.float64).reshape(value["shape"])
    return value


def _mistakes(v: Variant, part: Part, got: np.ndarray) -> list[tuple[str, str]]:
    """(key, text) of the catalogued mistakes whose wrong answer equals ``got``."""
    found: list[tuple[str, str]] = []
    key = np.asarray(v.key_floats()[part.name], dtype=np.float64)
    if part.op and v.catalogue_args:
        from autocnn.symbolic.exercises.mistakes import wrong_gradients

        spec = v.catalogue_args
        inputs = v.float_inputs()
        arrays = []
        for name in spec["arrays"]:
            arrays.append(inputs[name] if name is not None
                          else np.zeros(inputs["w"].shape[0]))
        grad = inputs[spec["grad"]] if spec["grad"] else np.float64(1.0)
        for mkey, (mistake, grads) in wrong_gradients(spec["op"], arrays, grad,
                                                     dict(spec["params"])).items():
            wrong = grads.get(part.input)
            if wrong is not None and np.shape(wrong) == got.shape and np.allclose(
                    got, wrong, rtol=RTOL, atol=ATOL) and not np.allclose(
                    wrong, key, rtol=RTOL, atol=ATOL):
                found.append((mkey, mistake.text))
    if not found and got.shape == key.shape:
        if np.allclose(got, -key, rtol=RTOL, atol=ATOL) and np.any(key != 0):
            found.append(("sign_error", "sign error (the answer has the wrong sign)"))
        elif not np.any(got) and np.any(key):
            found.append(("all_zeros", "every entry is 0 (the stub was not filled in?)"))
    return found


def _grade_part(v: Variant, part: Part, answer: dict) -> PartResult:
    res = PartResult(part.name, part.label, 0.0, part.points, "wrong")
    key = v.key[part.name]
    if not answer.get("ok"):
        res.status = "missing" if answer.get("missing") else (
            "timeout" if "timed out" in answer.get("error", "") else "error")
        res.message = answer.get("error", "no answer")
        return res
    got = _from_json(answer.get("value"))
    if isinstance(key, str):  # a named answer (find the bug)
        res.total_entries = 1
        if isinstance(got, str) and got.strip().lower() == key.lower():
            res.score, res.status, res.correct_entries = part.points, "correct", 1
        else:
            res.message = f"{got!r} is not the injected mistake"
        return res
    if isinstance(got, dict):
        res.status, res.message = "shape", "the answer is not one array (ragged lists?)"
        return res
    expected = np.asarray(v.key_floats()[part.name], dtype=np.float64)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        res.status, res.message = "error", f"the answer is not numeric ({type(got).__name__})"
        return res
    res.total_entries = int(expected.size)
    if got.shape != expected.shape:
        if got.size == expected.size and got.size:  # same numbers, other layout: tell them
            res.message = (f"shape {got.shape}, expected {expected.shape} (reshape your "
                           "answer)")
        else:
            res.message = f"shape {got.shape}, expected {expected.shape}"
        res.status = "shape"
        if got.shape == expected.shape[::-1] and np.allclose(got.T, expected, rtol=RTOL,
                                                              atol=ATOL):
            res.mistakes.append("transposed (the answer has the shape of its transpose)")
            res.mistake_keys.append("transposed")
        return res
    right = np.isclose(got, expected, rtol=RTOL, atol=ATOL) & np.isfinite(got)
    res.correct_entries = int(right.sum())
    res.score = round(part.points * res.correct_entries / max(1, res.total_entries), 4)
    if res.correct_entries == res.total_entries:
        res.status = "correct"
        return res
    res.status = "partial" if res.correct_entries else "wrong"
    if not np.all(np.isfinite(got)):
        res.message = f"{int(np.sum(~np.isfinite(got)))} entries are nan or inf"
    for mkey, text in _mistakes(v, part, got):
        res.mistake_keys.append(mkey)
        res.mistakes.append(text)
    return res


def grade(submission: Any, exercise: str | int, seed: int, timeout: float = TIMEOUT,
          student: str = "") -> GradeResult:
    """Grade ``submission`` against the exact key of ``variant(exercise, seed)``.

    See the module docstring for what a submission may be. ``timeout`` is the time limit
    of each part, in seconds. Never raises because of the student's code: errors,
    timeouts and wrong shapes are per-part results (score 0, with a message).
    """
    return grade_all(submission, [(exercise, seed)], timeout, student)[0]


def grade_all(submission: Any, instances: list[tuple[str | int, int]],
              timeout: float = TIMEOUT, student: str = "") -> list[GradeResult]:
    """:func:`grade` for several (exercise, seed) pairs at once: source code runs in one
    child process for all of them (one notebook holds every exercise of a student)."""
    if not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"course.grade: 'timeout' must be a positive number of seconds, got "
                         f"{timeout!r}")
    variants = [variant(e, s) for e, s in instances]
    try:
        source = _source_of(submission)
    except (ValueError, OSError, UnicodeDecodeError) as exc:  # an unreadable hand-in
        failed = {"ok": False, "error": f"the submission could not be read ({exc})"}
        return [GradeResult(v.exercise, v.seed, [_grade_part(v, p, failed) for p in v.parts],
                            student) for v in variants]
    if source is not None:
        calls = [{"part": f"{i}/{p.name}", "function": p.function, "args": _args_json(v)}
                 for i, v in enumerate(variants) for p in v.parts]
        ran = _run_source(source, calls, float(timeout))
        answers = [{p.name: ran[f"{i}/{p.name}"] for p in v.parts}
                   for i, v in enumerate(variants)]
    else:
        answers = [_answers(submission, v, float(timeout)) for v in variants]
    return [GradeResult(v.exercise, v.seed,
                        [_grade_part(v, p, a.get(p.name, {"ok": False, "error": "no answer"}))
                         for p in v.parts], student)
            for v, a in zip(variants, answers)]
