"""The job queue: SQLite in WAL mode, behind one small class so a server database can replace it.

Jobs move pending → sending → sent | failed | unknown (and cancelled, awaiting-confirmation).
Every transition is one transaction. Claiming due jobs happens inside BEGIN IMMEDIATE, so
two overlapping `publish --due` runs (cron) never claim the same job. A job found in
`sending` after a crash is never re-sent blindly: it is reconciled or marked unknown.
The idempotency key (channel, item, content hash) is unique: the same bytes cannot be
queued for the same channel twice.

Every SQLite error on a store's connection is a `StoreError` naming the file, in words an
operator can act on (damaged, full, read-only, locked); `StoreDamaged` when SQLite finds the
file corrupt. A store file is created whole (schema written aside, then linked into place),
so an empty or cut-short file is always damage, never a new, empty queue.

Changes that need an audit record take an `audit` hook, run inside their transaction after
the change and before COMMIT (the audit-first rule, publish/audit.py). The store keeps, in
`meta`, the audit log position it was last checked against (publish/integrity.py), and in
`unlogged` the records of deliveries whose outcome was committed but whose audit record
could not be written (written later, never dropped). A small reserve file beside the store
is given up when the disk fills, so that the outcome of a post that went out can still be
recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mediactl.core import fsutil
from mediactl.core.errors import MediactlError
from mediactl.core.redaction import redact

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.replay import ApprovalFacts, SwitchFacts


class JobState(StrEnum):
    """Where a job is. A StrEnum: the store, the audit log and JSON output hold the plain value ("sent")."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    AWAITING_CONFIRMATION = "awaiting-confirmation"


STATES = tuple(JobState)
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    item TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    audience TEXT NOT NULL DEFAULT '',
    due_at REAL NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_at REAL,
    remote_id TEXT,
    remote_url TEXT,
    error TEXT,
    forced_reason TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, due_at);
CREATE TABLE IF NOT EXISTS approvals (
    item TEXT NOT NULL,
    channel TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    approver TEXT NOT NULL,
    approved_at REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (item, channel, content_hash)
);
CREATE TABLE IF NOT EXISTS tokens (
    channel TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS switches (
    scope TEXT PRIMARY KEY,            -- '*' for everything, or a channel name
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,              -- 'audit_checked': the audit log position last checked (JSON)
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS unlogged (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    fields TEXT NOT NULL,              -- JSON, as it would have been logged
    at REAL NOT NULL,
    error TEXT NOT NULL
);
"""
RESERVE_BYTES = 64 * 1024  # a settlement and its audit record need a few pages; this is many times that


Admit = Callable[[sqlite3.Connection, "Job", float], "tuple[float, str] | None"]


@dataclass(frozen=True)
class Claim:
    """What a delivery worker may take next: the due-job filters, and the send-time admission check.

    `admit(db, job, now)` may refuse a candidate (a rate limit the queue could not see at enqueue
    time): the job stays pending, moved to the time it names, and is appended to `deferred`.
    """

    paused: frozenset[str] = frozenset()
    channel: str | None = None
    ids: frozenset[int] | None = None  # only these jobs (None: any)
    admit: Admit | None = None
    deferred: list[tuple[Job, str]] | None = None


@dataclass(frozen=True)
class Settlement:
    """What delivery learned about a claimed job: a final state, or back to pending for a retry."""

    job_id: int
    state: JobState  # a final state, or PENDING to retry at `due_at`
    remote_id: str | None = None
    remote_url: str | None = None
    error: str | None = None
    due_at: float | None = None
    expect: str = JobState.SENDING  # reconciliation also settles `unknown` jobs

    def apply(self, db: sqlite3.Connection) -> bool:
        """Only from the expected state: a job cancelled or resolved meanwhile keeps what a person decided.
        Whether the job changed."""
        if self.state == JobState.PENDING:
            return db.execute(
                "UPDATE jobs SET state = 'pending', due_at = ?, error = ?, updated_at = ? WHERE id = ? AND state = ?",
                (self.due_at, _redacted(self.error), time.time(), self.job_id, self.expect),
            ).rowcount == 1
        if self.state not in STATES:
            raise ValueError(f"unknown job state {self.state!r}")
        return db.execute(
            "UPDATE jobs SET state = ?, remote_id = COALESCE(?, remote_id), remote_url = COALESCE(?, remote_url), "
            "error = ?, updated_at = ? WHERE id = ? AND state = ?",
            (self.state, *map(_redacted, (self.remote_id, self.remote_url, self.error)), time.time(), self.job_id, self.expect),
        ).rowcount == 1


def _redacted(text: str | None) -> str | None:
    """Text as the store keeps it: a platform's error may echo a secret, and the store is read by `queue ls`."""
    return None if text is None else redact(text)


class StoreError(MediactlError):
    """The state store cannot be opened, read or written; the message names the file."""

    def __init__(self, message: str, *, hint: str | None = None, disk_full: bool = False, code: str = "") -> None:
        super().__init__(message, hint=hint)
        self.disk_full = disk_full
        self.code = code  # SQLite's primary result code (SQLITE_READONLY …), when SQLite raised it


class StoreDamaged(StoreError):
    """SQLite finds the store file corrupt (or it is not a store at all)."""


DAMAGED_HINT = (
    "run `mediactl state rebuild`: it keeps the damaged file aside and rebuilds the queue, pause switches "
    "and approvals from the audit log and the outbox receipts (what was sent stays sent)"
)
_REASONS = {  # SQLite's primary result codes, as an operator can act on them
    "SQLITE_CORRUPT": ("the file is damaged", DAMAGED_HINT),
    "SQLITE_NOTADB": ("the file is damaged or not a SQLite database", DAMAGED_HINT),
    "SQLITE_FULL": ("the disk is full", "free space on that disk, then run the command again"),
    "SQLITE_READONLY": ("it is read-only", "make the file and its folder writable for this user"),
    "SQLITE_IOERR": ("input/output error", "the disk may be failing or full: check it before going on"),
    "SQLITE_CANTOPEN": ("the file cannot be opened", "check that its folder exists and is writable"),
    "SQLITE_PERM": ("permission denied", "make the file and its folder writable for this user"),
    "SQLITE_BUSY": ("another process holds it locked", "wait for the other mediactl run to finish"),
    "SQLITE_LOCKED": ("another process holds it locked", "wait for the other mediactl run to finish"),
}


def store_error(path: Path | None, exc: sqlite3.Error, doing: str = "") -> StoreError:
    """A SQLite error as a StoreError naming the file (`doing`: e.g. "cannot open the state store")."""
    code = (getattr(exc, "sqlite_errorname", None) or "").split("_")
    primary = "_".join(code[:2])  # SQLITE_IOERR_WRITE → SQLITE_IOERR
    reason, hint = _REASONS.get(primary, (None, None))
    if reason is None:  # errors raised without a code (Python's own) still say what SQLite said
        text = str(exc).lower()
        primary, (reason, hint) = next(
            ((name, _REASONS[name]) for name, words in _WORDS if words in text), ("", (str(exc), None))
        )
    if primary in ("SQLITE_IOERR", "SQLITE_CANTOPEN") and path is not None and _no_room(path.parent):
        primary, (reason, hint) = "SQLITE_FULL", _REASONS["SQLITE_FULL"]  # SQLite says I/O error when -shm cannot grow
    where = f"{path}: " if path is not None else "the state store: "
    kind = StoreDamaged if primary in ("SQLITE_CORRUPT", "SQLITE_NOTADB") else StoreError
    return kind(
        f"{where}{doing or 'the state store failed'} ({reason}).",
        hint=hint or "run `mediactl doctor`",
        disk_full=primary == "SQLITE_FULL",
        code=primary,
    )


def _no_room(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < RESERVE_BYTES
    except OSError:
        return False


_WORDS = (
    ("SQLITE_CORRUPT", "malformed"),
    ("SQLITE_NOTADB", "not a database"),
    ("SQLITE_FULL", "disk is full"),
    ("SQLITE_READONLY", "readonly"),
    ("SQLITE_IOERR", "disk i/o error"),
    ("SQLITE_CANTOPEN", "unable to open"),
    ("SQLITE_BUSY", "locked"),
)


class _Cursor(sqlite3.Cursor):
    """Rows are read lazily, and a damaged page is found while reading: reads are mapped too."""

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        with _mapped(self.connection):
            return super().execute(sql, parameters)

    def fetchone(self) -> Any:
        with _mapped(self.connection):
            return super().fetchone()

    def fetchall(self) -> list[Any]:
        with _mapped(self.connection):
            return super().fetchall()

    def __next__(self) -> Any:
        with _mapped(self.connection):
            return super().__next__()


class _Connection(sqlite3.Connection):
    """A store's connection: every SQLite error raised through it is a StoreError naming the file."""

    path: Path

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        return self.cursor(_Cursor).execute(sql, parameters)


@contextmanager
def _mapped(connection: sqlite3.Connection) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise store_error(getattr(connection, "path", None), exc) from None


class AuditHook(Protocol):
    """A change's audit record, written inside the change's transaction (the audit-first rule).

    Called with the change's result after the change and before COMMIT: raising rolls the change back.
    `void` is called if the COMMIT fails after the record was written, to say so in the log.
    """

    def __call__(self, result: Any) -> None: ...

    def void(self, error: Exception) -> None: ...


@dataclass(frozen=True)
class Unlogged:
    """A delivery's audit record that could not be written when its outcome was committed."""

    id: int
    action: str
    fields: dict[str, Any]
    at: float
    error: str


@dataclass(frozen=True)
class Job:
    id: int
    idempotency_key: str
    channel: str
    item: str
    content_hash: str
    audience: str
    due_at: float
    state: str
    attempts: int
    claimed_by: str | None
    claimed_at: float | None
    remote_id: str | None
    remote_url: str | None
    error: str | None
    forced_reason: str | None
    created_at: float
    updated_at: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _drop_plain_tokens(db: sqlite3.Connection) -> None:
    """Delete the tokens older versions stored in plain text, overwriting their bytes (secure_delete)."""
    db.execute("PRAGMA secure_delete = ON")
    db.execute("DELETE FROM tokens WHERE typeof(token) != 'blob'")


def idempotency_key(channel: str, item: str, content_hash: str) -> str:
    return hashlib.sha256(f"{channel}\0{item}\0{content_hash}".encode()).hexdigest()[:32]


def _due_filter(
    now: float, *, paused: set[str] | None, channel: str | None, ids: set[int] | None
) -> tuple[str, list[Any]]:
    """The WHERE clause of due pending jobs, with claim_due's filters; shared by claims and counts."""
    where = ["state = 'pending'", "due_at <= ?"]
    args: list[Any] = [now]
    if channel is not None:
        where, args = [*where, "channel = ?"], [*args, channel]
    if paused:
        where, args = [*where, f"channel NOT IN ({_marks(paused)})"], [*args, *sorted(paused)]
    if ids is not None:
        where, args = [*where, f"id IN ({_marks(ids)})"], [*args, *sorted(ids)]
    return " AND ".join(where), args


def _marks(values: Sized) -> str:
    return ",".join("?" * len(values))


def worker_id() -> str:
    """host:pid (the pid is what reconciliation checks for liveness) and the thread, for people reading it."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _prepare(db: sqlite3.Connection) -> None:
    """WAL, full durability, the schema (tables added since a store was made are added to it). Through the
    plain connection methods, so that an error here reads "cannot open the state store"."""
    sqlite3.Connection.execute(db, "PRAGMA journal_mode=WAL")
    sqlite3.Connection.execute(db, "PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)


def _create_whole(path: Path) -> None:
    """Create the store, schema and all, beside its path and link it into place, if there is none yet.

    So a store file is never seen empty: SQLite treats an empty file as a new database, and a store
    truncated to nothing would read as an empty queue. Linking (not renaming) never replaces a store
    another process created meanwhile.
    """
    try:
        if path.stat().st_size == 0:
            raise StoreDamaged(f"{path}: the state store is empty (0 bytes): it was cut short or emptied.",
                               hint=DAMAGED_HINT)  # fmt: skip
        return
    except FileNotFoundError:
        pass
    staging = path.with_name(f".{path.name}.new-{os.getpid()}-{threading.get_ident()}")
    try:
        db = sqlite3.connect(staging)
        try:
            _prepare(db)
        finally:
            db.close()
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system: a rename, unless a store appeared meanwhile
            if not path.exists():
                os.replace(staging, path)
    finally:
        for leftover in (staging, *(staging.with_name(staging.name + end) for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)


def _reserve_path(path: Path) -> Path:
    return path.with_name(path.name + ".reserve")


def _keep_reserve(reserve: Path) -> None:
    """Set aside RESERVE_BYTES of disk beside the store while there is room (see release_reserve)."""
    if reserve.exists():
        return
    staging = reserve.with_name(f".{reserve.name}.{os.getpid()}")
    try:
        fsutil.private_file(staging)  # 0600 like every file of the state folder
        with open(staging, "wb") as handle:
            handle.write(bytes(RESERVE_BYTES))
        os.replace(staging, reserve)
    except OSError:  # no room or not writable: nothing to set aside; doctor tells
        staging.unlink(missing_ok=True)


_WRITER_LOCKS: dict[Path, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    """One lock per store file and process, held around every write transaction.

    Threads of one process (concurrent delivery: a connection per thread) would otherwise meet
    at SQLite's write lock, whose busy handler sleeps 1, 2, 5, 10 … ms between tries: measured,
    32 delivery threads spent ~70 % of their time asleep there. Queued on a Python lock, the
    next writer starts the moment the last one commits. Other processes still wait in SQLite.
    """
    key = path.absolute()
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(key, threading.RLock())  # re-entrant: a nested transaction fails in SQLite, loudly


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            fsutil.folder_for(path)  # the state folder: 0700
            _create_whole(path)
            fsutil.private_file(path, "-wal", "-shm")  # tokens and jobs are nobody else's business
            # Shared by a channel's delivery threads for its token cache: every use is under self._lock.
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False,
                                      factory=_Connection)  # fmt: skip
            self.db.path = path
            self.db.row_factory = sqlite3.Row
            _prepare(self.db)
        except sqlite3.Error as exc:
            raise store_error(path, exc, "cannot open the state store") from None
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot open the state store ({exc}).",
                hint="check that the file is a mediactl state store and that you may write to its folder.",
            ) from None
        _keep_reserve(_reserve_path(path))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self, *, durable: bool = True, audit: AuditHook | None = None) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: one writer at a time across processes, so claims never overlap.

        ``durable=False`` commits without waiting for the disk (WAL, synchronous=NORMAL): the commit
        survives a crash of this process, and a power loss can only take it back to the state of the
        last durable commit. Used for recording outcomes only: an outcome lost that way leaves the
        job `sending`, which the next run reconciles (platform status, else `unknown`), never resends;
        the audit log (fsynced) may then already hold the outcome that the store lost.
        Claims stay durable: the `sending` mark is what prevents a second delivery.
        ``audit``: the hook whose record the transaction wrote; voided if the COMMIT fails.
        """
        with self._lock, _writer_lock(self.path):
            if not durable:
                self.db.execute("PRAGMA synchronous=NORMAL")
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield self.db
                except BaseException:
                    self._rollback()
                    raise
                try:
                    self.db.execute("COMMIT")
                except StoreError as exc:
                    self._rollback()
                    if audit is not None:
                        audit.void(exc)
                    raise
            finally:
                if not durable:
                    with contextlib.suppress(StoreError):
                        self.db.execute("PRAGMA synchronous=FULL")

    def _rollback(self) -> None:
        """Undo an open transaction; after a disk error SQLite may already have (then there is nothing to undo)."""
        if self.db.in_transaction:
            with contextlib.suppress(StoreError):
                self.db.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A consistent read under the write lock (no audited change is half done meanwhile); changes nothing.
        A store on a read-only medium cannot take the lock, and needs none: nothing can write to it."""
        with self._lock, _writer_lock(self.path):
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except StoreError as exc:
                if exc.code != "SQLITE_READONLY":
                    raise
                self.db.execute("BEGIN")
            try:
                yield self.db
            finally:
                self._rollback()

    # --- jobs -------------------------------------------------------------------------------

    def enqueue(self, channel: str, item: str, content_hash: str, due_at: float, *, audience: str = "",
                forced_reason: str | None = None, audit: AuditHook | None = None) -> tuple[Job, bool]:  # fmt: skip
        """Queue a variant; returns (job, created). The same key again returns the existing job (and writes no
        record: nothing changed)."""
        key = idempotency_key(channel, item, content_hash)
        now = time.time()
        with self.transaction(audit=audit) as db:
            row = db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None:
                return Job(**row), False
            db.execute(
                "INSERT INTO jobs (idempotency_key, channel, item, content_hash, audience, due_at, state, "
                "forced_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                (key, channel, item, content_hash, audience, due_at, forced_reason, now, now),
            )
            job = Job(**db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone())
            if audit is not None:
                audit(job)
            return job, True

    def claim_due(
        self,
        now: float,
        limit: int,
        *,
        paused: set[str] | None = None,
        channel: str | None = None,
        ids: set[int] | None = None,
    ) -> list[Job]:
        """Atomically move up to `limit` due pending jobs to `sending`, owned by this process.

        Only jobs of `channel` and with `ids`, when given, and never those of a paused channel: the
        filters are in the query, so a claim reads only the rows it takes.
        """
        with self.transaction() as db:
            filters = Claim(frozenset(paused or ()), channel, None if ids is None else frozenset(ids))
            return self._claim(db, now, limit, filters)

    def release(self, job_id: int) -> None:
        """Give back a job claimed but never tried (the run failed before sending it): pending again, attempt not counted."""
        with self.transaction() as db:
            db.execute(
                "UPDATE jobs SET state = 'pending', attempts = MAX(attempts - 1, 0), claimed_by = NULL, updated_at = ? "
                "WHERE id = ? AND state = 'sending'",
                (time.time(), job_id),
            )

    @staticmethod
    def waiting_for_slot(db: sqlite3.Connection, channel: str, now: float) -> int:
        """Jobs of a channel already deferred to a future slot by a rate limit (for spreading a backlog)."""
        row = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE channel = ? AND state = 'pending' AND due_at > ? AND error LIKE 'cap: %'",
            (channel, now),
        ).fetchone()
        return int(row[0])

    def settle_and_claim(self, settlement: Settlement | None, claim: Claim | None) -> tuple[bool, Job | None]:
        """Record one job's outcome and claim the next due job, in one transaction.

        Delivery threads do both after every job; one commit instead of two halves the serialised
        work on the store (the publish benchmark's limit). The transaction is durable when it claims
        (see ``transaction``). ``claim`` says which job may be taken; None claims nothing. Returns whether
        the settlement changed the job (False: it had left the expected state, settled by another run or a
        person) and the job claimed, if any.
        """
        if settlement is None and claim is None:
            return False, None
        with self.transaction(durable=claim is not None) as db:
            applied = settlement.apply(db) if settlement is not None else False
            if claim is None:
                return applied, None
            (job,) = self._claim(db, time.time(), 1, claim) or (None,)
            return applied, job

    @staticmethod
    def _claim(db: sqlite3.Connection, now: float, limit: int, claim: Claim) -> list[Job]:
        """Claim up to `limit` due jobs that `claim` allows (see Claim for what admission does)."""
        claimed: list[Job] = []
        while len(claimed) < limit:
            batch = Store._claim_batch(db, now, limit - len(claimed), paused=set(claim.paused), channel=claim.channel,
                                       ids=None if claim.ids is None else set(claim.ids))  # fmt: skip
            if not batch:
                break
            for job in batch:
                refusal = claim.admit(db, job, now) if claim.admit is not None else None
                if refusal is None:
                    claimed.append(Store._mark_sending(db, job, now))
                    continue
                later, reason = refusal
                db.execute("UPDATE jobs SET due_at = ?, error = ?, updated_at = ? WHERE id = ?", (later, _redacted(reason), now, job.id))
                if claim.deferred is not None:
                    claim.deferred.append((job, reason))
        return claimed

    @staticmethod
    def _mark_sending(db: sqlite3.Connection, job: Job, now: float) -> Job:
        db.execute(
            "UPDATE jobs SET state = 'sending', claimed_by = ?, claimed_at = ?, attempts = attempts + 1, "
            "updated_at = ? WHERE id = ?",
            (worker_id(), now, now, job.id),
        )
        return Job(**db.execute("SELECT * FROM jobs WHERE id = ?", (job.id,)).fetchone())

    @staticmethod
    def _claim_batch(
        db: sqlite3.Connection, now: float, limit: int, *, paused: set[str] | None, channel: str | None,
        ids: set[int] | None,
    ) -> list[Job]:  # fmt: skip
        if ids is not None and not ids:
            return []
        where, args = _due_filter(now, paused=paused, channel=channel, ids=ids)
        rows = db.execute(f"SELECT * FROM jobs WHERE {where} ORDER BY due_at, id LIMIT ?", [*args, limit])
        return [Job(**row) for row in rows]

    @staticmethod
    def sent_since(db: sqlite3.Connection, channel: str, since: float, *, exclude: int) -> list[sqlite3.Row]:
        """Deliveries made to a channel since a moment (by when they were sent): for send-time rate limits."""
        return db.execute(
            "SELECT audience, claimed_at FROM jobs WHERE channel = ? AND claimed_at > ? AND id != ? "
            "AND state IN ('sending', 'sent', 'unknown', 'awaiting-confirmation') ORDER BY claimed_at",
            (channel, since, exclude),
        ).fetchall()

    def count_due(self, now: float, *, paused: set[str] | None = None, ids: set[int] | None = None) -> int:
        """How many pending jobs are due (for a progress bar: the same filters as a claim)."""
        if ids is not None and not ids:
            return 0
        where, args = _due_filter(now, paused=paused, channel=None, ids=ids)
        with self._lock:
            return int(self.db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}", args).fetchone()[0])

    def due_channels(self, now: float) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT channel FROM jobs WHERE state = 'pending' AND due_at <= ?", (now,))
        return [row["channel"] for row in rows]

    def by_key(self, key: str) -> Job | None:
        with self._lock:
            row = self.db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()
        return Job(**row) if row else None

    def record_remote_id(self, key: str, remote_id: str) -> None:
        """An asynchronous platform accepted the post (it gave an id to ask about it): written durably before
        waiting for the final state, so a run that dies while waiting leaves a job the next run can ask about."""
        with self.transaction() as db:
            db.execute(
                "UPDATE jobs SET remote_id = ?, updated_at = ? WHERE idempotency_key = ? AND state = 'sending'",
                (_redacted(remote_id), time.time(), key),
            )

    def has_jobs(self) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM jobs LIMIT 1").fetchone() is not None

    def get(self, job_id: int) -> Job | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**row) if row else None

    def jobs(self, state: str | None = None, channel: str | None = None) -> list[Job]:
        query = "SELECT * FROM jobs WHERE 1=1"
        args: list[str] = []
        if state:
            query, args = query + " AND state = ?", [*args, state]
        if channel:
            query, args = query + " AND channel = ?", [*args, channel]
        return [Job(**row) for row in self.db.execute(query + " ORDER BY due_at, id", args)]

    def count_in_window(self, channel: str, start: float, end: float, audience: str | None = None) -> int:
        """Deliveries (sent, or still on their way) to a channel due in [start, end): for frequency caps."""
        rows = self.db.execute(
            "SELECT audience FROM jobs WHERE channel = ? AND due_at >= ? AND due_at < ? "
            "AND state IN ('pending', 'sending', 'sent', 'unknown', 'awaiting-confirmation')",
            (channel, start, end),
        ).fetchall()
        if audience is None:
            return len(rows)
        wanted = set(filter(None, audience.split(",")))
        return sum(1 for row in rows if wanted & set(filter(None, row["audience"].split(","))) or not wanted)

    def set_state(self, job_id: int, state: str, *, allowed_from: tuple[str, ...], error: str | None = None,
                  remote_url: str | None = None, audit: AuditHook | None = None) -> Job:  # fmt: skip
        """A person's decision about a job (cancel, retry, resolve as sent at `remote_url`), from allowed states."""
        with self.transaction(audit=audit) as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise MediactlError(f"no job {job_id} in the queue")
            if row["state"] not in allowed_from:
                raise MediactlError(
                    f"job {job_id} is {row['state']}; only {', '.join(allowed_from)} jobs can become {state}"
                )
            db.execute(
                "UPDATE jobs SET state = ?, error = COALESCE(?, error), remote_url = COALESCE(?, remote_url), "
                "updated_at = ?, due_at = CASE WHEN ? = 'pending' THEN MIN(due_at, ?) ELSE due_at END WHERE id = ?",
                (state, _redacted(error), _redacted(remote_url), time.time(), state, time.time(), job_id),
            )
            job = Job(**db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())
            if audit is not None:
                audit(job)
            return job

    # --- approvals and switches ---------------------------------------------------------------

    def approve(self, item: str, channel: str, content_hash: str, approver: str, note: str, *,
                audit: AuditHook | None = None) -> None:  # fmt: skip
        with self.transaction(audit=audit) as db:
            db.execute(
                "INSERT OR REPLACE INTO approvals VALUES (?, ?, ?, ?, ?, ?)",
                (item, channel, content_hash, approver, time.time(), note),
            )
            if audit is not None:
                audit(None)

    def approval(self, item: str, channel: str, content_hash: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM approvals WHERE item = ? AND channel = ? AND content_hash = ?", (item, channel, content_hash)
        ).fetchone()
        return dict(row) if row else None

    def approvals_of(self, item: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM approvals WHERE item = ? ORDER BY approved_at", (item,))
        return [dict(row) for row in rows]

    def pause(self, scope: str, reason: str, actor: str, *, audit: AuditHook | None = None) -> None:
        with self.transaction(audit=audit) as db:
            db.execute("INSERT OR REPLACE INTO switches VALUES (?, ?, ?, ?)", (scope, reason, actor, time.time()))
            if audit is not None:
                audit(None)

    def resume(self, scope: str, *, audit: AuditHook | None = None) -> bool:
        with self.transaction(audit=audit) as db:
            lifted = db.execute("DELETE FROM switches WHERE scope = ?", (scope,)).rowcount > 0
            if audit is not None:
                audit(lifted)
            return lifted

    def token(self, channel: str, now: float) -> tuple[bytes, float] | None:
        """A channel's sealed access token and its expiry, if it is still valid at `now` (callers keep a margin).

        Tokens are stored sealed (bytes; see adapters/tokenseal.py). A row in text is an older version's
        plain token: never returned, and deleted with every other plain one.
        """
        with self._lock:
            row = self.db.execute("SELECT token, expires_at FROM tokens WHERE channel = ?", (channel,)).fetchone()
        if row is not None and not isinstance(row["token"], bytes):
            self.forget_token(channel)
            return None
        return (row["token"], row["expires_at"]) if row and row["expires_at"] > now else None

    def save_token(self, channel: str, sealed: bytes, expires_at: float) -> None:
        with self.transaction() as db:
            _drop_plain_tokens(db)
            db.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)", (channel, sqlite3.Binary(sealed), expires_at))

    def forget_token(self, channel: str) -> None:
        """Delete a channel's cached token (and any plain token an older version left behind)."""
        with self.transaction() as db:
            _drop_plain_tokens(db)
            db.execute("DELETE FROM tokens WHERE channel = ?", (channel,))

    def paused(self) -> dict[str, dict[str, Any]]:
        return {row["scope"]: dict(row) for row in self.db.execute("SELECT * FROM switches")}

    # --- integrity, the audit position, records not yet logged, the reserve ------------------------------

    def integrity_problems(self, limit: int = 10) -> list[str]:
        """SQLite's full integrity check (structure, and every index against its table: a damaged index can
        forget an idempotency key while `quick_check` passes); [] when the file is whole."""
        with self._lock:
            rows = [row[0] for row in self.db.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()]
        return [] if rows == ["ok"] else rows

    def audit_checked(self) -> dict[str, Any] | None:
        """The audit log position this store was last found level with (publish/integrity.py), if any."""
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'audit_checked'").fetchone()
        return json.loads(row["value"]) if row else None

    @staticmethod
    def set_audit_checked(db: sqlite3.Connection, position: dict[str, Any]) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('audit_checked', ?)", (json.dumps(position),))

    @staticmethod
    def reserve_job_ids(db: sqlite3.Connection, highest_used: int) -> None:
        """Never hand out a job number up to `highest_used` again (numbers the audit log already uses)."""
        if db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'jobs'", (highest_used,)).rowcount:
            return
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs', ?)", (highest_used,))

    @staticmethod
    def restore(db: sqlite3.Connection, jobs: list[dict[str, Any]], switches: list[SwitchFacts], approvals: list[ApprovalFacts], *,
                highest_job: int) -> None:  # fmt: skip
        """Rebuild (publish/recovery.py): each job in place of the row with its key (`id` None: a new number);
        a row holding a number a restored job needs moves to a new one. Pause switches on or off as given
        (`scope`, `paused`, `reason`, `actor`, `at`); approvals added (`item`, `channel`, `content_hash`,
        `approver`, `at`, `note`). Job numbers go on above `highest_job`."""
        (top,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM jobs").fetchone()
        top = max(top, highest_job, *(job["id"] or 0 for job in jobs))
        for job in jobs:
            db.execute("DELETE FROM jobs WHERE idempotency_key = ?", (job["idempotency_key"],))
            if job["id"] is None:
                top += 1
                job = {**job, "id": top}
            elif db.execute("SELECT 1 FROM jobs WHERE id = ?", (job["id"],)).fetchone() is not None:
                top += 1
                db.execute("UPDATE jobs SET id = ? WHERE id = ?", (top, job["id"]))
            db.execute(f"INSERT INTO jobs ({', '.join(job)}) VALUES ({_marks(job)})", list(job.values()))
        Store.reserve_job_ids(db, top)
        for switch in switches:
            if switch.paused:
                db.execute("INSERT OR REPLACE INTO switches VALUES (?, ?, ?, ?)",
                           (switch.scope, switch.reason, switch.actor, switch.at))  # fmt: skip
            else:
                db.execute("DELETE FROM switches WHERE scope = ?", (switch.scope,))
        for a in approvals:
            db.execute("INSERT OR IGNORE INTO approvals VALUES (?, ?, ?, ?, ?, ?)",
                       (a.item, a.channel, a.content_hash, a.approver, a.at, a.note))  # fmt: skip

    def keep_unlogged(self, action: str, fields: dict[str, Any], error: str) -> None:
        """Keep a delivery's audit record that could not be written, to write it later (never dropped)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO unlogged (action, fields, at, error) VALUES (?, ?, ?, ?)",
                (action, json.dumps(fields, ensure_ascii=False), time.time(), error),
            )

    def unlogged(self) -> list[Unlogged]:
        with self._lock:
            rows = self.db.execute("SELECT * FROM unlogged ORDER BY id").fetchall()
        return [Unlogged(row["id"], row["action"], json.loads(row["fields"]), row["at"], row["error"]) for row in rows]

    def forget_unlogged(self, entry: Unlogged, *, audit: AuditHook) -> None:
        """The record is being written now: in the transaction that forgets it, so it is written once."""
        with self.transaction(audit=audit) as db:
            if db.execute("DELETE FROM unlogged WHERE id = ?", (entry.id,)).rowcount:
                audit(entry)

    def release_reserve(self) -> bool:
        """Give the reserve's disk space back (the disk is full and an outcome must be recorded); whether
        there was one. It is set aside again when a store is next opened with room to spare."""
        try:
            _reserve_path(self.path).unlink()
        except OSError:
            return False
        return True
