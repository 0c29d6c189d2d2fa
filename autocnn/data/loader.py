"""``DataLoader``: cut a dataset into mini-batches of tensors, shuffled by the seeded generator.

Training by stochastic gradient descent looks at a few images at a time. A ``DataLoader``
walks over an ``ArrayDataset`` (or a pair of arrays ``(images, labels)``) in batches of
``batch_size``, in a new random order every epoch when ``shuffle=True``. The order comes
from ``autocnn.random.generator()``, so ``ac.manual_seed`` makes it repeatable. Each batch
is ``(images, labels)``: a float tensor (B, C, H, W) and an int64 tensor (B,), neither
requiring grad. ``transform`` (see ``autocnn.data.transforms``) is applied to the images of
each batch, as one array, before they become a tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor, check_bool
from autocnn.data.dataset import ArrayDataset
from autocnn.random import generator


def _as_arrays(data: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(data, ArrayDataset):
        return data.images, data.labels
    if isinstance(data, (tuple, list)) and len(data) == 2:
        images, labels = (np.asarray(a.data if isinstance(a, Tensor) else a) for a in data)
        if images.ndim == 0 or labels.ndim == 0 or len(images) != len(labels):
            raise ValueError(
                "DataLoader: expected 'dataset' arrays (images, labels) of equal length, got "
                f"shapes {list(np.shape(images))} and {list(np.shape(labels))}"
            )
        return images, labels
    raise TypeError(
        "DataLoader: expected 'dataset' to be an ArrayDataset or a pair (images, labels), got "
        f"{type(data).__name__}"
    )


class DataLoader:
    """Iterate over ``dataset`` in mini-batches ``(images, labels)`` of tensors.

    - ``dataset``: an ``ArrayDataset`` or a pair ``(images, labels)`` of arrays (or tensors)
      with the same first dimension.
    - ``batch_size``: images per batch; the last batch is smaller unless ``drop_last``.
    - ``shuffle``: draw a new order at the start of every pass (from the package generator).
    - ``drop_last``: leave out the last, incomplete batch.
    - ``transform``: a function of a batch of images (B, C, H, W) array → array, such as
      ``transforms.Compose([transforms.RandomShift(2), transforms.RandomHorizontalFlip()])``;
      applied to every batch (random transforms draw from the package generator).

    ``len(loader)`` is the number of batches per pass.
    """

    def __init__(self, dataset: ArrayDataset | Sequence[Any], batch_size: int = 32,
                 shuffle: bool = False, drop_last: bool = False,
                 transform: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: 'batch_size' must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: expected 'batch_size' >= 1, got {batch_size}")
        self.dataset = dataset
        self.images, self.labels = _as_arrays(dataset)
        self.batch_size = int(batch_size)
        self.shuffle = check_bool(shuffle, "DataLoader", "shuffle")
        self.drop_last = check_bool(drop_last, "DataLoader", "drop_last")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: 'transform' must be callable (images -> images) or "
                            f"None, got {type(transform).__name__}")
        self.transform = transform

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    @property
    def num_samples(self) -> int:
        """How many images one pass yields (fewer than the dataset holds with ``drop_last``)."""
        return len(self) * self.batch_size if self.drop_last else len(self.labels)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = len(self.labels)
        order = generator().permutation(n) if self.shuffle else None
        for b in range(len(self)):
            start = b * self.batch_size
            if order is None:
                picked = slice(start, min(start + self.batch_size, n))
            else:
                # which samples form a batch is random; reading them in index order is
                # only kinder to the memory cache (the loss is a mean over the batch)
                picked = np.sort(order[start : start + self.batch_size])
            images = self.images[picked]
            if self.transform is not None:
                images = self.transform(images)
            yield Tensor(images), Tensor(self.labels[picked])

    def __repr__(self) -> str:
        return (
            f"DataLoader({len(self.labels)} samples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}"
            + (f", transform={self.transform!r})" if self.transform is not None else ")")
        )
