"""The built-in shapes dataset: right shapes, balanced classes, seeded, glyphs where expected."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn.data import DatasetError, glyph, load_shapes, make_shapes
from autocnn.data.shapes import CLASSES


@pytest.mark.parametrize("size", [6, 12, 28])
def test_images_have_the_requested_shape_dtype_and_range(size: int) -> None:
    data = make_shapes(50, image_size=size, seed=1)
    assert data.images.shape == (50, 1, size, size)
    assert data.images.dtype == np.float32 and data.labels.dtype == np.int64
    assert data.images.min() >= 0.0 and data.images.max() <= 1.0


def test_classes_are_balanced_and_labels_name_them() -> None:
    data = make_shapes(100, seed=3)
    assert data.classes == CLASSES
    assert set(data.class_counts().values()) == {100 // len(CLASSES)}


def test_same_seed_gives_the_same_images_and_another_seed_does_not() -> None:
    a, b, c = make_shapes(20, seed=7), make_shapes(20, seed=7), make_shapes(20, seed=8)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)


def test_without_a_seed_the_package_generator_makes_it_repeatable() -> None:
    ac.manual_seed(5)
    first = make_shapes(10).images
    ac.manual_seed(5)
    np.testing.assert_array_equal(first, make_shapes(10).images)


def test_without_noise_every_image_is_one_scaled_glyph_inside_the_frame() -> None:
    data = make_shapes(40, image_size=10, noise=0.0, seed=2)
    for image, label in zip(data.images[:, 0], data.labels):
        rows, cols = np.nonzero(image)
        box = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        brightness = box.max()
        assert 0.6 <= brightness <= 1.0
        # the inked pixels are exactly the glyph of the class, at some size, in that box
        matches = [
            k for k in range(3, 11)
            if any(
                np.array_equal((image[t : t + k, s : s + k] > 0).astype(np.float32),
                               glyph(CLASSES[label], k))
                and np.count_nonzero(image[t : t + k, s : s + k]) == np.count_nonzero(image)
                for t in range(10 - k + 1) for s in range(10 - k + 1)
            )
        ]
        assert matches, f"image of class {CLASSES[label]} is not a glyph of that class"


def test_jitter_zero_centres_every_glyph() -> None:
    data = make_shapes(30, image_size=13, noise=0.0, jitter=0, classes=("o",), seed=4)
    for image in data.images[:, 0]:
        rows, cols = np.nonzero(image)
        # a ring of odd or even size k starts at (13 - k) // 2 on both axes
        k = rows.max() - rows.min() + 1
        assert rows.min() == cols.min() == (13 - k) // 2


def test_glyph_x_at_three_pixels_is_the_lessons_x() -> None:
    expected = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(glyph("x", 3), expected)
    np.testing.assert_array_equal(glyph("o", 3), 1 - np.eye(3)[[1]].T @ np.eye(3)[[1]])


def test_glyphs_of_different_classes_differ_at_every_size() -> None:
    for k in range(3, 27):
        masks = [glyph(c, k).tobytes() for c in CLASSES]
        assert len(set(masks)) == len(CLASSES), f"two glyphs coincide at size {k}"


def test_train_and_test_splits_are_independent_draws() -> None:
    train, test = load_shapes(n_train=50, n_test=50, seed=0)
    assert not np.array_equal(train.images, test.images)
    again, _ = load_shapes(n_train=50, n_test=50, seed=0)
    np.testing.assert_array_equal(train.images, again.images)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"image_size": 5}, ["image_size", "between 6 and 28", "5"]),
        ({"image_size": 29}, ["image_size", "29"]),
        ({"classes": ("x", "star")}, ["star", "valid classes"]),
        ({"noise": -1.0}, ["noise", "-1.0"]),
        ({"jitter": -2}, ["jitter", "-2"]),
    ],
)
def test_bad_arguments_raise_a_message_naming_them(kwargs: dict, words: list[str]) -> None:
    with pytest.raises(DatasetError) as info:
        make_shapes(10, **kwargs)
    for word in words:
        assert word in str(info.value)
