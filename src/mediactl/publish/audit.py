"""The audit log: append-only JSON lines, each record carrying the hash of the one before.

Anyone can read it (`mediactl log`), nobody can quietly edit it: changing, removing or
reordering a record breaks the chain, and `mediactl log verify` names the first broken
record. Appends are serialised across processes with an exclusive file lock. Records hold
summaries, remote ids and URLs, never a secret (every value passes through `redact`).

Group commit: `append` returns only once its record is on disk (fsync), but threads of
one process that append at the same time share one lock, one read of the chain's tail,
one write and one fsync. The first thread to arrive writes everything queued so far,
the others wait for it. Concurrent delivery appends one record per job from many
threads: one fsync each serialised them all (the publish benchmark's main cost).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediactl import fsutil
from mediactl.credentials import REDACTED, redact, secret_name
from mediactl.errors import MediactlError

GENESIS = "0" * 64


class AuditError(MediactlError):
    exit_code = 1


@dataclass(frozen=True)
class Broken:
    line: int
    reason: str


def _digest(record: dict[str, Any]) -> str:
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(
        json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def append(path: Path, actor: str, action: str, **fields: Any) -> dict[str, Any]:
    """Add one record (time, actor, action, and any fields) and return it, chained and on disk."""
    entry = _clean({
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "actor": actor,
        "action": action,
        **{key: value for key, value in fields.items() if value not in (None, "")},
    })  # fmt: skip
    return _writer(path).append(entry)


class _Writer:
    """One per log file and process: queues entries and writes them in groups (see the module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = path
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
        fsutil.folder_for(self.path)
        fsutil.private_file(self.path)
        self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        return self.fd

    def _write(self, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Under the file lock: read the chain's tail, append the group, fsync. Unbuffered on purpose: a write
        that fails (disk full) must not leave bytes behind to surface later; the file is cut back to its size."""
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)  # other processes append to the same chain
        try:
            size = os.fstat(fd).st_size
            previous, seq = _tail(fd, size)
            records, lines = [], []
            for entry in entries:
                seq += 1
                record = {"seq": seq, **entry, "prev": previous}
                record["hash"] = previous = _digest(record)
                records.append(record)
                lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            data = memoryview("".join(lines).encode("utf-8"))
            try:
                while data:
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            except BaseException:
                os.ftruncate(fd, size)  # no partial group: the chain ends where it ended
                raise
            return records
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


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


def _clean(value: Any) -> Any:
    """`value` with secrets redacted: in every text, and the whole value of a field named like a secret."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: REDACTED if secret_name(str(k)) else _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _tail(fd: int, size: int) -> tuple[str, int]:
    """The hash and sequence number of the last record (read backwards, in bytes: the log only grows).

    Bytes, because a block boundary may fall inside a multi-byte character: the (partial) first
    line of a block is never used; a block holding two line ends holds the last record whole.
    """
    block = min(size, 4096)  # records are a few hundred bytes: one small read nearly always suffices
    while block:
        lines = [line for line in os.pread(fd, block, size - block).split(b"\n") if line.strip()]
        whole = lines[-1:] if block == size else lines[1:][-1:]  # the first line of a block may be cut
        if whole:
            last = json.loads(whole[0])
            return last["hash"], int(last["seq"])
        if block == size:
            break
        block = min(size, block * 2)
    return GENESIS, 0


def records(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def verify(path: Path) -> tuple[int, Broken | None]:
    """(records checked, the first break or None)."""
    previous, count = GENESIS, 0
    if not path.exists():
        return 0, None
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                return count, Broken(number, "not a JSON record")
            if record.get("prev") != previous:
                return count, Broken(number, "does not follow the previous record (removed, reordered or inserted)")
            if record.get("hash") != _digest(record):
                return count, Broken(number, "its content was changed after it was written")
            previous, count = record["hash"], count + 1
    return count, None


def since(path: Path, moment: float | None) -> list[dict[str, Any]]:
    if moment is None:
        return list(records(path))
    return [r for r in records(path) if datetime.fromisoformat(r["time"]).timestamp() >= moment]


def now() -> float:
    return time.time()
