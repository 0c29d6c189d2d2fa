"""Model files: ``ac.save(state_dict, path)`` and ``ac.load(path)``.

A model file is a NumPy ``.npz`` archive: a zip with one ``.npy`` entry per state-dict key,
in the state dict's order, named ``KEY.npy``. It is written atomically (a temporary file
beside ``path``, fsynced, then renamed over it: ``autocnn.files.atomic_writer``), so a crash
or kill -9 during a save leaves the previous file intact. Keys that NumPy's reader would
confuse (``"w"`` and ``"w.npy"``: ``np.load(...)["w.npy"]`` answers with ``"w"``'s array)
are refused, and ``load`` reads the members itself, so every key maps to its own array.
Arrays are written with pickling disabled and read with ``allow_pickle=False``, so
loading a file can never run code (unlike ``torch.load`` of a pickle): only numeric
arrays go in and come out. Any tool that reads ``.npz`` — NumPy itself, for a start — can
open it.

    ac.save(model.state_dict(), "model.npz")
    model.load_state_dict(ac.load("model.npz"))

An optimiser's ``state_dict()`` is nested (PyTorch's layout); ``save`` writes it in the flat
form of ``autocnn.optim.optimizer.flatten_state_dict`` (``state.0.exp_avg``,
``param_groups.0.lr``, ...), which ``optimizer.load_state_dict(ac.load(path))`` accepts.
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from autocnn.autograd.tensor import Tensor
from autocnn.files import atomic_writer

PathLike = str | os.PathLike


def _as_array(key: str, value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (bool, int, float, np.generic)):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        hint = (" (an optimiser's state_dict() is nested; save its arrays one by one)"
                if isinstance(value, (dict, list, tuple)) else "")
        raise TypeError(
            f"save: entry '{key}' must be a NumPy array or a Tensor, got "
            f"{type(value).__name__}{hint}"
        )
    if value.dtype.kind not in "biufc":
        raise TypeError(
            f"save: entry '{key}' has dtype {value.dtype}; only numeric arrays can be saved "
            "(a model file never holds Python objects)"
        )
    return value


def save(state_dict: Mapping[str, Any], path: PathLike) -> None:
    """Write ``state_dict`` (name → array or Tensor) to ``path`` as an ``.npz`` archive.

    The file is written at exactly ``path`` (no extension is added) and the keys keep their
    order. Only numeric arrays are accepted; pass ``model.state_dict()``, not the model.
    """
    if hasattr(state_dict, "state_dict") and not isinstance(state_dict, Mapping):
        raise TypeError(
            f"save: expected a state dict, got a {type(state_dict).__name__}; pass "
            "model.state_dict()"
        )
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"save: expected a mapping of name -> array (model.state_dict()), got "
            f"{type(state_dict).__name__}"
        )
    from autocnn.optim.optimizer import flatten_state_dict, is_optimizer_state_dict

    if is_optimizer_state_dict(state_dict):
        state_dict = flatten_state_dict(state_dict)
    arrays = []
    for key, value in state_dict.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"save: keys must be non-empty strings, got {key!r}")
        arrays.append((key, _as_array(key, value)))
    keys = {key for key, _ in arrays}
    for key in keys:
        if key.endswith(".npy") and key[: -len(".npy")] in keys:
            raise ValueError(
                f"save: keys {key[:-4]!r} and {key!r} collide in the .npz format (its "
                f"member for {key[:-4]!r} is named {key!r}); rename one of them"
            )
    path = os.fspath(path)
    # The zip is written entry by entry (what np.savez does), so that any key works,
    # including names np.savez reserves for its own arguments ("file", "allow_pickle").
    # atomic_writer: the previous file stays whole until the new one is complete on disk.
    with atomic_writer(path, "wb") as stream, zipfile.ZipFile(
            stream, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, arr in arrays:
            with archive.open(key + ".npy", mode="w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, arr, allow_pickle=False)


def load(path: PathLike) -> OrderedDict[str, np.ndarray]:
    """Read a model file written by ``save``: an ordered dict of name → ``np.ndarray``.

    Pickled objects are refused (``allow_pickle=False``). A missing file raises
    ``FileNotFoundError``; a file that is not an ``.npz`` archive of numeric arrays raises
    ``ValueError`` saying so.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such model file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a directory, not a model file")
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        raise ValueError(
            f"load: {path!r} holds a single array (.npy), not an .npz archive of named arrays "
            "(was it written with np.save instead of ac.save?)"
        )
    if not magic.startswith(b"PK"):
        raise ValueError(
            f"load: {path!r} is not a model file: an .npz archive (a zip file) written by "
            f"ac.save starts with b'PK', this file starts with {magic!r}"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValueError(
            f"load: {path!r} is not a valid model file (an .npz archive written by "
            f"ac.save): {exc}"
        ) from exc
    state: OrderedDict[str, np.ndarray] = OrderedDict()
    with archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or not name.endswith(".npy") or name == ".npy":
                raise ValueError(
                    f"load: {path!r} is a zip file but not a model file: its entry {name!r} "
                    "is not a .npy array (an .npz archive written by ac.save holds only "
                    "KEY.npy entries)"
                )
            key = name[: -len(".npy")]
            if key in state:
                raise ValueError(f"load: {path!r} holds the entry {name!r} twice; the file "
                                 "is corrupt or was not written by ac.save")
            try:
                _check_declared_size(archive, info)
                with archive.open(info) as entry:
                    arr = np.lib.format.read_array(entry, allow_pickle=False)
            except Exception as exc:
                raise ValueError(
                    f"load: entry '{key}' of {path!r} cannot be read ({exc}); the file is "
                    "corrupt or holds pickled objects, which are never loaded"
                ) from exc
            if arr.dtype.kind not in "biufc":
                raise ValueError(f"load: entry '{key}' of {path!r} has non-numeric dtype "
                                 f"{arr.dtype}")
            state[key] = arr
    return state


def _check_declared_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse an entry whose header claims more data than the entry holds.

    NumPy allocates the array its header describes before reading the data: a corrupt or
    hostile header (shape (10**12,)) would otherwise be a MemoryError, not a clear error.
    """
    fmt = np.lib.format
    with archive.open(info) as entry:
        version = fmt.read_magic(entry)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(entry)
        else:
            shape, _, dtype = fmt.read_array_header_2_0(entry)
    count = 1
    for size in shape:
        count *= int(size)
    if dtype.hasobject:
        raise ValueError("it holds Python objects (pickled data is never loaded)")
    if count * dtype.itemsize > info.file_size:
        raise ValueError(f"its header declares shape {shape} of {dtype} "
                         f"({count * dtype.itemsize} bytes) but the entry holds only "
                         f"{info.file_size} bytes")
