"""``fit(..., live=True)`` in and out of a notebook, and the learning-rate range test."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autocnn as ac
from autocnn import optim
from autocnn.data import load_shapes
from autocnn.models import build_model
from autocnn.training import fit, live
from autocnn.training.lr_find import lr_find, suggest_lr


def _setup():
    train, test = load_shapes(n_train=60, n_test=20, image_size=8, classes=("hline", "vline"))
    ac.manual_seed(0)
    model = build_model("seed", in_channels=1, image_size=8, num_classes=2)
    return model, optim.Adam(model.parameters(), lr=0.01), train, test


def test_live_view_outside_a_notebook_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not live.in_notebook()
    monkeypatch.setattr(live.LiveView, "render", lambda self: pytest.fail("drew a figure"))
    model, opt, train, test = _setup()
    fit(model, train, opt, epochs=1, test_data=test, batch_size=10, progress=False, live=True,
        live_every=2)


class _Handle:
    def __init__(self) -> None:
        self.updates = 0

    def update(self, obj) -> None:
        assert obj.data[:4] == b"\x89PNG"
        self.updates += 1


def test_live_view_in_a_notebook_updates_one_figure_in_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("IPython")
    shown: list = []
    handle = _Handle()
    monkeypatch.setattr(live, "in_notebook", lambda: True)
    monkeypatch.setattr(live, "_display", lambda obj: shown.append(obj) or handle)
    model, opt, train, test = _setup()
    views: list = []
    original = live.LiveView.__init__

    def spy(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        views.append(self)

    monkeypatch.setattr(live.LiveView, "__init__", spy)
    fit(model, train, opt, epochs=2, test_data=test, batch_size=10, progress=False, live=True,
        live_every=4)
    assert len(shown) == 1  # one figure, displayed once ...
    assert handle.updates == 12 // 4 + 2 - 1  # ... then redrawn every 4 steps and each epoch
    view = views[0]
    assert len(view.losses) == 12 and view.epochs[-1][0] == 12
    ratios = view.ratios["0.weight"]
    assert ratios and all(-8 < r < 1 for _, r in ratios)  # log10 update:data, measured


def test_lr_find_leaves_model_optimizer_and_generator_as_they_were() -> None:
    model, opt, train, _ = _setup()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    state = ac.random.generator().bit_generator.state
    result = lr_find(model, train, opt, num_iter=30, batch_size=10)
    assert len(result.lrs) == len(result.losses) <= 30
    np.testing.assert_allclose(result.lrs[:2], [1e-6, 1e-6 * 1e6 ** (1 / 29)])
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in before.items())
    assert opt.state == {} and opt.param_groups[0]["lr"] == 0.01
    assert ac.random.generator().bit_generator.state == state


def test_the_suggestion_is_the_steepest_fall_before_the_minimum() -> None:
    lrs = list(np.logspace(-5, 0, 50))
    loss = [2.0 - np.tanh(4 * (np.log10(lr) + 2.5)) for lr in lrs]  # steepest at 10^-2.5
    loss[-5:] = [5, 6, 7, 8, 9]
    assert suggest_lr(lrs, loss) == pytest.approx(10 ** -2.5, rel=0.15)
    assert np.isnan(suggest_lr(lrs[:4], loss[:4]))
    with pytest.raises(ValueError, match="lr_find: expected 0 < 'start_lr' < 'end_lr'"):
        lr_find(*_setup()[:1], None, None, start_lr=1.0, end_lr=0.5)


def test_importing_training_does_not_import_ipython_or_matplotlib() -> None:
    import subprocess

    code = ("import sys, autocnn.training; print('IPython' in sys.modules, "
            "'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]
