"""Checkpoints: everything a training run needs to go on exactly where it stopped.

``fit(..., checkpoint_dir=DIR)`` writes ``DIR/last.npz`` after every epoch (and
``DIR/best.npz``, the weights of the best epoch so far, with ``keep="best"``);
``fit(..., checkpoint_dir=DIR, resume=True)`` (or ``autocnn train --resume DIR``) reads it
back and continues with the next epoch. One checkpoint is one ``ac.save`` file holding:

    model.<key>        the model's state dict (parameters and buffers)
    optimizer.<key>    the optimiser's state dict, flat (momentum buffers, Adam's moments)
    meta               JSON as bytes: the epoch, the history so far, the state of the
                       package generator (shuffling, dropout, augmentation), of the
                       schedule and of early stopping, and what the run trains
                       (the model's parameter shapes, the data's size and checksum)

Resuming after epoch k therefore gives, bit for bit, the weights and metrics of a run that
was never interrupted. The file is written atomically (``autocnn.files``): a kill during a
save leaves the previous checkpoint readable. A checkpoint of another model or dataset is
refused with a ``CheckpointError`` naming what differs.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.random import generator

FORMAT = "autocnn-checkpoint"
VERSION = 1
LAST, BEST = "last.npz", "best.npz"


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable, or belongs to another model or dataset."""


def model_fingerprint(model: Any) -> dict[str, Any]:
    """What identifies a model's architecture: its class and every state-dict shape."""
    return {"class": type(model).__name__,
            "shapes": {k: list(np.shape(v)) for k, v in model.state_dict().items()}}


def data_fingerprint(images: np.ndarray, labels: np.ndarray, name: str | None = None
                     ) -> dict[str, Any]:
    """What identifies a training set: size, image shape and a CRC-32 of its contents."""
    images, labels = np.ascontiguousarray(images), np.ascontiguousarray(labels)
    return {"name": name, "count": len(labels), "image_shape": list(images.shape[1:]),
            "crc32": zlib.crc32(labels.tobytes(), zlib.crc32(images.tobytes()))}


def _describe_data(d: Mapping[str, Any]) -> str:
    shape = "×".join(str(s) for s in d["image_shape"])
    return f"{d['count']} images of {shape}" + (f" ({d['name']})" if d.get("name") else "")


def check_matches(saved: Mapping[str, Any], model: dict[str, Any], data: dict[str, Any],
                  optimizer: str, where: str) -> None:
    """Raise ``CheckpointError`` naming the first difference between run and checkpoint."""
    if saved["model"]["class"] != model["class"]:
        raise CheckpointError(f"{where} was saved for a {saved['model']['class']} model, this "
                              f"run trains a {model['class']}")
    theirs, ours = saved["model"]["shapes"], model["shapes"]
    for key in [*ours, *(k for k in theirs if k not in ours)]:  # in the model's order
        if theirs.get(key) != ours.get(key):
            there = theirs.get(key, "absent")
            here = ours.get(key, "absent")
            raise CheckpointError(
                f"{where} was saved for another model: '{key}' has shape {there} there and "
                f"{here} here")
    if saved["optimizer"] != optimizer:
        raise CheckpointError(f"{where} was saved with the optimiser {saved['optimizer']}, "
                              f"this run uses {optimizer}")
    if saved["data"] != data:
        d = saved["data"]
        same = (d["count"], d["image_shape"]) == (data["count"], data["image_shape"])
        raise CheckpointError(
            f"{where} was saved for another training set: {_describe_data(d)} there, "
            f"{_describe_data(data)} here" + (" (same size, other contents)" if same else ""))


def save_checkpoint(path: str | os.PathLike, model: Any, optimizer: Any,
                    meta: Mapping[str, Any]) -> Path:
    """Write model, optimiser and ``meta`` (JSON-able) to ``path`` as one ``ac.save`` file.

    ``meta`` gets the format name, its version and the generator's state added.
    """
    from autocnn.optim.optimizer import flatten_state_dict
    from autocnn.serialization import save

    arrays: OrderedDict[str, Any] = OrderedDict()
    for key, value in model.state_dict().items():
        arrays[f"model.{key}"] = value
    for key, value in flatten_state_dict(optimizer.state_dict()).items():
        arrays[f"optimizer.{key}"] = value
    payload = {"format": FORMAT, "version": VERSION,
               "generator": generator().bit_generator.state, **meta}
    arrays["meta"] = np.frombuffer(json.dumps(payload).encode("utf-8"), dtype=np.uint8)
    save(arrays, path)  # atomic: the old checkpoint survives a kill during the write
    return Path(path)


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """``{"model": state dict, "optimizer": flat state dict, "meta": dict}`` of a checkpoint."""
    from autocnn.serialization import load

    path = Path(path)
    try:
        arrays = load(path)
        meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not a readable autocnn checkpoint ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an autocnn checkpoint (no '{FORMAT}' header)")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {meta.get('version')}, this "
                              f"autocnn reads version {VERSION}")
    model = OrderedDict((k[6:], v) for k, v in arrays.items() if k.startswith("model."))
    optim = OrderedDict((k[10:], v) for k, v in arrays.items() if k.startswith("optimizer."))
    return {"model": model, "optimizer": optim, "meta": meta}


def find_checkpoint(folder: str | os.PathLike) -> Path:
    """``folder/last.npz``, or a ``CheckpointError`` saying why there is nothing to resume."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"cannot resume: {folder} is not a folder (expected the "
                              "checkpoint folder of an earlier run)")
    path = folder / LAST
    if not path.is_file():
        found = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        raise CheckpointError(
            f"cannot resume: {folder} holds no checkpoint ({LAST})"
            + (f"; it has {', '.join(found[:5])}" if found else "; the folder is empty")
            + " — start the run with checkpoints first")
    return path


def restore_generator(state: Mapping[str, Any]) -> None:
    """Put the package generator back into a saved state (in place: ``generator()`` is kept)."""
    generator().bit_generator.state = dict(state)
