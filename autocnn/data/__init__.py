"""``autocnn.data``: the datasets of the lessons and a mini-batch loader.

=================  ==========================================================================
file               contents
=================  ==========================================================================
``dataset.py``     ``ArrayDataset`` (images + labels + class names), ``Split``, errors
``shapes.py``      the lesson's X / O / cross / line images, 6×6 to 28×28, built in, seeded
``digits.py``      scikit-learn's 8×8 handwritten digits with a fixed split (``[datasets]``)
``idx.py``         reading and writing IDX files
``mnist.py``       MNIST and Fashion-MNIST from a local folder or a checked, opt-in download
``loader.py``      ``DataLoader(dataset, batch_size, shuffle, drop_last, transform)``
``transforms.py``  batch augmentation: ``RandomShift``, ``RandomCrop``, flips, ``Normalize``
=================  ==========================================================================

``load_dataset(name)`` gives any of them by name as a ``Split`` (``train, test = ...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autocnn.data import transforms
from autocnn.data.dataset import ArrayDataset, DatasetError, DatasetNotFoundError, Split
from autocnn.data.digits import load_digits
from autocnn.data.idx import read_idx, write_idx
from autocnn.data.loader import DataLoader
from autocnn.data.mnist import download_mnist, load_mnist
from autocnn.data.shapes import glyph, load_shapes, make_shapes

#: the names ``load_dataset`` (and ``autocnn train --dataset``) accepts
DATASETS: tuple[str, ...] = ("shapes", "digits", "mnist", "fashion-mnist")


def load_dataset(name: str, root: str | Path | None = None, download: bool = False,
                 **options: Any) -> Split:
    """The dataset ``name`` (one of ``DATASETS``) as a train/test ``Split``.

    ``root`` and ``download`` apply to MNIST and Fashion-MNIST (see ``load_mnist``); other
    keyword options go to ``load_shapes`` or ``load_digits``.
    """
    loaders = {"shapes": load_shapes, "digits": load_digits, "mnist": load_mnist,
               "fashion-mnist": load_mnist}
    if name not in loaders:
        raise DatasetError(f"unknown dataset {name!r}; valid datasets are {', '.join(DATASETS)}")
    # Options may come from a model.json: an unknown name is a DatasetError naming the valid
    # ones, not a TypeError about keyword arguments.
    import inspect

    valid = [p for p in inspect.signature(loaders[name]).parameters
             if p not in ("root", "kind", "download")]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise DatasetError(f"{name}: unknown dataset option(s) {', '.join(unknown)}; valid "
                           f"options are {', '.join(valid) or 'none'}")
    if name in ("mnist", "fashion-mnist"):
        return load_mnist(root, kind=name, download=download, **options)
    return loaders[name](**options)


__all__ = [
    "DATASETS", "ArrayDataset", "DataLoader", "DatasetError", "DatasetNotFoundError", "Split",
    "download_mnist", "glyph", "load_dataset", "load_digits", "load_mnist", "load_shapes",
    "make_shapes", "read_idx", "transforms", "write_idx",
]
