"""``autocnn.diagnose``: is this training run healthy? Verdicts with evidence and a "do this".

    from autocnn.diagnose import diagnose, Monitor

    report = diagnose(model, train_data, optimizer)   # checks + a short monitored run
    print(report)                                      # the verdicts, root cause first
    report.save("diagnosis/")                          # text, JSON and the pictures

or, in your own loop, ``Monitor(model, optimizer)`` with ``monitor.step(loss)`` after
``optimizer.step()`` (see ``monitor.py``). ``autocnn train --diagnose`` and
``autocnn diagnose RUN_DIR`` use the same pieces.

=================  ==========================================================================
file               contents
=================  ==========================================================================
``findings.py``    ``Finding`` (code, evidence, advice), ``Report``, the ``CODES`` catalogue
``checks.py``      before training: inputs, constant weights, initial loss, one-batch overfit
``monitor.py``     ``Monitor``: module and tensor hooks that measure every k steps
``verdicts.py``    thresholds; measurements → findings; root cause first
``run.py``         ``diagnose(model, data, ...)``: all of it on a copy of the model
``session.py``     ``TrainingDiagnosis``: the same around a real run (``train --diagnose``)
``plots.py``       histograms, update:data ratios over steps, gradient flow (matplotlib)
=================  ==========================================================================

Karpathy's lectures teach these checks by hand; docs/diagnose.md explains each one.
"""

from __future__ import annotations

from autocnn.diagnose.checks import (
    check_initial_loss,
    check_inputs,
    check_overfit,
    check_softmax,
    check_weights,
)
from autocnn.diagnose.findings import CODES, Finding, Report
from autocnn.diagnose.monitor import Monitor
from autocnn.diagnose.run import CHECKS, diagnose, train_monitored
from autocnn.diagnose.session import TrainingDiagnosis

__all__ = [
    "CHECKS", "CODES", "Finding", "Monitor", "Report", "TrainingDiagnosis",
    "check_initial_loss", "check_inputs", "check_overfit", "check_softmax", "check_weights",
    "diagnose", "train_monitored",
]
