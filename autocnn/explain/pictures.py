"""Pictures of the explanations (matplotlib PNG files), drawn by the rules of
``autocnn.viz.plots``: one zero-centred symmetric colour scale per figure with a colourbar
(blue negative, white 0, red positive), the input image in grey beside it, titles that say
what is shown.

- ``plot_activations`` — every feature map (or the vector) a layer outputs for the image;
- ``plot_saliency`` — the image and its saliency map;
- ``plot_grad_cam`` — the image and the Grad-CAM map laid over it;
- ``plot_explain_output`` — the formula of one output entry: window, kernel and products
  (conv), inputs × weights (linear), the window and its winner (pooling), or the numbers
  of a batch-norm or activation entry, with the sum and the model's value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from autocnn import functional as F
from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.explain._inputs import as_batch, check_model, evaluating, find_layer
from autocnn.explain.formula import (
    BatchNormExplanation,
    ConvExplanation,
    LinearExplanation,
    PoolExplanation,
    explain_output,
)
from autocnn.explain.grad_cam import grad_cam
from autocnn.explain.recording import Target, activations
from autocnn.explain.saliency import saliency
from autocnn.nn.module import Module
from autocnn.viz.plots import SIGNED_CMAP, pyplot, save_figure, signed_limit, signed_panels


def _plus(value: float) -> str:
    """``+ 0.12`` or ``− 0.12``: a sum written as a student writes it."""
    return f"+ {value:.4g}" if value >= 0 else f"− {-value:.4g}"


def _grey(image: np.ndarray) -> np.ndarray:
    """What to show of a (C, H, W) image: channel 0, or the channel mean for colour images."""
    return image[0] if image.shape[0] == 1 else image.mean(axis=0)


def _prediction(model: Module, batch: np.ndarray, target: Target) -> tuple[int | None, str]:
    with evaluating(model), no_grad():
        probs = F.softmax(model(Tensor(batch)), axis=1).data[0]
    cls = int(probs.argmax()) if target is None else target
    if not isinstance(cls, (int, np.integer)):
        return None, "the given target"
    note = "predicted" if target is None else "chosen"
    return int(cls), f"class {int(cls)} ({note}, probability {probs[int(cls)]:.2f})"


def plot_activations(model: Module, image: Any, path: str | os.PathLike,
                     layer: str | None = None) -> Path:
    """Save what ``layer`` outputs for one (C, H, W) image: its feature maps on one signed
    scale beside the image, or its vector as signed bars. ``layer`` defaults to the first
    layer that outputs feature maps.

    Example::

        explain.plot_activations(model, images[0], "acts.png", layer="2")
    """
    where = "explain.plot_activations"
    model = check_model(model, where)
    acts = activations(model, image)
    if layer is None:
        layer = next((p for p, a in acts.items() if a.ndim == 3), next(iter(acts)))
    module = find_layer(model, layer, where)
    layer = str(layer)
    if layer not in acts:
        raise ValueError(f"{where}: layer {layer!r} was not called by the model's forward")
    out = acts[layer]
    img = as_batch(model, image, where)[0]
    kind = type(module).__name__
    if out.ndim == 3:
        h, w = out.shape[1:]
        return signed_panels(
            out, [f"channel {c}" for c in range(len(out))],
            f"output of layer '{layer}' ({kind}): {len(out)} feature maps of {h}×{w}\n"
            "red: positive, blue: negative, white: 0", path, image=_grey(img),
            colourbar_label="activation")
    return _bars(out.reshape(-1), f"output of layer '{layer}' ({kind}): {out.size} values",
                 "index", "activation", path, image=_grey(img))


def _bars(values: np.ndarray, title: str, xlabel: str, ylabel: str,
          path: str | os.PathLike, image: np.ndarray | None = None,
          note: str | None = None) -> Path:
    plt = pyplot()
    import matplotlib.colors as mcolors

    limit = signed_limit(values)
    norm = mcolors.Normalize(-limit, limit)
    cmap = plt.get_cmap(SIGNED_CMAP)
    fig = plt.figure(figsize=(8.5 if image is not None else 7.5, 3.0))
    if image is not None:
        ax_img = fig.add_axes((0.02, 0.15, 0.16, 0.66))
        ax_img.imshow(image, cmap="gray", interpolation="nearest")
        ax_img.set_title("input image", fontsize=8)
        ax_img.set_axis_off()
    left = 0.26 if image is not None else 0.1
    ax = fig.add_axes((left, 0.17, 0.84 - left, 0.64))
    ax.bar(np.arange(values.size), values, color=cmap(norm(values)), width=0.85)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylim(-1.05 * limit, 1.05 * limit)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if values.size <= 20:
        ax.set_xticks(np.arange(values.size))
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap),
                       cax=fig.add_axes((0.87, 0.17, 0.02, 0.64)))
    bar.ax.tick_params(labelsize=7)
    fig.suptitle(title + (f"\n{note}" if note else ""), fontsize=9)
    return save_figure(fig, path)


def plot_saliency(model: Module, image: Any, path: str | os.PathLike, target: Target = None,
                  method: str = "gradient") -> Path:
    """Save the image beside its saliency map (``explain.saliency``, same arguments).

    Example::

        explain.plot_saliency(model, images[0], "saliency.png", method="smoothgrad")
    """
    model = check_model(model, "explain.plot_saliency")
    batch = as_batch(model, image, "explain.plot_saliency")
    m = saliency(model, batch[0], target=target, method=method)
    _, what = _prediction(model, batch, target)
    meaning = {"gradient": "max over channels of |∂score/∂pixel|",
               "smoothgrad": "mean of |∂score/∂pixel| over noisy copies",
               "input_x_gradient": "pixel × ∂score/∂pixel (red: for the class, blue: against)"}
    return signed_panels(m[None], [f"saliency ({method})"],
                         f"saliency for {what}\n{meaning[method]}", path,
                         image=_grey(batch[0]), colourbar_label="sensitivity of the score")


def plot_grad_cam(model: Module, image: Any, path: str | os.PathLike, layer: str,
                  target: Target = None) -> Path:
    """Save the image beside its Grad-CAM map for ``layer``, laid over the image.

    Example::

        explain.plot_grad_cam(model, images[0], "cam.png", layer="4")
    """
    model = check_model(model, "explain.plot_grad_cam")
    batch = as_batch(model, image, "explain.plot_grad_cam")
    cam = grad_cam(model, batch[0], layer, target=target)
    _, what = _prediction(model, batch, target)
    module = find_layer(model, layer, "explain.plot_grad_cam")
    grey = _grey(batch[0])
    return signed_panels(cam[None], ["Grad-CAM over the image"],
                         f"Grad-CAM of layer '{layer}' ({type(module).__name__}) for {what}\n"
                         "red: where this layer found evidence for the class", path,
                         image=grey, overlay=grey, colourbar_label="evidence (ReLU, ≥ 0)")


def _annotate(ax: Any, values: np.ndarray, limit: float, marked: tuple[int, int] | None = None
              ) -> None:
    for (r, c), v in np.ndenumerate(values):
        v = float(v)
        text = "−∞" if v == -np.inf else f"{v:.2f}"
        dark = abs(v) > 0.6 * limit if np.isfinite(v) else False
        ax.text(c, r, text, ha="center", va="center", fontsize=6.5,
                color="white" if dark else "black")
    if marked is not None:
        import matplotlib.patches as patches

        ax.add_patch(patches.Rectangle((marked[1] - 0.5, marked[0] - 0.5), 1, 1, fill=False,
                                       edgecolor="black", linewidth=2))


def plot_explain_output(model: Module, image: Any, path: str | os.PathLike, layer: str,
                        index: Any) -> Path:
    """Save the formula of one output entry (``explain.explain_output``) as a picture: for a
    conv entry the window, the kernel and their products per input channel, then the sum;
    for a linear entry the products input × weight as bars; for pooling the window with its
    winner outlined; otherwise the numbers of the formula.

    Example::

        explain.plot_explain_output(model, images[0], "why.png", layer="0", index=(3, 4, 4))
    """
    e = explain_output(model, image, layer, index)
    where = f"layer '{e.layer}' ({e.module}), entry {tuple(e.index)}"
    check = f"formula: {e.result:.6g}   model: {e.value:.6g}"
    if isinstance(e, ConvExplanation):
        return _conv_picture(e, where, check, path)
    if isinstance(e, LinearExplanation):
        bias = float(e.bias)
        return _bars(np.asarray(e.products, dtype=np.float64),
                     f"{where}: Σ input × weight + bias = {float(e.products.sum()):.4g} "
                     f"{_plus(bias)} = {e.result:.4g}", "input index", "input × weight", path,
                     note=check)
    if isinstance(e, PoolExplanation):
        return _pool_picture(e, where, check, path)
    lines = [where, e.formula]
    if isinstance(e, BatchNormExplanation):
        lines.append(f"normalised x̂ = (x − μ)/√(σ² + ε) = {float(e.normalised):.4g}, "
                     f"then scaled by γ = {float(e.gamma):.4g} and shifted by "
                     f"β = {float(e.beta):.4g}")
        lines.append("μ and σ² are the running statistics (evaluation mode)")
    lines.append(check)
    plt = pyplot()
    fig = plt.figure(figsize=(8.0, 0.35 * len(lines) + 0.3))
    for k, line in enumerate(lines):
        fig.text(0.03, 1 - (k + 1) / (len(lines) + 0.6), line,
                 fontsize=10 if k == 0 else 8.5)
    return save_figure(fig, path)


#: input channels drawn at most in a conv formula picture (those with the largest |Σ products|)
MAX_CHANNELS = 4


def _conv_picture(e: ConvExplanation, where: str, check: str, path: str | os.PathLike) -> Path:
    plt = pyplot()
    window = np.asarray(e.window, dtype=np.float64)
    kernel = np.asarray(e.kernel, dtype=np.float64)
    products = np.asarray(e.products, dtype=np.float64)
    channels = np.argsort(-np.abs(products.sum(axis=(1, 2))), kind="stable")[:MAX_CHANNELS]
    channels = np.sort(channels)
    rows = len(channels)
    kh, kw = kernel.shape[1:]
    cell = 0.34 * max(kh, kw) + 0.5
    height = cell * rows + 1.7
    fig = plt.figure(figsize=(3 * cell + 1.9, height))
    spec = fig.add_gridspec(rows + 1, 3, height_ratios=[1.0] * rows + [0.07], left=0.16,
                            right=0.97, top=1 - 0.85 / height, bottom=0.62 / height,
                            wspace=0.15, hspace=0.35)
    names = ("input window", "kernel (weights)", "window × kernel")
    # NOTE: one symmetric scale per column, not per figure: pixels, weights and products
    # differ by orders of magnitude, and on a shared scale the kernel would look blank.
    for col, (arr, name) in enumerate(zip((window, kernel, products), names)):
        limit = signed_limit(arr[channels])
        im = None
        for r, c in enumerate(channels):
            ax = fig.add_subplot(spec[r, col])
            im = ax.imshow(arr[c], cmap=SIGNED_CMAP, vmin=-limit, vmax=limit,
                           interpolation="nearest")
            _annotate(ax, arr[c], limit)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(name, fontsize=8)
            if col == 0:
                ax.set_ylabel(f"channel {c}\nΣ = {products[c].sum():.3g}", fontsize=7)
        bar = fig.colorbar(im, cax=fig.add_subplot(spec[rows, col]), orientation="horizontal")
        bar.ax.tick_params(labelsize=6)
    shown = "" if rows == len(window) else \
        f"\n{rows} of {len(window)} input channels shown (largest |Σ|); the sum uses all"
    fig.suptitle(f"{where}: Σ window × kernel + bias\n= {float(products.sum()):.4g} "
                 f"{_plus(float(e.bias))} = {e.result:.4g}{shown}", fontsize=8.5)
    fig.text(0.02, 0.1 / height, f"{check}\nwindow: input rows {e.rows[0]}…{e.rows[-1]}, "
             f"columns {e.cols[0]}…{e.cols[-1]} (outside the image: zero padding); "
             "each column has its own colour scale", fontsize=6.5)
    return save_figure(fig, path)


def _pool_picture(e: PoolExplanation, where: str, check: str, path: str | os.PathLike) -> Path:
    plt = pyplot()
    window = np.asarray(e.window, dtype=np.float64)
    shown = np.where(np.isfinite(window), window, 0.0)
    limit = signed_limit(shown)
    fig = plt.figure(figsize=(4.2, 3.2))
    ax = fig.add_axes((0.12, 0.12, 0.6, 0.62))
    im = ax.imshow(shown, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit, interpolation="nearest")
    marked = None
    if e.winner is not None:
        marked = (e.rows.index(e.winner[0]), e.cols.index(e.winner[1]))
    _annotate(ax, window, limit, marked)
    ax.set_xticks(range(len(e.cols)), [str(c) for c in e.cols], fontsize=7)
    ax.set_yticks(range(len(e.rows)), [str(r) for r in e.rows], fontsize=7)
    ax.set_xlabel("input column", fontsize=8)
    ax.set_ylabel("input row", fontsize=8)
    fig.colorbar(im, cax=fig.add_axes((0.78, 0.12, 0.04, 0.62))).ax.tick_params(labelsize=7)
    what = "max (outlined: the input that won)" if e.winner is not None else "mean"
    fig.suptitle(f"{where}\n{what} = {e.result:.4g}\n{check}", fontsize=8)
    return save_figure(fig, path)


__all__ = ["plot_activations", "plot_explain_output", "plot_grad_cam", "plot_saliency"]
