"""The audit log: append-only records, each carrying the hash of the one before.

Anyone can read it (`mediactl log`), nobody can quietly edit it: changing, removing or
reordering a record breaks the chain, and `mediactl log verify` names the first broken
record. Records hold summaries, remote ids and URLs, never a secret (every value passes
through `redact`).

This module is the chain, wherever its records are kept: the record format, the hashes and
MACs that link each record to the one before, verification, and the anchor a log is compared
with. Where the records are kept is a `LogStorage`: the JSON-lines file `.mediactl/audit.jsonl`
(publish/auditfile.py: appends serialised by a file lock, group commit). Each storage keeps a
record as the one line of JSON text the chain wrote, byte for byte, so a log moved from one
storage to another still verifies. The module's functions take a storage, or a path for the file.

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
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mediactl.core import fsutil
from mediactl.core.errors import MediactlError
from mediactl.core.redaction import REDACTED, redact, register_secret, secret_name
from mediactl.core.times import moment

if TYPE_CHECKING:
    from mediactl.config.model import Config

GENESIS = "0" * 64
VOID = "record.void"  # names a record whose change was not saved (its COMMIT failed after it was written)
DAMAGED_HINT = (
    "the log is append-only and hash-chained, so mediactl writes nothing after a damaged record. "
    "Run `mediactl log verify`, restore the log (audit.jsonl, or the store's audit table) from a backup, then run "
    "the command again."
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


@dataclass(frozen=True)
class Kept:
    """One record as its storage keeps it: the JSON text the chain wrote (no line end), and where it is."""

    text: bytes
    line: int  # the file's line; a table's sequence number
    offset: int  # where a reader finds it again quickly (the file's byte offset)
    whole: bool = True  # False: the file's last line, still being written (no line end yet)


class LogStorage(Protocol):
    """Where a log's records are kept (a file, a database table); the chain is this module's.

    `append` links the entry to the last record kept with `link`, under a lock that every appender of the
    log (every thread, process and host) takes, and keeps it durably: all of it, or nothing.
    """

    name: str  # how messages name the log in short ("audit.jsonl")
    where: str  # and in full ("/srv/media/.mediactl/audit.jsonl")
    transactional: bool  # records appended inside a store transaction commit or roll back with it

    def at(self, line: int) -> str:
        """Where a record is, to start an error message ("…/audit.jsonl:3")."""
        ...

    def place(self, line: int) -> str:
        """Where a record is, inside a sentence ("on line 3")."""
        ...

    def exists(self) -> bool: ...

    def append(self, entry: dict[str, Any]) -> dict[str, Any]: ...

    def adopt(self, texts: list[str]) -> None:
        """Keep records moved from another log (`state import`) as they are, byte for byte; the log is empty."""
        ...

    def read(self, after: Position | None = None) -> Iterator[Kept]:
        """The records after `after` (all when None), in order; AuditError (`lost`) when `after` is not held."""
        ...

    def check_appendable(self, room: int) -> None: ...

    def close(self) -> None: ...


Log = Path | LogStorage  # a path stands for the file log at that path


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


def append(log: Log, actor: str, action: str, **fields: Any) -> dict[str, Any]:
    """Add one record (time, actor, action, and any fields) and return it, chained and kept."""
    entry = _clean({
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "actor": actor,
        "action": action,
        **{key: value for key, value in fields.items() if value not in (None, "")},
    })  # fmt: skip
    return storage(log).append(entry)


def storage(log: Log) -> LogStorage:
    """The storage a log is kept in: a path is the file log there."""
    if isinstance(log, Path):
        from mediactl.publish.auditfile import FileLog  # lazy: cycle, auditfile builds on this module

        return FileLog(log)
    return log


class Damage(Exception):
    """A record that is not whole, before its storage names where it is (see `damaged`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def link(last: bytes | None, entries: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """`entries` chained after the last record kept (None: the log is empty): each record and the one line of
    JSON text to keep. The last record must be whole (a valid record matching its hash), else Damage: nothing
    is ever appended after a damaged record. Storages call this under their appenders' lock."""
    previous, seq = _head(last)
    linked = []
    for entry in entries:
        seq += 1
        record = {"seq": seq, **entry, "prev": previous, **({"mac": KEYED} if _keyed() else {})}
        record["hash"] = previous = _digest(record)
        linked.append((record, json.dumps(record, ensure_ascii=False, separators=(",", ":"))))
    return linked


def _head(last: bytes | None) -> tuple[str, int]:
    if last is None:
        return GENESIS, 0
    record = whole_record(last)
    if record is None:
        raise Damage("the last record is not a valid record")
    if record["hash"] != _digest(record):
        raise Damage("the last record was changed after it was written")
    return record["hash"], int(record["seq"])


def _clean(value: Any) -> Any:
    """`value` with secrets redacted: in every text, and the whole value of a field named like a secret."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: REDACTED if secret_name(str(k)) else _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def damaged(log: LogStorage, line: int, reason: str) -> AuditError:
    return AuditError(f"{log.at(line)}: {reason}; nothing was changed.", hint=DAMAGED_HINT)


def whole_record(text: bytes) -> dict[str, Any] | None:
    """A parsed record with its chain fields, or None (not JSON, cut short, or not one of ours)."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("hash"), str)
        or not isinstance(record.get("seq"), int)
    ):
        return None
    return record


def check_appendable(log: Log, *, room: int = 0) -> None:
    """Raise AuditError unless a record could be appended now: the log takes appends, its last record is whole,
    and (a file) its disk has `room` bytes free. For work that cannot be taken back once begun: a delivery must
    not go out if it could not be recorded."""
    storage(log).check_appendable(room)


def close(log: Log) -> None:
    """Let go of this process's hold on the log (a command ends; the next one opens it anew)."""
    storage(log).close()


def entries_after(log: Log, position: Position | None) -> Iterator[Entry]:
    """The records after `position` (every record when None), each checked against the chain as it is read.

    Raises AuditError naming the line of a record that is damaged or out of chain, or when the log no longer
    holds `position` (it was truncated, replaced or rewritten). A last line without its line end is being
    written by another process: it is left for the next reader.
    """
    kept = storage(log)
    previous = GENESIS if position is None else position.hash
    for stored in kept.read(position):
        if not stored.whole:
            return
        record = whole_record(stored.text)
        if record is None:
            raise damaged(kept, stored.line, "not a valid record")
        if record.get("prev") != previous:
            raise damaged(
                kept, stored.line, "this record does not follow the one before it (removed, reordered or inserted)"
            )
        if record["hash"] != _digest(record):
            raise damaged(kept, stored.line, "this record was changed after it was written")
        previous = record["hash"]
        yield Entry(stored.line, stored.offset, record)


def lost(log: LogStorage, position: Position) -> AuditError:
    return AuditError(
        f"{log.where}: the log no longer holds record {position.seq} ({log.place(position.line)}), which the state store was last checked against: "
        "it was truncated, replaced or rewritten; nothing was changed.",
        hint=f"restore {log.name} from a backup; if it is lost for good, record that with "
        '`mediactl state accept-loss --reason "…"`',
    )


def records(log: Log) -> Iterator[dict[str, Any]]:
    kept = storage(log)
    for stored in kept.read():
        try:
            yield json.loads(stored.text)
        except ValueError:
            raise damaged(kept, stored.line, "not a JSON record") from None


def verify(log: Log, anchor: dict[str, Any] | None = None) -> tuple[int, Broken | None]:
    """(records checked, the first break or None).

    With the audit key set, every record must be authenticated: a log rewritten without MACs and with
    fresh plain hashes is forgery (without the key, a keyed record cannot be checked at all: an error).
    Set the key before the first record of a state folder: records written before it read as not
    authenticated. With an `anchor` (a head the team recorded where it can see
    it, `mediactl log anchor`), a log that ends before the anchored record, or differs from it
    there, is cut short or rewritten, even when its chain is whole.
    """
    kept = storage(log)
    if not kept.exists():
        return 0, (None if anchor is None else Broken(0, f"the log is missing, but record {anchor['seq']} is anchored"))
    return verify_kept(kept.read(), anchor)


def verify_kept(kept: Iterable[Kept], anchor: dict[str, Any] | None = None) -> tuple[int, Broken | None]:
    """`verify` over records as some storage keeps them (or as an export carries them)."""
    previous, count, anchored = GENESIS, 0, anchor is None
    must_be_keyed = _keyed()  # with the key set, every record must carry its MAC: stripping them all is forgery too
    for stored in kept:
        number = stored.line
        try:
            record = json.loads(stored.text)
        except ValueError:
            return count, Broken(number, "not a JSON record")
        if not isinstance(record, dict):
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
    if not anchored and anchor is not None:  # not anchored: there is an anchor (anchored starts True without one)
        cut = f"the log ends before the anchored record {anchor['seq']} ({ANCHOR_FILE}): cut short"
        return count, Broken(count + 1, cut)
    return count, None


def keyed_records(log: Log) -> int:
    """How many records are authenticated with the audit key."""
    return sum(1 for record in records(log) if record.get("mac") == KEYED)


def head(log: Log) -> dict[str, Any] | None:
    """The last record, or None when the log is empty."""
    return next(iter(deque(records(log), maxlen=1)), None)


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


#: The fields of records that are moments (what JSON output shows in the project's zone): the record's own time and
#: a late record's (ISO text in UTC, what the chain hashes), an OAuth grant's expiries and a state import's export
#: time (ISO text), and a job's due time (epoch seconds). Other fields are shown as recorded, whatever their name.
TIME_FIELDS = ("time", "happened_at", "expires_at", "refresh_expires_at", "exported_at", "due_at")


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """A record (or the anchor) for JSON output: the fields TIME_FIELDS names as moments (a text that is no ISO
    time with its zone stays text: `log verify` says what is wrong with it)."""
    return {**record, **{name: _moment(record[name]) for name in TIME_FIELDS if name in record}}


def _moment(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return moment(value)
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    return when if when.tzinfo is not None else value


def write_anchor(root: Path, log: Log) -> dict[str, Any]:
    """Record the log's current head in the project (to commit, so truncation shows against it)."""
    last = head(log)
    if last is None:
        raise AuditError(f"{storage(log).name}: the audit log is empty; there is nothing to anchor")
    anchor = {"seq": last["seq"], "hash": last["hash"], "time": last["time"]}
    fsutil.write_text(root / ANCHOR_FILE, json.dumps(anchor, indent=2, ensure_ascii=False) + "\n")
    return anchor


def since(log: Log, moment: float | None) -> list[dict[str, Any]]:
    if moment is None:
        return list(records(log))
    return [r for r in records(log) if datetime.fromisoformat(r["time"]).timestamp() >= moment]


def now() -> float:
    return time.time()
