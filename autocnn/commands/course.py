"""``autocnn course make|grade|list``: run a course with per-student exercise variants.

``autocnn course make --exercises 1,2,5 --students roster.csv --out DIR`` writes one
notebook per student and a teacher key folder; ``autocnn course grade DIR/submissions
--key DIR/key`` grades every returned notebook and writes scores and feedback;
``autocnn course list`` lists the exercises. The work is done by ``autocnn.course``.
"""

from __future__ import annotations

import argparse

from autocnn.commands import UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``autocnn course`` and its subcommands."""
    parser = subparsers.add_parser(
        "course", help="make per-student exercise notebooks and grade them",
        description="A different exercise for every student, exact answer keys, grading "
        "with partial credit and named mistakes.")
    sub = parser.add_subparsers(dest="course_command", metavar="{make,grade,list}")
    sub.required = True
    make = sub.add_parser("make", help="write one notebook per student and a key folder")
    make.add_argument("--exercises", required=True,
                      help="comma-separated exercise numbers or names (see `autocnn course "
                      "list`), e.g. 1,2,5")
    make.add_argument("--students", required=True, metavar="ROSTER.csv",
                      help="a CSV with a column id (and optionally name)")
    make.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    make.set_defaults(run=run_make)
    grade = sub.add_parser("grade", help="grade the returned notebooks in a folder")
    grade.add_argument("submissions", metavar="SUBMISSIONS", help="folder of ID.ipynb / ID.py")
    grade.add_argument("--key", required=True, metavar="KEY",
                       help="the key folder written by `autocnn course make`")
    grade.add_argument("--out", default=None, metavar="DIR",
                       help="where to write scores.csv and feedback (default: grades/ "
                       "beside SUBMISSIONS)")
    grade.add_argument("--timeout", type=float, default=10.0,
                       help="seconds each answer part may run (default: 10)")
    grade.set_defaults(run=run_grade)
    listing = sub.add_parser("list", help="list the exercises")
    listing.set_defaults(run=run_list)


def run_make(args: argparse.Namespace) -> int:
    """``autocnn course make``."""
    from autocnn.course.classroom import make

    exercises = [e.strip() for e in args.exercises.split(",") if e.strip()]
    try:
        summary = make(exercises, args.students, args.out)
    except (ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    print(f"wrote {summary['students']} student notebooks ({', '.join(summary['exercises'])})"
          f" to {summary['out']}/students, the key to {summary['out']}/key")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    """``autocnn course grade``."""
    from pathlib import Path

    from autocnn.course.classroom import grade_folder

    try:
        rows = grade_folder(args.submissions, args.key, args.out, timeout=args.timeout)
    except (ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    out = Path(args.out) if args.out else Path(args.submissions).parent / "grades"
    for row in rows:
        print(f"{row['student']:>12}  {row['total']:g} / {row['max']:g}")
    print(f"wrote {out / 'scores.csv'} and feedback for {len(rows)} students")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """``autocnn course list``."""
    from autocnn.course.variants import EXERCISES, variant

    for i, name in enumerate(EXERCISES, start=1):
        v = variant(name, 0)
        print(f"{i}. {name:14} {v.title} ({v.points:g} points: "
              f"{', '.join(p.label for p in v.parts)})")
    return 0
