"""The state store: the job queue, pause switches, token cache, OAuth grants and bookkeeping, on SQLite or PostgreSQL.

Jobs move pending → sending → sent | failed | unknown (and cancelled, awaiting-confirmation). A job
awaiting a person's confirmation on the platform (WeCom staff confirm each 群发 task) ends sent, or
expired when too few confirmed in time; what they confirmed so far is kept in its `confirmation` (JSON).
Every transition is one transaction on the database layer (publish/database.py). Claims never
overlap: on SQLite a claim runs inside BEGIN IMMEDIATE (one writer at a time); on PostgreSQL it
selects due jobs `FOR UPDATE SKIP LOCKED`, so hosts claiming at once take different jobs. A job
found in `sending` whose claimer is gone (`orphaned`: a dead process on this host, a server
session that ended, a lease run out) is never re-sent blindly: it is reconciled or marked unknown.
The idempotency key (channel, item, content hash) is unique: the same bytes cannot be queued for
the same channel twice. Pause switches are read by every claim, so a pause made on one host stops
the next claim of every other.

Every database error is a `StoreError` naming the file or the server, in words an operator can
act on (damaged, full, read-only, locked, unreachable); `StoreDamaged` for a corrupt file. A
SQLite store file is created whole (schema written aside, then linked into place), so an empty or
cut-short file is always damage, never a new, empty queue.

Changes that need an audit record take an `audit` hook, run inside their transaction after
the change and before COMMIT (the audit-first rule, publish/audit.py). The store keeps, in
`meta`, the audit log position it was last checked against (publish/integrity.py), and in
`unlogged` the records of deliveries whose outcome was committed but whose audit record
could not be written (written later, never dropped). A small reserve file beside a SQLite store
is given up when the disk fills, so that the outcome of a post that went out can still be
recorded. `open_store(config)` is how every command opens the project's store.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from mediactl.core.errors import MediactlError
from mediactl.core.redaction import redact
from mediactl.publish.database import DAMAGED_HINT as DAMAGED_HINT  # re-exported: callers import the errors from here
from mediactl.publish.database import (
    POSTGRESQL,
    SQLITE,
    Connection,
    Database,
    StoreError,
    integrity_problems,
    lock_rows,
    open_database,
    reserve_ids,
    serialize,
    upsert,
)
from mediactl.publish.database import StoreDamaged as StoreDamaged  # re-exported, as DAMAGED_HINT
from mediactl.publish.database import store_error as store_error  # re-exported, as DAMAGED_HINT

if TYPE_CHECKING:  # annotations only
    from mediactl.config.credentials import Environment
    from mediactl.config.model import Config
    from mediactl.publish.replay import SwitchFacts


class JobState(StrEnum):
    """Where a job is. A StrEnum: the store, the audit log and JSON output hold the plain value ("sent")."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    AWAITING_CONFIRMATION = "awaiting-confirmation"
    EXPIRED = "expired"  # awaited confirmation, and too few confirmed before the channel's expire_after
    RECALLED = "recalled"  # it was sent, then withdrawn from the platform (`mediactl recall`)


STATES = tuple(JobState)
# Jobs that went (or may have gone) to the audience: what frequency caps and receive limits count.
DELIVERED = ("sending", "sent", "unknown", "awaiting-confirmation", "expired", "recalled")


Admit = Callable[[Connection, "Job", float], "tuple[float, str] | None"]


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
    confirmation: dict[str, Any] | None = None  # who confirmed a task a person must confirm (None: unchanged)
    remote_detail: dict[str, Any] | None = (
        None  # the platform's own ids of the post besides remote_id (None: unchanged)
    )

    def apply(self, db: Connection) -> bool:
        """Only from the expected state: a job cancelled or resolved meanwhile keeps what a person decided.
        Whether the job changed."""
        if self.state == JobState.PENDING:
            return (
                db.execute(
                    "UPDATE jobs SET state = 'pending', due_at = ?, error = ?, updated_at = ? WHERE id = ? AND state = ?",
                    (self.due_at, _redacted(self.error), time.time(), self.job_id, self.expect),
                ).rowcount
                == 1
            )
        if self.state not in STATES:
            raise ValueError(f"unknown job state {self.state!r}")
        return (
            db.execute(
                "UPDATE jobs SET state = ?, remote_id = COALESCE(?, remote_id), remote_url = COALESCE(?, remote_url), "
                "error = ?, confirmation = COALESCE(?, confirmation), remote_detail = COALESCE(?, remote_detail), "
                "updated_at = ? WHERE id = ? AND state = ?",
                (
                    self.state,
                    *map(_redacted, (self.remote_id, self.remote_url, self.error)),
                    None if self.confirmation is None else _confirmation_json(self.confirmation),
                    None if not self.remote_detail else _confirmation_json(self.remote_detail),
                    time.time(),
                    self.job_id,
                    self.expect,
                ),
            ).rowcount
            == 1
        )


def _confirmation_json(confirmation: dict[str, Any]) -> str:
    """One stable text per confirmation (sorted keys), so an unchanged report changes no row."""
    return json.dumps(confirmation, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _redacted(text: str | None) -> str | None:
    """Text as the store keeps it: a platform's error may echo a secret, and the store is read by `queue ls`."""
    return None if text is None else redact(text)


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
class SealedGrant:
    """A channel's OAuth grant as the store keeps it: sealed tokens, and when they end (bound into the seal)."""

    sealed: bytes
    expires_at: float
    refresh_expires_at: float | None
    updated_at: float


def audience_key(segments: Iterable[str]) -> str:
    """How a job stores its item's audience (`Job.audience`): the segment words joined by commas. The gate, the
    queue and the calendar form it here, so a by-audience cap counts the same words everywhere."""
    return ",".join(segments)


def shares_audience(wanted: str, other: str) -> bool:
    """Whether a delivery to audience `other` counts against a by-audience cap of a post to `wanted` (both audience
    keys): they share a segment, or either names none (a post to everyone reached every segment, so it counts
    against each segment's cap, and each delivery counts against a post to everyone)."""
    segments = set(filter(None, wanted.split(",")))
    others = set(filter(None, other.split(",")))
    return not segments or not others or bool(segments & others)


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
    confirmation: str | None = None  # JSON: per-staff confirmation of a task a person must confirm (schema v5)
    remote_detail: str | None = None  # JSON: the platform's own ids and facts of a sent post (schema v7)

    TIMES: ClassVar[tuple[str, ...]] = ("due_at", "claimed_at", "created_at", "updated_at")  # epoch seconds: moments

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def confirmed(self) -> dict[str, Any]:
        """The confirmation the platform last reported (per staff member and in total), {} when none."""
        return json.loads(self.confirmation) if self.confirmation else {}

    def remote(self) -> dict[str, Any]:
        """What the platform's receipt said of the sent post besides its id (WeChat: msg_data_id, the day it was
        published), {} when it said nothing or the job was sent before mediactl kept it."""
        return json.loads(self.remote_detail) if self.remote_detail else {}


def _drop_plain_tokens(db: Connection) -> None:
    """Delete the tokens older versions stored in plain text, overwriting their bytes (secure_delete). Only SQLite
    stores are that old: a PostgreSQL store's column holds bytes only."""
    if db.dialect == SQLITE:
        db.execute("PRAGMA secure_delete = ON")
        db.execute("DELETE FROM tokens WHERE typeof(token) != 'blob'")


def idempotency_key(channel: str, item: str, content_hash: str) -> str:
    return hashlib.sha256(f"{channel}\0{item}\0{content_hash}".encode()).hexdigest()[:32]


def _due_filter(
    now: float, *, paused: set[str] | None, channel: str | None, ids: set[int] | None
) -> tuple[str, list[Any]]:
    """The WHERE clause of due pending jobs, with claim_due's filters; shared by claims and counts.

    The pause switches are read in the same statement, not only when a run starts: a pause made on another
    host (or from another terminal) stops every run's next claim."""
    where = [
        "state = 'pending'",
        "due_at <= ?",
        "NOT EXISTS (SELECT 1 FROM switches WHERE scope IN ('*', jobs.channel))",
    ]
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


def worker_id(session: str | None = None) -> str:
    """host:pid (the pid is what reconciliation checks for liveness on this host) and the thread, for people
    reading it; on PostgreSQL, "@" and the claiming server session, which is checked from any host."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}" + (f"@{session}" if session else "")


def _claim_session(claimed_by: str | None) -> str | None:
    _, at, session = (claimed_by or "").partition("@")
    return session if at and session.startswith("pg:") else None


def orphaned_by_process(job: Job, lease: float) -> bool:
    """The claiming process is gone (same host, pid not alive) or, for a claimer we cannot see, the lease ran out."""
    host, pid, _thread = [*(job.claimed_by or "").partition("@")[0].split(":"), "", "", ""][:3]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except OSError:  # it exists, but is another user's (or, on Windows, cannot be asked): alive
            return False
        return False
    return (job.claimed_at or 0) < time.time() - lease


class Store:
    """The queue, pause switches, token cache and bookkeeping of one state store, on its database (SQLite or
    PostgreSQL: publish/database.py); one connection, shared by a process's threads."""

    def __init__(self, where: Path | str | Database, *, environment: Environment | None = None) -> None:
        self.database = where if isinstance(where, Database) else open_database(where, environment=environment)
        self.db: Any = self.database.connection
        self.path: Path | None = self.database.path  # the SQLite file (None: a server)
        self.name = self.database.name  # what messages call it: the file, or the URL without its password

    @property
    def dialect(self) -> str:
        return self.database.dialect

    def close(self) -> None:
        self.database.close()

    @contextmanager
    def transaction(self, *, durable: bool = True, audit: AuditHook | None = None,
                    exclusive: bool = False) -> Iterator[Any]:  # fmt: skip
        """One writer's transaction (see Database.transaction): on SQLite BEGIN IMMEDIATE, so claims never overlap;
        on PostgreSQL READ COMMITTED with the rows locked, claims skipping each other's (SKIP LOCKED).

        ``durable=False`` commits without waiting for the disk: the commit survives a crash of this
        process, and a power loss (a server crash) can only take it back to the state of the last durable
        commit. Used for recording outcomes only: an outcome lost that way leaves the job `sending`,
        which the next run reconciles (platform status, else `unknown`), never resends; the audit log
        (fsynced) may then already hold the outcome that the store lost.
        Claims stay durable: the `sending` mark is what prevents a second delivery.
        ``audit``: the hook whose record the transaction wrote; voided if the COMMIT fails.
        ``exclusive``: no other write transaction is open meanwhile (always so on SQLite).
        """
        body_done = False
        try:
            with self.database.transaction(durable=durable, exclusive=exclusive) as db:
                yield db
                body_done = True
        except StoreError as exc:
            if body_done and audit is not None:  # the COMMIT failed after the record was written
                audit.void(exc)
            raise

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A consistent read with no write transaction open meanwhile (no audited change is half done); changes
        nothing."""
        with self.database.snapshot() as db:
            yield db

    # --- jobs -------------------------------------------------------------------------------

    def enqueue(self, channel: str, item: str, content_hash: str, due_at: float, *, audience: str = "",
                forced_reason: str | None = None, audit: AuditHook | None = None) -> tuple[Job, bool]:  # fmt: skip
        """Queue a variant; returns (job, created). The same key again returns the existing job (and writes no
        record: nothing changed)."""
        key = idempotency_key(channel, item, content_hash)
        now = time.time()
        with self.transaction(audit=audit) as db:
            row = db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()
            inserted = (
                row is None
                and db.execute(
                    "INSERT INTO jobs (idempotency_key, channel, item, content_hash, audience, due_at, state, "
                    "forced_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) "
                    "ON CONFLICT (idempotency_key) DO NOTHING",
                    (key, channel, item, content_hash, audience, due_at, forced_reason, now, now),
                ).rowcount
                == 1
            )  # on PostgreSQL another host may insert the key meanwhile: this one then waits, and does nothing
            job = Job(**(row or db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()))
            if not inserted:
                return job, False
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
        filters = Claim(frozenset(paused or ()), channel, None if ids is None else frozenset(ids))
        return self.database.run(lambda db: self._claim(db, now, limit, filters))

    def release(self, job_id: int) -> None:
        """Give back a job claimed but never tried (the run failed before sending it): pending again, attempt not counted."""
        with self.transaction() as db:
            db.execute(
                "UPDATE jobs SET state = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
                "claimed_by = NULL, updated_at = ? WHERE id = ? AND state = 'sending'",
                (time.time(), job_id),
            )

    @staticmethod
    def waiting_for_slot(db: Connection, channel: str, now: float) -> int:
        """Jobs of a channel already deferred to a future slot by a rate limit (for spreading a backlog)."""
        row = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE channel = ? AND state = 'pending' AND due_at > ? AND error LIKE 'cap: %'",
            (channel, now),
        ).fetchone()
        return int(row[0])

    @staticmethod
    def serialize_channel(db: Connection, channel: str) -> None:
        """Hold a channel's rate-limit decisions to this transaction (other hosts' wait): see database.serialize."""
        serialize(db, f"mediactl channel {channel}")

    def settle_and_claim(self, settlement: Settlement | None, claim: Claim | None) -> tuple[bool, Job | None]:
        """Record one job's outcome and claim the next due job, in one transaction.

        Delivery threads do both after every job; one commit instead of two halves the serialised
        work on the store (the publish benchmark's limit). The transaction is durable when it claims
        (see ``transaction``). ``claim`` says which job may be taken; None claims nothing. Returns whether
        the settlement changed the job (False: it had left the expected state, settled by another run or a
        person) and the job claimed, if any. Run again after a serialization failure or deadlock (PostgreSQL):
        the settlement only applies from its expected state, and deferrals noted by a failed try are dropped.
        """
        if settlement is None and claim is None:
            return False, None
        noted = len(claim.deferred) if claim is not None and claim.deferred is not None else 0

        def work(db: Connection) -> tuple[bool, Job | None]:
            if claim is not None and claim.deferred is not None:
                del claim.deferred[noted:]  # a try rolled back: its deferrals did not happen
            applied = settlement.apply(db) if settlement is not None else False
            if claim is None:
                return applied, None
            (job,) = self._claim(db, time.time(), 1, claim) or (None,)
            return applied, job

        return self.database.run(work, durable=claim is not None)

    @staticmethod
    def _claim(db: Connection, now: float, limit: int, claim: Claim) -> list[Job]:
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
                db.execute(
                    "UPDATE jobs SET due_at = ?, error = ?, updated_at = ? WHERE id = ?",
                    (later, _redacted(reason), now, job.id),
                )
                if claim.deferred is not None:
                    claim.deferred.append((job, reason))
        return claimed

    @staticmethod
    def _mark_sending(db: Connection, job: Job, now: float) -> Job:
        db.execute(
            "UPDATE jobs SET state = 'sending', claimed_by = ?, claimed_at = ?, attempts = attempts + 1, "
            "updated_at = ? WHERE id = ?",
            (worker_id(db.session), now, now, job.id),
        )
        return Job(**db.execute("SELECT * FROM jobs WHERE id = ?", (job.id,)).fetchone())

    @staticmethod
    def _claim_batch(
        db: Connection, now: float, limit: int, *, paused: set[str] | None, channel: str | None,
        ids: set[int] | None,
    ) -> list[Job]:  # fmt: skip
        if ids is not None and not ids:
            return []
        where, args = _due_filter(now, paused=paused, channel=channel, ids=ids)
        rows = db.execute(
            f"SELECT * FROM jobs WHERE {where} ORDER BY due_at, id LIMIT ?{lock_rows(db)}", [*args, limit]
        )
        return [Job(**row) for row in rows]

    @staticmethod
    def sent_since(db: Connection, channel: str, since: float, *, exclude: int) -> list[Any]:
        """Deliveries made to a channel since a moment (by when they were sent): for send-time rate limits."""
        return db.execute(
            f"SELECT audience, claimed_at FROM jobs WHERE channel = ? AND claimed_at > ? AND id != ? "
            f"AND state IN ({_marks(DELIVERED)}) ORDER BY claimed_at",
            (channel, since, exclude, *DELIVERED),
        ).fetchall()

    def count_due(self, now: float, *, paused: set[str] | None = None, ids: set[int] | None = None) -> int:
        """How many pending jobs are due (for a progress bar: the same filters as a claim)."""
        if ids is not None and not ids:
            return 0
        where, args = _due_filter(now, paused=paused, channel=None, ids=ids)
        with self.database.read() as db:
            return int(db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}", args).fetchone()[0])

    def due_channels(self, now: float) -> list[str]:
        with self.database.read() as db:
            rows = db.execute(
                "SELECT DISTINCT channel FROM jobs WHERE state = 'pending' AND due_at <= ?", (now,)
            ).fetchall()
        return [row["channel"] for row in rows]

    def by_key(self, key: str) -> Job | None:
        with self.database.read() as db:
            row = db.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()
        return Job(**row) if row else None

    def record_remote_id(self, key: str, remote_id: str) -> None:
        """An asynchronous platform accepted the post (it gave an id to ask about it): written durably before
        waiting for the final state, so a run that dies while waiting leaves a job the next run can ask about."""
        with self.transaction() as db:
            db.execute(
                "UPDATE jobs SET remote_id = ?, updated_at = ? WHERE idempotency_key = ? AND state = 'sending'",
                (_redacted(remote_id), time.time(), key),
            )

    def record_confirmation(self, job_id: int, confirmation: dict[str, Any]) -> bool:
        """What the platform reports about a job still awaiting confirmation (per staff member, in total, reminders);
        observed, not decided, so it needs no audit record: the next sync asks the platform again. Whether it changed."""
        with self.transaction(durable=False) as db:
            text = _confirmation_json(confirmation)
            return (
                db.execute(
                    "UPDATE jobs SET confirmation = ?, updated_at = ? WHERE id = ? AND state = 'awaiting-confirmation' "
                    "AND (confirmation IS NULL OR confirmation != ?)",
                    (text, time.time(), job_id, text),
                ).rowcount
                == 1
            )

    def has_jobs(self) -> bool:
        with self.database.read() as db:
            return db.execute("SELECT 1 FROM jobs LIMIT 1").fetchone() is not None

    def get(self, job_id: int) -> Job | None:
        with self.database.read() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**row) if row else None

    def jobs(self, state: str | None = None, channel: str | None = None) -> list[Job]:
        query = "SELECT * FROM jobs WHERE 1=1"
        args: list[str] = []
        if state:
            query, args = query + " AND state = ?", [*args, state]
        if channel:
            query, args = query + " AND channel = ?", [*args, channel]
        with self.database.read() as db:
            rows = db.execute(query + " ORDER BY due_at, id", args).fetchall()
        return [Job(**row) for row in rows]

    def orphaned(self, jobs: list[Job], *, lease: float) -> list[Job]:
        """Those of these `sending` jobs whose claimer is gone, so reconciliation may settle them.

        A claim on PostgreSQL records the claiming server session: the session is the claimer's life, whatever
        host it ran on (a process killed, or a host gone, drops its connection; keepalives find a host that
        died silently within a minute), so it is asked of the server (pg_stat_activity), never guessed from a
        lease. Other claims (a SQLite store's, or one restored by a rebuild or an import) are checked by
        process on this host, and by the lease elsewhere."""
        sessions = {job.id: _claim_session(job.claimed_by) for job in jobs}
        alive = self.database.live_sessions({s for s in sessions.values() if s is not None})
        return [
            job for job in jobs
            if (sessions[job.id] not in alive if sessions[job.id] is not None and self.dialect == POSTGRESQL
                else orphaned_by_process(job, lease))
        ]  # fmt: skip

    def count_in_window(self, channel: str, start: float, end: float, audience: str | None = None) -> int:
        """Deliveries (sent, or still on their way) to a channel due in [start, end): for frequency caps."""
        with self.database.read() as db:
            rows = db.execute(
                f"SELECT audience FROM jobs WHERE channel = ? AND due_at >= ? AND due_at < ? "
                f"AND state IN ({_marks(('pending', *DELIVERED))})",
                (channel, start, end, "pending", *DELIVERED),
            ).fetchall()
        if audience is None:
            return len(rows)
        return sum(1 for row in rows if shares_audience(audience, row["audience"]))

    def set_state(self, job_id: int, state: str, *, allowed_from: tuple[str, ...], error: str | None = None,
                  remote_url: str | None = None, audit: AuditHook | None = None) -> Job:  # fmt: skip
        """A person's decision about a job (cancel, retry, resolve as sent at `remote_url`), from allowed states."""
        with self.transaction(audit=audit) as db:
            row = db.execute(f"SELECT * FROM jobs WHERE id = ?{lock_rows(db, skip_locked=False)}", (job_id,)).fetchone()
            if row is None:
                raise MediactlError(f"no job {job_id} in the queue")
            if row["state"] not in allowed_from:
                raise MediactlError(
                    f"job {job_id} is {row['state']}; only {', '.join(allowed_from)} jobs can become {state}"
                )
            now = time.time()
            db.execute(
                "UPDATE jobs SET state = ?, error = COALESCE(?, error), remote_url = COALESCE(?, remote_url), "
                "updated_at = ?, due_at = CASE WHEN ? = 'pending' AND due_at > ? THEN ? ELSE due_at END WHERE id = ?",
                (state, _redacted(error), _redacted(remote_url), now, state, now, now, job_id),
            )
            job = Job(**db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())
            if audit is not None:
                audit(job)
            return job

    # --- pause switches and tokens ---------------------------------------------------------------

    def pause(self, scope: str, reason: str, actor: str, *, audit: AuditHook | None = None) -> None:
        """Exclusive: it waits for the claims open at this moment, on every host, to commit; every claim after it
        sees the switch (claims read the switches: _due_filter). So once `pause` returns, no job is taken."""
        with self.transaction(audit=audit, exclusive=True) as db:
            db.execute(_SWITCH, (scope, reason, actor, time.time()))
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
        with self.database.read() as db:
            row = db.execute("SELECT token, expires_at FROM tokens WHERE channel = ?", (channel,)).fetchone()
        if row is not None and not isinstance(row["token"], bytes):
            self.forget_token(channel)
            return None
        return (row["token"], row["expires_at"]) if row and row["expires_at"] > now else None

    def save_token(self, channel: str, sealed: bytes, expires_at: float) -> None:
        with self.transaction() as db:
            _drop_plain_tokens(db)
            db.execute(_TOKEN, (channel, bytes(sealed), expires_at))

    def forget_token(self, channel: str) -> None:
        """Delete a channel's cached token (and any plain token an older version left behind)."""
        with self.transaction() as db:
            _drop_plain_tokens(db)
            db.execute("DELETE FROM tokens WHERE channel = ?", (channel,))

    def grant(self, channel: str) -> SealedGrant | None:
        """A channel's OAuth grant as stored (sealed; publish/adapters/oauth.py opens it), if there is one."""
        with self.database.read() as db:
            row = db.execute("SELECT * FROM grants WHERE channel = ?", (channel,)).fetchone()
        return (
            SealedGrant(bytes(row["sealed"]), row["expires_at"], row["refresh_expires_at"], row["updated_at"])
            if row
            else None
        )

    def save_grant(self, channel: str, sealed: bytes, expires_at: float, refresh_expires_at: float | None, *,
                   audit: AuditHook | None = None) -> None:  # fmt: skip
        """Keep a channel's grant (replacing the one before), with its audit record when a person authorised it."""
        with self.transaction(audit=audit) as db:
            db.execute(_GRANT, (channel, bytes(sealed), expires_at, refresh_expires_at, time.time()))
            if audit is not None:
                audit(None)

    def paused(self) -> dict[str, dict[str, Any]]:
        with self.database.read() as db:
            rows = db.execute("SELECT * FROM switches").fetchall()
        return {row["scope"]: dict(row) for row in rows}

    # --- integrity, the audit position, records not yet logged, the reserve ------------------------------

    def integrity_problems(self, limit: int = 10) -> list[str]:
        """What the database finds damaged (database.integrity_problems); [] when the store is whole."""
        with self.database.read() as db:
            return integrity_problems(db, limit)

    def audit_checked(self) -> dict[str, Any] | None:
        """The audit log position this store was last found level with (publish/integrity.py), if any."""
        with self.database.read() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'audit_checked'").fetchone()
        return json.loads(row["value"]) if row else None

    @staticmethod
    def set_audit_checked(db: Connection, position: dict[str, Any]) -> None:
        db.execute(_META, ("audit_checked", json.dumps(position, ensure_ascii=False)))

    @staticmethod
    def reserve_job_ids(db: Connection, highest_used: int) -> None:
        """Never hand out a job number up to `highest_used` again (numbers the audit log already uses)."""
        reserve_ids(db, "jobs", highest_used)

    @staticmethod
    def restore(db: Connection, jobs: list[dict[str, Any]], switches: list[SwitchFacts], *,
                highest_job: int) -> None:  # fmt: skip
        """Rebuild (publish/recovery.py): each job in place of the row with its key (`id` None: a new number);
        a row holding a number a restored job needs moves to a new one. Pause switches on or off as given
        (`scope`, `paused`, `reason`, `actor`, `at`). Job numbers go on above `highest_job`. (Approvals are not
        state: signed records in the repository, publish/records.py.)"""
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
                db.execute(_SWITCH, (switch.scope, switch.reason, switch.actor, switch.at))
            else:
                db.execute("DELETE FROM switches WHERE scope = ?", (switch.scope,))

    def keep_unlogged(self, action: str, fields: dict[str, Any], error: str) -> None:
        """Keep a delivery's audit record that could not be written, to write it later (never dropped)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO unlogged (action, fields, at, error) VALUES (?, ?, ?, ?)",
                (action, json.dumps(fields, ensure_ascii=False), time.time(), error),
            )

    def unlogged(self) -> list[Unlogged]:
        with self.database.read() as db:
            rows = db.execute("SELECT * FROM unlogged ORDER BY id").fetchall()
        return [Unlogged(row["id"], row["action"], json.loads(row["fields"]), row["at"], row["error"]) for row in rows]

    def forget_unlogged(self, entry: Unlogged, *, audit: AuditHook) -> None:
        """The record is being written now: in the transaction that forgets it, so it is written once."""
        with self.transaction(audit=audit) as db:
            if db.execute("DELETE FROM unlogged WHERE id = ?", (entry.id,)).rowcount:
                audit(entry)

    def release_reserve(self) -> bool:
        """Give the reserve's disk space back (the disk is full and an outcome must be recorded); whether
        there was one (SQLite: see database.SqliteDatabase.release_reserve; a server keeps its own)."""
        return self.database.release_reserve()


_SWITCH = upsert("switches", ("scope", "reason", "actor", "at"), ("scope",))
_TOKEN = upsert("tokens", ("channel", "token", "expires_at"), ("channel",))
_GRANT = upsert("grants", ("channel", "sealed", "expires_at", "refresh_expires_at", "updated_at"), ("channel",))
_META = upsert("meta", ("key", "value"), ("key",))


QUEUE_FILE = "queue.sqlite3"  # the embedded store's file in the state folder


def open_store(config: Config, *, check_schema: bool = True) -> Store:
    """The project's state store, the one way every command opens it: `project.state` a folder (SQLite in
    `QUEUE_FILE`, the embedded default), or a postgresql:// URL (the team's shared store; MEDIACTL_STATE_KEY
    required, since its tokens travel with every copy and backup of the database). `check_schema=False`:
    for `mediactl state migrate` only."""
    url = config.project.state_url
    if url is None:
        return Store(config.state_path / QUEUE_FILE)
    environment = config.environment()
    _require_state_key(environment)
    return Store(open_database(url, environment=environment, check_schema=check_schema))


def store_exists(config: Config) -> bool:
    """Whether there is a store to read (listing never creates an embedded one; a shared one always exists)."""
    return config.project.state_url is not None or (config.state_path / QUEUE_FILE).exists()


def _require_state_key(environment: Environment) -> None:
    from mediactl.publish.adapters.tokenseal import STATE_KEY, state_key  # lazy: start-up

    if state_key(environment) is None:
        raise StoreError(
            f"{STATE_KEY} is not set: a shared state store (project.state is a postgresql:// URL) seals the "
            "platforms' access tokens with it, so that a copy or backup of the database reveals none; nothing was "
            "read or changed.",
            hint=f"set {STATE_KEY} to the team's key, the same on every host, in the environment or the project's "
            ".env (never in git); a new team makes one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
            code="STATE_KEY",
        )
