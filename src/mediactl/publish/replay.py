"""What the audit log says the state is: jobs and their outcomes, and pause switches.

Approvals are not state: they are signed records in the repository (approvals/<slug>.yaml,
publish/records.py), so their `item.approved` records are history to read, not state to restore.

Every change to the state store has its record in the audit log (the audit-first rule,
publish/audit.py), so replaying records in order tells what the store should hold. Used to
check the store against the log (publish/integrity.py) and to rebuild it (publish/recovery.py).

Jobs are known by their idempotency key, not their number: a store lost and recreated by an
older mediactl numbered its jobs from 1 again, so a number in an old record may have meant
another job. A record names its job by number; the number is mapped to the key of the job last
queued under it (`publish.enqueued` carries channel, item and content hash), or, for a job queued
before the records being replayed, resolved by the caller.

The outbox adapter also leaves a receipt beside every delivery
(`<path>/<channel>/<item>/<hash16>/receipt.json`): they survive the loss of the whole state folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.publish.adapters.outbox import RECEIPT
from mediactl.publish.audit import VOID, Entry
from mediactl.publish.store import JobState, idempotency_key

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config

# The state a record leaves its job in. (delivery.deferred only moves a pending job's time.)
OUTCOMES = {
    "publish.enqueued": JobState.PENDING,
    "delivery.retry": JobState.PENDING,
    "delivery.deferred": JobState.PENDING,
    "delivery.sent": JobState.SENT,
    "delivery.failed": JobState.FAILED,
    "delivery.unknown": JobState.UNKNOWN,
    "delivery.awaiting-confirmation": JobState.AWAITING_CONFIRMATION,
    "delivery.expired": JobState.EXPIRED,
    "queue.cancel": JobState.CANCELLED,
    "queue.retry": JobState.PENDING,
    "queue.resolve": JobState.SENT,
    "recall.withdrawn": JobState.RECALLED,
    "recall.cancelled": JobState.CANCELLED,
}
ACCEPT_LOSS = "state.accept-loss"


@dataclass
class JobFacts:
    """One job as the log tells it, up to the last record replayed."""

    key: str
    id: int
    channel: str
    item: str
    content_hash: str | None
    state: JobState
    line: int  # of the record that left it in `state`
    audience: str = ""
    due_at: float = 0.0
    forced_reason: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    error: str | None = None
    created_at: float = 0.0
    settled_at: float | None = None  # when the log recorded its outcome (for send-time rate limits)
    remote_detail: dict[str, Any] | None = None  # what the sent post's receipt said besides its id (Job.remote)

    @property
    def name(self) -> str:
        return f"job {self.id} ({self.channel}/{self.item})"


@dataclass(frozen=True)
class SwitchFacts:
    scope: str
    paused: bool
    reason: str
    actor: str
    at: float
    line: int


@dataclass
class Replay:
    """Records applied in order. `resolve(job_id)` gives the key of a job queued before the first record
    replayed (None: unknown); records about a job nobody can resolve are listed in `unresolved`.

    With `barriers`, a `state.accept-loss` record forgets what came before it: what the store lacked then
    was accepted as lost (checking). Without, every record counts (rebuilding: a job sent before a loss
    was accepted is still sent, and must not go out again).
    """

    resolve: Callable[[int], str | None] = lambda job_id: None
    barriers: bool = False
    jobs: dict[str, JobFacts] = field(default_factory=dict)
    switches: dict[str, SwitchFacts] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    highest_job: int = 0
    _key_of: dict[int, str] = field(default_factory=dict)

    def apply_all(self, entries: Iterable[Entry]) -> Replay:
        """Apply entries in order; a record voided by a later `record.void` is skipped (it did not happen)."""
        entries = list(entries)
        voided = {e.record.get("void") for e in entries if e.record["action"] == VOID}
        for entry in entries:
            if entry.record["seq"] not in voided:
                self.apply(entry)
        return self

    def apply(self, entry: Entry) -> None:
        record, action = entry.record, entry.record["action"]
        if action == ACCEPT_LOSS and self.barriers:  # what the store had lost is accepted as lost
            self.jobs.clear()
            self.switches.clear()
            self.unresolved.clear()
        elif action in ("pause", "resume"):
            scope = str(record.get("channel") or "*")
            self.switches[scope] = SwitchFacts(scope, action == "pause", str(record.get("reason") or ""),
                                               str(record.get("actor") or ""), _time(record), entry.line)  # fmt: skip
        elif action in OUTCOMES and isinstance(record.get("job"), int):
            self._job(entry, OUTCOMES[action])

    def _job(self, entry: Entry, state: JobState) -> None:
        record, job_id = entry.record, entry.record["job"]
        self.highest_job = max(self.highest_job, job_id)
        if record["action"] == "publish.enqueued":
            key = record.get("idempotency_key") or idempotency_key(
                record["channel"], record["item"], record["content_hash"]
            )
            self._key_of[job_id] = key
            self.jobs[key] = JobFacts(key, job_id, record["channel"], record["item"], record["content_hash"], state,
                                      entry.line, audience=str(record.get("audience") or ""),
                                      due_at=float(record.get("due_at") or _time(record)),
                                      forced_reason=record.get("forced"), created_at=_time(record))  # fmt: skip
            return
        key = self._key_of.get(job_id) or self.resolve(job_id)
        if key is None:
            self.unresolved.append(f"job {job_id} ({record.get('channel')}/{record.get('item')}), line {entry.line}")
            return
        self._key_of[job_id] = key
        facts = self.jobs.get(key) or JobFacts(key, job_id, str(record.get("channel")), str(record.get("item")),
                                               record.get("content_hash"), state, entry.line)  # fmt: skip
        self.jobs[key] = facts
        _settle(facts, entry, state)


def _settle(facts: JobFacts, entry: Entry, state: JobState) -> None:
    """What one record about an existing job changes in it."""
    record, at = entry.record, _time(entry.record)
    facts.state, facts.line = state, entry.line
    if record["action"] == "delivery.retry":
        facts.due_at, facts.error = at + float(record.get("retry_in") or 0), record.get("error")
    elif record["action"] == "queue.retry":
        facts.due_at, facts.error = min(facts.due_at, at), None
    elif record["action"] == "delivery.deferred":
        facts.error = record.get("reason")
    elif state != JobState.PENDING:
        facts.remote_id = record.get("remote_id") or facts.remote_id
        facts.remote_url = record.get("url") or facts.remote_url
        facts.error = record.get("error")
        facts.settled_at = at
        if isinstance(record.get("remote_detail"), dict):
            facts.remote_detail = record["remote_detail"]


def _time(record: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(record.get("time"))).timestamp()
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class ReceiptFacts:
    """A delivery the outbox left on disk."""

    path: Path
    key: str
    channel: str
    item: str
    content_hash: str
    at: float


def outbox_receipts(config: Config) -> list[ReceiptFacts]:
    """Every receipt under the outbox channels' folders (the outbox adapter's layout, see adapters/outbox.py)."""
    found = []
    for channel in config.channels.values():
        if channel.platform != "outbox":
            continue
        base = config.root / str(channel.options.get("path") or "outbox") / channel.name
        for path in sorted(base.glob(f"*/*/{RECEIPT}")):
            try:
                data = json.loads(path.read_text("utf-8"))
                found.append(ReceiptFacts(path, data["idempotency_key"], channel.name, data["item"],
                                          data["content_hash"], path.stat().st_mtime))  # fmt: skip
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not a receipt we wrote: the adapter's `find` would not count it either
    return found
