"""``autocnn diagnose RUN_DIR`` and ``autocnn train --diagnose`` (in-process, small runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocnn.cli import main

SMALL_TRAIN = ["--epochs", "1", "--train-size", "64", "--image-size", "8", "--no-plots",
               "--no-graph"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    assert main(["train", *SMALL_TRAIN, "--out", str(out)]) == 0
    return out


def test_diagnose_of_a_plain_run_diagnoses_its_recipe_and_keeps_the_result(run_dir, capsys):
    assert main(["diagnose", str(run_dir), "--steps", "10", "--no-plots"]) == 0
    first = capsys.readouterr().out
    assert "diagnosing the recipe of" in first and "no problems found" in first
    saved = run_dir / "diagnosis" / "diagnosis.txt"
    assert saved.is_file()
    assert json.loads((run_dir / "diagnosis" / "diagnosis.json").read_text())["healthy"]
    assert main(["diagnose", str(run_dir)]) == 0  # shown again, not recomputed
    again = capsys.readouterr().out
    assert "diagnosing the recipe" not in again and again == saved.read_text()


def test_diagnose_refuses_a_path_that_is_not_a_folder(tmp_path, capsys):
    assert main(["diagnose", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_diagnose_of_a_folder_without_a_run_names_what_it_holds(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["diagnose", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "model.json" in err and "notes.txt" in err


def test_diagnose_rejects_a_zero_step_count(run_dir, capsys):
    assert main(["diagnose", str(run_dir), "--rerun", "--steps", "0"]) == 2
    assert "--steps must be at least 1, got 0" in capsys.readouterr().err


def test_train_with_diagnose_prints_the_verdicts_and_keeps_them_in_the_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *SMALL_TRAIN, "--diagnose", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "autocnn diagnosis" in printed and "no problems found" in printed
    payload = json.loads((out / "diagnosis" / "diagnosis.json").read_text())
    assert payload["healthy"] and payload["training"]["steps"] == [0]  # 2 steps, every 10
    assert main(["diagnose", str(out)]) == 0
    assert capsys.readouterr().out == (out / "diagnosis" / "diagnosis.txt").read_text()


def test_a_diverging_run_with_diagnose_still_says_why(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *SMALL_TRAIN, "--diagnose", "--lr", "1e12", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "loss became nan" in captured.err
    payload = json.loads((out / "diagnosis" / "diagnosis.json").read_text())
    codes = [f["code"] for f in payload["findings"]]
    assert codes == ["lr_too_high"], codes
    assert "lower the learning rate" in captured.out
    assert not (out / "model.npz").exists()  # the failed run wrote no model


def test_the_diagnosis_of_an_earlier_run_is_not_shown_as_the_newer_runs(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *SMALL_TRAIN, "--diagnose", "--out", str(out)]) == 0
    assert main(["train", *SMALL_TRAIN, "--seed", "1", "--out", str(out)]) == 0  # no diagnosis
    assert not (out / "diagnosis").exists()  # the run replaced its folder as a whole
    capsys.readouterr()
    assert main(["diagnose", str(out), "--steps", "5", "--no-plots"]) == 0
    assert "seed 1" in capsys.readouterr().out  # the recipe of the newer run, diagnosed


def test_a_diagnosis_older_than_the_runs_model_json_is_rediagnosed(run_dir, capsys):
    import os

    assert main(["diagnose", str(run_dir), "--rerun", "--steps", "5", "--no-plots"]) == 0
    saved = run_dir / "diagnosis" / "diagnosis.txt"
    model_json = run_dir / "model.json"
    os.utime(saved, (model_json.stat().st_mtime - 60,) * 2)  # say, copied in from elsewhere
    capsys.readouterr()
    assert main(["diagnose", str(run_dir), "--steps", "5", "--no-plots"]) == 0
    assert "is older than the run's model.json" in capsys.readouterr().out
