"""The audit log kept in a file: `.mediactl/audit.jsonl`, one record per line, appended under a file lock.

The chain itself (record format, hashes, MACs, verification) is publish/audit.py's; this module only
keeps the records: it finds the last one, appends lines and reads them back.

Appends are serialised across processes with an exclusive lock on the log's own descriptor
(core/filelock.py). Group commit: `append` returns only once its record is on disk (fsync), but
threads of one process that append at the same time share one lock, one read of the chain's tail,
one write and one fsync. The first thread to arrive writes everything queued so far, the others
wait for it. Concurrent delivery appends one record per job from many threads: one fsync each
serialised them all (the publish benchmark's main cost).

A write that fails (disk full) leaves no bytes behind: the file is cut back to its size. A last
line without its line end is a record cut short: nothing is appended after it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from mediactl.core import filelock, fsutil
from mediactl.core.errors import os_error_reason
from mediactl.publish.audit import AuditError, Damage, Kept, Position, damaged, link, lost, whole_record


class FileLog:
    """The records of one log file (see the module doc); a cheap handle: the open descriptor is per process."""

    transactional = False  # a record is on disk before its change commits: `record.void` if the COMMIT fails

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.where = str(path)

    def at(self, line: int) -> str:
        return f"{self.path}:{line}"

    def place(self, line: int) -> str:
        return f"on line {line}"

    def exists(self) -> bool:
        return self.path.exists()

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        return _writer(self.path).append(entry)

    def adopt(self, texts: list[str]) -> None:
        """Keep records moved from another log (`state import`) as they are, in place of an empty log: the file
        written whole (a temporary file, fsync, rename), so it is never seen half imported."""
        fsutil.write_text(self.path, "".join(text + "\n" for text in texts))
        fsutil.private_file(self.path)

    def read(self, after: Position | None = None) -> Iterator[Kept]:
        """The records after `after` (all when None), in order. Raises AuditError when the log no longer holds
        `after` (it was truncated, replaced or rewritten). The last line without its line end is `whole=False`."""
        if not self.path.exists():
            if after is not None:
                raise lost(self, after)
            return
        with open(self.path, "rb") as handle:
            line, offset = (0, 0) if after is None else self._seek_past(handle, after)
            for raw in handle:
                line, start, offset = line + 1, offset, offset + len(raw)
                if raw.strip():
                    yield Kept(raw.rstrip(b"\r\n"), line, start, raw.endswith(b"\n"))

    def _seek_past(self, handle: BinaryIO, position: Position) -> tuple[int, int]:
        """Move `handle` just past the record at `position`; (its line, the offset after it)."""
        if position.offset is not None:
            handle.seek(position.offset)
            raw = handle.readline()
            if _is(raw, position):
                return position.line, position.offset + len(raw)
            handle.seek(0)
        offset = 0
        for line, raw in enumerate(handle, start=1):  # moved (rewritten?): look for it by what it is
            offset += len(raw)
            if _is(raw, position):
                return line, offset
        raise lost(self, position)

    def check_appendable(self, room: int) -> None:
        """A new descriptor (so a folder made read-only since is seen), a whole last record, `room` bytes free."""
        fd = _open_for_append(self.path)
        try:
            _linked(fd, os.fstat(fd).st_size, self, ())
        except OSError as exc:
            raise _os_error(self.path, exc) from None
        finally:
            os.close(fd)
        free = shutil.disk_usage(self.path.parent).free
        if free < room:
            raise AuditError(
                f"{self.path}: only {free} bytes are free on its disk; nothing was published.",
                hint="free space on that disk, then run the command again",
            )

    def close(self) -> None:
        with _WRITERS_LOCK:
            writer = _WRITERS.pop(self.path.absolute(), None)
        if writer is not None:
            writer.close()


def _is(raw: bytes, position: Position) -> bool:
    record = whole_record(raw)
    return record is not None and (record["seq"], record["hash"]) == (position.seq, position.hash)


class _Writer:
    """One per log file and process: queues entries and writes them in groups (see the module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = FileLog(path)
        self.fd: int | None = None  # kept open between groups (opening cost more than writing)
        self.queue: list[tuple[dict[str, Any], _Pending]] = []
        self.queue_lock = threading.Lock()
        self.write_lock = threading.Lock()  # the group writer; followers wait on their _Pending

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        pending = _Pending()
        with self.queue_lock:
            self.queue.append((entry, pending))
        while not pending.done.is_set():
            if self.write_lock.acquire(timeout=0.05):
                try:
                    if not pending.done.is_set():
                        self._write_group()
                finally:
                    self.write_lock.release()
        if pending.error is not None:
            raise pending.error
        assert pending.record is not None
        return pending.record

    def _write_group(self) -> None:
        with self.queue_lock:
            group, self.queue = self.queue, []
        if not group:
            return
        try:
            records = self._write(entry for entry, _ in group)
        except BaseException as exc:  # every waiter learns that its record was not written
            for _, pending in group:
                pending.fail(exc)
            raise
        for (_, pending), record in zip(group, records, strict=True):
            pending.finish(record)

    def close(self) -> None:
        with self.write_lock:  # never under a group being written
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None

    def _open(self) -> int:
        """The log's descriptor (append, unbuffered); reopened when the file at the path is another one."""
        if self.fd is not None:
            try:
                if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                    return self.fd
            except FileNotFoundError:
                pass
            os.close(self.fd)
            self.fd = None
        self.fd = _open_for_append(self.path)
        return self.fd

    def _write(self, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Under the file lock: read the chain's tail, append the group, fsync. Unbuffered on purpose: a write
        that fails (disk full) must not leave bytes behind to surface later; the file is cut back to its size."""
        try:
            return self._append_locked(self._open(), entries)
        except OSError as exc:
            raise _os_error(self.path, exc) from None

    def _append_locked(self, fd: int, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        with filelock.exclusive(fd):  # other processes append to the same chain
            size = os.fstat(fd).st_size
            linked = _linked(fd, size, self.log, entries)
            data = memoryview("".join(text + "\n" for _, text in linked).encode("utf-8"))
            try:
                while data:
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            except BaseException:
                os.ftruncate(fd, size)  # no partial group: the chain ends where it ended
                raise
            return [record for record, _ in linked]


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.record: dict[str, Any] | None = None
        self.error: BaseException | None = None

    def finish(self, record: dict[str, Any]) -> None:
        self.record = record
        self.done.set()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.done.set()


_WRITERS: dict[Path, _Writer] = {}
_WRITERS_LOCK = threading.Lock()


_OPEN_WRITERS = 8  # logs kept open per process (a process writes one; tests and tools may touch many)


def _writer(path: Path) -> _Writer:
    key = path.absolute()
    with _WRITERS_LOCK:
        writer = _WRITERS.pop(key, None) or _Writer(key)
        _WRITERS[key] = writer  # most recently used last
        while len(_WRITERS) > _OPEN_WRITERS:
            _WRITERS.pop(next(iter(_WRITERS))).close()
        return writer


def _open_for_append(path: Path) -> int:
    """A new descriptor on the log (read-write, append, unbuffered), the folder created if needed."""
    try:
        fsutil.folder_for(path)  # the state folder: 0700
        fsutil.private_file(path)  # created 0600 (an older, wider log is tightened)
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise _os_error(path, exc) from None


def _os_error(path: Path, exc: OSError) -> AuditError:
    reason, hint = os_error_reason(exc)
    return AuditError(f"{path}: cannot write the audit log ({reason}).", hint=hint)


def _linked(fd: int, size: int, log: FileLog, entries: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """`entries` chained after the log's last record (audit.link), which must be whole; its line named if not."""
    last, start = _last_line(fd, size, log)
    try:
        return link(last, entries)
    except Damage as damage:
        raise damaged(log, _line_at(fd, start), damage.reason) from None


def _last_line(fd: int, size: int, log: FileLog) -> tuple[bytes | None, int]:
    """The last non-blank line, which must end with its line end, and its offset; None when the log is empty.

    Read backwards in bytes (the log only grows), because a block boundary may fall inside a multi-byte
    character: a line is used only once a line end (or the file's start) is seen before it.
    """
    if size and os.pread(fd, 1, size - 1) != b"\n":
        raise damaged(log, _line_at(fd, size), "the last line is cut short (it has no line end)")
    block = min(size, 4096)  # records are a few hundred bytes: one small read nearly always suffices
    while block:
        body = os.pread(fd, block, size - block).rstrip()
        start = body.rfind(b"\n") + 1
        if body and (start or block == size):
            return body[start:], size - block + start
        if block == size:
            break
        block = min(size, block * 2)
    return None, 0


def _line_at(fd: int, offset: int) -> int:
    """The 1-based line number of the byte at `offset` (for error messages only: reads the file up to it)."""
    lines, done = 1, 0
    while done < offset:
        chunk = os.pread(fd, min(1 << 20, offset - done), done)
        if not chunk:
            break
        lines, done = lines + chunk.count(b"\n"), done + len(chunk)
    return lines
