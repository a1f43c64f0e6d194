"""The platform sandbox: a real loopback HTTP server emulating the WeChat OA API and a webhook receiver."""

from __future__ import annotations

import functools
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mediactl.sandbox import FAULT_KINDS, Sandbox, SandboxOptions
from mediactl.sandbox.multipart import parse_multipart

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
JPG = b"\xff\xd8\xff\xe0" + bytes(64)
GIF = b"GIF89a" + bytes(64)
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
MiB = 1024 * 1024


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with open_client(sandbox) as c:
        yield c


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()  # unused (plain http); shared, as httpx builds one per client otherwise (30 ms)


def open_client(sb: Sandbox, timeout: float = 5) -> httpx.Client:
    return httpx.Client(base_url=sb.url, timeout=timeout, verify=_tls(), trust_env=False)


def get_token(client: httpx.Client, appid: str = "wx-test", secret: str = "s3cret") -> str:
    r = client.get(
        "/wechat_oa/cgi-bin/token", params={"grant_type": "client_credential", "appid": appid, "secret": secret}
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def own_host(client: httpx.Client) -> str:
    """The sandbox's own address (http://127.0.0.1:PORT): where every URL it issues points."""
    return str(client.base_url).rstrip("/")


def call(client: httpx.Client, path: str, token: str | None, **kwargs: Any) -> dict[str, Any]:
    """A WeChat API call; WeChat answers errors at HTTP 200 with an errcode."""
    params = {"access_token": token} if token else {}
    params.update(kwargs.pop("params", {}))
    r = client.post(f"/wechat_oa/cgi-bin/{path}", params=params, **kwargs)
    assert r.status_code == 200, r.text
    return r.json()


def upload(client: httpx.Client, token: str, data: bytes, name: str, mtype: str | None = None) -> dict[str, Any]:
    files = {"media": (name, data, "application/octet-stream")}
    if mtype is None:
        return call(client, "media/uploadimg", token, files=files)
    return call(client, "material/add_material", token, params={"type": mtype}, files=files)


def thumb(client: httpx.Client, token: str) -> str:
    return upload(client, token, PNG, "cover.png", "image")["media_id"]


def article(thumb_id: str, **fields: Any) -> dict[str, Any]:
    return {"title": "季度理财课堂", "content": "<p>正文</p>", "thumb_media_id": thumb_id, **fields}


def add_draft(client: httpx.Client, token: str, *articles: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = {"X-Mediactl-Idempotency-Key": key} if key else {}
    return call(client, "draft/add", token, json={"articles": list(articles)}, headers=headers)


# ---- tokens -------------------------------------------------------------------------------------


def test_token_endpoints_issue_tokens_and_check_credentials(client: httpx.Client) -> None:
    token = get_token(client)
    assert len(token) > 32
    stable = {"grant_type": "client_credential", "appid": "wx-test", "secret": "s3cret"}
    first = client.post("/wechat_oa/cgi-bin/stable_token", json=stable).json()
    assert first["expires_in"] == 7200 and first["access_token"] != token
    again = client.post("/wechat_oa/cgi-bin/stable_token", json=stable).json()
    assert again["access_token"] == first["access_token"]  # normal mode: the current stable token
    forced = client.post("/wechat_oa/cgi-bin/stable_token", json={**stable, "force_refresh": True}).json()
    assert forced["access_token"] != first["access_token"]

    def errcode(**params: str) -> int:
        base = {"grant_type": "client_credential", "appid": "wx-test", "secret": "s3cret"}
        return client.get("/wechat_oa/cgi-bin/token", params={**base, **params}).json()["errcode"]

    assert errcode(secret="wrong") == 40125
    assert errcode(secret="") == 41004
    assert errcode(appid="") == 41002
    assert errcode(grant_type="password") == 40002
    assert client.post("/wechat_oa/cgi-bin/stable_token", json={**stable, "secret": "wrong"}).json()["errcode"] == 40125
    assert client.post("/wechat_oa/cgi-bin/stable_token", content=b"{").json()["errcode"] == 47001


def test_api_calls_need_a_valid_token(client: httpx.Client) -> None:
    assert call(client, "freepublish/get", None, json={"publish_id": "1"})["errcode"] == 41001
    assert call(client, "freepublish/get", "not-a-token", json={"publish_id": "1"})["errcode"] == 40014
    assert call(client, "freepublish/get", get_token(client), json={"publish_id": "1"})["errcode"] == 40007


def test_tokens_expire_after_token_ttl() -> None:
    with Sandbox(SandboxOptions(token_ttl=1)) as sb, open_client(sb) as client:
        token = get_token(client)
        stable = {"grant_type": "client_credential", "appid": "wx-test", "secret": "s3cret"}
        stable_token = client.post("/wechat_oa/cgi-bin/stable_token", json=stable).json()
        assert stable_token["expires_in"] == 1
        assert upload(client, token, PNG, "a.png")["errcode"] == 0
        time.sleep(1.1)
        assert upload(client, token, PNG, "a.png")["errcode"] == 42001
        assert upload(client, stable_token["access_token"], PNG, "a.png")["errcode"] == 42001
        renewed = client.post("/wechat_oa/cgi-bin/stable_token", json=stable).json()["access_token"]
        assert renewed != stable_token["access_token"]
        assert upload(client, renewed, PNG, "a.png")["errcode"] == 0


# ---- uploads ------------------------------------------------------------------------------------


def test_uploadimg_accepts_small_jpg_and_png_only(client: httpx.Client) -> None:
    token = get_token(client)
    result = upload(client, token, PNG, "图.png")
    assert result["errcode"] == 0 and result["errmsg"] == "ok"
    # on the sandbox's own host, never on Tencent's (mmbiz.qpic.cn): nothing it issues looks like a real post
    assert re.fullmatch(re.escape(f"{own_host(client)}/wechat_oa/mmbiz/") + r"[0-9a-f]{40}\.png", result["url"])
    assert upload(client, token, JPG, "photo.JPEG")["url"].endswith(".jpg")
    assert upload(client, token, PNG + bytes(MiB - len(PNG)), "max.png")["errcode"] == 0  # exactly 1 MiB
    assert upload(client, token, PNG + bytes(MiB), "big.png")["errcode"] == 40009
    assert upload(client, token, GIF, "anim.gif")["errcode"] == 40005
    assert upload(client, token, GIF, "disguised.png")["errcode"] == 40005  # the bytes decide, not the name
    assert upload(client, token, PNG, "noextension")["errcode"] == 40005
    assert call(client, "media/uploadimg", token, files={"other": ("a.png", PNG)})["errcode"] == 41005
    assert call(client, "media/uploadimg", token, content=PNG)["errcode"] == 41005
    assert [c["path"] for c in client.get("/_sandbox/posts").json()] == []  # uploads are not posts


def test_add_material_types_and_limits(client: httpx.Client) -> None:
    token = get_token(client)
    image = upload(client, token, PNG, "cover.png", "image")
    assert image["media_id"] and image["url"].startswith(f"{own_host(client)}/wechat_oa/mmbiz/")
    assert "url" not in upload(client, token, MP4, "clip.mp4", "video")
    assert upload(client, token, JPG, "t.jpg", "thumb")["media_id"]
    assert upload(client, token, JPG + bytes(64 * 1024), "t.jpg", "thumb")["errcode"] == 40009
    assert upload(client, token, PNG, "t.png", "thumb")["errcode"] == 40005
    assert upload(client, token, GIF, "g.gif", "image")["media_id"]
    assert upload(client, token, PNG + bytes(10 * MiB), "huge.png", "image")["errcode"] == 40009
    assert upload(client, token, b"ID3" + bytes(3 * MiB), "v.mp3", "voice")["errcode"] == 40010
    assert upload(client, token, PNG, "x.png", "news")["errcode"] == 40004
    assert call(client, "material/add_material", token, files={"media": ("a.png", PNG)})["errcode"] == 40004


# ---- drafts -------------------------------------------------------------------------------------


def test_draft_add_success_strips_external_images_and_records_the_post(client: httpx.Client) -> None:
    token = get_token(client, appid="wx-bank")
    body_image = upload(client, token, PNG, "body.png")["url"]
    content = f'<p>你好</p><img src="{body_image}"><img src="https://example.com/x.png"><script>alert(1)</script>'
    result = add_draft(client, token, article(thumb(client, token), content=content), key="job-1:draft")
    assert set(result) == {"media_id"}
    [post] = client.get("/_sandbox/posts").json()
    assert post["path"] == "/wechat_oa/cgi-bin/draft/add" and post["channel"] == "wx-bank"
    assert post["idempotency_key"] == "job-1:draft" and post["status"] == 200 and post["errcode"] == 0
    assert post["applied"] is True and post["duplicate"] is False
    assert post["summary"]["title"] == "季度理财课堂" and post["summary"]["media_id"] == result["media_id"]
    assert post["warnings"] == [
        "article 1: script removed",
        "article 1: external image removed: 'https://example.com/x.png'",
    ]


@pytest.mark.parametrize(
    ("change", "errcode"),
    [
        ({"title": "题" * 32}, 0),
        ({"title": "题" * 33}, 45003),
        ({"title": ""}, 47001),
        ({"author": "作" * 17}, 45110),
        ({"digest": "摘" * 128}, 0),
        ({"digest": "摘" * 129}, 45004),
        ({"content": "文" * 19_999}, 0),
        ({"content": "文" * 20_000}, 45002),
        ({"content": None}, 47001),
        ({"content_source_url": "https://e.com/" + "a" * 1011}, 45005),
        ({"need_open_comment": 2}, 47001),
        ({"thumb_media_id": "no-such-media"}, 40007),
        ({"thumb_media_id": None}, 40007),
        ({"article_type": "video"}, 47001),
    ],
)
def test_draft_field_validation(client: httpx.Client, change: dict[str, Any], errcode: int) -> None:
    token = get_token(client)
    fields = {k: v for k, v in article(thumb(client, token), **change).items() if v is not None}
    assert add_draft(client, token, fields).get("errcode", 0) == errcode


def test_draft_thumb_must_be_this_accounts_permanent_image(client: httpx.Client) -> None:
    token = get_token(client, appid="wx-a")
    body_url = upload(client, token, PNG, "a.png")["url"]
    video_id = upload(client, token, MP4, "a.mp4", "video")["media_id"]
    other_id = thumb(client, get_token(client, appid="wx-b"))
    thumb_id = upload(client, token, JPG, "t.jpg", "thumb")["media_id"]
    assert add_draft(client, token, article(body_url))["errcode"] == 40007  # a body-image URL, not material
    assert add_draft(client, token, article(video_id))["errcode"] == 40007
    assert add_draft(client, token, article(other_id))["errcode"] == 40007
    assert "media_id" in add_draft(client, token, article(thumb_id))


def test_draft_body_format(client: httpx.Client) -> None:
    token = get_token(client)
    good = article(thumb(client, token))

    def raw(body: bytes) -> int:
        return call(client, "draft/add", token, content=body).get("errcode", 0)

    def utf8(articles: list[dict[str, Any]]) -> bytes:
        return json.dumps({"articles": articles}, ensure_ascii=False).encode()

    assert raw(json.dumps({"articles": [good]}).encode()) == 47001  # ensure_ascii: \uXXXX escapes
    assert raw(utf8([good])) == 0
    assert raw(utf8([{**good, "title": "C:\\user"}])) == 0  # an escaped backslash before "u" is no escape
    assert raw(b"{not json") == 47001
    assert raw(b"") == 44002
    assert raw(b'{"articles": {}}') == 47001
    assert raw(b'{"articles": []}') == 44003
    assert raw(utf8([good] * 9)) == 45008
    assert raw(utf8([good] * 8)) == 0
    newspic = {"article_type": "newspic", "title": "图片", "content": "文字"}
    assert raw(utf8([newspic])) == 47001  # a picture post needs image_info
    images = {"image_list": [{"image_media_id": good["thumb_media_id"]}]}
    assert raw(utf8([{**newspic, "image_info": images}])) == 0
    posts = client.get("/_sandbox/posts").json()  # every draft/add is recorded, refused ones too
    assert [p["errcode"] for p in posts] == [47001, 0, 0, 47001, 44002, 47001, 44003, 45008, 0, 47001, 0]
    assert [p["applied"] for p in posts] == [p["errcode"] == 0 for p in posts]


# ---- publishing ---------------------------------------------------------------------------------


def test_freepublish_submit_and_status_progression(client: httpx.Client) -> None:
    token = get_token(client)
    draft = add_draft(client, token, article(thumb(client, token)), article(thumb(client, token), title="第二篇"))
    submitted = call(client, "freepublish/submit", token, json={"media_id": draft["media_id"]})
    assert submitted["errcode"] == 0 and submitted["errmsg"] == "ok"
    publish_id = submitted["publish_id"]
    assert isinstance(publish_id, str) and submitted["msg_data_id"]
    statuses = [call(client, "freepublish/get", token, json={"publish_id": publish_id}) for _ in range(3)]
    assert [s["publish_status"] for s in statuses] == [1, 1, 0]
    done = statuses[-1]
    assert done["publish_id"] == publish_id and done["article_id"] and done["fail_idx"] == []
    items = done["article_detail"]["item"]
    assert done["article_detail"]["count"] == 2 and [i["idx"] for i in items] == [1, 2]
    # on the sandbox's own host (never mp.weixin.qq.com), and a GET of it shows the sandbox's article
    assert all(re.fullmatch(re.escape(own_host(client)) + r"/wechat_oa/s/[\w-]+", i["article_url"]) for i in items)
    page = client.get(items[1]["article_url"]).json()
    assert page == {"sandbox": True, "platform": "wechat_oa", "publish_id": publish_id, "title": "第二篇"}
    numeric = call(client, "freepublish/get", token, json={"publish_id": int(publish_id)})  # real replies are numeric
    assert numeric["publish_status"] == 0
    assert call(client, "freepublish/get", token, json={"publish_id": "999"})["errcode"] == 40007
    assert call(client, "freepublish/submit", token, json={"media_id": "no-draft"})["errcode"] == 40007
    other = get_token(client, appid="wx-other")
    assert call(client, "freepublish/submit", other, json={"media_id": draft["media_id"]})["errcode"] == 40007
    posts = client.get("/_sandbox/posts").json()
    assert [(p["path"].rsplit("/", 1)[1], p["errcode"]) for p in posts] == [
        ("add", 0),
        ("submit", 0),
        ("submit", 40007),
        ("submit", 40007),
    ]
    assert posts[1]["summary"] == {"media_id": draft["media_id"], "publish_id": publish_id}


def test_publish_polls_zero_is_immediately_done() -> None:
    with Sandbox(SandboxOptions(publish_polls=0)) as sb, open_client(sb) as client:
        token = get_token(client)
        draft = add_draft(client, token, article(thumb(client, token)))
        publish_id = call(client, "freepublish/submit", token, json=draft)["publish_id"]
        assert call(client, "freepublish/get", token, json={"publish_id": publish_id})["publish_status"] == 0


def test_wechat_repeats_are_flagged_but_still_happen(client: httpx.Client) -> None:
    """WeChat has no idempotency: a repeated key publishes twice, and the record says so."""
    token = get_token(client)
    cover = thumb(client, token)
    first = add_draft(client, token, article(cover), key="job-7")
    second = add_draft(client, token, article(cover), key="job-7")
    assert first["media_id"] != second["media_id"]
    posts = client.get("/_sandbox/posts").json()
    assert [(p["duplicate"], p["applied"]) for p in posts] == [(False, True), (True, True)]


# ---- webhook ------------------------------------------------------------------------------------


def test_webhook_receipts_and_duplicates(client: httpx.Client) -> None:
    headers = {"X-Mediactl-Signature": "sha256=abc", "X-Mediactl-Timestamp": "1700000000"}
    payload = {"title": "通知", "text": "正文"}

    def post(key_header: str | None, key: str | None) -> httpx.Response:
        extra = {key_header: key} if key_header and key else {}
        return client.post("/webhook/ops-feed", json=payload, headers={**headers, **extra})

    first = post("X-Mediactl-Idempotency-Key", "job-1")
    assert first.status_code == 200 and first.json() == {"ok": True, "id": first.json()["id"]}
    again = post("X-Mediactl-Idempotency-Key", "job-1")
    assert again.json() == {"ok": True, "id": first.json()["id"], "duplicate": True}
    plain = post("Idempotency-Key", "job-2")
    assert plain.json()["id"] != first.json()["id"] and "duplicate" not in plain.json()
    assert post("Idempotency-Key", "job-2").json()["duplicate"] is True
    assert post(None, None).json()["id"] != post(None, None).json()["id"]  # no key: every POST is new
    assert client.post("/webhook/ops-feed", content=b"not json").status_code == 400
    posts = client.get("/_sandbox/posts").json()
    assert [p["duplicate"] for p in posts] == [False, True, False, True, False, False, False]
    assert [p["applied"] for p in posts] == [True, False, True, False, True, True, False]
    assert posts[0]["channel"] == "ops-feed" and posts[0]["idempotency_key"] == "job-1"
    assert posts[0]["headers"]["signature"] == "sha256=abc" and posts[0]["headers"]["timestamp"] == "1700000000"
    assert posts[0]["body"] == payload and posts[0]["summary"]["title"] == "通知"
    assert client.get("/webhook/ops-feed").status_code == 405


# ---- faults -------------------------------------------------------------------------------------


def test_fault_500_hits_the_next_mutating_call_once() -> None:
    with Sandbox(SandboxOptions(faults=("500",))) as sb, open_client(sb) as client:
        token = get_token(client)  # not mutating: passes
        assert call(client, "freepublish/get", token, json={"publish_id": "1"})["errcode"] == 40007  # read-only
        r = client.post(
            "/wechat_oa/cgi-bin/media/uploadimg", params={"access_token": token}, files={"media": ("a.png", PNG)}
        )
        assert r.status_code == 500 and r.json()["errcode"] == -1
        assert upload(client, token, PNG, "a.png")["errcode"] == 0
        assert [c["fault"] for c in sb.calls()] == [None, None, "500", None]


def test_fault_429_hits_the_next_call_with_retry_after() -> None:
    with Sandbox(SandboxOptions(faults=("429",))) as sb, open_client(sb) as client:
        params = {"grant_type": "client_credential", "appid": "wx", "secret": "s"}
        r = client.get("/wechat_oa/cgi-bin/token", params=params)
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        assert client.get("/wechat_oa/cgi-bin/token", params=params).status_code == 200


def test_fault_expired_token_expires_the_token_for_good() -> None:
    with Sandbox(SandboxOptions(faults=("expired-token",))) as sb, open_client(sb) as client:
        token = get_token(client)
        assert upload(client, token, PNG, "a.png")["errcode"] == 42001
        assert upload(client, token, PNG, "a.png")["errcode"] == 42001  # refresh, don't just retry
        assert upload(client, get_token(client), PNG, "a.png")["errcode"] == 0


def test_fault_drop_records_and_applies_the_post_but_never_answers() -> None:
    with Sandbox(SandboxOptions(faults=("drop",))) as sb, open_client(sb) as client:
        token = get_token(client)
        draft = add_draft(client, token, article(thumb(client, token)))  # draft/add is not a drop target
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post("/wechat_oa/cgi-bin/freepublish/submit", params={"access_token": token}, json=draft)
        [_, dropped] = sb.posts()
        assert dropped["status"] == "dropped" and dropped["applied"] is True and dropped["fault"] == "drop"
        publish_id = dropped["summary"]["publish_id"]  # the job exists: reconcile, don't resend
        assert call(client, "freepublish/get", token, json={"publish_id": publish_id})["publish_status"] == 1


def test_dropped_webhook_retried_with_its_key_is_received_once() -> None:
    with Sandbox(SandboxOptions(faults=("drop",))) as sb, open_client(sb) as client:
        headers = {"X-Mediactl-Idempotency-Key": "job-9"}
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post("/webhook/feed", json={"title": "t"}, headers=headers)
        retry = client.post("/webhook/feed", json={"title": "t"}, headers=headers).json()
        assert retry["duplicate"] is True
        posts = sb.posts()
        assert [(p["status"], p["applied"], p["duplicate"]) for p in posts] == [
            ("dropped", True, False),
            (200, False, True),
        ]
        assert retry["id"] == posts[0]["summary"]["id"]


def test_fault_timeout_holds_the_answer_and_stop_still_ends_promptly() -> None:
    sb = Sandbox(SandboxOptions(faults=("timeout",))).start()
    try:
        with open_client(sb, timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
            client.post("/webhook/feed", json={"title": "t"})
        [post] = sb.posts()
        assert post["status"] == "timeout" and post["applied"] is True
    finally:
        started = time.monotonic()
        sb.stop()
        assert time.monotonic() - started < 2


def test_fault_reject_refuses_content() -> None:
    with Sandbox(SandboxOptions(faults=("reject", "reject"))) as sb, open_client(sb) as client:
        token = get_token(client)
        cover = thumb(client, token)
        assert add_draft(client, token, article(cover))["errcode"] == 87014
        r = client.post("/webhook/feed", json={"title": "t"})
        assert r.status_code == 422 and r.json()["ok"] is False
        assert "media_id" in add_draft(client, token, article(cover))
        assert client.post("/webhook/feed", json={"title": "t"}).status_code == 200
        assert [(p["status"], p["errcode"], p["applied"]) for p in sb.posts()] == [
            (200, 87014, False),
            (422, None, False),
            (200, 0, True),
            (200, None, True),
        ]


def test_faults_apply_in_order_one_per_request() -> None:
    with Sandbox(SandboxOptions(faults=("reject", "drop", "429"))) as sb, open_client(sb) as client:
        assert client.post("/webhook/feed", json={}).status_code == 422
        get_token(client)  # "429" matches any call, but waits behind "drop"
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.post("/webhook/feed", json={})
        assert client.post("/webhook/feed", json={}).status_code == 429
        assert client.post("/webhook/feed", json={}).status_code == 200
        sb.add_fault("429")
        assert client.get("/_sandbox/faults").json() == {"pending": ["429"]}
        sb.reset()  # clears records, keeps pending faults
        assert sb.posts() == [] and sb.calls() == [] and sb.pending_faults == ["429"]
        assert client.post("/webhook/feed", json={}).status_code == 429
        assert client.post("/_sandbox/faults", json={"fault": "reject"}).json() == {"pending": ["reject"]}
        assert client.post("/_sandbox/faults", json={"fault": "boom"}).status_code == 400
        with pytest.raises(ValueError, match="unknown sandbox fault"):
            sb.add_fault("boom")


def test_fail_rate_one_gives_only_transient_failures_and_no_effects() -> None:
    def run(seed: int) -> tuple[list[str], list[dict[str, Any]]]:
        kinds = []
        with Sandbox(SandboxOptions(fail_rate=1.0, seed=seed)) as sb, open_client(sb) as client:
            for i in range(30):
                if i % 3 == 0:
                    r = client.post("/webhook/feed", json={"title": "t"}, headers={"Idempotency-Key": "k"})
                elif i % 3 == 1:
                    r = client.post("/wechat_oa/cgi-bin/draft/add", params={"access_token": "x"}, json={"articles": []})
                else:
                    r = client.get("/wechat_oa/cgi-bin/token", params={"grant_type": "client_credential", "appid": "a"})
                if r.status_code == 200:
                    assert r.json() == {"errcode": 45009, "errmsg": r.json()["errmsg"]}
                    assert i % 3 != 0  # webhooks have no errcode: only 500 and 429
                    kinds.append("45009")
                else:
                    assert r.status_code in (500, 429)
                    assert r.status_code == 500 or r.headers["Retry-After"] == "1"
                    kinds.append(str(r.status_code))
            return kinds, sb.posts()

    kinds, posts = run(seed=1)
    assert set(kinds) == {"500", "429", "45009"}
    assert len(posts) == 20 and not any(p["applied"] for p in posts)
    assert run(seed=1)[0] == kinds  # seeded: the same failures again
    assert run(seed=2)[0] != kinds


def test_options_are_validated() -> None:
    assert FAULT_KINDS == (
        "500",
        "429",
        "expired-token",
        "drop",
        "timeout",
        "reject",
        "publish-fail",
        "drift",
        "garbled",
    )
    for bad in ({"fail_rate": 1.5}, {"fail_rate": -0.1}, {"faults": ("explode",)}, {"token_ttl": 0}):
        with pytest.raises(ValueError):
            SandboxOptions(**bad)
    assert SandboxOptions(faults=["drop"]).faults == ("drop",)  # type: ignore[arg-type]


# ---- server -------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "::ffff:127.0.0.1", "example.com", ""])
def test_binds_to_loopback_only(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(host=host)


def test_localhost_and_ipv6_loopback() -> None:
    with Sandbox(host="localhost") as sb:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sb.url)
    try:
        sb6 = Sandbox(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with open_client(sb6) as client:
        assert sb6.url.startswith("http://[::1]:") and client.get("/_sandbox/health").json() == {"ok": True}
    sb6.stop()


def test_introspection_and_unknown_paths(client: httpx.Client, sandbox: Sandbox) -> None:
    assert client.get("/_sandbox/health").json() == {"ok": True}
    get_token(client)
    client.post("/webhook/a", json={})
    r = client.get("/wechat_oa/cgi-bin/nope")
    assert r.status_code == 404 and r.json()["errcode"] == -1 and "unknown path" in r.json()["errmsg"]
    assert client.get("/wechat_oa/cgi-bin/draft/add").status_code == 405
    assert [(c["method"], c["path"], c["status"]) for c in client.get("/_sandbox/calls").json()] == [
        ("GET", "/wechat_oa/cgi-bin/token", 200),
        ("POST", "/webhook/a", 200),
        ("GET", "/wechat_oa/cgi-bin/nope", 404),
        ("GET", "/wechat_oa/cgi-bin/draft/add", 405),
    ]
    assert client.get("/_sandbox/posts").json() == sandbox.posts() and len(sandbox.posts()) == 1
    assert client.delete("/_sandbox/posts").json() == {"ok": True, "cleared": 1}
    assert sandbox.posts() == [] and client.get("/_sandbox/calls").json() == []
    assert client.post("/webhook/a", json={}).json()["id"]  # seq keeps counting after a clear
    assert sandbox.posts()[0]["seq"] == 2


def test_oversized_body_is_refused_without_reading_it(sandbox: Sandbox) -> None:
    host, port = sandbox.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"POST /webhook/a HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 413 ")


def test_latency_is_added_to_platform_answers() -> None:
    with Sandbox(SandboxOptions(latency_ms=150)) as sb, open_client(sb) as client:
        started = time.monotonic()
        get_token(client)
        assert time.monotonic() - started >= 0.15


def test_concurrent_posts_are_all_recorded(sandbox: Sandbox) -> None:
    ids: list[str] = []

    def worker(n: int) -> None:
        with open_client(sandbox) as client:
            for i in range(10):
                headers = {"Idempotency-Key": f"{n}-{i}"}
                ids.append(client.post(f"/webhook/w{n}", json={"i": i}, headers=headers).json()["id"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    posts = sandbox.posts()
    assert len(set(ids)) == 80 and sorted(p["seq"] for p in posts) == list(range(1, 81))


def test_stop_closes_keep_alive_connections() -> None:
    sb = Sandbox().start()
    with open_client(sb) as client:
        assert client.get("/_sandbox/health").status_code == 200  # the connection stays in the pool
        sb.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/_sandbox/health")


def test_serve_runs_until_ctrl_c() -> None:
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # even if SIGINT was ignored
        "from mediactl.sandbox import SandboxOptions, serve; serve(SandboxOptions(), port=0)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        assert httpx.get(f"{url.group(0)}/_sandbox/health", timeout=5, verify=_tls()).json() == {"ok": True}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
        assert proc.stderr.read() == ""  # type: ignore[union-attr]  # no traceback
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]


# ---- multipart ----------------------------------------------------------------------------------


def test_multipart_parser() -> None:
    body = (
        b"preamble\r\n--b0\r\n"
        b'Content-Disposition: form-data; name="media"; filename="\xe5\x9b\xbe \\"1\\".png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG + b"x--b0--\r\n"  # the boundary inside data, not at a line start
        b"\r\n--b0\r\n"
        b"Content-Disposition: form-data; name=description\r\n\r\n"
        b'{"title": "t"}'
        b"\r\n--b0\r\n"
        b"Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E6%96%87.jpg\r\n\r\n"
        b"\r\n--b0--\r\n"
    )
    media, description, empty = parse_multipart(body, 'multipart/form-data; boundary="b0"')
    assert (media.name, media.filename, media.content_type) == ("media", '图 "1".png', "image/png")
    assert media.data == PNG + b"x--b0--\r\n"
    assert (description.name, description.filename, description.data) == ("description", None, b'{"title": "t"}')
    assert (empty.filename, empty.data) == ("文.jpg", b"")
    for bad_body, ctype in [
        (body, "multipart/form-data"),
        (body, "application/json; boundary=b0"),
        (body.replace(b"--b0--\r\n", b""), "multipart/form-data; boundary=b0"),
        (b"--b0\r\nX-Nothing: 1\r\n\r\ndata\r\n--b0--", "multipart/form-data; boundary=b0"),
    ]:
        with pytest.raises(ValueError):
            parse_multipart(bad_body, ctype)


@pytest.mark.parametrize("size", [65536 - 40, 65536 - 4, 65536 - 1, 65536, 65536 + 3, 3 * 65536 - 2])
def test_multipart_large_parts_keep_every_byte(size: int) -> None:
    """Parts of any size, data full of near-delimiters, blanks after the first delimiter, an epilogue."""
    data = bytes(range(256)) * (size // 256) + b"\r\n--b" * (size % 256 // 5) + b"\r" * (size % 256 % 5)
    body = (
        b"--b0  \r\n"  # blanks after the first delimiter (RFC 2046 transport padding)
        b'Content-Disposition: form-data; name="media"; filename="a.png"\r\n\r\n' + data + b"\r\n--b0\r\n"
        b"Content-Disposition: form-data; name=description\r\n\r\nd\r\n--b0--\r\nepilogue\r\n"
    )
    media, description = parse_multipart(body, "multipart/form-data; boundary=b0")
    assert (len(media.data), media.data, description.data) == (size, data, b"d")
    assert parse_multipart(b"--b0--\r\n", "multipart/form-data; boundary=b0") == []
