"""IDX files: reading what the format specifies, byte for byte, and refusing broken files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from autocnn.data import DatasetError, DatasetNotFoundError, read_idx, write_idx


def _hand_written_idx(path: Path) -> np.ndarray:
    """A 2×3 uint8 IDX file built from the format's description, independent of write_idx."""
    values = np.array([[0, 1, 2], [253, 254, 255]], dtype=np.uint8)
    path.write_bytes(b"\x00\x00\x08\x02" + struct.pack(">II", 2, 3) + values.tobytes())
    return values


def test_read_a_file_built_by_hand_from_the_format(tmp_path: Path) -> None:
    expected = _hand_written_idx(tmp_path / "a-idx2-ubyte")
    got = read_idx(tmp_path / "a-idx2-ubyte")
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)


def test_big_endian_values_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "ints"
    path.write_bytes(b"\x00\x00\x0c\x01" + struct.pack(">I", 2) + struct.pack(">ii", 1, -2))
    np.testing.assert_array_equal(read_idx(path), [1, -2])
    assert read_idx(path).dtype == np.dtype("int32")


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_then_read_round_trips(tmp_path: Path, dtype: str, suffix: str) -> None:
    array = (np.arange(24).reshape(2, 3, 4) * 3 - (0 if dtype.startswith("u") else 20))
    array = array.astype(dtype)
    path = write_idx(tmp_path / f"data{suffix}", array)
    got = read_idx(path)
    assert got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)


def test_gzip_files_are_decompressed(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    expected = _hand_written_idx(raw)
    (tmp_path / "raw.gz").write_bytes(gzip.compress(raw.read_bytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.gz"), expected)


def test_missing_file_is_a_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="no such file"):
        read_idx(tmp_path / "nothing-here")


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"\x00\x00", "too short"),
        (b"PK\x03\x04" + b"\x00" * 20, "not an IDX file"),
        (b"\x00\x00\x07\x01" + b"\x00" * 8, "not an IDX file"),
        (b"\x00\x00\x08\x03" + b"\x00" * 4, "truncated"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x00" * 9, "needs 18 bytes"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x00" * 11, "the file has 19"),
    ],
)
def test_corrupt_files_are_refused_with_the_reason(tmp_path: Path, payload: bytes,
                                                   words: str) -> None:
    path = tmp_path / "bad"
    path.write_bytes(payload)
    with pytest.raises(DatasetError, match=words):
        read_idx(path)


def test_a_broken_gzip_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 4) + b"abcd")[:-6])
    with pytest.raises(DatasetError, match="gzip"):
        read_idx(path)


def test_unsupported_dtype_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="uint16"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint16))
