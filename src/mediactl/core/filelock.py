"""An exclusive lock on an open file, on POSIX and on Windows, for appenders in several processes.

The audit log is one hash chain that concurrent runs (cron, an editor's terminal) append
to: each must read the chain's tail and append under one lock. portalocker takes it on the
log's own open descriptor (`flock` on POSIX, `msvcrt.locking` on Windows), so there is no
separate lock file to leave behind or to get out of step with the log, as `filelock`'s would.
The lock is advisory between mediactl processes on POSIX, which is all the chain needs; on
Windows it is the log's first 64 KiB (it was its first byte), mandatory there as before.

Two things portalocker leaves to its caller, done here:
- a blocking lock on Windows gives up after about 10 s while another process holds it
  (`msvcrt.locking` retries ten times, then portalocker raises AlreadyLocked): it is asked
  again, so an appender waits as long as it takes, as on POSIX;
- its errors are not OSErrors: the OSError beneath is raised instead, so the audit log
  reports a failed lock like any failed write, naming its file.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a lock is taken: portalocker's import pulls in importlib.metadata (and email),
    import portalocker  # ~15-30 ms of every command's start-up, `check` included, which takes no lock


@contextmanager
def exclusive(fd: int) -> Iterator[None]:
    """Hold the file's exclusive lock for the block (waits for another process to release it)."""
    import portalocker  # lazy: start-up (see the TYPE_CHECKING import above)

    _lock(fd)
    try:
        yield
    finally:
        try:
            portalocker.unlock(fd)
        except portalocker.LockException as exc:
            raise _os_error(exc) from None


def _lock(fd: int) -> None:
    import portalocker  # lazy: start-up (see the TYPE_CHECKING import above)

    while True:
        try:
            portalocker.lock(fd, portalocker.LockFlags.EXCLUSIVE)
            return
        except portalocker.AlreadyLocked:  # Windows gave up after ~10 s; POSIX's flock never does
            continue
        except portalocker.LockException as exc:
            raise _os_error(exc) from None


def _os_error(exc: portalocker.LockException) -> OSError:
    """The OSError portalocker wrapped, or one that says the lock failed."""
    cause = exc.__cause__
    return cause if isinstance(cause, OSError) else OSError(errno.ENOLCK, f"cannot lock the file ({exc})")


class Held(Exception):
    """Another process holds the lock; `holder` is what it wrote in the lock file (who, since when), or ''."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


@contextmanager
def held_or_refused(path: Path, holder: str) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block, or raise `Held` at once when another process has it.

    For a command that must not overlap itself (`mediactl run` from cron every few minutes while a long video
    encode is still going): the second one says who holds it and does nothing, instead of waiting behind it.
    The lock is the open file's (portalocker: `flock` on POSIX, `msvcrt.locking` on Windows), so it ends with
    the process however it ends, and a file left behind by a killed run locks nothing. `holder` is written into
    the file for the next one's message."""
    import portalocker  # lazy: start-up (see the TYPE_CHECKING import above)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            portalocker.lock(fd, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.AlreadyLocked:
            raise Held(_read_holder(path)) from None
        except portalocker.LockException as exc:
            raise _os_error(exc) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, holder.encode("utf-8"))
        try:
            yield
        finally:
            portalocker.unlock(fd)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> str:
    try:
        return path.read_text("utf-8", errors="replace").strip()[:200]
    except OSError:  # on Windows the locked region cannot be read: the message does without it
        return ""
