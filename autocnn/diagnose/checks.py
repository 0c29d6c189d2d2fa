"""The checks to run before training: inputs, initial weights, initial loss, one-batch overfit.

Each function measures one thing and returns ``(measured, findings)``: a dict of plain
numbers (kept in the report) and the list of ``Finding``s it implies (empty when all is
well). They are the first checks of Karpathy's "recipe for training neural networks":

- ``check_inputs``: are the inputs normalised (mean near 0, spread near 1, or pixels in
  0..1)? Pixels in 0..255 make the first layer's pre-activations hundreds of times too
  large.
- ``check_weights``: is any weight tensor constant (all zeros)? Then every unit of the
  layer computes the same thing and receives the same gradient: they can never differ.
- ``check_initial_loss``: before any step the model should be unsure, so the
  cross-entropy should be near ln(num_classes) (the loss of a uniform guess).
- ``check_overfit``: can a *copy* of the model drive one batch's loss near zero? If not,
  something is broken (the model, the loss, the data pipeline) and no learning rate helps.

Part of ``autocnn.diagnose``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.diagnose.findings import Finding

#: the loss of one batch must fall below this fraction of ln(C) for the overfit check
OVERFIT_TARGET = 0.1
#: inputs whose |mean| or std exceeds these are flagged as unnormalised
INPUT_MEAN_LIMIT = 3.0
INPUT_STD_LIMIT = 5.0


def _array(value: Any) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def check_inputs(images: Any) -> tuple[dict[str, float], list[Finding]]:
    """Mean, std and range of ``images``; a finding when they are far from normalised."""
    x = _array(images).astype(np.float64)
    measured = {"mean": float(x.mean()), "std": float(x.std()), "min": float(x.min()),
                "max": float(x.max())}
    findings = []
    if abs(measured["mean"]) > INPUT_MEAN_LIMIT or measured["std"] > INPUT_STD_LIMIT:
        scale = ("divide by 255 (or standardise: subtract the mean, divide by the std)"
                 if measured["max"] > 20 and measured["min"] >= 0 else
                 "standardise them: subtract the mean and divide by the std")
        findings.append(Finding(
            "inputs_unnormalised",
            f"the inputs have mean {measured['mean']:.3g} and std {measured['std']:.3g} "
            f"(range {measured['min']:.3g}..{measured['max']:.3g}); the first layer's "
            "outputs are then that many times too large",
            f"normalise the inputs: {scale}", severity="error", values=measured))
    return measured, findings


def check_weights(model: Any) -> tuple[dict[str, float], list[Finding]]:
    """The std of every weight with ≥ 2 axes; one finding naming those that are constant."""
    measured: dict[str, float] = {}
    constant: dict[str, float] = {}
    for name, p in model.named_parameters():
        if p.ndim < 2:
            continue  # biases and batch-norm scales legitimately start constant
        measured[name] = float(np.std(p.data))
        if measured[name] == 0.0:
            constant[name] = float(p.data.flat[0]) if p.data.size else 0.0
    if not constant:
        return measured, []
    values = set(constant.values())
    shown = f"{values.pop():g}" if len(values) == 1 else "one constant"
    names = ", ".join(constant)
    zero = 0.0 in constant.values()
    return measured, [Finding(
        "weights_constant",
        f"every entry of {names} is {shown}: all units of such a layer compute the same "
        "output and get the same gradient, so they stay identical"
        + (" (and a zero weight passes no gradient back to the layers before it)"
           if zero else ""),
        "initialise the weights randomly (the layers' default initialisation does it; do "
        "not overwrite it with zeros or a constant)",
        severity="error", where=next(iter(constant)), values={"weights": constant})]


def check_softmax(model: Any) -> list[Finding]:
    """A finding when the model's last module is a ``Softmax`` (cross-entropy applies one)."""
    from autocnn.nn import Softmax

    leaves = [(n, m) for n, m in model.named_modules() if not any(True for _ in m.children())]
    if leaves and isinstance(leaves[-1][1], Softmax):
        name = leaves[-1][0]
        return [Finding(
            "softmax_before_loss",
            f"the model ends in Softmax ({name}), and cross_entropy applies log-softmax "
            "itself: the loss sees probabilities as logits, its gradients shrink and "
            "training crawls",
            f"remove the Softmax ({name}) from the model; apply softmax only when you "
            "want probabilities out of a trained model", severity="error", where=name)]
    return []


def check_initial_loss(model: Any, images: Any, labels: Any, num_classes: int,
                       loss_fn: Any = None) -> tuple[dict[str, float], list[Finding]]:
    """The loss of ``model`` on one batch before training, against ln(num_classes).

    Measured in training mode (as the first step will see it) without recording a graph;
    batch-norm running statistics are restored afterwards, so the model is unchanged.
    """
    loss_fn = loss_fn or _cross_entropy
    expected = math.log(num_classes)
    buffers = {n: b.data.copy() for n, b in model.named_buffers()}
    try:
        with no_grad(), np.errstate(all="ignore"):
            loss = float(loss_fn(model(_tensor(images)), _tensor(labels)).item())
    finally:
        for n, b in model.named_buffers():
            b.data[...] = buffers[n]
    measured = {"loss": loss, "expected": expected, "num_classes": int(num_classes)}
    return measured, judge_initial_loss(loss, int(num_classes))


def judge_initial_loss(loss: float, num_classes: int) -> list[Finding]:
    """The findings for a loss ``loss`` measured before any training step."""
    expected = math.log(num_classes)
    measured = {"loss": loss, "expected": expected, "num_classes": int(num_classes)}
    findings = []
    if not math.isfinite(loss):
        findings.append(Finding(
            "nonfinite", f"the loss before training is {loss}", "run one forward pass inside "
            "`with ac.autograd.detect_anomaly():` to see which operation produced it",
            severity="error", step=0, values={"loss": loss}))
    elif loss > 2 * expected and loss - expected > 1.0:
        findings.append(Finding(
            "initial_loss_high",
            f"the loss before training is {loss:.3g}, far above ln {num_classes} = "
            f"{expected:.3g} (the loss of a uniform guess): the initial logits are too "
            "large, so the model is confidently wrong",
            "shrink the initial weights (the layers' default initialisation; scale the "
            "last layer's weights down, e.g. ×0.1) so the first logits are near 0",
            values=measured))
    elif loss < 0.5 * expected:
        findings.append(Finding(
            "initial_loss_low",
            f"the loss before training is {loss:.3g}, far below ln {num_classes} = "
            f"{expected:.3g}: an untrained model cannot know the answers",
            "check that the labels are not part of the inputs and that the loss is the "
            "cross-entropy of the logits against the labels", values=measured))
    return findings


def check_overfit(model: Any, images: Any, labels: Any, num_classes: int,
                  loss_fn: Any = None, steps: int = 50, lr: float = 0.01
                  ) -> tuple[dict[str, Any], list[Finding]]:
    """Train a copy of ``model`` with Adam(``lr``) on one batch for ``steps`` steps.

    A model that works can memorise a handful of images: the loss should fall below
    ``OVERFIT_TARGET`` × ln(num_classes). The copy is thrown away, so the weights (and
    batch-norm statistics) of ``model`` do not change. A fixed, known-good optimiser is
    used on purpose: the check asks whether the *model and data* can learn at all,
    independently of the learning rate of the run.
    """
    from autocnn.optim import Adam

    loss_fn = loss_fn or _cross_entropy
    twin = model_copy(model)
    twin.train()
    optimizer = Adam(twin.parameters(), lr=lr)
    x, y = _tensor(images), _tensor(labels)
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            optimizer.zero_grad()
            loss = loss_fn(twin(x), y)
            losses.append(float(loss.item()))
            if not math.isfinite(losses[-1]):
                break
            loss.backward()
            optimizer.step()
        with no_grad():
            losses.append(float(loss_fn(twin(x), y).item()))
    target = OVERFIT_TARGET * math.log(num_classes)
    measured = {"start": losses[0], "end": losses[-1], "steps": steps,
                "batch": len(_array(labels)), "target": target, "lr": lr}
    findings = []
    if not losses[-1] <= target:
        findings.append(Finding(
            "overfit_failed",
            f"a copy of the model trained on one batch of {measured['batch']} images for "
            f"{steps} steps (Adam, lr {lr:g}) only brought its loss from "
            f"{losses[0]:.3g} to {losses[-1]:.3g} (a working model gets below "
            f"{target:.2g})",
            "find the bug before training longer: check the other findings, the model's "
            "forward, the labels and the loss on this one batch",
            severity="error", values=measured))
    return measured, findings


def model_copy(model: Any) -> Any:
    """A deep copy of ``model`` without the hooks installed on it (or its parameters).

    The hooks of the original (a ``Monitor`` watching it, say) must not fire for the
    copy: ``deepcopy`` would copy their tables, so they are dropped from the copy. The
    tables are the engine's ``_hooks`` (modules) and ``_tensor_hooks`` (tensors) entries.
    """
    twin = copy.deepcopy(model)
    for module in twin.modules():
        module.__dict__.pop("_hooks", None)
        for p in module.parameters(recurse=False):
            p.__dict__.pop("_tensor_hooks", None)
    return twin


def _tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    from autocnn.functional import cross_entropy

    return cross_entropy(logits, labels)
