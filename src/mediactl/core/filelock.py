"""An exclusive lock on an open file, on POSIX and on Windows, for appenders in several processes.

The audit log is one hash chain that concurrent runs (cron, an editor's terminal) append
to: each must read the chain's tail and append under one lock. POSIX has `flock`; Windows
has `msvcrt.locking`, which locks a byte range and gives up after about 10 s, so it is
retried. Both locks are advisory between mediactl processes, which is all the chain needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only (sys.platform: what mypy reads)
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # the first byte stands for the whole file
                return
            except OSError:  # LK_LOCK retried for ~10 s: another run holds it; keep waiting
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def exclusive(fd: int) -> Iterator[None]:
    """Hold the file's exclusive lock for the block (waits for another process to release it)."""
    _lock(fd)
    try:
        yield
    finally:
        _unlock(fd)
