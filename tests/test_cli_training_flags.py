"""``autocnn train --resume/--augment/--schedule/--patience/--keep`` and ``autocnn lr-find``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autocnn as ac
from autocnn.cli import main

SMALL = ["--train-size", "200", "--image-size", "8", "--batch-size", "50", "--no-plots",
         "--no-graph"]


@pytest.fixture(autouse=True)
def _keep_process_settings() -> Iterator[None]:
    """As in test_cli_train.py: no malloc tuning inside the test process; BLAS restored."""
    from autocnn.perf import limit_blas_threads

    previous = limit_blas_threads(1)["previous"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ac.perf, "tune_allocator", lambda *args, **kwargs: {"applied": False})
        yield
    if previous:
        limit_blas_threads(previous)


def _rows(out: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("seconds", "images_per_second")}
            for r in json.loads((out / "metrics.json").read_text())["epochs"]]


def test_resume_extends_a_run_to_what_one_longer_run_gives(tmp_path: Path) -> None:
    flags = [*SMALL, "--schedule", "constant", "--augment", "shift:1,flip"]
    assert main(["train", *flags, "--epochs", "3", "--out", str(tmp_path / "whole")]) == 0
    assert main(["train", *flags, "--epochs", "1", "--out", str(tmp_path / "part")]) == 0
    saved = json.loads((tmp_path / "part" / "checkpoints" / "run.json").read_text())
    assert saved["augment"] == "shift:1,flip" and saved["epochs"] == 1
    assert main(["train", "--resume", str(tmp_path / "part" / "checkpoints"),
                 "--epochs", "3"]) == 0
    assert _rows(tmp_path / "part") == _rows(tmp_path / "whole")
    a = ac.load(tmp_path / "whole" / "model.npz")
    b = ac.load(tmp_path / "part" / "model.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("schedule", ["step", "onecycle", "warmup"])
def test_every_schedule_name_trains(schedule: str, tmp_path: Path) -> None:
    assert main(["train", *SMALL, "--epochs", "2", "--schedule", schedule,
                 "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "model.json").read_text())["schedule"] == schedule


def test_keep_best_writes_the_best_epochs_model(tmp_path: Path) -> None:
    assert main(["train", *SMALL, "--epochs", "3", "--keep", "best", "--lr", "0.05",
                 "--out", str(tmp_path)]) == 0
    meta = json.loads((tmp_path / "model.json").read_text())
    best = ac.training.read_checkpoint(tmp_path / "checkpoints" / "best.npz")
    assert best["meta"]["epoch"] == meta["best_epoch"]
    weights = ac.load(tmp_path / "model.npz")
    assert all(np.array_equal(weights[k], v) for k, v in best["model"].items())


@pytest.mark.parametrize(("argv", "words"), [
    (["--augment", "shift:2,rotate"], "--augment: unknown augmentation 'rotate'; valid ones "
                                      "are: shift:N"),
    (["--schedule", "exponential"], "--schedule: unknown schedule 'exponential'; valid "
                                    "schedules are constant, cosine, step, onecycle, warmup"),
    (["--patience", "0"], "--patience must be at least 1, got 0"),
])
def test_bad_flags_name_the_valid_choices(argv: list[str], words: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    assert main(["train", *SMALL, "--epochs", "1", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_resume_of_an_empty_or_foreign_folder_says_so(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["train", "--resume", str(tmp_path / "empty")]) == 2
    assert "holds no checkpoint (last.npz); the folder is empty" in capsys.readouterr().err
    assert main(["train", *SMALL, "--epochs", "1", "--out", str(tmp_path / "a")]) == 0
    run_file = tmp_path / "a" / "checkpoints" / "run.json"
    settings = json.loads(run_file.read_text())
    settings["model"] = "lenet"  # as if another run's settings were put beside the checkpoint
    run_file.write_text(json.dumps(settings))
    capsys.readouterr()
    assert main(["train", "--resume", str(tmp_path / "a" / "checkpoints")]) == 2
    assert "was saved for another model" in capsys.readouterr().err


def test_lr_find_draws_the_range_test_and_suggests_a_rate(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "lr.png"
    assert main(["lr-find", "--train-size", "300", "--image-size", "8", "--steps", "40",
                 "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "suggested learning rate" in printed and "autocnn train --dataset shapes" in printed
    assert main(["lr-find", "--start-lr", "1", "--end-lr", "0.1"]) == 2
    assert "--start-lr must be positive and below --end-lr" in capsys.readouterr().err


def test_ctrl_c_finishes_the_epoch_saves_and_resume_completes_the_run(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "autocnn", "train", *SMALL, "--epochs", "40", "--out",
            str(out)]
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    seen = []
    try:
        for line in child.stdout:
            seen.append(line)
            if line.startswith("epoch 1/40"):  # the first epoch is done: press Ctrl-C
                child.send_signal(signal.SIGINT)
                break
        rest, err = child.communicate(timeout=120)
        rest = "".join(seen) + rest
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert "finishing this epoch, then saving" in err
    hint = f"resume with `autocnn train --resume {out / 'checkpoints'}`"
    assert hint in rest
    saved = ac.training.read_checkpoint(out / "checkpoints" / "last.npz")["meta"]["epoch"]
    assert 1 <= saved < 40 and f"epoch {saved}/40" in rest  # that epoch was finished
    assert not (out / "model.npz").exists()  # an unfinished run writes no model
    assert main(["train", "--resume", str(out / "checkpoints"), "--epochs", str(saved + 1)]) == 0
    assert len(json.loads((out / "metrics.json").read_text())["epochs"]) == saved + 1
