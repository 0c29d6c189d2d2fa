"""autocnn.interop: to_torch / from_torch for every layer, user modules by replay, refusals
by name, and check_same at 1e-10 (float64) and 1e-5 (float32)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autocnn as ac
import autocnn.functional as F
from autocnn import models, nn
from tests.test_modern_blocks import LAYERS

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
from autocnn.interop import (  # noqa: E402
    ConversionError,
    check_same,
    from_torch,
    to_torch,
)

#: the layers the library had before issue 17, with the input shape to check them on
OLDER = {
    "linear": (lambda: nn.Linear(5, 3), (4, 5)),
    "conv2d": (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=1), (2, 2, 7, 7)),
    "max_pool": (lambda: nn.MaxPool2d(2), (1, 2, 6, 6)),
    "avg_pool": (lambda: nn.AvgPool2d(3, 2, 1), (1, 2, 7, 7)),
    "batch_norm1d": (lambda: nn.BatchNorm1d(4), (6, 4)),
    "batch_norm2d": (lambda: nn.BatchNorm2d(2, eps=1e-3, momentum=0.3), (3, 2, 4, 4)),
    "relu": (lambda: nn.ReLU(), (3, 4)),
    "sigmoid": (lambda: nn.Sigmoid(), (3, 4)),
    "tanh": (lambda: nn.Tanh(), (3, 4)),
    "softmax": (lambda: nn.Softmax(axis=0), (3, 4)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4)),
    "dropout_eval": (lambda: nn.Dropout(0.3).eval(), (3, 4)),
}
ALL = {**{k: (make, shape) for k, (make, _, shape) in LAYERS.items()}, **OLDER}


def _randomise(model: nn.Module) -> nn.Module:
    rng = np.random.default_rng(0)
    for _, p in model.named_parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.5
    return model


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_layer_converts_both_ways_and_computes_the_same(name, dtype) -> None:
    make, shape = ALL[name]
    ours = _randomise(make().to(dtype))
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    theirs = to_torch(ours)
    assert isinstance(theirs, torch.nn.Module)
    report = check_same(ours, theirs, x)
    assert report, str(report)
    assert report.tolerance == (1e-10 if dtype == np.float64 else 1e-5)
    back = from_torch(theirs)
    assert type(back) is type(ours)
    assert repr(back) == repr(ours)
    report = check_same(back, theirs, x)
    assert report, str(report)
    for key, value in back.state_dict().items():
        assert value.dtype == ours.state_dict()[key].dtype, key


@pytest.mark.parametrize("name", ["seed", "lenet", "vgg_small", "resnet_small"])
def test_built_in_models_convert_in_training_and_evaluation_mode(name) -> None:
    model = models.build_model(name, image_size=8, num_classes=3).double()
    x = np.random.default_rng(2).standard_normal((3, 1, 8, 8))
    theirs = to_torch(model)
    assert check_same(model, theirs, x)  # training mode: batch statistics, buffer updates
    model.eval()
    theirs = to_torch(model)
    assert not theirs.training
    report = check_same(model, theirs, x)
    assert report, str(report)
    assert from_torch(theirs).state_dict().keys() == model.state_dict().keys()


def test_resnet_blocks_are_replayed_and_come_back_as_themselves() -> None:
    model = models.build_model("resnet_small", image_size=8)
    theirs = to_torch(model)
    block = theirs[4][0]
    assert type(block).__name__ == "BasicBlock" and isinstance(block, torch.nn.Module)
    assert isinstance(block.downsample[0], torch.nn.Conv2d)
    assert type(from_torch(theirs)[4][0]) is models.BasicBlock
    residual = models.Residual(nn.Sequential(nn.Linear(3, 3), nn.Tanh())).double()
    report = check_same(residual, to_torch(residual), np.ones((2, 3)))
    assert report, str(report)


class Scaled(nn.Module):
    """A user module with its own parameter and setting: replayable."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.scale = nn.Parameter(np.full(4, 0.5))
        self.shift = 0.25

    def forward(self, x):
        return self.body(x) * self.scale + self.shift - x


class UsesFunctional(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return F.relu(self.fc(x))


class UsesShape(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1)


def test_a_user_module_made_of_layers_and_operators_converts() -> None:
    ours = Scaled().double()
    theirs = to_torch(ours)
    assert set(dict(theirs.named_parameters())) == {"scale", "body.weight", "body.bias"}
    report = check_same(ours, theirs, np.random.default_rng(3).standard_normal((2, 4)))
    assert report, str(report)
    back = from_torch(theirs)
    assert type(back) is Scaled and back.shift == 0.25


def test_modules_whose_forward_is_not_a_replay_are_refused_by_name() -> None:
    model = nn.Sequential(nn.Linear(4, 4), UsesFunctional())
    with pytest.raises(ConversionError, match=r"to_torch: no PyTorch counterpart for '1' "
                       r"\(tests\.test_interop\.UsesFunctional\): its forward reads the "
                       r"global name 'F'"):
        to_torch(model)
    with pytest.raises(ConversionError, match=r"the model itself .*UsesShape.*reads 'reshape'"):
        to_torch(UsesShape())


def test_unknown_torch_layers_are_refused_by_name() -> None:
    model = torch.nn.Sequential(OrderedDict(fc=torch.nn.Linear(3, 3), rnn=torch.nn.LSTM(3, 3)))
    with pytest.raises(ConversionError, match=r"from_torch: no autocnn counterpart for 'rnn' "
                       r"\(torch\.nn\.modules\.rnn\.LSTM\)"):
        from_torch(model)
    with pytest.raises(ConversionError, match=r"'0' .*padding_mode='reflect'"):
        from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3, padding_mode="reflect")))
    with pytest.raises(ConversionError, match="affine=False"):
        from_torch(torch.nn.BatchNorm2d(3, affine=False))
    with pytest.raises(TypeError, match=r"from_torch: expected a torch\.nn\.Module"):
        from_torch(nn.ReLU())


def test_a_torch_user_module_of_layers_comes_across() -> None:
    class Block(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 2, 3, padding=1)
            self.act = torch.nn.ReLU()

        def forward(self, x):
            return x + self.act(self.conv(x))

    theirs = torch.nn.Sequential(Block(), torch.nn.Flatten(), torch.nn.Linear(32, 3)).double()
    ours = from_torch(theirs)
    assert type(ours[0]).__name__ == "Block" and isinstance(ours[0], nn.Module)
    report = check_same(ours, theirs, np.random.default_rng(4).standard_normal((2, 2, 4, 4)))
    assert report, str(report)
    assert type(to_torch(ours)[0]) is Block


def test_check_same_reports_the_largest_difference_and_where() -> None:
    ours = nn.Sequential(nn.Linear(3, 2)).double()
    theirs = to_torch(ours)
    with torch.no_grad():
        theirs[0].bias[1] += 1e-3
    report = check_same(ours, theirs, np.ones((2, 3)))
    assert not report
    assert report.worst == "output" and report.max_difference == pytest.approx(1e-3)
    assert "DIFFERENT" in str(report) and "output" in str(report)
    # two autocnn models, and the .grad attributes are left alone
    assert check_same(ours, from_torch(theirs), np.ones((2, 3))).max_difference > 0
    assert ours[0].weight.grad is None
    with pytest.raises(TypeError, match="check_same: 'b' must be an autocnn or torch module"):
        check_same(ours, lambda x: x, np.ones((2, 3)))


def test_a_converted_model_trains_the_same_for_a_few_steps() -> None:
    ours = models.build_model("seed", image_size=8, num_classes=3).double()
    theirs = to_torch(ours)
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 1, 8, 8)), np.arange(6) % 3
    opt = ac.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(ours(ac.tensor(x)), y).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        topt.step()
    report = check_same(ours, theirs, x)
    assert report, str(report)


def test_losses_convert_with_their_options() -> None:
    rng = np.random.default_rng(6)
    z, t = rng.standard_normal((4, 3)), np.array([0, 1, 2, 2])
    ours = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), ignore_index=1,
                               reduction="sum", label_smoothing=0.1)
    theirs = to_torch(ours)
    assert isinstance(theirs, torch.nn.CrossEntropyLoss) and theirs.ignore_index == 1
    value = ours(ac.tensor(z), t).item()
    assert theirs(torch.tensor(z), torch.tensor(t)).item() == pytest.approx(value, rel=1e-12)
    assert from_torch(theirs)(ac.tensor(z), t).item() == pytest.approx(value, rel=1e-12)
    mse = to_torch(nn.MSELoss(reduction="none"))
    assert isinstance(mse, torch.nn.MSELoss) and mse.reduction == "none"


def test_container_subclasses_that_keep_the_container_forward_convert_as_containers() -> None:
    class Stage(torch.nn.Sequential):
        pass

    ours = from_torch(Stage(torch.nn.Linear(2, 2), torch.nn.ReLU()).double())
    assert type(ours) is nn.Sequential and len(ours) == 2
    assert check_same(ours, to_torch(ours), np.ones((1, 2)))


def test_a_torchvision_style_basic_block_with_in_place_add_comes_across() -> None:
    class TorchvisionBlock(torch.nn.Module):  # torchvision.models.resnet.BasicBlock's forward
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(c)
            self.relu = torch.nn.ReLU(inplace=True)
            self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(c)
            self.downsample = None
            self.stride = 1

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    theirs = TorchvisionBlock(3).double()
    ours = from_torch(theirs)
    assert ours.stride == 1 and ours.downsample is None
    report = check_same(ours, theirs, np.random.default_rng(7).standard_normal((2, 3, 5, 5)))
    assert report, str(report)
