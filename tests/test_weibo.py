"""The Weibo adapter against the sandbox over real HTTP: share.json with and without a picture, every error class,
the token from the channel's grant (`mediactl auth` against the sandbox) or a static credential, what an expired token
means without a refresh token, transient answers, a crash between the share call and its answer, recall."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediactl.publish.adapters.base import Rejected, Transient, Unknown, Variant
from mediactl.publish.adapters.oauth import AuthorizationExpired
from mediactl.publish.adapters.weibo import WeiboAdapter
from mediactl.publish.store import Store
from mediactl.sandbox import Sandbox
from oauthflow import adapter_with_store, authorise, close_all, static_token

SLUG = "anti-fraud-2026"  # an article: its Weibo variant carries a 1080×1080 JPEG picture
UID = "5647382910"


pytestmark = pytest.mark.sandbox(seed=3)


@pytest.fixture
def app(example: Path, monkeypatch, sandbox) -> Path:
    """The example project pointed at the sandbox, with the Weibo app's key and secret; not authorised yet."""
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("BANK_WEIBO_APP_KEY", "3141592653")
    monkeypatch.setenv("BANK_WEIBO_APP_SECRET", "weibo-app-secret-0123456789abcdef")
    return example


@pytest.fixture
def ready(cli, app: Path, monkeypatch) -> Path:
    """Authorised as UID (`mediactl auth` against the sandbox), the item checked and approved."""
    authorise(cli, app, "bank-weibo", UID, monkeypatch)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(app, "check", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(app, "approve", SLUG).exit_code == 0
    return app


def publish(cli, root: Path, slug: str = SLUG) -> list[dict[str, Any]]:
    result = cli(root, "publish", slug, "--channel", "bank-weibo", "--at", "2020-01-01T00:00", "--json")
    return json.loads(result.stdout)


def shares(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [p for p in sandbox.posts() if p["path"] == "/weibo/2/statuses/share.json"]


def audit_records(root: Path, action: str) -> list[dict[str, Any]]:
    lines = (root / ".mediactl/audit.jsonl").read_text("utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["action"] == action]


def weibo_job(root: Path) -> Any:
    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        (job,) = store.jobs(channel="bank-weibo")
        return job
    finally:
        store.close()


# ---- through the CLI: the real pipeline ------------------------------------------------------------


def test_a_status_with_its_picture_is_sent_audited_and_on_the_sandbox_host(cli, ready: Path, sandbox) -> None:
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "sent", outcome
    (share,) = shares(sandbox)
    idstr = share["summary"]["idstr"]
    assert outcome["url"] == f"{sandbox.url}/weibo/{UID}/{idstr}"  # never weibo.com for a sandbox post
    assert share["summary"]["body"] == "multipart/form-data" and share["summary"]["pic"] is True
    manifest = json.loads((ready / "build/bank-weibo" / SLUG / "manifest.json").read_text("utf-8"))
    (call,) = [c for c in sandbox.calls() if c["path"] == "/weibo/2/statuses/share.json"]
    assert call["uploaded"]["sha256"] == manifest["media"][0]["sha256"]  # the approved picture's bytes
    assert share["summary"]["status"] == manifest["texts"]["status"]
    page = httpx.get(outcome["url"]).json()
    assert page["sandbox"] is True and page["idstr"] == idstr and page["deleted"] is False
    (record,) = audit_records(ready, "delivery.sent")
    assert record["sandbox"] is True and record["remote_id"] == idstr and record["url"] == outcome["url"]
    assert weibo_job(ready).remote_id == idstr


def test_a_crash_between_share_and_its_answer_is_unknown_and_never_sent_twice(cli, ready: Path, sandbox) -> None:
    """The answer never arrives (the post exists): unknown; Weibo cannot be asked by our key, so it stays so."""
    sandbox.add_fault("drop")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "unknown" and "statuses/share" in outcome["detail"]
    (share,) = shares(sandbox)
    assert share["applied"] is True and share["status"] == "dropped"
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout) == []
    assert len(shares(sandbox)) == 1 and weibo_job(ready).state == "unknown"


def test_a_run_killed_between_the_share_and_its_answer_is_reconciled_as_unknown(cli, ready: Path, sandbox) -> None:
    """kill -9 while Weibo holds its answer: the post exists, the job is `sending` with its owner dead. The next run
    cannot ask Weibo (no find), so the job becomes unknown for a person; it is never sent again."""
    sandbox.add_fault("timeout")  # share.json takes effect, then holds its answer for 30 s
    args = [sys.executable, "-m", "mediactl", "-C", str(ready), "publish", SLUG, "--channel", "bank-weibo",
            "--at", "2020-01-01T00:00", "--json"]  # fmt: skip
    run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not shares(sandbox) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.kill()
    run.communicate(timeout=30)
    (share,) = shares(sandbox)
    assert share["applied"] is True and weibo_job(ready).state == "sending"
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout)[0]["state"] == "unknown"
    assert weibo_job(ready).state == "unknown" and len(shares(sandbox)) == 1
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout) == []  # not asked again, not resent
    assert len(shares(sandbox)) == 1
    assert not WeiboAdapter.can_be_asked()  # the runner knows Weibo cannot be asked


def test_a_rate_limited_share_is_queued_for_later(cli, ready: Path, sandbox) -> None:
    sandbox.platform("weibo").posts_per_hour = 0  # type: ignore[attr-defined]
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "queued" and "10024" in outcome["detail"] and "retry in 600 s" in outcome["detail"]
    assert weibo_job(ready).state == "pending" and shares(sandbox)[0]["applied"] is False


def test_a_token_weibo_calls_expired_fails_saying_to_authorise_again(cli, ready, sandbox) -> None:
    """Weibo gives no refresh token: the grant cannot be renewed, so the same token is not sent again."""
    weibo = adapter_with_store(ready, "bank-weibo", WeiboAdapter)
    try:
        token = weibo.grant().access_token
    finally:
        close_all(weibo)
    sandbox.add_fault("expired-token")
    (outcome,) = publish(cli, ready)
    assert outcome["state"] == "failed"
    assert "error_code 21327: expired_token" in outcome["detail"]
    assert "新浪微博 gives no refresh token: run `mediactl auth bank-weibo` again" in outcome["detail"]
    assert [s["errcode"] for s in shares(sandbox)] == [21327]  # once: a renewal is impossible, a resend pointless
    assert token not in outcome["detail"]


def test_a_static_token_serves_until_there_is_a_grant_and_is_never_renewed(
    cli, app: Path, sandbox, monkeypatch
) -> None:
    """A token Weibo issued the app outside mediactl (`access_token` credential) is used while the channel has no
    grant; an expired answer fails saying to renew it or run `mediactl auth`; once authorised, the grant is used."""
    static_token(app, "bank-weibo", "BANK_WEIBO_TOKEN")
    monkeypatch.setenv("BANK_WEIBO_TOKEN", sandbox.issue_token("weibo", "1111111111"))
    weibo = adapter_with_store(app, "bank-weibo", WeiboAdapter)
    try:
        first = weibo.publish(variant(weibo), "key-1")
        assert first.url.endswith(f"/1111111111/{first.remote_id}")  # the static token's account
        sandbox.add_fault("expired-token")
        with pytest.raises(AuthorizationExpired) as refused:
            weibo.publish(variant(weibo, "再说一次 " + STATUS), "key-2")
        words = refused.value.message
        assert "error_code 21327" in words and "refused channels.bank-weibo.credentials.access_token" in words
        assert "renew that token, or run `mediactl auth bank-weibo`" in words
        assert [s["errcode"] for s in shares(sandbox)] == [0, 21327]  # not sent again with the same token
        authorise(cli, app, "bank-weibo", UID, monkeypatch)
        second = weibo.publish(variant(weibo, "第三次 " + STATUS), "key-3")
        assert second.url.endswith(f"/{UID}/{second.remote_id}")  # the grant wins over the credential
    finally:
        close_all(weibo)


def test_recall_deletes_the_post_through_statuses_destroy(cli, ready: Path, sandbox) -> None:
    (outcome,) = publish(cli, ready)
    result = cli(ready, "recall", SLUG, "--channel", "bank-weibo", "--reason", "收益率调整", "--json")
    assert result.exit_code == 0, result.output
    (done,) = json.loads(result.stdout)
    assert done["taken"] == "withdrawn" and weibo_job(ready).state == "recalled"
    (destroy,) = [p for p in sandbox.posts() if p["path"] == "/weibo/2/statuses/destroy.json"]
    assert destroy["applied"] is True and destroy["summary"]["id"] == weibo_job(ready).remote_id
    assert httpx.get(outcome["url"]).json()["deleted"] is True
    assert cli(ready, "log", "verify").exit_code == 0


# ---- the adapter itself, against the sandbox ------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + bytes(256)
STATUS = "【测试】陌生来电要转账？先挂断，再核实！ https://www.example-bank.cn/news/x/"


@pytest.fixture
def adapter(cli, app: Path, monkeypatch) -> Iterator[WeiboAdapter]:
    authorise(cli, app, "bank-weibo", UID, monkeypatch)
    weibo = adapter_with_store(app, "bank-weibo", WeiboAdapter)
    yield weibo
    close_all(weibo)


def variant(adapter: WeiboAdapter, status: str = STATUS, picture: bytes | None = JPEG, **entry: Any) -> Variant:
    blobs: dict[str, bytes] = {}
    media = []
    if picture is not None:
        sha = hashlib.sha256(picture).hexdigest()
        blobs[sha] = picture
        media.append({"name": "image", "file": "image.jpg", "format": "jpeg", "bytes": len(picture), "sha256": sha,
                      "width": 1080, "height": 1080, **entry})  # fmt: skip
    document = {"texts": {"status": status}, "files": {"status": "status.txt"}, "media": media, "body_images": []}
    return Variant(adapter.channel, "item", "0" * 64, document, lambda sha, what: blobs[sha])


def test_a_status_without_a_picture_goes_as_a_plain_form(adapter: WeiboAdapter, sandbox) -> None:
    receipt = adapter.publish(variant(adapter, picture=None), "key-1")
    assert receipt.state == "sent" and receipt.remote_id.isdigit()
    (share,) = shares(sandbox)
    assert share["summary"]["body"] == "application/x-www-form-urlencoded" and share["summary"]["pic"] is False
    assert share["idempotency_key"] == "key-1" and "uploaded" not in sandbox.calls()[0]


@pytest.mark.parametrize(
    ("setup", "error", "words"),
    [
        ("repeat", Rejected, "error_code 20019: Repeat content! (Weibo refuses a post that repeats"),
        ("reject", Rejected, "error_code 20021: Content is illegal!"),
        ("too-long", Rejected, "error_code 20012"),
        ("rate", Transient, "error_code 10024"),
        ("429", Transient, "rate limited (HTTP 429)"),
        ("500", Unknown, "HTTP 500"),
        ("drop", Unknown, "after the request was sent"),
    ],
)
def test_each_answer_class(adapter: WeiboAdapter, sandbox, setup: str, error: type, words: str) -> None:
    status = STATUS
    if setup == "repeat":
        adapter.publish(variant(adapter), "first")
    elif setup == "too-long":
        status = "长" * 120 + STATUS  # past validate (not called here): the sandbox's own check answers
    elif setup == "rate":
        sandbox.platform("weibo").posts_per_hour = 0  # type: ignore[attr-defined]
    else:
        sandbox.add_fault(setup)
    with pytest.raises(error) as caught:
        adapter.publish(variant(adapter, status), "key")
    assert type(caught.value) is not Rejected or error is Rejected
    assert words in caught.value.message
    if error is Transient and setup == "rate":
        assert caught.value.retry_after == 600.0


def test_withdraw_deletes_the_post_and_a_post_gone_already_counts_as_withdrawn(adapter: WeiboAdapter, sandbox) -> None:
    receipt = adapter.publish(variant(adapter), "key")
    adapter.withdraw(receipt.remote_id)
    assert httpx.get(receipt.url).json()["deleted"] is True
    adapter.withdraw(receipt.remote_id)  # 20101: it does not exist any more
    destroys = [p for p in sandbox.posts() if p["path"] == "/weibo/2/statuses/destroy.json"]
    assert [(p["errcode"], p["applied"]) for p in destroys] == [(0, True), (20101, False)]
    with pytest.raises(Rejected, match="not a Weibo post id"):
        adapter.withdraw("abc")


def test_withdraw_of_another_accounts_post_is_refused(cli, adapter: WeiboAdapter, app: Path, monkeypatch) -> None:
    authorise(cli, app, "bank-weibo", "1111111111", monkeypatch)
    other = adapter.publish(variant(adapter), "key")
    authorise(cli, app, "bank-weibo", UID, monkeypatch)  # authorised again, as another account: its grant replaces
    with pytest.raises(Rejected, match="20102"):
        adapter.withdraw(other.remote_id)


def test_validate_refuses_before_sending(adapter: WeiboAdapter, sandbox, monkeypatch) -> None:
    def problems(status: str = STATUS, **entry: Any) -> str:
        return " | ".join(adapter.validate(variant(adapter, status, **entry)))

    assert problems() == ""
    assert "counts 158 of Weibo's 140" in problems("长" * 120 + STATUS)  # 120 + 20 Chinese + ½ × 36 (space, URL)
    assert "no URL on the safe domain www.example-bank.cn" in problems("陌生来电要转账？先挂断，再核实！")
    assert "no URL on the safe domain" in problems("看 https://evil.example.com/www.example-bank.cn/")
    assert "#话题#" in problems("#反诈# " + STATUS)
    assert "Weibo takes JPEG, GIF or PNG" in problems(format="bmp")
    assert "under 5 MB" in problems(bytes=5 * 1024 * 1024)
    assert sandbox.posts() == []
    monkeypatch.delenv("MEDIACTL_SANDBOX_URL")  # against Weibo itself, rip must be configured
    assert "channels.bank-weibo.rip is not set" in problems()


def test_describe_shows_the_request_without_the_token(adapter: WeiboAdapter) -> None:
    (line,) = adapter.describe(variant(adapter), "key")
    text = line["request"]
    assert "/weibo/2/statuses/share.json (multipart/form-data" in text and "access_token=***" in text
    assert "rip 127.0.0.1" in text and adapter.token() not in text
