"""DataLoader: every sample once per pass, batch sizes, shuffling from the seeded generator."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn.data import ArrayDataset, DataLoader


def _numbered(n: int) -> ArrayDataset:
    """Images whose single pixel holds their index, so a batch shows which samples it has."""
    images = np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1)
    return ArrayDataset(images, np.arange(n) % 3)


@pytest.mark.parametrize(("n", "batch", "drop_last", "sizes"), [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (8, 4, False, [4, 4]),
    (3, 5, False, [3]),
    (3, 5, True, []),
])
def test_batch_sizes_and_length(n: int, batch: int, drop_last: bool, sizes: list[int]) -> None:
    loader = DataLoader(_numbered(n), batch_size=batch, drop_last=drop_last)
    assert [len(y.data) for _, y in loader] == sizes
    assert len(loader) == len(sizes)


def test_without_shuffle_the_order_is_the_datasets() -> None:
    seen = np.concatenate([x.data.ravel() for x, _ in DataLoader(_numbered(7), batch_size=3)])
    np.testing.assert_array_equal(seen, np.arange(7))


def test_shuffle_yields_every_sample_once_in_a_new_order_each_pass() -> None:
    loader = DataLoader(_numbered(50), batch_size=8, shuffle=True)
    first = np.concatenate([x.data.ravel() for x, _ in loader])
    second = np.concatenate([x.data.ravel() for x, _ in loader])
    np.testing.assert_array_equal(np.sort(first), np.arange(50))
    np.testing.assert_array_equal(np.sort(second), np.arange(50))
    assert not np.array_equal(first, second)


def test_labels_stay_with_their_images() -> None:
    for x, y in DataLoader(_numbered(20), batch_size=6, shuffle=True):
        np.testing.assert_array_equal(x.data.ravel().astype(int) % 3, y.data)


def test_manual_seed_makes_the_shuffle_repeatable() -> None:
    def order() -> np.ndarray:
        loader = DataLoader(_numbered(30), batch_size=7, shuffle=True)
        return np.concatenate([x.data.ravel() for x, _ in loader])

    ac.manual_seed(11)
    a = order()
    ac.manual_seed(11)
    np.testing.assert_array_equal(a, order())


def test_arrays_and_tensors_are_accepted_and_batches_are_tensors() -> None:
    images = np.zeros((5, 1, 2, 2), dtype=np.float32)
    for data in [(images, np.arange(5)), (ac.tensor(images), ac.tensor(np.arange(5)))]:
        x, y = next(iter(DataLoader(data, batch_size=2)))
        assert isinstance(x, ac.Tensor) and isinstance(y, ac.Tensor)
        assert x.shape == (2, 1, 2, 2) and y.dtype == np.int64 and not x.requires_grad


@pytest.mark.parametrize(("data", "kwargs", "error", "words"), [
    (None, {}, TypeError, "ArrayDataset or a pair"),
    ((np.zeros((3, 1, 2, 2)), np.zeros(4)), {}, ValueError, "equal length"),
    ("dataset", {"batch_size": 0}, ValueError, "batch_size' >= 1, got 0"),
    ("dataset", {"batch_size": 2.5}, TypeError, "batch_size"),
])
def test_bad_arguments_are_named(data: object, kwargs: dict, error: type, words: str) -> None:
    data = _numbered(4) if data == "dataset" else data
    with pytest.raises(error, match=words):
        DataLoader(data, **kwargs)


def test_array_dataset_checks_its_arrays() -> None:
    with pytest.raises(ValueError, match=r"'labels' of shape \[2\]"):
        ArrayDataset(np.zeros((2, 1, 3, 3)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        ArrayDataset(np.zeros((2, 3, 3)), np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="labels must lie in"):
        ArrayDataset(np.zeros((2, 1, 3, 3)), np.array([0, 5]), classes=("a", "b"))


def test_indexing_a_dataset_gives_a_pair_or_a_subset() -> None:
    data = _numbered(6)
    image, label = data[4]
    assert image.shape == (1, 1, 1) and label == 1
    subset = data[np.array([1, 3])]
    assert len(subset) == 2 and subset.classes == data.classes
