"""Pictures of a training run: learning curves, first-layer filters, feature maps (PNG files).

They need matplotlib; ``_pyplot`` selects the file-only Agg backend unless a backend was
chosen, so a training run never opens a window.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.training.history import History


def _pyplot() -> Any:
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # files only: never open a window from a training run
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: History, path: str | os.PathLike) -> Path:
    """Save the loss and accuracy curves (train and test) per epoch as an image."""
    plt = _pyplot()
    epochs = history.column("epoch")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, history.column("train_loss"), "o-", label="train")
    ax_loss.plot(epochs, history.column("test_loss"), "s-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.plot(epochs, [100 * a for a in history.column("train_accuracy")], "o-", label="train")
    ax_acc.plot(epochs, [100 * a for a in history.column("test_accuracy")], "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def first_conv(model: Any) -> Any:
    """The first ``nn.Conv2d`` of ``model`` (in ``modules()`` order), or ``None``."""
    from autocnn.nn import Conv2d

    return next((m for m in model.modules() if isinstance(m, Conv2d)), None)


def _grid(maps: np.ndarray, titles: Iterable[str], path: str | os.PathLike, suptitle: str,
          cmap: str, symmetric: bool = False) -> Path:
    plt = _pyplot()
    titles = list(titles)
    n = len(maps)
    cols = min(n, 8)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.5 * rows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            # signed weights: white is 0, red positive, blue negative, on one common scale
            limit = float(np.abs(maps).max()) or 1.0
            scale = {"vmin": -limit, "vmax": limit} if symmetric else {}
            ax.imshow(maps[i], cmap=cmap, interpolation="nearest", **scale)
            ax.set_title(titles[i], fontsize=7)
    fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_filters(model: Any, path: str | os.PathLike) -> Path:
    """Save the filters of the model's first convolution (input channel 0) as an image grid."""
    conv = first_conv(model)
    if conv is None:
        raise ValueError("plot_filters: the model has no Conv2d layer to draw")
    weights = conv.weight.data[:, 0]
    return _grid(weights, [f"filter {i}" for i in range(len(weights))], path,
                 "learned 3×3 filters of the first convolution" if weights.shape[-1] == 3
                 else "learned filters of the first convolution", "RdBu_r", symmetric=True)


def plot_feature_maps(model: Any, image: np.ndarray, path: str | os.PathLike,
                      title: str = "") -> Path:
    """Save the input image and the feature maps (after the first convolution) it produces."""
    conv = first_conv(model)
    if conv is None:
        raise ValueError("plot_feature_maps: the model has no Conv2d layer to draw")
    image = np.asarray(image, dtype=np.float32)
    with no_grad():
        maps = conv(Tensor(image[None])).data[0]
    panels = np.concatenate([image[:1], maps])
    names = ["input" + (f" ({title})" if title else "")] + [f"map {i}" for i in range(len(maps))]
    return _grid(panels, names, path, "one test image and its feature maps", "viridis")
