"""The package's one source of randomness: a NumPy ``Generator`` that ``manual_seed`` resets.

Every random draw in autocnn (weight initialisation, ``randn``/``rand``, dropout masks,
shuffling in data loaders, synthetic datasets) takes its numbers from ``generator()``, so a
single ``ac.manual_seed(0)`` makes a whole run repeatable. This is one of the three pieces of
global state the package allows (with grad mode and anomaly mode).
"""

from __future__ import annotations

import numpy as np

_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random draw of autocnn (init, randn, rand, dropout, shuffling).

    Returns the new generator, for code that wants to hold on to it.
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The generator that ``manual_seed`` last seeded (fresh entropy until then)."""
    return _generator
