"""Publish: maker-checker, the gate, idempotent delivery to the outbox, queue, pause, audit chain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mediactl.publish import adapters, audit, runner
from mediactl.publish.audit import AuditError
from mediactl.publish.store import Store

SLUG = "anti-fraud-2026"


def outcomes(result) -> list[dict]:
    return json.loads(result.stdout)


def test_gate_refuses_unapproved_and_names_every_rule(cli, example: Path) -> None:
    result = cli(example, "publish", SLUG, "--channel", "outbox", "--json")
    assert result.exit_code == 1
    (outcome,) = outcomes(result)
    assert outcome["state"] == "refused"
    assert "status: anti-fraud-2026 is 'review'" in outcome["detail"]
    assert "approval: nobody has approved this variant" in outcome["detail"]
    assert "check: no check report for this variant" in outcome["detail"]


def test_author_cannot_approve_own_item(cli, example: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    result = cli(example, "approve", SLUG)
    assert result.exit_code == 2
    assert "own item: li.na wrote anti-fraud-2026 and cannot also approve it" in result.stderr


def test_approved_checked_variant_is_delivered_once(cli, ready: Path) -> None:
    first = outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in first] == ["sent"]
    folder = Path(first[0]["url"].removeprefix("file://"))
    assert (folder / "manifest.json").is_file() and (folder / "receipt.json").is_file()
    again = outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in again] == ["already-sent"]
    assert len(list(folder.parent.iterdir())) == 1
    text = (ready / "content/article" / SLUG / "index.md").read_text("utf-8")
    assert "status: approved" in text


def test_any_change_voids_the_approval(cli, ready: Path) -> None:
    index = ready / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("守好钱袋子", "守住钱袋子", 1), "utf-8")
    assert cli(ready, "check", SLUG).exit_code == 0
    (outcome,) = outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))
    assert outcome["state"] == "refused"
    assert "wang.min approved an earlier version of this variant" in outcome["detail"]


def test_force_needs_a_reason_and_a_signed_emergency_approval_and_is_audited(cli, example: Path) -> None:
    assert cli(example, "publish", SLUG, "--channel", "outbox", "--force").exit_code == 2
    assert cli(example, "check", SLUG).exit_code == 0  # force skips approval and status, never the check
    (bare,) = outcomes(cli(example, "publish", SLUG, "--channel", "outbox", "--force", "--reason", "演练", "--json"))
    assert (
        bare["state"] == "refused" and "--force needs an emergency approval of exactly this content" in bare["detail"]
    )
    signed = cli(example, "approve", SLUG, "--as", "li.na", "--emergency", "--reason", "演练：更正错别字")
    assert signed.exit_code == 0, signed.output
    result = cli(example, "publish", SLUG, "--channel", "outbox", "--force", "--reason", "演练", "--json")
    assert [o["state"] for o in outcomes(result)] == ["sent"]
    log = json.loads(cli(example, "log", "--json").stdout)
    (emergency,) = [r for r in log if r["action"] == "item.approved" and r["channel"] == "outbox"]
    assert (emergency["person"], emergency["role"], emergency["reason"]) == ("li.na", "emergency", "演练：更正错别字")
    assert emergency["key_fingerprint"].startswith("SHA256:")
    enqueued = [r for r in log if r["action"] == "publish.enqueued"]
    assert enqueued[0]["forced"] == "演练" and enqueued[0]["overridden"]
    assert enqueued[0]["emergency_by"] == "li.na" and enqueued[0]["emergency_reason"] == "演练：更正错别字"


def test_schedule_queues_and_due_delivers(cli, ready: Path) -> None:
    result = outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2099-01-01T09:00", "--json"))
    assert [o["state"] for o in result] == ["queued"]
    assert outcomes(cli(ready, "publish", "--due", "--json")) == []
    store = Store(ready / ".mediactl/queue.sqlite3")
    (job,) = store.jobs()
    store.db.execute("UPDATE jobs SET due_at = 0 WHERE id = ?", (job.id,))
    store.close()
    assert [o["state"] for o in outcomes(cli(ready, "publish", "--due", "--json"))] == ["sent"]


def test_pause_holds_jobs_and_resume_releases_them(cli, ready: Path) -> None:
    assert cli(ready, "pause", "--reason", "舆情期间").exit_code == 0
    result = outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))
    assert [o["state"] for o in result] == ["queued", "paused"]
    assert cli(ready, "resume").exit_code == 0
    assert [o["state"] for o in outcomes(cli(ready, "publish", "--due", "--json"))] == ["sent"]


def test_frequency_cap_refuses_with_next_slot_and_defer_uses_it(cli, ready: Path) -> None:
    config = ready / "mediactl.yaml"
    config.write_text(
        config.read_text("utf-8").replace(
            "    path: outbox\n", "    path: outbox\n    caps:\n      - {max: 1, per: day}\n"
        ),
        "utf-8",
    )
    store = Store(ready / ".mediactl/queue.sqlite3")
    store.enqueue("outbox", "other-item", "h" * 64, 4102444800.0)  # 2100-01-01, already planned
    store.close()
    result = outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2100-01-01T12:00", "--json"))
    assert result[0]["state"] == "refused"
    assert "cap: outbox allows 1 per day" in result[0]["detail"] and "next allowed slot" in result[0]["detail"]
    deferred = outcomes(
        cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2100-01-01T12:00", "--defer", "--json")
    )
    assert deferred[0]["state"] == "queued" and deferred[0]["due_at_epoch"] >= 4102444800.0 + 86400


def test_defer_moves_on_past_every_slot_already_taken(cli, ready: Path) -> None:
    """The next slot after the window may be taken too (by jobs deferred before): --defer goes on to a free one."""
    config = ready / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").replace(
        "    path: outbox\n", "    path: outbox\n    caps:\n      - {max: 1, per: day}\n"), "utf-8")  # fmt: skip
    store = Store(ready / ".mediactl/queue.sqlite3")
    for day in range(3):  # 2100-01-01, -02 and -03 are taken
        store.enqueue("outbox", f"other-{day}", f"{day}" * 64, 4102444800.0 + day * 86400)
    store.close()
    deferred = outcomes(
        cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2100-01-01T12:00", "--defer", "--json")
    )
    assert deferred[0]["state"] == "queued", deferred
    assert deferred[0]["due_at_epoch"] >= 4102444800.0 + 3 * 86400  # the first day with room


def test_crashed_sending_job_is_reconciled_not_resent(cli, ready: Path) -> None:
    assert [o["state"] for o in outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))] == ["sent"]
    store = Store(ready / ".mediactl/queue.sqlite3")
    (job,) = store.jobs()
    store.db.execute(
        "UPDATE jobs SET state = 'sending', claimed_by = 'elsewhere:1', claimed_at = 0 WHERE id = ?", (job.id,)
    )
    store.close()
    result = outcomes(cli(ready, "publish", "--due", "--json"))
    assert [o["state"] for o in result] == ["sent"]  # found in the outbox by its key, not sent again
    assert len(list((ready / "outbox/outbox" / SLUG).iterdir())) == 1


def test_two_concurrent_due_runs_deliver_each_job_once(cli, ready: Path) -> None:
    store = Store(ready / ".mediactl/queue.sqlite3")
    for n in range(40):
        store.enqueue("outbox", SLUG, f"{n:064d}", 0.0)  # 40 due jobs whose variants do not match: each fails once
    store.close()
    command = [sys.executable, "-m", "mediactl", "-C", str(ready), "publish", "--due", "--json"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    handled = [json.loads(run.communicate(timeout=120)[0] or "[]") for run in runs]
    jobs = [o["job"] for outcomes_ in handled for o in outcomes_]
    assert sorted(jobs) == list(range(1, 41))  # every job claimed by exactly one run


def test_queue_retry_cancel_resolve_and_log_verify_detects_tampering(cli, ready: Path) -> None:
    store = Store(ready / ".mediactl/queue.sqlite3")
    job, _ = store.enqueue("outbox", SLUG, "x" * 64, 0.0)
    store.db.execute("UPDATE jobs SET state = 'unknown' WHERE id = ?", (job.id,))
    store.close()
    assert cli(ready, "queue", "resolve", str(job.id), "--sent", "https://mp.weixin.qq.com/s/abc").exit_code == 0
    shown = json.loads(cli(ready, "queue", "show", str(job.id)).stdout)
    assert shown["state"] == "sent" and shown["remote_url"] == "https://mp.weixin.qq.com/s/abc"
    bad = cli(ready, "queue", "cancel", str(job.id))
    assert bad.exit_code == 2 and "only pending, failed, unknown jobs can become cancelled" in bad.stderr
    assert cli(ready, "log", "verify").exit_code == 0
    log = ready / ".mediactl/audit.jsonl"
    lines = log.read_text("utf-8").splitlines()
    lines[1] = lines[1].replace("wang.min", "someone")
    log.write_text("\n".join(lines) + "\n", "utf-8")
    result = cli(ready, "log", "verify")
    assert result.exit_code == 1
    assert "record on line 2 its content was changed after it was written" in result.stderr


def test_unreadable_state_store_is_a_clear_error(cli, example: Path) -> None:
    (example / ".mediactl").mkdir(exist_ok=True)
    (example / ".mediactl/queue.sqlite3").write_bytes(b"not a database at all" * 100)
    result = cli(example, "queue", "ls")
    assert result.exit_code == 2
    assert "queue.sqlite3: cannot open the state store" in result.stderr
    assert "Traceback" not in result.output


def test_platform_rate_limits_apply_without_configuration(cli, ready: Path) -> None:
    """公众号 allows one send a day: a second planned within the day is refused, naming the limit."""
    store = Store(ready / ".mediactl/queue.sqlite3")
    store.enqueue("bank-wechat", "other-item", "0" * 64, 4102444800.0)  # 2100-01-01 00:00 UTC, planned
    store.close()
    result = outcomes(
        cli(ready, "publish", SLUG, "--channel", "bank-wechat", "--at", "2100-01-01T06:00+00:00", "--json")
    )
    assert result[0]["state"] == "refused"
    assert "cap: bank-wechat allows 1 per day" in result[0]["detail"]


def test_a_channel_without_an_adapter_is_refused_before_anything_is_queued(cli, ready: Path, monkeypatch) -> None:
    """Issue 13's first defect: no job is ever left `sending` by a channel mediactl cannot deliver to."""
    installed = {name: entry for name, entry in adapters.registry().items() if name != "weibo"}
    for module in (adapters, runner):  # Weibo has an adapter now: take it away
        monkeypatch.setattr(module, "registry", lambda: installed)
    result = cli(ready, "publish", SLUG, "--channel", "bank-weibo", "--json")
    assert result.exit_code == 1
    (refused,) = outcomes(result)
    assert refused["state"] == "refused" and "no adapter is installed for platform 'weibo'" in refused["detail"]
    assert outcomes(cli(ready, "queue", "ls", "--json")) == []


def test_publishing_one_item_leaves_other_due_jobs_untouched(cli, ready: Path) -> None:
    store = Store(ready / ".mediactl/queue.sqlite3")
    other, _ = store.enqueue("outbox", "someone-else", "o" * 64, 0.0)  # due, but not part of this publish
    store.close()
    assert [o["state"] for o in outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--json"))] == ["sent"]
    store = Store(ready / ".mediactl/queue.sqlite3")
    untouched = store.get(other.id)
    store.close()
    assert (untouched.state, untouched.attempts, untouched.claimed_by) == ("pending", 0, None)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_due_delivery_reports_progress_and_a_total(ready: Path, concurrency: int) -> None:
    """The progress bar's callbacks: the count due once, then one step per job, from every worker thread."""
    from mediactl.config.model import load_config
    from mediactl.publish.runner import Publisher

    store = Store(ready / ".mediactl/queue.sqlite3")
    for n in range(7):
        store.enqueue("outbox", SLUG, f"{n:064d}", 0.0)  # variants that do not match: each fails, quickly
    store.enqueue("outbox", SLUG, "later".ljust(64, "0"), 4102444800.0)  # not due
    store.close()
    publisher = Publisher(load_config(ready / "mediactl.yaml"))
    totals: list[int] = []
    steps: list[int] = []
    try:
        done = publisher.deliver_due(limit=5, concurrency=concurrency, progress=steps.append, on_total=totals.append)
    finally:
        publisher.close()
    assert totals == [5] and len(done) == 5 and steps == [1] * 5  # the limit caps both


def test_ls_shows_who_approved_and_whether_it_still_holds(cli, ready: Path) -> None:
    """An approval is for exact bytes: ls says who approved, and marks it void once a variant changed."""
    from mediactl.publish.approvals import approval_text

    listed = {item["slug"]: item["approval"] for item in json.loads(cli(ready, "ls", "--json").stdout)}
    mine = listed[SLUG]
    assert mine["state"] == "approved" and mine["approvers"] == ["wang.min"]
    assert {c["state"] for c in mine["channels"]} == {"valid"}
    assert approval_text(mine) == "✓ wang.min"
    index = ready / f"content/article/{SLUG}/index.md"
    index.write_text(index.read_text("utf-8").replace("电信网络诈骗", "电信诈骗", 1), "utf-8")
    assert cli(ready, "render", SLUG).exit_code == 0
    after = {item["slug"]: item["approval"] for item in json.loads(cli(ready, "ls", "--json").stdout)}[SLUG]
    assert after["state"] in ("void", "partial")
    changed = [c for c in after["channels"] if c["state"] == "void"]
    assert changed and all(c["approver"] == "wang.min" for c in changed)
    assert "void" in approval_text(after) and cli(ready, "ls").exit_code == 0


def test_rate_limits_hold_at_send_time_when_jobs_come_due_together(cli, ready: Path) -> None:
    """Cron was down: jobs planned apart are all due now. A cap counts what was actually sent in its window."""
    import time

    config = ready / "mediactl.yaml"
    text = config.read_text("utf-8")
    assert "    path: outbox\n" in text
    config.write_text(
        text.replace("    path: outbox\n", "    path: outbox\n    caps:\n      - {max: 2, per: hour}\n", 1), "utf-8"
    )
    now = time.time()
    store = Store(ready / ".mediactl/queue.sqlite3")
    for n in range(2):  # sent 10 and 20 minutes ago
        job, _ = store.enqueue("outbox", f"old{n}", f"{n:064d}", now - 3600)
        store.db.execute("UPDATE jobs SET state = 'sent', claimed_at = ? WHERE id = ?", (now - 600 * (n + 1), job.id))
    waiting = [store.enqueue("outbox", SLUG, f"{n + 7:064d}", now - 60)[0] for n in range(2)]
    forced, _ = store.enqueue("outbox", SLUG, "f" * 64, now - 60, forced_reason="incident notice")
    store.close()
    result = outcomes(cli(ready, "publish", "--due", "--json"))
    by_job = {o["job"]: o for o in result}
    for job in waiting:
        assert by_job[job.id]["state"] == "queued"
        assert "cap: outbox allows 2 per hour; 2 sent in the last hour; next slot" in by_job[job.id]["detail"]
    assert by_job[forced.id]["state"] != "queued"  # --force skips the channel's caps (the outbox has no platform limit)
    store = Store(ready / ".mediactl/queue.sqlite3")
    later = [store.get(job.id) for job in waiting]
    store.close()
    assert all(j.state == "pending" for j in later)
    # the first waits until the older delivery leaves the window; the backlog is spread at the cap's pace (1 per 30 min)
    assert [round(j.due_at - now) for j in sorted(later, key=lambda j: j.due_at)] == [2400, 2400 + 1800]
    assert "delivery.deferred" in (ready / ".mediactl/audit.jsonl").read_text("utf-8")


def test_a_claimed_job_is_given_back_when_the_audit_log_fails(ready: Path, monkeypatch) -> None:
    """Disk full while logging the previous outcome: the job just claimed was never tried, so it is pending again."""
    from mediactl.config.model import load_config
    from mediactl.publish.runner import Publisher

    store = Store(ready / ".mediactl/queue.sqlite3")
    first, _ = store.enqueue("outbox", SLUG, "1" * 64, 0.0)
    second, _ = store.enqueue("outbox", SLUG, "2" * 64, 0.0)
    store.close()
    publisher = Publisher(load_config(ready / "mediactl.yaml"))
    publisher.require_intact_state()

    def disk_full(action: str, **fields) -> None:
        raise AuditError("audit.jsonl: cannot write the audit log (no space left on the device).")

    monkeypatch.setattr(publisher, "log", disk_full)
    monkeypatch.setattr(audit, "check_appendable", lambda path, room: None)
    with pytest.raises(AuditError, match=f"job {first.id} .* failed and is recorded .* kept in the state store"):
        publisher.deliver_due(limit=10)
    states = {job.id: job.state for job in publisher.store.jobs()}
    kept = publisher.store.unlogged()
    publisher.close()
    assert states[first.id] == "failed"  # tried (its variant does not match), settled
    assert states[second.id] == "pending"  # claimed with that settlement, given back untried
    assert [(entry.action, entry.fields["job"]) for entry in kept] == [("delivery.failed", first.id)]


@pytest.mark.parametrize("concurrency", ["1", "3"])
def test_jobs_of_a_removed_channel_fail_clearly_without_holding_up_the_others(
    cli, ready: Path, concurrency: str
) -> None:
    store = Store(ready / ".mediactl/queue.sqlite3")
    gone, _ = store.enqueue("bank-retired", SLUG, "0" * 64, 0.0)
    store.close()
    assert gone.state == "pending"
    assert outcomes(cli(ready, "publish", SLUG, "--channel", "outbox", "--at", "2020-01-01T00:00", "--json"))
    result = outcomes(cli(ready, "publish", "--due", "--json", "--concurrency", concurrency))
    by_channel = {o["channel"]: o for o in result}
    assert by_channel["bank-retired"]["state"] == "failed" and by_channel["bank-retired"]["job"] == gone.id
    assert (
        "channel 'bank-retired' is no longer in mediactl.yaml; nothing was sent" in by_channel["bank-retired"]["detail"]
    )
    assert by_channel.get("outbox", {"state": "sent"})["state"] == "sent"


def test_force_never_publishes_unchecked_words_or_an_error_finding(cli, example: Path) -> None:
    """issue 12: `publish evil --force --reason urgent` sent an unapproved, unchecked draft with 保本保收益."""
    assert cli(example, "new", "article", "evil", "--title", "紧急通知", "--channels", "outbox").exit_code == 0
    item = example / "content/article/evil/index.md"
    item.write_text(item.read_text("utf-8") + "\n本行理财产品保本保收益，零风险，详询13800138000。\n", "utf-8")
    unchecked = outcomes(
        cli(example, "publish", "evil", "--channel", "outbox", "--force", "--reason", "urgent", "--json")
    )
    assert unchecked[0]["state"] == "refused" and "--force never overrides the check" in unchecked[0]["detail"]
    assert cli(example, "check", "evil", "--fail-on", "blocker").exit_code in (0, 1)  # a lax check still records errors
    checked = outcomes(
        cli(example, "publish", "evil", "--channel", "outbox", "--force", "--reason", "urgent", "--json")
    )
    assert checked[0]["state"] == "refused" and "--force never overrides the check" in checked[0]["detail"]
    assert not (example / "outbox/outbox/evil").exists()
    refused = [r for r in json.loads(cli(example, "log", "--json").stdout) if r["action"] == "publish.refused"]
    assert refused and all(r.get("forced") == "urgent" for r in refused)


def test_force_refuses_error_findings_that_a_lax_check_let_pass(cli, example: Path) -> None:
    """A check run with --fail-on blocker passes a variant with error findings; --force still refuses it."""
    item = example / "content/article" / SLUG / "index.md"
    item.write_text(item.read_text("utf-8") + "\n本产品年化收益率高达8%，稳赚不赔。\n", "utf-8")
    cli(example, "check", SLUG, "--fail-on", "blocker")
    verdict = json.loads((example / ".mediactl/reports/outbox" / f"{SLUG}.json").read_text("utf-8"))
    severities = {f["severity"] for f in verdict["findings"]}
    assert "error" in severities and verdict["passed"], verdict  # errors, yet passed under --fail-on blocker
    (outcome,) = outcomes(
        cli(example, "publish", SLUG, "--channel", "outbox", "--force", "--reason", "urgent", "--json")
    )
    assert outcome["state"] == "refused" and "--force never overrides the check" in outcome["detail"]
    assert "error or blocker finding(s)" in outcome["detail"]


def test_a_thread_never_stops_for_a_budget_unit_another_thread_gives_back() -> None:
    """--limit is shared by every channel's threads: one that finds the budget empty while another holds the last
    unit for a claim that may find nothing must wait for it, or its channel's last job is left behind."""
    import threading

    from mediactl.publish.runner import _Budget

    for claimed, expected in ((False, True), (True, False)):
        budget = _Budget(1)
        assert budget.take()  # another channel's thread holds the last unit while its claim runs
        got: list[bool] = []
        waiter = threading.Thread(target=lambda budget=budget, got=got: got.append(budget.take()))
        waiter.start()
        waiter.join(0.2)
        assert waiter.is_alive()  # waiting, not given up
        budget.spend() if claimed else budget.give_back()
        waiter.join(10)
        assert got == [expected]
