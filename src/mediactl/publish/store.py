"""The job queue: SQLite in WAL mode, behind one small class so a server database can replace it.

Jobs move pending → sending → sent | failed | unknown (and cancelled, awaiting-confirmation).
Every transition is one transaction. Claiming due jobs happens inside BEGIN IMMEDIATE, so
two overlapping `publish --due` runs (cron) never claim the same job. A job found in
`sending` after a crash is never re-sent blindly: it is reconciled or marked unknown.
The idempotency key (channel, item, content hash) is unique: the same bytes cannot be
queued for the same channel twice.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediactl import fsutil
from mediactl.credentials import redact
from mediactl.errors import MediactlError

STATES = ("pending", "sending", "sent", "failed", "unknown", "cancelled", "awaiting-confirmation")
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
"""


Admit = Callable[[sqlite3.Connection, "Job", float], "tuple[float, str] | None"]


@dataclass(frozen=True)
class Settlement:
    """What delivery learned about a claimed job: a final state, or back to pending for a retry."""

    job_id: int
    state: str  # a final state, or "pending" to retry at `due_at`
    remote_id: str | None = None
    remote_url: str | None = None
    error: str | None = None
    due_at: float | None = None
    expect: str = "sending"  # reconciliation also settles `unknown` jobs

    def apply(self, db: sqlite3.Connection) -> bool:
        """Only from the expected state: a job cancelled or resolved meanwhile keeps what a person decided.
        Whether the job changed."""
        if self.state == "pending":
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
    """The state store cannot be opened or written; nothing was changed."""


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
    where, args = ["state = 'pending'", "due_at <= ?"], [now]
    if channel is not None:
        where, args = [*where, "channel = ?"], [*args, channel]
    if paused:
        where, args = [*where, f"channel NOT IN ({_marks(paused)})"], [*args, *sorted(paused)]
    if ids is not None:
        where, args = [*where, f"id IN ({_marks(ids)})"], [*args, *sorted(ids)]
    return " AND ".join(where), args


def _marks(values: Any) -> str:
    return ",".join("?" * len(values))


def worker_id() -> str:
    """host:pid (the pid is what reconciliation checks for liveness) and the thread, for people reading it."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


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
            fsutil.folder_for(path)
            fsutil.private_file(path, "-wal", "-shm")  # tokens and jobs are nobody else's business
            # Shared by a channel's delivery threads for its token cache: every use is under self._lock.
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"{path}: cannot open the state store ({exc}).",
                hint="check that the file is a mediactl state store and that you may write to its folder.",
            ) from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: one writer at a time across processes, so claims never overlap.

        ``durable=False`` commits without waiting for the disk (WAL, synchronous=NORMAL): the commit
        survives a crash of this process, and a power loss can only take it back to the state of the
        last durable commit. Used for recording outcomes only: an outcome lost that way leaves the
        job `sending`, which the next run reconciles (platform status, else `unknown`), never resends;
        the audit log (fsynced) may then already hold the outcome that the store lost.
        Claims stay durable: the `sending` mark is what prevents a second delivery.
        """
        with self._lock, _writer_lock(self.path):
            if not durable:
                self.db.execute("PRAGMA synchronous=NORMAL")
            try:
                try:
                    self.db.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise StoreError(f"{self.path}: the state store is not writable ({exc})") from None
                try:
                    yield self.db
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
            finally:
                if not durable:
                    self.db.execute("PRAGMA synchronous=FULL")

    # --- jobs -------------------------------------------------------------------------------

    def enqueue(self, channel: str, item: str, content_hash: str, due_at: float, *, audience: str = "",
                forced_reason: str | None = None) -> tuple[Job, bool]:  # fmt: skip
        """Queue a variant; returns (job, created). The same key again returns the existing job."""
        key = idempotency_key(channel, item, content_hash)
        now = time.time()
        with self.transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None:
                return Job(**row), False
            db.execute(
                "INSERT INTO jobs (idempotency_key, channel, item, content_hash, audience, due_at, state, "
                "forced_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                (key, channel, item, content_hash, audience, due_at, forced_reason, now, now),
            )
            return Job(**db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()), True

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
            return self._claim(db, now, limit, paused=paused, channel=channel, ids=ids)

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

    def settle_and_claim(
        self, settlement: Settlement | None, claim: dict[str, Any] | None
    ) -> tuple[bool, Job | None]:
        """Record one job's outcome and claim the next due job, in one transaction.

        Delivery threads do both after every job; one commit instead of two halves the serialised
        work on the store (the publish benchmark's limit). The transaction is durable when it claims
        (see ``transaction``). ``claim`` holds ``claim_due``'s filters; None claims nothing. Returns whether
        the settlement changed the job (False: it had left the expected state, settled by another run or a
        person) and the job claimed, if any.
        """
        if settlement is None and claim is None:
            return False, None
        with self.transaction(durable=claim is not None) as db:
            applied = settlement.apply(db) if settlement is not None else False
            if claim is None:
                return applied, None
            (job,) = self._claim(db, time.time(), 1, **claim) or (None,)
            return applied, job

    @staticmethod
    def _claim(db: sqlite3.Connection, now: float, limit: int, *, paused: set[str] | None = None,
               channel: str | None = None, ids: set[int] | None = None, admit: Admit | None = None,
               deferred: list[tuple[Job, str]] | None = None) -> list[Job]:  # fmt: skip
        """Claim up to `limit` due jobs. `admit(db, job, now)` may refuse a candidate at send time (a rate limit
        the queue cannot see at enqueue time: jobs delayed by an outage come due together); a refused job
        stays pending, moved to the time `admit` names, and is reported in `deferred` with the reason."""
        claimed: list[Job] = []
        while len(claimed) < limit:
            batch = Store._claim_batch(db, now, limit - len(claimed), paused=paused, channel=channel, ids=ids)
            if not batch:
                break
            for job in batch:
                refusal = admit(db, job, now) if admit is not None else None
                if refusal is None:
                    claimed.append(Store._mark_sending(db, job, now))
                    continue
                later, reason = refusal
                db.execute("UPDATE jobs SET due_at = ?, error = ?, updated_at = ? WHERE id = ?", (later, _redacted(reason), now, job.id))
                if deferred is not None:
                    deferred.append((job, reason))
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

    def finish(self, job_id: int, state: str, *, remote_id: str | None = None, remote_url: str | None = None,
               error: str | None = None, expect: str = "sending") -> Job:  # fmt: skip
        """Record an outcome; only from the expected state (a cancelled job stays cancelled)."""
        if state not in STATES or state == "pending":  # pending is a retry (Settlement with due_at), not an outcome
            raise ValueError(f"not an outcome: job state {state!r}")
        with self.transaction(durable=False) as db:
            Settlement(job_id, state, remote_id, remote_url, error, expect=expect).apply(db)
            return Job(**db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

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

    def get(self, job_id: int) -> Job | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**row) if row else None

    def jobs(self, state: str | None = None, channel: str | None = None) -> list[Job]:
        query, args = "SELECT * FROM jobs WHERE 1=1", []
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

    def set_state(self, job_id: int, state: str, *, allowed_from: tuple[str, ...], error: str | None = None) -> Job:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise MediactlError(f"no job {job_id} in the queue")
            if row["state"] not in allowed_from:
                raise MediactlError(
                    f"job {job_id} is {row['state']}; only {', '.join(allowed_from)} jobs can become {state}"
                )
            db.execute(
                "UPDATE jobs SET state = ?, error = COALESCE(?, error), updated_at = ?, due_at = CASE WHEN ? = 'pending' "
                "THEN MIN(due_at, ?) ELSE due_at END WHERE id = ?",
                (state, _redacted(error), time.time(), state, time.time(), job_id),
            )
            return Job(**db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    # --- approvals and switches ---------------------------------------------------------------

    def approve(self, item: str, channel: str, content_hash: str, approver: str, note: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO approvals VALUES (?, ?, ?, ?, ?, ?)",
                (item, channel, content_hash, approver, time.time(), note),
            )

    def approval(self, item: str, channel: str, content_hash: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM approvals WHERE item = ? AND channel = ? AND content_hash = ?", (item, channel, content_hash)
        ).fetchone()
        return dict(row) if row else None

    def approvals_of(self, item: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM approvals WHERE item = ? ORDER BY approved_at", (item,))
        return [dict(row) for row in rows]

    def pause(self, scope: str, reason: str, actor: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO switches VALUES (?, ?, ?, ?)", (scope, reason, actor, time.time()))

    def resume(self, scope: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM switches WHERE scope = ?", (scope,)).rowcount > 0

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
