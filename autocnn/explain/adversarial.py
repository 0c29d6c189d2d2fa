"""Adversarial examples: the small changes to an image that change the model's mind.

- ``fgsm(model, image, label, epsilon)`` — the fast gradient sign method (Goodfellow et
  al. 2015): one step ``x + ε · sign(∂loss/∂x)`` that increases the cross-entropy of the
  true label. With ``epsilon=None`` it searches the smallest ε that flips the prediction
  (doubling, then bisection), and reports how many tries it took.
- ``fooling_image(model, image, target)`` — CS231n's fooling image: gradient ascent on the
  score of a *chosen* wrong class, in steps of fixed L2 length, until the model predicts it.

Both return an ``AdversarialResult`` with the new image, the predictions and probabilities
before and after, the number of steps, and the size of the change (L∞ and L2 norms), which
is the point of the lesson: a change far too small to see moves the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd import grad as autograd_grad
from autocnn.autograd.grad_mode import enable_grad, no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import as_batch, check_model, check_target, evaluating
from autocnn.explain._results import ToDict
from autocnn.explain.saliency import input_gradient
from autocnn.nn.module import Module


@dataclass
class AdversarialResult(ToDict):
    """An altered image and what it did to the prediction."""

    image: np.ndarray          # (C, H, W), the altered image
    original_prediction: int
    prediction: int
    original_probabilities: np.ndarray
    probabilities: np.ndarray
    flipped: bool              # the prediction changed (fgsm) / became the target (fooling)
    steps: int                 # gradient steps (fooling) or forward passes tried (fgsm search)
    linf: float                # max |change|
    l2: float                  # ‖change‖₂
    epsilon: float | None = None
    target: int | None = None


def _probabilities(model: Module, batch: np.ndarray) -> np.ndarray:
    with evaluating(model), no_grad():
        return F.softmax(model(Tensor(batch)), axis=1).data[0].astype(np.float64)


def _result(model, batch, new, flipped, steps, **extra) -> AdversarialResult:
    before, after = _probabilities(model, batch), _probabilities(model, new)
    change = (new - batch).astype(np.float64)
    return AdversarialResult(
        image=new[0], original_prediction=int(before.argmax()), prediction=int(after.argmax()),
        original_probabilities=before, probabilities=after, flipped=flipped, steps=steps,
        linf=float(np.abs(change).max()), l2=float(np.sqrt((change ** 2).sum())), **extra)


def _clip(x: np.ndarray, clip: tuple[float, float] | None) -> np.ndarray:
    return x if clip is None else np.clip(x, clip[0], clip[1])


def fgsm(model: Module, image: Any, label: int, epsilon: float | None = None,
         clip: tuple[float, float] | None = None, max_tries: int = 40) -> AdversarialResult:
    """The fast gradient sign method on one (C, H, W) image whose true class is ``label``.

    ``epsilon`` is the size of the step in every pixel (the L∞ norm of the change). With
    ``epsilon=None`` the smallest ε that changes the prediction is searched (to 1% of
    itself) within ``max_tries`` forward passes; ``steps`` says how many ran. ``clip``
    (low, high) keeps pixels in a valid range.

    Example::

        r = explain.fgsm(model, images[0], labels[0], epsilon=0.1)
        r.original_prediction, r.prediction, r.linf, r.l2
    """
    where = "explain.fgsm"
    model = check_model(model, where)
    batch = as_batch(model, image, where)
    probs = _probabilities(model, batch)
    label = check_target(label, probs.size, where)

    def lossfn(out: Tensor) -> Tensor:
        return F.cross_entropy(out, Tensor(np.array([label])), reduction="sum")

    g, _ = input_gradient(model, batch, lossfn, where)
    direction = np.sign(g).astype(batch.dtype)

    def attack(eps: float) -> np.ndarray:
        return _clip(batch + eps * direction, clip).astype(batch.dtype)

    def flips(x: np.ndarray) -> bool:
        return int(_probabilities(model, x).argmax()) != int(probs.argmax())

    if epsilon is not None:
        if not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(f"{where}: 'epsilon' must be a non-negative number or None, got "
                             f"{epsilon!r}")
        new = attack(float(epsilon))
        return _result(model, batch, new, flips(new), 1, epsilon=float(epsilon))
    # the smallest ε: double from 0.1% of the pixel range until it flips, then bisect
    span = float(batch.max() - batch.min()) or 1.0
    lo, hi, tries = 0.0, 1e-3 * span, 0
    while tries < max_tries:
        tries += 1
        if flips(attack(hi)):
            break
        lo, hi = hi, 2 * hi
    else:
        new = attack(hi)
        return _result(model, batch, new, False, tries, epsilon=hi)
    while tries < max_tries and hi - lo > 0.01 * hi:
        tries += 1
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if flips(attack(mid)) else (mid, hi)
    new = attack(hi)
    return _result(model, batch, new, True, tries, epsilon=hi)


def fooling_image(model: Module, image: Any, target: int, lr: float = 0.02,
                  max_steps: int = 500, clip: tuple[float, float] | None = None
                  ) -> AdversarialResult:
    """Change one (C, H, W) image until the model predicts class ``target`` (CS231n).

    Each step moves the image by ``lr`` (in L2 norm, relative to the image's own L2 norm
    per pixel) along the gradient of the target's score; it stops as soon as ``target`` is
    predicted, or after ``max_steps``.

    Example::

        r = explain.fooling_image(model, images[0], target=7)
        r.flipped, r.steps, r.linf
    """
    where = "explain.fooling_image"
    model = check_model(model, where)
    batch = as_batch(model, image, where)
    target = check_target(target, _probabilities(model, batch).size, where)
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
        raise ValueError(f"{where}: 'max_steps' must be a non-negative int, got {max_steps!r}")
    # a step of lr · (typical pixel size) · √(pixels): the same relative size on any image
    size = float(np.sqrt((batch.astype(np.float64) ** 2).mean())) or 1.0
    step_len = lr * size * np.sqrt(batch.size)
    x = batch.copy()
    for step in range(max_steps + 1):
        t = Tensor(x, requires_grad=True)
        with evaluating(model), enable_grad():
            out = model(t)
        if int(out.data[0].argmax()) == target:
            return _result(model, batch, x, True, step, target=target)
        if step == max_steps:
            break
        (g,) = autograd_grad(out[:, target].sum(), [t])
        norm = float(np.sqrt((g.data.astype(np.float64) ** 2).sum())) or 1.0
        x = _clip(x + (step_len / norm) * g.data, clip).astype(batch.dtype)
    return _result(model, batch, x, False, max_steps, target=target)


__all__ = ["AdversarialResult", "fgsm", "fooling_image"]
