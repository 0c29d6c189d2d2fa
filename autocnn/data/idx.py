"""Read and write IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte magic number — two zero bytes, a type code, the number of
dimensions d — then d big-endian 32-bit sizes, then the values in C order, big-endian. The
files are often gzip-compressed (``.gz``). ``read_idx`` checks every part of that header
against the file's length and reports what is wrong, so a truncated download or a file of
another kind gives a clear ``DatasetError`` instead of a garbled array.
"""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from autocnn.data.dataset import DatasetError, DatasetNotFoundError
from autocnn.files import atomic_write

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


#: no IDX file autocnn reads is larger than this (MNIST's largest is 47 MB): a header that
#: announces more is corrupt, and reading it would only exhaust the memory
MAX_BYTES = 2**32


def _open(path: Path) -> BinaryIO:
    if not path.is_file():
        raise DatasetNotFoundError(f"read_idx: no such file: {path}")
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _read(stream: BinaryIO, count: int, path: Path) -> bytes:
    try:
        return stream.read(count)
    except (OSError, EOFError) as exc:  # gzip raises BadGzipFile (an OSError) or EOFError
        raise DatasetError(f"read_idx: {path} is not a readable gzip file ({exc})") from exc


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (``.gz`` files are decompressed).

    The result has the file's shape and a native-endian dtype (uint8 for MNIST). Raises
    ``DatasetNotFoundError`` when the file does not exist and ``DatasetError`` when its
    header or length is wrong. The header is checked before the data is read, so a size
    that overflows or exceeds ``MAX_BYTES`` is an error, never a huge allocation.
    """
    path = Path(path)
    with _open(path) as stream:
        magic = _read(stream, 4, path)
        if len(magic) < 4:
            raise DatasetError(f"read_idx: {path} is too short to be an IDX file "
                               f"({len(magic)} bytes)")
        zero1, zero2, code, ndim = magic[0], magic[1], magic[2], magic[3]
        if zero1 or zero2 or code not in TYPE_CODES:
            raise DatasetError(
                f"read_idx: {path} is not an IDX file: magic number {magic.hex()} should be "
                f"0000 followed by a type code in {[hex(c) for c in TYPE_CODES]} and the "
                "number of dimensions"
            )
        header = 4 + 4 * ndim
        sizes = _read(stream, 4 * ndim, path)
        if len(sizes) < 4 * ndim:
            raise DatasetError(
                f"read_idx: {path} is truncated: its header announces {ndim} dimensions "
                f"({header} bytes) but the file has {4 + len(sizes)} bytes"
            )
        shape = struct.unpack(f">{ndim}I", sizes)
        dtype = TYPE_CODES[code]
        # Python integers: a product of 32-bit sizes in int64 could wrap around and match
        needed = math.prod(shape) * dtype.itemsize
        if needed > MAX_BYTES:
            raise DatasetError(
                f"read_idx: {path} is corrupt: its header announces a {dtype.name} array of "
                f"shape {list(shape)} ({needed} bytes), more than the {MAX_BYTES} bytes an "
                "IDX dataset file may hold"
            )
        payload = _read(stream, needed + 1, path)  # one byte more: is there extra data?
    if len(payload) != needed:
        raise DatasetError(
            f"read_idx: {path} is corrupt: a {dtype.name} array of shape {list(shape)} needs "
            f"{header + needed} bytes, the file has "
            f"{header + len(payload)}{' or more' if len(payload) > needed else ''}"
        )
    data = np.frombuffer(payload, dtype=dtype).reshape(shape)
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
    if path.suffix == ".gz":  # compressed in memory, so the file itself is written once
        payload = gzip.compress(payload, mtime=0)
    atomic_write(path, payload)
    return path
