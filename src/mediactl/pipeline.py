"""The one place that sequences the stages: load → render → check → gate → enqueue → deliver.

Each stage is a package with one entry function and knows nothing of the ones after it
(render does not check, check does not render, publish does not render or check). What
a command does, step by step, is written here and nowhere else; `cli/` only parses
arguments, calls one function of this module and prints what it returns.

- `check`: render what changed, then check the items and their variants.
- `approve`: render, verify and seal every variant, then record the approvals.
- `publish`: render what changed, then gate and enqueue each variant, then deliver what is due now.
- `deliver_due`: what `publish --due` runs.
- `sync`: what `queue sync` runs: ask the platforms about jobs awaiting confirmation (WeCom staff).
- `run`: what cron and CI run: render what changed, check it, enqueue every approved
  variant whose schedule has come (or that has none), deliver every due job.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediactl.check.report import failing, line_format
from mediactl.check.runner import CheckResult, blocker_findings, check_project
from mediactl.config.model import EMERGENCY, Config
from mediactl.core import fsutil
from mediactl.core.errors import FindingsError, MediactlError, UsageError, relpath
from mediactl.library.content import Item
from mediactl.library.scan import Library
from mediactl.render.errors import VariantError
from mediactl.render.plan import Planned, plan_variants
from mediactl.render.runner import RenderDisplay, RenderSummary, VariantResult, render
from mediactl.render.verify import verify

# The publish stage costs ~100 ms to import (HTTP, the queue, the adapters): `check` runs without it,
# so the functions that publish import it themselves (`# lazy: publish stage`; TYPE_CHECKING names it
# for the annotations).
if TYPE_CHECKING:
    from mediactl.core.sshsig import Signer
    from mediactl.publish.readback import Checked
    from mediactl.publish.recall import Recalled
    from mediactl.publish.records import Record
    from mediactl.publish.runner import Outcome, Publisher
    from mediactl.publish.stats import Pulled

Progress = Callable[[int], None]


# --- check ----------------------------------------------------------------------------------------


def review(config: Config, items: list[Item], *, command: str = "review",
           done: Callable[[Item], None] | None = None) -> None:  # fmt: skip
    """The author hands items over (`mediactl review`, and `init --example` for the example's drafts): status
    review, each with its audit record; an item whose record cannot be written is put back as it was (no change
    without its record). `done` is told of each item as it is handed over."""
    from mediactl.publish.approvals import set_status  # lazy: publish stage, see above
    from mediactl.publish.runner import Publisher  # lazy: publish stage, see above

    publisher = Publisher(config, command=command)
    try:
        for item in items:
            index = item.folder / "index.md"
            before = index.read_bytes()
            set_status(index, "review")
            try:
                publisher.log("item.review", item=item.slug)
            except BaseException:
                fsutil.write_bytes(index, before)
                raise
            if done is not None:
                done(item)
    finally:
        publisher.close()


def check(
    config: Config, library: Library, slugs: list[str] | None, channel: str | None, *, fail_on: str,
    render_first: bool = True, ocr: bool = True,
) -> CheckResult:  # fmt: skip
    """Render what changed (unless told not to), then check the items and every variant as rendered (`ocr`:
    False for --no-ocr, the words inside pictures left unread)."""
    summary = render(config, library, slugs, channel, jobs=config.render.jobs) if render_first else RenderSummary()
    return _check_rendered(config, library, slugs, channel, summary, fail_on, ocr)


def _check_rendered(
    config: Config, library: Library, slugs: list[str] | None, channel: str | None, summary: RenderSummary,
    fail_on: str, ocr: bool = True,
) -> CheckResult:  # fmt: skip
    """Check what `summary` rendered; the variants that failed to render are listed as not checked."""
    failed: list[VariantResult] = summary.failed
    skip = frozenset(r.key for r in failed)
    result = check_project(config, library, slugs, channel, fail_on=fail_on, skip=skip, ocr=ocr)
    result.not_checked[:0] = [f"{r.key}: {r.error}" for r in failed]
    return result


# --- approve --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApproveRequest:
    slugs: list[str]
    person: str | None = None  # --as: a person id (or name) declared under `people:`; None: who runs it
    role: str | None = None  # None: the first role the policy asks for that the person holds
    note: str = ""
    key_file: Path | None = None  # --key; else MEDIACTL_SIGNING_KEY, ssh-agent, the demo keys (publish/signer.py)
    emergency_reason: str | None = None  # --emergency --reason: a record that backs publish --force
    channels: tuple[str, ...] = ()  # --channel: only these channels' variants; empty: every channel of each item


@dataclass(frozen=True)
class Approved:
    item: str
    channels: int
    person: str = ""
    role: str = ""
    key: str = ""  # the signing key's fingerprint
    file: str = ""  # approvals/<slug>.yaml, relative to the project


def approve(config: Config, library: Library, request: ApproveRequest) -> list[Approved]:
    """Maker-checker: every item validated, rendered, verified and sealed before any approval is signed.

    Each record names the content hash of the bytes that were read (render.verify), and those bytes are
    sealed in the vault, so they are the bytes delivery will send. The records are signed with the
    approver's key and appended to approvals/<slug>.yaml, one file at a time, each with its audit records
    (the file is put back if they cannot be written); the items' front matter says `status: approved` last
    (an emergency record changes no status: it backs publish --force only).
    """
    from mediactl.publish import approvals, records, signer  # lazy: publish stage, see above
    from mediactl.publish.runner import Publisher  # lazy: publish stage, see above

    emergency = request.emergency_reason is not None
    items = [library.get(slug) for slug in request.slugs]
    person = approvals.resolve_person(config, request.person)
    for item in items if not emergency else ():
        approvals.check_approver(item, person, config)
    only = {config.channel(name).name for name in request.channels}  # an unknown channel: refused here
    role = approvals.choose_role(config, person, EMERGENCY if emergency else request.role,
                                 sorted(only) or [name for item in items for name in item.channels])  # fmt: skip
    for label, text in (("--note", request.note), ("--reason", request.emergency_reason or "")):
        records.check_text(label, text)
    for item in items:
        records.read(config.root, item.slug)  # a broken approvals file stops it here, before anything is signed
    key = signer.find_signer(config, person, request.key_file)
    planned = {item.slug: _approved_variants(config, library, item.slug, only) for item in items}
    summary = render(config, library, [item.slug for item in items])
    if summary.failed:
        broken = sorted({r.item for r in summary.failed})
        raise FindingsError(f"{', '.join(broken)}: {len(summary.failed)} variant(s) do not render; "
                            "fix them before approving (nothing was approved)")  # fmt: skip
    _refuse_blockers(config, library, [item.slug for item in items])
    statuses = {} if emergency else {item.slug: approvals.status_rewrite(item.folder / "index.md", "approved")
                                     for item in items}  # fmt: skip
    publisher = Publisher(config, actor=person.id, command="approve")
    done = []
    try:
        publisher.require_intact_state()
        sealed = {slug: [(p.channel.name, publisher.seal(p)) for p in variants] for slug, variants in planned.items()}
        at = datetime.now(config.project.tz).replace(microsecond=0).isoformat()
        for item in items:
            signed = [_signed(records.Record(item.slug, channel, content_hash, role, person.id, at, request.note,
                                             request.emergency_reason or ""), key)
                      for channel, content_hash in sealed[item.slug]]  # fmt: skip
            _write_audited(publisher, config.root, item.slug, signed)
            done.append(Approved(item.slug, len(signed), person.id, role, key.public_key.fingerprint,
                                 relpath(records.path_of(config.root, item.slug), config.root)))  # fmt: skip
        for item in items:
            if item.slug in statuses:
                fsutil.write_bytes(item.folder / "index.md", statuses[item.slug])
    finally:
        publisher.close()
    return done


def _approved_variants(config: Config, library: Library, slug: str, only: set[str]) -> list[Planned]:
    """The variants an approval covers: every channel of the item, or those of --channel, each of which the item
    must publish to (a reviewer who approved one channel must not find it signed nowhere, nor others signed)."""
    planned = plan_variants(library, config, [slug], None)[0]
    if not only:
        return planned
    missing = only - {p.channel.name for p in planned}
    if missing:
        has = ", ".join(sorted(p.channel.name for p in planned)) or "none"
        raise UsageError(f"{slug} is not published on {', '.join(sorted(missing))} (its channels: {has}); "
                         "nothing was approved")  # fmt: skip
    return [p for p in planned if p.channel.name in only]


def _refuse_blockers(config: Config, library: Library, slugs: list[str]) -> None:
    """A blocker (placeholder text, a rule a bank may not break) is never fit to publish, so nobody signs it."""
    blockers = blocker_findings(config, library, slugs)
    if blockers:
        shown = "; ".join(line_format(f) for f in blockers[:5]) + (" …" if len(blockers) > 5 else "")
        raise FindingsError(f"{len(blockers)} blocker finding(s) stand: {shown}; fix them before approving "
                            "(nothing was approved)")  # fmt: skip


def _signed(record: Record, key: Signer) -> Record:
    """The record with its key's fingerprint and its signature over the canonical message."""
    from mediactl.core import sshsig  # lazy: loaded already with the signer; kept beside its one use
    from mediactl.publish.records import NAMESPACE  # lazy: publish stage, see above

    unsigned = dataclasses.replace(record, key=key.public_key.fingerprint)
    return dataclasses.replace(unsigned, signature=sshsig.sign(key, unsigned.message(), NAMESPACE))


def _write_audited(publisher: Publisher, root: Path, slug: str, signed: list[Record]) -> None:
    """Append one item's records to its approvals file, then write their audit records; if those cannot be
    written, the file is put back as it was (no approval without its record: the audit-first rule)."""
    from mediactl.publish import records  # lazy: publish stage, see above

    path = records.path_of(root, slug)
    original = path.read_bytes() if path.exists() else None
    records.write(root, slug, records.appended(root, slug, signed))
    try:
        for record in signed:
            publisher.log("item.approved", item=slug, channel=record.channel, content_hash=record.content_hash,
                          person=record.person, role=record.role, key_fingerprint=record.key, note=record.note,
                          reason=record.reason or None, approvals_file=relpath(path, root))  # fmt: skip
    except BaseException:
        if original is None:
            path.unlink(missing_ok=True)
        else:
            fsutil.write_bytes(path, original)
        raise


# --- publish --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishRequest:
    slugs: list[str] | None
    channel: str | None
    at: float | None = None  # None: the item's schedule for the channel, else now
    dry_run: bool = False
    force_reason: str | None = None
    defer: bool = False


def publish(config: Config, library: Library, request: PublishRequest) -> list[Outcome]:
    """Render what changed, gate and enqueue each variant, deliver at once what is due now.

    Each queued variant's outcome is its delivery when it went out now; other outcomes of the run
    (jobs settled by reconciliation, a pause) follow.
    """
    from mediactl.publish.runner import Outcome, OutcomeState, Publisher  # lazy: publish stage, see above

    summary = render(config, library, request.slugs, request.channel)
    planned, refused = _planned(config, library, request.slugs, request.channel, summary)
    publisher = Publisher(config, command="publish")
    try:
        outcomes = [Outcome(p.channel.name, p.item.slug, OutcomeState.REFUSED, e.detail) for p, e in refused]
        outcomes += publisher.enqueue(planned, at=request.at, force_reason=request.force_reason,
                                      defer=request.defer, dry_run=request.dry_run)  # fmt: skip
        if request.dry_run:
            return outcomes
        return _deliver_now(publisher, outcomes)
    finally:
        publisher.close()


def recall(config: Config, slug: str, channel: str | None, reason: str) -> list[Recalled]:
    """`mediactl recall`: withdraw an item from every channel it reached (publish/recall.py)."""
    from mediactl.publish import recall as recalling  # lazy: publish stage, see above
    from mediactl.publish.runner import Publisher  # lazy: publish stage, see above

    if channel is not None:
        config.channel(channel)  # an unknown channel is a usage error naming it
    publisher = Publisher(config, command="recall")
    try:
        return recalling.recall(publisher, slug, channel, reason)
    finally:
        publisher.close()


def check_live(config: Config, slugs: list[str], channel: str | None) -> list[Checked]:
    """`mediactl drift`: read sent posts back and compare them with what was approved (publish/readback.py)."""
    from mediactl.publish import readback  # lazy: publish stage, see above
    from mediactl.publish.runner import Publisher  # lazy: publish stage, see above

    if channel is not None:
        config.channel(channel)  # an unknown channel is a usage error naming it
    publisher = Publisher(config, command="drift")
    try:
        return readback.check_live(publisher, slugs, channel)
    finally:
        publisher.close()


def pull_stats(config: Config, slugs: list[str], channel: str | None, now: float | None = None) -> list[Pulled]:
    """`mediactl stats pull`: ask every sent post for its numbers once, keep a snapshot (publish/stats.py)."""
    from mediactl.publish import stats  # lazy: publish stage, see above
    from mediactl.publish.runner import Publisher  # lazy: publish stage, see above

    if channel is not None:
        config.channel(channel)  # an unknown channel is a usage error naming it
    publisher = Publisher(config, command="stats pull")
    try:
        return stats.pull(publisher, slugs, channel, time.time() if now is None else now)
    finally:
        publisher.close()


def deliver_due(
    config: Config, *, limit: int, concurrency: int, progress: Progress | None = None,
    on_total: Progress | None = None,
) -> list[Outcome]:  # fmt: skip
    """`publish --due`: every due job, channels side by side, `concurrency` deliveries per channel."""
    from mediactl.publish.runner import Publisher  # lazy: publish stage, see above

    publisher = Publisher(config, command="publish --due")
    try:
        return publisher.deliver_due(limit=limit, concurrency=concurrency, progress=progress, on_total=on_total)
    finally:
        publisher.close()


def sync(config: Config) -> list[Outcome]:
    """`queue sync`: every job awaiting confirmation on its platform asked about (WeCom: which staff sent it, to how
    many customers), people reminded where the platform allows, and each job settled once final (sent, expired)."""
    from mediactl.publish.runner import Publisher  # lazy: publish stage, see above

    publisher = Publisher(config, command="queue sync")
    try:
        publisher.require_intact_state()
        return publisher.sync(paused=frozenset(publisher.store.paused()), report_all=True)
    finally:
        publisher.close()


def _planned(
    config: Config, library: Library, slugs: list[str] | None, channel: str | None, summary: RenderSummary
) -> tuple[list[Planned], list[tuple[Planned, VariantError]]]:
    """The variants to publish, and those refused before the gate (unknown channel, failed render)."""
    failed = {r.key: r.error for r in summary.failed}
    planned, refused = plan_variants(library, config, slugs, channel)
    refused += [(p, VariantError(p.item.file, f"does not render: {failed[p.key]}")) for p in planned if p.key in failed]
    return [p for p in planned if p.key not in failed], refused


def _deliver_now(publisher: Publisher, outcomes: list[Outcome]) -> list[Outcome]:
    from mediactl.publish.runner import OutcomeState  # lazy: publish stage; loaded already, publisher is one

    now = time.time()
    due = {
        o.job
        for o in outcomes
        if o.state == OutcomeState.QUEUED and o.job is not None and o.due_at is not None and o.due_at <= now
    }
    return _merged(outcomes, publisher.deliver_due(only=due) if due else [])


def _merged(outcomes: list[Outcome], delivered: list[Outcome]) -> list[Outcome]:
    """Each queued variant's outcome replaced by its delivery, then the run's other outcomes (jobs settled
    by reconciliation, a pause, jobs queued earlier that came due)."""
    by_job: dict[int | None, Outcome] = {o.job: o for o in delivered if o.job is not None}
    queued = {o.job for o in outcomes}
    return [by_job.get(o.job, o) for o in outcomes] + [o for o in delivered if o.job not in queued]


# --- run: what cron and CI run --------------------------------------------------------------------


@dataclass
class RunReport:
    """One run of the whole pipeline, as `mediactl run` reports it."""

    render: RenderSummary
    check: CheckResult
    failing: int  # findings at or above fail_on
    waiting: list[dict[str, str]] = field(default_factory=list)  # variants not (yet) eligible, and why
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        bad = [o for o in self.outcomes if o.problem]
        return not (self.render.failed or self.check.not_checked or self.failing or bad)

    def to_dict(self) -> dict[str, Any]:
        render = {"rendered": self.render.count("rendered"), "unchanged": self.render.count("unchanged"),
                  "failed": [f"{r.key}: {r.error}" for r in self.render.failed]}  # fmt: skip
        check = {"variants": len(self.check.variants), "findings": len(self.check.findings),
                 "failing": self.failing, "not_checked": self.check.not_checked,
                 "ocr": self.check.ocr}  # fmt: skip
        return {
            "render": render,
            "check": check,
            "waiting": self.waiting,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def run(config: Config, library: Library, *, channel: str | None = None, dry_run: bool = False,
        fail_on: str = "error", concurrency: int = 4, display: RenderDisplay | None = None,
        ocr: bool = True) -> RunReport:  # fmt: skip
    """Render what changed, check it, enqueue what is approved and due, deliver every due job.

    A variant is enqueued when its item's status allows publishing, a person approved exactly its
    current bytes, and its schedule for the channel has come (or it has none); the gate then checks
    its report and the caps (a cap defers it to the next free slot). Variants not yet eligible are
    listed as waiting, not as failures. With `dry_run`, render and check still run (they only write
    build/ and reports); nothing is queued or sent, and what would be is listed. `ocr`: False (--no-ocr) leaves
    the words inside pictures unread, as `mediactl check --no-ocr` does, and the report says so.
    """
    from mediactl.publish.runner import Outcome, OutcomeState, Publisher  # lazy: publish stage, see above
    from mediactl.publish.store import JobState  # lazy: publish stage, see above

    shown = display or RenderDisplay()
    summary = render(config, library, None, channel, jobs=config.render.jobs, progress=shown.progress,
                     on_total=shown.on_total, on_encode=shown.on_encode)  # fmt: skip
    result = _check_rendered(config, library, None, channel, summary, fail_on, ocr)
    report = RunReport(summary, result, len(failing(result.findings, fail_on)))
    publisher = Publisher(config, command="run")
    try:
        eligible = _eligible(config, library, channel, summary, publisher, report.waiting)
        if eligible:
            report.outcomes += publisher.enqueue(eligible, at=None, force_reason=None, defer=True, dry_run=dry_run)
        if dry_run:
            report.outcomes += [Outcome(j.channel, j.item, OutcomeState.DRY_RUN, "due: would be delivered", j.id,
                                        due_at=j.due_at)
                                for j in publisher.store.jobs(state=JobState.PENDING) if j.due_at <= time.time()]  # fmt: skip
        else:
            report.outcomes = _merged(report.outcomes, publisher.deliver_due(concurrency=concurrency))
    finally:
        publisher.close()
    return report


def _eligible(
    config: Config, library: Library, channel: str | None, summary: RenderSummary, publisher: Publisher,
    waiting: list[dict[str, str]],
) -> list[Planned]:  # fmt: skip
    """The variants `run` may enqueue: approved as they are now, due, and not queued before."""
    from mediactl.publish import adapters, approvals  # lazy: publish stage, see above
    from mediactl.publish.store import idempotency_key  # lazy: publish stage, see above

    failed = {r.key for r in summary.failed}
    allowed = config.project.approval.publish_statuses
    environment = config.environment()
    now = time.time()
    out = []
    for planned in plan_variants(library, config, None, channel)[0]:
        item, name = planned.item, planned.channel.name
        if planned.key in failed or item.status not in allowed:
            continue  # drafts and items in review are not waiting on run: they wait on people
        refused = adapters.refusal(planned.channel, item, config)
        if refused is not None:
            waiting.append({"item": item.slug, "channel": name, "reason": refused})
            continue
        unset = [var for ref in planned.channel.credentials.values() for var in environment.missing(str(ref))]
        if unset:  # queued now, it would only fail: it waits until the operator sets them
            waiting.append({"item": item.slug, "channel": name,
                            "reason": f"credentials not set: {', '.join(sorted(set(unset)))}"})  # fmt: skip
            continue
        when = item.schedule.get(name)
        if when is not None and when.timestamp() > now:
            waiting.append({"item": item.slug, "channel": name, "reason": f"scheduled for {when.isoformat()}"})
            continue
        try:
            verified = verify(config.build_path / name / item.slug, config.root)
        except MediactlError as exc:  # its files changed after render: named, and not eligible
            waiting.append({"item": item.slug, "channel": name, "reason": exc.message})
            continue
        if verified is None:
            continue
        if publisher.store.by_key(idempotency_key(name, item.slug, verified.content_hash)) is not None:
            continue  # queued or sent before: this run has nothing new to do for it
        found = approvals.standing(config, item, name, verified.content_hash)
        if not found.met:
            waiting.append({"item": item.slug, "channel": name,
                            "reason": f"not approved as it is now: {approvals.refusal(item, verified.content_hash, found)}"})  # fmt: skip
            continue
        out.append(planned)
    return out
