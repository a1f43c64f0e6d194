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
from collections.abc import Iterator
from contextlib import contextmanager

import portalocker


@contextmanager
def exclusive(fd: int) -> Iterator[None]:
    """Hold the file's exclusive lock for the block (waits for another process to release it)."""
    _lock(fd)
    try:
        yield
    finally:
        try:
            portalocker.unlock(fd)
        except portalocker.LockException as exc:
            raise _os_error(exc) from None


def _lock(fd: int) -> None:
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
