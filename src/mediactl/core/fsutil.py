"""Atomic file writes: a reader (or a crash) never sees a half-written file.

Every file mediactl produces is written to a temporary sibling, flushed to disk,
then renamed over the target, which POSIX guarantees to be atomic.

Files under a private folder (a project's state folder: queue, audit log, reports,
caches; see `keep_private`) are their owner's alone: folders 0700, files 0600, set
with chmod after creating, so the umask cannot widen them. On Windows, which has ACLs
instead of modes, this degrades to nothing.

A write that fails (read-only folder, full disk, no permission) leaves no temporary
file and raises a `FilesystemError` naming the path, never a bare OSError.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from mediactl.core.errors import FilesystemError

_UMASK = os.umask(0o022)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK  # mkstemp creates 0600 files; published files follow the umask
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700
_POSIX = os.name == "posix"
_private_roots: set[Path] = set()  # absolute folders whose contents are private


def keep_private(folder: Path) -> None:
    """Everything written under `folder` from now on through this module is private (0700/0600).

    Registered once, where the project's state folder becomes known (loading the config), so the
    modules that write reports and caches there need not know about modes.
    """
    _private_roots.add(Path(os.path.abspath(folder)))


def _private_folders(folder: Path, top: Path | None = None) -> None:
    """Create `folder` if needed and make it, and every folder from `top` down to it, 0700."""
    folder.mkdir(parents=True, exist_ok=True)
    if not _POSIX:
        return
    current = Path(os.path.abspath(folder))
    chain = [current, *current.parents]
    top = Path(os.path.abspath(top or folder))
    for path in chain[: chain.index(top) + 1] if top in chain else [current]:
        _tighten(path, PRIVATE_FOLDER)


def private_file(path: Path, *companions: str) -> None:
    """Make `path` private: created empty if missing, 0600 either way (an older, wider file is tightened).

    `companions` are suffixes of files that live beside it (SQLite's ``-wal`` and ``-shm``), tightened
    if they exist; SQLite creates them with the mode of the database file.
    """
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE))
    if not _POSIX:
        return
    for file in (path, *(path.with_name(path.name + suffix) for suffix in companions)):
        _tighten(file, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    """chmod to `mode` if the path has another; best effort: a file someone else owns, or one on a read-only
    disk, keeps its mode (reading it must still work) rather than failing the command."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(os.stat(path).st_mode) != mode:
            os.chmod(path, mode)


def folder_for(path: Path) -> int:
    """Create the folder `path` goes into (0700 down from a private root); the mode the file should get."""
    folder = path.parent
    if _private_roots:
        absolute = Path(os.path.abspath(folder))
        root = next((r for r in _private_roots if r == absolute or r in absolute.parents), None)
        if root is not None:
            _private_folders(folder, root)
            return PRIVATE_FILE
    folder.mkdir(parents=True, exist_ok=True)
    return _FILE_MODE


def _temporary(path: Path) -> str:
    """The prefix of `path`'s temporary siblings (so errors name the file the user knows instead)."""
    return f".{path.name}."


def write_bytes(path: Path, data: bytes) -> None:
    hidden = str(path.parent / _temporary(path))
    try:
        mode = folder_for(path)
        fd, tmp = tempfile.mkstemp(prefix=_temporary(path), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FilesystemError.from_os_error(exc, path, temporary=hidden) from None
    try:
        if hasattr(os, "fchmod"):  # Windows has it only from Python 3.13, and no modes to set
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise FilesystemError.from_os_error(exc, path, temporary=hidden) from None
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def copy_file(source: Path, target: Path) -> None:
    """Copy through a temporary sibling so that an interrupted copy leaves no partial file."""
    hidden = str(target.parent / _temporary(target))
    try:
        mode = folder_for(target)
        fd, tmp = tempfile.mkstemp(prefix=_temporary(target), suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise FilesystemError.from_os_error(exc, target, temporary=hidden) from None
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a failed read names the source; a failed write, the target
            raise FilesystemError.from_os_error(exc, target, temporary=hidden) from None
        raise
