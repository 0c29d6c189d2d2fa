"""``fit(..., live=True)``: one figure in a Jupyter notebook, redrawn in place while training.

Every ``every`` steps the figure shows the training loss per step (and the test accuracy
per epoch), the update:data ratio of every parameter — log10(std of the change a step made
/ std of the values), against the 1e-3 line Karpathy's lectures use as "about right" — and
the feature maps of the first convolution for one test image. It uses only matplotlib
(drawn to a PNG, no GUI backend) and ``IPython.display``; outside a notebook (a script, the
command line, a test) ``LiveView`` does nothing at all.
"""

from __future__ import annotations

import io
import math
import sys
from typing import Any

import numpy as np

from autocnn.autograd.grad_mode import no_grad
from autocnn.autograd.tensor import Tensor


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython shell that sends rich output to a front end)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _display(obj: Any) -> Any:
    from IPython.display import display

    return display(obj, display_id=True)


class LiveView:
    """Collects what the loop measures and redraws the figure every ``every`` steps."""

    def __init__(self, model: Any, test_data: Any = None, every: int = 20) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"fit: expected 'live_every' to be an int >= 1, got {every!r}")
        self.active = in_notebook()
        self.model, self.every = model, every
        self.steps = 0
        self.losses: list[float] = []
        self.epochs: list[tuple[int, float]] = []
        self.ratios: dict[str, list[tuple[int, float]]] = {}
        self._before: dict[str, np.ndarray] = {}
        self._handle: Any = None
        self.image = None
        if self.active and test_data is not None:
            images = getattr(test_data, "images", None)
            if images is None and isinstance(test_data, (tuple, list)):
                images = np.asarray(test_data[0])
            self.image = None if images is None or not len(images) else np.asarray(images[0])

    def step(self, loss: Tensor, logits: Tensor, labels: Tensor) -> None:
        """Called after every optimiser step; measures, and redraws every ``every`` steps."""
        if not self.active:
            return
        self.steps += 1
        self.losses.append(float(loss.item()))
        params = dict(self.model.named_parameters())
        if self._before:
            # the step just taken changed each parameter by (now - before)
            for name, p in params.items():
                if name in self._before and p.data.ndim > 1:
                    change = float(np.std(p.data - self._before[name]))
                    scale = float(np.std(p.data)) or 1.0
                    ratio = math.log10(change / scale) if change > 0 else -10.0
                    self.ratios.setdefault(name, []).append((self.steps, ratio))
            self._before = {}
        if (self.steps + 1) % self.every == 0:  # measure the next step's change
            self._before = {n: p.data.copy() for n, p in params.items()}
        if self.steps % self.every == 0:
            self.draw()

    def epoch(self, record: Any) -> None:
        """Called after every epoch with its ``EpochRecord``."""
        if not self.active:
            return
        self.epochs.append((self.steps, float(record.test_accuracy)))
        self.draw()

    def _feature_maps(self) -> np.ndarray | None:
        from autocnn.training.plots import first_conv

        conv = first_conv(self.model) if self.image is not None else None
        if conv is None:
            return None
        with no_grad():
            maps = conv(Tensor(self.image[None].astype(np.float32))).data[0]
        cols = min(len(maps), 8)
        rows = -(-len(maps) // cols)
        h, w = maps.shape[1:]
        grid = np.full((rows * (h + 1), cols * (w + 1)), np.nan)
        for i, m in enumerate(maps):
            r, c = divmod(i, cols)
            grid[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = m
        return grid

    def render(self) -> bytes:
        """The current figure as PNG bytes."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 3.2))
        ax_loss, ax_ratio, ax_maps = fig.subplots(1, 3)
        ax_loss.plot(range(1, len(self.losses) + 1), self.losses, lw=0.8, label="train loss")
        ax_loss.set(xlabel="step", ylabel="loss", title="loss per step")
        if self.epochs and not all(math.isnan(a) for _, a in self.epochs):
            acc = ax_loss.twinx()
            acc.plot(*zip(*[(s, 100 * a) for s, a in self.epochs]), "o-", color="C1",
                     label="test accuracy")
            acc.set_ylabel("test accuracy (%)")
        for name, points in self.ratios.items():
            ax_ratio.plot(*zip(*points), label=name, lw=1)
        ax_ratio.axhline(-3, color="k", ls="--", lw=1)
        ax_ratio.set(xlabel="step", ylabel="log10 update:data", title="update:data ratio")
        if self.ratios:
            ax_ratio.legend(fontsize=6)
        ax_maps.axis("off")
        grid = self._feature_maps()
        if grid is not None:
            ax_maps.imshow(grid, cmap="viridis", interpolation="nearest")
            ax_maps.set_title("first conv, one test image", fontsize=9)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def draw(self) -> None:
        """Show the figure (the first time) or replace it in place (afterwards)."""
        if not self.active:
            return
        from IPython.display import Image

        image = Image(data=self.render(), format="png")
        if self._handle is None:
            self._handle = _display(image)
        else:
            self._handle.update(image)
