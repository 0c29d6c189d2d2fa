"""Checkpoints and resume: bit for bit, Ctrl-C, kill -9, refusals, keep=best, early stopping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import autocnn as ac
from autocnn import functional as F
from autocnn import nn, optim
from autocnn.data import DataLoader, load_shapes
from autocnn.data import transforms as T
from autocnn.models import build_model
from autocnn.optim import lr_scheduler
from autocnn.training import CheckpointError, fit, read_checkpoint

EPOCHS = 4


def _data():
    return load_shapes(n_train=96, n_test=40, image_size=8, classes=("hline", "vline", "x"))


def _run(folder: Path, resume: bool = False, interrupt_at: int | None = None,
         classes: int = 3, train=None, **kwargs):
    """A seeded run with dropout-free BN model, Adam, a scheduler and augmentation."""
    train_set, test_set = _data()
    train = train if train is not None else train_set
    ac.manual_seed(5)
    model = build_model("seed", in_channels=1, image_size=8, num_classes=classes)
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    loader = DataLoader(train, batch_size=16, shuffle=True, transform=T.parse_augment("shift:1"))
    calls = {"n": 0}

    def loss_fn(logits, labels):
        calls["n"] += 1
        if calls["n"] == interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)  # as a Ctrl-C in the middle of an epoch
        return F.cross_entropy(logits, labels)

    history = fit(model, loader, opt, epochs=EPOCHS, test_data=test_set, loss_fn=loss_fn,
                  progress=False, lr_schedule=sched, checkpoint_dir=folder, resume=resume,
                  **kwargs)
    return model, opt, history


def _metrics(history) -> list[tuple]:
    return [(r.epoch, r.train_loss, r.train_accuracy, r.test_loss, r.test_accuracy)
            for r in history.records]


def test_resuming_after_ctrl_c_gives_the_uninterrupted_run_bit_for_bit(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    whole_model, whole_opt, whole = _run(tmp_path / "whole")
    # 6 batches per epoch (+ 3 test batches of the evaluation): stop during epoch 2
    _, _, part = _run(tmp_path / "part", interrupt_at=8)
    assert part.stopped == "interrupted" and len(part) == 2  # epoch 2 was finished
    assert "resume with fit(..., checkpoint_dir=" in capsys.readouterr().out
    model, opt, resumed = _run(tmp_path / "part", resume=True)
    assert _metrics(resumed) == _metrics(whole)
    for key, value in whole_model.state_dict().items():
        assert np.array_equal(model.state_dict()[key], value), key
    a, b = whole_opt.state_dict(), opt.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for index, entry in a["state"].items():
        for key, value in entry.items():
            assert np.array_equal(b["state"][index][key], value)


def test_a_checkpoint_holds_model_optimizer_epoch_generator_and_history(tmp_path: Path) -> None:
    _run(tmp_path)
    saved = read_checkpoint(tmp_path / "last.npz")
    assert saved["meta"]["epoch"] == EPOCHS and len(saved["meta"]["history"]) == EPOCHS
    assert "0.weight" in saved["model"] and "state.0.exp_avg" in saved["optimizer"]
    assert saved["meta"]["generator"]["bit_generator"] == "PCG64"
    assert saved["meta"]["schedule"]["last_epoch"] == EPOCHS


def test_a_checkpoint_of_another_model_or_dataset_is_refused(tmp_path: Path) -> None:
    _run(tmp_path)
    with pytest.raises(CheckpointError, match=r"another model: '9\.weight' has shape "
                                              r"\[3, \d+\] there and \[4, \d+\] here"):
        _run(tmp_path, resume=True, classes=4)
    other, _ = load_shapes(n_train=96, n_test=40, image_size=8,
                           classes=("hline", "vline", "x"), seed=1)
    with pytest.raises(CheckpointError, match=r"another training set: 96 images of 1×8×8 "
                                              r"\(shapes8\) there, .*same size, other contents"):
        _run(tmp_path, resume=True, train=other)


def test_resuming_from_an_empty_or_missing_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError,
                       match=r"holds no checkpoint \(last\.npz\); the folder is empty"):
        _run(tmp_path / "empty", resume=True)
    with pytest.raises(CheckpointError, match="is not a folder"):
        _run(tmp_path / "missing", resume=True)


def test_keep_best_puts_back_the_weights_of_the_lowest_test_loss(tmp_path: Path) -> None:
    model, _, history = _run(tmp_path, keep="best")
    losses = history.column("test_loss")
    assert history.best_epoch == 1 + int(np.argmin(losses))
    best = read_checkpoint(tmp_path / "best.npz")
    assert best["meta"]["epoch"] == history.best_epoch
    for key, value in best["model"].items():
        assert np.array_equal(model.state_dict()[key], value)


def test_patience_stops_when_the_loss_no_longer_improves(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    train, test = _data()
    ac.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))  # no batch-norm statistics
    opt = optim.SGD(model.parameters(), lr=0.0)  # nothing changes: no epoch improves
    history = fit(model, train, opt, epochs=10, test_data=test, patience=2, batch_size=48)
    assert history.stopped == "early" and len(history) == 3 and history.best_epoch == 1
    assert "early stop: no better loss for 2 epochs since epoch 1" in capsys.readouterr().out
    with pytest.raises(ValueError, match="'patience' to be an int >= 1"):
        fit(model, train, opt, epochs=1, patience=0, progress=False)
    with pytest.raises(ValueError, match="unknown 'keep' 'first'; valid: 'last', 'best'"):
        fit(model, train, opt, epochs=1, keep="first", progress=False)


KILLER = textwrap.dedent("""
    import sys
    import numpy as np
    import autocnn as ac
    from autocnn import nn, optim
    from autocnn.training.checkpoint import save_checkpoint

    model = nn.Linear(1000, 1000)  # 4 MB of weights, 12 MB with Adam's moments
    opt = optim.Adam(model.parameters())
    i = 0
    while True:
        i += 1
        model.weight.data[...] = i
        save_checkpoint(sys.argv[1], model, opt, {"epoch": i})
        print(i, flush=True)
""")


def test_a_kill_during_a_save_leaves_the_last_good_checkpoint_readable(tmp_path: Path) -> None:
    path = tmp_path / "last.npz"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for delay in (0.05, 0.13, 0.21):
        child = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], env=env,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "1"  # one save is complete
            time.sleep(delay)  # most of the loop's time is spent inside a save
        finally:
            child.kill()  # SIGKILL: no clean-up, no finally blocks in the child
            child.wait()
        saved = read_checkpoint(path)
        epoch = saved["meta"]["epoch"]
        assert epoch >= 1 and np.all(saved["model"]["weight"] == epoch)
