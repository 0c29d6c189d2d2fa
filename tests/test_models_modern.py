"""VGG- and ResNet-style models: residual blocks, shapes, learning, and ``autocnn train``."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn, optim
from autocnn.models import BasicBlock, Residual, build_model, resnet_small, vgg_small


def test_residual_is_x_plus_body_of_x_and_passes_the_gradient_around() -> None:
    body = nn.Linear(3, 3).double()
    block = Residual(body)
    x = ac.randn(2, 3, dtype=np.float64, requires_grad=True)
    y = block(x)
    np.testing.assert_allclose(y.numpy(), x.numpy() + body(x).numpy(), rtol=1e-12)
    y.sum().backward()
    # dy/dx = I + Wᵀ: the identity path adds exactly one per entry
    expected = 1 + body.weight.numpy().sum(axis=0)
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(expected, (2, 3)), rtol=1e-12)
    with pytest.raises(TypeError, match=r"Residual: 'body' must be an nn\.Module"):
        Residual(lambda v: v)


def test_basic_block_uses_a_projection_only_when_shapes_change() -> None:
    assert BasicBlock(8, 8).downsample is None
    block = BasicBlock(8, 16, stride=2)
    assert [type(m).__name__ for m in block.downsample] == ["Conv2d", "BatchNorm2d"]
    assert block(ac.randn(2, 8, 6, 6)).shape == (2, 16, 3, 3)
    keys = set(block.state_dict())
    assert {"conv1.weight", "bn1.running_mean", "conv2.weight", "downsample.0.weight",
            "downsample.1.num_batches_tracked"} <= keys  # torchvision's names


@pytest.mark.parametrize("build, size", [(resnet_small, 8), (resnet_small, 5), (vgg_small, 8)])
def test_modern_models_classify_small_images(build, size) -> None:
    model = build(in_channels=3, image_size=size, num_classes=4)
    assert model(ac.randn(2, 3, size, size)).shape == (2, 4)


def test_build_model_knows_the_new_models_and_their_minimum_sizes() -> None:
    assert type(build_model("resnet_small")[3][0]).__name__ == "BasicBlock"
    assert build_model("vgg_small")[-1].in_features == 64 * 3 * 3
    with pytest.raises(ValueError, match=r"'vgg_small' needs images of at least 8×8"):
        build_model("vgg_small", image_size=7)


def test_resnet_small_fits_one_tiny_batch() -> None:
    model = build_model("resnet_small", image_size=6, num_classes=3)
    x = ac.randn(6, 1, 6, 6)
    y = np.arange(6) % 3
    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(25):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.1


def test_autocnn_train_accepts_model_resnet_small(tmp_path) -> None:
    from autocnn.cli import main
    from autocnn.training import limit_blas_threads

    previous = limit_blas_threads(1)["previous"]
    try:
        code = main(["train", "--model", "resnet_small", "--train-size", "40", "--image-size",
                     "8", "--epochs", "1", "--batch-size", "20", "--no-plots", "--no-graph",
                     "--out", str(tmp_path / "run")])
    finally:
        if previous:
            limit_blas_threads(previous)
    assert code == 0
    assert (tmp_path / "run" / "model.npz").exists()
    assert main(["evaluate", "--model", str(tmp_path / "run" / "model.npz")]) == 0
