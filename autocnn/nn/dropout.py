"""``Dropout``: randomly silence activations while training (inverted dropout)."""

from __future__ import annotations

from autocnn import functional as F
from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import check_probability
from autocnn.nn.module import Module


class Dropout(Module):
    """Zero each entry with probability ``p`` in training and scale the rest by 1/(1 − p).

    In evaluation (``model.eval()``) it passes its input through unchanged; the scaling in
    training keeps the expected activation the same in both modes.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_probability(p, "Dropout")

    def forward(self, x: Tensor) -> Tensor:
        """dropout(x, p, training)."""
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        """``p=0.5``."""
        return f"p={self.p}"
