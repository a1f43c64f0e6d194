"""Is the state store whole, and does it hold everything the audit log records?

The store is what stops a second delivery (the idempotency keys) and holds the pause switches.
A store deleted, emptied, cut short, corrupted or replaced by an older copy must never pass for
a quiet queue: a job it forgot is sent again, a pause it forgot lets everything out. So before
anything that could publish (publish in every form, queue retry/cancel/resolve, approve), three
witnesses are heard, and a store that fails one is refused until an operator resolves it
(publish/recovery.py: `mediactl state rebuild`, or `mediactl state accept-loss --reason`):

1. SQLite's `integrity_check`: the file is whole, and every index matches its table. (The
   cheaper `quick_check` passes a unique index that has forgotten keys, and with it a second
   job for the same content.) A PostgreSQL server keeps its pages whole itself; its indexes
   must be valid (database.integrity_problems).
2. The audit log. Every change to the store is written to the log first (the audit-first rule,
   publish/audit.py), so the store must hold what the log records. The store keeps, in `meta`,
   the position (sequence number, hash, line, offset) of the last record it was found level
   with; each check replays only the records after it (publish/replay.py) and compares: every
   job the log queued is in the store (by idempotency key); a job the log says was sent or
   cancelled, or whose outcome is unknown, is not in a state from which it could go out again;
   a pause the log says is on is on. (Approvals are signed files in the repository, not state.) Found level, the
   position moves to the end of the log. A store replaced by an older copy carries the older
   position, so the records since are checked again and what it lacks is found; a deleted store
   has no position, so the whole log is checked; a log cut short or replaced no longer holds the
   position, which is an error too. The store's job numbers never fall below those in the log
   (rebuild and accept-loss raise its counter), so a number means one job.
3. The outbox receipts on disk: a store that holds no job and was never checked, beside
   receipts, has lost them, even when the log was lost with it.

One difference is expected and settled, not refused: the log holds the outcome of a job the
store still has `sending` (or `unknown` while the log says sent). A power cut can take back an
outcome committed without waiting for the disk (store.transaction); `reconcile` settles such
jobs from the log's record (`Level.logged`), before asking the platform.

A check runs under the store's write lock (an exclusive transaction: on PostgreSQL the writers'
lock taken alone, on every host): an audited change holds it from before its record is written
until its COMMIT, so no change is half done while the check compares.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from mediactl.core.errors import MediactlError
from mediactl.publish import audit
from mediactl.publish.replay import JobFacts, Replay, outbox_receipts
from mediactl.publish.store import DAMAGED_HINT, Job, JobState, Store, StoreDamaged

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config

# Store states a job may be in when the log last left it in a state that must not be sent (again). The store
# may run ahead of the log only by an outcome (committed, then logged), never by a person's decision (logged
# first). Other logged states (pending, failed) only need the job to exist.
ACCEPTED = {
    JobState.SENT: {JobState.SENT},
    JobState.CANCELLED: {JobState.CANCELLED},
    JobState.RECALLED: {JobState.RECALLED},
    JobState.UNKNOWN: {JobState.UNKNOWN, JobState.SENT, JobState.FAILED, JobState.AWAITING_CONFIRMATION},
    JobState.AWAITING_CONFIRMATION: {
        JobState.AWAITING_CONFIRMATION,
        JobState.SENT,
        JobState.FAILED,
        JobState.UNKNOWN,
        JobState.EXPIRED,
    },
    JobState.EXPIRED: {JobState.EXPIRED},
}
FINAL = (JobState.SENT, JobState.FAILED, JobState.UNKNOWN, JobState.AWAITING_CONFIRMATION)
LOST_OUTCOME: dict[str, tuple[JobState, ...]] = {  # keyed by a store row's state (text), to what was logged
    JobState.SENDING: FINAL,
    JobState.UNKNOWN: (JobState.SENT,),
    JobState.AWAITING_CONFIRMATION: (JobState.SENT, JobState.EXPIRED),
}
SHOWN = 10  # differences listed in an error; all of them go into an accept-loss record


@dataclass
class Level:
    """The store compared with the log: what differs, outcomes to settle from the log, and how far it was read."""

    problems: list[str] = field(default_factory=list)
    logged: dict[str, JobFacts] = field(default_factory=dict)  # by idempotency key
    position: audit.Position | None = None
    highest_job: int = 0


class StateLossError(MediactlError):
    """The store does not hold what the audit log (or the outbox receipts) record: publishing stops."""

    def __init__(self, store: str, log: audit.Log, problems: list[str]) -> None:
        super().__init__(
            f"{store}: the state store does not hold what {log.name} and the outbox receipts record "
            f"({len(problems)} difference(s)); it was deleted, emptied or replaced by an older copy. "
            "Nothing is published, approved or requeued until an operator resolves this.",
            hint="run `mediactl state rebuild`: it rebuilds jobs and pause switches from the audit log and "
            "the outbox receipts (what was sent stays sent; what may have gone out is asked about, never sent again). "
            'To go on without what was lost instead, run `mediactl state accept-loss --reason "…"` (audited).',
        )
        self.problems = problems

    def lines(self) -> list[str]:
        shown = [f"  - {problem}" for problem in self.problems[:SHOWN]]
        more = [f"  … and {len(self.problems) - SHOWN} more"] if len(self.problems) > SHOWN else []
        first, *hint = super().lines()
        return [first, *shown, *more, *hint]


def require_intact(store: Store, log: audit.Log, config: Config) -> Level:
    """Raise unless the store is whole and level with the log (StoreDamaged, StateLossError, or AuditError naming
    a damaged line); then remember how far the log was read, so the next check reads on from there."""
    require_whole(store)
    with store.transaction(exclusive=True) as db:  # no audited change half done meanwhile, on any host
        level = compare(store, log, config)
        if level.problems:
            raise StateLossError(store.name, log, level.problems)
        if level.position is not None and asdict(level.position) != store.audit_checked():
            Store.set_audit_checked(db, asdict(level.position))
    return level


def require_readable(store: Store, log: audit.Log, config: Config) -> Level:
    """Raise as `require_intact` does, changing nothing: what the store holds is only worth showing if it is
    whole and holds what the log records."""
    require_whole(store)
    level = inspect(store, log, config)
    if level.problems:
        raise StateLossError(store.name, log, level.problems)
    return level


def require_whole(store: Store) -> None:
    problems = store.integrity_problems()
    if problems:
        raise StoreDamaged(
            f"{store.name}: the state store is damaged (integrity check: {'; '.join(problems[:3])}); "
            "nothing was changed.",
            hint=DAMAGED_HINT,
        )


def inspect(store: Store, log: audit.Log, config: Config) -> Level:
    """The comparison without changing anything (for listing and `doctor`)."""
    with store.snapshot():
        return compare(store, log, config)


def compare(store: Store, log: audit.Log, config: Config) -> Level:
    """Replay the records after the store's audit position and list what the store lacks (under its lock)."""
    checked = store.audit_checked()
    start = audit.Position(**checked) if checked else None
    entries = list(audit.entries_after(log, start))
    replay = Replay(resolve=lambda job_id: _key_of(store, job_id), barriers=True).apply_all(entries)
    level = Level(position=entries[-1].position if entries else start, highest_job=replay.highest_job)
    for facts in replay.jobs.values():
        _compare_job(facts, store.by_key(facts.key), level)
    level.problems += [f"{what} is recorded in the audit log but missing from the store" for what in replay.unresolved]
    paused = store.paused()
    level.problems += [
        f"the pause of {s.scope} ('{s.reason}', audit log line {s.line}) is missing from the store"
        for s in replay.switches.values()
        if s.paused and s.scope not in paused
    ]
    if checked is None and not store.has_jobs():  # receipts of deliveries the log does not name (lost with it)
        level.problems += [
            f"{r.path} records a delivery of {r.item} to {r.channel} that the store does not know"
            for r in outbox_receipts(config)
            if r.key not in replay.jobs
        ]
    return level


def _compare_job(facts: JobFacts, job: Job | None, level: Level) -> None:
    if job is None:
        level.problems.append(
            f"{facts.name} is {facts.state} in the audit log (line {facts.line}) but missing from the store"
        )
        return
    if facts.state in LOST_OUTCOME.get(job.state, ()):
        level.logged[facts.key] = facts  # an outcome the store lost (a power cut): reconcile settles it
        return
    if facts.state in ACCEPTED and job.state not in ACCEPTED[facts.state]:
        level.problems.append(
            f"{facts.name} is {facts.state} in the audit log (line {facts.line}) but {job.state} in the store"
        )


def _key_of(store: Store, job_id: int) -> str | None:
    job = store.get(job_id)
    return job.idempotency_key if job is not None else None


def store_beyond_log(store: Store, log: audit.Log) -> list[str]:
    """What the store records that the whole audit log does not: jobs it never mentions, deliveries it
    never records. An emptied, replaced or deleted log then fails `log verify`, even though the chain of
    what is left (nothing, or a fresh start) is intact. Records kept while the log could not take them
    (the store's `unlogged` table, written later) count as in the log."""
    replay = Replay(resolve=lambda job_id: _key_of(store, job_id)).apply_all(audit.entries_after(log, None))
    late = {(u.fields.get("job"), u.action) for u in store.unlogged()}
    problems = []
    for job in store.jobs():
        facts = replay.jobs.get(job.idempotency_key)
        if facts is None:
            problems.append(
                f"job {job.id} ({job.channel}/{job.item}) is in the store, but the audit log never queued it"
            )
        elif job.state == JobState.SENT and facts.state != JobState.SENT and (job.id, "delivery.sent") not in late:
            problems.append(f"job {job.id} ({job.channel}/{job.item}) was sent, but the audit log does not record it")
    return problems
