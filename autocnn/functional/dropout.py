"""``dropout``: inverted dropout, so that evaluation needs no rescaling."""

from __future__ import annotations

from typing import Any

import numpy as np

from autocnn import random as _random
from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor, check_bool, check_probability


def dropout(x: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each entry with probability ``p`` and scale the survivors by 1 / (1 − p).

    The mask comes from the generator ``ac.manual_seed`` seeds. Outside training, or with
    p = 0, the input is returned unchanged; p = 1 gives zeros.
    """
    x = as_tensor(x, "dropout", "input")
    p = check_probability(p, "dropout")
    training = check_bool(training, "dropout", "training")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = _random.generator().random(x.shape) >= p
    # The mask is a constant of the graph: the product's backward routes dL/dy through it.
    scale = (keep / (1.0 - p)).astype(x.dtype if x.dtype.kind == "f" else np.float64)
    return x * scale
