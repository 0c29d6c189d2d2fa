"""Read and write IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte magic number — two zero bytes, a type code, the number of
dimensions d — then d big-endian 32-bit sizes, then the values in C order, big-endian. The
files are often gzip-compressed (``.gz``). ``read_idx`` checks every part of that header
against the file's length and reports what is wrong, so a truncated download or a file of
another kind gives a clear ``DatasetError`` instead of a garbled array.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from autocnn.data.dataset import DatasetError, DatasetNotFoundError

#: IDX type code → NumPy dtype (big-endian as stored)
TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dt.kind, dt.itemsize): code for code, dt in TYPE_CODES.items()}


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DatasetNotFoundError(f"read_idx: no such file: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError) as exc:  # gzip raises BadGzipFile (an OSError) or EOFError
        raise DatasetError(f"read_idx: {path} is not a readable gzip file ({exc})") from exc


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (``.gz`` files are decompressed).

    The result has the file's shape and a native-endian dtype (uint8 for MNIST). Raises
    ``DatasetNotFoundError`` when the file does not exist and ``DatasetError`` when its
    header or length is wrong.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DatasetError(f"read_idx: {path} is too short to be an IDX file ({len(raw)} bytes)")
    zero1, zero2, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 or zero2 or code not in TYPE_CODES:
        raise DatasetError(
            f"read_idx: {path} is not an IDX file: magic number {raw[:4].hex()} should be "
            f"0000 followed by a type code in {[hex(c) for c in TYPE_CODES]} and the number "
            "of dimensions"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(
            f"read_idx: {path} is truncated: its header announces {ndim} dimensions "
            f"({header} bytes) but the file has {len(raw)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = TYPE_CODES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise DatasetError(
            f"read_idx: {path} is corrupt: a {dtype.name} array of shape {list(shape)} needs "
            f"{expected} bytes, the file has {len(raw)}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``).

    Supported dtypes: uint8, int8, int16, int32, float32, float64. Returns the path.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:  # e.g. uint16, int64, bool: IDX has no type code for them
        raise DatasetError(
            f"write_idx: cannot store dtype {array.dtype} in IDX; supported dtypes are "
            "uint8, int8, int16, int32, float32, float64"
        )
    if array.ndim > 255:
        raise DatasetError(f"write_idx: IDX holds at most 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as stream:
        stream.write(payload)
    return path
