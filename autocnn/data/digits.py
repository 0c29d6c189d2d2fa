"""scikit-learn's 8×8 handwritten digits (1,797 images) with a fixed train/test split.

The images come with scikit-learn (no download), which is an optional dependency:
``pip install "autocnn[datasets]"``. Pixel values 0..16 are scaled to [0, 1]. The split is
fixed once and for all — a permutation from ``numpy.random.default_rng(0)``, the last
``test_size`` images for testing — so figures quoted in the docs can be reproduced.
"""

from __future__ import annotations

import numpy as np

from autocnn.data.dataset import ArrayDataset, DatasetError, Split

CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))

#: images in the fixed test split (20 % of 1,797)
TEST_SIZE = 360
_SPLIT_SEED = 0


def load_digits(test_size: int = TEST_SIZE) -> Split:
    """The digits as a ``Split`` of (N, 1, 8, 8) float32 images in [0, 1] and int64 labels."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as exc:
        raise DatasetError(
            "digits: this dataset needs scikit-learn; install it with "
            "`pip install \"autocnn[datasets]\"` (or `pip install scikit-learn`)"
        ) from exc
    bunch = sklearn_digits()
    images = (np.asarray(bunch.images, dtype=np.float32) / 16.0)[:, None, :, :]
    labels = np.asarray(bunch.target, dtype=np.int64)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, np.integer)):
        raise DatasetError(f"digits: 'test_size' must be an int, got {test_size!r}")
    if not 0 < test_size < len(labels):
        raise DatasetError(
            f"digits: expected 'test_size' between 1 and {len(labels) - 1}, got {test_size}"
        )
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(labels))
    train, test = order[:-test_size], order[-test_size:]
    return Split(
        ArrayDataset(images[train], labels[train], CLASSES, name="digits"),
        ArrayDataset(images[test], labels[test], CLASSES, name="digits"),
    )
