"""Data augmentation and normalisation, applied to a whole batch at once.

Each transform is called with a batch of images, a NumPy array (B, C, H, W), and returns a
new batch; the random ones draw one choice per image from ``autocnn.random.generator()``,
so ``ac.manual_seed`` makes them repeatable. They work on the whole batch with array
indexing — no Python loop over the images — so augmentation costs little next to a step.

    from autocnn.data import DataLoader, transforms as T
    augment = T.Compose([T.RandomShift(2), T.RandomHorizontalFlip()])
    loader = DataLoader(train, batch_size=32, shuffle=True, transform=augment)

- ``RandomShift(max_pixels)``: move each image by a whole number of pixels, up to
  ``max_pixels`` in each direction, filling the uncovered border with zeros.
- ``RandomCrop(size, padding=0)``: pad by ``padding`` zeros, then cut a ``size`` window at
  a random place (``torchvision.transforms.RandomCrop``'s rule).
- ``RandomHorizontalFlip(p=0.5)``: mirror each image left-right with probability ``p``.
- ``Normalize(mean, std)``: ``(x - mean[c]) / std[c]`` per channel (no randomness).
- ``Compose(transforms)``: one after the other.

``parse_augment("shift:2,flip")`` builds the ``Compose`` that ``autocnn train --augment``
describes; ``AUGMENTATIONS`` lists the names it knows.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autocnn.random import generator

__all__ = ["AUGMENTATIONS", "Compose", "Normalize", "RandomCrop", "RandomHorizontalFlip",
           "RandomShift", "parse_augment"]

Transform = Callable[[np.ndarray], np.ndarray]


def _batch(name: str, images: Any) -> np.ndarray:
    images = np.asarray(getattr(images, "data", images))
    if images.ndim != 4:
        raise ValueError(f"{name}: expected a batch of images (B, C, H, W), got shape "
                         f"{list(images.shape)}")
    return images


def _window(padded: np.ndarray, tops: np.ndarray, lefts: np.ndarray, height: int,
            width: int) -> np.ndarray:
    """Cut a (height, width) window at (tops[i], lefts[i]) out of image i, for every i."""
    b, c = padded.shape[:2]
    rows = tops[:, None] + np.arange(height)          # (B, height)
    cols = lefts[:, None] + np.arange(width)          # (B, width)
    return padded[np.arange(b)[:, None, None, None], np.arange(c)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


def _check_count(name: str, arg: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected '{arg}' to be an int >= {minimum}, got {value!r}")
    return int(value)


class RandomShift:
    """Shift each image by (dy, dx), each drawn uniformly from −max_pixels..max_pixels.

    Pixels moved out of the frame are lost, the uncovered border is zero. A CNN whose
    pooling gives it some tolerance to shifts learns more of it from such copies (see
    ``examples/22_shift_tolerance.py``).
    """

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = _check_count("RandomShift", "max_pixels", max_pixels)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """The batch with every image shifted by its own random offset."""
        images = _batch("RandomShift", images)
        m = self.max_pixels
        if m == 0:
            return images.copy()
        b, _, h, w = images.shape
        padded = np.pad(images, ((0, 0), (0, 0), (m, m), (m, m)))
        offsets = generator().integers(0, 2 * m + 1, size=(2, b))
        return _window(padded, offsets[0], offsets[1], h, w)

    def __repr__(self) -> str:
        return f"RandomShift(max_pixels={self.max_pixels})"


class RandomCrop:
    """Pad with ``padding`` zeros on each side, then crop a ``size`` window at random.

    ``size`` is an int (a square) or a pair (height, width), at most the padded image.
    """

    def __init__(self, size: int | Sequence[int], padding: int = 0) -> None:
        pair = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
        if len(pair) != 2:
            raise ValueError(f"RandomCrop: expected 'size' to be an int or (height, width), "
                             f"got {size!r}")
        self.size = tuple(_check_count("RandomCrop", "size", s, 1) for s in pair)
        self.padding = _check_count("RandomCrop", "padding", padding)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """A random ``size`` window of every (padded) image."""
        images = _batch("RandomCrop", images)
        p = self.padding
        padded = np.pad(images, ((0, 0), (0, 0), (p, p), (p, p))) if p else images
        (height, width), (h, w) = self.size, padded.shape[2:]
        if height > h or width > w:
            raise ValueError(f"RandomCrop: crop size {list(self.size)} is larger than the "
                             f"padded image {[h, w]}")
        b = len(images)
        tops = generator().integers(0, h - height + 1, size=b)
        lefts = generator().integers(0, w - width + 1, size=b)
        return _window(padded, tops, lefts, height, width)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p`` (default 0.5)."""

    def __init__(self, p: float = 0.5) -> None:
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: expected 'p' in [0, 1], got {p!r}")
        self.p = float(p)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """The batch with a random subset of its images mirrored."""
        images = _batch("RandomHorizontalFlip", images)
        flip = generator().random(len(images)) < self.p
        return np.where(flip[:, None, None, None], images[..., ::-1], images)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Normalize:
    """``(x − mean[c]) / std[c]`` for each channel c; ``mean`` and ``std`` per channel.

    A single number applies to every channel. Every ``std`` must be positive.
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError("Normalize: expected 'mean' and 'std' to be numbers or lists of "
                             f"numbers, got {mean!r} and {std!r}")
        if not np.all(np.isfinite(self.mean)) or not np.all(self.std > 0):
            raise ValueError(f"Normalize: expected finite 'mean' and positive 'std', got "
                             f"{mean!r} and {std!r}")

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """The batch, channel by channel, with mean 0 and std 1 for data of these statistics."""
        images = _batch("Normalize", images)
        channels = images.shape[1]
        for name, value in (("mean", self.mean), ("std", self.std)):
            if len(value) not in (1, channels):
                raise ValueError(f"Normalize: {len(value)} values of '{name}' for images of "
                                 f"{channels} channels")
        dtype = images.dtype if images.dtype.kind == "f" else np.float32
        mean = self.mean.astype(dtype)[None, :, None, None]
        std = self.std.astype(dtype)[None, :, None, None]
        return (images.astype(dtype, copy=False) - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Compose:
    """Apply ``transforms`` in order: ``Compose([RandomShift(2), Normalize(0.5, 0.25)])``."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose: transform {i} is a {type(t).__name__}, not callable")

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Each transform's output is the next one's input."""
        for t in self.transforms:
            images = t(images)
        return images

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


#: the names ``parse_augment`` (and ``autocnn train --augment``) accepts, with their form
AUGMENTATIONS = {
    "shift": "shift:N — RandomShift(N), up to N pixels each way (default 2)",
    "crop": "crop:N — RandomCrop(image size, padding=N) (default 2)",
    "flip": "flip — RandomHorizontalFlip(0.5)",
}


def parse_augment(spec: str) -> Compose:
    """The ``Compose`` described by ``spec``, e.g. ``"shift:2,flip"`` (see ``AUGMENTATIONS``).

    ``crop`` needs the image size, so it is returned as a ``RandomCrop`` placeholder that
    ``RandomCrop`` resolves per batch (the crop keeps the image's size).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"parse_augment: expected a list like 'shift:2,flip', got {spec!r}")
    valid = "; ".join(AUGMENTATIONS.values())
    steps: list[Transform] = []
    for part in spec.split(","):
        name, _, value = part.strip().partition(":")
        if name not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {name!r}; valid ones are: {valid}")
        if name == "flip":
            if value:
                raise ValueError(f"augmentation 'flip' takes no value, got 'flip:{value}'")
            steps.append(RandomHorizontalFlip())
            continue
        try:
            amount = int(value) if value else 2
        except ValueError:
            raise ValueError(f"augmentation {name!r} expects a whole number of pixels, got "
                             f"{value!r} (as in '{name}:2')") from None
        if amount < 0:
            raise ValueError(f"augmentation {name!r} expects pixels >= 0, got {amount}")
        steps.append(RandomShift(amount) if name == "shift" else _SameSizeCrop(amount))
    return Compose(steps)


class _SameSizeCrop(RandomCrop):
    """``RandomCrop(image size, padding)``: pad and crop back to the batch's own size."""

    def __init__(self, padding: int) -> None:
        super().__init__(1, padding)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = _batch("RandomCrop", images)
        self.size = tuple(images.shape[2:])
        return super().__call__(images)

    def __repr__(self) -> str:
        return f"RandomCrop(size=<image size>, padding={self.padding})"
