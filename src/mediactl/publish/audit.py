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

The audit-first rule: nothing changes state unless its audit record is written.
- A change to the state store writes its record inside the store transaction that makes
  the change, after the change and before COMMIT (`Store`'s `audit` hooks). A record that
  cannot be written (read-only or full disk, a damaged last line) rolls the change back:
  the store is exactly as it was. A COMMIT that fails after the record was written is
  followed by a `record.void` record naming it, so the log never claims a change that did
  not happen; should even that fail, the store is behind the log and `publish` refuses
  until an operator resolves it (publish/integrity.py).
- A change to a file (`review`'s status line) is made, then recorded; a record that
  cannot be written puts the file's old bytes back.
- A delivery is the one exception, because the post has already gone out: its outcome
  is committed to the store first (so it is never sent again), then recorded. If the
  record cannot be written, it is kept in the store's `unlogged` table and written,
  marked `late`, before anything else is published; the error says so.
- Before delivering, `check_appendable` makes sure a record could be written at all
  (the log opens for appending, its last record is whole, the disk has room), so no
  post goes out that could not be recorded.
A damaged log is an error naming its line (`audit.jsonl:LINE: …`): nothing is ever
appended after a record that does not parse or does not match its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.core import filelock, fsutil
from mediactl.core.errors import MediactlError, os_error_reason
from mediactl.core.redaction import REDACTED, redact, register_secret, secret_name

if TYPE_CHECKING:
    from mediactl.config.model import Config

GENESIS = "0" * 64
VOID = "record.void"  # names a record whose change was not saved (its COMMIT failed after it was written)
DAMAGED_HINT = (
    "the log is append-only and hash-chained, so mediactl writes nothing after a damaged record. "
    "Run `mediactl log verify`, restore audit.jsonl from a backup, then run the command again."
)


class AuditError(MediactlError):
    """The audit log cannot take a record (read-only, full, damaged): what needed the record was not done.

    Exit code 2, like any file-system or configuration problem: the operator's to fix.
    """


@dataclass(frozen=True)
class Position:
    """A record's identity (sequence number and hash) and place (line, byte offset), to read on from it."""

    seq: int
    hash: str
    line: int
    offset: int | None = None  # None: found by its seq and hash


@dataclass(frozen=True)
class Entry:
    line: int
    offset: int
    record: dict[str, Any]

    @property
    def position(self) -> Position:
        return Position(int(self.record["seq"]), self.record["hash"], self.line, self.offset)


@dataclass(frozen=True)
class Broken:
    line: int
    reason: str


KEY_ENV = "MEDIACTL_AUDIT_KEY"
KEYED = "hmac-sha256"  # a record's `mac`: its hash is an HMAC under the team's audit key
ANCHOR_FILE = "audit-anchor.json"
_key: bytes | None = None


def use_key(key: str | None) -> None:
    """The audit key for this process (MEDIACTL_AUDIT_KEY, from the environment or the project's .env).

    With a key, every new record is authenticated (HMAC-SHA256 over the record, the previous hash
    included), so a person who can write `.mediactl/` can no longer rewrite the log and recompute
    its hashes. The key is held outside the repository and never written anywhere.
    """
    global _key
    _key = key.encode("utf-8") if key else None
    if key:
        register_secret(key)


def use_project_key(config: Config) -> None:
    """The project's audit key: MEDIACTL_AUDIT_KEY from the environment or the project's .env."""
    use_key(config.environment().get(KEY_ENV))


def _key_for(record: dict[str, Any]) -> bytes | None:
    if record.get("mac") != KEYED:
        return None
    key = _key or (os.environ.get(KEY_ENV) or "").encode("utf-8")
    if not key:
        raise AuditError(
            f"record {record.get('seq')} of the audit log is authenticated with {KEY_ENV}, which is not set; "
            "the log cannot be verified or extended without it",
            hint=f"set {KEY_ENV} (the team's audit key, kept outside the repository) in the environment or .env",
        )
    return key


def _digest(record: dict[str, Any]) -> str:
    body = {key: value for key, value in record.items() if key != "hash"}
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    key = _key_for(record)
    return hmac.new(key, data, hashlib.sha256).hexdigest() if key else hashlib.sha256(data).hexdigest()


def _keyed() -> bool:
    return bool(_key or os.environ.get(KEY_ENV))


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
            previous, seq = _tail(fd, size, self.path)
            records, lines = [], []
            for entry in entries:
                seq += 1
                record = {"seq": seq, **entry, "prev": previous, **({"mac": KEYED} if _keyed() else {})}
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


def _damaged(path: Path, line: int, reason: str) -> AuditError:
    return AuditError(f"{path}:{line}: {reason}; nothing was changed.", hint=DAMAGED_HINT)


def _tail(fd: int, size: int, path: Path) -> tuple[str, int]:
    """The hash and sequence number of the last record, which must be whole: a valid record, ending its line.

    Read backwards in bytes (the log only grows), because a block boundary may fall inside a multi-byte
    character: a line is used only once a line end (or the file's start) is seen before it.
    """
    if size and os.pread(fd, 1, size - 1) != b"\n":
        raise _damaged(path, _line_at(fd, size), "the last line is cut short (it has no line end)")
    block = min(size, 4096)  # records are a few hundred bytes: one small read nearly always suffices
    while block:
        body = os.pread(fd, block, size - block).rstrip()
        start = body.rfind(b"\n") + 1
        if body and (start or block == size):
            last = _whole_record(body[start:])
            if last is None:
                raise _damaged(path, _line_at(fd, size - block + start), "the last record is not a valid record")
            if last["hash"] != _digest(last):
                raise _damaged(
                    path, _line_at(fd, size - block + start), "the last record was changed after it was written"
                )
            return last["hash"], int(last["seq"])
        if block == size:
            break
        block = min(size, block * 2)
    return GENESIS, 0


def _whole_record(line: bytes) -> dict[str, Any] | None:
    """A parsed record with its chain fields, or None (not JSON, cut short, or not one of ours)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("hash"), str)
        or not isinstance(record.get("seq"), int)
    ):
        return None
    return record


def _line_at(fd: int, offset: int) -> int:
    """The 1-based line number of the byte at `offset` (for error messages only: reads the file up to it)."""
    lines, done = 1, 0
    while done < offset:
        chunk = os.pread(fd, min(1 << 20, offset - done), done)
        if not chunk:
            break
        lines, done = lines + chunk.count(b"\n"), done + len(chunk)
    return lines


def check_appendable(path: Path, *, room: int = 0) -> None:
    """Raise AuditError unless a record could be appended now: the log opens for appending (a new descriptor,
    so a folder made read-only since is seen), its last record is whole, and the disk has `room` bytes free.
    For work that cannot be taken back once begun: a delivery must not go out if it could not be recorded."""
    fd = _open_for_append(path)
    try:
        _tail(fd, os.fstat(fd).st_size, path)
    except OSError as exc:
        raise _os_error(path, exc) from None
    finally:
        os.close(fd)
    free = shutil.disk_usage(path.parent).free
    if free < room:
        raise AuditError(
            f"{path}: only {free} bytes are free on its disk; nothing was published.",
            hint="free space on that disk, then run the command again",
        )


def close(path: Path) -> None:
    """Close this process's descriptor on the log (a command ends; the next one opens the file anew)."""
    with _WRITERS_LOCK:
        writer = _WRITERS.pop(path.absolute(), None)
    if writer is not None:
        writer.close()


def entries_after(path: Path, position: Position | None) -> Iterator[Entry]:
    """The records after `position` (every record when None), each checked against the chain as it is read.

    Raises AuditError naming the line of a record that is damaged or out of chain, or when the log no longer
    holds `position` (it was truncated, replaced or rewritten). A last line without its line end is being
    written by another process: it is left for the next reader.
    """
    if not path.exists():
        if position is not None:
            raise _lost(path, position)
        return
    with open(path, "rb") as handle:
        previous, line, offset = GENESIS, 0, 0
        if position is not None:
            line, offset = _seek_past(handle, path, position)
            previous = position.hash
        for raw in handle:
            line, start, offset = line + 1, offset, offset + len(raw)
            if not raw.endswith(b"\n"):
                return
            if not raw.strip():
                continue
            record = _whole_record(raw)
            if record is None:
                raise _damaged(path, line, "not a valid record")
            if record.get("prev") != previous:
                raise _damaged(
                    path, line, "this record does not follow the one before it (removed, reordered or inserted)"
                )
            if record["hash"] != _digest(record):
                raise _damaged(path, line, "this record was changed after it was written")
            previous = record["hash"]
            yield Entry(line, start, record)


def _seek_past(handle: Any, path: Path, position: Position) -> tuple[int, int]:
    """Move `handle` just past the record at `position`; (its line, the offset after it)."""
    if position.offset is not None:
        handle.seek(position.offset)
        raw = handle.readline()
        record = _whole_record(raw)
        if record is not None and (record["seq"], record["hash"]) == (position.seq, position.hash):
            return position.line, position.offset + len(raw)
        handle.seek(0)
    offset = 0
    for line, raw in enumerate(handle, start=1):  # moved (rewritten?): look for it by what it is
        offset += len(raw)
        record = _whole_record(raw)
        if record is not None and (record["seq"], record["hash"]) == (position.seq, position.hash):
            return line, offset
    raise _lost(path, position)


def _lost(path: Path, position: Position) -> AuditError:
    return AuditError(
        f"{path}: the log no longer holds record {position.seq} (line {position.line}), which the state store "
        "was last checked against: it was truncated, replaced or rewritten; nothing was changed.",
        hint="restore audit.jsonl from a backup; if it is lost for good, record that with "
        '`mediactl state accept-loss --reason "…"`',
    )


def records(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    raise _damaged(path, number, "not a JSON record") from None


def verify(path: Path, anchor: dict[str, Any] | None = None) -> tuple[int, Broken | None]:
    """(records checked, the first break or None).

    With the audit key set, every record must be authenticated: a log rewritten without MACs and with
    fresh plain hashes is forgery (without the key, a keyed record cannot be checked at all: an error).
    Set the key before the first record of a state folder: records written before it read as not
    authenticated. With an `anchor` (a head the team recorded where it can see
    it, `mediactl log anchor`), a log that ends before the anchored record, or differs from it
    there, is cut short or rewritten, even when its chain is whole.
    """
    previous, count, anchored = GENESIS, 0, anchor is None
    must_be_keyed = _keyed()  # with the key set, every record must carry its MAC: stripping them all is forgery too
    if not path.exists():
        return 0, (None if anchor is None else Broken(0, f"the log is missing, but record {anchor['seq']} is anchored"))
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
            if must_be_keyed and record.get("mac") != KEYED:
                return count, Broken(number, f"is not authenticated with {KEY_ENV}: forged, or written without the key")
            if record.get("hash") != _digest(record):
                return count, Broken(number, "its content was changed after it was written")
            if anchor is not None and record.get("seq") == anchor.get("seq"):
                if record["hash"] != anchor.get("hash"):
                    return count, Broken(number, f"differs from the anchored record {anchor['seq']} ({ANCHOR_FILE})")
                anchored = True
            previous, count = record["hash"], count + 1
    if not anchored:
        return count, Broken(count + 1, f"the log ends before the anchored record {anchor['seq']} ({ANCHOR_FILE}): cut short")  # type: ignore[index]
    return count, None


def keyed_records(path: Path) -> int:
    """How many records are authenticated with the audit key."""
    return sum(1 for record in records(path) if record.get("mac") == KEYED) if path.exists() else 0


def read_anchor(root: Path) -> dict[str, Any] | None:
    """The anchor committed in the project (`audit-anchor.json`), or None when there is none."""
    try:
        data = json.loads((root / ANCHOR_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AuditError(f"{ANCHOR_FILE}: cannot read the audit anchor ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("seq"), int) or not isinstance(data.get("hash"), str):
        raise AuditError(f"{ANCHOR_FILE}: not an audit anchor (it needs seq and hash)")
    return data


def write_anchor(root: Path, path: Path) -> dict[str, Any]:
    """Record the log's current head in the project (to commit, so truncation shows against it)."""
    head = next(iter(deque(records(path), maxlen=1)), None)  # the last record
    if head is None:
        raise AuditError(f"{path.name}: the audit log is empty; there is nothing to anchor")
    anchor = {"seq": head["seq"], "hash": head["hash"], "time": head["time"]}
    fsutil.write_text(root / ANCHOR_FILE, json.dumps(anchor, indent=2) + "\n")
    return anchor


def since(path: Path, moment: float | None) -> list[dict[str, Any]]:
    if moment is None:
        return list(records(path))
    return [r for r in records(path) if datetime.fromisoformat(r["time"]).timestamp() >= moment]


def now() -> float:
    return time.time()
