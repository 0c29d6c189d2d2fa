"""autocnn.nn against PyTorch: state-dict keys, weights moving both ways, same outputs."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import nn
from autocnn.models import build_model

pytestmark = pytest.mark.torch


def _torch_twin(torch, name: str, in_channels: int = 1, image_size: int = 28):
    """The same architecture as build_model(name) written with torch.nn."""
    tnn = torch.nn
    side = (image_size // 2) // 2
    if name == "seed":
        layers = [tnn.Conv2d(in_channels, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU(),
                  tnn.MaxPool2d(2), tnn.Conv2d(8, 16, 3, padding=1), tnn.BatchNorm2d(16),
                  tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(16 * side**2, 10)]
    else:
        layers = [tnn.Conv2d(in_channels, 8, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                  tnn.Conv2d(8, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                  tnn.Flatten(), tnn.Linear(16 * side**2, 10)]
    return tnn.Sequential(*layers).double()


def _to_torch_state(torch, state):
    return OrderedDict((k, torch.from_numpy(np.array(v))) for k, v in state.items())


@pytest.mark.parametrize("name", ["seed", "lenet"])
def test_state_dict_keys_and_shapes_equal_pytorchs(name):
    torch = pytest.importorskip("torch")
    ours = build_model(name).state_dict()
    theirs = _torch_twin(torch, name).state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert ours[key].shape == tuple(theirs[key].shape), key


@pytest.mark.parametrize("name", ["seed", "lenet"])
def test_pytorch_weights_load_strictly_and_give_the_same_outputs(name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    twin = _torch_twin(torch, name, image_size=12)
    model = build_model(name, image_size=12).double()
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 1, 12, 12))
    ours = model(ac.tensor(x))
    theirs = twin(torch.from_numpy(x))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["seed", "lenet"])
def test_autocnn_weights_load_into_pytorch_and_give_the_same_outputs(name):
    torch = pytest.importorskip("torch")
    model = build_model(name, image_size=8).double()
    if name == "seed":  # make the buffers non-trivial first
        model(ac.randn(4, 1, 8, 8, dtype=np.float64))
    model.eval()
    twin = _torch_twin(torch, name, image_size=8).eval()
    twin.load_state_dict(_to_torch_state(torch, model.state_dict()), strict=True)
    x = np.random.default_rng(1).standard_normal((3, 1, 8, 8))
    np.testing.assert_allclose(model(ac.tensor(x)).numpy(),
                               twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)


def test_parameter_gradients_match_pytorchs_for_the_seed_model():
    torch = pytest.importorskip("torch")
    twin = _torch_twin(torch, "seed", image_size=8)
    model = build_model("seed", image_size=8).double()
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((5, 1, 8, 8))
    y = np.array([0, 3, 9, 3, 1])
    F.cross_entropy(model(ac.tensor(x)), y).backward()
    torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    theirs = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


def test_batchnorm_running_statistics_match_pytorchs_after_several_steps():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(3, momentum=0.3).double()
    theirs = torch.nn.BatchNorm2d(3, momentum=0.3).double()
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = rng.standard_normal((4, 3, 2, 5)) * 2 + 1
        ours(ac.tensor(x))
        theirs(torch.from_numpy(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12,
                                   err_msg=key)


def test_default_init_bounds_equal_pytorchs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours, theirs = nn.Conv2d(3, 64, 5), torch.nn.Conv2d(3, 64, 5)
    for name in ("weight", "bias"):
        a = np.abs(getattr(ours, name).numpy()).max()
        b = getattr(theirs, name).detach().abs().max().item()
        bound = 1 / np.sqrt(3 * 5 * 5)
        assert a <= bound and b <= bound and a > 0.95 * bound and b > 0.95 * bound


def test_layer_reprs_read_like_pytorchs():
    torch = pytest.importorskip("torch")
    assert repr(nn.Conv2d(1, 8, 3, padding=1)) == repr(torch.nn.Conv2d(1, 8, 3, padding=1))
    assert repr(nn.Linear(784, 10)) == repr(torch.nn.Linear(784, 10))
