"""Batch augmentation: each transform against a per-image loop, seeding, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn.data import DataLoader
from autocnn.data import transforms as T


def _batch(b: int = 6, c: int = 2, h: int = 5, w: int = 7) -> np.ndarray:
    return np.arange(b * c * h * w, dtype=np.float32).reshape(b, c, h, w) + 1


def _shift_by_hand(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(image)
    h, w = image.shape[1:]
    src = image[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)]
    out[:, max(-dy, 0):max(-dy, 0) + src.shape[1], max(-dx, 0):max(-dx, 0) + src.shape[2]] = src
    return out


def test_random_shift_moves_each_image_by_its_own_offset_with_zero_fill() -> None:
    x = _batch()
    ac.manual_seed(3)
    got = T.RandomShift(2)(x)
    ac.manual_seed(3)
    offsets = ac.random.generator().integers(0, 5, size=(2, len(x))) - 2
    for i in range(len(x)):
        # out[r] = image[r + offset]: the content moves by -offset
        assert np.array_equal(got[i], _shift_by_hand(x[i], offsets[0, i], offsets[1, i]))
    assert len({(a, b) for a, b in offsets.T}) > 1  # not one shift for the whole batch


def test_random_crop_is_a_window_of_the_padded_image() -> None:
    x = _batch(h=6, w=6)
    ac.manual_seed(1)
    got = T.RandomCrop(4, padding=1)(x)
    assert got.shape == (6, 2, 4, 4)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(len(x)):
        assert any(np.array_equal(got[i], padded[i, :, t:t + 4, s:s + 4])
                   for t in range(5) for s in range(5))


def test_flip_mirrors_about_half_the_images_and_keeps_the_rest() -> None:
    x = _batch(b=200, c=1, h=2, w=3)
    ac.manual_seed(0)
    got = T.RandomHorizontalFlip()(x)
    flipped = [np.array_equal(g, i[..., ::-1]) for g, i in zip(got, x)]
    kept = [np.array_equal(g, i) for g, i in zip(got, x)]
    assert all(f != k for f, k in zip(flipped, kept))
    assert 70 < sum(flipped) < 130
    assert np.array_equal(T.RandomHorizontalFlip(1.0)(x), x[..., ::-1])


def test_normalize_per_channel_and_compose_in_order() -> None:
    x = _batch(c=2)
    got = T.Normalize([1.0, 2.0], [2.0, 4.0])(x)
    np.testing.assert_allclose(got[:, 1], (x[:, 1] - 2) / 4)
    assert got.dtype == np.float32
    both = T.Compose([T.Normalize(1.0, 2.0), T.Normalize(0.0, 0.5)])(x)
    np.testing.assert_allclose(both, (x - 1) / 2 / 0.5)


def test_the_same_seed_gives_the_same_augmented_batches() -> None:
    images, labels = np.random.default_rng(0).random((20, 1, 6, 6)), np.zeros(20, dtype=int)
    augment = T.parse_augment("shift:1,flip,crop:1")

    def run() -> list[np.ndarray]:
        ac.manual_seed(7)
        loader = DataLoader((images, labels), batch_size=8, shuffle=True, transform=augment)
        return [x.data for x, _ in loader]

    a, b = run(), run()
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert a[0].shape == (8, 1, 6, 6)


def _lines_run(fn, x) -> int:
    """How many lines of autocnn/data/transforms.py run during ``fn(x)``."""
    import sys

    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename.endswith("transforms.py"):
            if event == "line":
                count += 1
            return tracer
        return None

    sys.settrace(tracer)
    try:
        fn(x)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("make", [lambda: T.RandomShift(2), lambda: T.RandomCrop(28, 2),
                                  lambda: T.RandomHorizontalFlip(),
                                  lambda: T.Normalize([0.5], [0.25])])
def test_the_hot_path_has_no_python_loop_over_images(make) -> None:
    # a loop over images would run its body once per image: 64x the images, more lines run;
    # array code runs the same lines whatever the batch size
    small = _batch(b=2, h=28, w=28)
    large = np.tile(small, (64, 1, 1, 1))
    ac.manual_seed(0)
    transform = make()
    assert _lines_run(transform, large) == _lines_run(transform, small)


@pytest.mark.parametrize(("make", "words"), [
    (lambda: T.RandomShift(-1), "RandomShift: expected 'max_pixels' to be an int >= 0"),
    (lambda: T.RandomCrop((3, 3, 3)), "RandomCrop: expected 'size'"),
    (lambda: T.RandomHorizontalFlip(2), r"'p' in \[0, 1\]"),
    (lambda: T.Normalize([0.5], [0.0]), "positive 'std'"),
    (lambda: T.Compose([1]), "transform 0 is a int, not callable"),
    (lambda: T.parse_augment("shift:2,rotate:10"),
     "unknown augmentation 'rotate'; valid ones are: shift:N"),
    (lambda: T.parse_augment("shift:x"), "expects a whole number of pixels, got 'x'"),
    (lambda: T.RandomShift(1)(np.zeros((3, 3))), r"\(B, C, H, W\), got shape \[3, 3\]"),
    (lambda: T.RandomCrop(9)(np.zeros((1, 1, 4, 4))), "larger than the padded image"),
    (lambda: T.Normalize([0, 0, 0], 1)(np.zeros((1, 2, 2, 2))), "3 values of 'mean'"),
    (lambda: DataLoader((np.zeros((2, 1, 2, 2)), np.zeros(2)), transform="flip"),
     "'transform' must be callable"),
])
def test_bad_input_is_named(make, words: str) -> None:
    with pytest.raises((ValueError, TypeError), match=words):
        make()
