"""Atomic file writes: a reader (or a crash) never sees a half-written file.

Every file mediactl produces is written to a temporary sibling, flushed to disk,
then renamed over the target, which POSIX guarantees to be atomic. A write that fails
(read-only folder, full disk, no permission) leaves no temporary file and raises a
`FilesystemError` naming the path, never a bare OSError.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from mediactl.errors import FilesystemError

_UMASK = os.umask(0o022)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK  # mkstemp creates 0600 files; published files follow the umask


def _temporary(path: Path) -> str:
    """The prefix of `path`'s temporary siblings (so errors name the file the user knows instead)."""
    return f".{path.name}."


def write_bytes(path: Path, data: bytes) -> None:
    hidden = str(path.parent / _temporary(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_temporary(path), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FilesystemError.from_os_error(exc, path, temporary=hidden) from None
    try:
        if hasattr(os, "fchmod"):  # POSIX; Windows files have no mode bits to set
            os.fchmod(fd, _FILE_MODE)
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
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_temporary(target), suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise FilesystemError.from_os_error(exc, target, temporary=hidden) from None
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a failed read names the source; a failed write, the target
            raise FilesystemError.from_os_error(exc, target, temporary=hidden) from None
        raise
