"""``report.html``: a one-file, offline page of what a training run learned.

    from autocnn.report import write_report
    write_report("runs/x/report.html", model, history, test_data, settings)

``autocnn train`` writes it into every run folder, ``fit(..., report=PATH)`` after
training, and ``autocnn report RUN_DIR`` for an existing run (``load_run`` rebuilds the
model, history and test set from the run's files).

Files: ``page.py`` (the sections and the page), ``contents.py`` (the numbers: parameter
formulas, confusion matrix, mistakes, feature maps), ``charts.py`` (learning curves as
SVG), ``images.py`` (arrays as PNG data URIs), ``run.py`` (reading a run folder),
``report.css`` (the style, inlined into the page).
"""

from autocnn.report.page import CSP, report_html, write_report
from autocnn.report.run import load_run, report_run

__all__ = ["CSP", "load_run", "report_html", "report_run", "write_report"]
