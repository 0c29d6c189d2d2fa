"""The training loop: metrics, the progress bar, fit/evaluate, the schedule and model files."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import autocnn as ac
from autocnn import functional as F
from autocnn import nn, optim
from autocnn.data import ArrayDataset, load_shapes
from autocnn.models import build_model
from autocnn.training import (
    EpochRecord,
    History,
    ProgressBar,
    accuracy,
    confusion_matrix,
    cosine_lr,
    evaluate,
    fit,
    limit_blas_threads,
    load_model,
    predict,
    read_metadata,
    save_model,
    train_epoch,
)


def _tiny_shapes() -> tuple[ArrayDataset, ArrayDataset]:
    return load_shapes(n_train=300, n_test=100, image_size=8, classes=("hline", "vline"))


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


# ---------------------------------------------------------------------- metrics
def test_accuracy_counts_rows_whose_largest_logit_is_the_label() -> None:
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 3.0, 2.0], [0.0, 1.0, 0.0]])
    assert accuracy(logits, np.array([0, 2, 0, 1])) == 0.75
    assert accuracy(ac.tensor(logits), ac.tensor(np.array([1, 1, 1, 0]))) == 0.25


def test_accuracy_names_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"accuracy: .* shapes \[2, 3\] and \[3\]"):
        accuracy(np.zeros((2, 3)), np.zeros(3, dtype=int))


def test_confusion_matrix_matches_a_count_by_hand() -> None:
    labels = np.array([0, 0, 1, 2, 2, 2])
    predictions = np.array([0, 1, 1, 2, 0, 2])
    expected = np.zeros((3, 3), dtype=int)
    for t, p in zip(labels, predictions):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(labels, predictions, 3), expected)


def test_cosine_schedule_starts_full_halves_midway_and_ends_small() -> None:
    assert cosine_lr(0.1, 1, 10) == 0.1
    assert math.isclose(cosine_lr(0.1, 6, 10), 0.05)
    assert 0 < cosine_lr(0.1, 10, 10) < 0.1 * 0.03


# ------------------------------------------------------------------- progress bar
def test_progress_bar_off_a_terminal_writes_only_the_final_line() -> None:
    stream = io.StringIO()
    bar = ProgressBar(4, "epoch 1/1", stream)
    for _ in range(4):
        bar.update(1, loss=0.5, acc=0.75)
    bar.close(**{"img/s": 1234.0})
    assert stream.getvalue() == (
        "epoch 1/1 [########################] 4/4 loss 0.5000 acc 75.0% img/s 1,234\n"
    )


def test_progress_bar_on_a_terminal_redraws_in_place() -> None:
    stream = _TTY()
    bar = ProgressBar(2, "", stream, width=4, min_interval=0.0)
    bar.update(1, loss=1.0)
    bar.update(1, loss=0.5)
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\r[##--] 1/2 loss 1.0000\r[####] 2/2 loss 0.5000")
    assert text.endswith("\n") and text.count("\n") == 1


def test_progress_bar_cuts_live_lines_to_the_terminal_width(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: os.terminal_size((30, 5)))
    stream = _TTY()
    bar = ProgressBar(1, "epoch 1/1", stream, width=10, min_interval=0.0)
    bar.update(1, loss=0.25, acc=0.5)
    bar.close()
    live, final = stream.getvalue().split("\r\033[K")
    assert live == "\r" + "epoch 1/1 [##########] 1/1 loss 0.2500 acc 50.0%"[:29]
    assert final == "epoch 1/1 [##########] 1/1 loss 0.2500 acc 50.0%\n"


# -------------------------------------------------------------------- the loop
def test_evaluate_matches_a_direct_computation_and_restores_the_mode() -> None:
    _, test = _tiny_shapes()
    model = build_model("seed", 1, 8, 2)
    model.train()
    result = evaluate(model, test, batch_size=32)
    assert model.training
    model.eval()
    with ac.no_grad():
        logits = model(ac.tensor(test.images))
        loss = F.cross_entropy(logits, test.labels).item()
    assert math.isclose(result["loss"], loss, rel_tol=1e-5)
    assert result["accuracy"] == accuracy(logits, test.labels)
    assert result["count"] == len(test)


def test_evaluate_records_no_graph() -> None:
    _, test = _tiny_shapes()
    model = build_model("lenet", 1, 8, 2)
    outputs = []

    class Spy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, x: ac.Tensor) -> ac.Tensor:
            out = self.inner(x)
            outputs.append(out)
            return out

    evaluate(Spy(), test)
    assert outputs and all(o.grad_fn is None and not o.requires_grad for o in outputs)


def test_predict_gives_the_logits_of_every_image_in_order() -> None:
    _, test = _tiny_shapes()
    model = build_model("lenet", 1, 8, 2).eval()
    with ac.no_grad():
        expected = model(ac.tensor(test.images)).data
    np.testing.assert_allclose(predict(model, test.images, batch_size=7), expected, rtol=1e-5,
                               atol=1e-6)


def test_fit_learns_a_separable_task_and_records_every_epoch() -> None:
    train, test = _tiny_shapes()
    model = build_model("seed", 1, 8, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    stream = io.StringIO()
    history = fit(model, train, opt, epochs=3, test_data=test, batch_size=32, stream=stream)
    assert history.column("epoch") == [1, 2, 3]
    assert history[-1].train_loss < history[0].train_loss
    assert history[-1].test_accuracy >= 0.95
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3 [") and "test_acc" in lines[0]


def test_fit_with_the_same_seed_is_repeatable() -> None:
    def run() -> list[float]:
        ac.manual_seed(3)
        train, _ = _tiny_shapes()
        model = build_model("lenet", 1, 8, 2)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return fit(model, train, opt, epochs=2, progress=False).column("train_loss")

    assert run() == run()


def test_fit_with_cosine_schedule_sets_each_epochs_rate() -> None:
    train, _ = _tiny_shapes()
    model = build_model("lenet", 1, 8, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    seen = []
    fit(model, train, opt, epochs=4, progress=False, lr_schedule="cosine",
        on_epoch=lambda record: seen.append(opt.param_groups[0]["lr"]))
    assert seen == [cosine_lr(0.1, e, 4) for e in range(1, 5)]


def test_train_epoch_stops_with_a_clear_error_when_the_loss_diverges() -> None:
    train, _ = _tiny_shapes()
    model = build_model("lenet", 1, 8, 2)
    opt = optim.SGD(model.parameters(), lr=1e38)
    with (
        pytest.raises(FloatingPointError, match="lower the learning rate"),
        np.errstate(all="ignore"),
    ):
        train_epoch(model, ac.data.DataLoader(train, 16), opt)


def test_a_diverging_step_raises_the_error_without_numpy_warnings() -> None:
    train, _ = _tiny_shapes()
    model = build_model("lenet", 1, 8, 2)
    opt = optim.SGD(model.parameters(), lr=1e38)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would raise instead of the check
        with pytest.raises(FloatingPointError, match="lower the learning rate"):
            train_epoch(model, ac.data.DataLoader(train, 16), opt)


def test_fit_refuses_weights_spoilt_by_the_last_step_without_warnings() -> None:
    # one batch per epoch: its loss is finite, but the step leaves overflowing weights
    train, test = _tiny_shapes()
    model = build_model("lenet", 1, 8, 2)
    opt = optim.SGD(model.parameters(), lr=1e38)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match="fit: the test loss became"):
            fit(model, train, opt, epochs=1, test_data=test, batch_size=len(train),
                progress=False)


def test_fit_rejects_a_bad_epoch_count_and_schedule() -> None:
    train, _ = _tiny_shapes()
    model = build_model("lenet", 1, 8, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="'epochs' to be an int >= 1, got 0"):
        fit(model, train, opt, epochs=0)
    with pytest.raises(ValueError, match="unknown 'lr_schedule' 'step'"):
        fit(model, train, opt, epochs=1, lr_schedule="step")


# ------------------------------------------------------------------- history files
def test_history_writes_csv_and_json_that_read_back(tmp_path: Path) -> None:
    history = History([EpochRecord(1, 0.5, 0.8, 0.4, 0.85, 1.5, 2000.0),
                       EpochRecord(2, 0.25, 0.9, 0.3, 0.9, 1.25, 2400.0)])
    folder = tmp_path
    rows = list(csv.DictReader(history.to_csv(folder / "m.csv").open()))
    assert [float(r["train_loss"]) for r in rows] == [0.5, 0.25]
    assert rows[1]["epoch"] == "2"
    data = json.loads(history.to_json(folder / "m.json", dataset="shapes").read_text())
    assert data["dataset"] == "shapes" and data["epochs"][0]["test_accuracy"] == 0.85


# -------------------------------------------------------------------- model files
def test_saved_model_reloads_with_the_same_predictions(tmp_path: Path) -> None:
    train, test = _tiny_shapes()
    model = build_model("seed", 1, 8, 2)
    fit(model, train, optim.Adam(model.parameters(), lr=0.01), epochs=1, progress=False)
    meta = {"model": "seed", "in_channels": 1, "image_size": 8, "num_classes": 2,
            "dataset": "shapes"}
    save_model(model, tmp_path / "m.npz", meta)
    assert read_metadata(tmp_path / "m.npz") == meta
    again, got_meta = load_model(tmp_path / "m.npz")
    assert got_meta == meta and not again.training
    np.testing.assert_array_equal(predict(again, test.images), predict(model, test.images))


def test_weights_of_another_architecture_are_refused(tmp_path: Path) -> None:
    model = build_model("lenet", 1, 8, 2)
    save_model(model, tmp_path / "m.npz", {"model": "seed", "in_channels": 1, "image_size": 8,
                                           "num_classes": 2})
    with pytest.raises(nn.StateDictError):
        load_model(tmp_path / "m.npz")


def test_missing_or_broken_metadata_is_named(tmp_path: Path) -> None:
    model = build_model("lenet", 1, 8, 2)
    ac.save(model.state_dict(), tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError, match=r"m\.json"):
        load_model(tmp_path / "m.npz")
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(tmp_path / "m.npz")
    (tmp_path / "m.json").write_text('{"model": "lenet"}')
    with pytest.raises(ValueError, match="in_channels"):
        load_model(tmp_path / "m.npz")


# --------------------------------------------------------------------------- plots
def test_plots_are_written_as_png_images(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from autocnn.training import plot_feature_maps, plot_filters, plot_history

    train, test = _tiny_shapes()
    model = build_model("seed", 1, 8, 2)
    history = fit(model, train, optim.Adam(model.parameters(), lr=0.01), epochs=1,
                  progress=False, test_data=test)
    for path in (plot_history(history, tmp_path / "c.png"),
                 plot_filters(model, tmp_path / "f.png"),
                 plot_feature_maps(model, test.images[0], tmp_path / "m.png", title="x")):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plotting_filters_of_a_model_without_convolution_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from autocnn.training import plot_filters

    with pytest.raises(ValueError, match="no Conv2d"):
        plot_filters(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), tmp_path / "f.png")


# --------------------------------------------------------------------------- threads
def test_limiting_blas_threads_keeps_matmul_results() -> None:
    a = np.random.default_rng(0).standard_normal((200, 300))
    before = a @ a.T
    result = limit_blas_threads(1)
    assert set(result) == {"applied", "library", "reason", "previous"}
    try:
        np.testing.assert_allclose(a @ a.T, before, rtol=1e-12, atol=1e-10)
    finally:
        if result["previous"]:
            limit_blas_threads(result["previous"])


def test_limiting_blas_threads_reports_the_previous_count_to_restore_it() -> None:
    first = limit_blas_threads(1)
    if not first["applied"]:
        pytest.skip(f"no OpenBLAS thread control here: {first['reason']}")
    second = limit_blas_threads(first["previous"] or 1)
    assert second["previous"] == 1
