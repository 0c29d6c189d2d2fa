"""Loss layers: ``CrossEntropyLoss`` for classification, ``MSELoss`` for regression."""

from __future__ import annotations

from typing import Any

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_reduction
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
    """−log softmax(logits)[target]: logits (N, C) and integer class indices (N,) or class
    probabilities (N, C).

    ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (one loss per example);
    ``weight`` (per-class, kept as the buffer ``weight`` as in PyTorch), ``ignore_index``
    and ``label_smoothing`` as ``F.cross_entropy``. Pass them by name.
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        if isinstance(weight, str):
            raise TypeError(
                f"CrossEntropyLoss: the first argument is 'weight'; pass the reduction by "
                f"name, reduction={weight!r}"
            )
        super().__init__(reduction)
        if weight is not None:
            weight = as_tensor(weight, "CrossEntropyLoss", "weight")
            if weight.ndim != 1:
                raise ValueError(
                    f"CrossEntropyLoss: 'weight' must be 1-D (one per class), got shape "
                    f"{list(weight.shape)}"
                )
        self.register_buffer("weight", weight)  # None stays out of the state dict
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise TypeError(
                f"CrossEntropyLoss: 'ignore_index' must be an int, got {ignore_index!r}"
            )
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        if not isinstance(label_smoothing, (int, float)) or not 0 <= label_smoothing <= 1:
            raise ValueError(
                f"CrossEntropyLoss: 'label_smoothing' must be a number in [0, 1], got "
                f"{label_smoothing!r}"
            )

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        """cross_entropy(logits, target, reduction, weight, ignore_index, label_smoothing)."""
        return F.cross_entropy(logits, target, self.reduction, weight=self.weight,
                               ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        """The options not at their defaults."""
        parts = [super().extra_repr()] if self.reduction != "mean" else []
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(parts)


class MSELoss(_Loss):
    """(input − target)², averaged (default), summed or per entry (``reduction``)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """mse_loss(input, target, reduction)."""
        return F.mse_loss(input, target, self.reduction)
