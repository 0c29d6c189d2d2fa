"""scikit-learn's digits: the fixed split, scaling and layout."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from autocnn.data import load_digits


def test_split_sizes_layout_and_scaling() -> None:
    train, test = load_digits()
    assert len(train) == 1797 - 360 and len(test) == 360
    assert train.images.shape[1:] == (1, 8, 8) and train.images.dtype == np.float32
    assert train.images.min() == 0.0 and train.images.max() == 1.0
    assert train.num_classes == 10


def test_split_is_fixed_and_disjoint() -> None:
    from sklearn.datasets import load_digits as sklearn_digits

    train, test = load_digits()
    again, _ = load_digits()
    np.testing.assert_array_equal(train.labels, again.labels)
    # every image of the original appears exactly once across the two parts
    original = sklearn_digits().images.reshape(1797, -1) / 16.0
    ours = np.concatenate([train.images, test.images]).reshape(1797, -1)
    key = lambda a: sorted(map(bytes, np.round(a * 16).astype(np.uint8)))  # noqa: E731
    assert key(original) == key(ours)


def test_labels_match_the_images_they_came_with() -> None:
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    lookup = {bytes(img.astype(np.uint8).ravel()): t for img, t in zip(bunch.images, bunch.target)}
    train, _ = load_digits()
    for image, label in zip(train.images[:50], train.labels[:50]):
        assert lookup[bytes(np.round(image * 16).astype(np.uint8).ravel())] == label
