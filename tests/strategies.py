"""Hypothesis strategies shared by the test files: shapes, broadcastable pairs, arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autocnn as ac

small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@st.composite
def broadcastable_pairs(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast together (some axes of size 1, some missing)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    return shapes.input_shapes


def arrays(shape: tuple[int, ...], low: float = -2.0, high: float = 2.0,
           away_from_zero: float = 0.0) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` with entries in [low, high], optionally |x| ≥ margin."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if away_from_zero:
        elements = elements.filter(lambda v: abs(v) >= away_from_zero)
    return hnp.arrays(np.float64, shape, elements=elements)


def leaf(arr: np.ndarray, name: str | None = None) -> ac.Tensor:
    """A float64 leaf tensor that requires grad."""
    return ac.tensor(arr, requires_grad=True, dtype=np.float64, name=name)


@st.composite
def axes_of(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """None (all axes) or a non-empty set of distinct axes of ``shape``, possibly negative."""
    if not shape or draw(st.booleans()):
        return None
    chosen = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    return tuple(a - len(shape) if draw(st.booleans()) else a for a in chosen)


@st.composite
def permutations_of(draw: st.DrawFn, ndim: int) -> tuple[int, ...]:
    """A permutation of ``range(ndim)``."""
    return tuple(draw(st.permutations(list(range(ndim)))))
