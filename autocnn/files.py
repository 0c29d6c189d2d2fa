"""Atomic file writing: the one way autocnn writes a file.

Every file the library writes (model files, checkpoints, metrics, reports, pictures, course
material) goes through here, so that a crash, a kill -9 or a Ctrl-C in the middle of a write
leaves either the old file or the new one, never a truncated mix. The recipe is the usual
POSIX one: write to a temporary name in the same folder (a rename is atomic only within one
file system), flush and fsync the data, rename over the target, then fsync the folder so
the rename itself survives a power cut.

    from autocnn.files import atomic_write, atomic_writer

    atomic_write("metrics.json", text)            # str or bytes
    with atomic_writer("weights.npz", "wb") as f:  # a file object; renamed on success
        np.savez(f, ...)

Sits beside the engine at the bottom of the ladder: it imports nothing from autocnn.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "atomic_writer", "fsync_dir"]


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entry table to disk, so a rename inside it survives a power cut.

    Some file systems do not support fsync on a folder; that is not an error worth failing a
    save for, so it is ignored there.
    """
    try:
        fd = os.open(os.fspath(folder), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: str = "w",
                  encoding: str | None = "utf-8", newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path`` atomically.

    ``mode`` is ``"w"`` (text, with ``encoding`` and ``newline``) or ``"wb"`` (bytes). If the
    body raises, the temporary file is removed and ``path`` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_writer: mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"atomic_writer: {str(target)!r} is a folder, expected a file path")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"atomic_writer: folder {str(folder)!r} does not exist "
                                f"(writing {target.name!r})")
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if mode == "wb":
            stream: IO[Any] = os.fdopen(handle, "wb")
        else:
            stream = os.fdopen(handle, "w", encoding=encoding, newline=newline)
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp creates the file 0600; a saved model should have the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    fsync_dir(folder)


def atomic_write(path: str | os.PathLike[str], data: str | bytes,
                 encoding: str = "utf-8") -> None:
    """Write ``data`` (text or bytes) to ``path`` atomically: the old file or the new."""
    if isinstance(data, bytes | bytearray | memoryview):
        with atomic_writer(path, "wb") as stream:
            stream.write(bytes(data))
    elif isinstance(data, str):
        with atomic_writer(path, "w", encoding=encoding) as stream:
            stream.write(data)
    else:
        raise TypeError(f"atomic_write: data must be str or bytes, got {type(data).__name__}")
