"""Model files: ``ac.save(state_dict, path)`` and ``ac.load(path)``.

A model file is a NumPy ``.npz`` archive: a zip with one ``.npy`` entry per state-dict key,
in the state dict's order. It is written with pickling disabled and read with
``allow_pickle=False``, so loading a file can never run code (unlike ``torch.load`` of a
pickle): only numeric arrays go in and come out. Any tool that reads ``.npz`` — NumPy
itself, for a start — can open it.

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
    path = os.fspath(path)
    # The zip is written entry by entry (what np.savez does), so that any key works,
    # including names np.savez reserves for its own arguments ("file", "allow_pickle").
    # through atomic_writer: a kill during the save leaves the old file, never half a new one
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
        archive = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ValueError(
            f"load: {path!r} is not a valid model file (an .npz archive written by "
            f"ac.save): {exc}"
        ) from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"load: {path!r} holds a single {type(archive).__name__}, not an .npz archive of "
            "named arrays (was it written with np.save instead of ac.save?)"
        )
    state: OrderedDict[str, np.ndarray] = OrderedDict()
    with archive:
        for key in archive.files:
            try:
                arr = archive[key]
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
