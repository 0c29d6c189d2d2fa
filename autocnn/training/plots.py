"""Pictures of a training run: learning curves, first-layer filters, feature maps (PNG files).

They need matplotlib; ``_pyplot`` selects the file-only Agg backend unless a backend was
chosen, so a training run never opens a window.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from autocnn.training.history import History

# The filter and feature-map pictures follow the drawing rules of autocnn.viz.plots (one
# signed scale per figure with a colourbar, no lone panel); they live there.
from autocnn.viz.plots import first_conv, plot_feature_maps, plot_filters  # noqa: F401


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
    from autocnn.files import atomic_writer

    with atomic_writer(path, "wb") as stream:  # the old picture or the new one, never half
        fig.savefig(stream, format=Path(path).suffix.lstrip(".").lower() or "png", dpi=100)
    plt.close(fig)
    return Path(path)


