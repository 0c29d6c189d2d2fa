"""The shape-error explainer: the chain of shapes with the size formulas filled in, the
failing module named, and the fix — from explain.shapes and in Sequential's own error."""

from __future__ import annotations

import pytest

import autocnn as ac
from autocnn import explain, nn


def _broken() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(100, 10))


def test_shapes_of_a_working_model_follow_the_size_formulas():
    report = explain.shapes(ac.models.seed_cnn(), (1, 28, 28))
    assert report.ok and report.failed is None
    assert [s.out_shape for s in report.steps][::3] == [(8, 28, 28), (8, 14, 14),
                                                        (16, 14, 14), (10,)]
    assert report.steps[0].formula.endswith("H: 28 + 2·1 − 3 + 1 = 28")
    assert report.steps[3].formula.endswith("H: ⌊(28 + 2·0 − 2)/2⌋ + 1 = 14")
    assert report.steps[8].formula == "16·7·7 = 784"
    assert report.chain.startswith("28 → conv 3×3 pad 1 → 28 → pool 2 → 14")


def test_a_linear_that_does_not_fit_is_named_with_the_flatten_arithmetic_and_the_fix():
    report = explain.shapes(_broken(), (1, 28, 28))
    assert not report.ok
    assert report.failed == "4: Linear"
    assert report.reason == "Flatten gives 4·13·13 = 676, but Linear expects 100"
    assert report.fix == "nn.Linear(676, 10)"
    assert report.chain == ("28 → conv 3×3 → 26 → pool 2 → 13 → flatten → 676 ⇒ Flatten gives "
                            "4·13·13 = 676, but Linear expects 100")
    assert "fix: nn.Linear(676, 10)" in str(report)
    assert report.to_dict()["fix"] == "nn.Linear(676, 10)"


def test_the_error_sequential_raises_names_the_module_the_chain_and_the_fix():
    with pytest.raises(ValueError) as info:
        _broken()(ac.zeros(2, 1, 28, 28))
    message = str(info.value)
    assert message.startswith("4: Linear failed: linear: weight of shape [10, 100]")
    assert "Flatten gives 4·13·13 = 676, but Linear expects 100" in message
    assert "fix: nn.Linear(676, 10)" in message


def test_nested_sequentials_annotate_an_error_once():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), nn.Linear(5, 2))
    with pytest.raises(ValueError) as info:
        model(ac.zeros(1, 1, 5, 5))
    assert str(info.value).count("fix:") == 1
    assert "fix: nn.Linear(18, 2)" in str(info.value)


@pytest.mark.parametrize(("model", "shape", "failed", "fix"), [
    (nn.Sequential(nn.Conv2d(1, 8, 3), nn.Conv2d(4, 8, 3)), (1, 9, 9), "1: Conv2d",
     "nn.Conv2d(8, 8, kernel_size=3)"),
    (nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(6)), (1, 9, 9), "1: BatchNorm2d",
     "nn.BatchNorm2d(8)"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(3, 2)), (1, 6, 6), "1: Linear",
     "add nn.Flatten() before it, and make it nn.Linear(32, 2)"),
])
def test_other_mismatches_get_their_own_fix(model, shape, failed, fix):
    report = explain.shapes(model, shape)
    assert (report.ok, report.failed, report.fix) == (False, failed, fix)


def test_a_window_larger_than_its_input_is_explained():
    report = explain.shapes(ac.models.seed_cnn(image_size=4), (1, 2, 2))
    assert report.failed == "7: MaxPool2d"
    assert "1×1 input (padding 0) is smaller than the 2×2 window" in report.reason


def test_shapes_works_on_a_module_tree_that_is_not_sequential():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 3)
            self.head = nn.Linear(10, 2)

        def forward(self, x):
            return self.head(self.conv(x).flatten(1))

    report = explain.shapes(Net(), (1, 5, 5))
    assert report.failed == "head: Linear"
    assert report.steps[0].out_shape == (3, 3, 3)
    assert "its input has 27 features, but Linear expects 10" in report.reason
