"""``Flatten``: feature maps (N, C, H, W) become vectors (N, C·H·W) for a linear layer."""

from __future__ import annotations

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.nn.module import Module


class Flatten(Module):
    """Merge the axes ``start_axis`` … ``end_axis`` into one (lesson: "Flattening")."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        for name, value in (("start_axis", start_axis), ("end_axis", end_axis)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Flatten: '{name}' must be an int, got {value!r}")
        self.start_axis = start_axis
        self.end_axis = end_axis

    def forward(self, x: Tensor) -> Tensor:
        """flatten(x, start_axis, end_axis)."""
        return F.flatten(x, self.start_axis, self.end_axis)

    def extra_repr(self) -> str:
        """``start_axis=1`` (and ``end_axis`` when it is not −1)."""
        text = f"start_axis={self.start_axis}"
        return text if self.end_axis == -1 else text + f", end_axis={self.end_axis}"
