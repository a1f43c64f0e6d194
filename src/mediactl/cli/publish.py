"""`review`, `approve`, `publish`, `queue …`, `log …`, `pause`, `resume`: the road out of the building."""

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from mediactl.cli.base import STATE
from mediactl.core import console
from mediactl.core.errors import FindingsError, UsageError
from mediactl.core.times import moments, zoned_text


def review_cmd(
    slugs: Annotated[list[str], typer.Argument(help="The items to send to review.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the items moved to review as JSON.")] = False,
) -> None:
    """Move items to review: their author is done and a second person should look at them.

    Examples:

      $ mediactl review wealth-steady-plus

      $ mediactl review credit-card-cashback spring-festival-greeting --json
    """
    from mediactl import pipeline  # lazy: start-up

    library = STATE.library()
    items = [library.get(slug) for slug in slugs]  # every slug known before anything changes
    shown = None if json_output else lambda item: console.success(f"{item.slug} is in review")
    pipeline.review(STATE.config(), items, done=shown)
    if json_output:
        console.emit_json([{"item": item.slug, "status": "review"} for item in items])


def approve_cmd(
    slugs: Annotated[list[str], typer.Argument(help="The items to approve.")],
    person: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Who approves: a person id under `people:` (default: MEDIACTL_USER, git's user.name or user.email, matched to people).",
        ),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role", help="The role the approval is signed as (default: the first the policy asks for that you hold)."
        ),
    ] = None,
    note: Annotated[
        str, typer.Option("--note", help="Why, or what was checked (signed, and kept in the audit log).")
    ] = "",
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Private key file to sign with (default: MEDIACTL_SIGNING_KEY, then ssh-agent, then the demo keys of mediactl init).",
        ),
    ] = None,
    emergency: Annotated[
        bool,
        typer.Option(
            "--emergency",
            help="Sign an emergency approval (role emergency, needs --reason): what publish --force requires.",
        ),
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="With --emergency: why it cannot wait (signed).")
    ] = None,
    channels: Annotated[
        list[str] | None,
        typer.Option(
            "--channel", "-c", help="Only this channel's variants (repeatable; default: every channel of the items)."
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was signed as JSON.")] = False,
) -> None:
    """Approve exactly what the items' variants are now: a signed record per variant in approvals/<slug>.yaml.

    Each record (item, channel, content hash, role, person, time, note) is signed with your SSH key, one declared for you under people: in mediactl.yaml, from --key, MEDIACTL_SIGNING_KEY, your ssh-agent or the demo keys of mediactl init; commit approvals/ so every machine that publishes can verify it. The author of an item cannot approve it (project.approval.require_other_person). Any later change to a variant's bytes voids its approval. Every item is checked (known, not your own, renders) before anything is signed. With --channel, only those channels' variants are signed (each must be a channel of every item); the others wait for their own approval. With --emergency --reason, signs the emergency approval that publish --force needs instead (no status change).

    Examples:

      $ mediactl approve wealth-steady-plus --as wang.min --note "已核对风险提示"

      $ mediactl approve anti-fraud-2026 wealth-steady-plus --as wang.min --key ~/.ssh/id_ed25519

      $ mediactl approve wealth-steady-plus --channel bank-wechat --as wang.min

      $ mediactl approve anti-fraud-2026 --as li.na --emergency --reason "监管通报，须立即更正"
    """
    from mediactl import pipeline  # lazy: start-up

    if emergency and not (reason or "").strip():
        raise UsageError("--emergency needs --reason: say why it cannot wait (it is signed into the record)")
    if reason is not None and not emergency:
        raise UsageError("--reason goes with --emergency; an ordinary approval says what was checked with --note")
    request = pipeline.ApproveRequest(slugs, person, role, note, key, reason.strip() if emergency and reason else None,
                                      tuple(channels or ()))  # fmt: skip
    signed = pipeline.approve(STATE.config(), STATE.library(), request)
    if json_output:
        console.emit_json([{"item": a.item, "channels": a.channels, "person": a.person, "role": a.role,
                            "fingerprint": a.key, "file": a.file, "emergency": emergency} for a in signed])  # fmt: skip
        return
    for approved in signed:
        what = "emergency approval of" if emergency else "approved"
        console.success(f"{approved.item} {what} by {approved.person} as {approved.role} for {approved.channels} "
                        f"channel(s), signed with {approved.key}: {approved.file} (commit it)")  # fmt: skip


def publish_cmd(
    slugs: Annotated[list[str] | None, typer.Argument(help="Items to publish (default: all).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel.")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When: ISO time, 'tomorrow 09:00' or 'now', in the project time zone.")
    ] = None,
    due: Annotated[
        bool, typer.Option("--due", help="Deliver every queued job whose time has come (what cron runs).")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="With --due: deliver at most this many jobs.")] = 1000,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", help="With --due: parallel deliveries per channel (channels run side by side)."),
    ] = 4,  # measured best on 2 cores (bench/publish_bench.py): more threads cost more in contention than they gain
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and queue nothing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Emergency: skip status, approval and caps with a signed emergency approval of the exact content (approve --emergency); needs --reason; audited; never the check.",
        ),
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the gate is bypassed.")] = None,
    defer: Annotated[
        bool, typer.Option("--defer", help="If a frequency cap refuses, queue for the next allowed slot.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the outcomes as JSON.")] = False,
) -> None:
    """Deliver variants now, or queue them for --at or the item's schedule; --due delivers what is due.

    Each variant passes the gate first: an allowed status and a valid approval for its exact content, a passing check report, the channel's frequency caps. A refusal names the rule. Every action is written to the audit log. Exit code 1 if anything was refused or failed.

    Examples:

      $ mediactl publish anti-fraud-2026 --channel outbox

      $ mediactl publish wealth-steady-plus --at "tomorrow 09:00"

      $ mediactl publish --due

      $ mediactl publish --dry-run
    """
    from mediactl import pipeline  # lazy: start-up
    from mediactl.config.transport import sandbox_url  # lazy: start-up

    if force and not (reason or "").strip():
        raise UsageError("--force needs --reason: say why the gate is bypassed (it goes to the audit log)")
    sandbox_url()  # a sandbox off this machine would receive every credential: refused before anything starts
    config = STATE.config()
    if due:
        with console.progress("delivering", enabled=not json_output) as (advance, set_total):
            outcomes = pipeline.deliver_due(config, limit=limit, concurrency=max(1, concurrency), progress=advance,
                                            on_total=set_total)  # fmt: skip
    else:
        request = pipeline.PublishRequest(slugs or None, channel, parse_at(at, config.project.tz) if at else None,
                                          dry_run, reason if force else None, defer)  # fmt: skip
        outcomes = pipeline.publish(config, STATE.library(), request)
    report_outcomes(outcomes, json_output, dry_run=dry_run and not due)
    _fail_on_problems(outcomes, "variant(s) were refused or not delivered, or need a person (above)")


def _fail_on_problems(outcomes: list[Any], what: str) -> None:
    """Exit 1 when anything was refused, failed, has an unknown outcome, expired unconfirmed or needs a person."""
    bad = [o for o in outcomes if o.problem]
    if bad:
        raise FindingsError(f"{len(bad)} of {len(outcomes)} {what}")


def parse_at(text: str, tz: Any) -> float:
    """ISO 8601 (`2026-12-01T09:00`, `2026-12-01 09:00`), `today|tomorrow HH:MM` in the project zone, or `now`."""
    if text.strip().lower() in ("now", "现在"):
        return datetime.now(tz).timestamp()
    words = re.fullmatch(r"\s*(today|tomorrow|今天|明天)\s+(\d{1,2}):(\d{2})\s*", text)
    if words:
        day = datetime.now(tz).date() + timedelta(days=1 if words.group(1) in ("tomorrow", "明天") else 0)
        return datetime(day.year, day.month, day.day, int(words.group(2)), int(words.group(3)), tzinfo=tz).timestamp()
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--at {text!r}: use an ISO time such as 2026-12-01T09:00, 'tomorrow 09:00' or 'now'"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp()


def report_outcomes(outcomes: list[Any], json_output: bool, *, dry_run: bool = False) -> None:
    if json_output:
        console.emit_json([o.to_dict() for o in outcomes])
        return
    marks = {"sent": "✓", "queued": "…", "dry-run": "?", "already-sent": "=", "awaiting-confirmation": "…"}  # else ✗
    good: list[str] = []
    for o in outcomes:
        where = f"{o.channel}/{o.item}" if o.item else o.channel
        text = (
            f"{marks.get(o.state, '✗')} {where}: {o.state}"
            + (f" — {o.detail}" if o.detail else "")
            + (f" {o.url}" if o.url else "")
        )
        if o.state in marks and not o.attention:
            good += [text, *(f"    {request}" for request in o.requests)]
        else:  # problems go to stderr, each at once
            console.error_line(("!" + text[1:]) if o.attention else text)
    console.lines(good)
    if not outcomes:
        console.info("nothing to publish")
    elif dry_run:
        console.lines(per_channel(outcomes))


def per_channel(outcomes: list[Any]) -> list[str]:
    """A dry run's answer per channel: how many variants would be sent, how many cannot, and why (the reason
    itself where the channel's refusals share one, such as a platform without an adapter)."""
    by_channel: dict[str, list[Any]] = {}
    for o in outcomes:
        by_channel.setdefault(o.channel, []).append(o)
    lines = ["per channel (dry run):"]
    for channel, found in by_channel.items():
        refused = [o for o in found if o.state != "dry-run"]
        line = f"  {channel}: {len(found) - len(refused)} would be sent"
        if refused:
            reasons = {o.detail for o in refused}
            why = reasons.pop() if len(reasons) == 1 else "each for its reason above"
            line += f", {len(refused)} cannot be ({', '.join(o.item for o in refused)}): {why}"
        lines.append(line)
    return lines


# --- queue ------------------------------------------------------------------------------------


def queue_ls_cmd(
    state: Annotated[str | None, typer.Option("--state", help="Only jobs in this state.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the jobs as JSON.")] = False,
) -> None:
    """List queued and past jobs: id, state, channel, item, due time, attempts, remote URL or error; by due time, then id.

    Examples:

      $ mediactl queue ls

      $ mediactl queue ls --state unknown --json
    """
    from mediactl.publish.runner import Publisher  # lazy: start-up

    publisher = Publisher(STATE.config(), command="queue ls")
    try:
        _require_listable(publisher)
        jobs = publisher.store.jobs(state=state, channel=channel)
    finally:
        publisher.close()
    if json_output:
        console.emit_json([_job_json(job) for job in jobs])
        return
    console.lines(job_lines(jobs, STATE.config().project.tz))
    console.info(f"{len(jobs)} job(s)")


def job_lines(jobs: Sequence[Any], tz: Any) -> list[str]:
    """One line per job, its columns aligned (the widest channel/item sets the width), due time in the zone."""
    width = max((len(f"{job.channel}/{job.item}") for job in jobs), default=0)
    lines = []
    for job in jobs:
        when = datetime.fromtimestamp(job.due_at, tz).strftime("%Y-%m-%d %H:%M")
        extra = job.remote_url or job.error or _confirmed(job)
        where = f"{job.channel}/{job.item}"
        number = f"#{job.id}"
        lines.append(f"{number:>6} {job.state:<22} {where:<{width}}  {when}  attempts {job.attempts}  {extra}".rstrip())
    return lines


def queue_show_cmd(job_id: Annotated[int, typer.Argument(help="Job number.")]) -> None:
    """Show one job with every field, as JSON.

    Examples:

      $ mediactl queue show 12
    """
    from mediactl.publish.runner import Publisher  # lazy: start-up

    publisher = Publisher(STATE.config(), command="queue show")
    try:
        _require_listable(publisher)
        job = publisher.store.get(job_id)
    finally:
        publisher.close()
    if job is None:
        raise UsageError(f"no job {job_id} in the queue")
    console.emit_json(_job_json(job))


def _confirmed(job: Any) -> str:
    """How far people confirmed a job on its platform (WeCom staff), for `queue ls`: "2/3 staff confirmed"."""
    totals = job.confirmed().get("total") or {}
    return f"{totals['confirmed']}/{totals['staff']} staff confirmed" if "staff" in totals else ""


def _job_json(job: Any) -> dict[str, Any]:
    """A job as JSON output shows it: its confirmation (per staff member, in total) as an object, not a string; its
    times in the project's zone (emit_json), its due time also as `due_at_epoch`, for scripts that sort and compare."""
    from mediactl.publish.adapters.wecom_tally import shown  # lazy: start-up, the shape of a task's confirmation

    confirmed = job.confirmed()
    confirmation = shown(confirmed) if confirmed else None
    return {**moments(job.to_dict(), job.TIMES), "due_at_epoch": job.due_at, "confirmation": confirmation}


def queue_sync_cmd(
    json_output: Annotated[bool, typer.Option("--json", help="Print the outcomes as JSON.")] = False,
) -> None:
    """Ask the platforms about jobs awaiting confirmation: who confirmed, what reached the customers; settle what is final.

    WeCom tasks are sent only as staff confirm them in the WeCom client. For each such job this reads, per staff
    member and in total, sent / not sent / failed (not a friend) / failed (already received), keeps the numbers on
    the job (queue show), reminds staff who have not confirmed (at most 3 times a day), and ends the job sent once
    the channel's confirm_share of its staff confirmed, or expired after expire_after. `publish --due` does the same
    on every run. Exit code 1 if a job expired.

    Examples:

      $ mediactl queue sync

      $ mediactl queue sync --json
    """
    from mediactl import pipeline  # lazy: start-up

    outcomes = pipeline.sync(STATE.config())
    report_outcomes(outcomes, json_output)
    _fail_on_problems(outcomes, "job(s) expired before enough staff confirmed them")


def _require_listable(publisher: Any) -> None:
    """A lost or cut-short store must never read as an empty queue."""
    from mediactl.publish import integrity  # lazy: start-up

    integrity.require_readable(publisher.store, publisher.audit_log, publisher.config)


def _transition(
    job_id: int, state: str, allowed: tuple[str, ...], action: str, json_output: bool, **extra: Any
) -> None:
    from mediactl.publish.runner import Publisher  # lazy: start-up

    publisher = Publisher(STATE.config(), command=f"queue {action}")
    try:
        publisher.require_intact_state()
        record = publisher.audited(f"queue.{action}", lambda job: {"job": job.id, "item": job.item,
                                                                   "channel": job.channel}, **extra)  # fmt: skip
        job = publisher.store.set_state(job_id, state, allowed_from=allowed, error=extra.get("error"),
                                        remote_url=extra.get("url"), audit=record)  # fmt: skip
    finally:
        publisher.close()
    if json_output:
        console.emit_json(_job_json(job))
        return
    console.success(f"job {job_id} is {job.state}")


def queue_cancel_cmd(
    job_id: Annotated[int, typer.Argument(help="Job number.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the job after, as JSON (as queue show).")] = False,
) -> None:
    """Cancel a job that has not been sent (pending, failed or unknown).

    Examples:

      $ mediactl queue cancel 12
    """
    _transition(job_id, "cancelled", ("pending", "failed", "unknown"), "cancel", json_output)


def queue_retry_cmd(
    job_id: Annotated[int, typer.Argument(help="Job number.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the job after, as JSON (as queue show).")] = False,
) -> None:
    """Send a failed or unknown job again, at the next `publish --due` (a person decided it did not arrive).

    Examples:

      $ mediactl queue retry 12
    """
    _transition(job_id, "pending", ("failed", "unknown"), "retry", json_output)


def queue_resolve_cmd(
    job_id: Annotated[int, typer.Argument(help="Job number.")],
    sent: Annotated[str, typer.Option("--sent", help="The URL where it was published (a person checked).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the job after, as JSON (as queue show).")] = False,
) -> None:
    """Record that a job was published, at the URL a person found it at: an unknown job, or one awaiting confirmation (a hand-off bundle a person posted in the app).

    Audited: the log names who resolved it and the URL.

    Examples:

      $ mediactl queue resolve 12 --sent https://mp.weixin.qq.com/s/abc

      $ mediactl queue resolve 14 --sent https://www.xiaohongshu.com/explore/65f0c0aa000000001203a1b2
    """
    _transition(job_id, "sent", ("unknown", "awaiting-confirmation"), "resolve", json_output, url=_post_url(sent))


def _post_url(text: str) -> str:
    """The address of a published post: an http(s) URL with a host (a note pasted by mistake is refused)."""
    from urllib.parse import urlsplit  # lazy: start-up

    url = text.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise UsageError(f"--sent {text!r}: expected the post's URL, such as https://www.xiaohongshu.com/explore/…; "
                         "nothing was changed")  # fmt: skip
    return url


# --- log, pause, resume ---------------------------------------------------------------------------


def log_cmd(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Only records since this time (ISO, or 'today 00:00').")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """Show the audit trail: who did what, when, to which item and channel, with which result.

    Examples:

      $ mediactl log --since "today 00:00"

      $ mediactl log --json

      $ mediactl log verify
    """
    if ctx.invoked_subcommand is not None:
        return
    from mediactl.publish import audit, backends  # lazy: start-up

    config = STATE.config()
    with backends.opened_log(config) as log:
        records = audit.since(log, parse_at(since, config.project.tz) if since else None)
    if json_output:
        console.emit_json([audit.shown(record) for record in records])
        return
    for r in records:
        where = "/".join(x for x in (r.get("channel"), r.get("item")) if x)
        detail = r.get("url") or r.get("error") or "; ".join(r.get("reasons") or []) or r.get("reason") or ""
        when = zoned_text(r["time"], config.project.tz)
        console.info(f"{r['seq']:>5} {when} {r['actor']:<12} {r['action']:<20} {where} {detail}")


def log_verify_cmd(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON (a broken chain exits 1).")
    ] = False,
) -> None:
    """Prove the audit log is whole: every record follows the one before, is unchanged and, with MEDIACTL_AUDIT_KEY, authentic.

    With a committed audit-anchor.json (mediactl log anchor), a log cut short or rewritten before the anchored record fails too.

    Examples:

      $ mediactl log verify

      $ MEDIACTL_AUDIT_KEY=… mediactl log verify
    """
    from mediactl.publish import audit, backends  # lazy: start-up

    config = STATE.config()
    audit.use_project_key(config)
    anchor = audit.read_anchor(config.root)
    with backends.opened_log(config) as log:
        count, broken = audit.verify(log, anchor)
        if broken:
            raise FindingsError(
                f"{log.name}: record {log.place(broken.line)} {broken.reason}; {count} record(s) before it are intact"
            )
        _store_beyond_log(config, log)
        is_keyed = bool(audit.keyed_records(log))
        keyed = "authenticated with MEDIACTL_AUDIT_KEY" if is_keyed else "not keyed (set MEDIACTL_AUDIT_KEY)"
    if json_output:
        console.emit_json({"intact": True, "records": count, "keyed": is_keyed,
                           "anchored_at": anchor["seq"] if anchor else None})  # fmt: skip
        return
    anchored = f"; anchored at record {anchor['seq']}" if anchor else ""
    console.success(f"{count} audit record(s), chain intact, {keyed}{anchored}")


def _store_beyond_log(config: Any, log: Any) -> None:
    """The log must hold what the store records: a deleted or emptied log is not a clean one."""
    from mediactl.publish import integrity  # lazy: start-up
    from mediactl.publish.store import open_store, store_exists  # lazy: start-up

    if not store_exists(config):
        return
    store = open_store(config)
    try:
        missing = integrity.store_beyond_log(store, log)
    finally:
        store.close()
    if missing:
        raise FindingsError(
            f"{log.name}: the chain is intact, but the state store records what the log does not "
            f"({len(missing)}): "
            + "; ".join(missing[:5])
            + ("; …" if len(missing) > 5 else "")
            + ". The log was emptied, replaced or cut short."
        )


def log_anchor_cmd(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the anchor written (seq, hash, time), as JSON.")
    ] = False,
) -> None:
    """Write the audit log's current head to audit-anchor.json in the project, to commit with the content.

    Once committed, `mediactl log verify` on any copy fails if the log was cut short or rewritten before that record.

    Examples:

      $ mediactl log anchor && git add audit-anchor.json && git commit -m "audit anchor"
    """
    from mediactl.publish import audit, backends  # lazy: start-up

    config = STATE.config()
    audit.use_project_key(config)
    with backends.opened_log(config) as log:
        count, broken = audit.verify(log, audit.read_anchor(config.root))
        if broken:
            raise FindingsError(f"{log.name}: record {log.place(broken.line)} {broken.reason}; nothing was anchored")
        anchor = audit.write_anchor(config.root, log)
    if json_output:
        console.emit_json({**audit.shown(anchor), "records": count, "file": audit.ANCHOR_FILE})
        return
    console.success(f"anchored record {anchor['seq']} of {count} in {audit.ANCHOR_FILE}: commit it")


def recall_cmd(
    slug: Annotated[str, typer.Argument(help="The item to take back.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (goes to the audit log with every withdrawal).")],
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel (default: all).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was done per job as JSON.")] = False,
) -> None:
    """Withdraw an item from every channel it reached; say plainly what a person must still do.

    Sent posts are deleted where the platform allows it (WeCom tasks not yet confirmed are cancelled),
    queued ones are cancelled; where a platform cannot withdraw through its API, the line says what to do
    by hand. Every step is audited. Exit code 1 when anything is left for a person.

    Examples:

      $ mediactl recall wealth-steady-plus --reason "产品收益率调整，撤回旧版宣传"

      $ mediactl recall anti-fraud-2026 --channel bank-weibo --reason "配图有误"
    """
    from mediactl.pipeline import recall  # lazy: start-up

    done = recall(STATE.config(), slug, channel, reason)
    _per_job(done, json_output, lambda entry: entry.taken)


def drift_cmd(
    slugs: Annotated[list[str] | None, typer.Argument(help="Items to read back (default: every sent post).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel (default: all).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was found per job as JSON.")] = False,
) -> None:
    """Read sent posts back from their platforms and compare them with the approved variants.

    A publish compares each post once, when it reaches its final state; this asks again later (a post
    edited in the platform's console, trimmed by a later review). Each difference is shown and audited
    (drift.found); platforms that cannot show a post back through their API say so. Nothing is sent or
    changed. Exit code 1 when a post drifted or could not be asked about.

    Examples:

      $ mediactl drift

      $ mediactl drift anti-fraud-2026 --channel bank-weibo --json
    """
    from mediactl.pipeline import check_live  # lazy: start-up

    found = check_live(STATE.config(), list(slugs or []), channel)
    _per_job(found, json_output, lambda entry: entry.found)


def _per_job(entries: Sequence[Any], json_output: bool, outcome: Callable[[Any], str]) -> None:
    """What a command did or found per job (recall, drift): JSON, or one line each (a warning when it is not
    fine); exit 1 unless every job is fine. Each entry has job, channel, item, detail, ok and to_dict()."""
    if json_output:
        console.emit_json([entry.to_dict() for entry in entries])
    else:
        for entry in entries:
            line = f"{entry.channel}/{entry.item} (job {entry.job}): {outcome(entry)}: {entry.detail}"
            (console.success if entry.ok else console.warning)(line)
    if not all(entry.ok for entry in entries):
        raise typer.Exit(1)


def pause_cmd(
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to everyone who tries to publish).")],
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="Only this channel (default: everything).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print what is paused now, as JSON.")] = False,
) -> None:
    """Stop all deliveries (or one channel's) at once; queued jobs wait, nothing is dropped.

    Examples:

      $ mediactl pause --reason "舆情期间暂停发布"

      $ mediactl pause --channel bank-weibo --reason "账号维护"
    """
    from mediactl.publish.runner import Publisher  # lazy: start-up

    if not reason.strip():
        raise UsageError("pause needs a --reason that says why (everyone who tries to publish is shown it)")
    config = STATE.config()
    if channel:
        config.channel(channel)
    publisher = Publisher(config, command="pause")  # never refused for a store that lost state: it only holds back
    try:
        publisher.store.pause(channel or "*", reason, publisher.actor,
                              audit=publisher.audited("pause", channel=channel or "*", reason=reason))  # fmt: skip
        paused = publisher.store.paused()
    finally:
        publisher.close()
    if json_output:
        console.emit_json({"changed": True, "paused": _switches_json(paused)})
        return
    console.success(f"paused {channel or 'all channels'}: {reason}")


def _switches_json(paused: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The pause switches by scope, each switch's `at` (epoch seconds in the store) a moment."""
    return {scope: moments(switch, ("at",)) for scope, switch in paused.items()}


def resume_cmd(
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="Only this channel.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print what is still paused, as JSON.")] = False,
) -> None:
    """Lift a pause; waiting jobs go out at the next `publish --due`.

    Examples:

      $ mediactl resume

      $ mediactl resume --channel bank-weibo
    """
    from mediactl.publish.runner import Publisher  # lazy: start-up

    publisher = Publisher(STATE.config(), command="resume")
    try:
        lifted = publisher.store.resume(channel or "*", audit=publisher.audited("resume", channel=channel or "*"))
        paused = publisher.store.paused()
    finally:
        publisher.close()
    if json_output:
        console.emit_json({"changed": bool(lifted), "paused": _switches_json(paused)})
        return
    console.success(f"resumed {channel or 'all channels'}" if lifted else f"{channel or 'everything'} was not paused")
