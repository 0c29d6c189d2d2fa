"""Adversarial examples and class visualisation on a quickly trained digits LeNet: FGSM and
fooling images flip predictions, with the size of the change reported correctly."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import explain, optim

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits_model():
    """LeNet on the 8×8 digits after 3 epochs (about 90% test accuracy, ~1 s)."""
    from autocnn.data.digits import load_digits
    from autocnn.training import fit

    ac.manual_seed(0)
    train, test = load_digits()
    model = ac.models.lenet(image_size=8)
    fit(model, train, optim.Adam(model.parameters(), lr=3e-3), epochs=3, batch_size=32,
        progress=False)
    model.eval()
    pred = model(ac.tensor(test.images[:40])).data.argmax(axis=1)
    right = np.flatnonzero(pred == test.labels[:40])
    return model, test.images[right], test.labels[right]


def test_fgsm_search_flips_every_correctly_classified_digit(digits_model):
    model, images, labels = digits_model
    results = [explain.fgsm(model, x, int(y)) for x, y in zip(images, labels)]
    assert len(results) >= 30
    assert all(r.flipped and r.prediction != r.original_prediction for r in results)
    for x, r in zip(images, results):
        change = r.image - x
        assert r.linf == pytest.approx(np.abs(change).max(), rel=1e-5)
        assert r.l2 == pytest.approx(np.sqrt((change.astype(np.float64) ** 2).sum()), rel=1e-5)
        assert r.linf == pytest.approx(r.epsilon, abs=1e-6)   # every pixel moves by ε (float32)
        assert r.steps >= 2
    # the flips need changes of a few percent of the [0, 1] pixel range
    assert np.median([r.epsilon for r in results]) < 0.3


def test_fgsm_with_a_fixed_epsilon_moves_every_pixel_by_epsilon(digits_model):
    model, images, labels = digits_model
    r = explain.fgsm(model, images[0], int(labels[0]), epsilon=0.05, clip=(0.0, 1.0))
    assert r.steps == 1 and r.epsilon == 0.05
    assert r.image.min() >= 0 and r.image.max() <= 1
    assert r.linf <= 0.05 + 1e-6
    assert np.isclose(r.original_probabilities.sum(), 1) and np.isclose(r.probabilities.sum(), 1)


def test_fooling_images_reach_the_chosen_class(digits_model):
    model, images, labels = digits_model
    results = [explain.fooling_image(model, x, (int(y) + 1) % 10)
               for x, y in zip(images[:20], labels[:20])]
    assert all(r.flipped and r.prediction == r.target for r in results)
    assert all(r.probabilities.argmax() == r.target for r in results)
    assert all(0 < r.steps <= 200 for r in results)


def test_class_visualisation_raises_the_target_probability(digits_model):
    model, _, _ = digits_model
    ac.manual_seed(1)
    v = explain.class_visualisation(model, target=3, steps=60, image_shape=(1, 8, 8))
    assert v.image.shape == (1, 8, 8) and v.steps == 60
    assert v.probability > 0.5
    import json

    json.dumps(v.to_dict())


def test_class_visualisation_names_an_image_shape_the_model_refuses(digits_model):
    model, _, _ = digits_model
    with pytest.raises(ValueError, match=r"does not accept images of shape \(1, 28, 28\)"):
        explain.class_visualisation(model, target=3, steps=1)
