"""``Flatten``: feature maps (N, C, H, W) become vectors (N, C·H·W) for a linear layer."""

from __future__ import annotations

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.nn.module import Module


class Flatten(Module):
    """Merge every axis from ``start_axis`` on (lesson: "Flattening")."""

    def __init__(self, start_axis: int = 1) -> None:
        super().__init__()
        if isinstance(start_axis, bool) or not isinstance(start_axis, int):
            raise TypeError(f"Flatten: 'start_axis' must be an int, got {start_axis!r}")
        self.start_axis = start_axis

    def forward(self, x: Tensor) -> Tensor:
        """flatten(x, start_axis)."""
        return F.flatten(x, self.start_axis)

    def extra_repr(self) -> str:
        """``start_axis=1``."""
        return f"start_axis={self.start_axis}"
