"""``grad_cam``: where in the image a convolutional layer found evidence for a class.

Grad-CAM (Selvaraju et al. 2017) for a layer whose output is K feature maps A_k (h × w):

    α_k = mean over (i, j) of ∂score/∂A_k[i, j]      (how much map k matters for the class)
    cam = ReLU(Σ_k α_k · A_k)                          (h × w: where the important maps fire)

then resized to the image with bilinear interpolation (PyTorch's ``interpolate(...,
mode="bilinear", align_corners=False)``), so it can be laid over the image. The ReLU keeps
only the evidence *for* the class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn.autograd import grad as autograd_grad
from autocnn.autograd.grad_mode import enable_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import as_batch, check_model, evaluating, find_layer
from autocnn.explain.recording import Target, recording, score
from autocnn.nn.module import Module


def _resize_axis(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights of 1-D linear interpolation, half-pixel centres."""
    dst = np.arange(size_out, dtype=np.float64)
    src = np.maximum((dst + 0.5) * (size_in / size_out) - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    hi = np.minimum(lo + 1, size_in - 1)
    return lo, hi, src - lo


def upsample_bilinear(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a 2-D array to ``size`` as ``torch.nn.functional.interpolate`` does with
    ``mode="bilinear", align_corners=False``."""
    (r0, r1, wr), (c0, c1, wc) = _resize_axis(a.shape[0], size[0]), _resize_axis(a.shape[1],
                                                                                   size[1])
    rows = a[r0] * (1 - wr)[:, None] + a[r1] * wr[:, None]
    return rows[:, c0] * (1 - wc) + rows[:, c1] * wc


def feature_map_layers(record: dict) -> list[str]:
    """The recorded paths whose output is a stack of feature maps (N, K, h, w)."""
    return [p for p, (_, _, out) in record.items() if isinstance(out, Tensor) and out.ndim == 4]


def grad_cam(model: Module, image: Any, layer: str, target: Target = None,
             upsample: bool = True) -> np.ndarray:
    """The Grad-CAM map of ``layer`` for one (C, H, W) image: (H, W), or the layer's own
    (h, w) with ``upsample=False``. Entries are ≥ 0; larger means more evidence for the
    class.

    ``layer`` is the path of a module that outputs feature maps (a conv layer, or the ReLU
    or pooling after it); ``target`` a class index or None (the predicted class).

    Example::

        cam = explain.grad_cam(model, images[0], layer="4")   # the second conv of the seed CNN
    """
    where = "explain.grad_cam"
    model = check_model(model, where)
    module = find_layer(model, layer, where)
    batch = as_batch(model, image, where)
    with evaluating(model), enable_grad(), recording(model) as record:
        output = model(Tensor(batch, requires_grad=True))
    calls = [out for m, _, out in record.values() if m is module]
    maps = feature_map_layers(record)
    if not calls or not (isinstance(calls[0], Tensor) and calls[0].ndim == 4):
        got = "was not called" if not calls else (
            f"outputs shape {tuple(calls[0].shape)}" if isinstance(calls[0], Tensor)
            else f"outputs {type(calls[0]).__name__}")
        raise ValueError(
            f"{where}: layer {layer!r} ({type(module).__name__}) {got}; Grad-CAM needs a "
            f"layer that outputs feature maps (N, K, h, w). Layers that qualify: "
            f"{', '.join(repr(p) + ' (' + type(record[p][0]).__name__ + ')' for p in maps)}")
    acts = calls[0]
    s, _ = score(output, target, where)
    (g,) = autograd_grad(s, [acts], allow_unused=True)
    grads = np.zeros_like(acts.data) if g is None else g.data
    weights = grads[0].mean(axis=(1, 2))                     # α_k
    cam = np.maximum(np.tensordot(weights, acts.data[0], axes=1), 0.0)
    return upsample_bilinear(cam, batch.shape[2:]) if upsample else cam
