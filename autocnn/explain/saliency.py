"""``saliency``: which pixels the class score is most sensitive to.

Three maps, each (H, W) for one (C, H, W) image:

- ``"gradient"`` (Simonyan et al. 2014, as CS231n defines it): max over channels of
  |∂score/∂pixel|;
- ``"smoothgrad"`` (Smilkov et al. 2017): the mean of that map over ``samples`` copies of
  the image with Gaussian noise of standard deviation ``noise · (max − min)`` of the image
  added (the noise is drawn from the generator ``ac.manual_seed`` seeds);
- ``"input_x_gradient"``: pixel × gradient summed over channels, signed. It is the first
  order Taylor estimate of how much each pixel adds to the score compared with a black
  image, so its entries may be negative (a pixel that speaks against the class).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd import grad as autograd_grad
from autocnn.autograd.grad_mode import enable_grad, no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import as_batch, check_model, evaluating
from autocnn.explain.recording import Target, score
from autocnn.nn.module import Module
from autocnn.random import generator

METHODS = ("gradient", "smoothgrad", "input_x_gradient")


def input_gradient(model: Module, batch: np.ndarray, target: Target, where: str
                   ) -> tuple[np.ndarray, int | None]:
    """∂score/∂input for a (N, C, H, W) batch (each image its own gradient), and the class."""
    x = Tensor(batch, requires_grad=True)
    with evaluating(model), enable_grad():
        s, cls = score(model(x), target, where)
    (g,) = autograd_grad(s, [x])
    return g.data, cls


def saliency(model: Module, image: Any, target: Target = None, method: str = "gradient",
             samples: int = 25, noise: float = 0.15) -> np.ndarray:
    """The saliency map of one (C, H, W) image: an (H, W) array (see the module docstring).

    ``target`` is a class index, None (the predicted class) or a function of the model's
    output returning a scalar. ``samples`` and ``noise`` are used by ``"smoothgrad"`` only.

    Example::

        m = explain.saliency(model, images[0])                 # max_c |d score / d pixel|
        m = explain.saliency(model, images[0], method="smoothgrad", samples=50)
    """
    where = "explain.saliency"
    model = check_model(model, where)
    if method not in METHODS:
        raise ValueError(f"{where}: 'method' must be one of {', '.join(map(repr, METHODS))}, "
                         f"got {method!r}")
    batch = as_batch(model, image, where)
    if method == "gradient":
        g, _ = input_gradient(model, batch, target, where)
        return np.abs(g[0]).max(axis=0)
    if method == "input_x_gradient":
        g, _ = input_gradient(model, batch, target, where)
        return (batch[0] * g[0]).sum(axis=0)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"{where}: 'samples' must be a positive int, got {samples!r}")
    if not isinstance(noise, (int, float)) or noise < 0:
        raise ValueError(f"{where}: 'noise' must be a non-negative number, got {noise!r}")
    if target is None:
        # the class predicted for the clean image, kept fixed across the noisy copies
        with evaluating(model), no_grad():
            target = int(np.argmax(model(Tensor(batch)).data[0]))
    sigma = noise * float(batch.max() - batch.min())
    draws = generator().standard_normal((samples, *batch.shape[1:]))
    noisy = (batch + sigma * draws).astype(batch.dtype)
    g, _ = input_gradient(model, noisy, target, where)
    return np.abs(g).max(axis=1).mean(axis=0)
