"""Datasets as arrays: ``ArrayDataset`` (images + labels + class names) and ``DatasetError``.

Every dataset of ``autocnn.data`` (the built-in shapes, scikit-learn's digits, MNIST) is
small enough to live in memory, so a dataset is simply two NumPy arrays of equal length:
``images`` of shape (N, C, H, W) in float32 and ``labels`` of shape (N,) in int64, plus the
names of the classes. ``DataLoader`` cuts it into mini-batches. This file sits at the data
layer of DESIGN.md and depends on NumPy only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np


class DatasetError(ValueError):
    """A dataset cannot be built or read: a corrupt file, a wrong checksum, a bad name."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset file or folder that should exist does not."""


@dataclass
class ArrayDataset:
    """A labelled image dataset held in memory.

    ``images`` has shape (N, C, H, W) (float32, pixel values roughly in [0, 1]), ``labels``
    shape (N,) (int64 class indices), ``classes`` the name of each class index. Indexing
    gives one ``(image, label)`` pair, or a smaller ``ArrayDataset`` for a slice or an index
    array.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: Sequence[str] = field(default_factory=tuple)
    name: str = "dataset"

    def __post_init__(self) -> None:
        images = np.asarray(self.images)
        labels = np.asarray(self.labels)
        if images.ndim != 4:
            raise DatasetError(
                f"ArrayDataset {self.name!r}: expected 'images' of shape (N, C, H, W), got "
                f"shape {list(images.shape)}"
            )
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise DatasetError(
                f"ArrayDataset {self.name!r}: expected 'labels' of shape [{images.shape[0]}] "
                f"(one per image), got shape {list(labels.shape)}"
            )
        if labels.size and not np.issubdtype(labels.dtype, np.integer):
            raise DatasetError(
                f"ArrayDataset {self.name!r}: expected integer 'labels', got dtype {labels.dtype}"
            )
        self.images = _real_images(images, self.name)
        self.labels = labels.astype(np.int64, copy=False)
        if not self.classes:
            count = int(self.labels.max()) + 1 if self.labels.size else 0
            self.classes = tuple(str(i) for i in range(count))
        self.classes = tuple(self.classes)
        if self.labels.size and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            raise DatasetError(
                f"ArrayDataset {self.name!r}: labels must lie in [0, {len(self.classes)}) "
                f"for {len(self.classes)} classes, got values from {self.labels.min()} to "
                f"{self.labels.max()}"
            )

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int | slice | np.ndarray) -> tuple[np.ndarray, int] | ArrayDataset:
        if isinstance(index, (int, np.integer)):
            return self.images[index], int(self.labels[index])
        return ArrayDataset(self.images[index], self.labels[index], self.classes, self.name)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        return tuple(int(s) for s in self.images.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        """How many classes the labels index."""
        return len(self.classes)

    def class_counts(self) -> dict[str, int]:
        """Number of images per class name."""
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return {name: int(c) for name, c in zip(self.classes, counts)}

    def __repr__(self) -> str:
        return (
            f"ArrayDataset({self.name!r}, {len(self)} images of shape "
            f"{'×'.join(map(str, self.image_shape))}, classes={list(self.classes)})"
        )


def _real_images(images: np.ndarray, name: str) -> np.ndarray:
    """``images`` as float32, refusing what would silently become wrong pixels.

    An object array holding None would turn into NaN, a complex array would lose its
    imaginary part, strings or datetimes are not pixels; NaN or infinite pixels make every
    loss NaN several steps later, far from the cause.
    """
    where = f"ArrayDataset {name!r}"
    if images.dtype.kind == "O":
        bad = [v for v in images.reshape(-1)
               if v is None or isinstance(v, (bool, complex, str, bytes))
               or not isinstance(v, (int, float, np.integer, np.floating))]
        if bad:
            raise DatasetError(f"{where}: 'images' must hold real numbers, got an object "
                               f"array holding {bad[0]!r}")
        images = images.astype(np.float64)
    if images.dtype.kind not in "biuf":
        kind = {"c": "complex", "M": "datetime", "m": "timedelta", "U": "string",
                "S": "bytes"}.get(images.dtype.kind, str(images.dtype))
        raise DatasetError(f"{where}: 'images' must hold real numbers, got {kind} dtype "
                           f"{images.dtype}")
    out = images.astype(np.float32, copy=False)
    if out.size and not np.isfinite(out).all():
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise DatasetError(f"{where}: 'images' must be finite, got {out[first]} at index "
                           f"{first}")
    return out


@dataclass
class Split:
    """A train/test pair of datasets built from the same source."""

    train: ArrayDataset
    test: ArrayDataset

    def __iter__(self) -> Iterator[ArrayDataset]:
        """Unpack as ``train, test = split``."""
        return iter((self.train, self.test))
