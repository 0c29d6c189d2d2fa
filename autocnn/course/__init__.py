"""``autocnn.course``: a course kit — a different exercise for every student, exact answer
keys, autograding with partial credit, and backwards broken on purpose.

* :func:`variant` — ``variant(exercise, seed)``: a small problem instance with its exact
  key (SymPy rationals) and a worked solution (Markdown and LaTeX); :data:`EXERCISES`
  lists the exercises;
* :func:`grade` — ``grade(submission, exercise, seed)``: points per answer part, per-entry
  partial credit, the mistake named; student code runs in a separate process with a
  deadline; :func:`to_gradescope`, :func:`to_otter` export the result;
* :func:`inject` — ``with inject(op, mistake):`` swaps a backward for a catalogued wrong
  rule (``autocnn.symbolic.exercises.CATALOGUE``);
* ``autocnn course make`` / ``autocnn course grade`` (``autocnn.course.classroom``): one
  notebook per student of a roster, a teacher's key folder, a CSV of scores and feedback.
"""

from __future__ import annotations

from autocnn.course.export import to_gradescope, to_otter
from autocnn.course.grading import GradeResult, PartResult, grade
from autocnn.course.inject import INJECTABLE, inject
from autocnn.course.variants import EXERCISES, Part, Variant, exercise_name, variant

__all__ = ["EXERCISES", "INJECTABLE", "GradeResult", "Part", "PartResult", "Variant",
           "exercise_name", "grade", "inject", "to_gradescope", "to_otter", "variant"]
