"""``layer_norm`` and ``group_norm``: normalise each example by its own statistics.

Batch norm averages each channel over the batch; these two average over an example's own
entries instead, so they behave the same in training and evaluation and need no running
statistics:

- layer norm: over the last axes given by ``normalized_shape`` (all of C, H, W for an
  image), then an elementwise γ and β of that shape;
- group norm: the C channels split into G groups, each normalised over its C/G channels and
  all positions, then a per-channel γ and β. G = 1 is layer norm over (C, H, W) with
  per-channel affine; G = C is instance norm.

Both use the biased variance and x̂ = (x − μ) · (σ² + ε)^(−1/2), composed from mean, sum,
power and elementwise primitives — the same formula as ``batch_norm`` over other axes.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from autocnn.autograd.tensor import Tensor
from autocnn.functional._checks import as_tensor
from autocnn.ops import backend


def _normalise(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return centred * (var + eps) ** -0.5


def _check_eps(eps: Any, x: Tensor, op: str) -> None:
    symbolic_eps = backend.is_exact_array(x.data) and backend.is_exact_scalar(eps)
    if not symbolic_eps and (not isinstance(eps, numbers.Real) or eps < 0):
        raise ValueError(f"{op}: 'eps' must be a non-negative number, got {eps!r}")


def layer_norm(
    x: Any,
    normalized_shape: int | Sequence[int],
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes, whose sizes it must match;
    then y = γ·x̂ + β with ``weight`` γ and ``bias`` β of shape ``normalized_shape``."""
    op = "layer_norm"
    x = as_tensor(x, op, "input")
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(
        normalized_shape)
    k = len(shape)
    if k == 0 or k > x.ndim or tuple(x.shape[x.ndim - k:]) != tuple(int(s) for s in shape):
        raise ValueError(
            f"{op}: normalized_shape {list(shape)} must equal the last axes of the input, got "
            f"input of shape {list(x.shape)}"
        )
    _check_eps(eps, x, op)
    y = _normalise(x, tuple(range(x.ndim - k, x.ndim)), eps)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is None:
            continue
        p = as_tensor(p, op, name)
        if p.shape != shape:
            raise ValueError(
                f"{op}: expected '{name}' of shape {list(shape)} (normalized_shape), got "
                f"{list(p.shape)}"
            )
        y = y * p if name == "weight" else y + p
    return y


def group_norm(
    x: Any,
    num_groups: int,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise ``x`` (N, C, ...) over each group of C/num_groups channels (and all
    positions), then y = γ·x̂ + β with per-channel ``weight`` γ and ``bias`` β of shape (C,)."""
    op = "group_norm"
    x = as_tensor(x, op, "input")
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input of shape (N, C, ...), got {list(x.shape)}")
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral) or (
            num_groups < 1):
        raise ValueError(f"{op}: 'num_groups' must be a positive int, got {num_groups!r}")
    N, C = x.shape[:2]
    G = int(num_groups)
    if C % G:
        raise ValueError(
            f"{op}: num_groups={G} must divide the number of channels, but the input "
            f"{list(x.shape)} has {C} channels"
        )
    _check_eps(eps, x, op)
    grouped = x.reshape(N, G, -1)
    y = _normalise(grouped, (2,), eps).reshape(*x.shape)
    per_channel = (1, C) + (1,) * (x.ndim - 2)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is None:
            continue
        p = as_tensor(p, op, name)
        if p.shape != (C,):
            raise ValueError(
                f"{op}: expected '{name}' of shape [{C}] (one per channel), got "
                f"{list(p.shape)}"
            )
        y = y * p.reshape(per_channel) if name == "weight" else y + p.reshape(per_channel)
    return y
