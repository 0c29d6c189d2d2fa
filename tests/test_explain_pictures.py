"""The pictures of autocnn.explain and autocnn.viz.plots: every function writes a PNG, grids
leave no lone panel, every signed panel shares one symmetric scale with a colourbar; and
the `autocnn explain` command."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import autocnn as ac
from autocnn import explain
from autocnn.viz.plots import grid_shape, signed_limit

PNG = b"\x89PNG\r\n\x1a\n"


def _model_and_image():
    model = ac.models.seed_cnn(image_size=8)
    return model, np.random.default_rng(0).random((1, 8, 8)).astype(np.float32)


@pytest.mark.parametrize("n", range(1, 65))
def test_grids_hold_every_panel_and_never_leave_one_alone_in_a_row(n):
    rows, cols = grid_shape(n)
    assert rows * cols >= n and (rows - 1) * cols < n
    last = n - (rows - 1) * cols
    assert cols <= 8 and (rows == 1 or last >= 2)


def test_the_signed_scale_is_symmetric_around_zero_and_never_empty():
    assert signed_limit(np.array([-3.0, 1.0]), np.array([2.0])) == 3.0
    assert signed_limit(np.zeros(4)) == 1.0


@pytest.fixture
def capture_figures(monkeypatch):
    """The figures the picture functions save, kept open for inspection."""
    pytest.importorskip("matplotlib")
    import autocnn.viz.plots as plots

    figures = []
    real = plots.save_figure

    def keep(fig, path, dpi=110):
        figures.append([(im.get_clim(), im.get_cmap().name) for ax in fig.axes
                        for im in ax.get_images()] + [len(fig.axes)])
        return real(fig, path, dpi)

    monkeypatch.setattr(plots, "save_figure", keep)
    import autocnn.explain.pictures as pictures

    monkeypatch.setattr(pictures, "save_figure", keep)
    return figures


def test_every_picture_function_writes_a_png(tmp_path, capture_figures):
    model, img = _model_and_image()
    paths = [
        explain.plot_activations(model, img, tmp_path / "a9.png", layer="9"),
        explain.plot_saliency(model, img, tmp_path / "s.png"),
        explain.plot_grad_cam(model, img, tmp_path / "g.png", layer="4"),
        explain.plot_explain_output(model, img, tmp_path / "c.png", "4", (1, 2, 2)),
        explain.plot_explain_output(model, img, tmp_path / "l.png", "9", 3),
        explain.plot_explain_output(model, img, tmp_path / "p.png", "3", (1, 2, 2)),
        explain.plot_explain_output(model, img, tmp_path / "b.png", "1", (1, 2, 2)),
    ]
    for p in paths:
        assert p.read_bytes().startswith(PNG), p


def test_signed_panels_share_one_symmetric_scale_beside_a_grey_image(tmp_path,
                                                                     capture_figures):
    model, img = _model_and_image()
    paths = [explain.plot_activations(model, img, tmp_path / "a.png", layer="0"),
             ac.training.plot_feature_maps(model, img, tmp_path / "m.png", title="x"),
             ac.training.plot_filters(model, tmp_path / "f.png")]
    assert all(p.read_bytes().startswith(PNG) for p in paths)
    for images in capture_figures:
        axes = images.pop()
        signed = {clim for clim, cmap in images if cmap == "RdBu_r"}
        assert len(signed) == 1                     # one scale for the whole figure
        (low, high), = signed
        assert high == -low > 0                     # zero-centred
        assert all(cmap in ("RdBu_r", "gray") for _, cmap in images)
        assert axes == len(images) + 1              # the panels and one colourbar


def test_bad_layer_in_a_picture_lists_the_layers(tmp_path):
    model, img = _model_and_image()
    with pytest.raises(ValueError, match="its layers are"):
        explain.plot_activations(model, img, tmp_path / "a.png", layer="99")


def test_autocnn_explain_prints_the_top_three_and_writes_the_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from autocnn.cli import main

    run = tmp_path / "run"
    assert main(["train", "--train-size", "200", "--image-size", "8", "--epochs", "1",
                 "--batch-size", "50", "--out", str(run), "--no-plots", "--no-graph"]) == 0
    capsys.readouterr()
    out = tmp_path / "pics"
    code = main(["explain", "--model", str(run / "model.npz"), "--index", "3",
                 "--out", str(out), "--html"])
    captured = capsys.readouterr()
    assert "top 3" in captured.out and captured.out.count("%") >= 3
    assert "predicts" in captured.out
    for name in ("activations", "saliency", "grad_cam", "explain_output"):
        assert (out / f"{name}.png").read_bytes().startswith(PNG)
    if importlib.util.find_spec("autocnn.explain.page") is None:
        assert code == 1 and "not part of this version" in captured.err
    else:
        assert code == 0 and (out / "explain.html").is_file()
    assert main(["explain", "--model", str(run / "model.npz"), "--layer", "x"]) == 2
    assert "its layers are: 0 (Conv2d)" in capsys.readouterr().err
