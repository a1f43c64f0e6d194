"""No path leaves the project: every file read from content or templates is resolved and confined.

A content repository is edited by many people and merged from branches; a symbolic link
in it (``body.png -> /etc/passwd``, a template linked to ``~/.ssh/id_ed25519``) would
otherwise carry a file of the machine that renders or publishes into a variant, and from
there to a platform. So every path taken from content, front matter or a template is
resolved (links followed, ``..`` collapsed) and must land inside the project root; a link
to another file inside the project is fine. A path that escapes is refused with the file
named as the user wrote it, never read.
"""

from __future__ import annotations

import errno
import hashlib
import os
from functools import cache
from pathlib import Path

from mediactl.core.errors import MediactlError, relpath

CHUNK = 1 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX: the resolved path must not have become a link since
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class OutsideProjectError(MediactlError):
    """A path in content or templates resolves to a file outside the project (a link, or `..`)."""


@cache
def _real(root: Path) -> Path:
    return root.resolve()


def confined(path: Path, root: Path, *, what: str = "file") -> Path:
    """`path` resolved, after proving it lies inside `root`; OutsideProjectError naming it otherwise.

    A missing file is not this function's business: the caller's own read reports it.
    """
    real_root = _real(root)
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:  # a link loop
        raise OutsideProjectError(f"{relpath(path, root)}: {what} cannot be resolved ({exc})") from None
    if real != real_root and not real.is_relative_to(real_root):
        shown = relpath(path, root)
        raise OutsideProjectError(
            f"{shown}: {what} leads outside the project"
            + (" through a symbolic link" if _has_link(path, root) else "")
            + "; mediactl reads only files inside the project, so nothing was read",
            hint="replace the link with a copy of the file inside the project",
        )
    return real


def _has_link(path: Path, root: Path) -> bool:
    current = path
    while True:
        if current.is_symlink():
            return True
        if current == root or current.parent == current:
            return False
        current = current.parent


def open_confined(path: Path, root: Path, *, what: str = "file") -> int:
    """A read-only file descriptor of `path` once confined (the caller closes it)."""
    real = confined(path, root, what=what)
    return os.open(real, os.O_RDONLY | _NOFOLLOW | _BINARY)


def open_in(folder: Path, name: str, root: Path, *, what: str = "file") -> int:
    """A read-only descriptor of file `name` directly inside `folder`, a folder already `confined`.

    The fast path for the many files of one folder (a variant's): with the folder resolved once,
    refusing a link as the file itself (O_NOFOLLOW) keeps the read inside, with no per-file
    resolve. Where that flag does not exist (Windows), or the file is a link, the full check runs.
    """
    if _NOFOLLOW and name and "/" not in name and "\\" not in name and name not in (".", ".."):
        try:
            return os.open(folder / name, os.O_RDONLY | _NOFOLLOW | _BINARY)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
    return open_confined(folder / name, root, what=what)


def read_bytes(path: Path, root: Path, *, what: str = "file") -> bytes:
    """The bytes of a file inside the project; OutsideProjectError for one outside it."""
    with os.fdopen(open_confined(path, root, what=what), "rb") as handle:
        return handle.read()


def read_text(path: Path, root: Path, *, what: str = "file") -> str:
    return read_bytes(path, root, what=what).decode("utf-8")


def sha256_file(path: Path, root: Path, *, what: str = "file") -> tuple[str, int]:
    """(sha256 hex, size) of a file inside the project, read in chunks (a video need not fit in memory)."""
    return sha256_fd(open_confined(path, root, what=what))


def sha256_fd(fd: int) -> tuple[str, int]:
    """(sha256 hex, size) of what an open descriptor holds; closes it."""
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
