"""MNIST and Fashion-MNIST from the standard IDX files: a local folder, or a checked download.

``load_mnist(root)`` reads the four files (``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
optionally ``.gz``) from a folder you already have. Nothing is ever downloaded unless you
ask: ``load_mnist(download=True)`` (or ``download_mnist``) fetches the missing ``.gz``
files once into a cache folder (``$AUTOCNN_DATA`` or ``~/.cache/autocnn``), checks each one
against its published MD5 checksum, and only then moves it into place, so a broken download
never looks like a dataset. Images become (N, 1, 28, 28) float32 in [0, 1]; labels int64.

Without ``root``, the cache folder is looked in first, then the system folder of the
dataset (``SYSTEM_DIRS``): Debian's ``dataset-fashion-mnist`` package installs the real
Fashion-MNIST files in ``/usr/share/datasets/fashion-mnist``. Debian recompressed the
``.gz`` files, so their checksums differ from the published ones; the files found there are
checked against the MD5 of their *uncompressed* contents (``CONTENT_MD5``) instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autocnn.data.dataset import ArrayDataset, DatasetError, DatasetNotFoundError, Split
from autocnn.data.idx import read_idx


@dataclass(frozen=True)
class IdxSource:
    """Where a dataset of four IDX files is published, and the MD5 of each ``.gz`` file."""

    name: str
    mirrors: tuple[str, ...]
    md5: dict[str, str]
    classes: tuple[str, ...]


#: the files of each dataset, in the order train images, train labels, test images, test labels
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

SOURCES: dict[str, IdxSource] = {
    "mnist": IdxSource(
        "mnist",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",),
        {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        tuple(str(d) for d in range(10)),
    ),
    "fashion-mnist": IdxSource(
        "fashion-mnist",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
         "Sneaker", "Bag", "Ankle boot"),
    ),
}


#: folders where a system package installs a dataset, looked in after the cache folder
SYSTEM_DIRS: dict[str, Path] = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}

#: MD5 of the uncompressed IDX files (what Debian's dataset-fashion-mnist package holds)
CONTENT_MD5: dict[str, dict[str, str]] = {
    "fashion-mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}


def content_md5(path: str | Path) -> str:
    """The MD5 of a file's contents, decompressed first when it is a ``.gz`` file."""
    import gzip

    digest = hashlib.md5(usedforsecurity=False)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and all((folder / s).is_file() or (folder / (s + ".gz")).is_file()
                                   for s in FILES)


def _check_contents(folder: Path, kind: str) -> None:
    """Raise ``DatasetError`` unless every file in ``folder`` has its known content MD5."""
    for stem, expected in CONTENT_MD5.get(kind, {}).items():
        path = _find(folder, stem, kind)
        got = content_md5(path)
        if got != expected:
            raise DatasetError(
                f"{kind}: {path} does not hold the expected data: the MD5 of its contents is "
                f"{got}, expected {expected} (a damaged or different file)")


def default_cache_dir() -> Path:
    """``$AUTOCNN_DATA`` if set, else ``~/.cache/autocnn``: where downloads are kept."""
    env = os.environ.get("AUTOCNN_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "autocnn"


def md5sum(path: str | Path) -> str:
    """The MD5 hex digest of a file (the checksum MNIST's files are published with)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source(kind: str) -> IdxSource:
    if kind not in SOURCES:
        raise DatasetError(f"mnist: unknown kind {kind!r}; valid kinds are {list(SOURCES)}")
    return SOURCES[kind]


def download_mnist(kind: str = "mnist", folder: str | Path | None = None,
                   mirrors: tuple[str, ...] | None = None) -> Path:
    """Download the four ``.gz`` files of ``kind`` into ``folder`` once; returns the folder.

    ``folder`` defaults to ``default_cache_dir() / kind``.
    Files already present with the right checksum are kept. Each new file is written to a
    temporary name, checked against its MD5, and only then renamed into place; a wrong
    checksum raises ``DatasetError`` and leaves nothing behind. ``mirrors`` (base URLs)
    replaces the published ones (a local ``file://`` folder works too).
    """
    source = _source(kind)
    folder = Path(folder) if folder is not None else default_cache_dir() / source.name
    folder.mkdir(parents=True, exist_ok=True)
    for filename, expected in source.md5.items():
        target = folder / filename
        if (folder / filename.removesuffix(".gz")).is_file():
            continue  # already unpacked by the user
        if target.is_file() and md5sum(target) == expected:
            continue
        errors = []
        for base in mirrors or source.mirrors:
            url = base.rstrip("/") + "/" + filename
            handle, temp_name = tempfile.mkstemp(dir=folder, prefix=filename + ".", suffix=".part")
            temp = Path(temp_name)
            print(f"downloading {url} ...", file=sys.stderr, flush=True)
            try:
                with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as r:
                    shutil.copyfileobj(r, out)
                    out.flush()
                    os.fsync(out.fileno())  # on disk before the rename makes it the file
                got = md5sum(temp)
                if got != expected:
                    raise DatasetError(
                        f"{source.name}: checksum mismatch for {url}: expected MD5 "
                        f"{expected}, got {got}"
                        " (the download is corrupt or the mirror serves another file)"
                    )
                temp.replace(target)
                break
            except (urllib.error.URLError, OSError) as exc:
                errors.append(f"{url}: {exc}")
            finally:
                temp.unlink(missing_ok=True)
        else:
            raise DatasetError(
                f"{source.name}: could not download {filename}: " + "; ".join(errors))
    return folder


def _find(folder: Path, stem: str, name: str = "mnist") -> Path:
    for candidate in (folder / stem, folder / (stem + ".gz")):
        if candidate.is_file():
            return candidate
    raise DatasetNotFoundError(
        f"{name}: {folder} has no {stem} (or {stem}.gz); a dataset folder holds "
        + ", ".join(FILES)
    )


def load_mnist(
    root: str | Path | None = None,
    kind: str = "mnist",
    download: bool = False,
    cache_dir: str | Path | None = None,
) -> Split:
    """MNIST (``kind="mnist"``) or Fashion-MNIST (``kind="fashion-mnist"``) as a ``Split``.

    - ``root``: a folder holding the four IDX files (plain or ``.gz``). When ``None``, the
      cache folder ``cache_dir/kind`` is used.
    - ``download``: first fetch the missing files into that folder (see ``download_mnist``);
      never done otherwise, so a missing folder raises ``DatasetNotFoundError`` naming the
      command that downloads it.
    - without ``root`` and ``download``, a cache folder without the files is passed over for
      the dataset's system folder (``SYSTEM_DIRS``), whose files are checked against
      ``CONTENT_MD5`` first.

    Images are checked to be (N, 28, 28) uint8 with labels (N,) in 0..9.
    """
    source = _source(kind)
    system = SYSTEM_DIRS.get(kind)
    if root is not None:
        folder = Path(root).expanduser()
    else:
        folder = Path(cache_dir if cache_dir is not None else default_cache_dir()) / source.name
    if download:
        download_mnist(kind, folder)
    elif root is None and system is not None and not _has_files(folder) and _has_files(system):
        folder = system  # installed by a system package: checked against its contents' MD5
        _check_contents(folder, kind)
    if not folder.is_dir():
        also = (f" (nor has {system}, where Debian's `dataset-{kind}` package puts it)"
                if system is not None and root is None else "")
        raise DatasetNotFoundError(
            f"{source.name}: the dataset folder {folder} does not exist{also}; point to a "
            f"folder with the IDX files, or download {kind} once with "
            f"`autocnn train --dataset {kind} --download`"
        )
    arrays = [read_idx(_find(folder, stem, source.name)) for stem in FILES]
    splits = []
    for images, labels, part in ((arrays[0], arrays[1], "train"), (arrays[2], arrays[3], "test")):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise DatasetError(
                f"{source.name}: the {part} images in {folder} should be a uint8 array of shape "
                f"(N, 28, 28), got {images.dtype} of shape {list(images.shape)}"
            )
        if labels.ndim != 1 or labels.shape[0] != images.shape[0] or labels.dtype != np.uint8:
            raise DatasetError(
                f"{source.name}: the {part} labels in {folder} should have shape "
                f"[{images.shape[0]}] (one uint8 label per image), got {labels.dtype} of "
                f"shape {list(labels.shape)}"
            )
        if labels.size and labels.max() >= len(source.classes):
            raise DatasetError(
                f"{source.name}: the {part} labels in {folder} hold the value {int(labels.max())}, "
                f"outside 0..{len(source.classes) - 1}"
            )
        splits.append(ArrayDataset(
            (images.astype(np.float32) / 255.0)[:, None, :, :],
            labels.astype(np.int64),
            source.classes,
            name=kind,
        ))
    return Split(*splits)
