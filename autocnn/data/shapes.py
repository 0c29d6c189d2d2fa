"""The lesson's own task, built in: small grayscale images of X, O, crosses and lines.

Lesson 2.1 explains convolution with a 6×6 picture of an X or an O. ``make_shapes`` draws
such pictures, from the lesson's 6×6 up to 28×28: each image holds one glyph of a random
size at a random position (or centred, or jittered around the centre), with a random
stroke brightness and Gaussian pixel noise. No download is needed, every draw is seeded,
and a small CNN learns it to ≥ 99 % test accuracy in seconds, which makes it the default
dataset of ``autocnn train``.

=========  ======================================
class      glyph
=========  ======================================
``x``      both diagonals
``o``      a ring
``plus``   a cross: the middle row and column
``hline``  a horizontal line
``vline``  a vertical line
=========  ======================================
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from autocnn.data.dataset import ArrayDataset, DatasetError, Split

#: class names, in label order
CLASSES: tuple[str, ...] = ("x", "o", "plus", "hline", "vline")

MIN_SIZE, MAX_SIZE = 6, 28


#: the most images one call makes (1,000,000 images of 28×28 float32 are 3 GB)
MAX_IMAGES = 1_000_000


def _segment_distance(rows: np.ndarray, cols: np.ndarray, a: tuple[float, float],
                      b: tuple[float, float]) -> np.ndarray:
    """Distance from every pixel centre (row, col) to the segment from a to b."""
    (ar, ac_), (br, bc) = a, b
    dr, dc = br - ar, bc - ac_
    t = ((rows - ar) * dr + (cols - ac_) * dc) / (dr * dr + dc * dc)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(rows - (ar + t * dr), cols - (ac_ + t * dc))


def glyph(name: str, size: int) -> np.ndarray:
    """A ``size``×``size`` binary mask (0/1, float32) of the glyph ``name``.

    Strokes are one pixel wide up to size 9 and two pixels wide above, so that large glyphs
    on 28×28 images stay visible after 2×2 pooling.
    """
    if name not in CLASSES:
        raise DatasetError(f"glyph: unknown shape {name!r}; valid shapes are {list(CLASSES)}")
    if size < 3:
        raise DatasetError(f"glyph: expected 'size' >= 3, got {size}")
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    last, mid = size - 1.0, (size - 1) / 2.0
    # a pixel is inked when its centre lies within half a stroke of the curve
    half = 0.5 if size <= 9 else 1.0
    if name == "o":
        radius = np.hypot(rows - mid, cols - mid)
        return (np.abs(radius - (mid - (half - 0.5))) <= half + 0.1).astype(np.float32)
    segments = {
        "x": [((0, 0), (last, last)), ((0, last), (last, 0))],
        "plus": [((mid, 0), (mid, last)), ((0, mid), (last, mid))],
        "hline": [((mid, 0), (mid, last))],
        "vline": [((0, mid), (last, mid))],
    }[name]
    distance = np.min([_segment_distance(rows, cols, a, b) for a, b in segments], axis=0)
    return (distance <= half + 1e-9).astype(np.float32)


@functools.lru_cache(maxsize=256)
def _cached_glyph(name: str, size: int) -> np.ndarray:
    """``glyph`` drawn once per (name, size): a dataset reuses a few dozen masks."""
    mask = glyph(name, size)
    mask.flags.writeable = False
    return mask


def _check_size(image_size: int) -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)):
        raise DatasetError(f"shapes: 'image_size' must be an int, got {image_size!r}")
    if not MIN_SIZE <= image_size <= MAX_SIZE:
        raise DatasetError(
            f"shapes: expected 'image_size' between {MIN_SIZE} and {MAX_SIZE}, got {image_size}"
        )
    return int(image_size)


def make_shapes(
    n: int,
    image_size: int = 12,
    classes: Sequence[str] = CLASSES,
    noise: float = 0.1,
    jitter: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> ArrayDataset:
    """Draw ``n`` images of shapes, with the classes in turn (balanced) and then shuffled.

    - ``image_size``: the side of the square images, 6 (the lesson's) to 28.
    - ``classes``: which glyphs to draw, a subset of ``CLASSES``; label i is ``classes[i]``.
    - ``noise``: standard deviation of the Gaussian noise added to every pixel; pixel values
      are then clipped to [0, 1].
    - ``jitter``: ``None`` places each glyph anywhere it fits; ``0`` centres it; ``k`` moves
      it at most k pixels from the centre in each direction.
    - ``seed``: an int or a NumPy ``Generator``; ``None`` draws from the package generator
      that ``ac.manual_seed`` sets.

    Glyph sizes are drawn between about a third of the image and the whole image less a
    one-pixel margin (at least 3 pixels). Returns an ``ArrayDataset`` with images of shape
    (n, 1, image_size, image_size).
    """
    size = _check_size(image_size)
    classes = tuple(classes)
    unknown = [c for c in classes if c not in CLASSES]
    if unknown or not classes:
        raise DatasetError(
            f"shapes: unknown class names {unknown or list(classes)}; valid classes are "
            f"{list(CLASSES)}"
        )
    # Options may come from a model.json: checked as strictly as typed ones, before anything
    # is allocated (n = 10**9 would be a MemoryError, "3" a TypeError deep inside NumPy).
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise DatasetError(f"shapes: 'n' must be an int, got {n!r}")
    if not 0 <= n <= MAX_IMAGES:
        raise DatasetError(f"shapes: expected 'n' between 0 and {MAX_IMAGES:,} images, got {n}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not np.isfinite(noise) or noise < 0:
        raise DatasetError(f"shapes: expected 'noise' >= 0 (a finite number), got {noise!r}")
    if jitter is not None and (isinstance(jitter, bool)
                               or not isinstance(jitter, (int, np.integer)) or jitter < 0):
        raise DatasetError(f"shapes: expected 'jitter' an int >= 0 or None, got {jitter!r}")
    if seed is None:
        from autocnn.random import generator

        rng = generator()
    elif isinstance(seed, np.random.Generator):
        rng = seed
    else:
        rng = np.random.default_rng(seed)

    smallest = max(3, size // 3)
    largest = max(smallest, size - 2)
    labels = rng.permutation(np.arange(n) % len(classes))
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    for i, label in enumerate(labels):
        k = int(rng.integers(smallest, largest + 1))
        mark = _cached_glyph(classes[label], k) * np.float32(rng.uniform(0.6, 1.0))
        free = size - k  # top-left corners 0..free keep the glyph inside
        if jitter is None:
            top, left = (int(v) for v in rng.integers(0, free + 1, size=2))
        else:
            centre = free // 2
            top, left = (
                int(np.clip(centre + v, 0, free))
                for v in rng.integers(-jitter, jitter + 1, size=2)
            )
        images[i, 0, top : top + k, left : left + k] = mark
    if noise:
        images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
        np.clip(images, 0.0, 1.0, out=images)
    return ArrayDataset(images, labels.astype(np.int64), classes, name=f"shapes{size}")


def load_shapes(
    n_train: int = 2000,
    n_test: int = 500,
    image_size: int = 12,
    noise: float = 0.1,
    jitter: int | None = None,
    classes: Sequence[str] = CLASSES,
    seed: int = 0,
) -> Split:
    """The shapes task as a train/test ``Split``, repeatable from ``seed``.

    Train and test images come from two independent streams of the same seed, so no test
    image is a copy of a training image by construction (they may coincide only by chance).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DatasetError(f"shapes: 'seed' must be a non-negative int, got {seed!r}")
    if isinstance(classes, str):
        raise DatasetError(f"shapes: 'classes' must be a sequence of class names, got the "
                           f"string {classes!r}")
    train_rng, test_rng = (np.random.default_rng([seed, part]) for part in (0, 1))
    common = dict(image_size=image_size, classes=classes, noise=noise, jitter=jitter)
    return Split(
        make_shapes(n_train, seed=train_rng, **common),  # type: ignore[arg-type]
        make_shapes(n_test, seed=test_rng, **common),  # type: ignore[arg-type]
    )
