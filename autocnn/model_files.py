"""A trained model on disk: its weights (``.npz``, via ``ac.save``) and a JSON sidecar.

``save_model(model, "model.npz", metadata)`` writes the weights and ``model.json`` beside
them, naming the architecture (``autocnn.models``), image size, classes and dataset, so that
``load_model("model.npz")`` can rebuild the model with no other information. This is what
``autocnn train`` writes and ``autocnn evaluate`` reads. The format of the weights file
itself is ``autocnn.serialization``'s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from autocnn.files import atomic_write


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def metadata_path(model_path: str | os.PathLike) -> Path:
    """The JSON sidecar of a model file: ``model.npz`` → ``model.json``."""
    return Path(model_path).with_suffix(".json")


def save_model(model: Any, path: str | os.PathLike, metadata: Mapping[str, Any]) -> Path:
    """Write ``model.state_dict()`` to ``path`` (``.npz``) and ``metadata`` beside it (JSON).

    ``metadata`` should name what ``load_model`` needs to rebuild the model: ``model`` (an
    architecture of ``autocnn.models.MODELS``), ``in_channels``, ``image_size``,
    ``num_classes``; anything else (dataset, classes, accuracy) is kept for the reader.
    """
    from autocnn.serialization import save

    path = Path(path)
    save(model.state_dict(), path)
    atomic_write(metadata_path(path),
                 json.dumps(dict(metadata), indent=2, default=_json_default) + "\n")
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata ``save_model`` wrote beside the model file ``path``.

    Raises ``FileNotFoundError`` / ``ValueError`` with the sidecar's name when it is
    missing or not valid JSON.
    """
    meta_file = metadata_path(path)
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"no metadata file {meta_file} next to the model {path} (autocnn train writes "
            "it beside the weights: it names the architecture, image size and classes)"
        )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the metadata file {meta_file} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise ValueError(f"the metadata file {meta_file} should hold a JSON object, got "
                         f"{type(meta).__name__}")
    missing = [k for k in ("model", "in_channels", "image_size", "num_classes") if k not in meta]
    if missing:
        raise ValueError(f"the metadata file {meta_file} lacks the entries {missing}")
    # What is read from a file is checked as strictly as what is typed: int("3.5") or
    # int(True) would be silent coercions, a huge size a MemoryError later.
    if not isinstance(meta["model"], str):
        raise ValueError(f"the metadata file {meta_file}: 'model' must be a model name, got "
                         f"{meta['model']!r}")
    for key in ("in_channels", "image_size", "num_classes"):
        value = meta[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"the metadata file {meta_file}: '{key}' must be a positive "
                             f"integer, got {value!r}")
    options = meta.get("dataset_options", {})
    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        raise ValueError(f"the metadata file {meta_file}: 'dataset_options' must be an "
                         f"object of named options, got {options!r}")
    return meta


def load_model(path: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """Rebuild the model saved by ``save_model`` and load its weights; ``(model, metadata)``.

    The model comes back in evaluation mode. A file whose arrays do not fit the architecture
    named in the metadata raises ``autocnn.nn.StateDictError`` naming the keys.
    """
    from autocnn.models import build_model
    from autocnn.serialization import load

    meta = read_metadata(path)
    state = load(path)
    model = build_model(meta["model"], in_channels=meta["in_channels"],
                        image_size=meta["image_size"], num_classes=meta["num_classes"])
    model.load_state_dict(state)
    model.eval()
    return model, meta
