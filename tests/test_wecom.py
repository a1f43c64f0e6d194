"""The WeCom adapter against the sandbox over real HTTP: push and moments, staff confirmation, reminders, expiry."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from conftest import isolate
from mediactl.cli import app
from mediactl.library.scaffold import init_project
from mediactl.publish.store import Store
from mediactl.sandbox import Sandbox

PUSH, MOMENTS = "bank-wecom", "bank-moments"
ARTICLE, GRAPHIC, VIDEO = "wealth-steady-plus", "credit-card-cashback", "spring-festival-greeting"
AUTHORS = {ARTICLE: "wang.lei", GRAPHIC: "chen.jie", VIDEO: "zhang.min"}
SECRET = "wecom-corp-secret-value"
DAY = 86400


def run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["-C", str(root), *args])


@pytest.fixture(scope="module")
def approved(tmp_path_factory: pytest.TempPathFactory, _user_cache: str, _video_cache: str) -> Path:
    """The example project with the three WeCom items checked, reviewed and approved (once for the module)."""
    root = tmp_path_factory.mktemp("wecom") / "example"
    init_project(root)
    for slug, channel in ((ARTICLE, PUSH), (GRAPHIC, MOMENTS), (VIDEO, MOMENTS)):  # only WeCom: less to render
        index = next(root.glob(f"content/*/{slug}/index.md"))
        text = index.read_text("utf-8")
        text = re.sub(r"\nchannels:\n(  - .*\n)+", f"\nchannels: [{channel}]\n", text, count=1)
        index.write_text(re.sub(r"\nschedule:\n(  .*\n)+", "\n", text, count=1), "utf-8")  # tests publish --at
    with pytest.MonkeyPatch.context() as env:
        isolate(env, _user_cache, _video_cache)  # the shared video cache, as every test's environment
        for slug, author in AUTHORS.items():
            env.setenv("MEDIACTL_USER", author)
            assert run(root, "check", slug).exit_code == 0
            assert run(root, "review", slug).exit_code == 0
            env.setenv("MEDIACTL_USER", "wang.min")
            assert run(root, "approve", slug).exit_code == 0
    return root


pytestmark = pytest.mark.sandbox(publish_polls=1)


@pytest.fixture
def project(approved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Path:
    root = tmp_path / "example"
    shutil.copytree(approved, root, symlinks=True)
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("BANK_WECOM_CORPID", "ww-bank")
    monkeypatch.setenv("BANK_WECOM_SECRET", SECRET)
    return root


def publish(root: Path, slug: str = ARTICLE, channel: str = PUSH) -> dict[str, Any]:
    """Now (the items' schedules are in the future), as JSON; the one outcome."""
    result = run(root, "publish", slug, "--channel", channel, "--at", "2020-01-01T00:00", "--json")
    (outcome,) = json.loads(result.stdout)
    return outcome


def sync(root: Path) -> list[dict[str, Any]]:
    return json.loads(run(root, "queue", "sync", "--json").stdout)


def job(root: Path, number: int = 1) -> dict[str, Any]:
    return json.loads(run(root, "queue", "show", str(number)).stdout)


def confirm(sandbox: Sandbox, remote_id: str, **who: Any) -> None:
    with httpx.Client(base_url=sandbox.url, trust_env=False) as client:
        assert client.post("/_sandbox/wecom/confirm", json={"id": remote_id, **who}).status_code == 200


def posts(sandbox: Sandbox, endpoint: str) -> list[dict[str, Any]]:
    return [p for p in sandbox.posts() if p["path"].endswith(endpoint)]


def rewind(root: Path, seconds: float, job_id: int = 1) -> None:
    """Move a job's confirmation back in time (the task was made `seconds` earlier): no test waits for a clock."""
    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        found = store.get(job_id)
        assert found is not None
        detail = found.confirmed()
        detail["since"] -= seconds
        detail["reminders"] = [at - seconds for at in detail.get("reminders") or []]
        store.db.execute("UPDATE jobs SET confirmation = ? WHERE id = ?", (json.dumps(detail), job_id))
    finally:
        store.close()


def configure(root: Path, channel: str, **options: str) -> None:
    """Set options of a channel in mediactl.yaml (each value is YAML), replacing the line that set them."""
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    start = text.index(f"  {channel}:\n")
    for key, value in options.items():
        line_start = text.index(f"\n    {key}: ", start) + 1
        line_end = text.index("\n", line_start)
        text = text[:line_start] + f"    {key}: {value}" + text[line_end:]
    config.write_text(text, "utf-8")


# --- push ---------------------------------------------------------------------------------------------------


def test_a_push_goes_to_the_audience_s_segments_and_awaits_confirmation(project: Path, sandbox: Sandbox) -> None:
    outcome = publish(project)
    assert outcome["state"] == "awaiting-confirmation", outcome
    assert "waits for staff to confirm it in the WeCom client" in outcome["detail"]  # says what happens next
    assert "mediactl queue sync" in outcome["detail"]
    (created,) = posts(sandbox, "add_msg_template")
    assert created["summary"]["attachments"] == 2  # the article's image and the link card to it
    assert created["summary"]["staff"] == ["lisi", "wangwu", "zhangsan"]
    assert created["summary"]["targets"] == 12  # 财富客群 (2 tags) and 代发客群 (1 tag): 4 customers each
    record = job(project)
    assert record["remote_id"] == created["summary"]["msgid"]
    assert record["confirmation"]["mode"] == "push" and record["confirmation"]["msgid"] == record["remote_id"]
    assert SECRET not in json.dumps(outcome) and SECRET not in (project / ".mediactl/audit.jsonl").read_text("utf-8")


def test_a_configured_mini_program_card_rides_along_with_the_article_s_picture(project: Path, sandbox: Sandbox) -> None:
    config = project / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").replace("    # miniprogram: {", "    miniprogram: {"), "utf-8")
    assert publish(project)["state"] == "awaiting-confirmation"
    (created,) = posts(sandbox, "add_msg_template")
    assert created["summary"]["attachments"] == 3  # the image, the link card, the mini-program (its picture: the image)


def test_a_push_to_customer_groups_goes_to_the_sender_s_groups(project: Path, sandbox: Sandbox) -> None:
    config = project / "mediactl.yaml"
    text = config.read_text("utf-8").replace("    # chat_type: group ", "    chat_type: group ")
    config.write_text(text.replace("    # sender: zhangsan ", "    sender: zhangsan "), "utf-8")
    refused = publish(project)  # refused while planning: no job is made for a task that could reach nobody
    assert refused["state"] == "refused" and "give no customer group chat ids" in refused["detail"]
    assert "add `groups` under segments.<name>.wecom" in refused["detail"] and "nothing was queued" in refused["detail"]
    text = config.read_text("utf-8").replace("  财富客群: {wecom: {tags: [etAAAAwealth, etAAAAprivate]}}",
                                             "  财富客群: {wecom: {tags: [etAAAAwealth], groups: [wrA, wrB]}}")  # fmt: skip
    config.write_text(text.replace("  代发客群: {wecom: {tags: [etAAAApayroll]}}", "  代发客群: {wecom: {groups: [wrB, wrC]}}"),
                      "utf-8")  # fmt: skip
    assert publish(project)["state"] == "awaiting-confirmation"  # the segments give group chats now
    (created,) = posts(sandbox, "add_msg_template")
    summary = created["summary"]
    assert (summary["chat_type"], summary["staff"], summary["targets"]) == ("group", ["zhangsan"], 3)


def test_staff_confirm_then_the_job_is_sent_with_the_numbers(project: Path, sandbox: Sandbox) -> None:
    publish(project)
    msgid = job(project)["remote_id"]
    confirm(sandbox, msgid, staff=2)
    (waiting,) = sync(project)
    assert waiting["state"] == "awaiting-confirmation"
    assert "2 of 3 staff confirmed (67%; 80% needed)" in waiting["detail"]
    assert "2/3 staff confirmed" in run(project, "queue", "ls").stdout
    staff = job(project)["confirmation"]["staff"]
    assert staff["zhangsan"] == {"confirmed": True, "sent": 3, "not_sent": 0, "not_friend": 3, "already_received": 0}
    assert staff["wangwu"] == {"confirmed": False, "sent": 0, "not_sent": 3, "not_friend": 0, "already_received": 0}
    confirm(sandbox, msgid, staff=1)
    (sent,) = json.loads(run(project, "publish", "--due", "--json").stdout)  # publish --due syncs too
    assert sent["state"] == "sent" and "3 of 3 staff confirmed" in sent["detail"]
    totals = job(project)["confirmation"]["total"]
    assert totals == {"staff": 3, "confirmed": 3, "sent": 9, "not_sent": 0, "not_friend": 3, "already_received": 0}
    log = [json.loads(line) for line in (project / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()]
    assert log[-1]["action"] == "delivery.sent" and log[-1]["confirmation"] == totals and log[-1]["sandbox"] is True
    assert sync(project) == [] and run(project, "log", "verify").exit_code == 0


def test_a_task_too_few_confirmed_expires_with_the_numbers_and_is_stopped(project: Path, sandbox: Sandbox) -> None:
    publish(project)
    msgid = job(project)["remote_id"]
    confirm(sandbox, msgid, users=["lisi"])
    rewind(project, 3 * DAY)  # the channel's expire_after (3d) has passed
    result = run(project, "queue", "sync", "--json")
    assert result.exit_code == 1  # an expiry is a delivery shortfall: cron hears of it
    (expired,) = json.loads(result.stdout)
    assert expired["state"] == "expired" and "1 of 3 staff confirmed" in expired["detail"]
    record = job(project)
    assert record["state"] == "expired" and record["error"].startswith("1 of 3 staff confirmed")
    assert record["confirmation"]["total"]["sent"] == 3 and "stopped" in record["confirmation"]["stopped"]
    assert posts(sandbox, "cancel_groupmsg_send")[0]["summary"] == {"msgid": msgid, "cancelled": True}
    with httpx.Client(base_url=sandbox.url, trust_env=False) as client:  # nobody can send what is left
        assert client.post("/_sandbox/wecom/confirm", json={"id": msgid, "staff": 1}).status_code == 400
    assert run(project, "log", "verify").exit_code == 0


def test_staff_are_reminded_within_the_platform_s_limit(project: Path, sandbox: Sandbox) -> None:
    publish(project)
    assert sync(project)[0]["state"] == "awaiting-confirmation"
    assert posts(sandbox, "remind_groupmsg_send") == []  # too soon after the task was made
    rewind(project, 9 * 3600)
    sync(project)
    sync(project)  # at once again: the next reminder waits its turn (3 a day, spread out)
    assert len(posts(sandbox, "remind_groupmsg_send")) == 1
    now = time.time()
    remind_at(project, [now - 23 * 3600, now - 15 * 3600, now - 8.5 * 3600])  # three in the last 24 hours
    sync(project)
    assert len(posts(sandbox, "remind_groupmsg_send")) == 1  # a fourth would be over WeCom's limit: not asked
    rewind(project, 2 * 3600)  # the oldest leaves the 24 hours
    sync(project)
    reminders = posts(sandbox, "remind_groupmsg_send")
    assert len(reminders) == 2 and all(r["errcode"] == 0 for r in reminders)
    assert len(job(project)["confirmation"]["reminders"]) == 4
    log = (project / ".mediactl/audit.jsonl").read_text("utf-8")
    assert log.count('"delivery.reminded"') == 2


def remind_at(root: Path, times: list[float]) -> None:
    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        found = store.get(1)
        assert found is not None
        detail = {**found.confirmed(), "reminders": times}
        store.db.execute("UPDATE jobs SET confirmation = ? WHERE id = 1", (json.dumps(detail),))
    finally:
        store.close()


def test_an_expired_token_is_fetched_again_once(project: Path, sandbox: Sandbox) -> None:
    publish(project)
    sandbox.add_fault("expired-token")
    confirm(sandbox, job(project)["remote_id"], staff=3)
    (sent,) = sync(project)
    assert sent["state"] == "sent"
    assert [c["errcode"] for c in sandbox.calls() if "get_groupmsg_task" in c["path"]] == [42001, 0]


def test_a_rate_limited_push_is_retried_later(project: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("429")  # the next mutating call: the upload of the image
    outcome = publish(project)
    assert outcome["state"] == "queued" and "rate limited" in outcome["detail"]
    assert posts(sandbox, "add_msg_template") == []


def test_content_refused_by_wecom_fails_with_its_words(project: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("reject")
    outcome = publish(project)
    assert outcome["state"] == "failed" and "40035" in outcome["detail"] and "refused" in outcome["detail"]


def test_an_audience_without_wecom_targets_is_refused_while_planning(project: Path, sandbox: Sandbox) -> None:
    config = project / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").replace("  财富客群: {wecom: {tags: [etAAAAwealth, etAAAAprivate]}}\n", ""),
                      "utf-8")  # fmt: skip
    outcome = publish(project)
    assert outcome["state"] == "refused" and "nothing was queued" in outcome["detail"]
    assert "segment '财富客群' (in the item's audience) is not defined under `segments:`" in outcome["detail"]
    assert [c for c in sandbox.calls() if "/cgi-bin/" in c["path"]] == []  # not even a token
    assert json.loads(run(project, "queue", "ls", "--json").stdout) == []  # no job left to fail or wait
    dry = json.loads(run(project, "publish", ARTICLE, "--dry-run", "--json").stdout)
    assert [(o["channel"], o["state"]) for o in dry if o["channel"] == PUSH] == [(PUSH, "refused")]


def test_a_job_queued_before_its_segment_was_removed_fails_at_delivery(project: Path, sandbox: Sandbox) -> None:
    queued = run(project, "publish", ARTICLE, "--channel", PUSH, "--at", "2099-01-01T09:00", "--json")
    assert [o["state"] for o in json.loads(queued.stdout)] == ["queued"], queued.output
    config = project / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").replace("  财富客群: {wecom: {tags: [etAAAAwealth, etAAAAprivate]}}\n", ""),
                      "utf-8")  # fmt: skip
    with sqlite3.connect(project / ".mediactl/queue.sqlite3") as db:  # the day comes
        db.execute("UPDATE jobs SET due_at = 0")
    due = json.loads(run(project, "publish", "--due", "--json").stdout)
    assert [o["state"] for o in due] == ["failed"], due
    assert "segment '财富客群' (in the item's audience) is not defined" in due[0]["detail"]
    assert [c for c in sandbox.calls() if "/cgi-bin/" in c["path"]] == []


def test_a_push_whose_answer_was_lost_is_found_in_wecom_s_list_never_sent_twice(
    project: Path, sandbox: Sandbox
) -> None:
    sandbox.add_fault("drop")  # add_msg_template took effect; its answer never arrives
    outcome = publish(project)
    assert outcome["state"] == "unknown"
    assert job(project)["remote_id"] is None
    (found,) = json.loads(run(project, "publish", "--due", "--json").stdout)
    assert found["state"] == "awaiting-confirmation"
    (created,) = posts(sandbox, "add_msg_template")
    assert job(project)["remote_id"] == created["summary"]["msgid"]


def test_a_run_killed_after_the_push_is_reconciled_through_its_msgid(project: Path, sandbox: Sandbox) -> None:
    publish(project)
    store = Store(project / ".mediactl/queue.sqlite3")
    store.db.execute("UPDATE jobs SET state = 'sending', confirmation = NULL, claimed_by = 'elsewhere:1:1', "
                     "claimed_at = 0 WHERE id = 1")  # fmt: skip
    store.close()
    (reconciled,) = json.loads(run(project, "publish", "--due", "--json").stdout)
    assert reconciled["state"] == "awaiting-confirmation"
    assert len(posts(sandbox, "add_msg_template")) == 1
    assert job(project)["confirmation"]["mode"] == "push"


def test_recall_stops_an_unconfirmed_task(project: Path, sandbox: Sandbox) -> None:
    publish(project)
    msgid = job(project)["remote_id"]
    result = run(project, "recall", ARTICLE, "--channel", PUSH, "--reason", "利率调整")
    assert result.exit_code == 0, result.output
    assert job(project)["state"] == "recalled"
    assert posts(sandbox, "cancel_groupmsg_send")[0]["summary"] == {"msgid": msgid, "cancelled": True}
    with httpx.Client(base_url=sandbox.url, trust_env=False) as client:  # nobody can send it any more
        assert client.post("/_sandbox/wecom/confirm", json={"id": msgid, "staff": 1}).status_code == 400


def test_recall_of_a_task_some_staff_sent_stops_the_rest_and_says_what_a_person_must_do(project: Path,
                                                                                       sandbox: Sandbox) -> None:  # fmt: skip
    publish(project)
    confirm(sandbox, job(project)["remote_id"], users=["lisi"])
    result = run(project, "recall", ARTICLE, "--channel", PUSH, "--reason", "利率调整")
    assert result.exit_code == 1
    assert "1 of 3 staff already sent it to 3 customer(s)" in result.output
    assert "WeCom cannot take a sent message" in result.output
    assert len(posts(sandbox, "cancel_groupmsg_send")) == 1  # what was not sent is stopped all the same
    assert job(project)["state"] == "awaiting-confirmation"  # part of it is out there: not recalled


def test_the_receive_limit_is_a_cap_per_segment(project: Path, sandbox: Sandbox) -> None:
    """bank-wecom's receive_limit (1 a day) counts per segment: the same segments cannot get a second push that day."""
    config = project / "mediactl.yaml"
    own_cap = "    caps:\n      - {max: 1, per: week, by: audience}"
    assert own_cap in config.read_text("utf-8")
    config.write_text(config.read_text("utf-8").replace(own_cap, "    caps: []"), "utf-8")  # only the receive limit
    assert publish(project)["state"] == "awaiting-confirmation"
    body = project / "content/article/wealth-steady-plus/index.md"
    body.write_text(body.read_text("utf-8").replace("产品要素一览", "产品要素速览", 1), "utf-8")
    assert run(project, "check", ARTICLE).exit_code == 0
    assert run(project, "approve", ARTICLE, "--as", "wang.min").exit_code == 0
    second = publish(project)
    assert second["state"] == "refused" and "allows 1 per day for segment 财富客群/代发客群" in second["detail"]
    configure(project, PUSH, receive_limit="{max: 7, per: week}")  # the corp's admin allows 7 a week
    assert publish(project)["state"] == "awaiting-confirmation"


# --- moments -----------------------------------------------------------------------------------------------


def test_a_graphic_is_posted_as_images_and_a_video_as_its_clip(project: Path, sandbox: Sandbox) -> None:
    assert publish(project, GRAPHIC, MOMENTS)["state"] == "awaiting-confirmation"
    assert publish(project, VIDEO, MOMENTS)["state"] == "awaiting-confirmation"
    graphic, video = posts(sandbox, "add_moment_task")
    assert (graphic["summary"]["kind"], graphic["summary"]["attachments"]) == ("image", 1)
    assert (video["summary"]["kind"], video["summary"]["attachments"]) == ("video", 1)
    assert graphic["summary"]["tags"] == ["etAAAAyoung", "etAAAApayroll"]
    uploads = [c for c in sandbox.calls() if c["path"].endswith("upload_attachment")]
    assert len(uploads) == 2 and all(c["errcode"] == 0 for c in uploads)
    record = job(project)
    assert record["remote_id"].startswith("mom") and record["confirmation"]["jobid"].startswith("job")


def test_a_moment_is_sent_when_its_share_of_staff_posted_it(project: Path, sandbox: Sandbox) -> None:
    publish(project, GRAPHIC, MOMENTS)
    moment_id = job(project)["remote_id"]
    confirm(sandbox, moment_id, staff=1)
    (waiting,) = sync(project)
    assert (
        waiting["state"] == "awaiting-confirmation" and "1 of 3 staff confirmed (33%; 50% needed)" in waiting["detail"]
    )
    confirm(sandbox, moment_id, staff=1)
    (sent,) = sync(project)
    assert sent["state"] == "sent" and job(project)["confirmation"]["staff"]["lisi"] == {"confirmed": True}


def test_a_moment_task_refused_after_it_was_accepted_fails(project: Path, sandbox: Sandbox) -> None:
    sandbox.add_fault("publish-fail")
    outcome = publish(project, GRAPHIC, MOMENTS)
    assert outcome["state"] == "failed" and "moment task" in outcome["detail"] and "failed" in outcome["detail"]


def test_a_moment_still_being_created_is_settled_by_a_later_run(project: Path, sandbox: Sandbox, monkeypatch) -> None:
    from mediactl.publish.adapters import wecom
    from mediactl.publish.adapters.poll import PollPlan

    monkeypatch.setattr(wecom.WecomAdapter, "poll_plan", PollPlan(1))
    sandbox.options.publish_polls = 2  # WeCom is slower than our one poll
    outcome = publish(project, GRAPHIC, MOMENTS)
    assert outcome["state"] == "unknown" and "the next run asks WeCom again" in outcome["detail"]
    jobid = posts(sandbox, "add_moment_task")[0]["summary"]["jobid"]
    assert job(project)["remote_id"] == jobid
    assert json.loads(run(project, "publish", "--due", "--json").stdout) == []  # still running: stays unknown
    (settled,) = json.loads(run(project, "publish", "--due", "--json").stdout)
    assert settled["state"] == "awaiting-confirmation" and job(project)["remote_id"].startswith("mom")
    assert len(posts(sandbox, "add_moment_task")) == 1


def test_a_moment_whose_answer_was_lost_ends_unknown_and_is_never_posted_twice(project: Path, sandbox: Sandbox) -> None:
    """WeCom has no way to find a moment task by our key: without its jobid the job waits for a person."""
    sandbox.add_fault("drop")  # add_moment_task took effect; its answer never arrives
    lost = publish(project, GRAPHIC, MOMENTS)
    assert lost["state"] == "unknown" and job(project)["remote_id"] is None
    assert json.loads(run(project, "publish", "--due", "--json").stdout) == []
    assert len(posts(sandbox, "add_moment_task")) == 1


def test_the_dry_run_lists_wecom_s_calls_without_secrets(project: Path, sandbox: Sandbox) -> None:
    result = run(project, "publish", ARTICLE, "--channel", PUSH, "--dry-run", "--json")
    text = json.dumps(json.loads(result.stdout), ensure_ascii=False)
    assert "/cgi-bin/externalcontact/add_msg_template" in text and "corpsecret=***" in text and SECRET not in text
    assert sandbox.calls() == []


def test_a_moment_that_is_not_confirmed_in_time_expires_and_is_stopped(project: Path, sandbox: Sandbox) -> None:
    publish(project, GRAPHIC, MOMENTS)
    rewind(project, 2 * DAY)
    (expired,) = sync(project)
    assert expired["state"] == "expired" and "0 of 3 staff confirmed" in expired["detail"]
    assert len(posts(sandbox, "cancel_moment_task")) == 1


def test_stats_pull_sums_a_push_s_delivery_results_over_its_staff(project: Path, sandbox: Sandbox) -> None:
    """Numbers back for a 1-to-1 push: per staff member's customers (delivered, not a friend, already received, not
    sent yet), summed; asked again, they reflect who confirmed since."""
    publish(project)
    msgid = job(project)["remote_id"]
    confirm(sandbox, msgid, staff=3)
    (sent,) = sync(project)
    assert sent["state"] == "sent"
    pulled = run(project, "stats", "pull", "--json")
    assert pulled.exit_code == 0, pulled.output
    (entry,) = json.loads(pulled.stdout)
    assert entry["found"] == "kept" and "3 of 3 staff confirmed" in entry["detail"]
    assert entry["counters"] == {"delivered": 9, "failed_not_friend": 3, "already_received": 0, "not_sent": 0}
    table = json.loads(run(project, "stats", "--by", "audience", "--json").stdout)
    assert table["rows"] and all(row["delivered"] == 9 for row in table["rows"])  # each of the item's segments
