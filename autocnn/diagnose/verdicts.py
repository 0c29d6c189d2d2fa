"""From measurements to verdicts: the thresholds, and the order of the findings.

``training_findings(monitor)`` reads what a ``Monitor`` recorded and returns a ``Finding``
for each problem; ``order_findings`` sorts findings root cause first and folds the
consequences of a root cause into it (a learning rate far too high also kills ReLUs and
makes the loss spike: the report says "lower the learning rate" once, and mentions the
rest as its evidence, instead of three pieces of advice).

The thresholds are written here, in one place, with the reason for each value. The ratios
are log10 of std(update) / std(weight before the step) for weights with ≥ 2 axes (biases
and batch-norm scales start at constants, so their ratio says nothing), as in the lecture.

Part of ``autocnn.diagnose``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from autocnn.diagnose.findings import CODES, Finding

#: the lecture's rule of thumb for log10(update:data)
TARGET_RATIO = -3.0
#: above this, steps are too large. Adam's first steps move every weight by about lr, so a
#: healthy Adam run at lr 0.005 starts near 10^-1.1 and SGD with momentum near 10^-0.9:
#: 10^-0.5 (a third of the weight's size per step) is past any healthy run measured.
HIGH_RATIO = -0.5
#: the largest (first-step) ratio measured in healthy runs: where the advice aims
HEALTHY_FIRST_STEPS = -1.0
#: below this (the median over the run), the weights barely move: 10^-4.5 is 30× below the
#: band, where 100 steps change a weight by under 0.5 %
LOW_RATIO = -4.5
#: a ReLU layer with more dead units than this (at the last measured step) is flagged
DEAD_LIMIT = 0.5
#: a tanh/sigmoid layer with more saturated outputs than this is flagged (the lecture:
#: a few percent is fine, a quarter means most gradients are being squashed)
SATURATION_LIMIT = 0.25
#: the first weight's grad:data this many decades below the last weight's: vanishing
VANISHING_DECADES = 3.0
#: a loss above both 2× and (+1 nat over) the median of the previous 20 is a spike
SPIKE_WINDOW = 20

#: root cause → the findings it explains (folded into it by ``order_findings``)
CONSEQUENCES: dict[str, set[str]] = {
    "inputs_unnormalised": {"initial_loss_high", "lr_too_high", "nonfinite", "loss_spike",
                            "dead_relu", "saturated", "vanishing_gradients", "overfit_failed"},
    "weights_constant": {"lr_too_low", "dead_relu", "saturated", "vanishing_gradients",
                         "overfit_failed"},
    "softmax_before_loss": {"lr_too_low", "vanishing_gradients", "overfit_failed"},
    "grad_accumulation": {"lr_too_high", "nonfinite", "loss_spike", "dead_relu"},
    "initial_loss_high": {"nonfinite", "loss_spike", "saturated", "overfit_failed"},
    "lr_too_high": {"nonfinite", "loss_spike", "dead_relu", "saturated"},
    "nonfinite": {"loss_spike"},
    "dead_relu": {"vanishing_gradients", "lr_too_low", "overfit_failed"},
    "saturated": {"vanishing_gradients", "overfit_failed"},
}


def order_findings(findings: list[Finding]) -> list[Finding]:
    """Root causes first (the order of ``CODES``); consequences folded into their cause."""
    rank = {code: i for i, code in enumerate(CODES)}
    # copies: folding edits the evidence, and the caller's findings stay as they were
    ordered = [replace(f, values=dict(f.values)) for f in
               sorted(findings, key=lambda f: (rank[f.code], f.severity != "error"))]
    kept: list[Finding] = []
    for finding in ordered:
        same = next((k for k in kept if k.code == finding.code), None)
        if same is not None:  # one verdict per code: the other places become its evidence
            same.values.setdefault("also", []).append(finding.where)
            same.evidence += f"; also: {finding.evidence}"
            continue
        cause = next((k for k in kept if finding.code in CONSEQUENCES.get(k.code, ())), None)
        if cause is None:
            kept.append(finding)
            continue
        explained = cause.values.setdefault("explains", [])
        if finding.code not in [e["code"] for e in explained]:
            explained.append({"code": finding.code, "evidence": finding.evidence})
            cause.evidence += f"; this also explains: {finding.evidence}"
    return kept


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if v == v and not math.isinf(v)]


def _power(value: float) -> str:
    return f"10^{round(value, 1) + 0.0:.1f}"  # + 0.0: never "10^-0.0"


def _share(ratio: float) -> str:
    """``0.35`` → ``"35% of"``; ``2e13`` → ``"2e+13 times"``."""
    return f"{100 * ratio:.0f}% of" if ratio < 10 else f"{ratio:.2g} times"


def _factor(decades: float) -> str:
    exponent = max(1, round(decades))
    return f"{10 ** exponent:,}×" if exponent <= 4 else f"10^{exponent}×"


def training_findings(monitor: Any) -> list[Finding]:
    """Every finding the records of ``monitor`` support (unordered)."""
    findings: list[Finding] = []
    if monitor.num_classes and monitor.losses:
        from autocnn.diagnose.checks import judge_initial_loss

        findings += [f for f in judge_initial_loss(monitor.losses[0], monitor.num_classes)
                     if f.code != "nonfinite"]  # the monitor reports NaN itself, with a place
    for judge in (_nonfinite, _accumulation, _ratios, _spikes, _layers, _vanishing):
        findings += judge(monitor)
    return findings


def _nonfinite(monitor: Any) -> list[Finding]:
    bad = monitor.nonfinite
    if bad is None:
        return []
    if bad["kind"] == "forward":
        evidence = (f"at step {bad['step']} the output of {bad['where']} held "
                    f"{bad['count']} NaN/inf values of {bad['size']}, from finite inputs: "
                    "that layer produced them")
    elif bad["kind"] == "gradient":
        evidence = f"at step {bad['step']} the gradient of {bad['where']} held NaN/inf values"
    else:
        evidence = f"at step {bad['step']} the loss became {bad.get('value')}"
    if bad.get("anomaly"):
        evidence += f" (anomaly mode: {bad['anomaly']})"
    advice = ("lower the learning rate and check the inputs are normalised: NaN and inf "
              "usually come from steps or inputs far too large")
    if not bad.get("anomaly"):
        advice += "; to see the operation, run that step inside " \
                  "`with ac.autograd.detect_anomaly():`"
    return [Finding(
        "nonfinite", evidence, advice,
        severity="error", where=bad["where"], step=bad["step"], values=dict(bad))]


def _accumulation(monitor: Any) -> list[Finding]:
    if not monitor.accumulated:
        return []
    name, first = min(monitor.accumulated.items(), key=lambda kv: kv[1]["step"])
    norms = _finite([r["grad_norm"] for r in monitor.params.get(name, [])])
    growth = (f"; its gradient norm went from {norms[0]:.3g} to {norms[-1]:.3g}"
              if len(norms) > 1 else "")
    losses = _finite(monitor.losses)
    moved = (f" while the loss went from {losses[0]:.3g} to {losses[-1]:.3g}"
             if len(losses) > 1 else "")
    return [Finding(
        "grad_accumulation",
        f"at step {first['step']} the .grad of {name} was {first['ratio']:.3g}× the size of "
        "the gradient that step's backward delivered: the gradients of earlier steps were "
        f"still in it (in {len(monitor.accumulated)} parameter(s)){growth}{moved}",
        "call optimizer.zero_grad() (or model.zero_grad()) before every loss.backward(): "
        "backward adds to .grad, it does not overwrite it",
        severity="error", where=name, step=first["step"],
        values={"parameters": sorted(monitor.accumulated), **first})]


def _lr_text(monitor: Any, factor: float) -> str:
    lr = monitor.learning_rate()
    return f" (from {lr:g} to about {lr * factor:.2g})" if lr else ""


def _ratios(monitor: Any) -> list[Finding]:
    weights = monitor.weight_names()
    per_step: list[tuple[int, float, str, float]] = []  # step, median, worst name, worst
    for i, step in enumerate(monitor.steps):
        values = {}
        for name in weights:
            records = monitor.params.get(name, [])
            if i < len(records):
                r = records[i]
                # a weight whose gradient is exactly 0 does not move at any learning rate:
                # it is judged by the dead-unit and vanishing checks, not here
                if r["grad_data"] == r["grad_data"] and not math.isinf(r["grad_data"]):
                    values[name] = r["update_data"]
        values = {k: v for k, v in values.items() if v == v and not math.isinf(v)}
        if values:
            worst = max(values, key=values.get)
            per_step.append((step, float(np.median(list(values.values()))), worst,
                             values[worst]))
    if not per_step:
        return []
    findings = []
    step, high, name, worst = max(per_step, key=lambda t: t[1])
    if high > HIGH_RATIO:
        # the largest ratio of a healthy run is that of its first steps, near 10^-1 with
        # Adam or SGD + momentum at autocnn train's rates: aim there
        decades = high - HEALTHY_FIRST_STEPS
        findings.append(Finding(
            "lr_too_high",
            f"the update:data ratio of {name} is {_power(worst)} at step {step} (median of "
            f"the weights {_power(high)}), far above {_power(TARGET_RATIO)}: each step "
            f"changes the weights by {_share(10 ** high)} their spread",
            f"lower the learning rate ~{_factor(decades)}"
            f"{_lr_text(monitor, 10 ** -round(decades))}",
            severity="error", where=name, step=step,
            values={"log10_update_data": worst, "median": high}))
    typical = float(np.median([t[1] for t in per_step]))
    if typical < LOW_RATIO:
        low_name = min(weights, key=lambda n: _median_ratio(monitor, n))
        decades = (TARGET_RATIO + 1) - typical  # a healthy run's median sits near 10^-2
        findings.append(Finding(
            "lr_too_low",
            f"the update:data ratio of the weights is {_power(typical)} (median over the "
            f"run; {low_name}: {_power(_median_ratio(monitor, low_name))}), far below "
            f"{_power(TARGET_RATIO)}: 100 steps change the weights by "
            f"{100 * 100 * 10 ** typical:.2g}% of their spread",
            f"raise the learning rate ~{_factor(decades)}"
            f"{_lr_text(monitor, 10 ** round(decades))}",
            where=low_name, values={"median": typical}))
    return findings


def _median_ratio(monitor: Any, name: str) -> float:
    values = _finite([r["update_data"] for r in monitor.params.get(name, [])])
    return float(np.median(values)) if values else math.inf


def _spikes(monitor: Any) -> list[Finding]:
    losses = monitor.losses
    spikes = []
    for t in range(5, len(losses)):
        window = _finite(losses[max(0, t - SPIKE_WINDOW):t])
        if len(window) < 5 or not math.isfinite(losses[t]):
            continue
        m = float(np.median(window))
        if losses[t] > 2 * m and losses[t] - m > 1.0:
            spikes.append((t, losses[t], m))
    if not spikes:
        return []
    t, value, m = max(spikes, key=lambda s: s[1] - s[2])
    return [Finding(
        "loss_spike",
        f"the training loss jumped to {value:.3g} at step {t} (median of the 20 steps "
        f"before: {m:.3g}); {len(spikes)} such jump(s) in {len(losses)} steps",
        "lower the learning rate (or add a warm-up); if the spikes come with particular "
        "batches, look at those images and labels",
        step=t, values={"steps": [s[0] for s in spikes]})]


def _layers(monitor: Any) -> list[Finding]:
    findings = []
    previous: tuple[str, dict[str, Any]] | None = None  # the layers in forward order
    for name, entry in monitor.layers.items():
        before, previous = previous, (name, entry)
        if not entry["records"]:
            continue
        last = entry["records"][-1]
        where = f"{name} ({entry['kind']})"
        dead = last.get("dead")
        if dead is not None and dead > DEAD_LIMIT:
            feeding = ""
            if before is not None and before[1]["records"]:
                r = before[1]["records"][-1]
                if r["mean"] < 0:
                    feeding = (f"; its input, the output of {before[0]} "
                               f"({before[1]['kind']}), has mean {r['mean']:.3g} and std "
                               f"{r['std']:.3g}: mostly below 0")
            findings.append(Finding(
                "dead_relu",
                f"in {where} {100 * dead:.0f}% of the units output 0 for every image of the "
                f"batch at step {last['step']}: they pass no gradient back and stop "
                f"learning{feeding}",
                "make sure the biases (and batch-norm shifts) before the ReLU are not set to "
                "large negative values, use the default (Kaiming) initialisation, lower the "
                "learning rate (large steps kill ReLUs), or put batch norm before the ReLU",
                severity="error" if dead > 0.9 else "warning", where=name, step=last["step"],
                values={"dead": dead}))
        saturated = last.get("saturated")
        if saturated is not None and saturated > SATURATION_LIMIT:
            findings.append(Finding(
                "saturated",
                f"{100 * saturated:.0f}% of the outputs of {where} are in its flat tails at "
                f"step {last['step']} (std {last['std']:.3g}): their local gradient is near "
                "0, so little gradient gets through",
                "scale down the weights of the layer before it (e.g. by the gain/√fan_in of "
                "Kaiming initialisation) or add batch norm before the nonlinearity",
                where=name, step=last["step"], values={"saturated": saturated}))
    return findings


def _vanishing(monitor: Any) -> list[Finding]:
    weights = [n for n in monitor.weight_names() if monitor.params.get(n)]
    if len(weights) < 2:
        return []
    ratios = [monitor.params[n][-1]["grad_data"] for n in weights]
    if any(r != r for r in ratios):
        return []
    first, last = ratios[0], ratios[-1]
    if math.isinf(last) or not first < last - VANISHING_DECADES:
        return []
    shown = "0 (no gradient at all)" if math.isinf(first) else _power(first)
    return [Finding(
        "vanishing_gradients",
        f"at step {monitor.steps[-1]} the grad:data ratio of {weights[0]} is {shown}, "
        f"against {_power(last)} for {weights[-1]}: the first layers barely learn",
        "add batch norm between the layers, use ReLU instead of sigmoid/tanh, and use the "
        "default (Kaiming) initialisation",
        where=weights[0], step=monitor.steps[-1], values={"first": first, "last": last})]
