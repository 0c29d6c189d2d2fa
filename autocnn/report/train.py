"""What ``autocnn train`` calls to write a run's report, and its message without ``dot``.

Kept here, not in ``commands/train.py``, so the command only calls in: the report (and
what it says when Graphviz is missing) is this package's business.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autocnn.report.run import settings_of


def write_run_report(folder: Path, model: Any, history: Any, test: Any,
                     metadata: dict[str, Any], graph: bool = True) -> Path:
    """Write ``folder/report.html`` for a run that just trained (``metadata``: model.json)."""
    from autocnn.report.page import write_report

    title = f"Training report: {metadata.get('model', 'model')} on " \
            f"{metadata.get('dataset', 'data')}"
    return write_report(Path(folder) / "report.html", model, history, test,
                        settings_of(metadata), title=title, graph=graph)


def missing_dot_message(out: Path) -> str:
    """The message a run prints without Graphviz's ``dot``: the file to render, with its path.

    ``out`` is the run folder (the graph is written in a temporary folder and moved there),
    so the command in the message can be pasted as it is.
    """
    from autocnn.viz.render import INSTALL_HINT

    dot_file, svg_file = Path(out) / "graph.dot", Path(out) / "graph.svg"
    return (
        f"Graphviz's `dot` program was not found, so the graph of the loss was written as "
        f"DOT text to {dot_file} (report.html and the PNG pictures do not need it). To draw "
        f"it, {INSTALL_HINT}, then run: dot -Tsvg {dot_file} -o {svg_file}"
    )
