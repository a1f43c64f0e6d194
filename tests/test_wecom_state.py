"""WeCom's pieces without a server: the confirmation tally, the `expired` state and its store column, and the shape
of WeCom's real answers (quoted in platforms.md §2) through the adapter's parser."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediactl.config.model import load_config
from mediactl.publish import schema
from mediactl.publish.adapters import wecom_tally as tally
from mediactl.publish.adapters.wecom import WecomAdapter
from mediactl.publish.store import JobState, Settlement, Store

NOW = 1_800_000_000.0
DAY = 86400


def detail(staff: int, confirmed: int, since: float = NOW, reminders: list[float] | None = None) -> dict[str, Any]:
    return {"since": since, "reminders": reminders or [], "total": {"staff": staff, "confirmed": confirmed}}


# --- the tally ---------------------------------------------------------------------------------------------


def test_staff_numbers_are_counted_from_the_send_results() -> None:
    rows = [{"status": 1}, {"status": 1}, {"status": 2}, {"status": 3}, {"status": 0}, {"status": "1"}]
    entry = tally.staff_entry(True, rows)
    assert entry == {"confirmed": True, "sent": 3, "not_sent": 1, "not_friend": 1, "already_received": 1}
    staff = {"a": entry, "b": tally.staff_entry(False, [{"status": 0}])}
    assert tally.total(staff) == {"staff": 2, "confirmed": 1, "not_sent": 2, "sent": 3, "not_friend": 1,
                                  "already_received": 1}  # fmt: skip
    assert tally.total({"a": tally.staff_entry(True, None)}) == {"staff": 1, "confirmed": 1}  # moments: staff only


@pytest.mark.parametrize(
    ("staff", "confirmed", "age", "expected"),
    [
        (5, 4, 0, JobState.SENT),  # 80 % of 5
        (5, 3, 0, JobState.AWAITING_CONFIRMATION),
        (5, 3, 3 * DAY, JobState.EXPIRED),
        (5, 4, 3 * DAY, JobState.SENT),  # enough confirmed: sent, however late we ask
        (0, 0, 0, JobState.AWAITING_CONFIRMATION),  # WeCom has not given anyone the task yet
        (0, 0, 3 * DAY, JobState.EXPIRED),
        (3, 2, 0, JobState.AWAITING_CONFIRMATION),  # 67 % < 80 %
    ],
)
def test_the_verdict_needs_the_share_of_staff_before_the_deadline(staff: int, confirmed: int, age: float,
                                                                  expected: str) -> None:  # fmt: skip
    found = tally.verdict(detail(staff, confirmed, NOW - age), confirm_share=0.8, expire_after=3 * DAY, now=NOW)
    assert found == expected


def test_reminders_are_spread_and_never_more_than_the_limit_in_24_hours() -> None:
    assert not tally.due_reminder(detail(3, 1, NOW - 7 * 3600), now=NOW, per_day=3)  # too soon after the task
    assert tally.due_reminder(detail(3, 1, NOW - 8 * 3600), now=NOW, per_day=3)
    assert not tally.due_reminder(detail(3, 3, NOW - 8 * 3600), now=NOW, per_day=3)  # everyone confirmed
    recent = [NOW - 23 * 3600, NOW - 15 * 3600, NOW - 9 * 3600]
    assert not tally.due_reminder(detail(3, 1, NOW - 2 * DAY, recent), now=NOW, per_day=3)
    assert tally.due_reminder(detail(3, 1, NOW - 2 * DAY, [NOW - 25 * 3600, *recent[1:]]), now=NOW, per_day=3)


def test_the_summary_says_who_confirmed_and_what_reached_the_customers() -> None:
    found = {"total": {"staff": 4, "confirmed": 3, "sent": 120, "not_sent": 0, "not_friend": 5, "already_received": 0},
             "reminders": [NOW]}  # fmt: skip
    assert tally.summary(found, 0.8) == ("3 of 4 staff confirmed (75%; 80% needed); customers: 120 sent, "
                                         "5 failed (not a friend); 1 reminder(s)")  # fmt: skip


# --- the state: expired, and the confirmation column -----------------------------------------------------------


def test_an_older_store_gains_the_confirmation_column_and_keeps_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(";".join(schema.HISTORY.format(**schema.TYPES["sqlite"]).split(";")))
    for step in schema.MIGRATIONS[:3]:
        for statement in filter(None, step.statements("sqlite")):
            db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?, 0, 'test')", (step.version, step.description))
    db.execute("INSERT INTO jobs (idempotency_key, channel, item, content_hash, due_at, state, created_at, updated_at) "
               "VALUES ('k', 'bank-wecom', 'a', 'h', 0, 'awaiting-confirmation', 0, 0)")  # fmt: skip
    db.commit()
    db.close()
    store = Store(path)
    try:
        (job,) = store.jobs()
        assert job.confirmation is None and job.confirmed() == {}
        assert store.record_confirmation(job.id, {"total": {"staff": 2, "confirmed": 1}})
        assert not store.record_confirmation(job.id, {"total": {"staff": 2, "confirmed": 1}})  # unchanged: no write
        settled = Settlement(job.id, JobState.EXPIRED, error="1 of 2", expect=JobState.AWAITING_CONFIRMATION,
                             confirmation={"total": {"staff": 2, "confirmed": 1}, "stopped": "yes"})  # fmt: skip
        assert store.settle_and_claim(settled, None) == (True, None)
        expired = store.get(job.id)
        assert expired is not None and expired.state == "expired" and expired.confirmed()["stopped"] == "yes"
        assert not store.record_confirmation(job.id, {"total": {}})  # only while it awaits confirmation
    finally:
        store.close()


def test_an_expired_job_counts_for_caps_and_survives_a_rebuild(cli, ready: Path) -> None:
    """`expired` is a final state the audit log records (delivery.expired): rebuilt as expired, never re-sent."""
    from mediactl.publish.runner import Publisher

    config = load_config(ready / "mediactl.yaml")
    publisher = Publisher(config)
    try:
        queued = publisher.audited("publish.enqueued", lambda j: {"job": j.id, "idempotency_key": j.idempotency_key},
                                   item="anti-fraud-2026", channel="outbox", content_hash="0" * 64)  # fmt: skip
        job, _ = publisher.store.enqueue("outbox", "anti-fraud-2026", "0" * 64, 0.0, audience="老年客群", audit=queued)
        publisher.store.db.execute("UPDATE jobs SET state = 'awaiting-confirmation' WHERE id = ?", (job.id,))
        publisher.log("delivery.awaiting-confirmation", job=job.id, item=job.item, channel=job.channel)
        publisher._finish(job, JobState.EXPIRED, "0 of 3 staff confirmed", expect=JobState.AWAITING_CONFIRMATION,
                          confirmation={"total": {"staff": 3, "confirmed": 0}})  # fmt: skip
        assert publisher.store.count_in_window("outbox", -1.0, 1.0, "老年客群") == 1
    finally:
        publisher.close()
    for path in (ready / ".mediactl").glob("queue.sqlite3*"):
        path.unlink()
    assert cli(ready, "state", "rebuild").exit_code == 0
    store = Store(ready / ".mediactl/queue.sqlite3")
    try:
        (rebuilt,) = store.jobs()
        assert rebuilt.state == "expired" and rebuilt.error == "0 of 3 staff confirmed"
    finally:
        store.close()
    assert cli(ready, "log", "verify").exit_code == 0


# --- WeCom's real answers through the adapter's parser ------------------------------------------------------------


def adapter_answering(example: Path, monkeypatch, answers: dict[str, Any]) -> WecomAdapter:
    """The bank-wecom adapter whose HTTP client answers each path with the JSON given for its last segment."""
    monkeypatch.setenv("BANK_WECOM_CORPID", "ww-bank")
    monkeypatch.setenv("BANK_WECOM_SECRET", "wecom-secret-value")
    config = load_config(example / "mediactl.yaml")

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[request.url.path.rsplit("/", 1)[-1]])

    return WecomAdapter(
        config.channel("bank-wecom"), config, client=httpx.Client(transport=httpx.MockTransport(answer))
    )


def test_real_answers_of_gettoken_and_add_msg_template_parse(example: Path, monkeypatch) -> None:
    answers = {
        # platforms.md §2 "Token": [S] wechatpy tests/fixtures/work/gettoken.json, [V] document/path/91039
        "gettoken": {"errcode": 0, "errmsg": "ok", "access_token": "accesstoken000001", "expires_in": 7200},
        # platforms.md §2 "1-to-1 / group send": [S] wechatpy tests/fixtures/work/externalcontact_add_msg_template.json
        "add_msg_template": {
            "errcode": 0,
            "errmsg": "ok",
            "fail_list": ["wmqfasd1e19278asdasdasd"],
            "msgid": "msgGCAAAXtWyujaWJHDDGi0mACas1w",
        },
    }
    adapter = adapter_answering(example, monkeypatch, answers)
    try:
        assert adapter.fetch_token() == ("accesstoken000001", 7200.0)
        receipt = adapter._push(_Text(), "key", {"chat_type": "single", "external_userid": ["wm1"]})
    finally:
        adapter.close()
    assert (receipt.state, receipt.remote_id) == ("awaiting-confirmation", "msgGCAAAXtWyujaWJHDDGi0mACas1w")
    assert receipt.detail["invalid_customers"] == 1


def test_the_status_answers_described_in_platforms_md_parse(example: Path, monkeypatch) -> None:
    """Shapes from platforms.md §2 "Status" and "Moments async" ([S] silenceper/wechat msg.go, moment.go; status
    values [S]/[C] as the facts file cites): no real JSON is quoted there, so these follow the documented fields."""
    answers = {
        "gettoken": {"errcode": 0, "errmsg": "ok", "access_token": "accesstoken000001", "expires_in": 7200},
        "get_groupmsg_task": {
            "errcode": 0,
            "errmsg": "ok",
            "next_cursor": "",
            "task_list": [
                {"userid": "zhangsan", "status": 2, "send_time": 1552536375},
                {"userid": "lisi", "status": 0},
            ],
        },
        "get_groupmsg_send_result": {
            "errcode": 0,
            "errmsg": "ok",
            "next_cursor": "",
            "send_list": [
                {
                    "external_userid": "wmqfasd1e19278asdasdasd",
                    "chat_id": "",
                    "userid": "zhangsan",
                    "status": 1,
                    "send_time": 1552536375,
                }
            ],
        },
        "get_moment_task_result": {
            "errcode": 0,
            "errmsg": "ok",
            "status": 3,
            "type": "add_moment_task",
            "result": {
                "errcode": 0,
                "errmsg": "ok",
                "moment_id": "xxxx",
                "invalid_sender_list": {"user_list": ["zhangsan"]},
                "invalid_external_contact_list": {"tag_list": ["xxx"]},
            },
        },
    }
    adapter = adapter_answering(example, monkeypatch, answers)
    try:
        staff = adapter._push_staff("msgGCAAAXtWyujaWJHDDGi0mACas1w", {})
        created = adapter._moment_created("jobid1")
    finally:
        adapter.close()
    assert staff["zhangsan"] == {"confirmed": True, "sent": 1, "not_sent": 0, "not_friend": 0, "already_received": 0}
    assert staff["lisi"]["confirmed"] is False
    assert created is not None and created.remote_id == "xxxx"
    assert (created.detail["invalid_senders"], created.detail["invalid_tags"]) == (1, 1)


class _Text:
    """A variant with text only (no media, no link): what add_msg_template needs to be asked."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"texts": {"text": "你好"}, "media": [], "video": None, "link": ""}

    def text(self, name: str) -> str:
        return str(self.document["texts"].get(name, ""))

    def media(self) -> list[dict[str, Any]]:
        return []


def test_wecom_s_error_codes_are_classified(example: Path, monkeypatch) -> None:
    from mediactl.publish.adapters.base import Transient
    from mediactl.publish.adapters.codes import Refused
    from mediactl.publish.adapters.http import TokenExpired

    adapter = adapter_answering(example, monkeypatch, {})
    try:
        for code, kind in ((42001, TokenExpired), (40014, TokenExpired), (45009, Transient), (-1, Transient),
                           (40007, Refused), (40001, Refused), (40035, Refused)):  # fmt: skip
            with pytest.raises(kind) as raised:
                adapter._json(httpx.Response(200, json={"errcode": code, "errmsg": "x"}), step="x", mutating=False)
            assert type(raised.value) is kind, code  # 40001 is a wrong secret in WeCom: no token refresh helps
    finally:
        adapter.close()
