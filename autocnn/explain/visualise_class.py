"""``class_visualisation``: the image a model finds most typical of a class.

CS231n's class visualisation (Simonyan et al. 2014; Yosinski et al. 2015 for the
regularisers): start from faint noise and do gradient ascent on

    score_target(x) − l2 · ‖x‖²

jittering the image by a random shift of up to ``jitter`` pixels before each step (and
shifting back after), and blurring it every ``blur_every`` steps, so the result shows
shapes rather than high-frequency noise. Random draws come from the generator
``ac.manual_seed`` seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autocnn import functional as F
from autocnn.autograd import grad as autograd_grad
from autocnn.autograd.grad_mode import enable_grad, no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import check_model, check_target, evaluating, model_dtype
from autocnn.explain._results import ToDict
from autocnn.nn.module import Module
from autocnn.random import generator


@dataclass
class ClassVisualisation(ToDict):
    """The synthesised image, its class score and probability after ``steps`` steps."""

    image: np.ndarray   # (C, H, W)
    target: int
    score: float
    probability: float
    steps: int


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """A separable Gaussian blur of each (H, W) map, radius 2σ, edges repeated."""
    radius = max(1, round(2 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in (-2, -1):
        pad = [(0, 0)] * x.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(x, pad, mode="edge")
        n = x.shape[axis]
        x = sum(w * np.take(padded, np.arange(k, k + n), axis=axis) for k, w in enumerate(taps))
    return x


def class_visualisation(model: Module, target: int, steps: int = 100, lr: float = 1.0,
                        l2: float = 1e-3, blur_every: int = 10, blur_sigma: float = 0.5,
                        jitter: int = 1, image_shape: tuple[int, int, int] | None = None,
                        ) -> ClassVisualisation:
    """Synthesise an image the model scores highly for class ``target`` (see above).

    ``image_shape`` is (C, H, W) of the model's inputs; by default (channels of the first
    conv, 28, 28). ``lr`` is the step size: each step moves the pixels by lr · 0.05 (root
    mean square) along the gradient; ``l2`` is the weight of the L2 penalty;
    ``blur_every = 0`` turns blurring off.

    Example::

        v = explain.class_visualisation(model, target=3, steps=200, image_shape=(1, 28, 28))
        v.image.shape, v.probability
    """
    where = "explain.class_visualisation"
    model = check_model(model, where)
    for name, value in (("steps", steps), ("blur_every", blur_every), ("jitter", jitter)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where}: {name!r} must be a non-negative int, got {value!r}")
    if image_shape is None:
        from autocnn.explain._inputs import expected_image_shape

        channels = expected_image_shape(model).strip("()").split(",")[0]
        image_shape = (int(channels) if channels.isdigit() else 1, 28, 28)
    image_shape = tuple(int(s) for s in image_shape)
    from autocnn.explain.shape_chain import shapes

    report = shapes(model, image_shape)
    if not report.ok:
        raise ValueError(f"{where}: the model does not accept images of shape {image_shape} "
                         f"({report.failed}: {report.reason or report.error}); pass the "
                         "image_shape it was trained on")
    dtype = model_dtype(model)
    rng = generator()
    x = (0.01 * rng.standard_normal((1, *image_shape))).astype(dtype)
    with evaluating(model), no_grad():
        num_classes = model(Tensor(x)).shape[1]
    target = check_target(target, num_classes, where)
    for step in range(1, steps + 1):
        dy, dx = (int(v) for v in rng.integers(-jitter, jitter + 1, size=2)) if jitter else (0, 0)
        x = np.roll(x, (dy, dx), axis=(2, 3))
        t = Tensor(x, requires_grad=True)
        with evaluating(model), enable_grad():
            objective = model(t)[:, target].sum() - l2 * (t * t).sum()
        (g,) = autograd_grad(objective, [t])
        # a normalised step: pixels move by lr · 0.05 in RMS, whatever the size of the
        # score's gradient (images are in [0, 1] in the built-in datasets)
        rms = float(np.sqrt((g.data.astype(np.float64) ** 2).mean())) or 1.0
        x = x + (lr * 0.05 / rms) * g.data
        x = np.roll(x, (-dy, -dx), axis=(2, 3)).astype(dtype)
        if blur_every and step % blur_every == 0:
            x = _blur(x, blur_sigma).astype(dtype)
    with evaluating(model), no_grad():
        out = model(Tensor(x))
        prob = F.softmax(out, axis=1).data[0, target]
    return ClassVisualisation(image=x[0], target=target, score=float(out.data[0, target]),
                              probability=float(prob), steps=steps)


__all__ = ["ClassVisualisation", "class_visualisation"]
