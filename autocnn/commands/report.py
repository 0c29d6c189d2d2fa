"""``autocnn report RUN_DIR``: (re)write the ``report.html`` of a training run.

    autocnn report runs/shapes-seed                 # writes runs/shapes-seed/report.html
    autocnn report runs/shapes-seed --out r.html    # somewhere else

The model, its per-epoch metrics and its test set are read back from the run folder
(``model.npz``, ``model.json``, ``metrics.json``; see ``autocnn.report.run``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autocnn.commands import UserError


def add_parser(subparsers: Any) -> None:
    """Register ``autocnn report``."""
    parser = subparsers.add_parser(
        "report",
        help="write report.html for a training run folder",
        description="Write the one-file, offline report of a run folder written by "
        "`autocnn train`: settings, learning curves, parameters, filters, feature maps, "
        "confusion matrix, confident mistakes and the graph of one training step.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by autocnn train")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="where to write the page (default: RUN_DIR/report.html)")
    parser.add_argument("--no-graph", action="store_true",
                        help="leave out the graph of a training step")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the run and write its report."""
    from autocnn.data import DatasetError
    from autocnn.report import report_run

    folder = Path(args.run_dir)
    if not folder.is_dir():
        raise UserError(f"RUN_DIR {args.run_dir!r} is not a folder")
    try:
        path = report_run(folder, args.out, graph=not args.no_graph)
    except (FileNotFoundError, ValueError, DatasetError) as exc:
        raise UserError(str(exc)) from exc
    print(f"wrote {path} (open it in a browser: file://{path.resolve()})")
    return 0
