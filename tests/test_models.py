"""Built-in models: architecture, shapes for small images, errors, and learning."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn, optim
from autocnn.models import MODELS, build_model


def test_registry_holds_seed_and_lenet():
    assert {"seed", "lenet"} <= set(MODELS)


def test_lenet_has_issue_3s_layers_and_parameter_count():
    model = build_model("lenet")
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten",
                     "Linear"]
    assert (model[0].in_channels, model[0].out_channels, model[0].padding) == (1, 8, (1, 1))
    assert (model[3].in_channels, model[3].out_channels) == (8, 16)
    assert (model[7].in_features, model[7].out_features) == (784, 10)
    # conv1 8·9 + 8, conv2 16·8·9 + 16, linear 784·10 + 10
    assert model.num_parameters() == 80 + 1168 + 7850


def test_seed_model_follows_the_lesson_order():
    kinds = [type(m).__name__ for m in build_model("seed")]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d", "BatchNorm2d",
                     "ReLU", "MaxPool2d", "Flatten", "Linear"]


@pytest.mark.parametrize("name", ["seed", "lenet"])
@pytest.mark.parametrize("size, features", [(28, 784), (6, 16), (4, 16), (9, 64)])
def test_models_size_the_linear_layer_for_the_image(name, size, features):
    model = build_model(name, in_channels=3, image_size=size, num_classes=5)
    assert model[-1].in_features == features
    assert model(ac.randn(2, 3, size, size)).shape == (2, 5)


def test_unknown_model_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown model 'resnet'; valid names are 'seed', "
                                         "'lenet'"):
        build_model("resnet")


def test_too_small_image_is_rejected_with_the_minimum():
    with pytest.raises(ValueError, match=r"at least 4×4 .* got image_size=3"):
        build_model("seed", image_size=3)
    with pytest.raises(ValueError, match="'num_classes' must be a positive int, got 0"):
        build_model("lenet", num_classes=0)


@pytest.mark.parametrize("name", ["seed", "lenet"])
def test_a_small_cnn_overfits_one_batch(name):
    model = build_model(name, image_size=8, num_classes=4)
    x = ac.randn(16, 1, 8, 8)
    y = np.arange(16) % 4
    opt = optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert first > 1.0  # ≈ log 4 at the start
    assert loss.item() < 0.05
    with ac.no_grad():  # training mode: batch norm uses this batch's statistics, as above
        assert (model(x).numpy().argmax(1) == y).all()


def test_sgd_with_momentum_also_fits_a_batch_with_the_loss_layer():
    model = build_model("lenet", image_size=6, num_classes=3)
    criterion = nn.CrossEntropyLoss()
    x = ac.randn(12, 1, 6, 6)
    y = np.arange(12) % 3
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(80):
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
