"""Pictures of what a network holds (matplotlib PNG files): first-layer filters, feature
maps, and the shared drawing rules every such picture follows.

The rules, so that a student can compare panels and figures without reading the numbers:

- **one colour scale per figure**, zero-centred and symmetric (−m … +m, m the largest
  |value| shown): white is 0, red positive, blue negative (``RdBu_r``), with a colourbar;
- the input image is drawn in grey on its own scale, beside the signed panels;
- panels fill their grid: the number of columns is chosen so that no row holds a lone
  panel (9 maps → 3 × 3, 16 → 2 × 8, 13 → 7 + 6);
- titles say what is shown and what the colour means.

``plot_filters`` and ``plot_feature_maps`` are re-exported by ``autocnn.training`` (the
``autocnn train`` command draws them); ``autocnn.explain.pictures`` builds on the helpers.
Files are written through ``autocnn.files.atomic_writer``.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor
from autocnn.files import atomic_writer

#: negative blue, zero white, positive red
SIGNED_CMAP = "RdBu_r"
#: the most panels in one row of a grid
MAX_COLUMNS = 8


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the file-only Agg backend unless a backend was chosen."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # files only: never open a window from a script or a test
    import matplotlib.pyplot as plt

    return plt


def grid_shape(n: int, max_columns: int = MAX_COLUMNS) -> tuple[int, int]:
    """(rows, columns) for ``n`` panels: one row up to ``max_columns``; else the fewest
    empty cells with at least √n columns, and never a last row with a lone panel."""
    if n <= max_columns:
        return 1, max(n, 1)

    def fits(cols: int) -> bool:
        return n % cols != 1  # the last row holds 0 (full) or at least 2 panels

    smallest = math.ceil(math.sqrt(n))
    wide = [c for c in range(max_columns, smallest - 1, -1) if fits(c)]
    if wide:
        cols = min(wide, key=lambda c: (-(-n // c) * c - n, -c))
    else:  # e.g. 57 = 7·8 + 1: fewer, taller columns
        cols = next(c for c in range(smallest - 1, 1, -1) if fits(c))
    return -(-n // cols), cols


def signed_limit(*arrays: Any) -> float:
    """The half-width m of the symmetric scale −m … +m that shows every value (1 if all 0)."""
    m = max((float(np.nanmax(np.abs(np.asarray(a, dtype=np.float64)))) for a in arrays
             if np.size(a)), default=0.0)
    return m if m > 0 and math.isfinite(m) else 1.0


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG atomically, close it, and return the path."""
    plt = pyplot()
    try:
        with atomic_writer(path, "wb") as stream:
            fig.savefig(stream, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return Path(path)


def signed_panels(maps: np.ndarray, titles: Sequence[str], suptitle: str,
                  path: str | os.PathLike, *, image: np.ndarray | None = None,
                  image_title: str = "input image", colourbar_label: str = "value",
                  overlay: np.ndarray | None = None) -> Path:
    """Draw ``maps`` (n, h, w) on one symmetric signed scale with a colourbar, optionally
    after the grey ``image`` (H, W); save to ``path``.

    With ``overlay`` (H, W) given, every signed panel is drawn half-transparent over that
    grey image (used for Grad-CAM).
    """
    plt = pyplot()
    maps = np.asarray(maps, dtype=np.float64)
    n = len(maps)
    rows, cols = grid_shape(n)
    extra = 1 if image is not None else 0
    size = 1.45
    # panels, plus room for the colourbar and its label; wide enough for a two-line title
    panels = size * (cols + extra)
    width = max(panels + 1.2, 5.6)
    height = size * rows + 0.8
    fig = plt.figure(figsize=(width, height))
    ratios = [1.0] * extra + [1.0] * cols + [0.08]
    side = (width - panels - 1.2) / 2  # centre the panels when the title sets the width
    spec = fig.add_gridspec(rows, extra + cols + 1, width_ratios=ratios,
                            left=(0.1 + side) / width, right=1 - (1.0 + side) / width,
                            top=1 - 0.68 / height, bottom=0.08 / height, wspace=0.12,
                            hspace=0.35)
    if image is not None:
        ax = fig.add_subplot(spec[:, 0] if rows > 1 else spec[0, 0])
        ax.imshow(image, cmap="gray", interpolation="nearest")
        ax.set_title(image_title, fontsize=8)
        ax.set_axis_off()
    limit = signed_limit(maps)
    im = None
    for k in range(n):
        ax = fig.add_subplot(spec[k // cols, extra + k % cols])
        if overlay is not None:
            ax.imshow(overlay, cmap="gray", interpolation="nearest")
        im = ax.imshow(maps[k], cmap=SIGNED_CMAP, vmin=-limit, vmax=limit,
                       interpolation="nearest", alpha=0.6 if overlay is not None else 1.0)
        ax.set_title(titles[k], fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if im is not None:
        bar = fig.colorbar(im, cax=fig.add_subplot(spec[:, -1]))
        bar.set_label(colourbar_label, fontsize=8)
        bar.ax.tick_params(labelsize=7)
    fig.suptitle(suptitle, fontsize=9)
    return save_figure(fig, path)


def first_conv(model: Any) -> Any:
    """The first ``nn.Conv2d`` of ``model`` (in ``modules()`` order), or ``None``."""
    from autocnn.nn import Conv2d

    return next((m for m in model.modules() if isinstance(m, Conv2d)), None)


def _conv_path(model: Any, conv: Any) -> str:
    return next((name for name, m in model.named_modules() if m is conv), "")


def plot_filters(model: Any, path: str | os.PathLike) -> Path:
    """Save the filters of the model's first convolution as a grid of signed panels.

    Each panel is one filter's weights for input channel 0 (red positive, blue negative,
    white zero, one scale for all filters): a filter responds most to an input patch that
    looks like its red part and not like its blue part.
    """
    conv = first_conv(model)
    if conv is None:
        raise ValueError("plot_filters: the model has no Conv2d layer to draw")
    weights = conv.weight.data[:, 0]
    kh, kw = weights.shape[-2:]
    channel = " (input channel 0)" if conv.weight.shape[1] > 1 else ""
    return signed_panels(
        weights, [f"filter {i}" for i in range(len(weights))],
        f"learned {kh}×{kw} filters of the first convolution (layer "
        f"'{_conv_path(model, conv)}'){channel}\nred: positive weight, blue: negative, "
        "white: 0", path, colourbar_label="weight")


def plot_feature_maps(model: Any, image: np.ndarray, path: str | os.PathLike,
                      title: str = "") -> Path:
    """Save the input image and the feature maps the first convolution makes of it.

    The maps share one signed scale (red: the filter matched, blue: the opposite pattern,
    white: no response); the image is drawn in grey on its own scale.
    """
    conv = first_conv(model)
    if conv is None:
        raise ValueError("plot_feature_maps: the model has no Conv2d layer to draw")
    dtype = conv.weight.data.dtype
    image = np.asarray(image, dtype=dtype)
    with no_grad():
        maps = conv(Tensor(image[None])).data[0]
    label = "input image" + (f" ({title})" if title else "")
    return signed_panels(
        maps, [f"map {i}" for i in range(len(maps))],
        f"feature maps of the first convolution (layer '{_conv_path(model, conv)}'): "
        "filter response at each position\nred: the filter matched, blue: the opposite "
        "pattern, white: no response", path, image=image[0], image_title=label,
        colourbar_label="response")


__all__ = ["MAX_COLUMNS", "SIGNED_CMAP", "first_conv", "grid_shape", "plot_feature_maps",
           "plot_filters", "pyplot", "save_figure", "signed_limit", "signed_panels"]
