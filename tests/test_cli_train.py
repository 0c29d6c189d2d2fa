"""``autocnn train`` and ``autocnn evaluate``: outputs, reloading, and user errors."""

from __future__ import annotations

import csv
import importlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autocnn as ac
from autocnn.cli import main

SMALL = ["--train-size", "200", "--image-size", "8", "--epochs", "1", "--batch-size", "50"]


@pytest.fixture(autouse=True, scope="module")
def _keep_process_settings() -> Iterator[None]:
    """`autocnn train` tunes the process (one OpenBLAS thread, glibc's malloc thresholds).

    Here it runs inside the test process, so the malloc tuning is left out (it cannot be
    undone and would change what memory tests measure) and the BLAS threads are restored.
    """
    from autocnn.training import limit_blas_threads

    previous = limit_blas_threads(1)["previous"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ac.perf, "tune_allocator", lambda *args, **kwargs: {"applied": False})
        yield
    if previous:
        limit_blas_threads(previous)


def _train(out: Path, *extra: str) -> int:
    return main(["train", *SMALL, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small run shared by the tests that only read its outputs (with plots and graph)."""
    out = tmp_path_factory.mktemp("run")
    ac.manual_seed(0)
    assert _train(out, "--epochs", "2") == 0
    return out


def test_a_run_writes_model_metrics_graph_and_plots(trained: Path) -> None:
    names = {p.name for p in trained.iterdir()}
    assert {"model.npz", "model.json", "metrics.csv", "metrics.json"} <= names
    assert "graph.svg" in names or "graph.dot" in names
    if importlib.util.find_spec("matplotlib"):
        assert {"curves.png", "filters.png", "feature_maps.png"} <= names
    assert not [n for n in names if n.endswith(".tmp")]


def test_metrics_have_one_row_per_epoch(trained: Path) -> None:
    rows = list(csv.DictReader((trained / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    data = json.loads((trained / "metrics.json").read_text())
    assert len(data["epochs"]) == 2 and data["dataset"] == "shapes"
    assert data["test_accuracy"] == pytest.approx(float(rows[-1]["test_accuracy"]))


def test_metadata_names_what_the_weights_belong_to(trained: Path) -> None:
    meta = json.loads((trained / "model.json").read_text())
    assert meta["model"] == "seed" and meta["dataset"] == "shapes"
    assert (meta["in_channels"], meta["image_size"], meta["num_classes"]) == (1, 8, 5)
    assert meta["classes"] == ["x", "o", "plus", "hline", "vline"]
    assert set(ac.load(trained / "model.npz")) >= {"0.weight", "1.running_mean", "9.bias"}


def test_evaluate_reports_the_accuracy_train_reported(trained: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    meta = json.loads((trained / "model.json").read_text())
    assert main(["evaluate", "--model", str(trained / "model.npz")]) == 0
    out = capsys.readouterr().out
    assert f"accuracy {100 * meta['test_accuracy']:.2f}%" in out
    assert "plus" in out and "vline" in out


def test_the_graph_is_a_picture_of_the_loss(trained: Path) -> None:
    graph = next(p for p in trained.iterdir() if p.name.startswith("graph."))
    text = graph.read_text()
    assert "digraph" in text or "<svg" in text
    assert "0.weight" in text or "conv" in text.lower()


def test_without_graphviz_the_graph_is_written_as_dot_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    # the module, not the function `autocnn.viz.render` that shadows its name
    render_module = importlib.import_module("autocnn.viz.render")
    monkeypatch.setattr(render_module, "dot_available", lambda: False)
    assert _train(tmp_path, "--no-plots") == 0
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "graph.svg").exists()
    err = capsys.readouterr().err  # the command names the file where it ends up
    assert f"dot -Tsvg {tmp_path / 'graph.dot'} -o {tmp_path / 'graph.svg'}" in err
    assert "<svg" not in (tmp_path / "report.html").read_text().split('id="graph"')[1]


@pytest.mark.parametrize(("argv", "words"), [
    (["train", "--dataset", "cifar"], "unknown dataset 'cifar'; valid datasets are shapes, "
                                      "digits, mnist, fashion-mnist"),
    (["train", "--model", "vgg"], "valid models are seed, lenet"),
    (["train", "--optimizer", "rmsprop"], "valid optimizers are adam, sgd"),
    (["train", "--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["train", "--lr", "-1"], "--lr must be positive"),
    (["train", "--image-size", "40"], "between 6 and 28, got 40"),
    (["train", "--dataset", "mnist", "--data-dir", "/no/such/folder"], "does not exist"),
    (["evaluate", "--model", "/no/such/model.npz"], "no such model file"),
])
def test_user_errors_give_one_line_and_exit_code_2(argv: list[str], words: str,
                                                   capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_corrupt_mnist_file_is_a_user_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    from autocnn.data.mnist import FILES

    for stem in FILES:
        (tmp_path / stem).write_bytes(b"\x00\x00\x08\x03\x00")
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 2
    assert "truncated" in capsys.readouterr().err


def test_a_failed_run_leaves_earlier_outputs_untouched(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.npz").write_bytes(b"earlier model")
    (out / "notes.txt").write_text("mine")
    # a user error before training
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "x"),
                 "--out", str(out)]) == 2
    # a crash while writing the outputs (after the model file was staged)
    from autocnn.commands import train as train_command

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(train_command, "_write_graph", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _train(out, "--no-plots")
    assert (out / "model.npz").read_bytes() == b"earlier model"
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_a_successful_run_keeps_files_it_does_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert _train(out, "--no-plots", "--no-graph") == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "model.npz").is_file()


def test_a_successful_run_removes_outputs_of_an_earlier_run_it_did_not_write(
        tmp_path: Path) -> None:
    from autocnn.commands.train import OUTPUT_FILES

    out = tmp_path / "out"
    out.mkdir()
    earlier = ["graph.svg", "graph.dot", "curves.png", "filters.png", "feature_maps.png"]
    for name in earlier:
        (out / name).write_bytes(b"from an earlier run")
    mine = ["notes.txt", "my-curves.png", "graph.svg.bak"]
    for name in mine:
        (out / name).write_text("mine")
    assert _train(out, "--no-plots", "--no-graph") == 0
    written = ["metrics.csv", "metrics.json", "model.json", "model.npz", "report.html"]
    # checkpoints/ is the run's checkpoint folder (kept: `autocnn train --resume` reads it)
    assert sorted(p.name for p in out.iterdir()) == sorted([*mine, *written, "checkpoints"])
    assert set(written) <= set(OUTPUT_FILES)


def test_the_list_of_outputs_names_every_file_a_full_run_writes(trained: Path) -> None:
    from autocnn.commands.train import OUTPUT_FILES

    # checkpoints/ is not an output a later run replaces: --resume reads it
    assert {p.name for p in trained.iterdir()} - {"checkpoints"} <= set(OUTPUT_FILES)


def test_a_failed_training_keeps_the_outputs_of_an_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "curves.png").write_bytes(b"from an earlier run")
    assert _train(out, "--no-plots", "--no-graph", "--lr", "1e12") == 2
    assert [p.name for p in out.iterdir()] == ["curves.png"]


def test_a_diverging_run_prints_only_the_error_line(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONWARNINGS", None)
    result = subprocess.run(
        [sys.executable, "-m", "autocnn", "train", *SMALL, "--lr", "1e12", "--no-plots",
         "--no-graph", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("autocnn train: error: ") and "lower the learning rate" in lines[0]
    assert not (tmp_path / "out").exists()


def test_weights_that_do_not_match_the_model_are_refused(trained: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    state = ac.load(trained / "model.npz")
    state["0.weight"] = np.zeros((3, 1, 3, 3), dtype=np.float32)
    ac.save(state, tmp_path / "model.npz")
    (tmp_path / "model.json").write_text((trained / "model.json").read_text())
    assert main(["evaluate", "--model", str(tmp_path / "model.npz")]) == 2
    err = capsys.readouterr().err
    assert "do not match" in err and "0.weight" in err


def test_a_model_without_its_metadata_is_refused(trained: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "m.npz").write_bytes((trained / "model.npz").read_bytes())
    assert main(["evaluate", "--model", str(tmp_path / "m.npz")]) == 2
    assert "m.json" in capsys.readouterr().err


def test_a_model_for_another_dataset_is_refused(trained: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("sklearn")
    assert main(["evaluate", "--model", str(trained / "model.npz"), "--dataset", "digits"]) == 2
    assert "has 5 classes, the digits dataset 10" in capsys.readouterr().err


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "autocnn", "train", "--model", "resnet"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr == ("autocnn train: error: unknown model 'resnet'; valid models are "
                             "seed, lenet, vgg_small, resnet_small\n")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_the_default_run_reaches_99_percent_on_shapes(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    assert main(["train", "--out", str(tmp_path), "--no-plots", "--no-graph"]) == 0
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["test_accuracy"] >= 0.99
    assert "test accuracy" in capsys.readouterr().out


def test_mnist_from_a_local_folder_trains_and_evaluates(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    from autocnn.data import write_idx
    from autocnn.data.mnist import FILES

    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for stem, n in ((FILES[0], 40), (FILES[2], 20)):
        write_idx(folder / stem, rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
    for stem, n in ((FILES[1], 40), (FILES[3], 20)):
        write_idx(folder / (stem + ".gz"), (np.arange(n) % 10).astype(np.uint8))
    out = tmp_path / "out"
    assert main(["train", "--dataset", "mnist", "--model", "lenet", "--data-dir", str(folder),
                 "--epochs", "1", "--out", str(out), "--no-plots", "--no-graph"]) == 0
    meta = json.loads((out / "model.json").read_text())
    assert (meta["dataset"], meta["image_size"], meta["num_classes"]) == ("mnist", 28, 10)
    capsys.readouterr()
    # evaluate finds the data again through the folder recorded in model.json
    assert main(["evaluate", "--model", str(out / "model.npz")]) == 0
    assert "dataset  mnist: 20 test images" in capsys.readouterr().out


def _serve_tiny_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file:// mirror of tiny MNIST .gz files, set as MNIST's source with their MD5s."""
    from autocnn.data import write_idx
    from autocnn.data.mnist import FILES, SOURCES, md5sum

    served = tmp_path / "mirror"
    served.mkdir()
    rng = np.random.default_rng(1)
    sizes = {FILES[0]: (30, 28, 28), FILES[1]: (30,), FILES[2]: (10, 28, 28), FILES[3]: (10,)}
    for stem, shape in sizes.items():
        high = 256 if len(shape) > 1 else 10
        write_idx(served / (stem + ".gz"), rng.integers(0, high, shape).astype(np.uint8))
    source = SOURCES["mnist"]
    md5 = {stem + ".gz": md5sum(served / (stem + ".gz")) for stem in FILES}
    monkeypatch.setitem(SOURCES, "mnist", type(source)(source.name, (served.as_uri(),), md5,
                                                       source.classes))
    return served


def test_download_fetches_mnist_once_then_trains(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    _serve_tiny_mnist(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUTOCNN_DATA", str(cache))
    argv = ["train", "--dataset", "mnist", "--model", "lenet", "--epochs", "1",
            "--out", str(tmp_path / "out"), "--no-plots", "--no-graph"]
    assert main(argv) == 2                                  # not there, and not asked to fetch
    assert "--download" in capsys.readouterr().err
    assert main([*argv, "--download"]) == 0
    assert "downloading" in capsys.readouterr().err
    assert len(list((cache / "mnist").glob("*.gz"))) == 4
    assert main(argv) == 0                                  # now it is in the cache
    assert "downloading" not in capsys.readouterr().err


def test_a_wrong_checksum_stops_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture) -> None:
    from autocnn.data.mnist import FILES, SOURCES

    _serve_tiny_mnist(tmp_path, monkeypatch)
    monkeypatch.setitem(SOURCES["mnist"].md5, FILES[2] + ".gz", "f" * 32)
    folder = tmp_path / "data"
    assert main(["train", "--dataset", "mnist", "--download", "--data-dir", str(folder),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "checksum mismatch" in err[-1] and err[-1].startswith("autocnn train: error:")
    assert not (folder / (FILES[2] + ".gz")).exists()
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ the docs
DOCS = Path(__file__).parent.parent / "docs"


def test_the_docs_index_calls_the_exercise_scripts_solutions_as_their_page_does() -> None:
    # examples/exercises/ holds worked solutions (docs/exercises.md); the index must not
    # present them as starting points to fill in
    row = next(line for line in (DOCS / "index.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `exercises/`"))
    assert "solution" in row and "starting point" not in row
    assert "worked solution" in (DOCS / "exercises.md").read_text(encoding="utf-8").lower()


def test_the_cli_page_lists_every_output_the_command_may_remove() -> None:
    from autocnn.commands.train import OUTPUT_FILES

    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert "is removed" in page
    for name in OUTPUT_FILES:
        assert f"`{name}`" in page, name
