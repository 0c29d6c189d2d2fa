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
    with folder_writer("runs/shapes-seed") as staging:  # a whole folder, swapped in at once
        atomic_write(staging / "model.json", text)

Sits beside the engine at the bottom of the ladder: it imports nothing from autocnn.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "atomic_writer", "folder_writer", "fsync_dir", "replace_folder"]


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


# ---------------------------------------------------------------------- whole folders
def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False  # the file system (or the kernel) does not support the exchange
    raise OSError(code, os.strerror(code), str(b))


def _previous(target: Path) -> Path:
    return target.parent / f".{target.name}.previous"


def replace_folder(new: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Make the folder ``new`` take the place of ``target`` as a whole, then remove the old one.

    On Linux the two folders are exchanged in one atomic step, so a crash at any moment
    leaves ``target`` holding either the complete old folder or the complete new one. Where
    that is not available, the old folder is first renamed to ``.NAME.previous``; if a crash
    falls between the two renames, :func:`recover_folder` (which ``folder_writer`` calls)
    renames it back. ``new`` must be a sibling of ``target`` (same file system).
    """
    new, target = Path(new), Path(target)
    folder = target.parent
    if not target.exists():
        os.rename(new, target)
    elif _exchange(new, target):
        shutil.rmtree(new)  # ``new`` now holds the old folder
    else:
        previous = _previous(target)
        if previous.exists():
            shutil.rmtree(previous)
        os.rename(target, previous)
        os.rename(new, target)
        shutil.rmtree(previous)
    fsync_dir(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_folder(target: str | os.PathLike[str]) -> None:
    """Undo what a killed ``folder_writer`` for ``target`` left behind.

    A ``.NAME.previous`` folder is put back when ``target`` is missing (the crash fell
    between the two renames of the fallback swap) and removed otherwise; staging folders
    ``.NAME.PID.*.tmp`` of processes that no longer run are removed.
    """
    target = Path(target)
    previous = _previous(target)
    if previous.is_dir():
        if not target.exists():
            os.rename(previous, target)
        else:
            shutil.rmtree(previous, ignore_errors=True)
    if not target.parent.is_dir():
        return
    prefix = f".{target.name}."
    for entry in target.parent.iterdir():
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp") and entry.is_dir()):
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _link_or_copy(source: Path, destination: Path) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), destination)
    elif source.is_dir():
        shutil.copytree(source, destination, symlinks=True, copy_function=_link_file)
    else:
        _link_file(source, destination)


def _link_file(source: Any, destination: Any) -> None:
    """A hard link (instant, no extra space) where possible, else a copy."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


@contextlib.contextmanager
def folder_writer(target: str | os.PathLike[str],
                  keep: Callable[[str], bool] | None = None) -> Iterator[Path]:
    """Build the new content of the folder ``target`` in a temporary sibling folder.

    On a clean exit the temporary folder replaces ``target`` as a whole
    (:func:`replace_folder`): a reader never sees a mix of the old and the new content.
    Entries of the old folder for which ``keep(name)`` is true, and that the new content
    does not have, are carried over (hard-linked where possible). If the body raises, the
    temporary folder is removed and ``target`` is left as it was.
    """
    target = Path(os.path.realpath(target))  # swap the real folder, not a symlink to it
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"folder_writer: {str(target)!r} exists and is not a folder")
    recover_folder(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                    dir=target.parent))
    try:
        yield staging
        if keep is not None and target.is_dir():
            for entry in target.iterdir():
                if keep(entry.name) and not os.path.lexists(staging / entry.name):
                    _link_or_copy(entry, staging / entry.name)
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it 0700
        replace_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
