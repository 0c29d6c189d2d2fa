"""``TrainingDiagnosis``: the diagnosis of a real training run (``autocnn train --diagnose``).

``diagnose()`` trains a copy for a few steps; this instead watches the run itself::

    diagnosis = TrainingDiagnosis(model, train_data, optimizer, every=10)  # checks before
    history = fit(model, train_data, optimizer, monitor=diagnosis.monitor)
    report = diagnosis.finish("runs/x/diagnosis")                          # + verdicts

The checks before training run in the constructor (on the model as it is, the overfit
check on a copy); ``fit`` calls ``monitor.step(loss)`` after each optimiser step; ``stop``
removes the hooks and judges; ``finish`` also writes the report and pictures. When
training stops with a NaN, ``finish(folder, failed=exc)`` still reports what was seen up
to then. Part of ``autocnn.diagnose``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import IO, Any

from autocnn.diagnose.findings import Report
from autocnn.diagnose.monitor import Monitor
from autocnn.diagnose.run import _batch_source, before_training
from autocnn.diagnose.verdicts import order_findings


class TrainingDiagnosis:
    """Checks before training now, a ``Monitor`` for the run, verdicts at ``finish``."""

    def __init__(self, model: Any, data: Any, optimizer: Any = None, every: int = 10,
                 loss_fn: Any = None, batch_size: int = 32) -> None:
        _, images, labels, num_classes = _batch_source(data, batch_size)
        self.checks, self.findings = before_training(model, images, labels, num_classes,
                                                     loss_fn)
        self.monitor = Monitor(model, optimizer, every=every).attach()
        self.report: Report | None = None

    def stop(self, failed: BaseException | None = None) -> Report:
        """Remove the hooks and judge: the ``Report`` (the same one on later calls).

        ``failed``: the exception that ended training early (a NaN loss), so the report
        records a non-finite loss even if no module output was the culprit.
        """
        self.monitor.detach()
        if failed is not None and self.monitor.nonfinite is None:
            self.monitor.nonfinite = {"step": self.monitor.step_count, "where": "the loss",
                                      "kind": "loss", "value": math.nan}
        if self.report is None or failed is not None:
            self.report = Report(order_findings(self.findings + self.monitor.findings()),
                                 self.checks, self.monitor)
        return self.report

    def finish(self, folder: str | os.PathLike | None = None, plots: bool = True,
               failed: BaseException | None = None, stream: IO[str] | None = None) -> Report:
        """``stop()``, then save the report into ``folder`` (when given) and print it on
        ``stream`` (when given, e.g. ``sys.stdout``), with the names of the files."""
        report = self.stop(failed)
        if stream is not None:
            stream.write(report.text())
        if folder is not None:
            names = report.save(Path(folder), plots=plots)
            if stream is not None:
                stream.write(f"wrote {', '.join(names)} to {folder}/\n")
        return report
