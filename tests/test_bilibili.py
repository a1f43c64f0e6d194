"""The Bilibili adapter against the sandbox over real HTTP: signed calls, upload whole or in parts, cover, submit,
review; its error classes; the grant (`mediactl auth` against the sandbox) renewed with its refresh token once, and
what a person must do when it cannot be; a crash between submit and the review's verdict; its signature against
the docs."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediactl.publish.adapters import bilibili
from mediactl.publish.adapters.upload import PartPlan
from mediactl.sandbox.platforms.bilibili import APP_SECRET
from oauthflow import adapter_with_store, authorise, close_all, static_token

SLUG = "spring-festival-greeting"
SUBMIT = "/bilibili/arcopen/fn/archive/add-by-utoken"


pytestmark = pytest.mark.sandbox(seed=3, publish_polls=1)


@pytest.fixture
def ready(cli, example: Path, monkeypatch, sandbox) -> Path:
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("BANK_BILIBILI_CLIENT_ID", "34c0f583f0414123")
    monkeypatch.setenv("BANK_BILIBILI_APP_SECRET", APP_SECRET)
    authorise(cli, example, "bank-bilibili", "bank-account", monkeypatch)
    monkeypatch.setenv("MEDIACTL_USER", "li.na")
    assert cli(example, "check", SLUG).exit_code == 0
    assert cli(example, "review", SLUG).exit_code == 0
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    assert cli(example, "approve", SLUG).exit_code == 0
    return example


def publish(cli, root: Path) -> dict[str, Any]:
    """Now, overriding the item's schedule for this channel (which is in the future)."""
    result = cli(root, "publish", SLUG, "--channel", "bank-bilibili", "--at", "2020-01-01T00:00", "--json")
    (outcome,) = json.loads(result.stdout)
    return outcome


def calls(sandbox, path: str) -> list[dict[str, Any]]:
    return [c for c in sandbox.calls() if c["path"] == f"/bilibili{path}"]


def submits(sandbox) -> list[dict[str, Any]]:
    return [p for p in sandbox.posts() if p["path"] == SUBMIT]


def manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / "build/bank-bilibili" / SLUG / "manifest.json").read_text("utf-8"))


def job_of(root: Path) -> Any:
    from mediactl.publish.store import Store

    store = Store(root / ".mediactl/queue.sqlite3")
    try:
        (job,) = store.jobs(channel="bank-bilibili")
        return job
    finally:
        store.close()


# --- the signature, against the documentation ----------------------------------------------------------


def test_the_string_signed_is_the_documented_one_and_the_hmac_is_openssls() -> None:
    """接口签名实现标准 (bilibili-openplatform/SignatureAlgorithm_DotnetDemo README): its example headers give exactly
    its example string to sign; the signature is HMAC-SHA256 of it with the app secret, as openssl computes it."""
    documented = (
        "x-bili-accesskeyid:xxxx\n"
        "x-bili-content-md5:fa6837e35b2f591865b288dfd859ce9d\n"
        "x-bili-signature-method:HMAC-SHA256\n"
        "x-bili-signature-nonce:ad184c09-095f-91c3-0849-230dd3744045\n"
        "x-bili-signature-version:1.0\n"
        "x-bili-timestamp:1624594467"
    )
    headers = {  # in another order, with headers that are not signed
        "x-bili-timestamp": "1624594467", "Accept": "application/json", "x-bili-signature-version": "1.0",
        "x-bili-signature-nonce": "ad184c09-095f-91c3-0849-230dd3744045", "x-bili-accesskeyid": "xxxx",
        "x-bili-content-md5": "fa6837e35b2f591865b288dfd859ce9d", "x-bili-signature-method": "HMAC-SHA256",
    }  # fmt: skip
    assert bilibili.canonical(headers) == documented
    secret = "abc7736bb78947d5a4a90690c861c456"  # the demo's own (fictitious) AccessKeySecret
    openssl = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", secret], input=documented.encode(),
                             capture_output=True, check=True).stdout.decode().split("= ")[-1].strip()  # fmt: skip
    signed = bilibili.signed_headers("34c0f583f0414123", secret, "token", b"", timestamp=1624594467, nonce="n-1")
    assert signed["x-bili-content-md5"] == "d41d8cd98f00b204e9800998ecf8427e"  # md5 of "": a GET, an empty body
    assert signed["x-bili-signature-version"] == "2.0" and signed["access-token"] == "token"
    expected = hmac.new(secret.encode(), bilibili.canonical(signed).encode(), hashlib.sha256).hexdigest()
    assert signed["Authorization"] == expected
    assert hmac.new(secret.encode(), documented.encode(), hashlib.sha256).hexdigest() == openssl


# --- publishing through the sandbox --------------------------------------------------------------------------


def test_video_is_uploaded_whole_submitted_and_polled_to_open(cli, ready: Path, sandbox) -> None:
    outcome = publish(cli, ready)
    assert outcome["state"] == "sent", outcome
    (submit,) = submits(sandbox)
    resource_id = submit["summary"]["resource_id"]
    assert outcome["url"] == f"{sandbox.url}/bilibili/video/{resource_id}"  # on the sandbox's host, never bilibili.com
    assert submit["summary"]["title"] == manifest(ready)["texts"]["title"]
    assert submit["summary"]["tid"] == 207
    video = manifest(ready)["video"]
    (whole,) = calls(sandbox, "/video/v2/upload")
    assert whole["uploaded"] == {"sha256": video["sha256"], "bytes": video["bytes"]}  # the sealed bytes
    (cover,) = calls(sandbox, "/arcopen/fn/archive/cover/upload")
    assert cover["uploaded"]["sha256"] == manifest(ready)["media"][0]["sha256"]
    assert job_of(ready).remote_id == resource_id
    assert "sandbox-app-secret" not in json.dumps(outcome)


def test_a_large_video_goes_in_numbered_parts(cli, ready: Path, sandbox, monkeypatch) -> None:
    part = -(-manifest(ready)["video"]["bytes"] // 5)  # five parts, whatever size the transcoded video has
    monkeypatch.setattr(PartPlan, "from_facts", classmethod(lambda cls, facts: PartPlan(1000, part)))
    outcome = publish(cli, ready)
    assert outcome["state"] == "sent", outcome
    video = manifest(ready)["video"]
    parts = calls(sandbox, "/video/v2/part/upload")
    assert len(parts) == -(-video["bytes"] // part) == 5
    assert calls(sandbox, "/video/v2/upload") == [] and len(calls(sandbox, "/arcopen/fn/archive/video/complete")) == 1
    (submit,) = [c for c in sandbox.calls() if c["path"] == SUBMIT]
    assert submit["uploaded"] == {"sha256": video["sha256"], "bytes": video["bytes"]}  # the parts, joined


REFRESH = "/x/account-oauth2/v1/refresh_token"


def test_a_refused_token_is_renewed_once_with_the_refresh_token(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("expired-token")
    outcome = publish(cli, ready)
    assert outcome["state"] == "sent", outcome
    assert [c["errcode"] for c in calls(sandbox, "/arcopen/fn/archive/video/init")] == [127001, 0]
    assert [c["errcode"] for c in calls(sandbox, REFRESH)] == [0]  # a real refresh, once
    adapter = adapter_with_store(ready, "bank-bilibili", bilibili.BilibiliAdapter)
    try:  # the refresh token is single use: the one the refresh answered with was kept
        assert adapter.grant().refresh_token in sandbox.platform("bilibili")._refresh  # type: ignore[attr-defined]
    finally:
        close_all(adapter)


def test_a_renewed_token_refused_too_says_to_authorise_again(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("expired-token")
    sandbox.add_fault("expired-token")
    outcome = publish(cli, ready)
    assert outcome["state"] == "failed"
    assert "127001" in outcome["detail"]
    assert (
        "refused the renewed access token of channel bank-bilibili too: run `mediactl auth bank-bilibili` again"
        in outcome["detail"]
    )
    assert len(calls(sandbox, "/arcopen/fn/archive/video/init")) == 2  # once, then once more with a renewed token
    assert len(calls(sandbox, REFRESH)) == 1 and submits(sandbox) == []


def test_an_ended_refresh_token_says_to_authorise_again(cli, ready: Path, sandbox) -> None:
    sandbox.platform("bilibili")._refresh.clear()  # type: ignore[attr-defined]  # Bilibili no longer takes it
    sandbox.add_fault("expired-token")
    outcome = publish(cli, ready)
    assert outcome["state"] == "failed"
    assert "127001" in outcome["detail"] and "122007" in outcome["detail"]
    assert "refused to renew the grant of channel bank-bilibili" in outcome["detail"]
    assert "run `mediactl auth bank-bilibili` again" in outcome["detail"]
    assert len(calls(sandbox, "/arcopen/fn/archive/video/init")) == 1 and submits(sandbox) == []


def test_content_refused_fails_with_bilibilis_words(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("reject")
    outcome = publish(cli, ready)
    assert outcome["state"] == "failed" and "123024" in outcome["detail"] and "敏感信息" in outcome["detail"]


def test_rate_limited_is_retried_later(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("429")
    outcome = publish(cli, ready)
    assert outcome["state"] == "queued" and "rate limited" in outcome["detail"]
    assert submits(sandbox) == []


def test_review_that_sends_it_back_fails_with_the_reason(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("publish-fail")
    outcome = publish(cli, ready)
    assert outcome["state"] == "failed"
    assert "被打回 (state -2)" in outcome["detail"] and "社区规范" in outcome["detail"]
    assert job_of(ready).remote_id == submits(sandbox)[0]["summary"]["resource_id"]


def test_a_dropped_submit_is_unknown_and_never_sent_again(cli, ready: Path, sandbox) -> None:
    sandbox.add_fault("drop")  # add-by-utoken takes effect, its answer never arrives
    outcome = publish(cli, ready)
    assert outcome["state"] == "unknown", outcome
    assert len(submits(sandbox)) == 1
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout) == []  # no id to ask by: left for a person
    assert len(submits(sandbox)) == 1


def test_review_that_outlasts_the_polls_is_settled_by_a_later_run(cli, ready: Path, sandbox, monkeypatch) -> None:
    """The resource_id is recorded before polling; unknown jobs with one are asked about on each run, never resent."""
    from mediactl.publish.adapters.poll import PollPlan

    monkeypatch.setattr(PollPlan, "from_facts", classmethod(lambda cls, facts: PollPlan(2, 0.01, 0.01)))
    sandbox.options.publish_polls = 3  # the review takes longer than our two polls
    outcome = publish(cli, ready)
    assert outcome["state"] == "unknown" and "has no verdict yet after polling" in outcome["detail"]
    resource_id = submits(sandbox)[0]["summary"]["resource_id"]
    assert job_of(ready).remote_id == resource_id
    assert json.loads(cli(ready, "publish", "--due", "--json").stdout) == []  # still in review: stays unknown
    (settled,) = json.loads(cli(ready, "publish", "--due", "--json").stdout)
    assert settled["state"] == "sent" and settled["url"].endswith(f"/bilibili/video/{resource_id}")
    assert len(submits(sandbox)) == 1


def test_a_run_killed_between_submit_and_verdict_is_reconciled_by_the_recorded_id(cli, ready: Path, sandbox) -> None:
    from mediactl.publish.store import Store

    assert publish(cli, ready)["state"] == "sent"
    store = Store(ready / ".mediactl/queue.sqlite3")
    store.db.execute(  # kill -9 after the remote id was recorded, before the outcome: `sending`, its owner dead
        "UPDATE jobs SET state = 'sending', remote_url = NULL, claimed_by = 'elsewhere:1:1', claimed_at = 0 WHERE id = ?",
        (job_of(ready).id,),
    )
    store.close()
    (reconciled,) = json.loads(cli(ready, "publish", "--due", "--json").stdout)
    assert reconciled["state"] == "sent" and "/bilibili/video/BV" in reconciled["url"]
    assert len(submits(sandbox)) == 1


def test_a_channel_without_a_category_is_refused_before_sending(cli, ready: Path, sandbox) -> None:
    config = ready / "mediactl.yaml"
    config.write_text(config.read_text("utf-8").replace("    tid: 207", "    # no tid"), "utf-8")
    outcome = publish(cli, ready)
    assert outcome["state"] == "failed" and "channels.bank-bilibili.tid" in outcome["detail"]
    assert calls(sandbox, "/arcopen/fn/archive/video/init") == []


def test_withdraw_deletes_the_submission(cli, ready: Path, sandbox) -> None:
    assert publish(cli, ready)["state"] == "sent"
    resource_id = job_of(ready).remote_id
    adapter = adapter_with_store(ready, "bank-bilibili", bilibili.BilibiliAdapter)
    try:
        adapter.withdraw(resource_id)
        with pytest.raises(bilibili.Rejected, match="123005"):
            adapter.withdraw(resource_id)  # already deleted: Bilibili says so
    finally:
        close_all(adapter)


# --- the sandbox's own checks, from the docs --------------------------------------------------------------


def raw(sandbox, path: str, *, secret: str = APP_SECRET, body: bytes = b"", **changes: str) -> dict[str, Any]:
    headers = bilibili.signed_headers("cid", secret, sandbox.issue_token("bilibili", "acct"), body)
    headers.update(changes)
    headers["Content-Type"] = "application/json"
    return httpx.post(f"{sandbox.url}/bilibili{path}", content=body, headers=headers).json()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "another-secret"}, 4002),  # 签名异常
        ({"x-bili-timestamp": str(int(time.time()) - 3600)}, 4003),  # 请求过期 (signed, but an hour old)
        ({"x-bili-content-md5": hashlib.md5(b"other").hexdigest()}, 4008),  # MD5校验失败
        ({"x-bili-signature-version": "1.0"}, 4006),
        ({"Accept": "text/html"}, 4009),
    ],
)
def test_the_sandbox_checks_the_signature_as_documented(sandbox, change: dict[str, str], code: int) -> None:
    body = b'{"name": "a.mp4", "utype": "1"}'
    secret = change.pop("secret", APP_SECRET)
    assert raw(sandbox, "/arcopen/fn/archive/video/init", secret=secret, body=body, **change)["code"] == code


def test_the_sandbox_refuses_a_replayed_nonce_and_media_it_would_not_take(sandbox) -> None:
    body = b'{"name": "a.mp4", "utype": "1"}'
    token = sandbox.issue_token("bilibili", "acct")
    headers = {**bilibili.signed_headers("cid", APP_SECRET, token, body), "Content-Type": "application/json"}
    first = httpx.post(f"{sandbox.url}/bilibili/arcopen/fn/archive/video/init", content=body, headers=headers).json()
    again = httpx.post(f"{sandbox.url}/bilibili/arcopen/fn/archive/video/init", content=body, headers=headers).json()
    assert first["code"] == 0 and again["code"] == 4004  # 重复请求
    upload = httpx.post(f"{sandbox.url}/bilibili/video/v2/upload", params={"upload_token": first["data"]["upload_token"]},
                        content=b"not a video at all").json()  # fmt: skip
    assert upload["code"] == 123006
    gif = httpx.post(
        f"{sandbox.url}/bilibili/arcopen/fn/archive/cover/upload",
        files={"file": ("c.gif", b"GIF89a....", "image/gif")},
        headers=bilibili.signed_headers("cid", APP_SECRET, token, b""),
    ).json()
    assert gif["code"] == 123038  # 封面不允许使用gif


def test_the_sandbox_grants_through_consent_a_single_use_code_and_single_use_refresh_tokens(sandbox) -> None:
    """The flow of bilibili.yaml's `oauth:` facts: consent at account.bilibili.com's path redirects to gourl with a code
    and the state; token and refresh_token take their parameters in the query string, answer in `data` with expires_in
    a Unix time; a code and a refresh token each serve once (122002, 122007)."""
    with httpx.Client(base_url=sandbox.base("bilibili"), timeout=5, trust_env=False) as client:
        consent = client.get("/pc/account-pc/auth/oauth", params={"client_id": "cid", "gourl": "https://b.example/cb",
                                                                  "state": "s-1", "sandbox_open_id": "acct"})  # fmt: skip
        assert consent.status_code == 302 and consent.headers["Location"].startswith("https://b.example/cb?code=")
        query = {"client_id": "cid", "client_secret": APP_SECRET, "grant_type": "authorization_code",
                 "code": consent.json()["code"]}  # fmt: skip
        data = client.post("/x/account-oauth2/v1/token", params=query).json()["data"]
        assert data["expires_in"] > time.time() and data["scopes"] == ["ARC_BASE"]
        assert client.post("/x/account-oauth2/v1/token", params=query).json()["code"] == 122002  # used
        refresh = {"client_id": "cid", "client_secret": APP_SECRET, "grant_type": "refresh_token",
                   "refresh_token": data["refresh_token"]}  # fmt: skip
        renewed = client.post(REFRESH, params=refresh).json()
        assert renewed["code"] == 0 and renewed["data"]["refresh_token"] != data["refresh_token"]
        assert client.post(REFRESH, params=refresh).json()["code"] == 122007  # single use
    body = b'{"name": "a.mp4", "utype": "1"}'
    headers = {**bilibili.signed_headers("cid", APP_SECRET, renewed["data"]["access_token"], body),
               "Content-Type": "application/json"}  # fmt: skip
    init = httpx.post(f"{sandbox.url}/bilibili/arcopen/fn/archive/video/init", content=body, headers=headers).json()
    assert init["code"] == 0  # the renewed token is one the platform's routes take


# --- response shapes: documented answers through the adapter's parser --------------------------------------


def replaying(root: Path, answers: dict[str, dict[str, Any]]) -> Any:
    """The adapter with a client that answers each path with the given JSON (no sandbox, no network)."""
    from mediactl.config.model import load_config

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[request.url.path])

    config = load_config(root / "mediactl.yaml")
    client = httpx.Client(transport=httpx.MockTransport(respond))
    return bilibili.BilibiliAdapter(config.channel("bank-bilibili"), config, client=client)


def test_documented_answers_are_read_as_bilibili_means_them(example: Path, monkeypatch) -> None:
    """Envelope {code, message, ttl, data} and fields as the official demos read them (bilibili-openplatform/demo
    golang/{upvideo,upcover,submit}.go, VTB-LINK openhome ArchiveViewResp); the archive/view example is the
    open-platform contract fixture response-archive-view-valid.json of masterAventador/automation-tool."""
    static_token(example, "bank-bilibili", "BANK_BILIBILI_ACCESS_TOKEN")  # no grant, no store: a token of its own
    for name in ("CLIENT_ID", "APP_SECRET", "ACCESS_TOKEN"):
        monkeypatch.setenv(f"BANK_BILIBILI_{name}", f"value-{name.lower()}")
    view = {"code": 0, "message": "0", "ttl": 1, "request_id": "r", "data": {
        "resource_id": "BV1MW421X7gM", "title": "契约样例稿件", "tid": 229, "tag": "生活记录",
        "addit_info": {"reject_reason": "", "state": 0, "state_desc": "开放浏览"},
        "video_info": {"cid": 26300318231, "duration": 5,
                       "share_url": "https://www.bilibili.com/video/BV1MW421X7gM?share_source=open_plat"}}}  # fmt: skip
    adapter = replaying(example, {
        "/arcopen/fn/archive/view": view,
        "/arcopen/fn/archive/video/init": {"code": 0, "message": "0", "data": {"upload_token": "7213c24789bf42b3a3482b7c7d9a597f"}},
        "/arcopen/fn/archive/add-by-utoken": {"code": 0, "message": "0", "ttl": 1, "data": {"resource_id": "BV17B4y1s7R1"}},
        "/arcopen/fn/archive/cover/upload": {"code": 123038, "message": "封面不允许使用gif"},
    })  # fmt: skip
    receipt = adapter.status("BV1MW421X7gM")
    assert receipt.state == "sent" and receipt.url.endswith("share_source=open_plat")
    init = adapter.call("POST", "/arcopen/fn/archive/video/init", step="video/init", body={"name": "a.mp4"})
    assert init["upload_token"] == "7213c24789bf42b3a3482b7c7d9a597f"
    submit = adapter.call("POST", "/arcopen/fn/archive/add-by-utoken", step="submit", body={})
    assert submit["resource_id"] == "BV17B4y1s7R1"
    with pytest.raises(bilibili.Rejected, match="123038: 封面不允许使用gif"):
        adapter.call("POST", "/arcopen/fn/archive/cover/upload", step="cover/upload", body={})
    busy = replaying(
        example, {"/arcopen/fn/archive/view": {"code": 127306, "message": "接口请求频率过高，请确保请求量正常"}}
    )
    with pytest.raises(bilibili.Transient, match="127306") as limited:
        busy.status("BV1MW421X7gM")
    assert limited.value.retry_after == 60.0
    rejected = {
        **view,
        "data": {**view["data"], "addit_info": {"state": -2, "state_desc": "已退回", "reject_reason": "标题党"}},
    }
    with pytest.raises(bilibili.NotPublished, match=re.escape("被打回 (state -2): 标题党")):
        replaying(example, {"/arcopen/fn/archive/view": rejected}).status("BV1MW421X7gM")
    pending = {**view, "data": {**view["data"], "addit_info": {"state": -1, "state_desc": "待审"}, "video_info": {}}}
    assert replaying(example, {"/arcopen/fn/archive/view": pending}).status("BV1MW421X7gM") is None
