"""Loss layers: ``CrossEntropyLoss`` for classification, ``MSELoss`` for regression."""

from __future__ import annotations

from typing import Any

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import check_reduction
from autocnn.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        """Empty for the default ``reduction='mean'``, else ``reduction='sum'``."""
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """−log softmax(logits)[target]: logits (N, C) and integer class indices (N,).

    ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (one loss per example).
    """

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        """cross_entropy(logits, target, reduction)."""
        return F.cross_entropy(logits, target, self.reduction)


class MSELoss(_Loss):
    """(input − target)², averaged (default), summed or per entry (``reduction``)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """mse_loss(input, target, reduction)."""
        return F.mse_loss(input, target, self.reduction)
