"""Recovering a lost, damaged or outdated state store: rebuild it from the audit log, or accept the loss.

Rebuild (`mediactl state rebuild`) is what an operator wants whenever the log is whole, since the
log holds every change (the audit-first rule, publish/audit.py):
- a damaged store file is kept aside (`queue.sqlite3.damaged-<time>`) and a new store made; records
  the store kept because the log could not take them (`unlogged`) are written first;
- every job the log queued is restored under its idempotency key with the outcome the log holds:
  sent stays sent (never sent again), failed, unknown and cancelled stay as they were. A job whose
  time had come but whose outcome the log does not hold may have gone out just before the store was
  lost: it is restored as `sending`, claimed by a run that is gone, so the next `publish --due`
  reconciles it (the platform's status, the outbox receipt) or marks it unknown for a person, and
  never sends it blindly. A job not yet due is pending again. Where the store still holds a job
  further along than the log (an outcome whose record was lost), the store's state is kept;
- outbox receipts the log does not know (the log was lost too) become sent jobs;
- pause switches are as the log last left them; job numbers go on above the log's. Approvals are not
  rebuilt: they are signed records in the repository (approvals/), so a lost store loses none.
All of it is one transaction with its `state.rebuilt` record, which also becomes the store's
audit position (publish/integrity.py).

Accept loss (`mediactl state accept-loss --reason R`) is for what cannot be rebuilt (the log lost
or damaged too) or what an operator decides to give up: every difference goes into a
`state.accept-loss` record with the reason and the operator's name, and checking starts again
from that record.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.core.errors import UsageError
from mediactl.publish import audit, integrity
from mediactl.publish.audit import AuditError
from mediactl.publish.replay import JobFacts, ReceiptFacts, Replay, outbox_receipts
from mediactl.publish.store import Job, JobState, Store, StoreDamaged

if TYPE_CHECKING:  # annotations only
    from mediactl.publish.runner import Publisher

CLAIMED_BY_REBUILD = "state-rebuild:0:0"  # no such host: reconciliation treats the job as orphaned
AHEAD = (
    JobState.SENT,
    JobState.FAILED,
    JobState.UNKNOWN,
    JobState.AWAITING_CONFIRMATION,
    JobState.EXPIRED,
    JobState.CANCELLED,
)


@dataclass
class Rebuilt:
    """What a rebuild restored, for the operator and the `state.rebuilt` record."""

    jobs: dict[str, int] = field(default_factory=dict)  # by state
    paused: list[str] = field(default_factory=list)
    from_receipts: int = 0
    late_records: int = 0
    kept_aside: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value}


def keep_damaged_aside(path: Path) -> Path | None:
    """Move a store file SQLite finds damaged (and its -wal, -shm) aside, for inspection; the new name or None."""
    try:
        store = Store(path)
    except StoreDamaged:
        pass
    else:
        try:
            if not store.integrity_problems():
                return None
        except StoreDamaged:
            pass
        finally:
            store.close()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for end in ("", "-wal", "-shm"):
        source = path.with_name(path.name + end)
        if source.exists():
            source.rename(aside.with_name(aside.name + end))
    return aside


def rebuild(publisher: Publisher, *, kept_aside: Path | None = None) -> Rebuilt | None:
    """Rebuild the store from the audit log and the outbox receipts (see the module doc); None when the store
    is whole and level with the log already (nothing to rebuild: a needless rebuild would make due jobs
    uncertain)."""
    store, log = publisher.store, publisher.audit_log
    if kept_aside is None and not integrity.inspect(store, log, publisher.config).problems:
        return None
    count, broken = audit.verify(log)
    if broken is not None:
        raise AuditError(
            f"{log.at(broken.line)}: {broken.reason}; the store cannot be rebuilt from a broken log ({count} record(s) "
            "before it are intact); nothing was changed.",
            hint='restore audit.jsonl from a backup, or go on without it: `mediactl state accept-loss --reason "…"`',
        )
    summary = Rebuilt(kept_aside=str(kept_aside) if kept_aside else None, late_records=publisher.write_unlogged())
    replay = Replay().apply_all(audit.entries_after(log, None))
    jobs = [_restored(facts, store.by_key(facts.key)) for facts in replay.jobs.values()]
    known = {job["idempotency_key"] for job in jobs}
    receipts = [r for r in outbox_receipts(publisher.config) if r.key not in known]
    jobs += [_from_receipt(r) for r in receipts]
    summary.from_receipts = len(receipts)
    for job in jobs:
        summary.jobs[job["state"]] = summary.jobs.get(job["state"], 0) + 1
    switches = list(replay.switches.values())
    summary.paused = sorted(s.scope for s in switches if s.paused)
    hook = publisher.audited("state.rebuilt", more=lambda done: done.to_record())
    with store.transaction(audit=hook) as db:
        Store.restore(db, jobs, switches, highest_job=replay.highest_job)
        hook(summary)
        assert hook.record is not None  # the call above wrote it, or raised
        Store.set_audit_checked(db, _position(hook.record))
    return summary


def _restored(facts: JobFacts, held: Job | None) -> dict[str, Any]:
    """A job's row as the log tells it; the store's own row where it is further along (see the module doc)."""
    if held is not None and facts.state == JobState.PENDING and held.state in AHEAD:
        return held.to_dict()
    row = {
        "id": facts.id, "idempotency_key": facts.key, "channel": facts.channel, "item": facts.item,
        "content_hash": facts.content_hash or "", "audience": facts.audience, "due_at": facts.due_at,
        "state": facts.state, "attempts": held.attempts if held else 0, "claimed_by": None,
        "claimed_at": facts.settled_at, "remote_id": facts.remote_id or (held.remote_id if held else None),
        "remote_url": facts.remote_url, "error": facts.error, "forced_reason": facts.forced_reason,
        "created_at": facts.created_at, "updated_at": time.time(),
        "remote_detail": _json(facts.remote_detail) if facts.remote_detail else (held.remote_detail if held else None),
    }  # fmt: skip
    if facts.state == JobState.PENDING and facts.due_at <= time.time():  # it may have gone out: reconcile, never resend
        row.update(state=JobState.SENDING, claimed_by=CLAIMED_BY_REBUILD, claimed_at=0.0,
                   error="rebuilt from the audit log: its time had come, and the log holds no outcome")  # fmt: skip
    return row


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _from_receipt(receipt: ReceiptFacts) -> dict[str, Any]:
    return {
        "id": None, "idempotency_key": receipt.key, "channel": receipt.channel, "item": receipt.item,
        "content_hash": receipt.content_hash, "audience": "", "due_at": receipt.at, "state": JobState.SENT, "attempts": 1,
        "claimed_by": None, "claimed_at": receipt.at, "remote_id": receipt.content_hash[:16],
        "remote_url": receipt.path.parent.resolve().as_uri(), "error": "rebuilt from its outbox receipt",
        "forced_reason": None, "created_at": receipt.at, "updated_at": time.time(),
    }  # fmt: skip


def accept_loss(publisher: Publisher, reason: str, *, kept_aside: Path | None = None) -> list[str]:
    """Record, with the reason, that what the store lacks is given up; checking resumes after that record.
    Returns the differences accepted."""
    if not reason.strip():
        raise UsageError("--reason must say why the loss is accepted (it goes to the audit log)")
    store, log = publisher.store, publisher.audit_log
    try:
        lost = integrity.inspect(store, log, publisher.config).problems
    except AuditError as exc:  # the log itself is lost or damaged: that is what is accepted
        lost = [exc.message]
    if kept_aside is not None:
        lost.insert(0, f"the damaged store was kept aside as {kept_aside}")
    hook = publisher.audited("state.accept-loss", reason=reason.strip(), differences=len(lost), lost=lost,
                             kept_aside=str(kept_aside) if kept_aside else None)  # fmt: skip
    with store.transaction(audit=hook) as db:
        Store.reserve_job_ids(db, _highest_job(log))
        hook(None)
        assert hook.record is not None  # the call above wrote it, or raised
        Store.set_audit_checked(db, _position(hook.record))
    return lost


def _highest_job(log: audit.Log) -> int:
    """The highest job number in the log, read as far as it can be read (a damaged log is why we are here)."""
    highest = 0
    try:
        for record in audit.records(log):
            if isinstance(record.get("job"), int):
                highest = max(highest, record["job"])
    except AuditError:
        pass
    return highest


def _position(record: dict[str, Any]) -> dict[str, Any]:
    """The store's audit position at a record just written (found by its seq and hash when next read)."""
    return asdict(audit.Position(record["seq"], record["hash"], line=0))
