"""The WeChat Official Account adapter against the sandbox over real HTTP: token, uploads, draft, publish, poll."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SLUG = "anti-fraud-2026"


pytestmark = pytest.mark.sandbox(seed=2, publish_polls=1)


@pytest.fixture
def ready(wechat_ready, sandbox) -> Path:
    return wechat_ready(sandbox.url)


def publish(cli, root: Path) -> list[dict]:
    """Now, overriding the item's schedule for this channel (which is in the future)."""
    result = cli(root, "publish", SLUG, "--channel", "bank-wechat", "--at", "2020-01-01T00:00", "--json")
    return json.loads(result.stdout)


def test_article_is_drafted_published_and_polled(cli, ready: Path, sandbox) -> None:
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "sent", outcome
    assert outcome["url"].startswith(f"{sandbox.url}/wechat_oa/s/")
    paths = [post["path"] for post in sandbox.posts()]
    assert paths == ["/wechat_oa/cgi-bin/draft/add", "/wechat_oa/cgi-bin/freepublish/submit"]
    draft = sandbox.posts()[0]
    assert draft["summary"]["title"] == "守好钱袋子，谨防电信网络诈骗"
    assert draft["idempotency_key"] == sandbox.posts()[1]["idempotency_key"]
    assert "wechat-app-secret-value" not in json.dumps(outcome)


def test_expired_token_is_refreshed_once(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("expired-token")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "sent", outcome


def test_content_refused_fails_with_the_reason(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("reject")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "failed"
    assert "87014" in outcome["detail"]


def test_dropped_submit_is_unknown_not_resent(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("drop")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "unknown"
    submits = [p for p in sandbox.posts() if p["path"] == "/wechat_oa/cgi-bin/freepublish/submit"]
    assert len(submits) == 1
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout) == []


def test_missing_credential_names_the_variable(cli, ready: Path, monkeypatch) -> None:
    monkeypatch.delenv("BANK_WECHAT_SECRET")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "failed"
    assert "BANK_WECHAT_SECRET" in outcome["detail"]


def submits(sandbox) -> list[dict]:
    return [p for p in sandbox.posts() if p["path"] == "/wechat_oa/cgi-bin/freepublish/submit"]


def job_of(root: Path) -> Any:
    from mediactl.publish.store import Store

    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        (job,) = store.jobs(channel="bank-wechat")
        return job
    finally:
        store.close()


def test_review_rejection_after_submit_fails_with_the_status(cli, ready: Path, sandbox) -> None:
    """Accepted by freepublish/submit, then refused by WeChat's review: publish_status 4."""
    sandbox.add_fault("publish-fail")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "failed"
    assert "rejected by the platform's review (publish_status 4)" in outcome["detail"]
    assert job_of(ready).remote_id == submits(sandbox)[0]["summary"]["publish_id"]


def test_publishing_that_outlasts_the_polls_is_settled_by_a_later_run(cli, ready: Path, sandbox, monkeypatch) -> None:
    """The publish_id is recorded before polling; unknown jobs with one are asked about on each run, never resent."""
    from mediactl.publish.adapters import wechat_oa

    monkeypatch.setattr(wechat_oa, "POLLS", 2)
    monkeypatch.setattr(wechat_oa, "POLL_SECONDS", 0.01)
    sandbox.options.publish_polls = 3  # WeChat is slower than our two polls
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "unknown" and "the next run asks WeChat again" in outcome["detail"]
    publish_id = submits(sandbox)[0]["summary"]["publish_id"]
    assert job_of(ready).remote_id == publish_id
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout) == []  # still publishing: stays unknown
    (settled,) = json.loads(cli(ready, "publish", "--due", "--json").stdout)
    assert settled["state"] == "sent" and settled["url"].startswith(f"{sandbox.url}/wechat_oa/s/")
    assert len(submits(sandbox)) == 1
    assert job_of(ready).state == "sent"


def test_a_run_killed_while_polling_is_reconciled_through_the_recorded_publish_id(cli, ready: Path, sandbox) -> None:
    """Simulates kill -9 between submit and the final status: the job is `sending`, its owner dead."""
    from mediactl.publish.store import Store

    sandbox.options.publish_polls = 0
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "sent"
    store = Store(ready / ".mediactl/queue.sqlite3")
    job = job_of(ready)
    store.db.execute(
        "UPDATE jobs SET state = 'sending', remote_url = NULL, claimed_by = 'elsewhere:1:1', claimed_at = 0 WHERE id = ?",
        (job.id,),
    )
    store.close()
    (reconciled,) = json.loads(cli(ready, "publish", "--due", "--json").stdout)
    assert reconciled["state"] == "sent" and reconciled["url"].startswith(f"{sandbox.url}/wechat_oa/s/")
    assert len(submits(sandbox)) == 1


def test_an_unknown_job_that_cannot_be_asked_about_stays_unknown(cli, ready: Path, sandbox, monkeypatch) -> None:
    """Asking WeChat fails (credential gone, channel removed): never 'failed', never blocking other deliveries."""
    from mediactl.publish.adapters import wechat_oa
    from mediactl.publish.store import Store

    monkeypatch.setattr(wechat_oa, "POLLS", 1)
    sandbox.options.publish_polls = 5
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "unknown"
    monkeypatch.delenv("BANK_WECHAT_SECRET")  # the token must be fetched again: the variable is missing
    store = Store(ready / ".mediactl/queue.sqlite3")
    store.db.execute("DELETE FROM tokens")
    store.enqueue("gone-channel", "old-item", "0" * 64, 0.0)
    store.db.execute("UPDATE jobs SET state = 'unknown' WHERE channel = 'gone-channel'")
    store.close()
    result = cli(ready, "publish", "--due", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert job_of(ready).state == "unknown"


def delivery_records(root: Path) -> list[dict[str, Any]]:
    lines = (root / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["action"].startswith("delivery.")]


def test_a_sandbox_delivery_is_marked_in_the_audit_log_and_has_the_sandbox_url(cli, ready: Path, sandbox) -> None:
    """Issue 13: a post the sandbox accepted can never be taken for a real one: its URL and its record say so."""
    (outcome,) = publish(cli, ready)
    (record,) = delivery_records(ready)
    assert record["action"] == "delivery.sent" and record["sandbox"] is True
    assert record["url"] == outcome["url"] and record["url"].startswith(f"{sandbox.url}/wechat_oa/s/")
    assert "weixin.qq.com" not in json.dumps(record)


def test_a_base_url_pointed_at_the_sandbox_by_hand_is_marked_too(cli, ready: Path, sandbox, monkeypatch) -> None:
    """Without MEDIACTL_SANDBOX_URL, the sandbox's answer header still marks the delivery."""
    monkeypatch.delenv("MEDIACTL_SANDBOX_URL")
    config = ready / "mediactl.yaml"
    text = config.read_text("utf-8").replace(
        "    platform: wechat_oa\n", f"    platform: wechat_oa\n    base_url: {sandbox.base('wechat_oa')}\n", 1
    )
    config.write_text(text, "utf-8")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "sent", outcome
    (record,) = delivery_records(ready)
    assert record["sandbox"] is True


def test_recall_deletes_the_published_article(cli, ready: Path, sandbox) -> None:
    """freepublish/get gives the article_id, freepublish/delete removes it; WeChat then answers publish_status 5."""
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "sent", outcome
    recalled = cli(ready, "recall", SLUG, "--channel", "bank-wechat", "--reason", "配图有误", "--json")
    assert recalled.exit_code == 0, recalled.output
    assert [r["taken"] for r in json.loads(recalled.stdout)] == ["withdrawn"]
    calls = [call["path"] for call in sandbox.calls()]
    assert calls[-2:] == ["/wechat_oa/cgi-bin/freepublish/get", "/wechat_oa/cgi-bin/freepublish/delete"]
    again = cli(ready, "recall", SLUG, "--channel", "bank-wechat", "--reason", "配图有误", "--json")
    assert [r["taken"] for r in json.loads(again.stdout)] == ["nothing"]  # recalled: nothing of it is out there


def test_the_sandbox_refuses_to_delete_an_article_it_never_published(sandbox) -> None:
    import httpx

    token = httpx.get(f"{sandbox.url}/wechat_oa/cgi-bin/token", params={"grant_type": "client_credential",
                      "appid": "wx0123456789abcdef", "secret": "wechat-app-secret-value"}).json()["access_token"]  # fmt: skip
    answer = httpx.post(f"{sandbox.url}/wechat_oa/cgi-bin/freepublish/delete", params={"access_token": token},
                        json={"article_id": "no-such-article"}).json()  # fmt: skip
    assert answer["errcode"] == 40007
