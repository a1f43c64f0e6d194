"""Enqueue variants through the gate, deliver due jobs through their adapters, reconcile after crashes.

A job is never delivered twice: the idempotency key is unique in the store; a claimed job
is owned by one process; a job left in `sending` by a crashed run is reconciled with the
platform (`Adapter.find`) or marked `unknown` for a person, never re-sent blindly; and an
unknown outcome (timeout after the publish call was sent) is never retried automatically.

Nothing is enqueued or delivered unless the state store is whole and level with the audit
log (publish/integrity.py), and every change is recorded first (the audit-first rule,
publish/audit.py). A delivery's outcome is what must never be lost: it is committed first;
if the disk is full, the store's reserve is given up for it and the run stops; if the store
still cannot take it, it is written to the log for the next run to settle from; if the log
cannot take its record, the record is kept in the store and written later.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn

from mediactl.core.errors import MediactlError, UsageError
from mediactl.core.identity import current_user
from mediactl.core.times import moment
from mediactl.publish import adapters, audit, backends, drift, gate, integrity
from mediactl.publish.adapters import adapter_class, registry
from mediactl.publish.adapters.base import Adapter, DeliveryError, Receipt, Rejected, Transient, Unknown, Variant
from mediactl.publish.database import Connection
from mediactl.publish.gate import RefusalKind
from mediactl.publish.store import (
    QUEUE_FILE,
    Claim,
    Job,
    JobState,
    Settlement,
    StoreError,
    Unlogged,
    audience_key,
    open_store,
    shares_audience,
)
from mediactl.publish.vault import seal, sealed_variant, unsealed_variant
from mediactl.render.verify import verify

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel, Config
    from mediactl.library.content import Item
    from mediactl.render.plan import Planned

MAX_ATTEMPTS = 5
RECORD_ROOM = 64 * 1024  # free bytes the audit log's disk must have before a delivery starts
DEFER_STEPS = 400  # `--defer` looks this many slots ahead (more than a year of daily slots), then refuses
LEASE_SECONDS = 900  # a job `sending` for longer than this, by a process we cannot see, was orphaned
__all__ = ["AUDIT_FILE", "QUEUE_FILE", "Outcome", "OutcomeState", "Publisher"]  # QUEUE_FILE: named here, as always
AUDIT_FILE = backends.AUDIT_FILE


class OutcomeState(StrEnum):
    """What became of one variant or job in a run. A StrEnum: `--json` prints the plain value ("dry-run")."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    REFUSED = "refused"
    DRY_RUN = "dry-run"
    ALREADY_SENT = "already-sent"
    PAUSED = "paused"
    AWAITING_CONFIRMATION = "awaiting-confirmation"
    EXPIRED = "expired"  # staff confirmed too little of a task before the channel's expire_after
    # Content queued before reports its job's state (an earlier run's job not yet sent, or cancelled).
    PENDING = "pending"
    SENDING = "sending"
    CANCELLED = "cancelled"
    RECALLED = "recalled"  # it went out and was withdrawn (`mediactl recall`): the same bytes are not sent again


#: Outcomes that make a run exit 1: nothing went out, or nobody knows whether it did.
PROBLEMS = frozenset({OutcomeState.REFUSED, OutcomeState.FAILED, OutcomeState.UNKNOWN, OutcomeState.EXPIRED})


@dataclass
class Outcome:
    channel: str
    item: str
    state: OutcomeState
    detail: str = ""
    job: int | None = None
    url: str = ""
    due_at: float | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    attention: bool = False  # the job reached its state, but the detail is trouble a person must act on

    @property
    def problem(self) -> bool:
        """Whether this outcome makes the run exit 1."""
        return self.state in PROBLEMS or self.attention

    def to_dict(self) -> dict[str, Any]:
        """Its fields; the due time a moment (JSON output shows it in the project's zone) and also the number, as
        `due_at_epoch`."""
        return {**self.__dict__, "due_at": moment(self.due_at), "due_at_epoch": self.due_at}


class Publisher:
    def __init__(self, config: Config, *, actor: str | None = None, command: str = "publish") -> None:
        self.config = config
        self.actor = actor or current_user()
        self.command = command
        self.store = open_store(config)
        self.vault = backends.vault(config, self.store)
        self.audit_log = backends.audit_log(config, self.store)
        audit.use_project_key(config)
        self._adapters: dict[str, Adapter] = {}
        self._progress: Callable[[int], None] = lambda n: None
        self._level: integrity.Level | None = None  # the store found whole and level with the log (once)

    def close(self) -> None:
        for adapter in self._adapters.values():
            adapter.close()
        self.store.close()
        self.audit_log.close()

    def log(self, action: str, **fields: Any) -> dict[str, Any]:
        return audit.append(self.audit_log, self.actor, action, command=self.command, **fields)

    def audited(self, action: str, more: Callable[[Any], dict[str, Any]] | None = None, **fields: Any) -> _Audit:
        """The audit hook of one store change: `fields`, and `more(result)` from what the change made."""
        return _Audit(self, action, fields, more)

    def require_intact_state(self) -> integrity.Level:
        """Before anything that could publish: the store is whole and level with the audit log (else an error
        saying what the operator can do), and records kept while the log could not take them are written."""
        if self._level is None:
            self._level = integrity.require_intact(self.store, self.audit_log, self.config)
            self.write_unlogged()
        return self._level

    def sent_jobs(self, slugs: list[str], channel: str | None, *, asking: str) -> list[Job]:
        """Every sent job of `slugs` (all items when empty) on `channel` (or all), for what asks platforms about
        their posts later (`drift`, `stats pull`), once the state is proven intact; none is a usage error that says
        what there was nothing to do (`asking`: "read back", "ask about")."""
        self.require_intact_state()
        jobs = [j for j in self.store.jobs(state=JobState.SENT)
                if (not slugs or j.item in slugs) and (channel is None or j.channel == channel)]  # fmt: skip
        if not jobs:
            named = ", ".join(slugs) if slugs else "any item"
            raise UsageError(f"no sent post of {named}{f' on {channel}' if channel else ''}: nothing to {asking}")
        return jobs

    def write_unlogged(self) -> int:
        """Write the audit records of outcomes committed while the log could not take them, marked late."""
        kept = self.store.unlogged()
        for entry in kept:
            self.store.forget_unlogged(entry, audit=self.audited(entry.action, more=_late))
        return len(kept)

    # --- enqueue ----------------------------------------------------------------------------

    def enqueue(self, planned: list[Planned], *, at: float | None, force_reason: str | None, defer: bool,
                dry_run: bool) -> list[Outcome]:  # fmt: skip
        self.require_intact_state()
        return [self._enqueue_one(p, at, force_reason, defer, dry_run) for p in planned]

    def _deferred(self, item: Item, channel: Channel, content_hash: str, due: float,
                  verdict: gate.Verdict) -> tuple[float, gate.Verdict]:  # fmt: skip
        """`--defer`: while only frequency caps refuse, move to the next slot they name, which may itself be taken
        (by jobs deferred before): so on to the first free one, at most DEFER_STEPS slots ahead."""
        for _ in range(DEFER_STEPS):
            only_caps = verdict.refusals and all(r.kind is RefusalKind.CAP for r in verdict.refusals)
            if not only_caps or not verdict.next_slot or verdict.next_slot <= due:
                break
            due = verdict.next_slot
            verdict = gate.evaluate(self.config, self.store, item, channel, content_hash, due)
        return due, verdict

    def _enqueue_one(
        self, planned: Planned, at: float | None, force_reason: str | None, defer: bool, dry_run: bool
    ) -> Outcome:
        item, channel = planned.item, planned.channel
        refused = adapters.refusal(channel, item, self.config)
        if refused is not None:  # refused while planning: no job is ever left without a way out
            return Outcome(channel.name, item.slug, OutcomeState.REFUSED, f"{refused}; nothing was queued")
        folder = self.config.build_path / channel.name / item.slug
        try:
            verified = verify(folder, self.config.root)
        except MediactlError as exc:  # build/ or content/ changed after render: nothing of it is queued
            self.log("publish.refused", item=item.slug, channel=channel.name, reasons=[exc.message])
            return Outcome(channel.name, item.slug, OutcomeState.REFUSED, exc.message)
        if verified is None:
            return Outcome(channel.name, item.slug, OutcomeState.FAILED, "not rendered; run mediactl render")
        content_hash = verified.content_hash
        due = at if at is not None else _scheduled(item, channel) or time.time()
        verdict = gate.evaluate(self.config, self.store, item, channel, content_hash, due)
        if defer:
            due, verdict = self._deferred(item, channel, content_hash, due, verdict)
        if force_reason and verdict.blockers:  # --force never publishes unchecked words or an error finding
            reasons = [str(r) for r in verdict.blockers]
            self.log("publish.refused", item=item.slug, channel=channel.name, content_hash=content_hash,
                     reasons=reasons, forced=force_reason)  # fmt: skip
            detail = "; ".join(reasons) + " (--force never overrides the check)"
            return Outcome(channel.name, item.slug, OutcomeState.REFUSED, detail)
        if force_reason and verdict.emergency is None:  # an emergency path, not a bypass: someone signed for it
            reasons = [f"--force needs an emergency approval of exactly this content ({content_hash[:12]}), signed by "
                       f"a person holding the emergency role: mediactl approve {item.slug} --emergency --reason \"…\"",
                       *verdict.emergency_refused]  # fmt: skip
            self.log("publish.refused", item=item.slug, channel=channel.name, content_hash=content_hash,
                     reasons=reasons, forced=force_reason)  # fmt: skip
            return Outcome(channel.name, item.slug, OutcomeState.REFUSED, "; ".join(reasons))
        if verdict.refusals and not force_reason:
            self.log("publish.refused", item=item.slug, channel=channel.name, content_hash=content_hash,
                     reasons=[str(r) for r in verdict.refusals])  # fmt: skip
            return Outcome(channel.name, item.slug, OutcomeState.REFUSED, "; ".join(map(str, verdict.refusals)))
        if dry_run:
            adapter = self.adapter(channel)
            variant = unsealed_variant(verified, channel, item.slug, self.config.root)
            return Outcome(channel.name, item.slug, OutcomeState.DRY_RUN, "would be sent", due_at=due,
                           requests=adapter.describe(variant, "<key>"))  # fmt: skip
        try:  # the bytes delivery will send, copied in by hash before the job exists
            seal(self.vault, verified, self.config.root)
        except MediactlError as exc:
            self.log("publish.refused", item=item.slug, channel=channel.name, reasons=[exc.message])
            return Outcome(channel.name, item.slug, OutcomeState.REFUSED, exc.message)
        record = self.audited("publish.enqueued", _enqueued, item=item.slug, channel=channel.name,
                              content_hash=content_hash, due_at=due, audience=audience_key(item.audience),
                              forced=force_reason, overridden=[str(r) for r in verdict.refusals] if force_reason else None,
                              **_emergency(verdict) if force_reason else {})  # fmt: skip
        job, created = self.store.enqueue(channel.name, item.slug, content_hash, due,
                                          audience=audience_key(item.audience), forced_reason=force_reason,
                                          audit=record)  # fmt: skip
        if not created:
            state = OutcomeState.ALREADY_SENT if job.state == JobState.SENT else OutcomeState(job.state)
            return Outcome(
                channel.name,
                item.slug,
                state,
                "this exact content was recalled; change it and approve it again to publish anew"
                if job.state == JobState.RECALLED
                else "this exact content was queued before",
                job.id,
                job.remote_url or "",
                job.due_at,
            )
        return Outcome(channel.name, item.slug, OutcomeState.QUEUED, "", job.id, due_at=due)

    def seal(self, planned: Planned) -> str:
        """Verify a rendered variant byte for byte and copy it into the vault; its content hash.

        Raises (naming the file) when build/ or content/ changed after render, or it was never rendered.
        """
        folder = self.config.build_path / planned.channel.name / planned.item.slug
        verified = verify(folder, self.config.root)
        if verified is None:
            raise UsageError(f"{planned.key}: not rendered; run mediactl render")
        return seal(self.vault, verified, self.config.root)

    # --- deliver ----------------------------------------------------------------------------

    def deliver_due(
        self,
        *,
        limit: int = 1000,
        only: set[int] | None = None,
        concurrency: int = 1,
        progress: Callable[[int], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> list[Outcome]:
        """Deliver due jobs. With `concurrency` > 1, each channel gets that many worker threads, so a slow or
        failing channel never holds up the others (each platform is its own host: one client per channel).
        `progress(1)` is called after each job (from worker threads), `on_total(n)` once with the count due."""
        self.require_intact_state()
        self.audit_log.check_appendable(RECORD_ROOM)  # no post goes out that could not be recorded
        outcomes = self.reconcile()
        switches = self.store.paused()
        if "*" in switches:
            paused = Outcome("*", "", OutcomeState.PAUSED, f"all deliveries paused: {switches['*']['reason']}")
            return [*outcomes, paused]
        if only is None:  # `publish SLUG` delivers its own jobs only; --due and run also ask about confirmations
            synced = self.sync(paused=frozenset(switches))
            asked = {o.job for o in synced}  # a job reconciled just now and then asked about is reported once
            outcomes = [o for o in outcomes if o.job not in asked] + synced
        if on_total is not None:
            on_total(min(limit, self.store.count_due(time.time(), paused=set(switches), ids=only)))
        self._progress = progress or (lambda n: None)
        if concurrency > 1 and only is None:
            return outcomes + self._deliver_concurrently(limit, concurrency, set(switches))
        return outcomes + self._drain(
            _Budget(limit), Claim(frozenset(switches), ids=None if only is None else frozenset(only))
        )

    def _drain(self, budget: _Budget, claim: Claim) -> list[Outcome]:
        """Claim and deliver jobs one at a time until none is due or the budget is spent.

        One job per claim: if this process is killed, at most the job in flight is left uncertain.
        A job's outcome is committed in the same transaction that claims the next job.
        """
        outcomes: list[Outcome] = []
        settled: _Settled | None = None
        deferred: list[tuple[Job, str]] = []
        claim = dataclasses.replace(claim, admit=self._admit, deferred=deferred)
        while True:
            wanted = budget.take()
            job = None
            try:
                applied, job = self._commit(settled, claim if wanted else None)
            finally:  # the unit is spent on a job claimed, else given back, whatever happened
                if wanted:
                    budget.spend() if job is not None else budget.give_back()
            try:
                if settled is not None and applied:  # not applied: another run settled it (and logged it)
                    self._record(settled)  # after the commit: what went out is in the store whatever the log does
                for late, reason in deferred:
                    self.log("delivery.deferred", job=late.id, item=late.item, channel=late.channel, reason=reason)
                    outcomes.append(Outcome(late.channel, late.item, OutcomeState.QUEUED, reason, late.id))
            except BaseException:  # the log failed (disk full): the job just claimed was not tried; give it back
                if job is not None:
                    self.store.release(job.id)
                raise
            deferred.clear()
            if job is None:
                return outcomes
            outcome, settled = self._attempt(job)
            outcomes.append(outcome)
            self._progress(1)

    def _deliver_concurrently(self, limit: int, concurrency: int, paused: set[str]) -> list[Outcome]:
        # lazy: start-up, `ls`, `queue` and `log` load this module and never deliver (~2 ms)
        from concurrent.futures import ThreadPoolExecutor

        due = [c for c in self.store.due_channels(time.time()) if c not in paused]
        budget = _Budget(limit)
        # Jobs of a channel removed from the config, or whose adapter cannot be made, fail at once, with the
        # reason, before the threads start; the others' adapters are made here, before the threads share them.
        gone = [c for c in due if not self._deliverable(c)]
        failed = [outcome for c in gone for outcome in self._drain(budget, Claim(frozenset(paused), c))]
        channels = [c for c in due if c not in gone]

        def work(channel: str) -> list[Outcome]:
            worker = Publisher(self.config, actor=self.actor, command=self.command)  # its own store connection
            worker._adapters = self._adapters  # one adapter (one HTTP client) per channel, shared by its threads
            worker._progress = self._progress
            try:
                return worker._drain(budget, Claim(frozenset(paused), channel))
            finally:
                worker.store.close()

        with ThreadPoolExecutor(max_workers=max(1, len(channels) * concurrency)) as pool:
            futures = [pool.submit(work, channel) for channel in channels for _ in range(concurrency)]
            return failed + [outcome for future in futures for outcome in future.result()]

    def _deliverable(self, name: str) -> bool:
        """Whether a channel's adapter can be made (its jobs go to the threads); else its jobs fail one by one."""
        if name not in self.config.channels or self.config.channel(name).platform not in registry():
            return False
        try:
            self.adapter(self.config.channel(name))
        except MediactlError:
            return False
        return True

    def _admit(self, db: Connection, job: Job, now: float) -> tuple[float, str] | None:
        """Send-time rate limits: the channel's caps and the platform's own limits, over what was actually sent.

        Enqueue-time caps plan around due times; this catches what planning cannot: jobs that come due
        together (cron stopped for hours, retries). A job over a limit waits for the moment the window
        frees a slot (None: send now). A forced job skips the channel's caps, not the platform's limits.
        """
        if job.channel not in self.config.channels:
            return None  # a channel removed from the config: _attempt fails the job with the reason
        channel = self.config.channel(job.channel)
        policy = () if job.forced_reason else channel.caps  # --force overrides our caps, never the platform's
        caps = (*policy, *gate.channel_caps(channel))
        if caps:  # hosts claiming at once count the window one after the other (PostgreSQL; SQLite has one writer)
            self.store.serialize_channel(db, job.channel)
        for cap in caps:
            rows = self.store.sent_since(db, job.channel, now - cap.seconds, exclude=job.id)
            if cap.by == "audience":
                rows = [r for r in rows if shares_audience(job.audience, r["audience"])]
            if len(rows) >= cap.max:
                # The oldest delivery in the window leaves it then; a backlog is spread at the cap's own pace
                # (one per window/max), so each waiting job is deferred once, not re-deferred every run.
                backlog = self.store.waiting_for_slot(db, job.channel, now)
                free_at = rows[len(rows) - cap.max]["claimed_at"] + cap.seconds + backlog * cap.seconds / cap.max
                when = datetime.fromtimestamp(free_at, self.config.project.tz).strftime("%Y-%m-%d %H:%M")
                return (
                    free_at,
                    f"cap: {channel.name} allows {cap.max} per {cap.per}; {len(rows)} sent in the last {cap.per}; next slot {when}",
                )
        return None

    def _attempt(self, job: Job) -> tuple[Outcome, _Settled]:
        """Send one claimed job through its adapter; what happened, not yet recorded."""
        if job.channel not in self.config.channels:
            return self._settle(
                job, JobState.FAILED, f"channel '{job.channel}' is no longer in mediactl.yaml; nothing was sent"
            )
        channel = self.config.channel(job.channel)
        try:  # the sealed bytes, by the job's content hash: build/ and content/ are not read again
            variant = sealed_variant(self.vault, channel, job.item, job.content_hash)
            adapter = self.adapter(channel)
            problems = adapter.validate(variant)
        except MediactlError as exc:  # a sealed blob lost or altered, an adapter missing: nothing was sent
            return self._settle(job, JobState.FAILED, exc.message)
        if problems:
            return self._settle(job, JobState.FAILED, "; ".join(problems))
        try:
            receipt = adapter.publish(variant, job.idempotency_key)
        except Rejected as exc:
            return self._settle(job, JobState.FAILED, f"rejected by {channel.platform}: {exc.message}")
        except Transient as exc:
            return self._retry_later(job, exc)
        except Unknown as exc:
            return self._settle(
                job, JobState.UNKNOWN, f"outcome unknown ({exc.message}); not retried: reconcile or resolve by hand"
            )
        except DeliveryError as exc:
            return self._settle(job, JobState.FAILED, exc.message)
        except StoreError as exc:  # the state store failed mid-delivery (e.g. recording a remote id): it may be out
            return self._settle(job, JobState.UNKNOWN, f"{exc.message}; the post may have been made: not retried")
        except MediactlError as exc:  # configuration (a missing credential variable): nothing was sent
            return self._settle(job, JobState.FAILED, exc.message)
        except Exception as exc:  # a bug or an unexpected library error mid-send: we cannot know if it went out
            return self._settle(job, JobState.UNKNOWN, f"{type(exc).__name__}: {exc}; not retried")
        receipt, read_back = drift.checked(variant, receipt)
        return self._settle(job, JobState(receipt.state), receipt.note if receipt.attention else "",
                            remote_id=receipt.remote_id, url=receipt.url, note=receipt.note,
                            attention=receipt.attention, confirmation=_awaited(receipt), record=read_back,
                            remote_detail=_kept(receipt))  # fmt: skip

    def _retry_later(self, job: Job, exc: DeliveryError) -> tuple[Outcome, _Settled]:
        if job.attempts >= MAX_ATTEMPTS:
            return self._settle(job, JobState.FAILED, f"gave up after {job.attempts} attempts: {exc.message}")
        delay = (
            exc.retry_after if exc.retry_after is not None else min(300.0, 2.0**job.attempts) * random.uniform(0.5, 1.5)
        )
        settled = _Settled(
            Settlement(job.id, JobState.PENDING, error=exc.message, due_at=time.time() + delay),
            "delivery.retry",
            {
                "job": job.id,
                "item": job.item,
                "channel": job.channel,
                "error": exc.message,
                "retry_in": round(delay, 1),
            },
        )
        return Outcome(
            job.channel, job.item, OutcomeState.QUEUED, f"transient: {exc.message}; retry in {delay:.0f} s", job.id
        ), settled

    def _settle(
        self, job: Job, state: JobState, detail: str, *, remote_id: str | None = None, url: str = "", note: str = "",
        attention: bool = False, confirmation: dict[str, Any] | None = None, record: dict[str, Any] | None = None,
        remote_detail: dict[str, Any] | None = None,
    ) -> tuple[Outcome, _Settled]:  # fmt: skip
        """`detail` is the job's error; `note` what a person should know (a receipt's note), in the record too;
        `confirmation` what people confirmed on the platform (kept on the job, its totals in the record); `record`
        more fields for the audit record (what reading the post back found: publish/drift.py); `remote_detail` what
        the receipt of a sent post said besides its id (kept on the job and in the record, so a rebuild keeps it)."""
        settled = _Settled(
            Settlement(job.id, state, remote_id=remote_id, remote_url=url or None, error=detail or None,
                       confirmation=confirmation, remote_detail=remote_detail or None),
            f"delivery.{state}",
            {"job": job.id, "item": job.item, "channel": job.channel, "content_hash": job.content_hash,
             "remote_id": remote_id, "url": url, "error": detail, **({"note": note} if note and note != detail else {}),
             **_totals(confirmation), **({"remote_detail": remote_detail} if remote_detail else {}), **(record or {}), **(self._adapters[job.channel].audit_fields() if job.channel in self._adapters else {})},
        )  # fmt: skip
        return Outcome(job.channel, job.item, OutcomeState(state), detail or note, job.id, url,
                       attention=attention), settled  # fmt: skip

    def _finish(
        self,
        job: Job,
        state: JobState,
        detail: str,
        *,
        remote_id: str | None = None,
        url: str = "",
        expect: str = JobState.SENDING,
        receipt: Receipt | None = None,
        confirmation: dict[str, Any] | None = None,
        record: dict[str, Any] | None = None,
        remote_detail: dict[str, Any] | None = None,
    ) -> Outcome:
        """Settle and record at once (reconciliation, confirmation: no next job to claim)."""
        note, attention = (receipt.note, receipt.attention) if receipt is not None else ("", False)
        remote_detail = _kept(receipt) if receipt is not None else remote_detail
        outcome, settled = self._settle(job, state, note if attention else detail, remote_id=remote_id, url=url,
                                        note=note, attention=attention, confirmation=confirmation,
                                        record=record, remote_detail=remote_detail)  # fmt: skip
        settled = dataclasses.replace(settled, settlement=dataclasses.replace(settled.settlement, expect=expect))
        applied, _ = self._commit(settled, None)
        if applied:  # else another run settled it first
            self._record(settled)
        return outcome

    def _commit(self, settled: _Settled | None, claim: Claim | None) -> tuple[bool, Job | None]:
        """Commit an outcome (and claim the next job). The outcome of a post that went out must not be lost:
        if the store cannot take it, see `_unrecorded`."""
        try:
            return self.store.settle_and_claim(settled.settlement if settled is not None else None, claim)
        except StoreError as exc:
            if settled is None:
                raise
            self._unrecorded(settled, exc)

    def _unrecorded(self, settled: _Settled, exc: StoreError) -> NoReturn:
        """The store refused an outcome. On a full disk its reserve is given up and the outcome recorded, and
        the run stops. Else the outcome goes to the audit log, if it can, for the next run to settle from
        (integrity: `Level.logged`); the job stays `sending`, which the next run reconciles, never resends."""
        failure = exc.message.rstrip(".")
        if exc.disk_full and self.store.release_reserve():
            try:
                applied, _ = self.store.settle_and_claim(settled.settlement, None)
            except StoreError:
                pass
            else:
                if applied:
                    self._record(settled)
                raise StoreError(
                    f"{failure}: {settled.summary}; its outcome was recorded in the space mediactl keeps in reserve. "
                    "No further job was started.",
                    hint="free space on that disk, then run `mediactl publish --due` again",
                    disk_full=True,
                ) from None
        with contextlib.suppress(MediactlError):
            self.log(settled.action, **settled.fields)
        raise StoreError(
            f"{failure}: {settled.summary}, but the state store could not record it, so the job stays `sending`. The "
            "next publish --due asks the platform about it (the outbox finds its receipt) and records it, or marks it "
            "unknown for a person; it is never sent again blindly.",
            hint=exc.hint,
            disk_full=exc.disk_full,
        ) from None

    def _record(self, settled: _Settled) -> None:
        """Write a committed outcome's audit record. One the log cannot take is kept in the store, written before
        anything is next published, and this run stops saying so: an outcome's record is never dropped."""
        try:
            self.log(settled.action, **settled.fields)
        except MediactlError as exc:
            kept = self._keep_unlogged(settled, exc.message)
            where = ("It is kept in the state store and written to the audit log before anything else is published."
                     if kept else f"It could not be kept in the state store either; the record: "
                     f"{json.dumps({'action': settled.action, **settled.fields}, ensure_ascii=False)}")  # fmt: skip
            raise audit.AuditError(
                f"{settled.summary} and is recorded in the state store, but its audit record could not be written: "
                f"{exc.message} {where}",
                hint=exc.hint,
            ) from None

    def _keep_unlogged(self, settled: _Settled, error: str) -> bool:
        for _ in range(2):  # a full disk: once more after giving up the reserve
            try:
                self.store.keep_unlogged(settled.action, settled.fields, error)
                return True
            except StoreError as exc:
                if not (exc.disk_full and self.store.release_reserve()):
                    return False
        return False

    # --- reconcile --------------------------------------------------------------------------

    def reconcile(self) -> list[Outcome]:
        """Settle what earlier runs left uncertain, by asking the platform; never by sending again.

        Jobs another run left in `sending` (it died): the platform's answer, else `unknown` for a
        person. Jobs already `unknown`: asked again each run where the adapter can ask (an
        asynchronous publish whose id was recorded), and settled once the platform knows.
        """
        outcomes = []
        for job in self.store.orphaned(self.store.jobs(state=JobState.SENDING), lease=LEASE_SECONDS):
            settled = self._from_log(job) or self._ask(job)
            outcomes.append(settled or self._finish(job, JobState.UNKNOWN, "a run stopped while sending; the platform cannot "
                                                     "tell whether it arrived: check and use queue retry or queue resolve"))  # fmt: skip
        for job in self.store.jobs(state=JobState.UNKNOWN):
            settled = self._from_log(job) or self._ask(job)
            if settled is not None:
                outcomes.append(settled)
        return outcomes

    def _from_log(self, job: Job) -> Outcome | None:
        """The outcome the audit log holds for a job the store still has uncertain (the store lost it: a power
        cut after an outcome committed without waiting for the disk)."""
        facts = self._level.logged.get(job.idempotency_key) if self._level is not None else None
        if facts is None:
            return None
        return self._finish(job, facts.state, f"outcome taken from the audit log (line {facts.line})",
                            remote_id=facts.remote_id, url=facts.remote_url or "", expect=job.state,
                            remote_detail=facts.remote_detail)  # fmt: skip

    def _ask(self, job: Job) -> Outcome | None:
        """The platform's answer about one job (Adapter.find), settled; None when it cannot tell (yet).

        An adapter's `find` raises Rejected only for a definite "this post was not published" (WeChat
        publish_status 2-4); any other trouble (a removed channel, a missing credential, the platform
        unreachable) leaves the job as it is, and never stops the run's other deliveries.
        """
        try:
            channel = self.config.channel(job.channel)
            adapter = self.adapter(channel)
            if job.state == JobState.UNKNOWN and not adapter.can_be_asked():
                return None  # this platform cannot be asked
            try:
                variant: Variant | None = sealed_variant(self.vault, channel, job.item, job.content_hash)
            except MediactlError:
                variant = None
            receipt = adapter.find(job.idempotency_key, variant)
        except Rejected as exc:
            return self._finish(job, JobState.FAILED, f"rejected by {job.channel}: {exc.message}", expect=job.state)
        except MediactlError:  # DeliveryError included: the job keeps its state until a later run
            return None
        if receipt is None:
            return None
        receipt, read_back = drift.checked(variant, receipt)
        return self._finish(job, JobState(receipt.state), "", remote_id=receipt.remote_id, url=receipt.url,
                            expect=job.state, receipt=receipt, confirmation=_awaited(receipt),
                            record=read_back)  # fmt: skip

    # --- confirmation: posts that people confirm on the platform -----------------------------------

    def sync(self, *, paused: frozenset[str] = frozenset(), report_all: bool = False) -> list[Outcome]:
        """Ask the platform about every job awaiting confirmation (WeCom's staff confirm each task): keep what it says
        on the job (per person, in total), remind people where the platform allows it, and settle the job once it
        is final: sent, or expired. Jobs of paused channels are left alone (no asking, no reminding). Reported: jobs
        that changed, or with `report_all` (queue sync) every one asked about."""
        now = time.time()
        outcomes = []
        for job in self.store.jobs(state=JobState.AWAITING_CONFIRMATION):
            if "*" in paused or job.channel in paused or job.channel not in self.config.channels:
                continue
            outcome = self._sync_one(job, now, report_all)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _sync_one(self, job: Job, now: float, report_all: bool) -> Outcome | None:
        channel = self.config.channel(job.channel)
        try:
            adapter = self.adapter(channel)
            if type(adapter).confirmation is Adapter.confirmation:
                return None  # this platform cannot be asked: a person resolves the job (queue resolve)
            found = adapter.confirmation(job, now)
        except MediactlError as exc:  # the platform unreachable, a credential missing: the job waits for a later run
            detail = f"could not ask {channel.platform}: {exc.message}"
            return (
                Outcome(job.channel, job.item, OutcomeState.AWAITING_CONFIRMATION, detail, job.id)
                if report_all
                else None
            )
        if found is None:
            return None
        if found.state != JobState.AWAITING_CONFIRMATION:
            outcome = self._finish(job, JobState(found.state), found.summary if found.state == JobState.EXPIRED else "",
                                   url=found.url, expect=JobState.AWAITING_CONFIRMATION, confirmation=found.detail)  # fmt: skip
            outcome.detail = found.summary
            return outcome
        changed = self.store.record_confirmation(job.id, found.detail)  # the reminder's time is kept before its record
        if found.reminded:
            self.log("delivery.reminded", job=job.id, item=job.item, channel=job.channel, remote_id=job.remote_id,
                     reminders=len(found.detail.get("reminders") or []), **_totals(found.detail))  # fmt: skip
        if changed or report_all:
            return Outcome(job.channel, job.item, OutcomeState.AWAITING_CONFIRMATION, found.summary, job.id)
        return None

    def adapter(self, channel: Channel) -> Adapter:
        if channel.name not in self._adapters:
            adapter = adapter_class(channel.platform)(channel, self.config)
            adapter.store = self.store  # shared token cache (HTTP adapters), harmless for others
            self._adapters[channel.name] = adapter
        return self._adapters[channel.name]


@dataclass(frozen=True)
class _Settled:
    """A job's outcome to commit (with the next claim) and the audit record to write after the commit."""

    settlement: Settlement
    action: str
    fields: dict[str, Any]

    @property
    def summary(self) -> str:
        what = _OUTCOME_WORDS.get(self.settlement.state, f"became {self.settlement.state}")
        return f"job {self.fields['job']} ({self.fields['channel']}/{self.fields['item']}) {what}"


_OUTCOME_WORDS = {
    JobState.SENT: "was sent",
    JobState.FAILED: "failed",
    JobState.UNKNOWN: "has an unknown outcome",
    JobState.AWAITING_CONFIRMATION: "awaits the platform's confirmation",
    JobState.EXPIRED: "expired before enough staff confirmed it",
    JobState.PENDING: "is queued for a retry",
}


class _Audit:
    """The audit hook of one store change (the audit-first rule, publish/audit.py): its record is written inside
    the change's transaction, so a record that cannot be written leaves the store unchanged; if the COMMIT then
    fails, a `record.void` record says the change did not happen (a log kept in the store's own transaction,
    the shared store's table, needs none: the record rolled back with its change)."""

    def __init__(self, publisher: Publisher, action: str, fields: dict[str, Any],
                 more: Callable[[Any], dict[str, Any]] | None) -> None:  # fmt: skip
        self.publisher, self.action, self.fields, self.more = publisher, action, fields, more
        self.record: dict[str, Any] | None = None

    def __call__(self, result: Any) -> None:
        extra = self.more(result) if self.more is not None else {}
        self.record = self.publisher.log(self.action, **self.fields, **extra)

    def void(self, error: Exception) -> None:
        if self.record is None or self.publisher.audit_log.transactional:
            return
        with contextlib.suppress(MediactlError):  # else the log runs ahead of the store: the next check says so
            self.publisher.log(audit.VOID, void=self.record["seq"], reason=getattr(error, "message", str(error)))


def _emergency(verdict: gate.Verdict) -> dict[str, Any]:
    """Who signed the emergency approval a forced job rests on, and why: in the job's audit record."""
    record = verdict.emergency
    if record is None:
        return {}
    return {"emergency_by": record.person, "emergency_reason": record.reason, "emergency_key_fingerprint": record.key,
            "emergency_record": record.where}  # fmt: skip


def _awaited(receipt: Receipt) -> dict[str, Any] | None:
    """What a receipt of a post awaiting confirmation starts the job's confirmation with (its task id, since when)."""
    return dict(receipt.detail) if receipt.state == JobState.AWAITING_CONFIRMATION else None


def _kept(receipt: Receipt) -> dict[str, Any] | None:
    """What a sent post's receipt said besides its id, kept on the job for what is asked later (WeChat's data cube
    finds an article by its msg_data_id, not the publish_id); None for a post still awaiting confirmation."""
    return dict(receipt.detail) if receipt.state == JobState.SENT and receipt.detail else None


def _totals(confirmation: dict[str, Any] | None) -> dict[str, Any]:
    """A confirmation's totals for an audit record (the per-person numbers stay on the job: they may be thousands)."""
    totals = (confirmation or {}).get("total")
    return {"confirmation": totals} if totals else {}


def _enqueued(job: Job) -> dict[str, Any]:
    return {"job": job.id, "idempotency_key": job.idempotency_key}  # a field named "key" would be redacted


def _late(entry: Unlogged) -> dict[str, Any]:
    """A record kept while the log could not take it, as written later."""
    happened = datetime.fromtimestamp(entry.at, UTC).isoformat(timespec="milliseconds")
    return {**entry.fields, "late": True, "happened_at": happened, "late_because": entry.error}


class _Budget:
    """How many jobs a run may still deliver, shared by worker threads (of every channel).

    A unit is taken before a claim and given back when the claim finds nothing. A thread that finds none left
    while units are out waits until they are spent or given back: else a channel's thread would stop for a unit
    that another channel's thread is about to return, leaving that channel's last jobs behind.
    """

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.out = 0  # units taken by claims still running
        self.changed = threading.Condition()

    def take(self) -> bool:
        with self.changed:
            while self.left <= 0 and self.out > 0:
                self.changed.wait()
            if self.left <= 0:
                return False
            self.left -= 1
            self.out += 1
            return True

    def spend(self) -> None:
        """The claim took a job: the unit is used."""
        with self.changed:
            self.out -= 1
            self.changed.notify_all()

    def give_back(self) -> None:
        """The claim found nothing (or failed): the unit is free again."""
        with self.changed:
            self.out -= 1
            self.left += 1
            self.changed.notify_all()


def _scheduled(item: Item, channel: Channel) -> float | None:
    when = item.schedule.get(channel.name)
    return when.timestamp() if when else None
