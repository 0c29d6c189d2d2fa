"""Nothing is lost: a save or a training run killed at any moment leaves the previous files
whole, a run folder is replaced as a whole, and model files decode every key to its own
array. The kill -9 tests run a subprocess that kills itself at a known point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import autocnn as ac
from autocnn import files
from autocnn.cli import main

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--train-size", "100", "--image-size", "8", "--epochs", "1", "--batch-size", "50",
         "--no-plots", "--no-graph"]


def _run_killed(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``script`` in a fresh interpreter that SIGKILLs itself where the script says."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    prelude = textwrap.dedent("""
        import os, signal
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------------- ac.save
@pytest.mark.parametrize("where", ["fsync", "between arrays"])
def test_a_save_killed_midway_leaves_the_previous_file(tmp_path: Path, where: str) -> None:
    path = tmp_path / "model.npz"
    ac.save({"w": np.arange(3.0), "b": np.ones(2)}, path)
    before = path.read_bytes()
    kill = {
        "fsync": "os.fsync = die",
        "between arrays": textwrap.dedent("""
            import numpy as np
            real, count = np.lib.format.write_array, [0]
            def write_then_die(*args, **kwargs):
                count[0] += 1
                if count[0] == 2:
                    die()
                return real(*args, **kwargs)
            np.lib.format.write_array = write_then_die
        """),
    }[where]
    result = _run_killed(kill + textwrap.dedent(f"""
        import numpy as np
        import autocnn as ac
        ac.save({{"w": np.zeros(1000), "b": np.zeros(5), "c": np.zeros(5)}}, {str(path)!r})
        print("the save finished")
    """), tmp_path)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "finished" not in result.stdout
    assert path.read_bytes() == before
    loaded = ac.load(path)
    np.testing.assert_array_equal(loaded["w"], np.arange(3.0))
    assert list(loaded) == ["w", "b"]


def test_a_save_that_fails_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path,
                                                                        monkeypatch) -> None:
    path = tmp_path / "model.npz"
    ac.save({"w": np.arange(3.0)}, path)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    with pytest.raises(OSError, match="disk full"):
        ac.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(ac.load(path)["w"], np.arange(3.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


# ---------------------------------------------------------------------- .npz keys
def test_keys_that_collide_in_the_npz_format_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'w' and 'w.npy' collide"):
        ac.save({"w": np.zeros(1), "w.npy": np.ones(1)}, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("keys", [["w.npy"], ["a.npy.npy", "a"], ["x/y", "x"], ["file"],
                                  [".npy", "n"], ["0.weight", "0.bias"]])
def test_every_key_comes_back_with_its_own_array(tmp_path: Path, keys: list[str]) -> None:
    state = {k: np.full(2, float(i)) for i, k in enumerate(keys)}
    ac.save(state, tmp_path / "m.npz")
    loaded = ac.load(tmp_path / "m.npz")
    assert list(loaded) == keys
    for k in keys:
        np.testing.assert_array_equal(loaded[k], state[k])


def test_an_npz_written_by_numpy_with_colliding_names_loads_correctly(tmp_path: Path) -> None:
    path = tmp_path / "np.npz"
    np.savez(path, w=np.zeros(2), **{"w.npy": np.ones(2)})
    loaded = ac.load(path)
    np.testing.assert_array_equal(loaded["w"], np.zeros(2))
    np.testing.assert_array_equal(loaded["w.npy"], np.ones(2))


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, arr)
    return buffer.getvalue()


@pytest.mark.parametrize("members, words", [
    ({"readme.txt": b"hello"}, "entry 'readme.txt' is not a .npy array"),
    ({"w.npy": _npy_bytes(np.ones(2)), "docs/": b""}, "is not a .npy array"),
    ({"w.npy": b"not an array"}, "entry 'w' of"),
    ({"w.npy": _npy_bytes(np.ones(4))[:-8]}, "entry 'w' of"),
    ({"w.npy": _npy_bytes(np.array(["a"]))}, "non-numeric dtype"),
])
def test_loading_a_zip_that_is_not_an_npz_of_arrays_is_a_clear_error(
        tmp_path: Path, members: dict[str, bytes], words: str) -> None:
    with pytest.raises(ValueError, match="load: ") as info:
        ac.load(_zip(tmp_path / "x.npz", members))
    assert words in str(info.value)


def test_a_header_claiming_a_huge_array_is_refused_before_allocation(tmp_path: Path) -> None:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
    with pytest.raises(ValueError, match=r"declares shape \(10000000000000,\)"):
        ac.load(_zip(tmp_path / "h.npz", {"w.npy": buffer.getvalue() + b"\0" * 8}))


# ---------------------------------------------------------------------- autocnn train
@pytest.fixture()
def previous_run(tmp_path: Path, monkeypatch) -> Path:
    """A finished small run in tmp_path/run, with a note of the user's beside it."""
    monkeypatch.setattr(ac.perf, "tune_allocator", lambda *a, **k: {"applied": False})
    out = tmp_path / "run"
    assert main(["train", *SMALL, "--seed", "1", "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _train_script(out: Path, kill: str) -> str:
    return kill + textwrap.dedent(f"""
        from autocnn.cli import main
        main(["train", *{SMALL!r}, "--seed", "2", "--out", {str(out)!r}])
        print("the run finished")
    """)


def test_a_run_killed_while_writing_its_outputs_leaves_the_previous_run(
        previous_run: Path) -> None:
    from autocnn.training import load_model

    before = _snapshot(previous_run)
    # killed between the new model.npz and its model.json: the mix the issue describes
    kill = textwrap.dedent("""
        import autocnn.training
        from autocnn.serialization import save
        def save_weights_then_die(model, path, metadata):
            save(model.state_dict(), path)
            die()
        autocnn.training.save_model = save_weights_then_die
    """)
    result = _run_killed(_train_script(previous_run, kill), previous_run.parent)
    assert result.returncode == -signal.SIGKILL, result.stderr
    (staging,) = [p for p in previous_run.parent.iterdir() if p.name.endswith(".tmp")]
    assert (staging / "model.npz").is_file() and not (staging / "model.json").exists()
    assert _snapshot(previous_run) == before
    _, meta = load_model(previous_run / "model.npz")
    assert meta["seed"] == 1
    # the killed run's staging folder is cleaned up by the next run, which then succeeds
    assert main(["train", *SMALL, "--seed", "3", "--out", str(previous_run)]) == 0
    assert sorted(p.name for p in previous_run.parent.iterdir()) == ["run"]
    assert load_model(previous_run / "model.npz")[1]["seed"] == 3
    assert (previous_run / "notes.txt").read_text() == "mine"


def test_a_run_killed_right_after_the_swap_leaves_the_new_run_whole(
        previous_run: Path) -> None:
    from autocnn.training import load_model

    kill = textwrap.dedent("""
        import shutil
        from pathlib import Path
        real = shutil.rmtree
        def rmtree(path, *args, **kwargs):
            if (Path(path) / "notes.txt").exists():  # the old run, just swapped out
                die()
            return real(path, *args, **kwargs)
        shutil.rmtree = rmtree
    """)
    result = _run_killed(_train_script(previous_run, kill), previous_run.parent)
    assert result.returncode == -signal.SIGKILL, result.stderr
    _, meta = load_model(previous_run / "model.npz")
    assert meta["seed"] == 2  # model.json and model.npz both of the new run
    assert (previous_run / "notes.txt").read_text() == "mine"
    files.recover_folder(previous_run)  # what the next run does first
    assert sorted(p.name for p in previous_run.parent.iterdir()) == ["run"]


def test_without_an_atomic_exchange_a_kill_between_the_renames_is_recovered(
        previous_run: Path) -> None:
    from autocnn.training import load_model

    before = _snapshot(previous_run)
    kill = textwrap.dedent("""
        import os
        from autocnn import files
        files._exchange = lambda a, b: False   # a file system without RENAME_EXCHANGE
        real, count = os.rename, [0]
        def rename(src, dst, *args, **kwargs):
            count[0] += 1
            if count[0] == 2:                  # after run -> .run.previous, before the new
                die()
            return real(src, dst, *args, **kwargs)
        os.rename = rename
    """)
    result = _run_killed(_train_script(previous_run, kill), previous_run.parent)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert not previous_run.exists()  # the moment the fallback cannot avoid
    files.recover_folder(previous_run)  # what every folder_writer does first
    assert _snapshot(previous_run) == before
    assert load_model(previous_run / "model.npz")[1]["seed"] == 1


def test_a_run_replaces_the_folder_as_a_whole_and_keeps_other_entries(
        previous_run: Path) -> None:
    (previous_run / "sub").mkdir()
    (previous_run / "sub" / "a.txt").write_text("kept")
    (previous_run / "curves.png").write_bytes(b"an output of an earlier run")
    assert main(["train", *SMALL, "--seed", "4", "--out", str(previous_run)]) == 0
    names = sorted(p.name for p in previous_run.iterdir())
    # checkpoints/: the run's checkpoint folder (trainer); report.html: the run's page (pages)
    assert names == ["checkpoints", "metrics.csv", "metrics.json", "model.json", "model.npz",
                     "notes.txt", "report.html", "sub"]
    assert "curves.png" not in names  # an output of the earlier run, gone with its folder
    assert (previous_run / "sub" / "a.txt").read_text() == "kept"
    assert sorted(p.name for p in previous_run.parent.iterdir()) == ["run"]


def test_diagnose_output_is_written_inside_the_atomic_run_folder(previous_run: Path,
                                                                 monkeypatch) -> None:
    from autocnn import files as files_module

    swapped = []
    real = files_module.replace_folder

    def record(new, target):
        swapped.append(sorted(p.name for p in Path(new).iterdir()))
        return real(new, target)

    monkeypatch.setattr(files_module, "replace_folder", record)
    assert main(["train", *SMALL, "--seed", "5", "--diagnose", "--out",
                 str(previous_run)]) == 0
    assert "diagnosis" in swapped[0]  # in the staging folder before the swap
    assert (previous_run / "diagnosis" / "diagnosis.json").is_file()
    assert sorted(p.name for p in previous_run.parent.iterdir()) == ["run"]


def test_a_top_level_folder_or_a_folder_of_other_folders_is_refused(tmp_path: Path,
                                                                    capsys,
                                                                    monkeypatch) -> None:
    # /usr: top level on every Linux, and never a parent of the current folder (a clone in
    # /tmp would make /tmp refused as a parent instead)
    monkeypatch.chdir(tmp_path)
    assert main(["train", *SMALL, "--out", "/usr"]) == 2
    assert "top-level or mounted folder" in capsys.readouterr().err
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "README").write_text("mine")
    assert main(["train", *SMALL, "--out", str(project)]) == 2
    err = capsys.readouterr().err
    assert "holds folders (src) but no earlier run" in err
    assert sorted(p.name for p in project.iterdir()) == ["README", "src"]


@pytest.mark.parametrize("target", [".", "..", "~", "/", "CWD", "CWD/.."])
def test_dangerous_out_folders_are_refused(tmp_path: Path, monkeypatch, capsys,
                                           target: str) -> None:
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    target = target.replace("CWD", str(work))
    assert main(["train", *SMALL, "--out", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autocnn train: error: --out") and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in work.iterdir()) == []


# ---------------------------------------------------------------------- folder_writer
def test_folder_writer_without_an_atomic_exchange_recovers_an_interrupted_swap(
        tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / "model.json").write_text("old")
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    with files.folder_writer(target) as staging:
        (staging / "model.json").write_text("new")
    assert (target / "model.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    # a crash between the fallback's two renames: the old folder waits as .run.previous
    os.rename(target, tmp_path / ".run.previous")
    files.recover_folder(target)
    assert (target / "model.json").read_text() == "new"


def test_folder_writer_leaves_the_target_alone_when_the_body_fails(tmp_path: Path) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / "model.json").write_text("old")
    with pytest.raises(RuntimeError), files.folder_writer(target) as staging:
        (staging / "model.json").write_text("new")
        raise RuntimeError("failed")
    assert (target / "model.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
