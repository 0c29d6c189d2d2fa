"""report.html: the numbers it shows, one offline file, and the three ways to write it."""

from __future__ import annotations

import numpy as np
import pytest

import autocnn as ac
from autocnn import optim
from autocnn.data import ArrayDataset
from autocnn.models import build_model
from autocnn.report import contents, report_html
from autocnn.report.images import diverging, png_bytes
from tests.pages_html import check_page


def _tiny_run() -> tuple:
    ac.manual_seed(0)
    rng = np.random.default_rng(0)
    images = rng.random((40, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 5, size=40)
    data = ArrayDataset(images, labels, classes=("a", "b", "c", "d", "e"))
    model = build_model("seed", image_size=8, num_classes=5)
    return model, data


def test_parameter_counts_are_written_as_formulas() -> None:
    model = build_model("seed", image_size=12, num_classes=5)
    rows = {r["path"]: r for r in contents.parameter_rows(model)}
    assert rows["0"]["formula"] == "8·1·3·3 + 8 = 80"
    assert rows["4"]["formula"] == "16·8·3·3 + 16 = 1,168"
    assert rows["1"]["formula"] == "8 + 8 = 16"
    assert sum(r["count"] for r in rows.values()) == model.num_parameters()


def test_confusion_mistakes_and_per_class_accuracy() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.45, 0.55]])
    labels = np.array([0, 1, 1, 0, 0])
    counts = contents.confusion(labels, probs.argmax(1), 2)
    assert counts.tolist() == [[1, 2], [1, 1]]
    assert contents.per_class_accuracy(counts) == [1 / 3, 0.5]
    # the wrong ones, surest first: #3 (0.7), #2 (0.6), #4 (0.55)
    assert contents.most_confident_mistakes(probs, labels, k=2) == [3, 2]


def test_png_encoding_is_a_valid_png_of_the_right_size() -> None:
    rgb = diverging(np.array([[-1.0, 0.0, 2.0]]))
    assert rgb[0, 1].tolist() == [247, 247, 247]  # zero is white
    assert rgb[0, 2].tolist() == [178, 24, 43]  # the largest |value| is saturated red
    data = png_bytes(rgb)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 3 and int.from_bytes(data[20:24], "big") == 1
    with pytest.raises(ValueError, match="png_bytes: expected an"):
        png_bytes(np.zeros((2, 2), np.uint8))


def test_the_report_is_one_offline_page_with_every_section() -> None:
    model, data = _tiny_run()
    history = [{"epoch": 1, "train_loss": 1.1, "train_accuracy": 0.4, "test_loss": 1.0,
                "test_accuracy": 0.5}]
    state = {k: v.copy() for k, v in model.state_dict().items()}
    text = report_html(model, history, data, {"lr": 0.005})
    page = check_page(text)
    for key in ("settings", "curves", "parameters", "filters", "feature-maps", "confusion",
                "mistakes", "graph"):
        assert key in page.ids
    assert "8·1·3·3 + 8 = 80" in text
    assert page.tags.get("script", 0) == 0
    # drawing a training step leaves the model as it was (batch-norm running statistics)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
    with pytest.raises(TypeError, match="report: test_data must be"):
        report_html(model, history, object())


def test_fit_and_the_command_write_the_report(tmp_path, capsys) -> None:
    from autocnn.cli import main
    from autocnn.training import fit, save_model

    model, data = _tiny_run()
    opt = optim.Adam(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match="fit: 'report' needs 'test_data'"):
        fit(model, data, opt, epochs=1, progress=False, report=tmp_path / "r.html")
    history = fit(model, data, opt, epochs=1, test_data=data, batch_size=20, progress=False,
                  report=tmp_path / "fit.html")
    check_page((tmp_path / "fit.html").read_text())
    run = tmp_path / "run"
    run.mkdir()
    save_model(model, run / "model.npz", {
        "model": "seed", "in_channels": 1, "image_size": 8, "num_classes": 5,
        "dataset": "shapes", "dataset_options": {"n_train": 20, "n_test": 30,
                                                 "image_size": 8, "seed": 0}})
    history.to_json(run / "metrics.json")
    assert main(["report", str(run), "--no-graph"]) == 0
    text = (run / "report.html").read_text()
    check_page(text)
    assert "n_test=30" in text and "30 images" in text
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
