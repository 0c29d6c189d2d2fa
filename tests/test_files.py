"""Atomic writes (autocnn.files): the target holds the old content or the new, never a part."""

import os

import pytest

from autocnn.files import atomic_write, atomic_writer


def test_atomic_write_replaces_content_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write(target, "old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_atomic_writer_keeps_old_file_when_the_body_raises(tmp_path):
    target = tmp_path / "m.bin"
    atomic_write(target, b"good")
    with pytest.raises(RuntimeError), atomic_writer(target, "wb") as stream:
        stream.write(b"half")
        raise RuntimeError("crash in the middle of a save")
    assert target.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["m.bin"]


def test_atomic_writer_refuses_a_folder_and_a_missing_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        atomic_write(tmp_path, "x")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write(tmp_path / "no" / "x.txt", "x")


def test_atomic_write_refuses_non_text_data(tmp_path):
    with pytest.raises(TypeError, match="str or bytes"):
        atomic_write(tmp_path / "x", 3)  # type: ignore[arg-type]
